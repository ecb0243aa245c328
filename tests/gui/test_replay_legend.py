"""The replay's legend (what edge colours mean) and the values written on few edges."""
from pathlib import Path

import numpy as np
from PySide6.QtGui import QUndoStack

from engine import Graph, Network
from engine.model.param_names import weight_name
from gui.canvas.replay_overlay import ReplayOverlay
from gui.canvas.scene import CanvasScene
from gui.core.formatting import fmt
from gui.plots.color_bar import number_label
from gui.replay.timeline import ReplayTimeline
from tests.gui.test_signal_pulse import replay_window

DIGITS = Path(__file__).resolve().parents[2] / "resources" / "examples" / "digits.json"


def test_the_legend_shows_the_scale_in_use_and_goes_with_the_replay(qtbot):
    window, rc = replay_window(qtbot)
    rc.bar.motion_box.setChecked(False)
    assert rc.legend.isVisible()
    assert "not coloured" in rc.legend.text()                  # the input frame: no edge values
    rc.bar.set_frame(1)                                          # forward into h1: w·a
    wa = rc.net.parameters()[weight_name("x", "h1")] * rc.X[0]
    text = rc.legend.text()
    assert "w·a" in text and "orange: negative · blue: positive" in text
    assert number_label(float(np.abs(wa).max())) in text        # the scale is the real one
    rc.bar.set_frame(rc.timeline.first_frame("loss"))
    assert "not coloured" in rc.legend.text()
    rc.bar.set_frame(rc.timeline.first_frame("backward"))
    assert "|∂L/∂w| (log scale)" in rc.legend.text() and rc.legend.labels()
    update = rc.timeline.first_frame("update")
    rc.bar.set_frame(update)
    text = rc.legend.text()
    assert "Δw = −lr·∂L/∂w" in text and "orange: w decreases · blue: w increases" in text
    changes = rc.timeline.frame(update).changes
    biggest = max(float(np.abs(v).max()) for k, v in changes.items() if k.startswith("W:"))
    assert number_label(biggest) in text
    # What it says is what the edges show: a falling weight is drawn orange, a rising one blue.
    item = window.scene.connection_items[("h2", "y")]
    dw = changes[weight_name("h2", "y")][item.i, item.j]
    for k, edge in enumerate(item.drawn):
        color = item.pens[item.drawn_bins[k]].color()
        if abs(dw[edge]) > 0.2 * np.abs(dw).max():
            assert (color.red() > color.blue()) == (dw[edge] < 0)
    geometry = rc.legend.geometry()                              # in the canvas's corner
    assert window.view.rect().contains(geometry)
    rc.dock.hide()
    rc.deactivate()
    assert not rc.legend.isVisible()


def test_values_are_written_on_few_edges_only(qtbot):
    window, rc = replay_window(qtbot)
    rc.bar.motion_box.setChecked(False)
    rc.bar.set_frame(1)                                          # x → h1: 2 × 3 edges
    wa = rc.net.parameters()[weight_name("x", "h1")] * rc.X[0]
    labels = dict(rc.overlay.edge_labels())
    assert 3 <= len(labels) <= 6          # a value that would cover another number is left out
    for (s, d, i, j), text in labels.items():
        assert (s, d) == ("x", "h1") and text == fmt(wa[i, j])
    rc.bar.set_frame(rc.timeline.first_frame("update"))       # every edge coloured: too many
    assert rc.overlay.edge_labels() == []
    rc.deactivate()


def test_no_values_on_the_edges_of_digits(qtbot):
    graph = Graph.load(DIGITS)
    scene = CanvasScene(graph, QUndoStack())
    net = Network(graph, dtype="float64")
    rng = np.random.default_rng(1)
    X, T = rng.normal(size=(1, graph.input_node().size)), np.eye(graph.output_node().size)[[2]]
    tl = ReplayTimeline(net.trace(X, T, lr=0.1), graph)
    overlay = ReplayOverlay(scene)
    for k in (1, tl.first_frame("backward"), tl.first_frame("update")):
        overlay.set_frame(tl.frame(k), tl, 0, net.parameters())
        assert overlay.edge_meaning() is not None and overlay.edge_labels() == []
    overlay.detach()
    scene.close()
