"""Fuzzing the GUI's loaders in a real window: File ▸ Open (Document.load), the training panel's
Open CSV (TrainingPanel.use_csv) and File ▸ Import Weights (ExportActions.import_weights).

A refused file shows a message, and the design, its settings, the undo stack and the weights
are exactly what they were; an accepted one is what the engine reads from the file. No
exception may escape into Qt (each example runs under qtbot.captureExceptions).
"""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Graph, GraphError, Network
from gui.core.commands import push_edit
from engine.io.design_weights import load_design_with_weights as _load_design_with_weights
from gui.files.weights_actions import read_any_weights
from tests.fuzz.strategies import (EXAMPLES, NASTY, ROOT, SETTING_FIELDS, accepted, count, design_bytes,
                                   fuzz_settings, json_values)
from tests.fuzz.strategies_data import csv_bytes, designs_with_weights, weight_files
from tests.gui.conftest import boxes, main_window, settings_file  # noqa: F401  (the window fixtures)

XOR_PATH = ROOT / "resources" / "examples" / "xor_neurons.json"
XOR_SHAPES = Network(Graph.from_dict(EXAMPLES["xor_neurons"])).parameter_shapes()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("gui")


@pytest.fixture
def window(main_window, qtbot):
    qtbot.waitUntil(lambda: main_window.training.net is not None)
    return main_window


def _edit(window) -> None:
    """One undoable edit, so that an unchanged undo stack is not trivially empty."""
    node = next(iter(window.graph.nodes.values()), None)
    if node is not None:
        x, y = node.position
        assert push_edit(window.undo_stack, window.graph, "Move",
                         lambda g: g.move_node(node.id, (x + 10, y))) is None


class State:
    """What a refused file must leave exactly as it was."""

    def __init__(self, window, boxes):
        self.window, self.boxes = window, boxes
        self.design = Graph()
        self.design.restore(window.graph.snapshot())
        self.settings = dict(window.graph.settings)
        stack = window.undo_stack
        self.undo = (stack.count(), stack.index(), stack.isClean(), window.document.path)
        self.warnings = len(boxes["warning"])

    def assert_unchanged(self) -> None:
        w, stack = self.window, self.window.undo_stack
        assert w.graph.same_design(self.design) and w.graph.settings == self.settings
        assert (stack.count(), stack.index(), stack.isClean(), w.document.path) == self.undo
        assert w.scene.items_match_graph() is None

    def assert_warned(self) -> None:
        assert len(self.boxes["warning"]) == self.warnings + 1


@fuzz_settings(100)
@given(data=design_bytes() | designs_with_weights())
def test_opening_a_fuzzed_design(window, boxes, qtbot, folder, data):
    path = folder / "open me.json"
    path.write_bytes(data)
    count(loader := "design file: Document.load (GUI)")
    before = State(window, boxes)
    with qtbot.captureExceptions() as raised:
        ok = window.document.load(path)
        qtbot.wait(1)           # queued slots (weights carried by the file, the controller) run now
    assert not raised, raised
    if not ok:
        before.assert_warned()
        before.assert_unchanged()
        return
    design, weights = _load_design_with_weights(path)
    assert window.graph.same_design(design) and window.scene.items_match_graph() is None
    assert window.undo_stack.count() == 0 and window.document.path == path
    net = window.training.net
    if weights is not None and net is not None:     # a design saved with its weights opens with them
        assert all(np.array_equal(net.parameters()[k], v.astype(net.dtype)) for k, v in weights.items())
    accepted(loader)
    _edit(window)


@fuzz_settings(100)
@given(data=csv_bytes())
def test_choosing_a_fuzzed_csv(window, boxes, qtbot, folder, data):
    path = folder / "data.csv"
    path.write_bytes(data)
    count(loader := "CSV: TrainingPanel.use_csv (GUI)")
    panel = window.training.panel
    before = State(window, boxes)
    with qtbot.captureExceptions() as raised:
        panel.use_csv(str(path))
        qtbot.wait(1)
    assert not raised, raised
    if "b00020" in panel.status.styleSheet():     # the panel's error colour: refused
        assert panel.status.text()
        before.assert_unchanged()
        return
    assert window.graph.settings["data"] == str(path)
    assert window.graph.same_design(before.design)
    accepted(loader)


