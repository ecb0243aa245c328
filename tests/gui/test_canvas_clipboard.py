"""Pasting what others put on the clipboard: deep nesting, bad JSON, node ids with '->'."""
import json

import pytest
from PySide6.QtCore import QMimeData, QPointF
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication

from engine import Graph
from engine.model.param_names import collisions, valid_new_id
from gui.canvas import CanvasScene
from gui.canvas.clipboard import DESIGN_MIME

DEEP = 100_000


@pytest.fixture
def canvas():
    """A scene of x1 → h1 → y1 (no view): (graph, undo stack, scene, None, messages)."""
    graph = Graph()
    for kind, size in (("input", 2), ("hidden", 3), ("output", 1)):
        graph.add_node(kind, size, position=(200 * len(graph.nodes), 0))
    stack = QUndoStack()
    scene = CanvasScene(graph, stack)
    messages = []
    scene.message.connect(messages.append)
    return graph, stack, scene, None, messages


def put(text: str, as_design: bool) -> None:
    """``text`` on the clipboard, as plain text or under our own MIME type."""
    if as_design:
        mime = QMimeData()
        mime.setData(DESIGN_MIME, text.encode("utf-8"))
        QApplication.clipboard().setMimeData(mime)
    else:
        QApplication.clipboard().setText(text)


def paste_enabled(scene) -> bool:
    menu = scene.context_menu_at(QPointF(200, 500))
    return next(a for a in menu.actions() if a.text() == "Paste").isEnabled()


@pytest.mark.parametrize("as_design", [False, True])
@pytest.mark.parametrize("text", ["[" * DEEP + "]" * DEEP, '{"a": ' * DEEP + "1" + "}" * DEEP,
                                  '{"format": "backprop-studio-design", "nodes": ' + "[" * DEEP])
def test_deeply_nested_clipboard_text_is_refused_by_paste_and_the_menu(canvas, text, as_design):
    graph, stack, scene, _, messages = canvas
    put(text, as_design)
    assert not paste_enabled(scene)
    assert scene.paste() == [] and "nothing to paste" in messages[-1]
    assert len(graph.nodes) == 3 and stack.count() == 0


def design(nodes, connections, **extra) -> dict:
    return {"format": "backprop-studio-design", "version": 1, "loss": "mse", **extra,
            "nodes": [{"id": n, "kind": "hidden", "size": 2, "activation": "tanh",
                       "position": [i * 50, 0]} for i, n in enumerate(nodes)],
            "connections": [{"src": s, "dst": d} for s, d in connections]}


def test_pasted_ids_with_arrows_are_renamed_even_when_their_weight_names_would_clash(canvas):
    graph, stack, scene, _, messages = canvas
    # W:a->b->c names both a->b → c and a → b->c: the Graph refuses such a pair of connections
    put(json.dumps(design(["a->b", "c", "a", "b->c"], [("a->b", "c"), ("a", "b->c")])), False)
    assert paste_enabled(scene)
    new = scene.paste()
    assert len(new) == 4 and stack.count() == 1, messages
    assert all(valid_new_id(n) is None for n in graph.nodes)
    pasted = [k for k in graph.connections if k[0] in new]
    assert len(pasted) == 2 and not collisions(graph.connections)


def test_settings_on_the_clipboard_are_not_pasted_and_cannot_block_a_paste(canvas):
    graph, _, scene, _, messages = canvas
    deep = {"a": 1}
    for _ in range(200):
        deep = {"a": deep}
    put(json.dumps(design(["h"], [], settings={"title": "theirs", "deep": deep})), True)
    assert len(scene.paste()) == 1, messages
    assert "title" not in graph.settings and "deep" not in graph.settings
