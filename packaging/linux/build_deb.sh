#!/usr/bin/env bash
# Build workbench_<version>_<arch>.deb from a one-folder bundle:
#   /opt/workbench/            the bundle (read-only at run time: the app writes only to the user's folders)
#   /usr/bin/workbench         a launcher script (the bundle finds its libraries next to its real path)
#   /usr/share/applications/   the .desktop entry; icons under /usr/share/icons/hicolor
#   /usr/share/doc/workbench/  copyright note, SBOM
# Depends: the system libraries the bundle links against but does not carry (libGL/libEGL, libc, ...),
# computed from the bundle itself with dpkg -S, so the list matches what was actually bundled.
# Usage: build_deb.sh BUNDLE_DIR VERSION OUT_DIR
set -euo pipefail
BUNDLE=$(cd "$1" && pwd)
VERSION=$2
OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ARCH=$(dpkg --print-architecture)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/icons/hicolor/256x256/apps" "$STAGE/usr/share/icons/hicolor/scalable/apps" \
  "$STAGE/usr/share/doc/workbench"
cp -a "$BUNDLE" "$STAGE/opt/workbench"
install -m 0755 "$HERE/launcher.sh" "$STAGE/usr/bin/workbench"
install -m 0644 "$HERE/workbench.desktop" "$STAGE/usr/share/applications/workbench.desktop"
install -m 0644 "$ROOT/resources/icons/workbench.png" "$STAGE/usr/share/icons/hicolor/256x256/apps/workbench.png"
install -m 0644 "$ROOT/resources/icons/workbench.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/workbench.svg"
cat > "$STAGE/usr/share/doc/workbench/copyright" <<'EOF'
Workbench: proprietary. Third-party components bundled in /opt/workbench are listed with versions and
licences in /opt/workbench/sbom.cdx.json (CycloneDX); their licence texts are in /opt/workbench/LICENSES/.
EOF
# Files only readable by root would break the app for everyone else.
chmod -R u+rwX,go+rX,go-w "$STAGE/opt/workbench"

# Shared libraries the bundle needs from the system = NEEDED entries not satisfied inside the bundle.
# Wayland support is optional (Qt falls back to X11/XWayland), so its plugins do not add dependencies.
needed=$(find "$STAGE/opt/workbench" -type f \( -name '*.so*' -o -name workbench \) -not -iname '*wayland*' -not -name 'libQt6Wl*' \
  -not -path '*/wayland-*' -print0 \
  | xargs -0 -r objdump -p 2>/dev/null | awk '/NEEDED/ {print $2}' | sort -u)
# (No early-exiting readers in pipes below: with pipefail a writer killed by SIGPIPE fails the script.)
bundled=$(find "$STAGE/opt/workbench" -name '*.so*' -printf '%f\n' | sort -u)
libcache=$(ldconfig -p)
depends=()
for lib in $needed; do
  if grep -qxF "$lib" <<<"$bundled"; then continue; fi
  path=$(awk -v l="$lib" '$1 == l && /x86-64|AArch64|64bit/ && !found {print $NF; found=1}' <<<"$libcache")
  [ -n "$path" ] || path=$(awk -v l="$lib" '$1 == l && !found {print $NF; found=1}' <<<"$libcache")
  [ -n "$path" ] || { echo "build_deb: $lib is needed but neither bundled nor installed here" >&2; continue; }
  owner=$(dpkg-query -S "$(readlink -f "$path")" 2>/dev/null || dpkg-query -S "$path" 2>/dev/null || true)
  pkg=$(awk -F: 'NR == 1 {print $1}' <<<"$owner")
  if [ -n "$pkg" ]; then depends+=("$pkg"); fi
done
# Qt's xcb platform plugin dlopens libGL/libEGL; fonts come from the system.
depends+=(libgl1 libegl1 fontconfig-config)
deps=$(printf '%s\n' "${depends[@]}" | sort -u | paste -sd, - | sed 's/,/, /g')
size_kb=$(du -sk "$STAGE" | cut -f1)

cat > "$STAGE/DEBIAN/control" <<EOF
Package: workbench
Version: $VERSION
Architecture: $ARCH
Maintainer: Workbench maintainers <workbench@localhost>
Installed-Size: $size_kb
Depends: $deps
Section: science
Priority: optional
Description: Offline analyst workbench for local Parquet extracts
 Metric exploration, anomaly detection and experiment readouts over local Parquet/CSV files in an
 embedded DuckDB. Self-contained: bundles Python, Qt and every library it needs; never uses the network.
 Check an installation with: workbench --self-test
EOF

mkdir -p "$OUT"
# gzip: fast to build and to install; xz would save ~25% but take minutes on two cores.
dpkg-deb --root-owner-group -Zgzip -z6 --build "$STAGE" "$OUT/workbench_${VERSION}_${ARCH}.deb" >/dev/null
echo "built $OUT/workbench_${VERSION}_${ARCH}.deb (Depends: $deps)"
