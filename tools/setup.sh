#!/usr/bin/env bash
# Installs what weft needs on Debian 12 (only what is missing) and configures
# and builds it. Used by demo.sh and test.sh; safe to run again.
#   tools/setup.sh [build-dir] [extra cmake args...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
shift || true

# fonts-wqy-microhei (5 MB): Chinese, Japanese and Korean glyphs in the viewer,
# drawn where DejaVu has none. xvfb, xdotool, x11-apps: the viewer's end-to-end
# test drives a real window on a virtual display (it skips without them).
pkgs=(build-essential cmake pkg-config check libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core fonts-wqy-microhei python3
      xvfb xdotool x11-apps)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "weft setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" 2>&1 | grep -E 'warning|error' || true
test -x "$build/weft" || { echo "weft setup: build failed" >&2; exit 1; }
