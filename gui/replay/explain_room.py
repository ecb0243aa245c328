"""Room to read the explain panel: a taller dock when it first shows, and a float button.

``FloatButton(panel)`` undocks the panel into a window of its own (tall enough for a
whole chain rule) and puts it back where it was when pressed again or when that window
is closed. ``RoomKeeper(panel)`` makes the dock holding the panel take a good share of the
main window's height the first time it is shown, so the last line of a chain (the final
product) is visible without scrolling at the default size and at 1280×800.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter, QStyle, QToolButton, QWidget

FLOAT_SIZE = (640, 720)
DOCK_SHARE = 0.5      # of the main window's height, for the dock that holds the panel
SIDE_BY_SIDE = 0.55    # bar and panel side by side only when together they need less of the width
PANEL_SHARE = 0.6      # of the splitter's width, for the panel (the replay bar's caption wraps)
MIN_DOCK_HEIGHT = 330


class FloatButton(QToolButton):
    """Checked: the panel floats in its own window; unchecked (or that window closed): docked."""

    def __init__(self, panel: QWidget):
        super().__init__(panel)
        self.panel = panel
        self._home: tuple[QSplitter, int] | None = None
        self.setText("Float")
        self.setIcon(self.style().standardIcon(QStyle.SP_TitleBarNormalButton))
        self.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.setCheckable(True)
        self.setToolTip("Undock the explanation into its own window, with room for the whole "
                        "chain rule (press again or close that window to put it back)")
        self.toggled.connect(self._on_toggled)
        panel.installEventFilter(self)

    def is_floating(self) -> bool:
        return self._home is not None

    def _on_toggled(self, on: bool) -> None:
        if on and self._home is None:
            self._float()
        elif not on and self._home is not None:
            self._dock()

    def _float(self) -> None:
        parent = self.panel.parentWidget()
        if not isinstance(parent, QSplitter):
            self.setChecked(False)
            return
        self._home = (parent, parent.indexOf(self.panel))
        top = parent.window()
        self.panel.setParent(top, Qt.Window)    # its own window, closed with the main one
        self.panel.setWindowTitle("Explain — Backprop Studio")
        self.panel.resize(*FLOAT_SIZE)
        if top is not parent:
            self.panel.move(top.geometry().topRight().x() - FLOAT_SIZE[0] - 40,
                            top.geometry().top() + 60)
        self.panel.show()

    def _dock(self) -> None:
        splitter, index = self._home
        self._home = None
        self.panel.hide()
        self.panel.setWindowFlags(Qt.Widget)
        splitter.insertWidget(index, self.panel)
        self.panel.show()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.panel and event.type() == QEvent.Close and self._home is not None:
            event.ignore()          # closing the floating window docks the panel again
            self.setChecked(False)
            return True
        return False


class RoomKeeper(QObject):
    """Gives the panel's dock a taller share of the window the first time it is shown."""

    def __init__(self, panel: QWidget):
        super().__init__(panel)
        self.panel = panel
        self._done = False
        panel.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.panel and event.type() == QEvent.Show and not self._done:
            splitter = self.panel.parentWidget()
            if isinstance(splitter, QSplitter):     # its children's widths change with the data
                splitter.installEventFilter(self)
            QTimer.singleShot(0, self, self.make_room)   # once the window has laid the dock out
        elif event.type() == QEvent.LayoutRequest and obj is self.panel.parentWidget():
            QTimer.singleShot(0, self, self._fit_orientation)
        return False

    def make_room(self) -> None:
        """A taller dock, and the wider share of a splitter beside the replay bar."""
        if self._done:
            return
        self._fit_orientation()
        self._widen()
        dock = self._dock()
        window = dock.parentWidget() if dock is not None else None
        if not isinstance(window, QMainWindow) or dock.isFloating():
            return
        self._done = True
        height = max(MIN_DOCK_HEIGHT, int(window.height() * DOCK_SHARE))
        window.resizeDocks([dock], [height], Qt.Vertical)

    def _widen(self) -> None:
        """Side by side: the other panes get their minimum width (or their share), the panel the rest."""
        splitter = self.panel.parentWidget()
        if not isinstance(splitter, QSplitter) or splitter.orientation() != Qt.Horizontal:
            return
        total = sum(splitter.sizes())
        others = [k for k in range(splitter.count())
                  if splitter.widget(k) is not self.panel and not splitter.widget(k).isHidden()]
        sizes = [0] * splitter.count()
        for k in others:
            sizes[k] = max(splitter.widget(k).minimumSizeHint().width(),
                           int(total * (1 - PANEL_SHARE) / len(others)))
        sizes[splitter.indexOf(self.panel)] = max(0, total - sum(sizes))
        splitter.setSizes(sizes)

    def _fit_orientation(self) -> None:
        """Panes stacked at full width once side by side they would need too much width."""
        splitter = self.panel.parentWidget()
        if not isinstance(splitter, QSplitter) or splitter.orientation() != Qt.Horizontal \
                or not self.panel.isVisible():
            return
        shown = [splitter.widget(k) for k in range(splitter.count())
                 if not splitter.widget(k).isHidden()]
        need = sum(w.minimumSizeHint().width() for w in shown)
        if need <= SIDE_BY_SIDE * splitter.window().width():
            return
        splitter.setOrientation(Qt.Vertical)
        height = sum(splitter.sizes())
        sizes = [0] * splitter.count()
        for w in shown:
            if w is not self.panel:
                sizes[splitter.indexOf(w)] = min(w.sizeHint().height(), int(height * 0.45))
        sizes[splitter.indexOf(self.panel)] = max(0, height - sum(sizes))
        splitter.setSizes(sizes)

    def _dock(self) -> QDockWidget | None:
        w = self.panel.parentWidget()
        while w is not None and not isinstance(w, QDockWidget):
            w = w.parentWidget()
        return w
