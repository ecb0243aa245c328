"""What an item drew, kept as an image in device pixels until what it shows changes.

A repaint of the view (an animation's frame, a plot beside it) then costs one image blit
instead of thousands of lines. Only opaque, non-antialiased drawing is kept this way, so
that the image over the background is pixel for pixel the drawing itself. Painting that
is not to a view (``widget`` None: an export to an image or SVG) is always drawn directly:
an SVG keeps its vector lines.

New values are drawn before the view paints, a little at a time: ``invalidate(values_only=
True)`` queues the picture on the application's per-turn queue (``gui.core.redraw_queue``),
which draws its lines where the latest paint placed it, about ``SLICE_S`` per event-loop
turn, into a fresh image, and asks for a repaint once the image is whole. Until then the
view shows the last image. A training snapshot's recolouring so never holds the window up
longer than a slice, and the paint that follows only blits. A paint that finds the picture
out of date otherwise (the first one, a zoom, moved edges) draws it then, whole.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QImage, QPainter, QTransform
from shiboken6 import isValid

from gui.canvas.line_drawing import DrawRate
from gui.core.redraw_queue import shared_queue, since_painted

SLICE_S = 0.0015          # drawing per event-loop turn while new values come in
FIRST_LINES = 500         # lines in the first slice, before the drawing rate is known
AFTER_PAINT_S = 0.002     # a slice waits this long after a paint of a busy view

# draw(painter, start, stop) draws items [start, stop) of the picture (stop None: to the end)
Draw = Callable[..., None]


class DevicePicture:
    """One item's cached drawing for one view; ``invalidate`` when what it shows changes."""

    def __init__(self, owner=None):
        self._key = None
        self._image: QImage | None = None
        self._version = 0
        self._owner = owner             # the item repainted once a queued drawing is whole
        self._latest = None             # (widget, transform, device rect, rect, draw, place) last painted
        self._partial = None            # [key, image, lines drawn] of the queued drawing
        self._count = 0                 # lines the queued drawing has
        self._rate = DrawRate()         # how many lines fit in a slice
        self.dirty = False              # queued: new values are being drawn

    def invalidate(self, values_only: bool = False, count: int = 0) -> bool:
        """What is drawn changed (new values, moved edges). New values alone (``count`` lines),
        on a picture already painted, are drawn on the per-turn queue: True then, and the
        item is repainted when they are in; otherwise the next paint draws them."""
        self._version += 1
        self._partial = None
        if not values_only or self._owner is None or self._latest is None \
                or not isValid(self._latest[0]):
            self.dirty = False
            return False
        self.dirty, self._count = True, count
        shared_queue(0).request(self)
        return True

    @property
    def widget(self):
        """The view the picture was last painted for (what the queue checks is alive and shown)."""
        return None if self._latest is None else self._latest[0]

    def due(self) -> bool:
        # Not in the event-loop turn that just painted the view: one short piece of work per turn.
        return since_painted() > AFTER_PAINT_S

    def flush(self) -> None:
        """Draw the next slice of the queued values where the latest paint placed the picture."""
        if not self.dirty or self._latest is None:
            return
        widget, t, device, rect, draw, place = self._latest
        key = (self._version, place)
        if self._partial is None or self._partial[0] != key:
            self._partial = [key, self._blank(device, widget.devicePixelRatioF()), 0]
        image, start = self._partial[1], self._partial[2]
        p = self._painter(image, t, device, rect)
        deadline = time.perf_counter() + SLICE_S
        while start < self._count:          # at least one chunk a turn
            now = time.perf_counter()
            stop = min(self._count, start + self._rate.lines_for(deadline - now, FIRST_LINES))
            draw(p, start, stop)
            self._rate.measured(stop - start, time.perf_counter() - now)
            start = stop
            if time.perf_counter() >= deadline:
                break
        p.end()
        self._partial[2] = start
        if start >= self._count:
            self._image, self._key, self._partial, self.dirty = image, key, None, False
            _repaint_later(self._owner)

    def paint(self, painter: QPainter, widget, rect: QRectF, draw: Draw, direct: bool = False) -> None:
        """Show ``draw``'s drawing (clipped to ``rect``, item coordinates) from the cache.

        ``direct``: draw without the cache (what changes every frame, as during a drag).
        """
        if widget is None or direct:
            painter.save()
            painter.setClipRect(rect, Qt.IntersectClip)
            draw(painter)
            painter.restore()
            return
        t = painter.worldTransform()
        where, device = placement(t, rect, widget)
        if device.isEmpty():
            return
        place = (id(widget), *where)
        self._latest = (widget, t, device, rect, draw, place)
        queued = self.dirty and self._key is not None and self._key[1] == place
        if self._key != (self._version, place) and not queued:
            # Moved, zoomed or never drawn: a picture shown out of place would be wrong, so now.
            self._image = self._blank(device, widget.devicePixelRatioF())
            p = self._painter(self._image, t, device, rect)
            draw(p)
            p.end()
            self._key, self._partial, self.dirty = (self._version, place), None, False
        painter.save()
        painter.resetTransform()
        painter.drawImage(device.topLeft(), self._image)
        painter.restore()

    @staticmethod
    def _blank(device, ratio: float) -> QImage:
        image = QImage(device.size() * ratio, QImage.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(0)
        return image

    @staticmethod
    def _painter(image: QImage, t: QTransform, device, rect: QRectF) -> QPainter:
        p = QPainter(image)
        p.setTransform(t * QTransform.fromTranslate(-device.x(), -device.y()))
        p.setClipRect(rect, Qt.IntersectClip)
        return p


def placement(t: QTransform, rect: QRectF, widget):
    """Where a picture of ``rect`` (item coordinates) painted with ``t`` lands on ``widget``:
    (a key equal exactly when a kept picture can be shown there as it is, the device rect)."""
    device = t.mapRect(rect).toAlignedRect() & widget.rect()
    return (t.m11(), t.m12(), t.m21(), t.m22(), round(t.dx() - device.x(), 6),
            round(t.dy() - device.y(), 6), device.size()), device


_rendered: list = []      # items whose queued drawings are whole, not yet repainted


def _repaint_later(item) -> None:
    """Repaint ``item`` in a later turn than its last slice, with the others finished
    meanwhile: short turns draw the pictures, another paints them all."""
    _rendered.append(item)
    if len(_rendered) == 1:
        QTimer.singleShot(1, _repaint_rendered)


def _repaint_rendered() -> None:
    if shared_queue(0).has_pending(DevicePicture):
        QTimer.singleShot(1, _repaint_rendered)     # more pictures to finish first
        return
    items = list(dict.fromkeys(_rendered))
    _rendered.clear()
    for item in items:
        if isValid(item):
            item.update()


def finish_queued() -> bool:
    """Draw every queued picture whole now and ask for the repaints (a screenshot, a test);
    True if one was queued."""
    if not shared_queue(0).finish(DevicePicture):
        return False
    _repaint_rendered()
    return True
