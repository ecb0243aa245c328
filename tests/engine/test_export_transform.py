"""Every export carries the fitted transform: raw rows in, the target's units or class probabilities out.

Each round trip compares with the app's own prediction, Preprocessing.to_units(Network.forward(
Preprocessing.apply(raw))), on a CSV with large offsets (areas ~140, prices ~300,000), one with
a text target and a one-hot text feature, and 2-D data with derived features.
"""
import importlib.util
import itertools
import json
import subprocess
import sys

import numpy as np
import pytest

from engine import Graph, Network
from engine.data.datasets import load_dataset
from engine.io.design_weights import load_design_with_weights, save_design_with_weights
from engine.io.onnx_export import ExportError, build_model, export_onnx
from engine.io.pytorch_export import class_name_for, export_pytorch
from engine.io.weights import load_preprocessing, load_weights, save_weights
from engine.model.preprocessing import Preprocessing

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
_counter = itertools.count()


def _houses_csv(tmp_path, n=80, seed=0):
    rng = np.random.default_rng(seed)
    area = rng.normal(140, 40, n)
    rooms = rng.integers(1, 9, n)
    price = 2000 * area + 9000 * rooms + rng.normal(0, 5000, n) + 20_000   # ~300,000
    rows = ["area_m2,rooms,price"] + [f"{a:.2f},{r},{p:.1f}" for a, r, p in zip(area, rooms, price)]
    path = tmp_path / "houses.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _species_csv(tmp_path, n=90, seed=1, kinds=("lupin", "poppy", "tulip")):
    """A text target, and a text feature one-hot encoded before the model (city=...)."""
    rng = np.random.default_rng(seed)
    cities = rng.choice(["lyon", "paris"], n)
    height = rng.normal(900, 150, n)
    width = rng.normal(40, 10, n)
    kind = [kinds[i % len(kinds)] for i in range(n)]
    rows = ["height_mm,city,width_mm,kind"] + [f"{h:.1f},{c},{w:.2f},{k}"
                                               for h, c, w, k in zip(height, cities, width, kind)]
    path = tmp_path / "flowers.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _fitted(dataset, loss, output, hidden=6, seed=3) -> tuple[Graph, Network]:
    """A design that fits ``dataset``, with its transform and random (untrained) weights."""
    g = Graph(loss)
    g.add_node("input", len(dataset.preprocessing.inputs), id="x")
    g.add_node("hidden", hidden, "tanh", id="h")
    g.add_node("output", dataset.T_train.shape[1], output, id="y")
    g.connect("x", "h")
    g.connect("h", "y")
    g.connect("x", "y")
    g.preprocessing = dataset.preprocessing
    return g, Network(g, seed=seed, dtype="float32")


def _raw_rows(dataset) -> np.ndarray:
    """The validation rows as the file holds them (numeric columns, then one-hot 0/1 columns)."""
    p = dataset.preprocessing
    if p.inputs != p.features:
        return dataset.points_val
    return dataset.X_val * p.std + p.mean


def _app(graph, net, raw) -> np.ndarray:
    p = graph.preprocessing
    return p.to_units(net.forward(p.apply(raw)))


def _assert_equal(got, want, p):
    if p.task == "regression":
        np.testing.assert_allclose(got, want, rtol=1e-5)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)


def _cases(tmp_path):
    houses = load_dataset(str(_houses_csv(tmp_path)), seed=0)
    flowers = load_dataset(str(_species_csv(tmp_path)), loss="softmax_ce", seed=0)
    two = load_dataset(str(_species_csv(tmp_path, kinds=("lupin", "tulip"))), loss="bce", seed=0)
    two_mse = load_dataset(str(_species_csv(tmp_path, kinds=("lupin", "tulip"))), loss="mse", seed=0)
    xor = load_dataset("xor", features=["x1^2", "sin(x2)"], loss="bce", samples=80, seed=1)
    return {"prices": (houses, "mse", "linear"), "three classes": (flowers, "softmax_ce", "softmax"),
            "two classes, sigmoid": (two, "bce", "sigmoid"), "two classes, mse": (two_mse, "mse", "linear"),
            "xor, derived features": (xor, "bce", "sigmoid")}


CASES = ["prices", "three classes", "two classes, sigmoid", "two classes, mse", "xor, derived features"]


@pytest.fixture
def case(request, tmp_path):
    dataset, loss, output = _cases(tmp_path)[request.param]
    graph, net = _fitted(dataset, loss, output)
    return dataset, graph, net


