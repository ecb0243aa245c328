"""The training controller's dock widgets: the Training panel (scrolling) and the live views.

The views in docks that start hidden (gradient flow, gradient matrix, predictions) are built
on first use (``LazyView``): a window that is only looked at, or a screenshot, never pays for
their plots.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QScrollArea, QWidget

from gui.plots.gradient_flow import GradientFlowPlot
from gui.plots.gradient_matrix import GradientMatrixView
from gui.plots.predictions import PredictionsView

DOCK_AREAS = {"Training": Qt.LeftDockWidgetArea, "Loss and accuracy": Qt.BottomDockWidgetArea,
              "Gradient flow": Qt.BottomDockWidgetArea, "Decision boundary": Qt.RightDockWidgetArea,
              "Gradient matrix": Qt.RightDockWidgetArea, "Predictions": Qt.RightDockWidgetArea}
LAZY_VIEWS = {"Gradient flow": GradientFlowPlot, "Gradient matrix": GradientMatrixView,
              "Predictions": PredictionsView}
MIN_VIEW_HEIGHT = 80


class LazyView:
    """A dock's view, built by ``factory`` the first time it is asked for (``get()``, or any
    attribute: the object stands in for the view) or its dock is shown; then ``on_built(view)``
    runs, to bring it up to date."""

    def __init__(self, dock: QDockWidget, factory: Callable[[], QWidget],
                 on_built: Callable[[QWidget], None] | None = None):
        self._dock, self._factory, self.on_built = dock, factory, on_built
        self._view: QWidget | None = None
        self._waiting: dict[str, tuple] = {}       # method name -> the latest arguments
        placeholder = QWidget()
        placeholder.setMinimumHeight(MIN_VIEW_HEIGHT)
        dock.setWidget(placeholder)
        dock.visibilityChanged.connect(self._on_visibility)

    def is_built(self) -> bool:
        return self._view is not None

    def get(self) -> QWidget:
        if self._view is None:
            view = self._view = self._factory()
            view.setMinimumHeight(MIN_VIEW_HEIGHT)
            placeholder = self._dock.widget()
            self._dock.setWidget(view)
            placeholder.deleteLater()
            for name, args in self._waiting.items():
                getattr(view, name)(*args)
            self._waiting.clear()
            if self.on_built is not None:
                self.on_built(view)
        return self._view

    def call_when_built(self, name: str, *args) -> None:
        """``view.name(*args)`` now if the view is built, else once it is (the latest call per name)."""
        if self._view is None:
            self._waiting[name] = args
        else:
            getattr(self._view, name)(*args)

    def deferring(self):
        """A stand-in whose every method is ``call_when_built``: for a caller that only draws on it."""
        return _Deferring(self)

    def __getattr__(self, name: str):
        return getattr(self.get(), name)

    def _on_visibility(self, visible: bool) -> None:
        if visible:
            self.get()


class _Deferring:
    def __init__(self, lazy: LazyView):
        self._lazy = lazy

    def __getattr__(self, name: str):
        return lambda *args: self._lazy.call_when_built(name, *args)


def make_docks(panel, metrics, boundary, parent) -> tuple[dict[str, QDockWidget], dict[str, LazyView]]:
    """Title -> dock (the panel in a scroll area, the loss plot, the decision boundary, and
    the ``LAZY_VIEWS``), for the window to place; and title -> LazyView."""
    scroll = QScrollArea()
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(panel.sizeHint().width() + 20)
    for view in (metrics, boundary):
        view.setMinimumHeight(MIN_VIEW_HEIGHT)
    docks = {"Training": _dock("Training", scroll, parent),
             "Loss and accuracy": _dock("Loss and accuracy", metrics, parent),
             "Gradient flow": _dock("Gradient flow", None, parent),
             "Decision boundary": _dock("Decision boundary", boundary, parent),
             "Gradient matrix": _dock("Gradient matrix", None, parent),
             "Predictions": _dock("Predictions", None, parent)}
    lazy = {title: LazyView(docks[title], factory) for title, factory in LAZY_VIEWS.items()}
    return docks, lazy


def _dock(title: str, widget: QWidget | None, parent) -> QDockWidget:
    dock = QDockWidget(title, parent)
    dock.setObjectName(title.replace(" ", "_"))
    if widget is not None:
        dock.setWidget(widget)
    return dock
