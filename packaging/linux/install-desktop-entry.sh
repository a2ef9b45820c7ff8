#!/bin/sh
# Add a menu entry for this unpacked Workbench (tar.gz installs only; the .deb does this itself).
# Writes ~/.local/share/applications/workbench.desktop and the icon; remove those two files to undo.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$apps" "$icons"
cp "$here/workbench.png" "$icons/workbench.png"
sed -e "s|^Exec=.*|Exec=\"$here/workbench\"|" -e "s|^TryExec=.*|TryExec=$here/workbench|" \
    "$here/workbench.desktop" > "$apps/workbench.desktop"
echo "Added $apps/workbench.desktop"
