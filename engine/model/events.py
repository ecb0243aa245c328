"""A tiny Qt-free event: the engine's way to tell views that something changed."""
from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Callable


class Event:
    """A list of subscribers called in order with the emitted arguments.

    ``connect`` and ``disconnect`` mirror Qt's signal names so that views read
    naturally (``graph.events.node_added.connect(self._on_node_added)``).
    """

    def __init__(self, name: str = ""):
        self.name = name
        self._subscribers: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        if callback not in self._subscribers:
            self._subscribers.append(callback)

    def disconnect(self, callback: Callable) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def emit(self, *args) -> None:
        for callback in list(self._subscribers):
            callback(*args)

    def __len__(self) -> int:
        return len(self._subscribers)


class GraphEvents:
    """The change events of a Graph, one Event per kind of change.

    Arguments: node_added(node), node_removed(node), node_changed(node),
    node_moved(node), connection_added(conn), connection_removed(conn),
    mask_changed(conn), loss_changed(loss).

    Changes made inside ``batch()`` (an undo, an edit, opening a design) are emitted
    as they happen, and ``settled`` follows once the outermost batch ends. A view that
    costs much to refresh ``follow``s the Graph: it refreshes once per batch instead of
    a thousand times for a thousand-node design.
    """

    NAMES = ("node_added", "node_removed", "node_changed", "node_moved",
             "connection_added", "connection_removed", "mask_changed",
             "loss_changed", "preprocessing_changed")

    def __init__(self):
        for name in self.NAMES:
            setattr(self, name, Event(name))
        self.changed = Event("changed")  # any of the above, with its name first
        self.settled = Event("settled")  # a batch of changes ended
        self._depth = 0

    @property
    def batching(self) -> bool:
        return self._depth > 0

    def follow(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after each change made outside a batch, and once when a batch
        that changed anything settles; return the function that stops following."""
        stale = [False]

        def on_changed(*_):
            if self.batching:
                stale[0] = True
            else:
                callback()

        def on_settled():
            if stale[0]:
                stale[0] = False
                callback()

        self.changed.connect(on_changed)
        self.settled.connect(on_settled)

        def stop():
            self.changed.disconnect(on_changed)
            self.settled.disconnect(on_settled)
        return stop

    @contextmanager
    def batch(self):
        """Group the changes made inside; ``settled`` is emitted when the outermost group ends."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self.settled.emit()
