"""``main.py import``, and export and train taking a design that carries its weights."""
import json
import warnings

import numpy as np
import pytest

from engine import Graph
from engine.cli import main
from engine.io.design_weights import load_design_with_weights

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")


@pytest.fixture
def onnx_model(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1),
                                torch.nn.Sigmoid()).eval()
    path = tmp_path / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.randn(3, 2), str(path), dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "n"}})
    return path


def one_error_line(capsys, code, expected_code=1) -> str:
    err = capsys.readouterr().err
    assert code == expected_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def test_import_onnx_then_export_and_train_without_weights(onnx_model, tmp_path, capsys):
    out = tmp_path / "imported.json"
    assert main(["import", str(onnx_model), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "W:x->h1 (6, 2)" in printed and f"wrote {out}" in printed
    graph, params = load_design_with_weights(out)
    assert graph.loss == "bce" and params is not None

    assert main(["export", str(out), str(tmp_path / "again.onnx")]) == 0     # no --weights
    x = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32)
    runs = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in
            (onnx_model, tmp_path / "again.onnx")]
    before, after = (s.run(None, {s.get_inputs()[0].name: x})[0] for s in runs)
    np.testing.assert_allclose(after, before, atol=1e-5)

    capsys.readouterr()
    assert main(["train", str(out), "--data", "xor", "--epochs", "0", "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    # Zero epochs from the carried weights: the loss is theirs, not a fresh network's.
    from engine.data.datasets import load_dataset
    from engine.nn.network import Network
    data = load_dataset("xor")
    net = Network(graph, dtype="float32")
    net.load_parameters(params)
    assert trained["train_loss"] == pytest.approx(net.loss_value(data.X_train, data.T_train), rel=1e-4)


def test_export_of_a_design_without_weights_asks_for_them(tmp_path, capsys):
    g = Graph("mse")
    g.add_node("input", 2, id="x")
    g.add_node("output", 1, "linear", id="y")
    g.connect("x", "y")
    g.save(tmp_path / "plain.json")
    line = one_error_line(capsys, main(["export", str(tmp_path / "plain.json"), str(tmp_path / "w.npz")]))
    assert "plain.json carries no weights" in line and "--weights" in line


def test_a_state_dict_goes_into_the_design_and_the_mapping_is_printed(tmp_path, capsys):
    g = Graph("mse")
    g.add_node("input", 3, id="x")
    g.add_node("hidden", 4, "relu", id="h")
    g.add_node("output", 1, "linear", id="y")
    g.connect("x", "h")
    g.connect("h", "y")
    g.save(tmp_path / "design.json")
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    out = tmp_path / "with_weights.json"
    assert main(["import", str(tmp_path / "sd.pt"), str(out), "--design", str(tmp_path / "design.json")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:4] == ["0.weight (4, 3) → W:x->h", "0.bias (4,) → b:h", "2.weight (1, 4) → W:h->y",
                           "2.bias (1,) → b:y"]
    _graph, params = load_design_with_weights(out)
    np.testing.assert_allclose(params["W:x->h"], model[0].weight.detach().numpy())


@pytest.mark.parametrize("args, needle, code", [
    (["{onnx}", "{tmp}/o.json", "--design", "{tmp}/d.json"], "--design is only for a state dict", 2),
    (["{tmp}/sd.safetensors", "{tmp}/o.json"], "give the design to put them in with --design", 2),
    (["{tmp}/model.h5", "{tmp}/o.json"], "cannot import .h5", 1),
    (["{onnx}", "{tmp}/o.npz"], "a .json file", 2),
    (["{tmp}/missing.onnx", "{tmp}/o.json"], "no such file", 1),
])
def test_bad_imports_print_one_line_and_write_nothing(onnx_model, tmp_path, capsys, args, needle, code):
    argv = [a.format(onnx=onnx_model, tmp=tmp_path) for a in args]
    assert needle in one_error_line(capsys, main(["import", *argv]), code)
    assert not (tmp_path / "o.json").exists()


def test_a_refused_model_writes_nothing(tmp_path, capsys):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.3)).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.randn(1, 2), str(tmp_path / "m.onnx"), dynamo=False)
    line = one_error_line(capsys, main(["import", str(tmp_path / "m.onnx"), str(tmp_path / "o.json")]))
    assert "(LeakyRelu) has slope 0.3" in line
    assert not (tmp_path / "o.json").exists()
