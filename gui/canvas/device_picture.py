"""What an item drew, kept as an image in device pixels until what it shows changes.

A repaint of the view (an animation's frame, a plot beside it) then costs one image blit
instead of thousands of lines. Only opaque, non-antialiased drawing is kept this way, so
that the image over the background is pixel for pixel the drawing itself. Painting that
is not to a view (``widget`` None: an export to an image or SVG) is always drawn directly:
an SVG keeps its vector lines.

A paint of the view redraws pictures for at most ``FRAME_BUDGET_S`` (by what each cost last
time; at least one): a picture over budget whose only change is new values shows its last
image for one more frame and asks for another, so that a snapshot's recolouring is spread
over frames instead of one long paint. A settled view shows every picture up to date.
"""
from __future__ import annotations

import time

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QTransform


FRAME_BUDGET_S = 0.003


class _Frames(QObject):
    """Counts a view's paint events; what the pictures redrew within the current one."""

    def __init__(self, widget):
        super().__init__(widget)
        self.frame, self.spent, self.spent_frame = 0, 0.0, -1
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Paint:
            self.frame += 1
        return False

    def allows(self, cost: float) -> bool:
        if self.spent_frame != self.frame:
            self.spent_frame, self.spent = self.frame, 0.0
        return self.spent == 0.0 or self.spent + cost <= FRAME_BUDGET_S

    def spend(self, seconds: float) -> None:
        self.spent += max(seconds, 1e-9)


def _frames(widget) -> _Frames:
    frames = widget.findChild(_Frames, options=Qt.FindDirectChildrenOnly)
    return frames if frames is not None else _Frames(widget)


class DevicePicture:
    """One item's cached drawing for one view; ``invalidate`` when what it shows changes."""

    def __init__(self):
        self._key = None
        self._image: QImage | None = None
        self._version = 0
        self._cost = 0.0

    def invalidate(self) -> None:
        """What is drawn changed (new values, moved edges)."""
        self._version += 1

    def paint(self, painter: QPainter, widget, rect: QRectF, draw: Callable[[QPainter], None],
              direct: bool = False) -> bool:
        """Show ``draw``'s drawing (clipped to ``rect``, item coordinates) from the cache;
        False if it showed the last image, out of date, and wants another frame.

        ``direct``: draw without the cache (what changes every frame, as during a drag).
        """
        if widget is None or direct:
            painter.save()
            painter.setClipRect(rect, Qt.IntersectClip)
            draw(painter)
            painter.restore()
            return True
        t = painter.worldTransform()
        device = t.mapRect(rect).toAlignedRect() & widget.rect()
        if device.isEmpty():
            return True
        place = (id(widget), t.m11(), t.m12(), t.m21(), t.m22(),
                 round(t.dx() - device.x(), 6), round(t.dy() - device.y(), 6), device.size())
        current = True
        if self._key != (self._version, place):
            frames = _frames(widget)
            # Only new values may wait a frame: a moved or zoomed picture would show misplaced.
            if self._key is None or self._key[1] != place or frames.allows(self._cost):
                start = time.perf_counter()
                self._image = self._render(t, device, widget.devicePixelRatioF(), rect, draw)
                self._key, self._cost = (self._version, place), time.perf_counter() - start
                frames.spend(self._cost)
            else:
                current = False
        painter.save()
        painter.resetTransform()
        painter.drawImage(device.topLeft(), self._image)
        painter.restore()
        return current

    @staticmethod
    def _render(t: QTransform, device, ratio: float, rect: QRectF, draw) -> QImage:
        image = QImage(device.size() * ratio, QImage.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(0)
        p = QPainter(image)
        p.setTransform(t * QTransform.fromTranslate(-device.x(), -device.y()))
        p.setClipRect(rect, Qt.IntersectClip)
        draw(p)
        p.end()
        return image
