"""Undoable edits of the Graph.

Every edit is one ``GraphEdit``: its first redo runs the edit through the Graph's
own methods (so it is validated), recording the design before and after; later
undo and redo restore those snapshots, which emit only the events that differ.
The command changes the Graph and nothing else; the canvas follows the events.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from engine import Graph, GraphError


class GraphEdit(QUndoCommand):
    """One named edit of the Graph (``text`` shows as "Undo <text>")."""

    def __init__(self, graph: Graph, text: str, edit: Callable[[Graph], object]):
        super().__init__(text)
        self.graph = graph
        self._edit = edit
        self._before = None
        self._after = None

    def redo(self):
        if self._after is None:
            self._before = self.graph.snapshot()
            try:
                with self.graph.events.batch():
                    self._edit(self.graph)
            except Exception:
                self.graph.restore(self._before)  # a half-done edit leaves nothing behind
                raise
            self._after = self.graph.snapshot()
        else:
            self.graph.restore(self._after)

    def undo(self):
        self.graph.restore(self._before)


def push_edit(stack: QUndoStack, graph: Graph, text: str,
              edit: Callable[[Graph], object]) -> str | None:
    """Run ``edit`` as an undoable command; return None, or the reason it was refused.

    A refused edit (GraphError) changes nothing and is not put on the stack.
    """
    command = GraphEdit(graph, text, edit)
    try:
        command.redo()
    except GraphError as e:
        return str(e)
    # push() calls redo() again: restoring the "after" snapshot is then a no-op.
    stack.push(command)
    return None
