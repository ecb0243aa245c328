"""Copy and paste of a selection as design JSON (the engine's file format).

A copied selection is a small design: the chosen nodes and the connections
among them, with masks and positions. Pasting validates it like a file, then
adds it to the Graph under fresh ids. A design has one input and one output, so
pasting those when the Graph already has one skips them (the caller is told).
"""
from __future__ import annotations

import atexit
import json

from PySide6.QtCore import QMimeData, QPointF
from PySide6.QtGui import QGuiApplication

from engine import Graph

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
    part = Graph.from_dict(data)
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
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("format") == "backprop-studio-design":
            return data
        return None
    return _last_copied


def describe_skipped(skipped: list[str]) -> str:
    if not skipped:
        return ""
    return (f"skipped {', '.join(repr(s) for s in skipped)}: "
            "a design has only one input and one output")

