"""A training snapshot reaches the canvas in an event-loop turn of its own: the newest of those
that came meanwhile, never one discarded with its design (gui/training/canvas_colours.py)."""
import numpy as np

from engine.model.param_names import bias_name, weight_name
from gui.core.redraw_queue import shared_queue
from gui.training.canvas_colours import CanvasColours
from tests.gui.test_canvas_edges import make


def _snapshot(graph, scale: float) -> dict:
    weights, gradients = {}, {}
    for (src, dst) in (c.pair for c in graph.connections.values()):
        shape = (graph.nodes[dst].size, graph.nodes[src].size)
        weights[weight_name(src, dst)] = np.full(shape, scale)
        gradients[weight_name(src, dst)] = np.full(shape, scale)
    for node in graph.nodes.values():
        if node.kind != "input":
            weights[bias_name(node.id)] = np.full(node.size, scale)
    return {"weights": weights, "gradients": gradients}


def test_a_snapshot_is_shown_in_a_later_turn_and_only_the_newest(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot)
    colours = CanvasColours(graph, scene, view)
    colours.take(_snapshot(graph, 1e-3), two_d=False)
    colours.take(_snapshot(graph, 1e-1), two_d=False)       # a second one before the turn came
    assert scene.color_scale() is None                      # not in the turn that received them
    assert scene.node_items[h].values() is None
    qtbot.waitUntil(lambda: scene.color_scale() is not None, timeout=3000)
    assert scene.color_scale()[1] == np.log10(1e-1)         # the newest
    assert scene.node_items[h].values() is not None and not colours.bar.isHidden()


def test_a_discarded_snapshot_never_reaches_the_canvas(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot)
    colours = CanvasColours(graph, scene, view)
    colours.take(_snapshot(graph, 1e-2), two_d=False)
    colours.discard()                                       # the design changed meanwhile
    while shared_queue(0).run_next():
        pass
    qtbot.wait(20)
    assert scene.color_scale() is None and colours.bar.isHidden()
