"""Files: open, save, unsaved changes, recent files and the shipped examples."""
import json

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine import Graph, Network

from engine.data import datasets
from gui.files.document import EXAMPLES_DIR, MAX_RECENT, examples

EXPECTED_EXAMPLES = {
    "xor_neurons.json": ("XOR with single neurons", "xor", "bce",
                         [("x", 2), ("n1", 1), ("n2", 1), ("n3", 1), ("n4", 1), ("y", 1)]),
    "circle.json": ("Circle classifier", "circle", "bce", [("x", 2), ("h1", 4), ("h2", 2), ("y", 1)]),
    "digits.json": ("Digits classifier", "digits", "softmax_ce",
                    [("x", 64), ("h1", 128), ("h2", 64), ("y", 10)]),
    "house_prices.json": ("House-price regression", "house_prices", "mse",
                          [("x", 4), ("h1", 8), ("y", 1)]),
    "skip_connection.json": ("Skip connection", "circle", "bce",
                             [("x", 2), ("h1", 4), ("h2", 4), ("y", 1)]),
}
SETTINGS_KEYS = {"data", "optimizer", "lr", "batch_size", "epochs", "validation", "l1", "l2",
                 "seed", "title", "features"}


@pytest.fixture
def window(main_window):
    return main_window


def _edit(window):
    window.push_edit("Move h1", lambda g: g.move_node("h1", (123.5, -45.25)))


