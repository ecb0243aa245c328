"""The replay shows each example raw and as the network sees it, explains the loss on its
scale, and rings the example on the decision boundary (issue 18)."""
import csv
from pathlib import Path

import numpy as np

from engine import Graph
from engine.data.datasets import HOUSE_PRICES
from gui.core.formatting import fmt, fmt_units
from gui.plots.boundary import DecisionBoundaryView
from gui.replay.controller import ReplayController
from tests.gui.test_replay_widgets import Window as ReplayWindow

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


class Window(ReplayWindow):
    """The replay's window, with the decision boundary it rings examples on."""

    def __init__(self, graph):
        super().__init__(graph)
        self.boundary = DecisionBoundaryView()


def replay_of(qtbot, name: str, graph=None):
    graph = graph or Graph.load(EXAMPLES / f"{name}.json")
    window = Window(graph)
    qtbot.addWidget(window)
    qtbot.addWidget(window.boundary)
    rc = ReplayController(graph, window.scene, window.view, boundary=window.boundary, parent=window)
    rc.activate()
    assert rc.timeline is not None
    return window, rc


def transform_line(name, raw, mean, std, seen, derived=False) -> str:
    """The line the panel shows for one input, from the numbers of the data."""
    shift = f" − {fmt_units(mean)}" if mean >= 0 else f" + {fmt_units(-mean)}"
    head = f"{name} = {fmt_units(raw)}" if derived else f"{name} {fmt_units(raw)}"
    return f"{head} → ({fmt_units(raw)}{shift})/{fmt_units(std)} = {fmt(seen)}"


def test_xor_example_shows_its_raw_point_and_the_standardised_inputs(qtbot):
    window, rc = replay_of(qtbot, "xor_neurons")
    data, p = rc.data, rc.data.preprocessing
    k = 3
    rc.bar.set_example(k)
    point, seen = data.points_train[k], data.X_train[k]
    np.testing.assert_allclose((point - p.mean) / p.std, seen)     # the numbers shown add up
    lines = [transform_line(n, point[i], p.mean[i], p.std[i], seen[i]) for i, n in enumerate(("x1", "x2"))]
    overview = rc.panel.text.toPlainText()
    assert all(line in overview for line in lines)
    assert f"training example {k + 1} of {len(data.X_train)}" in overview
    klass = p.classes[int(data.labels_train[k])]
    assert f"class “{klass}”" in overview and f"t = {int(data.labels_train[k])}" in overview
    bar = rc.bar.values_label.text()
    assert f"({fmt(point[0])}, {fmt(point[1])})" in bar and f"({fmt(seen[0])}, {fmt(seen[1])})" in bar
    rc.panel.show_neuron("x", 1)                           # the input's own explanation
    assert lines[1] in rc.panel.text.toPlainText() and lines[0] in rc.panel.text.toPlainText()


def test_derived_inputs_show_their_formula_and_a_typed_point(qtbot):
    graph = Graph.load(EXAMPLES / "circle.json")
    graph.settings["features"] = ["x1^2", "x1*x2"]
    graph.update_node(graph.input_node().id, size=4)
    window, rc = replay_of(qtbot, "", graph)
    p = rc.data.preprocessing
    rc.bar.point_chosen.emit(1.5, -2.0)
    raw = np.array([1.5, -2.0, 1.5 ** 2, 1.5 * -2.0])
    seen = rc.X[0]
    np.testing.assert_allclose((raw - p.mean) / p.std, seen)
    text = rc.panel.text.toPlainText()
    assert transform_line("x1^2", 2.25, p.mean[2], p.std[2], seen[2], derived=True) in text
    assert transform_line("x1*x2", -3.0, p.mean[3], p.std[3], seen[3], derived=True) in text
    assert window.boundary.highlight() == (1.5, -2.0)


