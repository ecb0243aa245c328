"""Python's cyclic garbage collection, moved out of paints and threads onto a GUI timer."""
from functools import cache

from pyqtgraph.util.garbage_collector import GarbageCollector

INTERVAL_S = 0.5


@cache
def collect_between_events() -> GarbageCollector:
    """Turn off automatic cyclic collection and collect from a timer in the GUI thread.

    Left automatic, a collection starts inside whichever allocation crosses the threshold:
    inside a plot's paint it can free a widget held only by a reference cycle whose child is
    the one being painted (a segfault), and in a worker thread it can destroy Qt objects
    off their thread. From a timer it runs between events, where freeing anything is safe.
    Needs a QApplication; calling it again returns the collector already running.
    """
    return GarbageCollector(interval=INTERVAL_S)
