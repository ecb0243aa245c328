"""The command line: each command, each export format, and one-line errors for bad input."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import Graph, Network
from engine.cli import main
from engine.io.weights import load_weights

ROOT = Path(__file__).resolve().parents[2]
DESIGN = {"format": "backprop-studio-design", "version": 1, "loss": "bce",
          "nodes": [{"id": "x", "kind": "input", "size": 2},
                    {"id": "h", "kind": "hidden", "size": 4, "activation": "tanh"},
                    {"id": "y", "kind": "output", "size": 1, "activation": "sigmoid"}],
          "connections": [{"src": "x", "dst": "h"},
                          {"src": "h", "dst": "y", "mask": [[1, 0, 1, 1]]},
                          {"src": "x", "dst": "y"}]}


@pytest.fixture
def design(tmp_path):
    path = tmp_path / "design.json"
    path.write_text(json.dumps(DESIGN))
    return path


def one_error_line(capsys, code, expected_code=1):
    out, err = capsys.readouterr()
    assert code == expected_code
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in err
    return lines[0]


def test_train_json_prints_only_the_metrics(design, capsys):
    assert main(["train", str(design), "--data", "xor", "--epochs", "40", "--lr", "0.03",
                 "--json"]) == 0
    out, _ = capsys.readouterr()
    result = json.loads(out)
    assert result["epochs"] == 40 and result["metric"] == "accuracy"
    assert result["val_metric"] > 0.8 and result["diverged"] is None


def test_same_seed_same_result(design, capsys):
    runs = []
    for _ in range(2):
        main(["train", str(design), "--data", "circle", "--epochs", "3", "--seed", "5", "--json"])
        r = json.loads(capsys.readouterr()[0])
        runs.append((r["train_loss"], r["val_loss"]))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("ext", [".npz", ".json", ".safetensors"])
def test_train_exports_weights_that_load_back(design, tmp_path, capsys, ext):
    out = tmp_path / f"w{ext}"
    assert main(["train", str(design), "--data", "xor", "--epochs", "2", "--export", str(out)]) == 0
    weights = load_weights(out)
    net = Network(Graph.load(design))
    net.load_parameters(weights)
    assert net.parameters()["W:h->y"][0, 1] == 0          # the mask survived


def test_export_converts_and_onnx_runs(design, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    w = tmp_path / "w.npz"
    main(["train", str(design), "--data", "xor", "--epochs", "2", "--export", str(w)])
    onnx_path = tmp_path / "m.onnx"
    assert main(["export", str(design), "--weights", str(w), str(onnx_path)]) == 0
    net = Network(Graph.load(design))
    net.load_parameters(load_weights(w))
    X = np.random.default_rng(0).normal(size=(7, 2)).astype(np.float32)
    got = ort.InferenceSession(str(onnx_path)).run(None, {"input": X})[0]
    np.testing.assert_allclose(got, net.forward(X), atol=1e-5)


def test_gradcheck_passes_on_a_skip_connection_with_a_mask(design, capsys):
    assert main(["gradcheck", str(design), "--data", "xor"]) == 0
    assert "pass" in capsys.readouterr()[0]


def test_house_prices_regression_reports_r2(capsys):
    assert main(["train", str(ROOT / "resources/examples/house_prices.json"), "--epochs", "60",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr()[0])
    assert result["metric"] in ("r2", "R²") and result["val_metric"] > 0.7


@pytest.mark.parametrize("args, needle", [
    (["train", "{tmp}/missing.json"], "missing.json"),
    (["train", "{tmp}/corrupt.json"], "corrupt.json"),
    (["train", "{tmp}/cyclic.json"], "cycle"),
    (["train", "{design}", "--data", "no_such_set"], "no_such_set"),
    (["train", "{design}", "--data", "{tmp}/text.csv"], "row"),
    (["train", "{design}", "--data", "{tmp}/ok.csv", "--target", "nope"], "nope"),
    (["train", "{design}", "--data", "digits"], "softmax_ce"),
    (["export", "{design}", "--weights", "{tmp}/bad.npz", "{tmp}/out.npz"], "shape"),
])
def test_bad_input_prints_one_line(design, tmp_path, capsys, args, needle):
    (tmp_path / "corrupt.json").write_text("{not json")
    cyclic = json.loads(json.dumps(DESIGN))
    cyclic["nodes"].insert(2, {"id": "g", "kind": "hidden", "size": 2, "activation": "tanh"})
    cyclic["connections"] += [{"src": "h", "dst": "g"}, {"src": "g", "dst": "h"}]
    (tmp_path / "cyclic.json").write_text(json.dumps(cyclic))
    (tmp_path / "text.csv").write_text("a,b,t\n1,2,0\n1,two,1\n3,4,0\n")
    (tmp_path / "ok.csv").write_text("a,b,t\n1,2,0\n1,3,1\n3,4,0\n")
    np.savez(tmp_path / "bad.npz", **{"W:x->h": np.zeros((3, 3))})
    argv = [a.format(tmp=tmp_path, design=design) for a in args]
    line = one_error_line(capsys, main(argv))
    assert needle in line


def test_a_diverged_run_fails_with_a_reason(capsys):
    code = main(["train", str(ROOT / "resources/examples/house_prices.json"), "--epochs", "20",
                 "--optimizer", "sgd", "--lr", "1000000"])
    assert "diverged" in one_error_line(capsys, code)


def test_usage_errors_exit_2_and_help_works(design, capsys):
    assert main(["train", str(design), "--epochs", "minus"]) == 2
    capsys.readouterr()
    assert main(["train", "--help"]) == 0 and "--epochs" in capsys.readouterr()[0]


def test_main_py_runs_the_command_line(design):
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", str(design), "--data",
                           "xor", "--epochs", "1", "--json"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["epochs"] == 1
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", "/nonexistent.json"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and len(bad.stderr.splitlines()) == 1
