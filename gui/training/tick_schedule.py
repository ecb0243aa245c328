"""What a training snapshot shows beside the canvas, updated only where it can be seen.

Snapshots arrive ~30 times a second. The canvas and the counters take each one at once;
the side views (the inspector's numbers, the decision boundary, the prediction views, the
gradient matrix) take it at once while on screen, and otherwise keep one pending update,
run with the newest snapshot when their dock or tab is shown again: a closed dock costs
nothing while training. The loss and gradient-flow plots redraw through the same queue
(``gui.core.redraw_queue``), one view per tick.
"""
from __future__ import annotations

from collections.abc import Callable

from gui.core.redraw_queue import Coalescer, hidden


class SnapshotViews:
    """The side views of one controller, each with the function that brings it up to date.

    ``add(name, widget, update, needs)`` registers a view; one that ``needs`` a key only some
    snapshots carry (the validation predictions, the boundary) is refreshed by those, and
    reads the newest value with ``carried(key)``. ``refresh(*names)`` updates those views
    (all when none are named) now, or when their widget is next shown.
    """

    def __init__(self):
        self._views: dict[str, Coalescer] = {}
        self._needs: dict[str, str | None] = {}
        self._carried: dict[str, object] = {}

    def add(self, name: str, widget, update: Callable[[], None], needs: str | None = None,
            min_interval_ms: int = 0) -> None:
        """``min_interval_ms``: a view costly to draw is brought up to date at most this often
        (the newest snapshot still reaches it, through the redraw queue)."""
        self._views[name] = Coalescer(widget, update, min_interval_ms=min_interval_ms)
        self._needs[name] = needs

    def take(self, snap: dict) -> None:
        """Keep what only some snapshots carry, then refresh the views this snapshot changes."""
        for key in set(self._needs.values()) - {None}:
            if snap.get(key) is not None:
                self._carried[key] = snap[key]
        names = [n for n, key in self._needs.items() if key is None or snap.get(key) is not None]
        if names:
            self.refresh(*names)

    def carried(self, key: str):
        """The newest value of ``key`` a snapshot carried (None: none since ``forget``)."""
        return self._carried.get(key)

    def refresh(self, *names: str) -> None:
        for name in names or tuple(self._views):
            view = self._views[name]
            view.dirty = True
            if hidden(view.widget) or not view.due():
                view.schedule()         # parked until shown, or until its interval has passed
            else:
                view.flush()

    def pending(self, name: str) -> bool:
        """The view waits to be shown before it takes the newest snapshot."""
        return self._views[name].dirty

    def forget(self) -> None:
        """A new design or new weights: what earlier snapshots carried no longer applies."""
        self._carried.clear()
