"""The generated PyTorch module reproduces the design: outputs, loss, gradients, masks, script."""
import importlib.util
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: the PyTorch export is not checked")
pytest.importorskip("safetensors", reason="safetensors is not installed")

from engine import Graph, GraphError, Network  # noqa: E402
from engine.nn.activations import HIDDEN_ACTIVATIONS  # noqa: E402
from engine.io.onnx_export import ExportError  # noqa: E402
from engine.io.pytorch_export import class_name_for, export_pytorch  # noqa: E402
from engine.io.weights import WeightsError, load_weights, load_weights_design  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
_counter = itertools.count()


def _import(path: Path):
    name = f"generated_{path.stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(graph, net, tmp_path, name="model.py"):
    path = tmp_path / name
    export_pytorch(graph, net.parameters(), path)
    module = _import(path)
    model = getattr(module, class_name_for(path))()
    if net.dtype == np.float64:
        model = model.double()      # before loading, so the weights keep every digit
    return module, model.load_weights()


def every_activation_design() -> Graph:
    """Each hidden activation on its own node, with skip connections, branches and masks."""
    g = Graph("softmax_ce")
    g.add_node("input", 3, id="x")
    prev = "x"
    for k, act in enumerate(HIDDEN_ACTIVATIONS):
        g.add_node("hidden", 4 + k % 3, act, id=f"h_{act}")
        g.connect(prev, f"h_{act}")
        if k % 2 == 1:
            g.connect("x", f"h_{act}")           # a skip connection from the input
        prev = f"h_{act}"
    g.add_node("hidden", 60, "tanh", id="wide")
    g.connect("x", "wide")
    g.add_node("output", 3, "softmax", id="y")
    g.connect(prev, "y")
    g.connect("wide", "y")
    g.connect("h_relu", "y")                     # a branch skipping ahead
    g.set_edges("x", "h_sigmoid", [(0, 1), (2, 2)], False)
    g.set_mask("wide", "y", (np.arange(180).reshape(3, 60) % 3 == 0).astype(np.uint8))  # 120 removed
    return g


def odd_names_design() -> Graph:
    """Ids that are not Python names, a keyword, a dead branch, mse on a linear output."""
    g = Graph("mse")
    g.add_node("input", 2, id="1st input")
    g.add_node("hidden", 5, "relu", id="class")
    g.add_node("hidden", 3, "swish", id="self")
    g.add_node("hidden", 2, "elu", id="dead-end")     # does not feed the output
    g.add_node("output", 2, "linear", id="x y")
    g.connect("1st input", "class")
    g.connect("class", "self")
    g.connect("self", "x y")
    g.connect("1st input", "x y")
    g.connect("class", "dead-end")
    g.settings.update({"optimizer": "nesterov", "lr": 0.05, "l1": 0.001, "l2": 0.01})
    return g


def _data(graph, n=16, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1.5, (n, graph.input_node().size))
    out = graph.output_node().size
    if graph.loss == "softmax_ce":
        T = np.eye(out)[rng.integers(0, out, n)]
    elif graph.loss == "bce":
        T = rng.integers(0, 2, (n, out)).astype(float)
    else:
        T = rng.normal(0, 1, (n, out))
    return X, T


def _designs():
    skip = Graph.load(EXAMPLES / "skip_connection.json")
    skip.set_edges("h2", "y", [(0, 1)], False)
    return {"skip_connection": skip, "every_activation": every_activation_design(),
            "odd_names": odd_names_design(), "digits": Graph.load(EXAMPLES / "digits.json")}


