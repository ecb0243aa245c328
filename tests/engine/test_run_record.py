"""Training runs: their settings, thinning, labels by what differs, and the design file's "runs" field."""
import json
import math

import pytest

from engine.files.resources import resolve_design
from engine.io.design_weights import (RUNS_FIELD, load_design_with_weights, load_runs,
                                      save_design_with_weights)
from engine.model.graph import Graph
from engine.nn.network import Network
from engine.train.run_labels import run_labels
from engine.train.run_record import MAX_RUNS, RunError, RunRecord, Thinned, run_settings


def xor() -> Graph:
    return Graph.load(resolve_design("xor_neurons"))


def labels_of(*graphs) -> list[str]:
    return run_labels([run_settings(g) for g in graphs])


def with_activation(act: str) -> Graph:
    g = xor()
    for n in ("n1", "n2", "n3", "n4"):
        g.update_node(n, activation=act)
    return g


def test_activation_runs_are_labelled_by_the_activation():
    assert labels_of(with_activation("sigmoid"), with_activation("relu")) == ["sigmoid", "ReLU"]


def test_runs_differing_in_one_node_name_it_when_the_same_activation_is_on_different_nodes():
    a, b = xor(), xor()
    a.update_node("n1", activation="relu")
    b.update_node("n2", activation="relu")
    assert labels_of(a, b) == ["n1 ReLU, n2 tanh", "n1 tanh, n2 ReLU"]


def test_optimiser_and_learning_rate_are_named_together():
    a, b = xor(), xor()
    a.settings.update(optimizer="sgd", lr=0.1)
    b.settings.update(optimizer="adam", lr=0.01)
    assert labels_of(a, b) == ["SGD lr 0.1", "Adam lr 0.01"]
    b.settings.update(optimizer="sgd")
    assert labels_of(a, b) == ["lr 0.1", "lr 0.01"]


def test_a_removed_skip_connection_is_named_as_a_skip():
    with_skip = Graph.load(resolve_design("skip_connection"))
    without = with_skip.copy()
    without.disconnect("x", "h2")
    assert labels_of(with_skip, without) == ["with skip x→h2", "without skip x→h2"]


def test_identical_runs_are_told_apart_by_number_and_three_runs_name_every_difference():
    assert run_labels([run_settings(xor())] * 2, [4, 7]) == ["run 4", "run 7"]
    a, b, c = with_activation("sigmoid"), with_activation("relu"), with_activation("relu")
    c.settings.update(optimizer="sgd")
    assert labels_of(a, b, c) == ["sigmoid · Adam", "ReLU · Adam", "ReLU · SGD"]


def test_same_label_twice_gets_the_run_number():
    a, b, c = with_activation("sigmoid"), with_activation("relu"), with_activation("relu")
    c.settings.update(seed=0)       # the same as b: same label
    assert run_labels([run_settings(g) for g in (a, b, c)], [1, 2, 3]) == [
        "sigmoid", "ReLU (run 2)", "ReLU (run 3)"]


def test_thinning_keeps_uniform_spacing_within_the_cap():
    t = Thinned(cap=10)
    for i in range(1000):
        t.add(i)
    assert len(t.rows) <= 10 and t.rows[0] == 0
    gaps = {b - a for a, b in zip(t.rows, t.rows[1:])}
    assert gaps == {t.stride}


def trained_record(number=1, graph=None) -> RunRecord:
    record = RunRecord.start(graph or xor(), number)
    record.add_steps([1, 2, 3], [0.7, 0.6, float("nan")])
    record.add_epoch({"epoch": 1, "step": 3, "train_loss": 0.5, "val_loss": 0.55,
                      "train_metric": 0.75, "val_metric": 0.7, "metric_name": "accuracy"})
    record.add_flow(3, {"x->n1": 0.1, "n1->y": 0.0})
    return record


def test_a_record_round_trips_through_plain_data_and_gives_its_final_values():
    record = trained_record()
    copy = RunRecord.from_dict(json.loads(json.dumps(record.to_dict(), allow_nan=False)))
    assert copy.to_dict() == record.to_dict()
    final = copy.final()
    assert final["train_loss"] == 0.5 and final["val_metric"] == 0.7 and final["step"] == 3
    assert final["last_step_loss"] is None          # NaN is saved as null
    xs, ys = copy.flow_series("n1->y")
    assert xs == [3] and math.isnan(ys[0])          # zero: a gap on the log axis


