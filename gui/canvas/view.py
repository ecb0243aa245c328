"""The canvas view: zoom, pan, rubber-band selection and palette drops.

Wheel zooms about the cursor; pinch zooms (a native trackpad gesture or Qt's
QPinchGesture); the middle button or space+drag pans; dragging on empty space
draws a rubber band; Ctrl-click adds to the selection (Qt's own). Dropping a
palette entry (``PALETTE_MIME``) asks the scene to add that node where it lands.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsView

from gui.core.redraw_queue import painted
from gui.core.mime import carries_palette_entry, payload_from_mime_data

MIN_SCALE, MAX_SCALE = 0.02, 8.0
WHEEL_STEP = 1.0015      # zoom factor per 1/8 degree of wheel rotation
BUTTON_STEP = 1.25
FIT_MARGIN = 24.0        # pixels between the design and the view's edges after a fit
MAX_FIT_SCALE = 1.5


class CanvasView(QGraphicsView):
    """A QGraphicsView of a CanvasScene with the canvas's navigation gestures."""

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHint(QPainter.Antialiasing, True)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.NoAnchor)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.DontAdjustForAntialiasing, True)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.viewport().grabGesture(Qt.PinchGesture)
        self._pan_from: QPointF | None = None
        self._space = False

    # ----- zoom -------------------------------------------------------------
    def scale_factor(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the scene point under ``anchor`` (viewport px) in place."""
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        current = self.scale_factor()
        factor = max(MIN_SCALE / current, min(MAX_SCALE / current, factor))
        if abs(factor - 1.0) < 1e-9:
            return
        before = self.mapToScene(anchor.toPoint())
        if hasattr(self.scene(), "coarse_edges"):
            self.scene().coarse_edges()
        self.scale(factor, factor)
        after = self.mapToScene(anchor.toPoint())
        delta = after - before
        self.translate(delta.x(), delta.y())

    def zoom_in(self) -> None:
        self.zoom_by(BUTTON_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / BUTTON_STEP)

    def fit_to_view(self) -> None:
        """Show the whole design, node labels included, FIT_MARGIN pixels from each edge
        (at most at 1.5× size)."""
        rect = self.fit_rect()
        viewport = self.viewport().rect()
        room_w = max(viewport.width() - 2 * FIT_MARGIN, 1.0)
        room_h = max(viewport.height() - 2 * FIT_MARGIN, 1.0)
        scale = min(room_w / max(rect.width(), 1e-9), room_h / max(rect.height(), 1e-9), MAX_FIT_SCALE)
        scale = max(scale, MIN_SCALE)
        if hasattr(self.scene(), "coarse_edges"):
            self.scene().coarse_edges()
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(rect.center())

    def fit_rect(self) -> QRectF:
        """What fit-to-view shows: every item's bounds (a node's header label is part of its
        item, as are the replay's numbers beside the neurons)."""
        rect = self.scene().itemsBoundingRect()
        return QRectF(-200, -150, 400, 300) if rect.isEmpty() else rect

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.pixelDelta().y()
        if delta:
            self.zoom_by(WHEEL_STEP ** delta, event.position())
        event.accept()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.NativeGesture and \
                event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
            self.zoom_by(1.0 + event.value(), event.position())
            return True
        if event.type() == QEvent.Gesture:
            pinch = event.gesture(Qt.PinchGesture)
            if pinch is not None:
                anchor = self.viewport().mapFromGlobal(pinch.centerPoint().toPoint())
                self.zoom_by(pinch.scaleFactor(), QPointF(anchor))
                event.accept(pinch)
                return True
        handled = super().viewportEvent(event)
        if event.type() == QEvent.Paint:
            painted()
        return handled

    # ----- pan ----------------------------------------------------------------
    def pan_by(self, dx: float, dy: float) -> None:
        """Scroll the view by (dx, dy) viewport pixels."""
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() - round(dx))
        v.setValue(v.value() - round(dy))

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton or (self._space and event.button() == Qt.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            d = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(d.x(), d.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (Qt.MiddleButton, Qt.LeftButton):
            self._pan_from = None
            self.viewport().setCursor(Qt.OpenHandCursor if self._space else Qt.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            if self._pan_from is None:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    # ----- drops from the palette ----------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if carries_palette_entry(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event) -> None:
        # the scene checks the spec itself and says what is wrong with it
        spec = payload_from_mime_data(event.mimeData())
        if spec is None:
            if carries_palette_entry(event.mimeData()):
                self.scene().message.emit("cannot add that: the dragged entry is not readable")
            event.ignore()
            return
        pos = self.mapToScene(event.position().toPoint())
        if self.scene().add_node_at(spec, pos) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()
