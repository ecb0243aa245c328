"""Import Weights on files with malformed metadata, and designs whose node ids contain "->"."""
import io
import json

import numpy as np
import pytest
from PySide6.QtCore import QMimeData
from safetensors.numpy import save

from engine import Graph, GraphError
from engine.io.weights import save_weights
from engine.model.param_names import weight_name
from engine.io.design_weights import load_design_with_weights
from gui.core.mime import PALETTE_MIME, spec_from_mime_data

from tests.gui.test_live_training import TIMEOUT, wait_for_step

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def window(main_window, qtbot):
    qtbot.waitUntil(lambda: main_window.training.net is not None)
    return main_window


def _params(window) -> dict:
    return {k: v.copy() for k, v in window.training.net.parameters().items()}


def _npz(params: dict, design_text: str) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **params, __design__=np.frombuffer(design_text.encode(), np.uint8))
    return buf.getvalue()


def _malformed_files(params: dict) -> dict[str, bytes]:
    order = json.dumps(list(params))
    doc = {"format": "backprop-studio-weights", "version": 1,
           "parameters": [{"name": k, "shape": list(v.shape), "values": v.tolist()} for k, v in params.items()]}
    return {"deep_design.npz": _npz(params, DEEP),
            "deep_design.safetensors": save(params, metadata={"order": order, "__design__": DEEP}),
            "deep_order.safetensors": save(params, metadata={"order": DEEP}),
            "number_order.safetensors": save({"1": np.zeros(1, np.float32)}, metadata={"order": "[1]"}),
            "deep_design.json": json.dumps(doc)[:-1].encode() + b', "design": ' + DEEP.encode() + b"}"}


def test_malformed_metadata_is_a_message_and_nothing_changes(window, boxes, tmp_path):
    before, design = _params(window), window.graph.copy()
    for name, data in _malformed_files(before).items():
        (tmp_path / name).write_bytes(data)
        assert window.export_actions.import_weights(tmp_path / name) is None
        text = boxes["warning"][-1][2]
        assert name in text and "nothing changed" in text, text
        assert window.graph.same_design(design)
        for k, v in before.items():
            np.testing.assert_array_equal(window.training.net.parameters()[k], v)
    assert len(boxes["warning"]) == len(_malformed_files(before))


def test_a_design_file_whose_weights_field_is_nested_too_deeply_is_a_graph_error(window, tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(window.graph.to_dict())[:-1] + ', "weights": ' + DEEP + "}")
    with pytest.raises(GraphError, match=r"^d\.json: "):
        load_design_with_weights(path)


# ----- an old design whose ids contain "->" ------------------------------------------------------
ARROWS = {"format": "backprop-studio-design", "version": 1, "loss": "mse",
          "nodes": [{"id": "a", "kind": "input", "size": 2},
                    {"id": "a->b", "kind": "hidden", "size": 3, "activation": "tanh"},
                    {"id": "b->c", "kind": "hidden", "size": 2, "activation": "tanh"},
                    {"id": "c", "kind": "output", "size": 1, "activation": "linear"}],
          "connections": [{"src": "a", "dst": "a->b"}, {"src": "a", "dst": "b->c"},
                          {"src": "a->b", "dst": "b->c"}, {"src": "b->c", "dst": "c"}]}


def test_a_window_on_ids_with_arrows_imports_weights_and_colours_every_edge(window, qtbot, boxes, tmp_path):
    window.document.replace_design(Graph.from_dict(ARROWS), tmp_path / "old.json")
    qtbot.waitUntil(lambda: window.training.net is not None
                    and "W:a->b->c" in window.training.net.parameters())
    net = window.training.net
    saved = {k: np.full_like(v, 0.5) for k, v in net.parameters().items()}
    save_weights(saved, tmp_path / "w.safetensors")
    window.training.set_edge_mode("weight")
    window.training.latest = None
    assert window.export_actions.import_weights(tmp_path / "w.safetensors") is not None
    assert not boxes["warning"]
    for pair, item in window.scene.connection_items.items():
        assert pair in window.graph.connections
        np.testing.assert_array_equal(item.magnitudes(), 0.5)          # every edge coloured
    for node in ("a->b", "b->c", "c"):
        np.testing.assert_array_equal(window.scene.node_items[node].values(), 0.5)


def test_training_a_design_with_arrows_in_its_ids_colours_edges_and_names_the_flow(window, qtbot, tmp_path):
    design = Graph.from_dict(ARROWS)
    design.settings.update(data="xor", epochs=0)
    window.document.replace_design(design, tmp_path / "old.json")
    training = window.training
    qtbot.waitUntil(lambda: training.net is not None and "W:a->b->c" in training.net.parameters(),
                    timeout=TIMEOUT)
    training.set_edge_mode("gradient")
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    assert set(training.latest["grad_norms"]) == {c.key for c in window.graph.connections.values()}
    for pair, item in window.scene.connection_items.items():
        gradient = training.latest["gradients"][weight_name(*pair)]
        np.testing.assert_allclose(item.magnitudes(), np.abs(gradient).ravel())
    labels = {curve.name() for curve in training.flow.curves.values()}
    assert labels == {"a → a->b", "a → b->c", "a->b → b->c", "b->c → c"}


def test_a_palette_drag_nested_too_deeply_carries_no_spec():
    mime = QMimeData()
    mime.setData(PALETTE_MIME, DEEP.encode())
    assert spec_from_mime_data(mime) is None
