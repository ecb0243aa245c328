"""The PyTorch training project (engine.io.pytorch_project): its files, its data, refusals that leave
nothing behind, and a 2-process torchrun whose trained weights the app reads back and predicts with
exactly as train.py did."""
import csv
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from engine.cli import main
from engine.data.datasets import HOUSE_PRICES, from_settings
from engine.io.pytorch_project import export_project
from engine.io.weights import load_preprocessing, load_weights, load_weights_design
from engine.model.errors import ExportError, WeightsError
from engine.model.graph import Graph
from engine.nn.network import Network

SETTINGS = {"data": "xor", "samples": 48, "features": ["x1*x2"], "validation": 0.25, "seed": 3,
            "optimizer": "momentum", "lr": 0.05, "batch_size": 8, "epochs": 3, "l2": 0.001}


def _design(settings=SETTINGS) -> Graph:
    """x (x1, x2, x1*x2) -> h (tanh, one edge removed) -> y (sigmoid), and a skip x -> y."""
    mask = [[1, 1, 1], [1, 0, 1], [1, 1, 1], [1, 1, 1]]
    return Graph.from_dict({
        "format": "backprop-studio-design", "version": 1, "loss": "bce", "settings": dict(settings),
        "nodes": [{"id": "x", "kind": "input", "size": 3},
                  {"id": "h", "kind": "hidden", "size": 4, "activation": "tanh"},
                  {"id": "y", "kind": "output", "size": 1, "activation": "sigmoid"}],
        "connections": [{"src": "x", "dst": "h", "mask": mask}, {"src": "h", "dst": "y"},
                        {"src": "x", "dst": "y"}]})


def _rows(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_the_project_holds_the_module_the_trainer_the_data_and_the_starting_weights(tmp_path):
    graph = _design()
    params = Network(graph, seed=5).parameters()
    project = export_project(graph, params, tmp_path / "proj")
    folder = project.folder
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "data", "design.json", "model.py",
                                                      "model.safetensors", "train.py"]
    dataset = from_settings(SETTINGS, "bce")
    p = load_preprocessing(folder / "model.safetensors")
    assert p.features == ["x1", "x2"] and p.inputs == ["x1", "x2", "x1*x2"]
    for name, points, labels in (("train", dataset.points_train, dataset.labels_train),
                                 ("validation", dataset.points_val, dataset.labels_val)):
        rows = _rows(folder / "data" / f"{name}.csv")
        assert rows[0] == ["x1", "x2", p.target]          # the model's FEATURES, then the target
        np.testing.assert_array_equal(np.array([r[:2] for r in rows[1:]], dtype=float), points)
        assert [r[2] for r in rows[1:]] == [dataset.class_names[i] for i in labels]
    assert (project.train_rows, project.validation_rows) == (36, 12)
    for k, v in load_weights(folder / "model.safetensors").items():
        np.testing.assert_array_equal(v, params[k])
    assert load_weights_design(folder / "model.safetensors")["nodes"] == graph.to_dict()["nodes"]
    source = (folder / "train.py").read_text(encoding="utf-8")
    compile(source, "train.py", "exec")
    assert "DistributedSampler(" in source and "DistributedDataParallel(" in source
    assert "MASKS = {\n    'W:x->h': 'mask_x_h',\n}" in source
    assert "torchrun --standalone --nproc_per_node" in (folder / "README.md").read_text(encoding="utf-8")


def test_the_rows_of_a_csv_are_written_back_with_their_own_numbers(tmp_path):
    graph = Graph.from_dict({
        "format": "backprop-studio-design", "version": 1, "loss": "mse", "settings": {"data": "house_prices"},
        "nodes": [{"id": "x", "kind": "input", "size": 4}, {"id": "y", "kind": "output", "size": 1,
                                                             "activation": "linear"}],
        "connections": [{"src": "x", "dst": "y"}]})
    folder = export_project(graph, None, tmp_path / "houses").folder
    written = _rows(folder / "data" / "train.csv")[1:] + _rows(folder / "data" / "validation.csv")[1:]
    shipped = _rows(HOUSE_PRICES)
    assert _rows(folder / "data" / "train.csv")[0] == shipped[0]
    as_numbers = sorted(tuple(float(v) for v in r) for r in written)
    assert as_numbers == sorted(tuple(float(v) for v in r) for r in shipped[1:])
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", v) for r in written for v in r[:4])   # 142, not 141.99999999999997


