"""ONNX export: onnxruntime's outputs against a numpy reference and Network.forward, on every shape."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from engine import Graph, GraphError, Network
from engine.nn.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, forward
from engine.io.onnx_export import ExportError, build_model, expected_shapes, export_onnx
from engine.io.weights import WeightsError

from tests.engine.strategies import graphs

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def reference_forward(graph: Graph, params: dict, X: np.ndarray) -> np.ndarray:
    """z = Σ a_src (W ∘ mask)ᵀ + b, a = f(z), in float64, in topological order."""
    a = {}
    for node_id in graph.topological_order():
        node = graph.node(node_id)
        if node.kind == "input":
            a[node_id] = X.astype(np.float64)
            continue
        z = np.asarray(params[f"b:{node_id}"], np.float64).copy()
        for c in graph.incoming(node_id):
            w = np.asarray(params[f"W:{c.key}"], np.float64)
            if c.mask is not None:
                w = w * c.mask
            z = z + a[c.src] @ w.T
        a[node_id] = forward(node.activation, z)
    return a[graph.output_node().id]


def run_onnx(path, X) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": X.astype(np.float32)})[0]


def random_params(graph, seed=0, scale=0.8):
    rng = np.random.default_rng(seed)
    return {k: rng.normal(0, scale, s) for k, s in expected_shapes(graph).items()}


def check_export(graph, params, path, batch=7, seed=1):
    export_onnx(graph, params, path)
    X = np.random.default_rng(seed).normal(size=(batch, graph.input_node().size)).astype(np.float32)
    got = run_onnx(path, X)
    assert got.shape == (batch, graph.output_node().size) and got.dtype == np.float32
    np.testing.assert_allclose(got, reference_forward(graph, params, X), rtol=1e-5, atol=1e-5)
    net = Network(graph, dtype="float32")
    net.load_parameters(params)
    np.testing.assert_allclose(got, net.forward(X), rtol=0, atol=1e-5)
    return got


def chain(*sizes_acts, loss="mse"):
    g = Graph(loss=loss)
    g.add_node("input", sizes_acts[0], id="x")
    prev = "x"
    for i, (size, act) in enumerate(sizes_acts[1:-1]):
        g.add_node("hidden", size, act, id=f"h{i + 1}")
        g.connect(prev, f"h{i + 1}")
        prev = f"h{i + 1}"
    size, act = sizes_acts[-1]
    g.add_node("output", size, act, id="y")
    g.connect(prev, "y")
    return g


def test_chain(tmp_path):
    g = chain(3, (5, "tanh"), (4, "relu"), (2, "linear"))
    check_export(g, random_params(g), tmp_path / "chain.onnx")


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation(tmp_path, activation):
    g = chain(2, (6, activation), (1, "sigmoid"), loss="bce")
    check_export(g, random_params(g, scale=1.5), tmp_path / f"{activation}.onnx", batch=32)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_output_activation(tmp_path, activation):
    g = chain(3, (4, "tanh"), (3, activation))
    check_export(g, random_params(g, scale=1.5), tmp_path / "out.onnx")


def test_softmax_output_sums_to_one(tmp_path):
    g = chain(4, (8, "relu"), (3, "softmax"), loss="softmax_ce")
    got = check_export(g, random_params(g), tmp_path / "softmax.onnx")
    np.testing.assert_allclose(got.sum(axis=1), 1, atol=1e-6)


def test_skip_connections_branches_and_masks(tmp_path):
    g = Graph.from_dict({
        "format": "backprop-studio-design", "version": 1, "loss": "mse",
        "nodes": [{"id": "x", "kind": "input", "size": 3},
                  {"id": "a", "kind": "hidden", "size": 4, "activation": "relu"},
                  {"id": "b", "kind": "hidden", "size": 2, "activation": "swish"},
                  {"id": "c", "kind": "hidden", "size": 3, "activation": "elu"},
                  {"id": "dead", "kind": "hidden", "size": 2, "activation": "tanh"},
                  {"id": "y", "kind": "output", "size": 2, "activation": "linear"}],
        "connections": [{"src": "x", "dst": "a"}, {"src": "x", "dst": "b", "mask": [[1, 0, 1], [0, 1, 0]]},
                        {"src": "a", "dst": "c"}, {"src": "b", "dst": "c"}, {"src": "a", "dst": "dead"},
                        {"src": "c", "dst": "y", "mask": [[1, 1, 0], [0, 1, 1]]}, {"src": "x", "dst": "y"}]})
    params = random_params(g)
    check_export(g, params, tmp_path / "skips.onnx")
    model = onnx.load(tmp_path / "skips.onnx")
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Gemm") == 6 and ops.count("Sum") == 2  # c and y each sum two products
    assert not any(n.name.startswith("dead/") for n in model.graph.node)  # a dead end is left out
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    np.testing.assert_array_equal(weights["W:x->b"][[0, 1, 1], [1, 0, 2]], 0)  # mask folded in
    np.testing.assert_allclose(weights["W:x->b"][0, 0], np.float32(params["W:x->b"][0, 0]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(g=graphs())
def test_random_designs_match_network_forward(tmp_path, g):
    check_export(g, random_params(g, seed=len(g.nodes)), tmp_path / "random.onnx", batch=5)


def test_model_layout_names_and_dynamic_batch(tmp_path):
    g = chain(2, (4, "tanh"), (1, "sigmoid"), loss="bce")
    path = tmp_path / "m.onnx"
    export_onnx(g, random_params(g), path, opset=13)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    assert model.opset_import[0].version == 13
    (inp,), (out,) = model.graph.input, model.graph.output
    assert inp.name == "input" and out.name == "output"
    assert inp.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert inp.type.tensor_type.shape.dim[1].dim_value == 2
    assert [n.name for n in model.graph.node] == ["h1/from x", "h1/tanh", "y/from h1", "y/sigmoid"]
    for batch in (1, 100):
        assert run_onnx(path, np.zeros((batch, 2))).shape == (batch, 1)


def test_mismatched_parameters_are_refused_and_the_old_file_stays(tmp_path):
    g = chain(2, (4, "tanh"), (1, "linear"))
    path = tmp_path / "m.onnx"
    export_onnx(g, random_params(g), path)
    before = path.read_bytes()
    params = random_params(g)
    params["W:h1->y"] = np.zeros((1, 3))
    del params["b:h1"]
    with pytest.raises(WeightsError, match=r"missing b:h1.*W:h1->y has shape \(1, 3\), the design needs \(1, 4\)"):
        export_onnx(g, params, path)
    params = random_params(g)
    params["b:y"][0] = np.nan
    with pytest.raises(WeightsError, match="b:y holds NaN"):
        export_onnx(g, params, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_incomplete_design_and_bad_opset(tmp_path):
    g = Graph()
    g.add_node("input", 2, id="x")
    with pytest.raises(GraphError, match="no output node"):
        export_onnx(g, {}, tmp_path / "m.onnx")
    g = chain(2, (1, "linear"))
    with pytest.raises(ExportError, match="opset"):
        build_model(g, random_params(g), opset=9)


def test_engine_import_does_not_load_onnx():
    root = Path(__file__).resolve().parents[2]
    code = ("import sys, engine, engine.io.onnx_export, engine.io.weights, engine.data.datasets\n"
            "assert 'onnx' not in sys.modules and 'sklearn' not in sys.modules, 'eager import'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
