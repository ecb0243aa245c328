"""``main.py diagnose``: exit 0 when healthy, 3 with findings, 1 for bad input, 2 for bad usage;
--json always carries every kind."""
import json

import numpy as np
import pytest

from engine import Network
from engine.cli import main
from engine.io.weights import save_weights
from tests.engine.test_health import chain

KEYS = {"dead", "saturated", "vanishing", "exploding", "learning_rate"}


def write(tmp_path, graph, name="design.json"):
    path = tmp_path / name
    graph.save(path)
    return str(path)


def diagnose_json(capsys, *argv):
    code = main(["diagnose", *argv, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert set(out) == KEYS and all(isinstance(v, list) for v in out.values())
    return code, out


def test_a_healthy_design_exits_0_with_empty_lists(capsys):
    code, out = diagnose_json(capsys, "circle")
    assert code == 0 and out == {k: [] for k in KEYS}


def test_a_healthy_design_says_so_in_words(capsys):
    assert main(["diagnose", "circle", "--probe-steps", "50"]) == 0
    out = capsys.readouterr().out
    assert "healthy" in out and "fresh weights from seed 0" in out


def test_eight_sigmoid_layers_exit_3_with_vanishing(tmp_path, capsys):
    code, out = diagnose_json(capsys, write(tmp_path, chain(["sigmoid"] * 8)), "--probe-steps", "0")
    assert code == 3
    (f,) = out["vanishing"]
    assert "x->h1" in f["connections"] and f["numbers"]["ratio"] < 1e-3
    assert {"setting": "activation", "value": "relu"}.items() <= f["fixes"][0].items()


def test_given_weights_with_a_dead_layer(tmp_path, capsys):
    graph = chain(["relu", "relu"])
    net = Network(graph)
    net.b["h1"][...] = -50
    weights = tmp_path / "w.npz"
    save_weights(net.parameters(), weights)
    code, out = diagnose_json(capsys, write(tmp_path, graph), "--weights", str(weights))
    assert code == 3
    assert "h1" in [f["nodes"][0] for f in out["dead"]]
    assert out["dead"][0]["numbers"]["units"] == [0, 1, 2, 3]


@pytest.mark.parametrize("lr, verdict", [("50", "too_large"), ("1e-7", "too_small")])
def test_the_probe_judges_the_learning_rate(tmp_path, capsys, lr, verdict):
    code, out = diagnose_json(capsys, write(tmp_path, chain(["tanh"])), "--lr", lr)
    assert code == 3
    assert [f["numbers"]["verdict"] for f in out["learning_rate"]] == [verdict]
    fix = out["learning_rate"][0]["fixes"][0]
    assert fix["setting"] == "lr" and (fix["value"] < 50 if verdict == "too_large" else fix["value"] > 1e-7)


def test_the_text_report_gives_reason_and_fix(tmp_path, capsys):
    assert main(["diagnose", write(tmp_path, chain(["sigmoid"] * 8)), "--probe-steps", "0"]) == 3
    out = capsys.readouterr().out
    assert "[Vanishing gradients]" in out and "0.25⁸" in out and "fix: Make h1" in out


def test_bad_input_exits_1_and_bad_usage_2(tmp_path, capsys):
    assert main(["diagnose", str(tmp_path / "missing.json")]) == 1
    assert main(["diagnose", "circle", "--probe-steps", "-1"]) == 2
    assert main(["diagnose", "circle", "--weights", str(tmp_path / "w.npz")]) == 1
    wrong = tmp_path / "wrong.npz"
    save_weights({"W:x->h1": np.zeros((3, 3))}, wrong)
    assert main(["diagnose", "circle", "--weights", str(wrong)]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 4 and "Traceback" not in err
