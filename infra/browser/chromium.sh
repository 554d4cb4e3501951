#!/usr/bin/env bash
# Print the path of a headless-capable Chromium, installing Debian's package first if missing.
#
#   infra/browser/chromium.sh          install when missing (as root: apt-get), print the path
#   infra/browser/chromium.sh path     print the path, exit 1 when there is none
#
# The browser tests (tests/test_dashboard*.py) run this from their fixture, so a fresh machine
# gets the browser from `make test`. Debian's `chromium` is used because the machines reach
# Debian's archive but no browser download site; fonts-wqy-microhei draws the Chinese names of
# the ready-made campaigns. Settings: CHROMIUM (a browser binary to use instead).
set -euo pipefail

log() { echo "chromium: $*" >&2; }

find_browser() {
  local candidate
  for candidate in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; return 0; fi
  done
  return 1
}

if find_browser; then exit 0; fi
if [ "${1:-}" = path ]; then exit 1; fi
[ "$(id -u)" = 0 ] || { log "Chromium is missing: run as root, or apt-get install chromium"; exit 1; }
log "installing Debian's chromium package (a few minutes on a fresh machine)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  chromium fonts-liberation fonts-wqy-microhei >/dev/null
find_browser || { log "no chromium on PATH after installing"; exit 1; }
