"""A tiny Qt-free event: the engine's way to tell views that something changed."""
from __future__ import annotations

from typing import Callable


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
    mask_changed(conn), loss_changed(loss), reset() after a whole-graph load.
    """

    NAMES = ("node_added", "node_removed", "node_changed", "node_moved",
             "connection_added", "connection_removed", "mask_changed",
             "loss_changed", "reset")

    def __init__(self):
        for name in self.NAMES:
            setattr(self, name, Event(name))
        self.changed = Event("changed")  # any of the above, with its name first
