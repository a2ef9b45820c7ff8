#!/usr/bin/env bash
# macOS: wrap the Workbench.app PyInstaller made (BUNDLE() in workbench.spec) into a compressed .dmg with an
# /Applications shortcut. UNTESTED HERE (no macOS machine); run by .github/workflows/build.yml on macos-14.
# Signing and notarisation need an Apple Developer ID: set CODESIGN_IDENTITY to sign before packing.
# Usage: build_dmg.sh path/to/Workbench.app out.dmg
set -euo pipefail
APP=$1
DMG=$2
[ -d "$APP" ] || { echo "build_dmg: $APP not found (was the spec's BUNDLE step run on macOS?)" >&2; exit 1; }
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
fi
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Workbench" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
echo "built $DMG"
