#!/usr/bin/env bash
# Debian's Chromium for the dashboard's end-to-end tests (playwright-core drives /usr/bin/chromium;
# Playwright's own browser download cannot work here). Idempotent; needs root or sudo.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium.sh: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed" >&2
  exit 0
fi
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
echo "chromium.sh: installing Debian's chromium" >&2
"${SUDO[@]}" apt-get update -qq >&2 || echo "chromium.sh: apt-get update failed; trying the cached package lists" >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
/usr/bin/chromium --version >&2
