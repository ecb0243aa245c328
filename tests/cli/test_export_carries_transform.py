"""main.py export writes the transform saved with the weights into every format: an ONNX model
and a PyTorch module made from trained weights answer raw rows as main.py predict does."""
import csv
import importlib.util
import io
import json

import numpy as np
import pytest

from engine.cli import main
from engine.io.weights import load_preprocessing
from tests.cli.test_predict import design as design_doc

ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")


def _train(tmp_path, columns, rows, design):
    data = tmp_path / "data.csv"
    with open(data, "w", newline="") as f:
        csv.writer(f).writerows([columns] + rows)
    path = tmp_path / "design.json"
    path.write_text(json.dumps(design))
    weights = tmp_path / "w.npz"
    assert main(["train", str(path), "--data", str(data), "--epochs", "20", "--export", str(weights)]) == 0
    return path, weights, data


def _predicted(design, weights, data, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["predict", str(design), "--weights", str(weights), str(data)]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr()[0])))


def _module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exports_of_a_price_model_answer_in_euros_as_predict_does(tmp_path, capsys):
    rng = np.random.default_rng(4)
    area, rooms = rng.normal(140, 40, 80), rng.integers(1, 9, 80)
    price = 2000 * area + 9000 * rooms + 20_000 + rng.normal(0, 3000, 80)
    rows = [[f"{a:.2f}", str(r), f"{p:.0f}"] for a, r, p in zip(area, rooms, price)]
    design, weights, data = _train(tmp_path, ["area_m2", "rooms", "price"], rows, design_doc(2, 1, "mse", "linear"))
    raw = np.column_stack([area.round(2), rooms]).astype(np.float32)
    want = np.array([float(r["predicted_price"]) for r in _predicted(design, weights, data, capsys)])
    assert 150_000 < want.mean() < 450_000
    for out in ("m.onnx", "m.py", "w.json"):
        assert main(["export", str(design), "--weights", str(weights), str(tmp_path / out)]) == 0
    got = ort.InferenceSession(str(tmp_path / "m.onnx")).run(["output"], {"input": raw})[0][:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    model = _module(tmp_path / "m.py").M().load_weights()
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.tensor(raw)).numpy()[:, 0], want, rtol=1e-5)
    assert load_preprocessing(tmp_path / "w.json").same_as(load_preprocessing(weights))


def test_an_onnx_classifier_gives_the_probabilities_predict_writes(tmp_path, capsys):
    rng = np.random.default_rng(5)
    height, city = rng.normal(900, 150, 90), rng.choice(["lyon", "paris"], 90)
    kind = np.where(height + 100 * (city == "paris") > 950, "tall", "short")
    rows = [[f"{h:.1f}", c, k] for h, c, k in zip(height, city, kind)]
    design, weights, data = _train(tmp_path, ["height_mm", "city", "kind"], rows,
                                   design_doc(3, 1, "bce", "sigmoid"))
    out = tmp_path / "m.onnx"
    assert main(["export", str(design), "--weights", str(weights), str(out)]) == 0
    session = ort.InferenceSession(str(out))
    props = session.get_modelmeta().custom_metadata_map
    assert json.loads(props["features"]) == ["height_mm", "city=lyon", "city=paris"]
    assert props["target"] == "kind" and json.loads(props["classes"]) == ["short", "tall"]
    raw = np.column_stack([height.round(1), city == "lyon", city == "paris"]).astype(np.float32)
    got = session.run(["output"], {"input": raw})[0]
    rows = _predicted(design, weights, data, capsys)
    want = np.array([[float(r["p_short"]), float(r["p_tall"])] for r in rows])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert [r["predicted_kind"] for r in rows] == [["short", "tall"][i] for i in got.argmax(axis=1)]
