"""A copy of a dock tab bar that Qt leaves unplaced (seen under xcb) is hidden; real ones stay."""
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTabBar

from gui.shell.stray_tabs import hide_stray_tab_bars


def test_only_the_unplaced_copy_is_hidden(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QLabel("canvas"))
    docks = []
    for title in ("Decision boundary", "Gradient matrix"):
        dock = QDockWidget(title, window)
        dock.setWidget(QLabel(title))
        docks.append(dock)
    window.addDockWidget(Qt.RightDockWidgetArea, docks[0])
    window.tabifyDockWidget(docks[0], docks[1])
    window.resize(800, 600)
    window.show()
    qtbot.waitExposed(window)
    placed = [b for b in window.findChildren(QTabBar) if b.isVisible()]
    stray = QTabBar(window)
    for dock in docks:
        stray.addTab(dock.windowTitle())
    stray.setGeometry(200, 40, 120, 26)        # where the canvas is, against no dock
    stray.show()
    assert hide_stray_tab_bars(window) == 1
    assert not stray.isVisible()
    assert placed and all(b.isVisible() for b in placed)
    assert hide_stray_tab_bars(window) == 0
