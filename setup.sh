#!/usr/bin/env bash
# Installs everything Backprop Studio needs into ./.venv: Debian's libraries for Qt (and Xvfb,
# for machines with no display), Python 3 with venv when missing, then the Python packages at
# the exact versions in constraints.txt. Safe to run again: a .venv that an earlier, interrupted
# run left without a working python or pip is rebuilt. Checked on minimal Debian 12 and 13.
set -euo pipefail
cd "$(dirname "$0")"

DEBS="libglib2.0-0 libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3
      xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
      libxcb-render-util0 libxcb-shape0 libxkbcommon-x11-0"
PY=${PYTHON:-python3}

# A Python that can make a venv with pip in it (Debian splits ensurepip into python3-venv).
python_ok() { command -v "$PY" >/dev/null && "$PY" -c 'import ensurepip, venv' 2>/dev/null; }

if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
  # Debian 13 renamed some libraries (libglib2.0-0 is libglib2.0-0t64 there): either name counts.
  installed() {
    for name in "$1" "$1t64"; do
      dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "ok installed" && return 0
    done
    return 1
  }
  missing=$(for p in $DEBS; do installed "$p" || echo "$p"; done)
  python_ok || missing="$missing python3 python3-venv"
  if [ -n "$(echo $missing)" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "Installing Debian packages: $(echo $missing)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  fi
fi

if ! python_ok; then
  echo "setup.sh: $PY with its venv module is needed (on Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$PY" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'; then
  echo "setup.sh: Backprop Studio needs Python 3.11, 3.12 or 3.13; $PY is $("$PY" -V 2>&1)." \
       "Set PYTHON=python3.X to choose another." >&2
  exit 1
fi

# Reuse .venv only if its python runs and has pip; anything less is left from a failed run.
if [ -e .venv ] && ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  echo "Rebuilding .venv: it has no working python or pip (an earlier run stopped part-way)"
  rm -rf .venv
fi
[ -d .venv ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[test]"
