"""Network health: each sickness is found with its numbers and fix; healthy trained examples are not flagged."""
import json

import numpy as np
import pytest

from engine import Graph, Network
from engine.data.datasets import from_settings
from engine.files.resources import resolve_design
from engine.train.health import distances_to_output, gradient_findings
from engine.train.health_findings import KINDS, HealthReport, power, sci
from engine.train.health_monitor import HealthMonitor, diagnose
from engine.train.health_rate import chance_loss
from engine.train.trainer import Trainer, TrainingConfig


def chain(acts, width=4, lr=0.03, optimizer="adam", samples=200):
    """input 2 → hidden layers with ``acts`` → sigmoid output, bce, on the circle data."""
    g = Graph("bce")
    g.add_node("input", 2, id="x")
    prev = "x"
    for i, act in enumerate(acts, 1):
        g.add_node("hidden", width, act, id=f"h{i}")
        g.connect(prev, f"h{i}")
        prev = f"h{i}"
    g.add_node("output", 1, "sigmoid", id="y")
    g.connect(prev, "y")
    g.settings.update(data="circle", samples=samples, noise=0.1, lr=lr, optimizer=optimizer,
                      batch_size=16, seed=0)
    return g


def run(graph, tweak=None, steps=200):
    dataset = from_settings(graph.settings, graph.loss)
    config = TrainingConfig.from_settings(graph.settings)
    net = Network(graph, seed=config.seed)
    if tweak:
        tweak(net)
    return diagnose(net, dataset, config, steps), net


def kinds(report):
    return {k for k in KINDS if report.findings[k]}


@pytest.mark.parametrize("name", ["circle", "xor_neurons", "skip_connection"])
def test_a_healthy_trained_example_has_no_finding(name):
    graph = Graph.load(resolve_design(name))
    dataset = from_settings(graph.settings, graph.loss)
    config = TrainingConfig.from_settings(graph.settings)
    net = Network(graph, seed=config.seed)
    Trainer(net, dataset, config).run()
    report = diagnose(net, dataset, config)
    assert report.healthy, [f.summary for f in report.all()]
    assert report.to_dict() == {k: [] for k in KINDS}


def test_eight_sigmoid_layers_vanish_with_the_computed_bound():
    report, _ = run(chain(["sigmoid"] * 8))
    (f,) = report.findings["vanishing"]
    assert f.numbers["ratio"] < 1e-3
    assert f.numbers["bound"] == pytest.approx(0.25 ** 8)
    assert "0.25⁸ ≈ 1.5·10⁻⁵" in f.reason
    assert "x->h1" in f.connections and "h1" in f.nodes
    fix = next(x for x in f.fixes if x.setting == "activation")
    assert fix.value == "relu" and set(fix.nodes) == {f"h{i}" for i in range(1, 9)}


def test_the_same_depth_with_relu_does_not_vanish():
    report, _ = run(chain(["relu"] * 8))
    assert not report.findings["vanishing"]


def test_relu_with_a_huge_negative_bias_is_dead():
    def sink(net):
        net.b["h1"][...] = -50.0
    report, _ = run(chain(["relu", "relu"]), sink)
    dead = {f.nodes[0]: f for f in report.findings["dead"]}
    assert dead["h1"].numbers["units"] == [0, 1, 2, 3]
    assert dead["h1"].numbers["mean_bias"] == pytest.approx(-50.0)
    assert dead["h1"].fixes[0].setting == "activation" and dead["h1"].fixes[0].value == "leaky_relu"
    # the barely moving loss is explained by the dead units, not by the learning rate
    assert not report.findings["learning_rate"]


def test_one_dead_unit_is_named_alone():
    def sink(net):
        net.b["h1"][2] = -50.0
    report, _ = run(chain(["relu"]), sink, steps=0)
    (f,) = report.findings["dead"]
    assert f.numbers["units"] == [2] and f.numbers["size"] == 4


