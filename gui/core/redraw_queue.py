"""Live views redrawn in turn: one redraw per tick, none for a view nobody can see.

While a network trains, snapshots arrive ~30 times a second and each one changes the loss
plot, the gradient flow, the prediction views... Redrawn all at once, their repaints land
in one paint pass with the canvas and the window stops answering for 20 to 30 ms. So every
``Coalescer`` (a view's "redraw when you can") waits its turn in the application's one
``RedrawQueue``: each tick runs the oldest pending redraw whose view is on screen, and no
view is redrawn more often than its own ``min_interval_ms``. A view in a closed dock or a
hidden tab keeps its redraw pending and catches up, with the newest data, when it is shown.

``shared_queue(0)`` is a second queue that runs a job every event-loop turn: small pieces of
drawing into the canvas's kept pictures (gui/canvas/device_picture.py) and the canvas's share
of a training snapshot. Busy views say when they have painted (``painted()``); a job can then
wait for a turn of its own (``since_painted()``), so that no turn both paints and draws.
"""
from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer
from shiboken6 import isValid

TICK_MS = 16                # one redraw per tick: ~60 a second shared by all the views
PARKED_MS = 100            # how often the redraws of hidden views look whether they are shown
MIN_INTERVAL_MS = 100       # a view redraws at most ~10 times a second while data stream in


_painted = [0.0]          # perf_counter at the end of the latest paint of a busy view


def painted() -> None:
    """A busy view (the canvas, a live plot) has just painted: jobs that are ``due`` only
    ``since_painted() > …`` wait for the next turn, so that no turn both paints and draws."""
    _painted[0] = time.perf_counter()


def since_painted() -> float:
    """Seconds since the latest ``painted()``."""
    return time.perf_counter() - _painted[0]


def hidden(widget) -> bool:
    """On a shown window but not visible itself: a closed dock, a tab behind another.
    (A widget whose window is not shown, as in a test or before the window opens, is not
    hidden: it redraws as it always did.)"""
    return widget is not None and widget.window().isVisible() and not widget.isVisible()


class RedrawQueue(QObject):
    """Pending redraws (objects with ``dirty``, ``widget``, ``due()`` and ``flush()``), run one per tick."""

    def __init__(self, parent=None, interval_ms: int = TICK_MS):
        super().__init__(parent)
        self._pending: deque = deque()
        self._parked: list = []                  # redraws waiting for their view to be shown
        self._interval = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.run_next)

    def request(self, job) -> None:
        if job not in self._pending:
            self._pending.append(job)
        self._timer.setInterval(self._interval)
        if not self._timer.isActive():
            self._timer.start()

    def has_pending(self, kind: type) -> bool:
        """Some job of class ``kind`` still waits to run."""
        return any(isinstance(job, kind) and job.dirty for job in self._pending)

    def finish(self, kind: type) -> bool:
        """Run every waiting job of class ``kind`` to its end now; True if there was one."""
        jobs = [job for job in self._pending if isinstance(job, kind) and job.dirty and _alive(job.widget)]
        for job in jobs:
            while job.dirty:
                job.flush()
        return bool(jobs)

    def run_next(self) -> bool:
        """Run the oldest due redraw of a view on screen; True if one ran. Redraws of hidden
        views wait (looked at again every PARKED_MS) until their view is shown."""
        self._pending.extend(j for j in self._parked if j not in self._pending)
        self._parked = []
        waiting = deque()
        ran = False
        while self._pending and not ran:
            job = self._pending.popleft()
            if not job.dirty or not _alive(job.widget):
                continue
            if hidden(job.widget):
                self._parked.append(job)
            elif not job.due():
                waiting.append(job)
            else:
                job.flush()
                ran = True
                if job.dirty and job not in self._pending:
                    self._pending.append(job)       # done in parts: the next part after the others
        self._pending.extendleft(reversed(waiting))
        if self._pending:
            # Only jobs not yet due: look again in a millisecond rather than spin the loop.
            self._timer.setInterval(self._interval if ran else max(self._interval, 1))
        elif self._parked:
            self._timer.setInterval(PARKED_MS)
        else:
            self._timer.stop()
        return ran


def _alive(widget) -> bool:
    return widget is None or isValid(widget)


_shared: dict[int, RedrawQueue] = {}


def shared_queue(interval_ms: int = TICK_MS) -> RedrawQueue:
    """The application's queue running a job every ``interval_ms`` (made on first use, owned
    by the QApplication): the views' redraws every TICK_MS, the canvas pictures' every turn."""
    queue = _shared.get(interval_ms)
    if queue is None or not isValid(queue):
        queue = _shared[interval_ms] = RedrawQueue(QCoreApplication.instance(), interval_ms)
    return queue


class Coalescer:
    """Calls ``redraw`` when the queue gets to it, however often ``schedule`` was called;
    ``flush`` redraws at once (if anything changed), whatever the queue says."""

    def __init__(self, widget, redraw, min_interval_ms: int = MIN_INTERVAL_MS, queue: RedrawQueue | None = None):
        self.dirty = False
        self.widget = widget
        self.last = 0.0                 # perf_counter of the latest redraw
        self._redraw = redraw
        self._interval = min_interval_ms / 1000.0
        self._queue = queue

    def due(self) -> bool:
        return time.perf_counter() - self.last >= self._interval

    def schedule(self) -> None:
        self.dirty = True
        (self._queue if self._queue is not None else shared_queue()).request(self)

    def flush(self) -> None:
        """Redraw now if anything changed since the last redraw."""
        if self.dirty:
            self.dirty = False
            self.last = time.perf_counter()
            self._redraw()
