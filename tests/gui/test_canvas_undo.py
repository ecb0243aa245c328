"""Undo and redo through the canvas: a long random run of edits, then back and forth."""
import random

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QUndoStack

from engine import Graph
from engine.nn.activations import HIDDEN_ACTIVATIONS
from gui.canvas import CanvasScene
from gui.core.commands import push_edit

STEPS = 200


def start_graph() -> Graph:
    g = Graph()
    g.add_node("input", 3, position=(0, 0))
    g.add_node("hidden", 4, position=(200, -60))
    g.add_node("output", 2, position=(400, 0))
    g.connect("x1", "h1")
    g.connect("h1", "y1")
    return g


class RandomEditor:
    """Makes one random edit at a time, the way a user (or the inspector) would."""

    def __init__(self, scene: CanvasScene, stack: QUndoStack, rng: random.Random):
        self.scene, self.stack, self.rng, self.g = scene, stack, rng, scene.graph

    def node(self):
        return self.rng.choice(list(self.g.nodes)) if self.g.nodes else None

    def select(self, node_ids=(), conns=()):
        self.scene.clearSelection()
        for n in node_ids:
            self.scene.node_items[n].setSelected(True)
        for k in conns:
            self.scene.connection_items[k].setSelected(True)

    def step(self) -> str:
        ops = ["add", "add", "remove", "connect", "connect", "connect", "disconnect", "resize",
               "mask", "mask", "restore", "move", "paste", "layout", "activation", "rename",
               "delete_many", "undo_redo"]
        op = self.rng.choice(ops)
        getattr(self, op)()
        return op

    def add(self):
        kind = self.rng.choice(["hidden"] * 6 + ["input", "output"])
        size = self.rng.choice([1, 1, 2, 3, 5, 40])
        self.scene.add_node_at({"kind": kind, "size": size, "label": "Dense layer"},
                               QPointF(self.rng.uniform(-300, 600), self.rng.uniform(-300, 300)))

    def remove(self):
        if self.g.nodes:
            self.select([self.node()])
            self.scene.delete_selection()

    def connect(self):
        if len(self.g.nodes) > 1:
            a, b = self.rng.sample(list(self.g.nodes), 2)
            self.scene.connect_nodes(a, b)          # often refused (cycle, input, output)

    def disconnect(self):
        if self.g.connections:
            key = self.rng.choice(list(self.g.connections))
            if self.rng.random() < 0.5:
                self.select(conns=[key])
                self.scene.delete_selection()
            else:
                self.scene.delete_connection(*key)

    def resize(self):
        if self.g.nodes:
            n = self.node()
            size = self.rng.choice([1, 2, 3, 4, 6, 36])
            push_edit(self.stack, self.g, f"Resize {n}", lambda g: g.update_node(n, size=size))

    def mask(self):
        if self.g.connections:
            src, dst = self.rng.choice(list(self.g.connections))
            i = self.rng.randrange(self.g.nodes[dst].size)
            j = self.rng.randrange(self.g.nodes[src].size)
            if self.scene.connection_items[(src, dst)].has_edge(i, j):
                self.scene.select_edge((src, dst, i, j))
                self.scene.delete_selection()

    def restore(self):
        masked = [k for k, c in self.g.connections.items() if c.mask is not None]
        if masked:
            self.scene.restore_edges(*self.rng.choice(masked))

    def move(self):
        chosen = self.rng.sample(list(self.g.nodes), min(len(self.g.nodes), self.rng.randint(1, 3)))
        for n in chosen:   # what a mouse drag does to the items, then the drop commits
            item = self.scene.node_items[n]
            item.setPos(item.pos() + QPointF(self.rng.uniform(-80, 80), self.rng.uniform(-80, 80)))
        self.scene.commit_moves()

    def paste(self):
        if self.g.nodes:
            self.select(self.rng.sample(list(self.g.nodes), min(2, len(self.g.nodes))))
            self.scene.copy_selection()
            self.scene.paste()

    def layout(self):
        self.scene.auto_layout()

    def activation(self):
        hidden = [n for n, node in self.g.nodes.items() if node.kind == "hidden"]
        if hidden:
            self.scene.set_activation(self.rng.choice(hidden), self.rng.choice(HIDDEN_ACTIVATIONS))

    def rename(self):
        if self.g.nodes:
            n, name = self.node(), self.rng.choice(["", "hidden", "a"])
            push_edit(self.stack, self.g, "Rename", lambda g: g.update_node(n, name=name))

    def delete_many(self):
        if self.g.nodes:
            nodes = self.rng.sample(list(self.g.nodes), min(2, len(self.g.nodes)))
            conns = [k for k in self.g.connections if self.rng.random() < 0.3]
            self.select(nodes, conns)
            self.scene.delete_selection()

    def undo_redo(self):
        if self.stack.canUndo():
            self.stack.undo()
            assert self.scene.items_match_graph() is None
            self.stack.redo()


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_then_undo_all_and_redo_all(qtbot, seed):
    graph = start_graph()
    stack = QUndoStack()
    scene = CanvasScene(graph, stack)
    start = graph.copy()
    editor = RandomEditor(scene, stack, random.Random(seed))
    done = set()
    for k in range(STEPS):
        done.add(editor.step())
        problem = scene.items_match_graph()
        assert problem is None, f"step {k}: {problem}"
    assert stack.count() > STEPS // 3 and {"paste", "move", "mask", "connect"} <= done
    end = graph.copy()
    while stack.canUndo():
        stack.undo()
        assert scene.items_match_graph() is None
    assert graph.same_design(start)
    while stack.canRedo():
        stack.redo()
        assert scene.items_match_graph() is None
    assert graph.same_design(end)


def test_undo_texts_name_the_edit(qtbot):
    graph = start_graph()
    stack = QUndoStack()
    scene = CanvasScene(graph, stack)
    scene.add_node_at({"kind": "hidden", "size": 3, "label": "Dense layer"}, QPointF(0, 200))
    assert stack.undoText() == "Add Dense layer"
    scene.add_node_at({"kind": "hidden", "size": 1, "label": "Neuron"}, QPointF(0, 300))
    assert stack.undoText() == "Add Neuron"
    scene.connect_nodes("x1", "h2")
    assert stack.undoText() == "Connect x1 → h2"
    scene.select_all()
    scene.delete_selection()
    assert stack.undoText() == "Delete 5 items"   # the connections go with their nodes
    assert not graph.nodes
    stack.undo()
    assert len(graph.nodes) == 5 and scene.items_match_graph() is None


def test_a_closed_scene_no_longer_follows_its_graph(qtbot):
    graph = start_graph()
    scene = CanvasScene(graph, QUndoStack())
    assert scene.items_match_graph() is None
    scene.close()
    graph.add_node("hidden", 1, id="h10")
    assert "h10" not in scene.node_items
