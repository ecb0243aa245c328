"""The canvas's edits: each user gesture as one named, undoable edit of the Graph.

``SceneEdits`` is mixed into the CanvasScene. Every method runs its change through
``gui.core.commands.push_edit``; a refused edit changes nothing and its reason goes
out through the scene's ``message`` signal. The items follow the Graph's events.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF

from engine import Graph
from engine.model.loss_pairing import follow_output
from gui.canvas.layout import column_layout
from gui.core.commands import push_edit


class SceneEdits:
    """Undoable edits for a scene with ``graph``, ``undo_stack``, ``node_items``,
    ``connection_items``, ``message`` and a selection."""

    def _edit(self, text: str, fn) -> bool:
        refusal = push_edit(self.undo_stack, self.graph, text, fn)
        if refusal:
            self.message.emit(refusal)
        return refusal is None

    def _label(self, node_id: str) -> str:
        return self.graph.nodes[node_id].label

    def add_node_at(self, spec: dict, pos: QPointF) -> str | None:
        """Add a node described like a palette entry, centred at ``pos``; return its id."""
        if not isinstance(spec, dict) or not isinstance(spec.get("kind"), str):
            self.message.emit("cannot add that: it does not describe a node")
            return None
        label = str(spec.get("label") or spec["kind"].capitalize())
        kind, size, act = spec["kind"], spec.get("size", 1), spec.get("activation")
        if act is not None and not isinstance(act, str):
            act = str(act)
        added = []
        if not self._edit(f"Add {label}", lambda g: added.append(
                g.add_node(kind, size, act, position=(round(pos.x()), round(pos.y()))).id)
                or (kind == "output" and follow_output(g))):     # the loss follows the new output
            return None
        self.clearSelection()
        self.node_items[added[0]].setSelected(True)
        return added[0]

    def connect_nodes(self, src: str, dst: str) -> bool:
        return self._edit(f"Connect {self._label(src)} → {self._label(dst)}",
                          lambda g: g.connect(src, dst))

    def set_activation(self, node_id: str, activation: str) -> bool:
        return self._edit(f"Set activation of {self._label(node_id)} to {activation}",
                          lambda g: g.update_node(node_id, activation=activation).kind == "output"
                          and follow_output(g))   # the loss follows the output unless chosen

    def remove_edge(self, src: str, dst: str, i: int, j: int) -> bool:
        text = self.connection_items[(src, dst)].edge_label(i, j)
        return self._edit(f"Remove edge {text}", lambda g: g.set_edges(src, dst, [(i, j)], False))

    def restore_edges(self, src: str, dst: str) -> bool:
        conn = self.graph.connections.get((src, dst))
        if conn is None or conn.mask is None:
            self.message.emit(f"{src} → {dst} has all of its edges")
            return False
        return self._edit(f"Restore edges of {self._label(src)} → {self._label(dst)}",
                          lambda g: g.set_mask(src, dst, None))

    def delete_connection(self, src: str, dst: str) -> bool:
        return self._edit(f"Delete connection {self._label(src)} → {self._label(dst)}",
                          lambda g: g.disconnect(src, dst))

    def delete_selection(self) -> None:
        if self._edge is not None:
            self.remove_edge(*self._edge)
            return
        nodes = self.selected_node_ids()
        conns = [k for k in self.selected_connection_keys() if k[0] not in nodes and k[1] not in nodes]
        if not nodes and not conns:
            self.message.emit("nothing is selected")
            return
        if len(nodes) + len(conns) > 1:
            text = f"Delete {len(nodes) + len(conns)} items"
        elif nodes:
            text = f"Delete {self._label(nodes[0])}"
        else:
            text = f"Delete connection {self._label(conns[0][0])} → {self._label(conns[0][1])}"

        def delete(g: Graph):
            for key in conns:
                g.disconnect(*key)
            for nid in nodes:
                g.remove_node(nid)
        self._edit(text, delete)

    def auto_layout(self) -> bool:
        positions = column_layout(self.graph)
        moves = {n: p for n, p in positions.items() if self.graph.nodes[n].position != p}
        if not moves:
            self.message.emit("the layout is already tidy")
            return False
        return self._edit("Automatic layout",
                          lambda g: [g.move_node(n, p) for n, p in moves.items()])

    def commit_moves(self) -> None:
        """After a drag: one undoable edit moves every node whose item moved."""
        moves = {}
        for nid, item in self.node_items.items():
            pos = (item.pos().x(), item.pos().y())
            if pos != self.graph.nodes[nid].position:
                moves[nid] = (round(pos[0]), round(pos[1]))
        if moves:
            text = (f"Move {self._label(next(iter(moves)))}" if len(moves) == 1
                    else f"Move {len(moves)} nodes")
            self._edit(text, lambda g: [g.move_node(n, p) for n, p in moves.items()])
        self.refine_edges()
