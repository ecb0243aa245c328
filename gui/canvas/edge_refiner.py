"""Refining large connections in slices, so a full redraw never blocks the event loop.

After a zoom or a drag settles, each large connection's grey layer (grey_layer.py) must draw
every edge once more into its picture: ~100k full-length lines take longer than a frame. The
``EdgeRefiner`` runs that drawing in slices of about ``SLICE_MS`` on a zero-interval timer,
so mouse and key events are handled between slices; meanwhile the layer shows a stand-in.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QTransform, Qt
from shiboken6 import isValid

from gui.canvas.line_drawing import DrawRate, draw_line_buffer

SLICE_MS = 12.0           # drawing per event-loop turn
FIRST_CHUNK = 1000        # lines in a slice's first draw, before the rate is known
NS_PER_PIXEL = 5.0        # first guess of the line drawing cost; measured as slices run


class RefineJob:
    """Draw all of ``lines`` with ``pen`` into a fresh image of ``size`` with ``transform``,
    clipped to ``clip`` (item coordinates); ``done`` is called with the image at the end."""

    def __init__(self, owner, key, lines, pen, transform: QTransform, clip, size, done):
        self.owner, self.key, self.lines, self.pen = owner, key, lines, pen
        self.transform, self.clip, self.done = transform, clip, done
        self.image = QImage(size, QImage.Format_ARGB32_Premultiplied)
        self.image.fill(0)
        self.next = 0

    def run(self, deadline: float, refiner: EdgeRefiner) -> bool:
        """Draw chunks until ``deadline`` (perf_counter seconds); True once every line is in."""
        painter = QPainter(self.image)
        painter.setTransform(self.transform)
        painter.setClipRect(self.clip, Qt.IntersectClip)
        painter.setRenderHint(QPainter.Antialiasing, False)
        painter.setPen(self.pen)
        n = len(self.lines)
        while self.next < n:
            now = time.perf_counter()
            if now >= deadline:
                break
            count = min(n - self.next, refiner.lines_for(deadline - now))
            draw_line_buffer(painter, self.lines, self.next, count)
            refiner.measured(count, time.perf_counter() - now)
            self.next += count
        painter.end()
        if self.next >= n:
            self.done(self)
            return True
        return False


class EdgeRefiner(QObject):
    """Runs ``RefineJob``\\ s a slice per event-loop turn; ``settled`` once none is left."""

    settled = Signal()

    def __init__(self, parent=None, slice_ms: float = SLICE_MS):
        super().__init__(parent)
        self.slice_s = slice_ms / 1000
        self._jobs: list[RefineJob] = []
        self._rate = DrawRate()
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._tick)

    def pending(self) -> bool:
        return bool(self._jobs)

    def schedule(self, job: RefineJob) -> None:
        """Queue ``job``, replacing any job of the same owner (its picture is out of date)."""
        self._jobs = [j for j in self._jobs if j.owner is not job.owner] + [job]
        self._timer.start()

    def cancel(self, owner) -> None:
        self._jobs = [j for j in self._jobs if j.owner is not owner]

    def lines_for(self, seconds: float) -> int:
        return self._rate.lines_for(seconds, FIRST_CHUNK)     # inf (finish()): all that is left

    def measured(self, count: int, seconds: float) -> None:
        self._rate.measured(count, seconds)

    def seconds_for(self, pixels: float) -> float:
        """A guess of the time to draw ``pixels`` pixels of thin lines."""
        return pixels * NS_PER_PIXEL * 1e-9

    def finish(self) -> None:
        """Run every queued job to its end now (a picture for export, tests)."""
        while self._jobs:
            self._tick(deadline=float("inf"))

    def _tick(self, deadline: float | None = None) -> None:
        if deadline is None:
            deadline = time.perf_counter() + self.slice_s
        while self._jobs and time.perf_counter() < deadline:
            job = self._jobs[0]
            if not isValid(job.owner):      # its connection was removed while it waited
                self._jobs.remove(job)
                continue
            if job.run(deadline, self):
                self._jobs.remove(job)
        if not self._jobs:
            self._timer.stop()
            self.settled.emit()
