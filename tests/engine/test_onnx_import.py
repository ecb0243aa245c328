"""ONNX models made elsewhere come in as a design with its weights, and go out again unchanged.

Models are built by torch.onnx.export (dynamo=False) from nn.Sequential, and by hand with
onnx.helper as MatMul + Add; the app's own exports of trained designs get their preprocessing
back. Every round trip runs both models with onnxruntime on the same rows.
"""
import warnings

import numpy as np
import pytest

from engine import Graph
from engine.io.design_weights import load_design_with_weights, save_design_with_weights
from engine.io.model_import import ModelImportError, import_model
from engine.io.onnx_export import build_model, export_onnx
from engine.io.onnx_import import import_onnx
from engine.model.preprocessing import Preprocessing
from engine.nn.network import Network

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def run(path_or_model, x):
    data = path_or_model if isinstance(path_or_model, bytes) else open(path_or_model, "rb").read()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0]


def torch_onnx(tmp_path, *layers, n_in=4, name="model.onnx"):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(*layers).eval()
    path = tmp_path / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.randn(2, n_in), str(path), dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    return path


def round_trip(tmp_path, source, n_in):
    """Import ``source``, save it with its weights, open it, export it again: both models' outputs."""
    result = import_onnx(source)
    saved = tmp_path / "imported.json"
    save_design_with_weights(result.graph, result.params, saved)
    graph, params = load_design_with_weights(saved)
    export_onnx(graph, params, tmp_path / "again.onnx")
    x = np.random.default_rng(1).normal(size=(32, n_in))
    return result, run(source, x), run(tmp_path / "again.onnx", x)


def test_linear_relu_linear_sigmoid_from_torch(tmp_path):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    source = torch_onnx(tmp_path, nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    result, before, after = round_trip(tmp_path, source, 4)
    g = result.graph
    assert [(n.kind, n.size, n.activation) for n in g.nodes.values()] == [
        ("input", 4, "linear"), ("hidden", 8, "relu"), ("output", 1, "sigmoid")]
    assert g.loss == "bce"
    xs = [n.position[0] for n in g.nodes.values()]
    assert xs == sorted(xs) and len(set(xs)) == 3          # laid out left to right
    np.testing.assert_allclose(after, before, atol=1e-5)


def test_every_supported_activation_and_softmax(tmp_path):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    source = torch_onnx(tmp_path, nn.Flatten(), nn.Linear(5, 6), nn.SiLU(), nn.Linear(6, 6), nn.LeakyReLU(0.01),
                        nn.Linear(6, 6), nn.ELU(), nn.Linear(6, 6), nn.Softplus(), nn.Linear(6, 6), nn.Tanh(),
                        nn.Linear(6, 3), nn.Softmax(dim=1), n_in=5)
    result, before, after = round_trip(tmp_path, source, 5)
    assert [n.activation for n in result.graph.nodes.values()][1:] == [
        "swish", "leaky_relu", "elu", "softplus", "tanh", "softmax"]
    assert result.graph.loss == "softmax_ce"
    np.testing.assert_allclose(after, before, atol=1e-5)


def test_a_linear_output_is_mse(tmp_path):
    torch = pytest.importorskip("torch")
    source = torch_onnx(tmp_path, torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2), n_in=3)
    result, before, after = round_trip(tmp_path, source, 3)
    assert result.graph.output_node().activation == "linear" and result.graph.loss == "mse"
    np.testing.assert_allclose(after, before, atol=1e-5)


def matmul_add_model(dims=(3, 4, 2), feature_dim=None, extra_nodes=(), alpha=None):
    """A hand-made MatMul + Add chain with relu between the layers and a sigmoid at the end."""
    rng = np.random.default_rng(2)
    inits, nodes, value = [], [], "features"
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        inits += [numpy_helper.from_array(rng.normal(size=(a, b)).astype(np.float32), f"w{i}"),
                  numpy_helper.from_array(rng.normal(size=(b,)).astype(np.float32), f"c{i}")]
        nodes += [helper.make_node("MatMul", [value, f"w{i}"], [f"m{i}"], name=f"matmul{i}"),
                  helper.make_node("Add", [f"m{i}", f"c{i}"], [f"s{i}"], name=f"add{i}")]
        last = i == len(dims) - 2
        if last:
            nodes.append(helper.make_node("Sigmoid", [f"s{i}"], ["out"], name="sig"))
        elif alpha is not None:
            nodes.append(helper.make_node("LeakyRelu", [f"s{i}"], [f"r{i}"], name=f"leaky{i}", alpha=alpha))
        else:
            nodes.append(helper.make_node("Relu", [f"s{i}"], [f"r{i}"], name=f"relu{i}"))
        value = f"r{i}"
    nodes[-1:-1] = list(extra_nodes)
    g = helper.make_graph(nodes, "hand", [helper.make_tensor_value_info(
        "features", TensorProto.FLOAT, ["n", feature_dim or dims[0]])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["n", dims[-1]])], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_matmul_add_by_hand(tmp_path):
    source = tmp_path / "hand.onnx"
    source.write_bytes(matmul_add_model().SerializeToString())
    result, before, after = round_trip(tmp_path, source, 3)
    assert list(result.graph.connections) == [("x", "h1"), ("h1", "y")]
    assert result.params["W:x->h1"].shape == (4, 3)          # dst × src, MatMul's (in, out) transposed
    np.testing.assert_allclose(after, before, atol=1e-5)


