"""File ▸ Open takes an ONNX model; File ▸ Import Model… also loads a state dict after showing the mapping."""
import numpy as np
import pytest
from safetensors.numpy import save_file

from engine import Graph
from engine.io.onnx_export import expected_shapes, export_onnx
from engine.nn.network import Network
from gui.files.import_model import MappingDialog

pytest.importorskip("onnx")


@pytest.fixture
def window(main_window, qtbot):
    qtbot.waitUntil(lambda: main_window.training.net is not None)
    return main_window


def _model_file(tmp_path) -> tuple:
    g = Graph("softmax_ce")
    g.add_node("input", 3, id="in")
    g.add_node("hidden", 7, "elu", id="mid")
    g.add_node("output", 4, "softmax", id="out")
    g.connect("in", "mid")
    g.connect("mid", "out")
    params = Network(g, seed=9).parameters()
    export_onnx(g, params, tmp_path / "model.onnx")
    return tmp_path / "model.onnx", params


def _weights(window) -> dict:
    return {k: v.copy() for k, v in window.training.net.parameters().items()}


def test_open_takes_an_onnx_model_as_a_new_unsaved_design(window, boxes, qtbot, tmp_path):
    path, params = _model_file(tmp_path)
    assert window.document.open(path)
    assert [(n.id, n.size, n.activation) for n in window.graph.nodes.values()] == [
        ("in", 3, "linear"), ("mid", 7, "elu"), ("out", 4, "softmax")]
    assert window.document.path is None and window.document.name == "model.json"   # Save never writes the .onnx
    assert window.document.is_dirty() and window.undo_stack.count() == 0
    qtbot.waitUntil(lambda: window.training.net is not None and window.training.net.parameter_shapes()["W:in->mid"]
                    == (7, 3))
    for k, v in params.items():
        np.testing.assert_allclose(window.training.net.parameters()[k], v, atol=1e-7)
    assert not boxes["warning"]


def test_a_refused_model_keeps_the_design(window, boxes, tmp_path):
    before = window.graph.to_dict()
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    assert not window.document.open(tmp_path / "bad.onnx")
    assert boxes["warning"] and "bad.onnx" in boxes["warning"][0][2]
    assert window.graph.to_dict() == before


def _state_dict(window, tmp_path, scale=0.5):
    """The design's parameters under PyTorch-like names (layer0.weight, layer0.bias, ...)."""
    shapes = expected_shapes(window.graph)
    tensors, layer = {}, 0
    for name, shape in shapes.items():
        leaf = "weight" if name.startswith("W:") else "bias"
        tensors[f"layer{layer}.{leaf}"] = np.full(shape, scale, dtype=np.float32)
        layer += leaf == "bias"
    save_file(tensors, str(tmp_path / "sd.safetensors"))
    return tmp_path / "sd.safetensors", list(shapes)


def test_import_model_loads_a_state_dict_after_the_mapping_is_accepted(window, boxes, tmp_path, monkeypatch):
    path, names = _state_dict(window, tmp_path)
    shown = []
    monkeypatch.setattr(type(window.export_actions), "confirm_mapping",
                        staticmethod(lambda source, lines, summary, parent: shown.append(lines) or True))
    design = window.graph.to_dict()
    assert window.export_actions.import_model(path) == path
    assert shown and shown[0][0].startswith("layer0.weight") and shown[0][0].endswith(f"→ {names[0]}")
    assert all(np.all(v == 0.5) for v in window.training.net.parameters().values())
    assert window.graph.to_dict() == design and not boxes["warning"]


def test_cancelling_the_mapping_keeps_the_weights(window, boxes, tmp_path, monkeypatch):
    path, _ = _state_dict(window, tmp_path)
    monkeypatch.setattr(type(window.export_actions), "confirm_mapping", staticmethod(lambda *a: False))
    before = _weights(window)
    assert window.export_actions.import_model(path) is None
    for k, v in before.items():
        np.testing.assert_array_equal(window.training.net.parameters()[k], v)


def test_a_state_dict_that_does_not_fit_is_a_message(window, boxes, tmp_path):
    save_file({"fc.weight": np.ones((5, 9), np.float32)}, str(tmp_path / "odd.safetensors"))
    before = _weights(window)
    assert window.export_actions.import_model(tmp_path / "odd.safetensors") is None
    assert boxes["warning"] and "odd.safetensors was not imported" in boxes["warning"][0][2]
    assert "(5, 9)" in boxes["warning"][0][2]
    for k, v in before.items():
        np.testing.assert_array_equal(window.training.net.parameters()[k], v)


def test_import_model_is_in_the_file_menu_and_opens_onnx(window, boxes, tmp_path):
    texts = [a.text() for a in window.menus["file"].actions()]
    assert "Import &Model…" in texts
    path, _ = _model_file(tmp_path)
    assert window.export_actions.import_model(path) == path
    assert list(window.graph.nodes) == ["in", "mid", "out"]


def test_the_mapping_dialog_lists_every_line(qtbot):
    dialog = MappingDialog("sd.pt", ["fc1.weight (8, 4) → W:x->h1", "fc1.bias (8,) → b:h1"], "2 tensors matched")
    qtbot.addWidget(dialog)
    assert dialog.mapping.toPlainText().splitlines() == ["fc1.weight (8, 4) → W:x->h1", "fc1.bias (8,) → b:h1"]
