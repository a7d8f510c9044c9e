#!/usr/bin/env bash
# Set up EmbedStudio in ./.venv on a fresh Debian/Ubuntu machine (or any machine with Python >= 3.10).
#   scripts/setup.sh          the app and its command line
#   scripts/setup.sh --test   also the test tools (pytest, pytest-qt, hypothesis, gensim)
# The system libraries Qt needs to draw offscreen are installed with apt when we are root (or have sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

qt_libs="libgl1 libegl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3"
# the tests also validate the desktop entry (packaging/embedstudio.desktop)
[ -n "$extras" ] && qt_libs="$qt_libs desktop-file-utils"
if command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $qt_libs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo_cmd="sudo"
    if [ "$(id -u)" -eq 0 ] || [ -n "$sudo_cmd" ]; then
      echo "installing system libraries for Qt:$missing"
      $sudo_cmd apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
      echo "warning: Qt needs these system libraries, install them as root:$missing" >&2
    fi
  fi
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
echo "EmbedStudio is installed in $(pwd)/.venv"
