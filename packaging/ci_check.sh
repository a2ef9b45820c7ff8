#!/usr/bin/env bash
# CI check of the Linux installer, end to end (called by .ci/run; needs root for dpkg and unshare):
#   1. build the bundle, tar.gz and .deb (packaging/build.sh; SKIP_BUILD=1 re-uses dist/)
#   2. verify the checksum, install the .deb with dpkg -i
#   3. run the installed `workbench --self-test --strict` in a network namespace with no network
#      (unshare -n: not even loopback is up), with a throw-away HOME that must stay empty
#   4. check the self-test wrote nothing into /opt/workbench, uninstall (purge), check /opt is as before
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
log() { printf '[ci_check %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { printf 'ci_check: FAILED: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (dpkg -i and unshare -n need it)"
command -v dpkg-deb >/dev/null || fail "dpkg-deb not found: this check needs Debian/Ubuntu"
command -v unshare >/dev/null || fail "unshare not found (util-linux)"
started=$(date +%s)

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "build"
  packaging/build.sh
fi
DEB=$(find dist -maxdepth 1 -name "workbench_*_$(dpkg --print-architecture).deb" -printf '%T@ %p\n' 2>/dev/null \
  | sort -rn | awk 'NR == 1 {print $2}')
[ -n "$DEB" ] || fail "no .deb in dist/ (build first)"
(cd dist && sha256sum --quiet -c "$(basename "$DEB").sha256") || fail "checksum mismatch for $DEB"

if dpkg-query -W -f='${Status}' workbench 2>/dev/null | grep -q "install ok installed"; then
  log "removing a workbench package left installed by an earlier run"
  dpkg -P workbench >/dev/null
fi
opt_before=$(ls -A /opt | sort)

log "dpkg -i $DEB"
dpkg -i "$DEB" >/dev/null || fail "dpkg -i failed (missing dependencies? apt-get install ./$DEB resolves them)"
trap 'dpkg -P workbench >/dev/null 2>&1 || true' EXIT  # never leave it installed, even on failure
[ "$(command -v workbench)" = /usr/bin/workbench ] || fail "workbench is not on the PATH after install"
[ -x /opt/workbench/workbench ] || fail "/opt/workbench/workbench missing"
[ -f /usr/share/applications/workbench.desktop ] || fail ".desktop entry missing"
[ -f /opt/workbench/sbom.cdx.json ] || fail "SBOM missing from the install"
log "installed: $(workbench --version)"

log "self-test with no network (unshare -n)"
home=$(mktemp -d)
marker=$(mktemp)
touch "$marker"
# Inside the namespace: prove there is no interface but a (down) loopback, then run the self-test.
unshare -n -- env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen sh -c '
  interfaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")
  [ "$interfaces" = "lo " ] || { echo "network namespace has interfaces: $interfaces" >&2; exit 3; }
  exec workbench --self-test --strict --verbose
' || { rm -rf "$home" "$marker"; fail "installed self-test failed offline"; }
leftovers=$(find "$home" -mindepth 1 | head -5)
written=$(find /opt/workbench -newer "$marker" | head -5)
rm -rf "$home" "$marker"
[ -z "$leftovers" ] || fail "the self-test left files in HOME: $leftovers"
[ -z "$written" ] || fail "the self-test wrote into /opt/workbench: $written"

log "uninstall"
dpkg -P workbench >/dev/null
trap - EXIT
[ ! -e /opt/workbench ] || fail "/opt/workbench still exists after uninstall: $(find /opt/workbench | head -5)"
[ ! -e /usr/bin/workbench ] || fail "/usr/bin/workbench still exists after uninstall"
[ ! -e /usr/share/applications/workbench.desktop ] || fail ".desktop entry still exists after uninstall"
[ "$(ls -A /opt | sort)" = "$opt_before" ] || fail "/opt differs after uninstall"
log "OK in $(( $(date +%s) - started )) s: built, installed, self-tested offline, uninstalled, /opt clean"
