"""main.py export DESIGN [--weights W] --project DIR: the training project from the command line,
its one-line refusals, and a one-process `python train.py` whose weights main.py predict uses."""
import csv
import subprocess
import sys

import numpy as np
import pytest

from engine.cli import main
from engine.io.design_weights import save_design_with_weights
from engine.io.weights import load_weights, save_weights
from engine.model.graph import Graph
from engine.nn.network import Network

DESIGN = {"format": "backprop-studio-design", "version": 1, "loss": "mse",
          "settings": {"data": "house_prices", "epochs": 2, "batch_size": 16, "lr": 0.01},
          "nodes": [{"id": "x", "kind": "input", "size": 4},
                    {"id": "h", "kind": "hidden", "size": 5, "activation": "relu"},
                    {"id": "y", "kind": "output", "size": 1, "activation": "linear"}],
          "connections": [{"src": "x", "dst": "h"}, {"src": "h", "dst": "y"}]}


@pytest.fixture
def design(tmp_path):
    path = tmp_path / "houses.json"
    Graph.from_dict(DESIGN).save(path)
    return path


def _error(capsys) -> str:
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and err.startswith("error: ")
    return err


def test_export_project_writes_the_folder_from_the_given_weights(design, tmp_path, capsys):
    params = Network(Graph.load(design), seed=9).parameters()
    save_weights(params, tmp_path / "w.npz")
    assert main(["export", str(design), "--weights", str(tmp_path / "w.npz"), "--project", str(tmp_path / "p")]) == 0
    assert "wrote the PyTorch project" in capsys.readouterr()[0]
    for k, v in load_weights(tmp_path / "p" / "model.safetensors").items():
        np.testing.assert_array_equal(v, params[k])
    assert (tmp_path / "p" / "train.py").is_file() and (tmp_path / "p" / "data" / "train.csv").is_file()


def test_a_design_that_carries_its_weights_needs_no_weights_flag(design, tmp_path):
    graph = Graph.load(design)
    params = Network(graph, seed=4).parameters()
    save_design_with_weights(graph, params, tmp_path / "carried.json")
    assert main(["export", str(tmp_path / "carried.json"), "--project", str(tmp_path / "p")]) == 0
    np.testing.assert_array_equal(load_weights(tmp_path / "p" / "model.safetensors")["W:x->h"], params["W:x->h"])


@pytest.mark.parametrize("args, code, message", [
    (["OUT.py", "--project", "P"], 2, "--project takes the place of OUT"),
    ([], 2, "give the file to write (OUT) or --project DIR"),
])
def test_out_and_project_are_one_or_the_other(design, tmp_path, capsys, args, code, message):
    args = [str(tmp_path / a) if a in ("OUT.py", "P") else a for a in args]
    assert main(["export", str(design), *args]) == code
    assert message in _error(capsys)
    assert not (tmp_path / "P").exists() and not (tmp_path / "OUT.py").exists()


def test_a_folder_with_files_in_it_is_refused_and_left_alone(design, tmp_path, capsys):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "keep.txt").write_text("mine")
    assert main(["export", str(design), "--project", str(tmp_path / "p")]) == 1
    assert "is not empty: choose a new or empty folder" in _error(capsys)
    assert [p.name for p in (tmp_path / "p").iterdir()] == ["keep.txt"]


def test_weights_that_do_not_fit_leave_no_folder(design, tmp_path, capsys):
    save_weights({"W:x->h": np.zeros((5, 3), np.float32)}, tmp_path / "w.npz")
    before = sorted(tmp_path.iterdir())
    assert main(["export", str(design), "--weights", str(tmp_path / "w.npz"), "--project", str(tmp_path / "p")]) == 1
    assert "W:x->h" in _error(capsys)
    assert sorted(tmp_path.iterdir()) == before


def test_python_train_py_on_one_process_gives_weights_that_predict_as_it_did(design, tmp_path, capsys):
    pytest.importorskip("torch", reason="torch is not installed: train.py is not run")
    folder = tmp_path / "p"
    assert main(["export", str(design), "--project", str(folder)]) == 0
    run = subprocess.run([sys.executable, "train.py", "--device", "cpu", "--out", "t.safetensors",
                          "--predictions", "theirs.csv"], cwd=folder, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "1 process(es) on cpu, adam lr 0.01, batch 16" in run.stdout and "epoch 2/2" in run.stdout
    assert main(["predict", str(folder / "design.json"), "--weights", str(folder / "t.safetensors"),
                 str(folder / "data" / "validation.csv"), "--out", str(folder / "ours.csv")]) == 0
    with open(folder / "theirs.csv") as a, open(folder / "ours.csv") as b:
        theirs, ours = list(csv.DictReader(a)), list(csv.DictReader(b))
    assert len(ours) == len(theirs) == 60
    ours, theirs = ([float(r["predicted_price"]) for r in rows] for rows in (ours, theirs))
    # within 1e-5, relative to each price or (near 0) to the prices' spread: the app's network runs in float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5 * np.std(theirs))
    assert 100_000 < np.mean(ours) < 600_000   # euros, not z-scores
