"""The Trainer: steps, epochs, pause/resume, reproducibility, divergence, metrics, digits."""
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score

from engine import Graph, Network
from engine.datasets import load_dataset
from engine.metrics import accuracy, r2
from engine.training import Trainer, TrainingConfig



def mlp(sizes, act="tanh", out="sigmoid", loss="bce"):
    g = Graph(loss)
    prev = g.add_node("input", sizes[0]).id
    for s in sizes[1:-1]:
        n = g.add_node("hidden", s, act).id
        g.connect(prev, n)
        prev = n
    g.connect(prev, g.add_node("output", sizes[-1], out).id)
    return g


def trainer(sizes=(2, 6, 1), data="circle", seed=0, **config):
    g = mlp(sizes)
    cfg = TrainingConfig(seed=seed, **config)
    return Trainer(Network(g, seed=seed), load_dataset(data, loss=g.loss, seed=seed), cfg)


def params(t):
    return {k: v.copy() for k, v in t.network.parameters().items()}


def test_step_is_one_mini_batch():
    t = trainer(batch_size=16)
    before = params(t)
    t.step()
    assert t.step_count == 1 and t.epoch == 0
    assert any(not np.array_equal(before[k], v) for k, v in t.network.parameters().items())


def test_two_epochs_at_once_equal_one_plus_one():
    a, b = trainer(), trainer()
    a.run(epochs=2)
    b.run(epochs=1)
    b.run(epochs=1)
    assert a.epoch == b.epoch == 2
    for k, v in params(a).items():
        np.testing.assert_array_equal(v, b.network.parameters()[k])


def test_same_seed_same_history_different_seed_differs():
    runs = [trainer(seed=s) for s in (3, 3, 4)]
    for t in runs:
        t.run(epochs=3)
    losses = [[r.train_loss for r in t.history] for t in runs]
    assert losses[0] == losses[1] and losses[0] != losses[2]


def test_reset_gives_the_seeded_weights_and_zero_counters():
    t = trainer()
    first = params(t)
    t.run(epochs=1)
    t.reset()
    assert t.step_count == 0 and t.epoch == 0
    for k, v in first.items():
        np.testing.assert_array_equal(v, t.network.parameters()[k])


def test_divergence_stops_with_a_reason_and_keeps_good_weights():
    g = mlp((4, 8, 1), act="relu", out="linear", loss="mse")
    data = load_dataset("house_prices", loss="mse")
    t = Trainer(Network(g), data, TrainingConfig(optimizer="sgd", lr=1e6))
    seen = []
    t.events.diverged.connect(seen.append)
    t.run(epochs=5)
    assert t.diverged_reason and "diverged" in t.diverged_reason and "learning rate" in t.diverged_reason
    assert seen == [t.diverged_reason]
    assert all(np.isfinite(p).all() for p in t.network.parameters().values())


def test_lr_change_takes_effect_on_the_next_step():
    a, b = trainer(optimizer="sgd", lr=0.1), trainer(optimizer="sgd", lr=0.1)
    b.lr = 0.0001
    a.step()
    b.step()
    da = max(np.abs(a.network.parameters()[k] - v).max() for k, v in params(trainer()).items())
    db = max(np.abs(b.network.parameters()[k] - v).max() for k, v in params(trainer()).items())
    assert db < da / 100


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    T = np.eye(3)[rng.integers(0, 3, 50)]
    Y = rng.random((50, 3))
    assert accuracy(Y, T) == pytest.approx(accuracy_score(T.argmax(1), Y.argmax(1)))
    t, y = rng.normal(size=(40, 1)), rng.normal(size=(40, 1))
    assert r2(y, t) == pytest.approx(r2_score(t, y))


def test_digits_reaches_96_percent():
    g = mlp((64, 128, 64, 10), act="relu", out="softmax", loss="softmax_ce")
    data = load_dataset("digits", loss="softmax_ce", seed=0)
    t = Trainer(Network(g, seed=0), data, TrainingConfig(optimizer="adam", lr=0.001, batch_size=32))
    t.run(epochs=30)
    assert t.history[-1].val_metric >= 0.96
