"""Copy and paste of a selection as design JSON (the engine's file format).

A copied selection is a small design: the chosen nodes and the connections
among them, with masks and positions. Pasting validates it like a file, then
adds it to the Graph under fresh ids. A design has one input and one output, so
pasting those when the Graph already has one skips them (the caller is told).
``ClipboardCommands`` gives the canvas scene its copy, cut, paste and duplicate.
Clipboard text put there by anyone else is read defensively: text that is not a
design, or JSON nested too deeply to parse, is no design (paste says so).
"""
from __future__ import annotations

import atexit
import json

from PySide6.QtCore import QMimeData, QPointF
from PySide6.QtGui import QGuiApplication

from engine import Graph, GraphError
from engine.model.param_names import valid_new_id

DESIGN_MIME = "application/x-backprop-studio-design"
PASTE_OFFSET = 40.0
_PREFIX = {"input": "x", "hidden": "h", "output": "y"}
_last_copied: dict | None = None  # when the system clipboard is unavailable


def selection_to_dict(graph: Graph, node_ids) -> dict:
    """The design JSON of ``node_ids`` and the connections between them."""
    keep = set(node_ids)
    part = graph.copy()
    for key in [k for k in part.connections if not (k[0] in keep and k[1] in keep)]:
        part.disconnect(*key)
    for nid in [n for n in part.nodes if n not in keep]:
        part.remove_node(nid)
    data = part.to_dict()
    data.pop("settings", None)
    return data


def paste_into(graph: Graph, data: dict, at: QPointF | None = None,
               offset: float = PASTE_OFFSET) -> tuple[list[str], list[str]]:
    """Add the design ``data`` to ``graph`` under fresh ids; return (new ids, skipped labels).

    With ``at`` the pasted nodes are centred there, otherwise shifted by ``offset``.
    Raises GraphError if ``data`` is not a valid design.
    """
    # The design's settings are not pasted: they must not refuse the paste either.
    part = Graph.from_dict(_arrows_renamed({k: v for k, v in data.items() if k != "settings"}))
    taken = {n.kind for n in graph.nodes.values()} & {"input", "output"}
    nodes = [n for n in part.nodes.values() if n.kind not in taken]
    skipped = [n.label for n in part.nodes.values() if n.kind in taken]
    if not nodes:
        return [], skipped
    if at is not None:
        xs = [n.position[0] for n in nodes]
        ys = [n.position[1] for n in nodes]
        dx = at.x() - (min(xs) + max(xs)) / 2
        dy = at.y() - (min(ys) + max(ys)) / 2
    else:
        dx = dy = offset
    new_id = {}
    for n in nodes:
        added = graph.add_node(n.kind, n.size, n.activation, id=graph.new_id(_PREFIX[n.kind]),
                               name=n.name, position=(round(n.position[0] + dx, 2),
                                                      round(n.position[1] + dy, 2)))
        new_id[n.id] = added.id
    for c in part.connections.values():
        if c.src in new_id and c.dst in new_id:
            graph.connect(new_id[c.src], new_id[c.dst], c.mask)
    return list(new_id.values()), skipped


def _arrows_renamed(data: dict) -> dict:
    """``data`` with node ids that contain '->' renamed, in its connections too.

    Such ids (from designs made before they were refused) can give two connections the same
    weight name, which the Graph refuses; the paste gives every node a fresh id anyway.
    Anything not shaped like a design is left for ``Graph.from_dict`` to refuse.
    """
    nodes, conns = data.get("nodes"), data.get("connections")
    if not isinstance(nodes, list) or not isinstance(conns, list):
        return data
    ids = {n["id"] for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str)}
    rename, k = {}, 0
    for old in sorted(i for i in ids if valid_new_id(i)):
        while f"n{k}" in ids:
            k += 1
        rename[old] = f"n{k}"
        k += 1
    if not rename:
        return data

    def renamed(d, keys):
        if not isinstance(d, dict):
            return d
        return {key: rename.get(v, v) if key in keys and isinstance(v, str) else v for key, v in d.items()}
    return {**data, "nodes": [renamed(n, ("id",)) for n in nodes],
            "connections": [renamed(c, ("src", "dst")) for c in conns]}