@fuzz_settings(120)
@given(file=weight_files(XOR_SHAPES))
def test_importing_fuzzed_weights(window, boxes, qtbot, folder, file):
    if window.document.name != XOR_PATH.name:
        assert window.document.load(XOR_PATH)
        qtbot.waitUntil(lambda: window.training.net is not None
                        and window.training.net.parameter_shapes() == XOR_SHAPES)
        _edit(window)
    suffix, data = file
    path = folder / f"import{suffix}"
    path.write_bytes(data)
    count(loader := f"weights {suffix}: ExportActions.import_weights (GUI)")
    before = State(window, boxes)
    params = {k: v.copy() for k, v in window.training.net.parameters().items()}
    with qtbot.captureExceptions() as raised:
        result = window.export_actions.import_weights(path)
        qtbot.wait(1)
    assert not raised, raised
    before.assert_unchanged()           # weights are not part of the design or its undo stack
    now = window.training.net.parameters()
    if result is None:
        before.assert_warned()
        assert all(np.array_equal(now[k], v) for k, v in params.items())
        return
    values = read_any_weights(path)
    assert all(np.isfinite(v).all() for v in now.values())
    assert all(np.array_equal(now[k], np.asarray(v, dtype=np.float32)) for k, v in values.items())
    accepted(loader)


FUZZED_SETTINGS = SETTING_FIELDS


@fuzz_settings(100)
@given(key=st.sampled_from(FUZZED_SETTINGS), value=st.sampled_from(NASTY) | json_values(4))
def test_opening_a_design_with_a_hand_edited_setting(window, boxes, qtbot, folder, key, value):
    design = json.loads(json.dumps(EXAMPLES["xor_neurons"]))
    design["settings"][key] = value
    path = folder / "settings.json"
    path.write_text(json.dumps(design))
    count(loader := "design settings: Document.load + TrainingPanel.load_settings (GUI)")
    with qtbot.captureExceptions() as raised:
        assert window.document.load(path)
        qtbot.wait(1)
    assert not raised, raised
    # Kept as written (compared as JSON text: a NaN, alone or in a list, is not equal to itself).
    assert json.dumps(window.graph.settings[key]) == json.dumps(value)
    panel = window.training.panel
    if key == "epochs" and isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**6:
        assert panel.epochs.value() == value
    accepted(loader)


@pytest.mark.parametrize("seed", ["x", None, float("inf"), [1]])
def test_a_design_with_a_seed_that_is_not_a_number_opens(window, qtbot, folder, seed):
    design = json.loads(json.dumps(EXAMPLES["xor_neurons"]))
    design["settings"]["seed"] = seed
    path = folder / "seed.json"
    path.write_text(json.dumps(design))
    with qtbot.captureExceptions() as raised:
        window.document.load(path)      # the controller's reload runs inside, on document.loaded
    assert not raised, raised


def test_a_wrong_setting_shows_the_default_and_the_others_their_values(window, folder):
    design = json.loads(json.dumps(EXAMPLES["xor_neurons"]))
    design["settings"].update(noise=None, samples=1e400, batch_size="x", epochs=2**63, l2=0.25, lr="fast")
    path = folder / "mixed.json"
    path.write_text(json.dumps(design).replace("1e+400", "1e400"))
    assert window.document.load(path)
    panel = window.training.panel
    assert panel.noise.value() == 0.1 and panel.samples.value() == 200
    assert panel.batch.value() == 32 and panel.epochs.value() == panel.epochs.maximum()
    assert panel.l2.value() == 0.25 and float(panel.lr.currentText()) == 0.01


def test_a_refused_design_keeps_the_window_usable(window, boxes, qtbot, folder):
    """The plain version of the fuzz test above, on a design with a cycle."""
    _edit(window)
    path = folder / "cycle.json"
    design = dict(EXAMPLES["xor_neurons"])
    design["connections"] = design["connections"] + [{"src": "y", "dst": "n1"}]
    path.write_text(json.dumps(design))
    before = State(window, boxes)
    assert not window.document.load(path)
    before.assert_warned()
    before.assert_unchanged()
    assert "cycle" in boxes["warning"][-1][2] or "output" in boxes["warning"][-1][2]
    window.undo_stack.undo()
    assert window.undo_stack.index() == before.undo[1] - 1
    with pytest.raises(GraphError):
        Graph.load(path)


def test_importing_weights_beyond_float32_changes_nothing(window, boxes, qtbot, folder):
    from engine.io.weights import save_weights
    assert window.document.load(XOR_PATH)
    qtbot.waitUntil(lambda: window.training.net is not None
                    and window.training.net.parameter_shapes() == XOR_SHAPES)
    before = {k: v.copy() for k, v in window.training.net.parameters().items()}
    params = {k: v.astype(np.float64) for k, v in before.items()}
    params["b:y"][0] = 1e300         # finite in the file, inf in the float32 network
    save_weights(params, folder / "big.safetensors")
    assert window.export_actions.import_weights(folder / "big.safetensors") is None
    assert "b:y holds values beyond the range of float32" in boxes["warning"][-1][2]
    assert all(np.array_equal(window.training.net.parameters()[k], v) for k, v in before.items())