def test_the_data_is_what_the_tests_claim(tmp_path):
    houses = _cases(tmp_path)["prices"][0].preprocessing
    assert 120 < houses.mean[0] < 160 and houses.target_mean > 250_000
    flowers = _cases(tmp_path)["three classes"][0].preprocessing
    assert flowers.features == ["height_mm", "width_mm", "city=lyon", "city=paris"]
    assert flowers.classes == ["lupin", "poppy", "tulip"]


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_onnx_takes_raw_rows_and_answers_in_units(case, tmp_path):
    dataset, graph, net = case
    p, raw = graph.preprocessing, _raw_rows(dataset)
    path = tmp_path / "m.onnx"
    export_onnx(graph, net.parameters(), path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    assert inp.name == "input" and inp.shape == ["batch", len(p.features)]
    got = session.run(["output"], {"input": raw.astype(np.float32)})[0]
    assert got.shape == (len(raw), 1 if p.task == "regression" else len(p.classes))
    _assert_equal(got, _app(graph, net, raw), p)
    props = {m.key: m.value for m in onnx.load(str(path)).metadata_props}
    assert json.loads(props["features"]) == p.features and props["target"] == p.target
    assert (json.loads(props["classes"]) == p.classes) if p.task == "classification" else "classes" not in props


def test_onnx_nodes_are_named_after_the_transform(tmp_path):
    dataset, loss, output = _cases(tmp_path)["prices"]
    graph, net = _fitted(dataset, loss, output)
    model = build_model(graph, net.parameters())
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    np.testing.assert_allclose(inits["preprocess/mean"], graph.preprocessing.mean, rtol=1e-7)
    np.testing.assert_allclose(inits["postprocess/target_mean"], [graph.preprocessing.target_mean], rtol=1e-7)
    ops = {n.name: n.op_type for n in model.graph.node}
    assert ops["preprocess/subtract mean"] == "Sub" and ops["preprocess/divide by std"] == "Div"
    assert ops["postprocess/times target std"] == "Mul" and ops["postprocess/plus target mean"] == "Add"


def _torch_model(graph, net, tmp_path, double=False):
    path = tmp_path / f"model_{next(_counter)}.py"
    export_pytorch(graph, net.parameters(), path)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cls = getattr(module, class_name_for(path))
    model = cls().double() if double else cls()
    return cls, model.load_weights()


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_the_pytorch_module_takes_raw_rows_and_answers_in_units(case, tmp_path):
    dataset, graph, net = case
    p, raw = graph.preprocessing, _raw_rows(dataset)
    cls, model = _torch_model(graph, net, tmp_path)
    with torch.no_grad():
        got = model(torch.tensor(raw, dtype=torch.float32)).numpy()
    _assert_equal(got, _app(graph, net, raw), p)
    assert cls.FEATURES == p.features and cls.TARGET == p.target
    assert cls.CLASSES == p.classes if p.task == "classification" else not hasattr(cls, "CLASSES")
    buffers = dict(model.named_buffers())
    np.testing.assert_allclose(buffers["input_mean"].numpy(), p.mean, rtol=1e-6)
    np.testing.assert_allclose(buffers["input_std"].numpy(), p.std, rtol=1e-6)
    if p.task == "regression":
        assert float(buffers["target_mean"]) == pytest.approx(p.target_mean, rel=1e-7)
        assert float(buffers["target_std"]) == pytest.approx(p.target_std, rel=1e-7)
    doc = " ".join(cls.__doc__.split())
    assert f"raw rows, a float tensor (batch, {len(p.features)})" in doc and ", ".join(p.features) in doc


def test_the_pytorch_module_in_float64_matches_the_app_closely(tmp_path):
    dataset, loss, output = _cases(tmp_path)["prices"]
    graph, _ = _fitted(dataset, loss, output)
    net = Network(graph, seed=3, dtype="float64")
    raw = _raw_rows(dataset)
    _cls, model = _torch_model(graph, net, tmp_path, double=True)
    with torch.no_grad():
        got = model(torch.tensor(raw, dtype=torch.float64)).numpy()
        t = torch.tensor([[300_000.0]], dtype=torch.float64)
        scaled = model.scaled_target(t).numpy()
    np.testing.assert_allclose(got, _app(graph, net, raw), rtol=1e-12)
    np.testing.assert_allclose(scaled, graph.preprocessing.target_to_network([[300_000.0]]), rtol=1e-12)


@pytest.mark.parametrize("ext", [".npz", ".safetensors", ".json"])
@pytest.mark.parametrize("case", ["prices", "three classes"], indirect=True)
def test_weight_files_keep_the_transform_and_the_predictions(case, ext, tmp_path):
    dataset, graph, net = case
    path = tmp_path / f"w{ext}"
    save_weights(net.parameters(), path, design=graph.to_dict())
    params = load_weights(path)
    assert list(params) == list(net.parameters())       # the transform's entries are not parameters
    restored = Network(Graph.from_dict(graph.to_dict()), dtype="float32")
    restored.load_parameters(params)
    p = load_preprocessing(path)
    assert p.same_as(graph.preprocessing)
    raw = _raw_rows(dataset)
    _assert_equal(p.to_units(restored.forward(p.apply(raw))), _app(graph, net, raw), p)


def test_the_entries_are_named_as_documented(tmp_path):
    dataset, loss, output = _cases(tmp_path)["prices"]
    graph, net = _fitted(dataset, loss, output)
    p = graph.preprocessing
    for ext in (".npz", ".safetensors", ".json"):
        save_weights(net.parameters(), tmp_path / f"w{ext}", preprocessing=p)
    npz = np.load(tmp_path / "w.npz")
    np.testing.assert_array_equal(npz["preprocessing.input_mean"], p.mean)
    np.testing.assert_array_equal(npz["preprocessing.input_std"], p.std)
    assert float(npz["preprocessing.target_mean"]) == p.target_mean
    assert float(npz["preprocessing.target_std"]) == p.target_std
    assert json.loads(npz["preprocessing"].tobytes()) == p.to_dict()
    from safetensors import safe_open
    with safe_open(str(tmp_path / "w.safetensors"), "np") as f:
        assert json.loads(f.metadata()["preprocessing"]) == p.to_dict()
        np.testing.assert_array_equal(f.get_tensor("preprocessing.input_std"), p.std)
        assert float(f.get_tensor("preprocessing.target_mean")) == p.target_mean
    doc = json.loads((tmp_path / "w.json").read_text())
    assert doc["preprocessing"] == p.to_dict()
    assert [e["name"] for e in doc["parameters"]] == list(net.parameters())


def test_the_design_saved_with_its_weights_carries_the_transform(tmp_path):
    dataset, loss, output = _cases(tmp_path)["three classes"]
    graph, net = _fitted(dataset, loss, output)
    path = tmp_path / "d.json"
    save_design_with_weights(graph, net.parameters(), path)
    assert json.loads(path.read_text())["preprocessing"] == graph.preprocessing.to_dict()
    loaded, params = load_design_with_weights(path)
    restored = Network(loaded, dtype="float32")
    restored.load_parameters(params)
    raw = _raw_rows(dataset)
    p = loaded.preprocessing
    _assert_equal(p.to_units(restored.forward(p.apply(raw))), _app(graph, net, raw), p)


def test_old_files_without_the_transform_still_open_and_export_as_before(tmp_path):
    dataset, loss, output = _cases(tmp_path)["prices"]
    graph, net = _fitted(dataset, loss, output)
    graph.preprocessing = None                       # a design never trained
    for ext in (".npz", ".safetensors", ".json"):
        save_weights(net.parameters(), tmp_path / f"w{ext}", design=graph.to_dict())
        assert load_preprocessing(tmp_path / f"w{ext}") is None
        assert list(load_weights(tmp_path / f"w{ext}")) == list(net.parameters())
    save_design_with_weights(graph, net.parameters(), tmp_path / "d.json")
    old, params = load_design_with_weights(tmp_path / "d.json")
    assert old.preprocessing is None and set(params) == set(net.parameters())
    model = build_model(graph, net.parameters())
    assert "features" not in {m.key for m in model.metadata_props}
    X = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["output"], {"input": X})[0], net.forward(X), atol=1e-5)


