"""The app's icons: resources/icons/<name>.svg loaded once as QIcon."""
from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from engine.files.resources import resource_path

ICON_DIR = resource_path("icons")


@cache
def icon(name: str) -> QIcon:
    """The icon ``name`` (file stem); an empty QIcon if the file is missing."""
    path = ICON_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()
