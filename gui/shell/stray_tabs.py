"""Hide the copy of a dock tab bar that tabifying leaves behind.

When the training docks are tabified, Qt's main-window layout ends up with two tab bars
holding the same tabs; only one is placed under its docks, the other stays visible at
the spot where it was made and paints over the replay dock's title. A tab bar is in use
when it sits right against one of the docks it names; any other visible one is a stray.
"""
from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar

NEAR = 6    # px between a dock's edge and its tab bar


def _touches(bar: QTabBar, dock: QDockWidget) -> bool:
    b, d = bar.geometry(), dock.geometry()
    beside = min(abs(b.top() - d.bottom()), abs(d.top() - b.bottom())) <= NEAR
    return beside and b.left() < d.right() and d.left() < b.right()


def hide_stray_tab_bars(window: QMainWindow) -> int:
    """Hide every visible tab bar not placed against a dock it names; returns how many."""
    docks = {d.windowTitle(): d for d in window.findChildren(QDockWidget) if d.isVisible()}
    hidden = 0
    for bar in window.findChildren(QTabBar):
        if bar.parentWidget() is not window or not bar.isVisible():
            continue
        named = [docks[bar.tabText(i)] for i in range(bar.count()) if bar.tabText(i) in docks]
        if named and not any(_touches(bar, d) for d in named):
            bar.hide()
            hidden += 1
    return hidden
