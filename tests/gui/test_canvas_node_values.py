"""A node's values are a layer of their own: new values repaint it alone (the node's body stays
in its cached picture), show their colours, and never come between the node and the mouse."""
import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from gui.canvas.node_item import NodeItem
from gui.canvas.node_values import NodeValues
from gui.core import colormap
from tests.gui.test_canvas_edges import make


def _paint(view):
    """What the event loop does: the scene's pending item updates, then the view's paint."""
    QApplication.processEvents()
    view.viewport().repaint()


def _count_paints(monkeypatch):
    counts = {"body": 0, "values": 0}
    body, values = NodeItem.paint, NodeValues.paint

    def count_body(self, *args):
        counts["body"] += 1
        return body(self, *args)

    def count_values(self, *args):
        counts["values"] += 1
        return values(self, *args)

    monkeypatch.setattr(NodeItem, "paint", count_body)
    monkeypatch.setattr(NodeValues, "paint", count_values)
    return counts


def test_new_values_repaint_the_values_layer_not_the_node_body(qtbot, monkeypatch):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(2, 3, 40))
    counts = _count_paints(monkeypatch)
    _paint(view)                                              # the pictures are made
    counts.update(body=0, values=0)
    _paint(view)
    assert counts == {"body": 0, "values": 0}                 # both layers from their pictures
    scene.node_items[h].set_values(np.array([1.0, 0.0, -1.0]), 1.0)
    scene.node_items[y].set_values(np.linspace(-1, 1, 40), 1.0)   # the value strip
    _paint(view)
    assert counts["body"] == 0 and counts["values"] == 2


def test_the_values_layer_shows_the_new_colours(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(2, 3, 2))
    item = scene.node_items[h]
    view.viewport().grab()
    item.set_values(np.array([1.0, 0.0, -1.0]), 1.0)
    image = view.viewport().grab().toImage()
    colors = colormap.diverging(light=True)
    for k, expected in ((0, colors[-1]), (2, colors[0])):
        centre = view.mapFromScene(item.mapToScene(QPointF(0.0, item.offsets[k])))
        got = image.pixelColor(centre)
        assert (got.red(), got.green(), got.blue()) == (expected.red(), expected.green(), expected.blue())


def test_the_values_layer_never_comes_between_the_node_and_the_mouse(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(2, 3, 40))
    for node_id in (h, y):
        item = scene.node_items[node_id]
        neuron = item.mapToScene(QPointF(0.0, item.offsets[1]))
        assert scene.item_at(neuron) is item
        assert scene.node_item_at(neuron) is item
        assert item.neuron_at(neuron) == 1
