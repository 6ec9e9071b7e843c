#!/usr/bin/env bash
# Debian packages ALVH Risk needs beyond Python: Pango and HarfBuzz's subsetter for WeasyPrint
# (without libharfbuzz-subset0 it falls back to a much slower font subsetter), fonts for the
# reports. With --test, also what the test suite drives: headless Chromium (the HTML report is
# opened in a real browser). PDFs are read back in Python (pypdf), so no poppler.
# Installs only what is missing; needs root or sudo when something is.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: not a Debian system; please install: ${missing[*]}" >&2
  exit 1
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "install-system-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install-system-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
