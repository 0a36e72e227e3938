#!/usr/bin/env bash
# Installs Debian's `chromium` package for the console's browser tests
# (test/console/), unless a chromium executable is already there. Prints its
# path on stdout, progress on stderr. Idempotent; used by scripts/test.sh.
# Browsers are never downloaded by other means (puppeteer-core has no
# download step): the tests drive this executable.
set -euo pipefail

find_chromium() {
  local candidate
  for candidate in "${KITARU_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if find_chromium; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: no chromium and no apt-get; install Chromium and set KITARU_CHROMIUM to its path" >&2
  exit 1
fi
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "installing chromium (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing on a fresh machine; refresh them once if the package is unknown.
if ! apt-cache show chromium >/dev/null 2>&1; then "${sudo[@]}" apt-get update -qq >&2; fi
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >&2 </dev/null
find_chromium || { echo "install-chromium: chromium still not found after apt-get install" >&2; exit 1; }
