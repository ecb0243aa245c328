"""The design adopts the transform fitted on the data, saves it, and the canvas shows it (issue 18)."""
import json

import numpy as np
import pytest

from engine import Graph
from engine.data.datasets import from_settings, load_dataset
from PySide6.QtGui import QUndoStack

from gui.canvas.scene import CanvasScene
from gui.canvas.transform_badge import MAX_LINES, TransformFollower, input_tooltip
from gui.core.formatting import fmt_units
from gui.files.document import EXAMPLES_DIR
from gui.training.transform_notes import adopt_transform

TIMEOUT = 30_000    # ms: the worker process is spawned and may be slow to start


@pytest.fixture
def house_prices(qtbot, main_window):
    """The house-price example, its first mini-batch trained (the transform fitted and adopted)."""
    assert main_window.document.load(EXAMPLES_DIR / "house_prices.json", as_example=True)
    graph, training = main_window.graph, main_window.training
    graph.settings["epochs"] = 0
    assert graph.preprocessing is None      # the example file carries none
    qtbot.waitUntil(lambda: training.net is not None, timeout=TIMEOUT)
    training.panel.step_button.click()
    qtbot.waitUntil(lambda: graph.preprocessing is not None and training.info is not None,
                    timeout=TIMEOUT)
    return main_window


def input_item(window):
    return next(i for i in window.scene.node_items.values() if i.node.kind == "input")


def output_item(window):
    return next(i for i in window.scene.node_items.values() if i.node.kind == "output")


def test_training_adopts_the_datasets_transform_and_the_badge_names_its_numbers(house_prices):
    graph = house_prices.graph
    expected = from_settings(graph.settings, graph.loss).preprocessing
    assert graph.preprocessing.same_as(expected)
    assert graph.preprocessing.features == ["area_m2", "rooms", "age_years", "distance_km"]
    badge = input_item(house_prices).transform_badge()
    assert badge is not None and badge.isVisible()
    assert f"area_m2: mean {fmt_units(expected.mean[0])}, deviation {fmt_units(expected.std[0])}" \
        in badge.toolTip()
    # A first fit is told quietly, in the data notes, not as a refit.
    training = house_prices.training
    assert "Refitted" not in training.panel.status.text()
    assert "Inputs standardised on the training split of house_prices (4 features)" \
        in training.panel.data_notes.text()
    # The document has changed (the transform is saved with it), without an undo step.
    assert house_prices.document.is_dirty()
    assert house_prices.undo_stack.count() == 0


def test_the_regression_output_says_its_target_scale(house_prices):
    p = house_prices.graph.preprocessing
    item = output_item(house_prices)
    tip = item.transform_badge().toolTip()
    assert "Target price" in tip and fmt_units(p.target_mean) in tip and fmt_units(p.target_std) in tip
    assert "de-standardise" in tip
    assert f"→ {fmt_units(p.target_mean + p.target_std)} price" in tip
    assert "de-standardise" in item.toolTip()


def test_changing_the_data_refits_and_says_so(qtbot, house_prices):
    graph, training = house_prices.graph, house_prices.training
    before = graph.preprocessing
    training.panel.validation.setValue(0.4)
    training.panel.validation.editingFinished.emit()
    qtbot.waitUntil(lambda: not graph.preprocessing.same_as(before), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "Refitted" in training.panel.status.text(), timeout=TIMEOUT)
    assert ("Refitted the input standardisation on the training split of house_prices (4 features)"
            in training.panel.status.text())
    assert graph.preprocessing.same_as(from_settings(graph.settings, graph.loss).preprocessing)
    p = graph.preprocessing
    assert f"mean {fmt_units(p.mean[0])}" in input_item(house_prices).transform_badge().toolTip()


def test_a_design_saved_after_training_carries_the_transform_and_opens_with_it(tmp_path, house_prices):
    graph, document = house_prices.graph, house_prices.document
    path = tmp_path / "house.json"
    assert document.save_as(path)
    saved = json.loads(path.read_text())
    assert saved["preprocessing"] == graph.preprocessing.to_dict()
    fitted = graph.preprocessing
    document.replace_design(Graph())
    assert graph.preprocessing is None and all(
        i.transform_badge() is None for i in house_prices.scene.node_items.values())
    assert document.load(path)
    assert graph.preprocessing.same_as(fitted)
    assert input_item(house_prices).transform_badge() is not None


