"""Drawing large connections' full pictures on worker threads, so a full redraw never blocks
the event loop.

After a zoom or a drag settles, each large connection's grey layer (grey_layer.py) must draw
every edge once more into its picture: ~100k full-length lines take longer than a frame. The
``EdgeRefiner`` hands that drawing to one worker thread per core. Each worker takes the
job's lines a chunk at a time and draws them into an image of its own (``draw_line_buffer``
lets go of the GIL while Qt draws, so the workers draw at the same time and the GUI thread
stays free); a worker that is held up simply takes fewer chunks. Once every line is in, the
GUI thread lays the images over each other. A job has one opaque pen and no antialiasing, so
a pixel is the pen's colour wherever any line covers it, whatever the order the lines were
drawn in: the laid-over images are pixel for pixel one drawing of all the lines.
"""
from __future__ import annotations

import os
import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QPen, QTransform, Qt
from shiboken6 import isValid

from gui.canvas.line_drawing import DrawRate, draw_line_buffer

if TYPE_CHECKING:    # concurrent.futures is imported when a first picture needs the workers
    from concurrent.futures import Future, ThreadPoolExecutor

AT_ONCE_MS = 12.0         # a drawing expected to take less is done at once, in the paint
CHUNK_S = 0.005           # a worker's chunk of lines: a late worker leaves at most this undone
FIRST_CHUNK = 1000        # lines in a chunk before the drawing rate is known
NS_PER_PIXEL = 5.0        # first guess of the line drawing cost
POLL_MS = 2               # the GUI thread looks for finished pictures this often


class RefineJob:
    """Draw all of ``lines`` with ``pen`` (opaque, aliased) into a fresh image of ``size``
    with ``transform``, clipped to ``clip`` (item coordinates); ``done`` is called with the
    job once ``image`` holds the picture."""

    def __init__(self, owner, key, lines, pen, transform: QTransform, clip, size, done):
        if pen.color().alpha() != 255:
            raise ValueError("a refined picture needs an opaque pen (its lines are drawn in any order)")
        self.owner, self.key, self.lines, self.done = owner, key, lines, done
        self.pen, self.transform, self.clip = QPen(pen), QTransform(transform), clip
        self.size = size
        self.image: QImage | None = None
        self.cancelled = False
        self.workers: list[Future] = []
        self._next = 0
        self._lock = threading.Lock()

    def draw(self, rate: DrawRate | None = None) -> QImage | None:
        """Draw chunks of the lines not yet taken into an image of this call's own until none
        is left (any thread); None if it took none or the job was cancelled."""
        image = painter = None
        while not self.cancelled:
            start, stop = self._take(len(self.lines) if rate is None else rate.lines_for(CHUNK_S, FIRST_CHUNK))
            if start >= stop:
                break
            if painter is None:
                image = _blank(self.size)
                painter = self._painter(image)
            began = time.perf_counter()
            draw_line_buffer(painter, self.lines, start, stop - start)
            if rate is not None:
                rate.measured(stop - start, time.perf_counter() - began)
        if painter is not None:
            painter.end()
        return None if self.cancelled else image

    def run_now(self) -> None:
        """Draw the whole picture on this thread and report it done."""
        self.image = self.draw() or _blank(self.size)
        self.done(self)

    def compose(self) -> None:
        """Lay the workers' images over each other (GUI thread)."""
        images = [image for image in (worker.result() for worker in self.workers) if image is not None]
        if not images:
            self.image = _blank(self.size)
            return
        painter = QPainter(images[0])
        for image in images[1:]:
            painter.drawImage(0, 0, image)
        painter.end()
        self.image = images[0]

    def _take(self, count: int) -> tuple[int, int]:
        with self._lock:
            start = self._next
            self._next = min(len(self.lines), start + count)
            return start, self._next

    def _painter(self, image: QImage) -> QPainter:
        painter = QPainter(image)
        painter.setTransform(self.transform)
        # A rect clip also keeps Qt on its fast path for opaque cosmetic lines (without one
        # every pixel goes through the general span blender: ten times slower).
        painter.setClipRect(self.clip, Qt.IntersectClip)
        painter.setRenderHint(QPainter.Antialiasing, False)
        painter.setPen(self.pen)
        return painter


def _blank(size) -> QImage:
    image = QImage(size, QImage.Format_ARGB32_Premultiplied)
    image.fill(0)
    return image


class EdgeRefiner(QObject):
    """Draws ``RefineJob``\\ s on worker threads; ``settled`` once none is left."""

    settled = Signal()

    def __init__(self, parent=None, at_once_ms: float = AT_ONCE_MS):
        super().__init__(parent)
        self.at_once_s = at_once_ms / 1000
        self.workers = worker_count()   # threads drawing each job
        self._jobs: list[RefineJob] = []
        self._rate = DrawRate()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._collect)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.cancel_all)

    def pending(self) -> bool:
        return bool(self._jobs)

    def schedule(self, job: RefineJob) -> None:
        """Start ``job``, replacing any job of the same owner (its picture is out of date)."""
        self.cancel(job.owner)
        job.workers = [_pool().submit(job.draw, self._rate) for _ in range(self.workers)]
        self._jobs.append(job)
        self._timer.start()

    def cancel(self, owner) -> None:
        for job in self._jobs:
            if job.owner is owner:
                job.cancelled = True
        self._jobs = [j for j in self._jobs if not j.cancelled]

    def cancel_all(self) -> None:
        for job in self._jobs:
            job.cancelled = True
        self._jobs = []
        self._timer.stop()

    def seconds_for(self, pixels: float) -> float:
        """A guess of the time to draw ``pixels`` pixels of thin lines."""
        return pixels * NS_PER_PIXEL * 1e-9

    def finish(self) -> None:
        """Wait for every job and show it now (a picture for export, a screenshot, tests)."""
        for job in self._jobs:
            for worker in job.workers:
                worker.result()
        self._collect()

    def _collect(self) -> None:
        """Show the jobs whose workers are all done (those of removed items are dropped)."""
        for job in [j for j in self._jobs if all(worker.done() for worker in j.workers)]:
            self._jobs.remove(job)
            if isValid(job.owner):
                job.compose()
                job.done(job)
        if not self._jobs:
            self._timer.stop()
            self.settled.emit()


def worker_count() -> int:
    """The cores this process may use, at most four."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:                       # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor
    return ThreadPoolExecutor(max_workers=worker_count(), thread_name_prefix="edge-refiner")
