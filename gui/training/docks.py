"""The training controller's dock widgets: the Training panel (scrolling) and the live views."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QScrollArea

DOCK_AREAS = {"Training": Qt.LeftDockWidgetArea, "Loss and accuracy": Qt.BottomDockWidgetArea,
              "Gradient flow": Qt.BottomDockWidgetArea, "Decision boundary": Qt.RightDockWidgetArea,
              "Gradient matrix": Qt.RightDockWidgetArea, "Predictions": Qt.RightDockWidgetArea}


def make_docks(panel, views, parent) -> dict[str, QDockWidget]:
    """Title -> dock: the panel in a scroll area, then ``views`` (metrics, gradient flow,
    decision boundary, gradient matrix, predictions) in that order, for the window to place."""
    scroll = QScrollArea()
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(panel.sizeHint().width() + 20)
    for w in views[:4]:
        w.setMinimumHeight(80)
    docks = {}
    titles = ("Loss and accuracy", "Gradient flow", "Decision boundary", "Gradient matrix", "Predictions")
    for title, widget in (("Training", scroll), *zip(titles, views)):
        dock = QDockWidget(title, parent)
        dock.setObjectName(title.replace(" ", "_"))
        dock.setWidget(widget)
        docks[title] = dock
    return docks
