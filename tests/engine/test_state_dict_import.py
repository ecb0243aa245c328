"""PyTorch state dicts go into a design: matched by shape and order, the mapping told, never guessed."""
import builtins

import numpy as np
import pytest

from engine import Graph
from engine.io.model_import import ModelImportError, import_model
from engine.io.weights import save_weights
from engine.model.preprocessing import Preprocessing
from engine.nn.network import Network

torch = pytest.importorskip("torch")
from safetensors.numpy import save_file  # noqa: E402


def chain(*sizes, activation="relu") -> Graph:
    g = Graph("mse")
    ids = ["x"] + [f"h{i}" for i in range(1, len(sizes) - 1)] + ["y"]
    for i, (node_id, size) in enumerate(zip(ids, sizes)):
        kind = "input" if i == 0 else "output" if i == len(sizes) - 1 else "hidden"
        g.add_node(kind, size, "linear" if kind != "hidden" else activation, id=node_id)
    for a, b in zip(ids, ids[1:]):
        g.connect(a, b)
    return g


def torch_model(*sizes):
    torch.manual_seed(0)
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1]).eval()


def same_outputs(result, model, n_in):
    x = np.random.default_rng(1).normal(size=(10, n_in))
    net = Network(result.graph, dtype="float64")
    net.load_parameters({k: v.astype(np.float64) for k, v in result.params.items()})
    with torch.no_grad():
        want = model(torch.tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(net.forward(x), want, atol=1e-5)


def test_a_pt_state_dict_goes_in_by_order_and_the_mapping_is_told(tmp_path):
    model = torch_model(4, 8, 8, 2)          # two (8, ...) layers of different shapes, one (8, 8)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    result = import_model(tmp_path / "m.pt", chain(4, 8, 8, 2))
    assert result.mapping[:2] == ["0.weight (8, 4) → W:x->h1", "0.bias (8,) → b:h1"]
    assert "2.weight (8, 8) → W:h1->h2" in result.mapping
    same_outputs(result, model, 4)


def test_a_checkpoint_holding_a_state_dict_is_read(tmp_path):
    model = torch_model(3, 5, 1)
    torch.save({"epoch": 3, "model_state_dict": model.state_dict()}, tmp_path / "ckpt.pth")
    same_outputs(import_model(tmp_path / "ckpt.pth", chain(3, 5, 1)), model, 3)


def test_safetensors_with_numbered_names_in_layer_order(tmp_path):
    model = torch_model(*([2] + [3] * 11 + [1]))         # layers 0..22: "10" must come after "2"
    save_file({k: v.numpy() for k, v in model.state_dict().items()}, str(tmp_path / "m.safetensors"))
    same_outputs(import_model(tmp_path / "m.safetensors", chain(*([2] + [3] * 11 + [1]))), model, 2)


def test_unnumbered_names_with_repeated_shapes_are_ambiguous(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {"encoder.weight": rng.normal(size=(4, 4)), "encoder.bias": np.zeros(4),
               "decoder.weight": rng.normal(size=(4, 4)), "decoder.bias": np.zeros(4)}
    save_file(tensors, str(tmp_path / "ae.safetensors"))
    with pytest.raises(ModelImportError) as e:
        import_model(tmp_path / "ae.safetensors", chain(4, 4, 4))
    assert "W:x->h1 needs (4, 4): 2 tensors have that shape" in str(e.value)


def test_a_mismatch_is_refused_naming_the_shapes(tmp_path):
    torch.save(torch_model(4, 8, 2).state_dict(), tmp_path / "m.pt")
    with pytest.raises(ModelImportError) as e:
        import_model(tmp_path / "m.pt", chain(4, 6, 2))
    text = str(e.value)
    assert "W:x->h1 needs (6, 4)" in text and "0.weight (8, 4)" in text
    with pytest.raises(ModelImportError, match="holds 4 tensors.*3 parameters|holds 4 tensors"):
        import_model(tmp_path / "m.pt", chain(4, 8))


def test_the_apps_own_safetensors_are_read_by_name_with_their_transform(tmp_path):
    g = chain(2, 3, 1)
    params = Network(g, seed=2).parameters()
    p = Preprocessing(["a", "b"], ["a", "b"], [1.0, 2.0], [3.0, 4.0], "regression", "t", target_mean=5.0)
    save_weights(params, tmp_path / "w.safetensors", preprocessing=p)
    result = import_model(tmp_path / "w.safetensors", chain(2, 3, 1))
    assert result.graph.preprocessing.same_as(p)
    for k, v in params.items():
        np.testing.assert_array_equal(result.params[k], v)
    assert "W:x->h1 (3, 2) → W:x->h1" in result.mapping


def test_pt_files_need_torch_and_are_never_unpickled_without_it(tmp_path, monkeypatch):
    torch.save(torch_model(2, 1).state_dict(), tmp_path / "m.pt")
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ModelImportError, match="PyTorch is needed to read .pt"):
        import_model(tmp_path / "m.pt", chain(2, 1))


def test_a_pickle_that_is_not_only_tensors_is_refused(tmp_path):
    torch.save({"fc.weight": torch.zeros(1, 2), "hook": Graph}, tmp_path / "evil.pt")
    with pytest.raises(ModelImportError, match="weights_only"):
        import_model(tmp_path / "evil.pt", chain(2, 1))


def test_a_state_dict_needs_a_design(tmp_path):
    torch.save(torch_model(2, 1).state_dict(), tmp_path / "m.pt")
    with pytest.raises(ModelImportError, match="no design"):
        import_model(tmp_path / "m.pt")
