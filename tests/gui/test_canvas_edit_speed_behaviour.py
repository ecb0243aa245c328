"""What the fast paths for editing a big design must keep (bench/canvas_edits.py times them):
items mirror the Graph after placing, resizing and connecting 784-neuron nodes, undo and redo
restore it, a rename leaves the edges alone, and auto-layout plus fit shows every node apart."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QUndoStack

from engine import Graph
from gui.canvas import CanvasScene, CanvasView
from gui.core import colormap
from gui.shell.inspector import Inspector

BIG = {"kind": "hidden", "size": 784, "activation": "relu", "label": "Hidden"}


@pytest.fixture
def big(qtbot):
    """784-128-10, shown in an 800×500 view, with the inspector (its size box's path)."""
    graph = Graph("softmax_ce")
    graph.add_node("input", 784, position=(0, 0))
    graph.add_node("hidden", 128, "relu", position=(320, 0))
    graph.add_node("output", 10, "softmax", position=(640, 0))
    graph.connect("x1", "h1")
    graph.connect("h1", "y1")
    stack = QUndoStack()
    scene = CanvasScene(graph, stack)
    view = CanvasView(scene)
    inspector = Inspector(graph, stack, scene)
    qtbot.addWidget(view)
    qtbot.addWidget(inspector)
    view.resize(800, 500)
    view.show()
    view.fit_to_view()
    qtbot.waitExposed(view)
    return graph, stack, scene, view, inspector


def edges(scene) -> dict:
    return {k: item.edge_count() for k, item in scene.connection_items.items()}


def test_placing_a_784_neuron_node_mirrors_the_graph_through_undo_and_redo(big):
    graph, stack, scene, view, _ = big
    nid = scene.add_node_at(dict(BIG), QPointF(320, 400))
    assert nid is not None and graph.nodes[nid].size == 784
    assert scene.items_match_graph() is None
    assert len(scene.node_items[nid].offsets) == 784
    assert scene.node_items[nid].isSelected()
    stack.undo()
    assert nid not in graph.nodes and scene.items_match_graph() is None
    stack.redo()
    assert graph.nodes[nid].size == 784 and scene.items_match_graph() is None


def test_resizing_to_784_in_the_inspector_rebuilds_every_edge_and_undo_restores_them(big):
    graph, stack, scene, view, inspector = big
    assert inspector.resize_node("h1", 784) is None
    assert stack.undoText() == "Resize h1 to 784"
    assert scene.items_match_graph() is None
    assert edges(scene) == {("x1", "h1"): 784 * 784, ("h1", "y1"): 10 * 784}
    stack.undo()
    assert scene.items_match_graph() is None
    assert edges(scene) == {("x1", "h1"): 784 * 128, ("h1", "y1"): 10 * 128}
    stack.redo()
    assert scene.items_match_graph() is None and edges(scene)[("x1", "h1")] == 784 * 784


def test_resizing_a_masked_connection_keeps_the_removed_edge_and_the_mirror(big):
    graph, stack, scene, view, inspector = big
    assert scene.remove_edge("x1", "h1", 5, 7)
    inspector.resize_node("h1", 300)
    assert scene.items_match_graph() is None
    assert edges(scene)[("x1", "h1")] == 300 * 784 - 1
    assert not scene.connection_items[("x1", "h1")].has_edge(5, 7)
    inspector.resize_node("h1", 3)            # the removed edge is cropped away
    assert scene.items_match_graph() is None and edges(scene)[("x1", "h1")] == 3 * 784
    stack.undo()
    stack.undo()
    assert scene.items_match_graph() is None
    assert edges(scene)[("x1", "h1")] == 128 * 784 - 1


def test_renaming_or_changing_the_activation_of_a_big_node_leaves_its_edges_in_place(big):
    graph, stack, scene, view, inspector = big
    before = {k: item.lines.copy() for k, item in scene.connection_items.items()}
    inspector.rename_node("h1", "a much longer name for the hidden layer")
    scene.set_activation("h1", "tanh")
    assert scene.node_items["h1"].header.startswith("a much longer name")
    assert scene.items_match_graph() is None
    for key, lines in before.items():
        assert np.array_equal(scene.connection_items[key].lines, lines)
    stack.undo()
    stack.undo()
    assert graph.nodes["h1"].name == "" and scene.items_match_graph() is None


def test_connecting_two_784_neuron_nodes_draws_every_edge_and_undo_removes_them(big, qtbot):
    graph, stack, scene, view, _ = big
    nid = scene.add_node_at(dict(BIG), QPointF(320, 0))
    graph.move_node("h1", (320, 500))
    assert scene.connect_nodes("x1", nid)
    assert scene.items_match_graph() is None and edges(scene)[("x1", nid)] == 784 * 784
    view.fit_to_view()
    qtbot.wait(20)
    # the fan is on screen at once, between the two columns (stand-in or full picture)
    image = view.viewport().grab().toImage()
    mid = view.mapFromScene(QPointF(160, 0))
    assert _differs_from_background(image, mid.x(), mid.y())
    stack.undo()
    assert ("x1", nid) not in scene.connection_items and scene.items_match_graph() is None
    stack.redo()
    assert scene.items_match_graph() is None and edges(scene)[("x1", nid)] == 784 * 784


def test_auto_layout_then_fit_shows_every_node_without_overlaps(big):
    graph, stack, scene, view, _ = big
    for k in range(3):
        scene.add_node_at(dict(BIG, size=[784, 40, 1][k]), QPointF(30 * k, 20 * k))
    scene.connect_nodes("x1", "h2")
    for k, nid in enumerate(graph.nodes):      # everything piled up near one spot
        graph.move_node(nid, (10.0 * k, 15.0 * k))
    assert scene.auto_layout()
    view.fit_to_view()
    assert scene.items_match_graph() is None
    rects = {n: item.sceneBoundingRect() for n, item in scene.node_items.items()}
    for a in rects:
        for b in rects:
            assert a == b or not rects[a].intersects(rects[b]), (a, b)
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    for n, r in rects.items():
        assert shown.contains(r), n
    stack.undo()
    assert scene.items_match_graph() is None
    assert graph.nodes["x1"].position == (0.0, 0.0)


def test_a_big_node_shows_its_neuron_values_as_a_strip_of_colours(big):
    graph, stack, scene, view, _ = big
    values = np.where(np.arange(784) < 392, -1.0, 1.0)
    scene.set_neuron_values({"x1": values})
    item = scene.node_items["x1"]
    assert np.array_equal(item.values(), values)
    image = QImage(60, 440, QImage.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    rect = item.sceneBoundingRect()
    scene.render(painter, source=rect.adjusted(rect.width() / 2 - 30, 0, 30 - rect.width() / 2, 0))
    painter.end()
    colors = colormap.diverging(light=True)
    top = image.pixelColor(30, round(image.height() * 0.3))
    bottom = image.pixelColor(30, round(image.height() * 0.75))
    assert _close(top, colors[0]) and _close(bottom, colors[-1])


def _close(a: QColor, b: QColor, tol: int = 12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a.getRgb()[:3], b.getRgb()[:3]))


def _differs_from_background(image: QImage, x: int, y: int, radius: int = 6) -> bool:
    bg = colormap.BACKGROUND
    return any(not _close(image.pixelColor(x + dx, y + dy), bg, 4)
               for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1))