@pytest.mark.parametrize("bad", [None, 3, [], {"number": 0, "settings": {}}, {"number": 1},
                                 {"number": 1, "settings": {}, "steps": [[1]]},
                                 {"number": 1, "settings": {}, "epochs": [[1, 2, 3, 4, 5, "x"]] * 1 + [[-1] * 6]},
                                 {"number": 1, "settings": {"activations": {"a": [1]}}},
                                 {"number": 1, "settings": {"connections": [["a"]]}},
                                 {"number": 1, "settings": {}, "flow": [[1, 2]]},
                                 {"number": 1, "settings": {}, "steps": [[10**400, 1e400]]}])
def test_malformed_runs_raise_run_error(bad):
    with pytest.raises(RunError):
        RunRecord.from_dict(bad)


def test_runs_saved_with_the_weights_come_back_and_old_files_have_none(tmp_path):
    graph = xor()
    params = Network(graph).parameters()
    path = tmp_path / "d.json"
    runs = [trained_record(n, with_activation(a)) for n, a in ((1, "sigmoid"), (2, "relu"))]
    save_design_with_weights(graph, params, path, runs=runs)
    loaded, warnings = load_runs(path)
    assert warnings == [] and [r.number for r in loaded] == [1, 2]
    assert run_labels([r.settings for r in loaded]) == ["sigmoid", "ReLU"]
    assert load_design_with_weights(path)[1] is not None
    save_design_with_weights(graph, params, tmp_path / "old.json")
    assert RUNS_FIELD not in json.loads((tmp_path / "old.json").read_text())
    assert load_runs(tmp_path / "old.json") == ([], [])


def test_a_corrupt_run_is_left_out_with_a_warning_and_the_rest_still_load(tmp_path):
    graph = xor()
    path = tmp_path / "d.json"
    save_design_with_weights(graph, Network(graph).parameters(), path, runs=[trained_record()])
    data = json.loads(path.read_text())
    data[RUNS_FIELD].insert(0, {"number": "one"})
    path.write_text(json.dumps(data))
    runs, warnings = load_runs(path)
    assert len(runs) == 1 and len(warnings) == 1 and "saved run 1 was ignored" in warnings[0]
    data[RUNS_FIELD] = "many"
    path.write_text(json.dumps(data))
    assert load_runs(path)[0] == [] and "runs must be a list" in load_runs(path)[1][0]
    path.write_text('{"runs": [')
    assert load_runs(path)[0] == [] and load_runs(path)[1]
    assert load_design_with_weights  # the design itself is the other loader's business


def test_at_most_max_runs_are_saved(tmp_path):
    graph = xor()
    path = tmp_path / "d.json"
    runs = [trained_record(n) for n in range(1, MAX_RUNS + 4)]
    save_design_with_weights(graph, Network(graph).parameters(), path, runs=runs)
    loaded, _ = load_runs(path)
    assert [r.number for r in loaded] == list(range(4, MAX_RUNS + 4))


JUNK = [None, True, -1, 2**70, 1e308, float("nan"), "x" * 5000, [], [[]], [[1, 2, 3]], {}, {"a": []},
        [[1, {"k": "v"}]], [["a", "b"]], [[0, None]], "null"]


def test_mutated_runs_never_raise_only_warn(tmp_path):
    import random
    rng = random.Random(3)
    graph = xor()
    path = tmp_path / "d.json"
    base = trained_record().to_dict()
    save_design_with_weights(graph, Network(graph).parameters(), path)
    design = json.loads(path.read_text())
    for _ in range(300):
        entry = json.loads(json.dumps(base))
        target = entry if rng.random() < 0.5 else entry["settings"]
        key = rng.choice(list(target) + ["extra"])
        target[key] = rng.choice(JUNK)
        path.write_text(json.dumps(dict(design, runs=[entry, base])))     # NaN too, as Python writes it
        runs, warnings = load_runs(path)
        assert len(runs) + len(warnings) == 2
        run_labels([r.settings for r in runs])              # labels of whatever loaded, too
        for r in runs:
            r.final()


def test_steps_offered_in_chunks_are_thinned_as_one_by_one():
    import numpy as np
    a, b = RunRecord(1, {}, cap=16), RunRecord(2, {}, cap=16)
    steps = np.arange(1, 301)
    losses = 1.0 / steps
    for start in range(0, 300, 37):
        a.add_steps(steps[start:start + 37], losses[start:start + 37])
    for s, v in zip(steps, losses):
        b.add_steps(np.array([s]), np.array([v]))
    assert a.steps.rows == b.steps.rows and len(a.steps.rows) <= 16