def put_on_clipboard(data: dict) -> None:
    """Place a copied selection on the system clipboard (and remember it here)."""
    global _last_copied
    _last_copied = data
    text = json.dumps(data)
    mime = QMimeData()
    mime.setData(DESIGN_MIME, text.encode("utf-8"))
    mime.setText(text)
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setMimeData(mime)
        atexit.unregister(leave_as_text)
        atexit.register(leave_as_text)


def leave_as_text() -> None:
    """At exit, swap the copied design on the clipboard for the same JSON as plain text.

    The clipboard owns the QMimeData made above, which has a Python wrapper; deleting it in
    Qt's own exit handlers, after the interpreter has finished, crashed the process
    (SIGSEGV on the offscreen platform). Text set by Qt has no wrapper, and still pastes
    here (``read_clipboard`` reads design text) and in any editor.
    """
    clipboard = QGuiApplication.clipboard() if QGuiApplication.instance() is not None else None
    mime = clipboard.mimeData() if clipboard is not None else None
    if mime is not None and mime.hasFormat(DESIGN_MIME):
        clipboard.setText(mime.text())


def read_clipboard() -> dict | None:
    """The design on the clipboard: our MIME type, or text that parses as a design."""
    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData() if clipboard is not None else None
    raw = None
    if mime is not None and mime.hasFormat(DESIGN_MIME):
        raw = bytes(mime.data(DESIGN_MIME)).decode("utf-8", "replace")
    elif mime is not None and mime.hasText():
        raw = mime.text()
    if raw:
        return design_in_text(raw)
    return _last_copied


def design_in_text(text: str) -> dict | None:
    """The design ``text`` holds as JSON, or None (other text, bad JSON, nesting too deep)."""
    if not text.lstrip().startswith("{"):
        return None             # not worth parsing: the context menu asks on every right-click
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):    # RecursionError: nesting deeper than the parser's stack
        return None
    if isinstance(data, dict) and data.get("format") == "backprop-studio-design":
        return data
    return None


def describe_skipped(skipped: list[str]) -> str:
    if not skipped:
        return ""
    return (f"skipped {', '.join(repr(s) for s in skipped)}: "
            "a design has only one input and one output")


class ClipboardCommands:
    """Copy, cut, paste and duplicate for the CanvasScene (mixed in with SceneEdits)."""

    def copy_selection(self) -> bool:
        nodes = self.selected_node_ids()
        if not nodes:
            self.message.emit("select nodes to copy")
            return False
        put_on_clipboard(selection_to_dict(self.graph, nodes))
        self._paste_count = 0
        self.message.emit(f"copied {len(nodes)} node{'s' if len(nodes) > 1 else ''}")
        return True

    def cut_selection(self) -> None:
        if self.copy_selection():
            self.delete_selection()

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Paste the clipboard's design; return the new node ids."""
        data = read_clipboard()
        if data is None:
            self.message.emit("nothing to paste: copy some nodes first")
            return []
        return self._paste(data, "Paste", at)

    def duplicate_selection(self) -> list[str]:
        nodes = self.selected_node_ids()
        if not nodes:
            self.message.emit("select nodes to duplicate")
            return []
        self._paste_count = 0
        return self._paste(selection_to_dict(self.graph, nodes), "Duplicate", None)

    def _paste(self, data: dict, text: str, at: QPointF | None) -> list[str]:
        self._paste_count += 1
        result = []

        def paste(g: Graph):
            ids, skipped = paste_into(g, data, at=at, offset=PASTE_OFFSET * self._paste_count)
            if not ids:
                raise GraphError(f"nothing to paste: {describe_skipped(skipped)}")
            result.append((ids, skipped))
        if not self._edit(text, paste):
            return []
        ids, skipped = result[0]
        if skipped:
            self.message.emit(describe_skipped(skipped))
        self._quiet = True
        self.clearSelection()
        for nid in ids:
            self.node_items[nid].setSelected(True)
        self._quiet = False
        self._on_qt_selection()
        return ids