def test_a_learning_rate_of_50_is_too_large():
    report, _ = run(chain(["tanh", "tanh"], lr=50))
    (f,) = report.findings["learning_rate"]
    assert f.numbers["verdict"] == "too_large"
    assert f.fixes[0].setting == "lr" and f.fixes[0].value < 50


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_learning_rate_of_1e_7_is_too_small(optimizer):
    report, _ = run(chain(["tanh", "tanh"], lr=1e-7, optimizer=optimizer))
    (f,) = report.findings["learning_rate"]
    assert f.numbers["verdict"] == "too_small"
    assert f.numbers["motion"] < 1e-3
    assert f.fixes[0].setting == "lr" and f.fixes[0].value > 1e-7


def test_big_weights_into_tanh_saturate():
    def blow_up(net):
        net.W[("x", "h1")][...] *= 40
    report, _ = run(chain(["tanh", "tanh"]), blow_up, steps=0)
    (f,) = report.findings["saturated"]
    assert f.nodes == ["h1"] and f.numbers["saturated"] >= 1
    z = np.abs(f.numbers["median_abs_z"])
    assert f.numbers["derivative_at_median"] == pytest.approx(1 / np.cosh(z) ** 2, rel=1e-6)


def test_gradients_growing_toward_the_input_explode():
    net = Network(chain(["tanh"] * 3), seed=0)
    net.forward(np.zeros((4, 2)))
    grads = {k: np.full(p.shape, 1e-3) for k, p in net.parameters().items()}
    grads["W:x->h1"][...] = 10.0
    (f,) = gradient_findings(net, grads)
    assert f.kind == "exploding"
    assert f.numbers["ratio"] == pytest.approx(1e4)
    assert f.connections == ["x->h1"] and f.nodes == ["h1"]
    assert f.numbers["growth_bound"] == pytest.approx(np.prod(list(f.numbers["spectral_norms"].values())))


def test_a_loss_that_jumps_is_an_exploding_gradient():
    report, _ = run(chain(["tanh", "tanh"], lr=50))
    (f,) = report.findings["exploding"]
    assert f.numbers["after"] > 10 * f.numbers["before"]


def test_the_probe_leaves_the_weights_as_they_were():
    graph = chain(["tanh"], lr=50)
    dataset = from_settings(graph.settings, graph.loss)
    net = Network(graph, seed=0)
    before = {k: p.copy() for k, p in net.parameters().items()}
    diagnose(net, dataset, TrainingConfig.from_settings(graph.settings), 50)
    assert all(np.array_equal(before[k], p) for k, p in net.parameters().items())


def test_the_report_round_trips_through_json():
    report, _ = run(chain(["sigmoid"] * 8))
    d = json.loads(json.dumps(report.to_dict()))
    assert set(d) == set(KINDS)
    back = HealthReport.from_dict(d)
    assert back.to_dict() == d
    assert set(back.nodes_affected()) >= {"h1"}


def test_the_monitor_sees_a_rising_loss_during_training():
    graph = chain(["tanh"], lr=50)
    dataset = from_settings(graph.settings, graph.loss)
    config = TrainingConfig.from_settings(graph.settings)
    net = Network(graph, seed=0)
    trainer = Trainer(net, dataset, config)
    monitor = HealthMonitor(net, dataset.X_train, dataset.T_train)
    report = None
    for _ in range(12):
        for _ in range(10):
            trainer.step()
        grads = {k: g.copy() for k, g in net.gradients.items()}
        report = monitor.check(net, trainer.step_count, grads, trainer.lr)
    assert report.findings["learning_rate"]
    assert report.step == trainer.step_count


def test_chance_loss_is_that_of_predicting_the_average():
    T = np.array([[1.0], [0.0], [1.0], [1.0]])
    assert chance_loss("bce", T) == pytest.approx(-(0.75 * np.log(0.75) + 0.25 * np.log(0.25)))
    assert chance_loss("mse", T) == pytest.approx(0.5 * T.var())


def test_distances_count_the_longest_path_to_the_output():
    graph = Graph.load(resolve_design("skip_connection"))
    assert distances_to_output(Network(graph)) == {"y": 0, "h2": 1, "h1": 2, "x": 3}


def test_numbers_are_written_as_people_write_them():
    assert sci(0.25 ** 8) == "1.5·10⁻⁵" and sci(0.031) == "0.031" and power(0.25, 8) == "0.25⁸"