def test_a_folder_that_is_not_empty_or_a_file_is_refused_and_an_empty_one_taken(tmp_path):
    graph = _design()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="is not empty"):
        export_project(graph, None, busy)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        export_project(graph, None, tmp_path / "file")
    with pytest.raises(ExportError, match="does not exist"):
        export_project(graph, None, tmp_path / "no" / "such")
    (tmp_path / "empty").mkdir()
    assert export_project(graph, None, tmp_path / "empty").folder == tmp_path / "empty"
    assert (tmp_path / "empty" / "train.py").is_file()


def test_a_failure_leaves_no_half_project(tmp_path):
    graph = _design()
    params = Network(graph).parameters()
    params["W:h->y"] = np.zeros((1, 5), dtype=np.float32)
    before = sorted(tmp_path.iterdir())
    with pytest.raises(WeightsError, match="W:h->y"):
        export_project(graph, params, tmp_path / "proj")
    assert sorted(tmp_path.iterdir()) == before          # neither the folder nor a hidden temporary one


# ----- running it ----------------------------------------------------------------------------
def _torchrun(tmp_path):
    """A project trained by two processes under torchrun, with predictions for the validation rows.

    --local-addr keeps the run on the loopback address: in a container or chroot whose hostname does
    not resolve, torchrun otherwise retries the hostname until the timeout."""
    folder = tmp_path / "proj"
    graph = _design()
    export_project(graph, Network(graph, seed=5).parameters(), folder)
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                          "--local-addr=127.0.0.1", "train.py", "--device", "cpu", "--out", "trained.safetensors",
                          "--predictions", "predictions.csv"],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return folder, run.stdout


def test_two_processes_train_under_torchrun_and_the_app_predicts_what_train_py_reported(tmp_path, capsys):
    """One run (one test, so that parallel test workers do not each start torchrun) checked twice:
    rank 0 reports each epoch and writes weights the app reads back; the app's predictions with them
    are train.py's, and so is the validation loss on the same split."""
    pytest.importorskip("torch", reason="torch is not installed: train.py is not run")
    folder, out = _torchrun(tmp_path)
    _check_the_run(folder, out)
    _check_the_round_trip(folder, out, capsys)


def _check_the_run(folder, out):
    assert "2 process(es) on cpu, momentum lr 0.05, batch 8" in out    # the design's settings
    assert [line.split()[1] for line in out.splitlines() if line.startswith("epoch")] == ["1/3", "2/3", "3/3"]
    start, trained = load_weights(folder / "model.safetensors"), load_weights(folder / "trained.safetensors")
    assert list(trained) == list(start)                        # the app's names, in the design's order
    assert all(trained[k].dtype == start[k].dtype for k in start)
    assert not np.array_equal(trained["W:h->y"], start["W:h->y"])
    assert trained["W:x->h"][1, 1] == 0.0                      # the removed edge stays removed
    assert load_preprocessing(folder / "trained.safetensors").to_dict() == \
        load_preprocessing(folder / "model.safetensors").to_dict()
    Network(Graph.load(folder / "design.json")).load_parameters(trained)


def _check_the_round_trip(folder, out, capsys):
    app = folder / "app.csv"
    assert main(["predict", str(folder / "design.json"), "--weights", str(folder / "trained.safetensors"),
                 str(folder / "data" / "validation.csv"), "--out", str(app)]) == 0
    theirs, ours = _rows(folder / "predictions.csv"), _rows(app)
    assert theirs[0] == ours[0] and len(theirs) == 13
    assert [r[3] for r in theirs[1:]] == [r[3] for r in ours[1:]]          # the predicted class
    np.testing.assert_allclose(np.array([r[4:] for r in ours[1:]], dtype=float),
                               np.array([r[4:] for r in theirs[1:]], dtype=float), rtol=1e-5, atol=1e-7)
    # the validation loss train.py printed is the app's, on the same split
    reported = float(re.search(r"final validation loss (\S+)", out).group(1))
    capsys.readouterr()
    assert main(["train", str(folder / "design.json"), "--weights", str(folder / "trained.safetensors"),
                 "--epochs", "0", "--json"]) == 0
    result = json.loads(capsys.readouterr()[0])
    assert result["val_loss"] == pytest.approx(reported, rel=1e-5)
