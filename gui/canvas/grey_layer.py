"""Every edge of a large connection in grey, kept as a picture in device pixels.

The picture covers the part of the connection inside the viewport and stays valid while the
view only pans by whole pixels. When the zoom, the viewport or the edges change, the layer
draws a stand-in at once (a subsample of the edges within ``STANDIN_PIXELS``) and the scene's
``EdgeRefiner`` draws the new picture on worker threads; the settled picture is pixel for
pixel what drawing every edge straight onto the viewport gives. While a drag or zoom is in
flight (``ConnectionItem.set_coarse``) only the stand-in is drawn.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QTransform
from PySide6.QtWidgets import QGraphicsItem
from shiboken6 import isValid

from gui.canvas.device_picture import placement
from gui.canvas.edge_refiner import RefineJob
from gui.canvas.line_drawing import cosmetic_pen, draw_line_buffer
from gui.core import colormap

STANDIN_PIXELS = 1.0e6    # line pixels a stand-in may draw (~4 ms in the software renderer)


class GreyLayer(QGraphicsItem):
    """The grey edges of its parent ``ConnectionItem`` (which draws the coloured ones on top)."""

    progressive = True    # False: draw every edge in each paint (the reference picture)

    def __init__(self, parent):
        super().__init__(parent)
        self.setFlag(QGraphicsItem.ItemStacksBehindParent)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self._pen = cosmetic_pen(colormap.GREY)
        self._version = 0
        self._picture = None          # (key, QImage)
        self._job: RefineJob | None = None
        self._standin = (None, None)  # (version, step) -> lines
        self._painted = None          # (widget, world transform) of the latest paint

    def boundingRect(self) -> QRectF:
        return self.parentItem().boundingRect()

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def contains(self, point) -> bool:
        return False

    def geometry_changed(self) -> None:
        """The edges moved or changed: the picture and any refinement in progress are stale."""
        self._version += 1
        self._drop_job()
        self.update()

    def refining(self) -> bool:
        return self._job is not None

    def _drop_job(self) -> None:
        refiner = self._refiner()
        if self._job is not None and refiner is not None:
            refiner.cancel(self)
        self._job = None

    def _refiner(self):
        return getattr(self.scene(), "edge_refiner", None)

    # ----- painting ----------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:
        parent = self.parentItem()
        painter.setClipRect(self.boundingRect(), Qt.IntersectClip)
        painter.setRenderHint(QPainter.Antialiasing, False)
        painter.setPen(self._pen)
        refiner = self._refiner()
        if widget is None or refiner is None or not GreyLayer.progressive:
            draw_line_buffer(painter, parent.grey_lines(), 0, len(parent.grey_lines()))
            return
        t = painter.worldTransform()
        self._painted = (widget, QTransform(t))
        key, device = self._placement(widget, t)
        if device.isEmpty():
            return
        if self._picture is None or self._picture[0] != key:
            if parent.is_coarse():
                self._draw_standin(painter, t)
                return
            if self._job is None or self._job.key != key:
                self._start_job(refiner, key, t, device)
            if self._job is not None:
                self._draw_standin(painter, t)
                return
        painter.save()
        painter.resetTransform()
        painter.drawImage(device.topLeft(), self._picture[1])
        painter.restore()

    def refine(self) -> None:
        """A zoom or drag has settled: start drawing every edge where the latest paint placed
        the picture (the stand-in it shows stays until the picture is done, so nothing needs
        repainting meanwhile); without a paint to go by, ask for one."""
        refiner = self._refiner()
        if self._painted is None or refiner is None or not isValid(self._painted[0]) \
                or not GreyLayer.progressive:
            self.update()
            return
        widget, t = self._painted
        key, device = self._placement(widget, t)
        if device.isEmpty() or (self._picture is not None and self._picture[0] == key):
            self.update()       # a paint that only shows the picture it has
            return
        if self._job is None or self._job.key != key:
            self._start_job(refiner, key, t, device)
        if self._job is None:   # small: drawn at once
            self.update()

    def _placement(self, widget, t: QTransform):
        """The picture's key and device rect for a paint with ``t`` on ``widget``."""
        where, device = placement(t, self.boundingRect(), widget)
        return (self._version, *where), device

    def _start_job(self, refiner, key, t: QTransform, device) -> None:
        """Start drawing the picture for ``key``; a small one is drawn at once."""
        self._drop_job()
        lines = self.parentItem().lines
        to_image = t * QTransform.fromTranslate(-device.x(), -device.y())
        job = RefineJob(self, key, lines, self._pen, to_image, self.boundingRect(),
                        device.size(), self._finished)
        pixels = len(lines) * self.parentItem().mean_length() * _scale(t)
        if refiner.seconds_for(pixels) <= refiner.at_once_s:
            job.run_now()
        else:
            self._job = job
            refiner.schedule(job)

    def _finished(self, job: RefineJob) -> None:
        self._picture = (job.key, job.image)
        if self._job is job:
            self._job = None
            self.update()

    def _draw_standin(self, painter: QPainter, t: QTransform) -> None:
        """A subsample of the edges, drawn straight away: the fan's shape at a glance."""
        parent = self.parentItem()
        lines = parent.lines
        budget = max(1, int(STANDIN_PIXELS / max(parent.mean_length() * _scale(t), 1.0)))
        step = max(1, math.ceil(len(lines) / budget))
        if self._standin[0] != (self._version, step):   # kept across frames, already float64:
            self._standin = ((self._version, step),        # nothing to allocate or widen per frame
                             np.ascontiguousarray(lines[::step] if step > 1 else lines, dtype=np.float64))
        sub = self._standin[1]
        draw_line_buffer(painter, sub, 0, len(sub))


def _scale(t: QTransform) -> float:
    return math.hypot(t.m11(), t.m12())
