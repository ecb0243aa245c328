"""Python's cyclic garbage collection, moved out of paints and threads onto a GUI timer."""
import gc
from functools import cache

from PySide6.QtCore import QTimer

INTERVAL_S = 0.5


class TimerCollector:
    """Automatic collection off; ``check`` (every ``interval`` seconds) collects each generation
    whose count passed Python's own threshold, as automatic collection would have."""

    def __init__(self, interval: float = INTERVAL_S):
        self.threshold = gc.get_threshold()
        self._frozen = False
        gc.disable()
        self.timer = QTimer()
        self.timer.timeout.connect(self.check)
        self.timer.start(int(interval * 1000))

    def check(self) -> None:
        if not self._frozen:
            # Everything alive by the first check (modules, the window) moves to the permanent
            # generation: a full collection then walks only what came later (the worst
            # event-loop pass while digits trains: 48 → 24 ms, bench/gui_training.py).
            self._frozen = True
            gc.freeze()     # no collection first: that alone took 40 ms of a 0.7 s start-up
            return
        l0, l1, l2 = gc.get_count()
        if l0 > self.threshold[0]:
            gc.collect(0)
            if l1 > self.threshold[1]:
                gc.collect(1)
                if l2 > self.threshold[2]:
                    gc.collect(2)


@cache
def collect_between_events() -> TimerCollector:
    """Turn off automatic cyclic collection and collect from a timer in the GUI thread.

    Left automatic, a collection starts inside whichever allocation crosses the threshold:
    inside a plot's paint it can free a widget held only by a reference cycle whose child is
    the one being painted (a segfault), and in a worker thread it can destroy Qt objects
    off their thread. From a timer it runs between events, where freeing anything is safe.
    Needs a QApplication; calling it again returns the collector already running. (The same
    scheme as pyqtgraph's GarbageCollector, without importing pyqtgraph before a plot needs it.)
    """
    return TimerCollector(INTERVAL_S)
