"""An action's tooltip and status-bar tip, written once for every menu that makes actions."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence


def set_tips(action: QAction, tip: str) -> None:
    """Tooltip (with the shortcut) and status tip."""
    keys = action.shortcut().toString(QKeySequence.NativeText)
    action.setToolTip(f"{tip} ({keys})" if keys else tip)
    action.setStatusTip(tip)
