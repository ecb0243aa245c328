#!/usr/bin/env bash
# Installs everything Backprop Studio needs into ./.venv: Debian's libraries for Qt
# (and Xvfb, for machines with no display), then the pinned Python packages.
set -euo pipefail
cd "$(dirname "$0")"

DEBS="libglib2.0-0 libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3
      xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
      libxcb-render-util0 libxcb-shape0 libxkbcommon-x11-0"
if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
  missing=$(for p in $DEBS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"; done)
  if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "Installing system libraries for Qt: $(echo $missing)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  fi
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