@pytest.mark.parametrize("name", ["skip_connection", "every_activation", "odd_names", "digits"])
def test_outputs_and_loss_equal_the_engine_in_float32(name, tmp_path):
    graph = _designs()[name]
    net = Network(graph, seed=3)
    for p in net.parameters().values():        # biases away from zero, so they are checked too
        p += np.random.default_rng(1).normal(0, 0.1, p.shape).astype(p.dtype)
    net.apply_masks()
    module, model = _model(graph, net, tmp_path, f"{name}.py")
    X, T = _data(graph)
    with torch.no_grad():
        y = model(torch.tensor(X, dtype=torch.float32)).numpy()
        loss = module.loss_fn(model.logits(torch.tensor(X, dtype=torch.float32)),
                              torch.tensor(T, dtype=torch.float32)).item()
    np.testing.assert_allclose(y, net.forward(X), atol=1e-5, rtol=0)
    assert loss == pytest.approx(net.loss_value(X, T), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("name", ["skip_connection", "every_activation", "odd_names"])
def test_gradients_equal_the_engine_in_float64(name, tmp_path):
    graph = _designs()[name]
    net = Network(graph, seed=5, dtype="float64")
    module, model = _model(graph, net, tmp_path, f"{name}.py")
    X, T = _data(graph, seed=2)
    l1, l2 = float(graph.settings.get("l1", 0)), float(graph.settings.get("l2", 0))
    loss_np, grads = net.loss_and_gradients(X, T, l1=l1, l2=l2)
    loss = module.loss_fn(model.logits(torch.tensor(X)), torch.tensor(T))
    if l1 or l2:
        loss = loss + model.penalty()
    loss.backward()
    assert loss.item() == pytest.approx(loss_np, rel=1e-12)
    for key, attribute in model.PARAMETERS.items():
        g = getattr(model, attribute).grad
        g = np.zeros(grads[key].shape) if g is None else g.numpy()   # the dead branch has none
        np.testing.assert_allclose(g, grads[key], atol=1e-10, err_msg=key)


def test_masked_edges_stay_zero_when_trained_in_pytorch(tmp_path):
    graph = every_activation_design()
    net = Network(graph)
    module, model = _model(graph, net, tmp_path)
    X, T = _data(graph, n=32)
    X, T = torch.tensor(X, dtype=torch.float32), torch.tensor(T, dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(20):
        opt.zero_grad()
        module.loss_fn(model.logits(X), T).backward()
        opt.step()
    for c in graph.connections.values():
        if c.mask is None:
            continue
        attr = model.PARAMETERS[f"W:{c.key}"]
        raw = getattr(model, attr)
        effective = raw * getattr(model, attr.replace("W_", "mask_", 1))
        removed = torch.tensor(c.mask) == 0
        assert torch.all(effective[removed] == 0) and torch.any(effective != 0)
        assert torch.all(raw[removed] == 0)     # no gradient ever reaches a removed edge
    # the mask is a buffer, so it travels with state_dict and .to(); it is not a parameter
    assert "mask_x_h_sigmoid" in dict(model.named_buffers())
    source = (tmp_path / "model.py").read_text(encoding="utf-8")
    assert "mask_without((5, 3), [(0, 1), (2, 2)])" in source       # few removed: listed
    assert "mask_from_rows([" in source and repr("100" * 20) in source  # many: rows of 0/1
    assert all("mask" not in n for n, _ in model.named_parameters())


def test_the_weights_file_round_trips_into_the_app(tmp_path):
    graph = Graph.load(EXAMPLES / "skip_connection.json")
    net = Network(graph, seed=9)
    written = export_pytorch(graph, net.parameters(), tmp_path / "skip.py")
    assert written == tmp_path / "skip.safetensors"
    back = load_weights(written)
    assert list(back) == list(net.parameters())
    for k, v in net.parameters().items():
        np.testing.assert_array_equal(back[k], v)
    assert Graph.from_dict(load_weights_design(written)).same_design(graph)


def test_generated_file_runs_as_a_script(tmp_path):
    graph = odd_names_design()
    net = Network(graph, seed=2)
    export_pytorch(graph, net.parameters(), tmp_path / "odd model.py")
    run = subprocess.run([sys.executable, "odd model.py"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "outputs of the first 3 examples" in run.stdout and "loss before the step" in run.stdout
    source = (tmp_path / "odd model.py").read_text(encoding="utf-8")
    assert "class OddModel(nn.Module)" in source
    assert "torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)" in source
    assert "logits() skips it" in source      # the dead branch is explained, not silently dropped


def test_refusals_name_the_problem(tmp_path):
    graph = Graph.load(EXAMPLES / "skip_connection.json")
    params = {k: v.copy() for k, v in Network(graph).parameters().items()}
    wrong = dict(params, **{"W:h1->h2": np.zeros((3, 4), np.float32)})
    with pytest.raises(WeightsError, match=r"W:h1->h2 has shape \(3, 4\)"):
        export_pytorch(graph, wrong, tmp_path / "m.py")
    with pytest.raises(WeightsError, match="missing b:y"):
        export_pytorch(graph, {k: v for k, v in params.items() if k != "b:y"}, tmp_path / "m.py")
    with pytest.raises(WeightsError, match="NaN"):
        export_pytorch(graph, dict(params, **{"b:y": np.array([np.nan], np.float32)}), tmp_path / "m.py")
    with pytest.raises(ExportError, match=r"\.py"):
        export_pytorch(graph, params, tmp_path / "m.txt")
    with pytest.raises(ExportError, match="would hide the torch package"):
        export_pytorch(graph, params, tmp_path / "torch.py")
    with pytest.raises(ExportError, match="does not exist"):
        export_pytorch(graph, params, tmp_path / "nowhere" / "m.py")
    graph.remove_node("y")
    with pytest.raises(GraphError, match="no output"):
        export_pytorch(graph, params, tmp_path / "m.py")
    assert not list(tmp_path.iterdir())      # nothing written by any refusal