def test_open_a_corrupt_file_warns_and_keeps_the_design(window, boxes, tmp_path):
    before = window.graph.copy()
    title = window.windowTitle()
    for name, text in (("bad.json", "{ nope"), ("wrong.json", json.dumps({"format": "other"})),
                       ("cycle.json", json.dumps({"format": "backprop-studio-design", "version": 1,
                        "nodes": [{"id": "a", "kind": "hidden", "size": 1, "activation": "tanh"},
                                  {"id": "b", "kind": "hidden", "size": 1, "activation": "tanh"}],
                        "connections": [{"src": "a", "dst": "b"}, {"src": "b", "dst": "a"}]}))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert window.document.open(path) is False
        assert name in boxes["warning"][-1][2]
        assert window.graph.same_design(before) and window.windowTitle() == title
        assert window.scene.items_match_graph() is None
    assert window.document.open(tmp_path / "missing.json") is False
    assert "missing.json" in boxes["warning"][-1][2]
    assert len(boxes["warning"]) == 4


def test_save_then_open_gives_the_same_design(window, tmp_path):
    _edit(window)
    window.push_edit("Remove edge", lambda g: g.set_edges("x", "h1", [(1, 1)], False))
    window.push_edit("Rename", lambda g: g.update_node("h2", name="second"))
    saved = window.graph.copy()
    assert window.windowTitle() == "circle.json* — Backprop Studio"
    path = tmp_path / "mine"
    assert window.document.save_as(path)
    assert (tmp_path / "mine.json").exists()
    assert window.windowTitle() == "mine.json — Backprop Studio" and not window.document.is_dirty()
    assert window.document.new()
    assert window.graph.nodes == {} and window.windowTitle() == "untitled.json — Backprop Studio"
    graph_object = window.graph
    assert window.document.open(tmp_path / "mine.json")
    assert window.graph is graph_object  # one Graph for the app's lifetime
    assert window.graph.same_design(saved)
    assert window.graph.nodes["h1"].position == (123.5, -45.25)
    assert window.graph.settings == saved.settings
    assert window.undo_stack.count() == 0 and not window.document.is_dirty()
    assert window.scene.items_match_graph() is None
    # Save (not as) writes to the same file again.
    window.push_edit("Loss", lambda g: g.set_loss("mse"))
    assert window.document.save()
    assert Graph.load(tmp_path / "mine.json").loss == "mse"


def test_unsaved_changes_prompt_on_new(window, boxes, tmp_path, monkeypatch):
    _edit(window)
    boxes["answer"] = QMessageBox.Cancel
    assert window.document.new() is False
    assert len(boxes["question"]) == 1 and "circle.json" in boxes["question"][0][2]
    assert window.graph.nodes["h1"].position == (123.5, -45.25) and window.document.is_dirty()
    boxes["answer"] = QMessageBox.Discard
    assert window.document.new() and window.graph.nodes == {} and not window.document.is_dirty()
    # Save: an untitled design asks for a name (here given), then goes on.
    assert window.push_edit("Add", lambda g: g.add_node("input", 3)) is None
    boxes["answer"] = QMessageBox.Save
    target = tmp_path / "kept.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    assert window.document.open_example(EXAMPLES_DIR / "xor_neurons.json")
    assert Graph.load(target).nodes["x1"].size == 3
    assert set(window.graph.nodes) == {"x", "n1", "n2", "n3", "n4", "y"}
    assert window.windowTitle() == "xor_neurons.json — Backprop Studio"
    assert window.document.path is None  # an example is never overwritten by Save


def test_no_prompt_when_clean(window, boxes):
    assert window.document.new()
    assert boxes["question"] == []


def test_recent_files(window, boxes, tmp_path):
    paths = []
    for k in range(MAX_RECENT + 2):
        p = tmp_path / f"d{k}.json"
        window.graph.save(p)
        paths.append(p)
        assert window.document.open(p)
    recent = window.document.recent_files()
    assert recent == [str(p.resolve()) for p in reversed(paths)][:MAX_RECENT]
    paths[-1].unlink()
    window.fill_recent_menu()
    assert str(paths[-1].resolve()) not in window.document.recent_files()
    assert "d9.json" in window.statusBar().currentMessage()
    texts = [a.text() for a in window.menus["recent"].actions() if not a.isSeparator()]
    assert texts[0].endswith("d8.json") and texts[-1] == "Clear list" and len(texts) == MAX_RECENT
    # A file that vanished after the menu was built: warning, and it leaves the list.
    paths[-2].unlink()
    window.menus["recent"].actions()[0].trigger()
    assert "d8.json" in boxes["warning"][-1][2]
    assert str(paths[-2].resolve()) not in window.document.recent_files()
    window.document.clear_recent()
    assert window.document.recent_files() == []


@pytest.mark.parametrize("name", sorted(EXPECTED_EXAMPLES))
def test_every_example_loads_and_compiles(name):
    title, data, loss, sizes = EXPECTED_EXAMPLES[name]
    g = Graph.load(EXAMPLES_DIR / name)
    g.check_complete()
    g.check_loss()
    assert g.settings["title"] == title and g.settings["data"] == data and g.loss == loss
    assert [(n.id, n.size) for n in g.nodes.values()] == sizes
    assert SETTINGS_KEYS <= set(g.settings)
    xs = [n.position[0] for n in g.nodes.values()]
    depth = g.depths()
    assert all(xs[a] < xs[b] for a in range(len(xs)) for b in range(len(xs))
               if depth[list(g.nodes)[a]] < depth[list(g.nodes)[b]])  # laid out left to right
    net = Network(g)
    inputs = g.input_node().size
    out = net.forward(np.zeros((3, inputs), np.float32))
    assert out.shape == (3, g.output_node().size)


def test_example_settings_follow_the_brief():
    digits = Graph.load(EXAMPLES_DIR / "digits.json").settings
    assert (digits["optimizer"], digits["lr"], digits["batch_size"], digits["epochs"]) == ("adam", 0.001, 32, 30)
    assert Graph.load(EXAMPLES_DIR / "house_prices.json").settings["target"] == "price"
    skip = Graph.load(EXAMPLES_DIR / "skip_connection.json")
    assert set(skip.connections) == {("x", "h1"), ("h1", "h2"), ("h2", "y"), ("x", "h2"), ("h1", "y")}
    for k in range(1, 5):
        assert Graph.load(EXAMPLES_DIR / "xor_neurons.json").nodes[f"n{k}"].activation == "tanh"


def test_examples_menu_opens_each_example(window):
    window.fill_examples_menu()
    titles = [a.text() for a in window.menus["examples"].actions()]
    assert titles == [t for t, _ in examples()]
    assert titles[:6] == ["Linear then sigmoid (the smallest network)", "XOR with single neurons",
                          "Circle classifier", "Digits classifier", "House-price regression",
                          "Skip connection"]
    for action in window.menus["examples"].actions():
        action.trigger()
        assert window.scene.items_match_graph() is None
        assert window.graph.settings["title"] == action.text()
        assert not window.document.is_dirty()


@pytest.mark.parametrize("name", sorted(EXPECTED_EXAMPLES))
def test_every_example_fits_its_training_data(name):
    g = Graph.load(EXAMPLES_DIR / name)
    data = datasets.from_settings(g.settings, g.loss)
    datasets.check_design(g, data)  # raises DataError naming the mismatch
    assert data.n_inputs == g.input_node().size and data.n_outputs == g.output_node().size
