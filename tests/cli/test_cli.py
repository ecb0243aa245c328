"""The command line: each command, each export format, and one-line errors for bad input."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import Graph, Network
from engine.cli import main
from engine.io.weights import load_preprocessing, load_weights

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
    p = load_preprocessing(w)       # the model takes raw points and gives both classes' probabilities
    np.testing.assert_allclose(got, p.to_units(net.forward(p.apply(X))), atol=1e-5)


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


# ----- defaults from the design, flags over them ----------------------------------------
def with_settings(tmp_path, **settings):
    d = json.loads(json.dumps(DESIGN))
    d["settings"] = settings
    path = tmp_path / "set.json"
    path.write_text(json.dumps(d))
    return path


def test_settings_are_defaults_and_flags_override_them(tmp_path, capsys):
    path = with_settings(tmp_path, data="xor", epochs=2, batch_size=40, samples=100)
    assert main(["train", str(path), "--json"]) == 0
    r = json.loads(capsys.readouterr()[0])
    assert r["epochs"] == 2 and r["steps"] == 2 * 2           # 80 training examples, batches of 40
    assert main(["train", str(path), "--epochs", "3", "--batch-size", "80", "--json"]) == 0
    r = json.loads(capsys.readouterr()[0])
    assert r["epochs"] == 3 and r["steps"] == 3


def test_a_csv_named_in_the_design_is_found_beside_it(tmp_path, capsys):
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{int(i % 7 > 3)}" for i in range(40))
    (tmp_path / "mine.csv").write_text("a,b,label\n" + rows + "\n")
    path = with_settings(tmp_path, data="mine.csv", target="label", epochs=1)
    assert main(["train", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr()[0])["metric"] == "accuracy"


def test_plain_lines_per_epoch_on_stderr_when_not_a_terminal(design, capsys):
    assert main(["train", str(design), "--data", "xor", "--epochs", "3"]) == 0
    out, err = capsys.readouterr()
    assert [line.split()[1] for line in err.splitlines()] == ["1/3", "2/3", "3/3"]
    assert out.startswith("trained 3 epochs") and "validation: loss" in out and "accuracy" in out


def test_progress_bar_rewrites_one_line():
    import io
    from engine.cli.progress import Progress
    from engine.data.datasets import load_dataset
    from engine.train.trainer import Trainer, TrainingConfig
    graph = Graph.from_dict(DESIGN)
    t = Trainer(Network(graph), load_dataset("xor", loss="bce"), TrainingConfig(batch_size=8))
    stream = io.StringIO()
    bar = Progress(t, 4, stream, bar=True)
    bar.connect()
    t.run(epochs=4)
    bar.close()
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n") and text.startswith("\repoch 1/4 [")
    last = text.rstrip().rsplit("\r", 1)[-1]
    assert last.startswith("epoch 4/4 [############] 0.00 s left  val loss ")
    assert "accuracy" in last


def test_train_from_weights_continues_from_them(design, tmp_path, capsys):
    w = tmp_path / "w.json"
    main(["train", str(design), "--data", "xor", "--epochs", "5", "--lr", "0.03", "--export", str(w),
          "--json"])
    trained = json.loads(capsys.readouterr()[0])
    assert main(["train", str(design), "--data", "xor", "--epochs", "0", "--weights", str(w),
                 "--json"]) == 0
    again = json.loads(capsys.readouterr()[0])
    assert again["steps"] == 0
    assert again["val_loss"] == pytest.approx(trained["val_loss"], rel=1e-6)


def test_train_exports_onnx(design, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "m.onnx"
    w = tmp_path / "w.npz"
    assert main(["train", str(design), "--data", "xor", "--epochs", "1", "--export", str(out)]) == 0
    assert "weights written to" in capsys.readouterr()[0]
    main(["train", str(design), "--data", "xor", "--epochs", "1", "--export", str(w)])
    net = Network(Graph.load(design))
    net.load_parameters(load_weights(w))
    X = np.random.default_rng(1).normal(size=(5, 2)).astype(np.float32)
    p = load_preprocessing(w)
    np.testing.assert_allclose(ort.InferenceSession(str(out)).run(None, {"input": X})[0],
                               p.to_units(net.forward(p.apply(X))), atol=1e-5)


def test_export_round_trips_between_weight_formats(design, tmp_path, capsys):
    first = tmp_path / "a.npz"
    main(["train", str(design), "--data", "xor", "--epochs", "1", "--export", str(first)])
    previous = first
    for ext in (".json", ".safetensors", ".npz"):
        out = tmp_path / f"b{ext}"
        assert main(["export", str(design), "--weights", str(previous), str(out)]) == 0
        previous = out
    a, b = load_weights(first), load_weights(previous)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# ----- gradcheck ---------------------------------------------------------------------------
def test_gradcheck_reports_each_parameter(design, capsys):
    assert main(["gradcheck", str(design), "--data", "circle", "--samples", "60", "--seed", "2"]) == 0
    out = capsys.readouterr()[0]
    for name in ("W:x->h", "b:h", "W:h->y", "W:x->y", "b:y"):
        assert name in out
    assert "W:h->y     (1, 4)             3" in out          # the masked weight is not checked


def test_gradcheck_fails_on_a_wrong_gradient(design, capsys, monkeypatch):
    real = Network.loss_and_gradients

    def off_by_a_little(self, X, T, l1=0.0, l2=0.0):
        loss, grads = real(self, X, T, l1, l2)
        grads["b:h"] = grads["b:h"] * 1.0001
        return loss, grads

    monkeypatch.setattr(Network, "loss_and_gradients", off_by_a_little)
    assert main(["gradcheck", str(design), "--data", "xor"]) == 1
    out = capsys.readouterr()[0]
    assert "FAIL" in out and "1 of 5 parameters fail" in out and "(b:h)" in out


# ----- more bad input ------------------------------------------------------------------------
@pytest.mark.parametrize("args, needle, code", [
    (["train", "{design}", "--export", "{tmp}/out.xyz"], "unknown output format", 1),
    (["train", "{design}", "--export", "{tmp}/no/such/dir/w.npz"], "does not exist", 1),
    (["train", "{design}", "--data", "{tmp}/wide.csv"], "set the input size to 3", 1),
    (["train", "{design}", "--data", "xor", "--weights", "{tmp}/bad.npz"], "shape", 1),
    (["train", "{design}", "--data", "xor", "--weights", "{tmp}/garbage.npz"], "garbage.npz", 1),
    (["export", "{design}", "--weights", "{tmp}/missing.npz", "{tmp}/o.npz"], "missing.npz", 1),
    (["export", "{design}", "--weights", "{tmp}/good.npz", "{tmp}/model.h5"], "unknown output format", 1),
    (["gradcheck", "{tmp}/corrupt.json"], "corrupt.json", 1),
    (["train", "{design}", "--lr", "-3"], "--lr", 2),
    (["train", "{design}", "--optimizer", "rmsprop"], "rmsprop", 2),
    (["train"], "DESIGN.json", 2),
    (["frobnicate"], "train, export, gradcheck", 2),
])
def test_more_bad_input_prints_one_line(design, tmp_path, capsys, args, needle, code):
    (tmp_path / "corrupt.json").write_text('{"format": "backprop-studio-design", "version": 1, "nodes": [')
    (tmp_path / "wide.csv").write_text("a,b,c,t\n" + "".join(f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(20)))
    np.savez(tmp_path / "bad.npz", **{"W:x->h": np.zeros((3, 3))})
    (tmp_path / "garbage.npz").write_bytes(b"not a zip file at all")
    main(["train", str(design), "--data", "xor", "--epochs", "1", "--export", str(tmp_path / "good.npz")])
    capsys.readouterr()
    argv = [a.format(tmp=tmp_path, design=design) for a in args]
    line = one_error_line(capsys, main(argv), code)
    assert needle in line
    assert not (tmp_path / "out.xyz").exists() and not (tmp_path / "model.h5").exists()


def test_a_design_setting_out_of_range_is_one_line(tmp_path, capsys):
    path = with_settings(tmp_path, data="xor", lr=-1)
    assert "learning rate" in one_error_line(capsys, main(["train", str(path)]))


def test_json_on_a_diverged_run_still_prints_the_metrics(capsys):
    code = main(["train", str(ROOT / "resources/examples/house_prices.json"), "--epochs", "5",
                 "--optimizer", "sgd", "--lr", "1000000", "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and json.loads(out)["diverged"].startswith("diverged at epoch 1")
    assert err.count("\n") == 1 and err.startswith("error: diverged")


def test_ctrl_c_exits_130_with_one_line(design, capsys, monkeypatch):
    from engine.train.trainer import Trainer

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "run", interrupted)
    assert "interrupted" in one_error_line(capsys, main(["train", str(design), "--data", "xor"]), 130)


def test_sigint_during_training_exits_130_without_a_traceback(design):
    import signal
    # As from a terminal: a suite run as a background job hands its children SIGINT ignored.
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "train", str(design), "--data",
                             "xor", "--epochs", "1000000"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stderr.readline()                  # training is under way
        assert first.startswith("epoch 1/1000000")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err
    assert err.splitlines()[-1] == "error: interrupted" and out == ""


def test_float64_training_exports_float64_weights_exactly(design, tmp_path, capsys):
    w64, js = tmp_path / "w.npz", tmp_path / "w.json"
    assert main(["train", str(design), "--data", "xor", "--epochs", "1", "--dtype", "float64",
                 "--validation", "0", "--export", str(w64), "--json"]) == 0
    assert json.loads(capsys.readouterr()[0])["val_loss"] is None
    assert main(["export", str(design), "--weights", str(w64), str(js)]) == 0
    a, b = load_weights(w64), load_weights(js)
    assert all(a[k].dtype == b[k].dtype == np.float64 and np.array_equal(a[k], b[k]) for k in a)


# ----- paths that are not regular files, and files too large (issue 16) ----------------------
def _limited_memory():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))    # reading /dev/zero whole fails, not the machine


def _run_main(argv, timeout=60):
    """main.py in a subprocess: (exit status, stderr); a run that hangs fails at ``timeout``."""
    try:
        result = subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, argv)], capture_output=True,
                                text=True, timeout=timeout, preexec_fn=_limited_memory, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"main.py {' '.join(map(str, argv))} still running after {timeout} s: it hangs")
    return result.returncode, result.stderr


@pytest.mark.parametrize("what, kind", [("data", "fifo"), ("data", "folder"), ("data", "device"),
                                        ("design", "fifo"), ("design", "device"),
                                        ("weights", "fifo"), ("weights", "device")])
def test_a_path_that_is_not_a_regular_file_is_one_error_line(design, tmp_path, what, kind):
    from tests.hang_guard import MESSAGES, non_regular
    path = non_regular(tmp_path, kind, {"data": "data.csv", "design": "d.json", "weights": "w.npz"}[what])
    argv = ["train", path if what == "design" else design, "--epochs", "1"]
    argv += {"data": ["--data", path], "weights": ["--data", "xor", "--weights", path]}.get(what, [])
    code, err = _run_main(argv)
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: {path} {MESSAGES[kind]}") and "not a regular file" in err


def test_dev_zero_as_data_is_one_error_line(design):
    code, err = _run_main(["train", design, "--data", "/dev/zero", "--epochs", "1"])
    assert code == 1 and err == "error: /dev/zero is a device, not a regular file\n"


def test_a_wide_csv_is_refused_early_with_the_cap_message(design, tmp_path):
    # 400 columns: with a cap of 20,000 values the 51st row is refused. The bad cell near the
    # end was reported instead while every row was held as text before the cap was checked.
    path = tmp_path / "wide.csv"
    row = ",".join(["0.5"] * 400)
    path.write_text(",".join(f"c{j}" for j in range(400)) + "\n" + (row + "\n") * 3000 + "0.5,x" + row[7:] + "\n")
    script = ("import sys; from engine.data import csv_table; csv_table.MAX_VALUES = 20_000; "
              "from engine.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", script, "train", str(design), "--data", str(path),
                             "--target", "c0", "--epochs", "1"], capture_output=True, text=True, timeout=60,
                            cwd=ROOT)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == ("error: wide.csv is too large: more than 20,000 values (rows × feature columns; "
                             "399 feature columns, refused at row 52); use fewer rows or columns\n")
