#!/usr/bin/env bash
# Build Workbench for the current OS into dist/ (see packaging/README.md).
#
#   packaging/build.sh            one-folder bundle + SBOM + licences, then on Linux the .tar.gz and .deb
#   packaging/build.sh --no-deb   skip the .deb (e.g. on a Linux without dpkg-deb)
#
# Environment: PYTHON (default .venv/bin/python), DIST_DIR (default dist), BUILD_DIR (default build/packaging),
# WORKBENCH_NO_TRIM=1 (measure the untrimmed bundle), SOURCE_DATE_EPOCH (reproducible build date).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-$ROOT/.venv/bin/python}
DIST=${DIST_DIR:-$ROOT/dist}
WORK=${BUILD_DIR:-$ROOT/build/packaging}
MAKE_DEB=1
for arg in "$@"; do
  case "$arg" in
    --no-deb) MAKE_DEB=0 ;;
    *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

VERSION=$("$PY" -c 'import workbench; print(workbench.__version__)')
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$COMMIT" != unknown ] && ! git diff --quiet HEAD -- workbench widgets resources packaging 2>/dev/null; then
  COMMIT="$COMMIT-dirty"  # built from uncommitted changes: say so in --version and the SBOM
fi
BUILD_DATE=$(date -u ${SOURCE_DATE_EPOCH:+-d @$SOURCE_DATE_EPOCH} +%Y-%m-%dT%H:%M:%SZ)
case "$(uname -s)" in
  Linux) OS=linux ;; Darwin) OS=macos ;; MINGW*|MSYS*|CYGWIN*) OS=windows ;; *) OS=$(uname -s) ;;
esac
ARCH=$(uname -m)
NAME="workbench-$VERSION-$OS-$ARCH"

# Version, build date and commit baked into the bundle (read by workbench.version.version_string and About).
BUILD_INFO="$ROOT/workbench/_build_info.py"
cleanup() { rm -f "$BUILD_INFO"; }
trap cleanup EXIT
cat > "$BUILD_INFO" <<EOF
"""Written by packaging/build.sh for this build only; not in git."""
VERSION = "$VERSION"
COMMIT = "$COMMIT"
BUILD_DATE = "$BUILD_DATE"
EOF

if [ "$OS" = windows ] || [ "$OS" = macos ]; then
  "$PY" packaging/make_icons.py "$ROOT/packaging/build"  # .ico / .icns for the spec (build/ is git-ignored)
fi
log "PyInstaller: $NAME (commit $COMMIT)"
mkdir -p "$WORK" "$DIST"
rm -rf "$WORK/dist"
WORKBENCH_MANIFEST="$WORK/manifest.json" "$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$WORK/dist" --workpath "$WORK/pyinstaller" packaging/workbench.spec
BUNDLE="$WORK/dist/workbench"
if [ "$OS" = linux ] && [ "${WORKBENCH_NO_TRIM:-0}" != 1 ]; then
  log "$("$PY" packaging/trim.py strip "$BUNDLE")"
fi
[ "$OS" = windows ] && EXE="$BUNDLE/workbench-cli.exe" || EXE="$BUNDLE/workbench"

log "SBOM and licence texts"
"$PY" packaging/sbom.py --manifest "$WORK/manifest.json" --out-dir "$BUNDLE" \
  --version "$VERSION" --commit "$COMMIT" --build-date "$BUILD_DATE"
cp "$ROOT/resources/icons/workbench.png" "$ROOT/resources/icons/workbench.svg" "$BUNDLE/"

log "smoke test: $("$EXE" --version)"
if [ "${SKIP_SELFTEST:-0}" != 1 ]; then
  "$EXE" --self-test --strict  # the bundle must pass before anything is packaged
fi

rm -f "$DIST/$NAME".* "$DIST"/workbench_*.deb "$DIST"/SHA256SUMS
cp "$BUNDLE/sbom.cdx.json" "$DIST/$NAME.sbom.cdx.json"
if [ "$OS" = linux ]; then
  log "tar.gz"
  STAGE="$WORK/tar/$NAME"
  rm -rf "$WORK/tar"
  mkdir -p "$STAGE"
  cp -a "$BUNDLE/." "$STAGE/"
  cp packaging/linux/workbench.desktop packaging/linux/install-desktop-entry.sh "$STAGE/"
  tar -C "$WORK/tar" --owner=0 --group=0 --numeric-owner -cf - "$NAME" | gzip -6 > "$DIST/$NAME.tar.gz"
  if [ "$MAKE_DEB" = 1 ]; then
    log ".deb"
    packaging/linux/build_deb.sh "$BUNDLE" "$VERSION" "$DIST"
  fi
elif [ "$OS" = macos ]; then
  log ".app + .dmg"
  packaging/macos/build_dmg.sh "$WORK/dist/Workbench.app" "$DIST/$NAME.dmg"
elif [ "$OS" = windows ]; then
  log "Inno Setup"
  iscc //DVersion="$VERSION" //DBundleDir="$(cygpath -w "$BUNDLE")" //DOutputDir="$(cygpath -w "$DIST")" \
    //DOutputName="$NAME-setup" packaging/windows/workbench.iss
fi

log "checksums"
(
  cd "$DIST"
  for f in "$NAME".* workbench_*.deb; do
    [ -f "$f" ] || continue
    case "$f" in *.sha256) continue ;; esac
    if command -v sha256sum >/dev/null; then sha256sum "$f"; else shasum -a 256 "$f"; fi > "$f.sha256"
  done
  cat ./*.sha256 > SHA256SUMS
)

unpacked=$(du -sk "$BUNDLE" | cut -f1)
log "bundle: $((unpacked / 1024)) MB unpacked ($BUNDLE)"
for f in "$DIST/$NAME".* "$DIST"/workbench_*.deb; do
  if [ -f "$f" ]; then
    awk -v n="$(wc -c < "$f")" -v name="$(basename "$f")" 'BEGIN {printf "  %6.1f MB  %s\n", n / 1048576, name}'
  fi
done