def _refusal(tmp_path, model) -> str:
    source = tmp_path / "bad.onnx"
    source.write_bytes(model.SerializeToString())
    with pytest.raises(ModelImportError) as e:
        import_model(source)
    return str(e.value)


def test_a_convolution_is_refused_naming_the_node(tmp_path):
    conv = helper.make_node("Conv", ["r0", "k"], ["conv"], name="Conv_0")
    model = matmul_add_model(extra_nodes=[conv])
    assert "node 'Conv_0' (Conv) is not a dense layer or a supported activation" in _refusal(tmp_path, model)


def test_a_residual_add_is_refused(tmp_path):
    model = matmul_add_model(dims=(3, 4, 4, 2))
    # a + b of two activations (a skip connection), read by the next layer
    model.graph.node.insert(6, helper.make_node("Add", ["r0", "r1"], ["res"], name="residual"))
    text = _refusal(tmp_path, model)
    assert "'residual' (Add)" in text and "residual" in text


def test_an_unknown_feature_dimension_is_refused(tmp_path):
    text = _refusal(tmp_path, matmul_add_model(feature_dim="features"))
    assert "no fixed number of features" in text


def test_a_leaky_relu_of_another_slope_is_refused(tmp_path):
    text = _refusal(tmp_path, matmul_add_model(alpha=0.2))
    assert "'leaky0' (LeakyRelu)" in text and "slope 0.2" in text


def test_a_damaged_file_and_a_design_for_onnx_are_refused(tmp_path):
    source = tmp_path / "junk.onnx"
    source.write_bytes(b"\x00not onnx at all" * 10)
    with pytest.raises(ModelImportError, match="junk.onnx"):
        import_model(source)
    with pytest.raises(ModelImportError, match="carries its own design"):
        import_model(source, Graph())


def _trained_design(task: str) -> Graph:
    if task == "regression":
        p = Preprocessing(["area_m2", "rooms"], ["area_m2", "rooms"], [140.0, 4.0], [40.0, 2.0], "regression",
                          "price", target_mean=300_000.0, target_std=80_000.0)
    else:       # 2-D data with derived features, two classes on one sigmoid output
        p = Preprocessing(["x1", "x2"], ["x1", "x2", "x1^2", "sin(x2)"], [0.1, -0.2, 3.0, 0.01],
                          [2.0, 2.5, 3.1, 0.7], "classification", "label", classes=["ring", "inside"])
    g = Graph("mse" if task == "regression" else "bce")
    g.add_node("input", len(p.inputs), id="inp")
    g.add_node("hidden", 5, "relu", id="hid")
    g.add_node("output", 1, "linear" if task == "regression" else "sigmoid", id="out")
    g.connect("inp", "hid")
    g.connect("hid", "out")
    g.preprocessing = p
    return g


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_the_apps_own_export_comes_back_with_its_preprocessing(tmp_path, task):
    g = _trained_design(task)
    params = Network(g, seed=4).parameters()
    source = tmp_path / "trained.onnx"
    export_onnx(g, params, source)
    result = import_onnx(source)
    got, want = result.graph.preprocessing.to_dict(), g.preprocessing.to_dict()
    for key in ("mean", "std", "target_mean", "target_std"):     # the model holds them in float32
        np.testing.assert_allclose(got.pop(key, 0), want.pop(key, 0), rtol=1e-7)
    assert got == want
    assert list(result.graph.nodes) == ["inp", "hid", "out"] and result.graph.loss == g.loss
    n_raw = len(g.preprocessing.features)
    x = g.preprocessing.mean[:n_raw] + np.random.default_rng(5).normal(size=(20, n_raw))
    again = build_model(result.graph, result.params).SerializeToString()
    np.testing.assert_allclose(run(again, x), run(source, x), rtol=1e-5, atol=1e-5 * np.abs(run(source, x)).max())