def test_a_transform_that_does_not_fit_the_design_is_refused(tmp_path):
    dataset, loss, output = _cases(tmp_path)["three classes"]
    graph, net = _fitted(dataset, loss, output)
    d = graph.preprocessing.to_dict()
    graph.preprocessing = Preprocessing.from_dict(d | {"classes": ["a", "b", "c", "d"]})
    with pytest.raises(ExportError, match="4 classes.*3 outputs: train again"):
        build_model(graph, net.parameters())
    graph.preprocessing = Preprocessing.from_dict(d | {"features": d["features"][:3], "inputs": d["inputs"][:3],
                                                       "mean": d["mean"][:3], "std": d["std"][:3],
                                                       "categories": {}})
    for export in (build_model, lambda g, params: export_pytorch(g, params, tmp_path / "m.py")):
        with pytest.raises(ExportError, match="makes 3 inputs.*takes 4: train again"):
            export(graph, net.parameters())
    assert not (tmp_path / "m.py").exists()


@pytest.mark.parametrize("case", ["prices", "xor, derived features"], indirect=True)
def test_the_generated_module_runs_as_a_script_and_stays_readable(case, tmp_path):
    _dataset, graph, net = case
    path = tmp_path / "model.py"
    export_pytorch(graph, net.parameters(), path)
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "loss before the step" in run.stdout
    assert max(len(line) for line in path.read_text().splitlines()) <= 100
