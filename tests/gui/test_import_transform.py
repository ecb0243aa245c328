"""File ▸ Import Weights takes the transform saved with the weights into the design."""
import numpy as np
import pytest

from engine.data.datasets import load_dataset
from engine.io.design_weights import save_design_with_weights
from engine.io.weights import save_weights
from engine.model.preprocessing import Preprocessing


@pytest.fixture
def window(main_window, qtbot):
    qtbot.waitUntil(lambda: main_window.training.net is not None)
    return main_window


def _transform() -> Preprocessing:
    p = load_dataset("xor", samples=40, seed=0).preprocessing
    return Preprocessing.from_dict(p.to_dict() | {"mean": [1.5, -2.0], "std": [3.0, 0.5]})


@pytest.mark.parametrize("ext", [".npz", ".safetensors", ".json"])
def test_importing_weights_restores_their_transform(window, boxes, tmp_path, ext):
    p = _transform()
    assert window.graph.input_node().size == len(p.inputs) and not window.graph.preprocessing
    params = {k: np.full_like(v, 0.25) for k, v in window.training.net.parameters().items()}
    save_weights(params, tmp_path / f"w{ext}", preprocessing=p)
    assert window.export_actions.import_weights(tmp_path / f"w{ext}") == tmp_path / f"w{ext}"
    assert not boxes["warning"]
    assert window.graph.preprocessing.same_as(p) and window.document.is_dirty()
    save_weights(params, tmp_path / f"plain{ext}")      # weights without a transform leave it alone
    assert window.export_actions.import_weights(tmp_path / f"plain{ext}") is not None
    assert window.graph.preprocessing.same_as(p)


def test_importing_a_design_saved_with_weights_restores_its_transform(window, boxes, tmp_path):
    p = _transform()
    other = window.graph.copy()
    other.preprocessing = p
    save_design_with_weights(other, window.training.net.parameters(), tmp_path / "d.json")
    assert window.export_actions.import_weights(tmp_path / "d.json") is not None
    assert window.graph.preprocessing.same_as(p) and not boxes["warning"]