def test_another_tools_model_gets_no_preprocessing(tmp_path):
    source = tmp_path / "hand.onnx"
    source.write_bytes(matmul_add_model().SerializeToString())
    assert import_onnx(source).graph.preprocessing is None


def test_a_gemm_without_transpose_or_bias(tmp_path):
    w = np.random.default_rng(3).normal(size=(3, 2)).astype(np.float32)       # (in, out): transB = 0
    g = helper.make_graph([helper.make_node("Gemm", ["x", "w"], ["y"], name="dense")], "plain",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
                          initializer=[numpy_helper.from_array(w, "w")])
    source = tmp_path / "gemm.onnx"
    source.write_bytes(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
                       .SerializeToString())
    result, before, after = round_trip(tmp_path, source, 3)
    np.testing.assert_array_equal(result.params["W:x->y"], w.T)
    np.testing.assert_array_equal(result.params["b:y"], np.zeros(2, np.float32))
    np.testing.assert_allclose(after, before, atol=1e-5)


def test_the_apps_export_with_skip_connections_comes_back_whole(tmp_path):
    """One Gemm per connection and a Sum: every connection comes back under its own name."""
    from engine.files.resources import example_path
    g = Graph.load(example_path("skip_connection"))
    params = Network(g, seed=3).parameters()
    source = tmp_path / "skip.onnx"
    export_onnx(g, params, source)
    result = import_onnx(source)
    assert sorted(result.graph.connections) == sorted(g.connections) and len(g.connections) > len(g.nodes) - 1
    assert list(result.graph.nodes) == list(g.nodes)
    for name, value in params.items():
        np.testing.assert_allclose(result.params[name], value, rtol=1e-6, atol=1e-7)
    assert "skip connection" in result.summary
    x = np.random.default_rng(1).normal(size=(12, g.nodes[next(iter(g.nodes))].size))
    again = build_model(result.graph, result.params).SerializeToString()
    np.testing.assert_allclose(run(again, x), run(source, x), atol=1e-5)


def test_a_skip_connection_written_by_hand_as_matmuls_and_add(tmp_path):
    """h2 = relu(h1 W1 + x Wskip + c): two MatMuls of different layers added, then a bias."""
    rng = np.random.default_rng(2)
    w = {n: rng.normal(size=s).astype(np.float32) for n, s in
         [("w0", (3, 4)), ("w1", (4, 2)), ("wskip", (3, 2)), ("c0", (4,)), ("c1", (2,))]}
    nodes = [helper.make_node("MatMul", ["features", "w0"], ["m0"], name="mm0"),
             helper.make_node("Add", ["m0", "c0"], ["s0"], name="add0"),
             helper.make_node("Relu", ["s0"], ["r0"], name="relu0"),
             helper.make_node("MatMul", ["r0", "w1"], ["m1"], name="mm1"),
             helper.make_node("MatMul", ["features", "wskip"], ["mskip"], name="mmskip"),
             helper.make_node("Add", ["m1", "mskip"], ["sum"], name="skip"),
             helper.make_node("Add", ["sum", "c1"], ["out"], name="bias")]
    g = helper.make_graph(nodes, "skip", [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", 3])],
                          [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["n", 2])],
                          initializer=[numpy_helper.from_array(v, n) for n, v in w.items()])
    source = tmp_path / "skip.onnx"
    source.write_bytes(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
                       .SerializeToString())
    result = import_onnx(source)
    assert sorted(result.graph.connections) == [("h1", "y"), ("x", "h1"), ("x", "y")]
    np.testing.assert_allclose(result.params["W:x->y"], w["wskip"].T)
    x = rng.normal(size=(8, 3))
    again = build_model(result.graph, result.params).SerializeToString()
    np.testing.assert_allclose(run(again, x), run(source, x), atol=1e-5)


def test_a_layer_that_does_not_reach_the_output_is_refused(tmp_path):
    model = matmul_add_model(dims=(3, 4, 2))
    model.graph.initializer.append(numpy_helper.from_array(np.ones((3, 5), np.float32), "wdead"))
    model.graph.node.insert(0, helper.make_node("MatMul", ["features", "wdead"], ["mdead"], name="dead_mm"))
    model.graph.node.insert(1, helper.make_node("Relu", ["mdead"], ["rdead"], name="dead_relu"))
    assert "does not reach the model's output" in _refusal(tmp_path, model)
