"""``backprop-studio --install-desktop``: a menu entry (.desktop file) and icon for this user.

Only ever written when asked for: nothing else in the app touches the desktop's folders. The
files follow the XDG specs: ``$XDG_DATA_HOME/applications/backprop-studio.desktop`` and the
icon in ``$XDG_DATA_HOME/icons/hicolor/scalable/apps/`` (XDG_DATA_HOME defaults to
~/.local/share).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from engine.files.atomic import atomic_write
from engine.files.resources import resource_path

APP_ID = "backprop-studio"
COMMAND = "backprop-studio"
_RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')


def data_home(env=None) -> Path:
    env = os.environ if env is None else env
    value = env.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def launcher() -> list[str]:
    """The command that starts the app: the installed script, else this Python with the module."""
    beside = Path(sys.executable).parent / COMMAND          # a venv's bin/ holds both
    if beside.is_file():
        return [str(beside)]
    found = shutil.which(COMMAND)
    if found:
        return [os.path.abspath(found)]
    return [sys.executable, "-m", "gui.shell.entry"]


def quote_exec_arg(arg: str) -> str:
    """One argument of a desktop entry's Exec key, quoted as the Desktop Entry spec asks."""
    if not (_RESERVED & set(arg)):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def desktop_entry(command: list[str]) -> str:
    exec_line = " ".join(quote_exec_arg(a).replace("%", "%%") for a in command)
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=Backprop Studio",
        "GenericName=Neural network designer",
        "Comment=Design neural networks on a canvas and watch the chain rule train them",
        f"Exec={exec_line} %f",
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Education;Science;Development;",
        "MimeType=application/json;",
        f"StartupWMClass={APP_ID}",
        "",
    ])


def install_desktop(env=None) -> int:
    """Write the desktop entry and icon; print where; 0 on success, 1 (one line) if not."""
    home = data_home(env)
    entry = home / "applications" / f"{APP_ID}.desktop"
    icon = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    try:
        for path in (entry, icon):
            path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(icon, "wb") as f:
            f.write(resource_path("icons", "app.svg").read_bytes())
        with atomic_write(entry, "w") as f:
            f.write(desktop_entry(launcher()))
    except OSError as e:
        print(f"error: could not install the desktop entry: {e}", file=sys.stderr)
        return 1
    print(f"installed {entry}\ninstalled {icon}\n"
          f"Backprop Studio is in the desktop's menu; remove these two files to take it out.")
    return 0
