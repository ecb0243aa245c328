"""The Graph of Operations window: opened from a neuron's context menu and from the View
menu, drawn from the replay's example, lit in step with the replay, paths of a clicked weight."""
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QGraphicsPathItem

from engine import Graph
from engine.nn import op_graph, path_count
from gui.core.formatting import fmt
from gui.replay.op_graph_scene import RecordItem
from tests.engine.strategies import mlp

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def window_for(qtbot, boxes):
    made = []

    def make(name):
        from gui.shell.main_window import MainWindow
        path = EXAMPLES / name if isinstance(name, str) else None
        w = MainWindow(Graph.load(path) if path else name, path, restore_settings=False)
        qtbot.addWidget(w)
        made.append(w)
        return w
    yield make
    for w in made:
        w.autosave.close()
        w.training.shutdown()


def menu_action(menu, text):
    return next(a for a in menu.actions() if a.text() == text)


def test_context_menu_opens_a_neurons_graph(window_for, qtbot):
    w = window_for("skip_connection.json")
    item = w.scene.node_items["h2"]
    pos = item.mapToScene(QPointF(item.boundingRect().center().x(), item.offsets[2]))
    menu = w.scene.context_menu_at(pos)
    menu_action(menu, "Show graph of operations…").trigger()
    win = w.op_graph.window
    qtbot.waitUntil(win.isVisible)
    assert w.replay.active
    assert "Neuron h2[2]" in win.heading.text()
    g = op_graph.neuron_graph(w.replay.net, w.replay.X[0], w.replay.T[0], "h2", 2)
    assert f"{g.operations()} scalar operations" in win.heading.text()
    records = [i for i in win.scene.items() if isinstance(i, RecordItem)]
    assert len(records) == len(g.scalars)
    # The input neuron has no such entry.
    x = w.scene.node_items["x"]
    menu = w.scene.context_menu_at(x.mapToScene(x.boundingRect().center()))
    texts = [a.text() for a in menu.actions()]
    assert "Show graph of operations…" not in texts


def test_view_menu_draws_the_whole_network_and_its_paths(window_for, qtbot):
    w = window_for("skip_connection.json")
    action = menu_action(w.menus["view"], "Graph of &Operations…")
    action.trigger()
    win = w.op_graph.window
    assert "The whole network: 59 scalar operations" in win.heading.text().replace("</b>", "").replace("<b>", "")
    g = win.graph
    # The weight with the most paths is selected: x[0]→h1[0] reaches y directly and via h2.
    weight = g.scalars[win.weight]
    paths = path_count.paths_to_loss(g, weight.id)
    assert len(paths) == 5
    text = win.side_text()
    assert f"Sum of the products = {fmt(sum(p.product for p in paths))}" in text
    assert f"∂L/∂w = {fmt(weight.grad)}" in text
    whole = path_count.counts(g, path_count.parameters(g))
    assert f"{whole.paths}\n{whole.enumeration}\n{whole.backprop}" in text
    assert "Why backpropagation is efficient" in text


def test_clicking_a_weight_lists_its_paths(window_for, qtbot):
    w = window_for("xor_neurons.json")
    w.op_graph.show_network()
    win = w.op_graph.window
    qtbot.waitUntil(win.isVisible)
    rec = next(r for r in win.scene.items() if isinstance(r, RecordItem)
               and r.scalar.kind == "weight" and r.scalar.label == "w n3→y")
    win.view.centerOn(rec)
    point = win.view.mapFromScene(rec.sceneBoundingRect().center())
    qtbot.mouseClick(win.view.viewport(), Qt.LeftButton, pos=point)
    assert win.weight == rec.scalar.id
    assert "Paths from w n3→y to the loss" in win.side_text()
    assert "1 path." in win.side_text()


def test_stepping_the_replay_lights_the_same_operations(window_for, qtbot):
    w = window_for("skip_connection.json")
    w.op_graph.show_network()
    win, timeline = w.op_graph.window, w.replay.timeline
    g = win.graph
    k = timeline.order("forward").index("h1")
    w.replay.bar.set_frame(k)
    lit = win.scene.lit()
    assert lit and {g.scalars[i].neuron[0] for i in lit} == {"h1"}
    assert {g.scalars[i].op for i in lit} == {"×", "+", "tanh"}
    w.replay.bar.set_frame(timeline.first_frame("loss"))
    assert {g.scalars[i].kind for i in win.scene.lit()} == {"loss", "output"}
    # Another example draws the graph again with that example's numbers.
    before = g.scalars[g.loss].value
    w.replay.bar.set_example(w.replay.bar.current_example() + 1)
    assert win.graph is not g
    assert win.graph.scalars[win.graph.loss].value != before
    assert np.isclose(win.graph.scalars[win.graph.loss].value,
                      float(w.replay.steps[[s.phase for s in w.replay.steps].index("loss")].values["L"]))


def test_a_large_network_is_refused_with_its_count(window_for, qtbot):
    w = window_for(mlp([4, 8, 8, 1]))
    w.op_graph.show_network()
    win = w.op_graph.window
    count = op_graph.count_operations(w.replay.net)
    assert count > op_graph.MAX_OPERATIONS
    assert f"has {count} scalar operations" in win.heading.text()
    assert win.graph is None


@pytest.mark.parametrize("design", ["skip_connection.json", "softmax"])
def test_every_local_derivative_is_readable_on_its_own_edge(window_for, design):
    w = window_for(mlp([2, 2, 3], out="softmax", loss="softmax_ce") if design == "softmax" else design)
    w.op_graph.show_network()
    scene = w.op_graph.window.scene
    labels = scene.edge_labels
    expected = sorted(fmt(d) for s in scene.graph.scalars if s.op and s.op != "+" for d in s.local)
    assert sorted(label.text() for label in labels) == expected
    # No derivative covers another (a pixel or two of the text boxes' leading aside), nor a
    # record or an operation.
    boxes = [label.sceneBoundingRect().adjusted(0, 2, 0, -2) for label in labels]
    for i, a in enumerate(boxes):
        assert not any(a.intersects(b) for b in boxes[i + 1:]), labels[i].text()
    solid = [item.sceneBoundingRect() for item in (*scene.records.values(), *scene.ops.values())]
    assert not any(box.intersects(r) for box in boxes for r in solid)
    # Each sits on an edge of the graph (its centre within a pixel of some edge's path).
    paths = [item.path() for item in scene.items() if isinstance(item, QGraphicsPathItem)]
    for label in labels:
        centre = label.sceneBoundingRect().center()
        right = QPointF(label.sceneBoundingRect().right() + 4, centre.y())
        near = QRectF(centre.x() - 1, centre.y() - 1, 2, 2)
        assert any(p.intersects(near) or _ends_at(p, right) for p in paths), label.text()


def _ends_at(path, point) -> bool:
    end = path.currentPosition()
    return abs(end.x() - point.x()) < 1 and abs(end.y() - point.y()) < 1