def test_house_prices_target_is_explained_in_units_and_on_the_loss_scale(qtbot):
    window, rc = replay_of(qtbot, "house_prices")
    data, p = rc.data, rc.data.preprocessing
    k = 2
    rc.bar.set_example(k)
    price, t = float(data.labels_train[k]), float(data.T_train[k, 0])
    assert np.isclose((price - p.target_mean) / p.target_std, t)
    with open(HOUSE_PRICES, newline="") as f:
        rows = [[float(v) for v in row] for row in list(csv.reader(f))[1:]]
    raw = data.X_train[k] * p.std + p.mean
    match = [r for r in rows if np.allclose(r[:4], raw) and r[4] == price]
    assert match, "the raw values shown are a row of the CSV"
    area = match[0][0]
    overview = rc.panel.text.toPlainText()
    assert transform_line("area_m2", area, p.mean[0], p.std[0], data.X_train[k, 0]) in overview
    scale = (f"t = ({fmt_units(price)} − {fmt_units(p.target_mean)})/{fmt_units(p.target_std)} = {fmt(t)}. "
             "The loss is computed on this scale.")
    assert scale in overview and fmt_units(price) == f"{price:,.0f}"
    rc.panel.show_neuron("y", 0)                           # the output: loss and prediction in units
    text = rc.panel.text.toPlainText()
    y = next(s for s in rc.steps if s.phase == "loss").values["y"][0, 0]
    assert scale in text and f"= {fmt_units(y * p.target_std + p.target_mean)}." in text
    assert f"price {fmt_units(price)} → t = {fmt(t)}" in rc.bar.values_label.text()
    assert window.boundary.highlight() is None              # not 2-D: nothing to ring
    loss_frame = next(i for i in range(len(rc.timeline)) if rc.timeline.frame(i).phase == "loss")
    rc.bar.set_frame(loss_frame)                            # the canvas: the output in units as well
    beside_output = [text for node, k, text in rc.overlay.labels() if node == "y"]
    assert beside_output == [f"y {fmt(y)}  t {fmt(t)}  → {fmt_units(y * p.target_std + p.target_mean)} price"]


def test_the_boundary_ring_follows_the_example_and_goes_with_the_replay(qtbot):
    window, rc = replay_of(qtbot, "xor_neurons")
    points = rc.data.points_train
    ring = window.boundary.highlight_ring
    assert window.boundary.highlight() == tuple(points[0])
    rc.bar.set_example(7)
    assert window.boundary.highlight() == tuple(points[7])
    xs, ys = ring.getData()
    assert np.allclose(xs, points[7, 0]) and np.allclose(ys, points[7, 1]) and len(xs) > 0
    rc.deactivate()
    assert window.boundary.highlight() is None and len(ring.getData()[0]) == 0
    rc.activate()
    assert window.boundary.highlight() == tuple(points[7])


def test_random_inputs_still_show_the_saved_transform(qtbot):
    graph = Graph.load(EXAMPLES / "circle.json")
    graph.settings["features"] = ["x1^2"]
    graph.update_node(graph.input_node().id, size=3)
    _, rc = replay_of(qtbot, "", graph)
    p = rc.data.preprocessing
    graph.set_preprocessing(p)                 # as after training, then the data goes missing
    graph.settings["data"] = "no_such_data"
    rc.refresh()
    assert rc.data is None and "random inputs" in rc.problem
    text = rc.panel.text.toPlainText()
    assert "random inputs" in text and "random inputs" in rc.bar.values_label.text()
    before = rc.X[0] * p.std + p.mean          # the random inputs stand for a consistent raw point
    assert np.isclose(before[2], before[0] ** 2)
    assert transform_line("x1", before[0], p.mean[0], p.std[0], rc.X[0, 0]) in text
    assert rc.boundary.highlight() is None


def test_random_inputs_without_a_transform_say_so(qtbot):
    graph = Graph.load(EXAMPLES / "xor_neurons.json")
    graph.settings["data"] = "no_such_data"
    _, rc = replay_of(qtbot, "", graph)
    text = rc.panel.text.toPlainText()
    assert "on the network's scale" in text and "random inputs" in text
    assert rc.bar.values_label.text().endswith("(random inputs)")


def test_main_window_rings_the_replayed_example(qtbot, main_window):
    rc = main_window.replay
    main_window.show()
    rc.toggle_action.trigger()                 # Train ▸ Replay the Chain Rule
    qtbot.waitUntil(lambda: rc.timeline is not None, timeout=5000)
    assert main_window.training.boundary.highlight() == tuple(rc.data.points_train[rc.bar.current_example()])
    rc.toggle_action.trigger()
    qtbot.waitUntil(lambda: not rc.active, timeout=5000)
    assert main_window.training.boundary.highlight() is None