def test_the_missing_values_combo_writes_the_design_setting(qtbot, main_window):
    assert main_window.document.load(EXAMPLES_DIR / "house_prices.json", as_example=True)
    panel = main_window.training.panel
    assert panel.missing_combo.isEnabled()
    assert panel.missing_combo.currentData() == "refuse"
    for value in ("drop", "mean", "refuse"):
        panel.missing_combo.setCurrentIndex(panel.missing_combo.findData(value))
        panel.missing_combo.activated.emit(panel.missing_combo.currentIndex())
        assert main_window.graph.settings["missing"] == value
    assert main_window.document.is_dirty()
    main_window.graph.settings["missing"] = "mean"
    panel.load_settings()
    assert panel.missing_combo.currentData() == "mean"
    assert "training mean" in panel.missing_combo.toolTip()


def test_the_badge_follows_the_graphs_transform(qtbot):
    graph = Graph()
    x = graph.add_node("input", 3).id
    y = graph.add_node("output", 2, "softmax").id
    graph.connect(x, y)
    scene = CanvasScene(graph, QUndoStack())
    follower = TransformFollower(graph, scene)
    items = scene.node_items
    assert items[x].transform_badge() is None
    ds = load_dataset("xor", loss="softmax_ce", features=["x1^2"])
    graph.set_preprocessing(ds.preprocessing)
    tip = items[x].transform_badge().toolTip()
    assert "x1^2: mean" in tip and "Derived from x1 and x2" in tip
    assert items[y].transform_badge() is None          # classes, not a scale
    assert "Outputs in class order" in items[y].toolTip()
    graph.remove_node(x)                                # an input node added later gets it too
    added = graph.add_node("input", 2).id
    assert items[added].transform_badge() is not None
    graph.set_preprocessing(None)
    assert all(i.transform_badge() is None for i in items.values())
    follower.detach()
    scene.close()


def test_a_long_input_list_is_cut_short_in_the_tooltip():
    ds = load_dataset("digits", loss="softmax_ce")
    tip = input_tooltip(ds.preprocessing)
    assert tip.count(": mean ") == MAX_LINES - 1
    assert f"… and {len(ds.preprocessing.inputs) - MAX_LINES + 1} more" in tip


def test_adopting_an_equal_transform_changes_nothing():
    graph = Graph()
    ds = load_dataset("house_prices")
    info = {"name": ds.name, "preprocessing": ds.preprocessing.to_dict(), "notes": ["a note"]}
    first = adopt_transform(graph, info)
    assert first.changed and first.refitted is None and first.notes[-1] == "a note"
    again = adopt_transform(graph, info)
    assert not again.changed and again.refitted is None
    other = load_dataset("house_prices", validation=0.5).preprocessing
    third = adopt_transform(graph, dict(info, preprocessing=other.to_dict()))
    assert third.changed and "Refitted" in third.refitted
    assert np.array_equal(graph.preprocessing.mean, other.mean)
    bad = adopt_transform(graph, dict(info, preprocessing={"features": 3}))
    assert not bad.changed and graph.preprocessing.same_as(other)


def test_a_csv_with_a_gap_trains_when_rows_may_be_dropped_and_the_panel_says_so(qtbot, tmp_path, main_window):
    path = tmp_path / "gaps.csv"
    rows = [f"{k},{k % 3},{2 * k}" for k in range(30)]
    rows[4] = "4,,8"
    path.write_text("area,rooms,price\n" + "\n".join(rows) + "\n")
    training, graph = main_window.training, main_window.graph
    panel = training.panel
    panel.use_csv(str(path))
    assert "is empty" in panel.status.text() and "\"Missing values\" above" in panel.status.text()
    assert graph.settings["data"] != str(path)        # refused by default: the data stays as it was
    panel.missing_combo.setCurrentIndex(panel.missing_combo.findData("drop"))
    panel.missing_combo.activated.emit(panel.missing_combo.currentIndex())
    panel.use_csv(str(path))
    assert graph.settings["data"] == str(path) and graph.settings["missing"] == "drop"
    graph.settings["epochs"] = 0
    nodes = {n.kind: n.id for n in graph.nodes.values()}
    graph.update_node(nodes["input"], size=2)
    graph.update_node(nodes["output"], size=1, activation="linear")
    graph.set_loss("mse")
    qtbot.waitUntil(lambda: training.net is not None and training.net.sizes[nodes["input"]] == 2,
                    timeout=TIMEOUT)
    panel.step_button.click()
    qtbot.waitUntil(lambda: "1 row with missing values dropped" in panel.data_notes.text(), timeout=TIMEOUT)
    assert graph.preprocessing.features == ["area", "rooms"] and graph.preprocessing.target == "price"
