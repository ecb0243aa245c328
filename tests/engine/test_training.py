"""The Trainer: steps, epochs, pause/resume, reproducibility, divergence, metrics, digits."""
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score

from engine import Network

from engine.nn import losses
from engine.data.datasets import load_dataset
from engine.train.metrics import R2, Accuracy, accuracy, r2
from engine.train.optimizers import SGD
from engine.train.trainer import _SHUFFLE_STREAM, ConfigError, Trainer, TrainingConfig
from tests.engine.strategies import mlp


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


# ----- batches, epochs and events -------------------------------------------------
def test_an_epoch_is_every_batch_once_including_the_last_partial_one():
    t = trainer(batch_size=50)                       # circle: 160 training examples
    assert t.steps_per_epoch == 4                    # 50 + 50 + 50 + 10
    reports = []
    t.events.epoch_finished.connect(reports.append)
    for _ in range(3):
        t.step()
    assert t.epoch == 0 and t.epoch_fraction == pytest.approx(150 / 160) and not reports
    t.step()
    assert t.epoch == 1 and t.step_count == 4 and [r.epoch for r in reports] == [1]
    assert reports[0].step == 4 and reports[0].metric_name == "accuracy"


def test_a_step_trains_on_exactly_the_next_batch_of_the_shuffled_order():
    t = trainer(batch_size=16, optimizer="sgd", lr=0.1)
    ref = Network(t.network.graph, seed=0)
    order = np.random.default_rng([_SHUFFLE_STREAM, 0]).permutation(160)   # seed 0's order
    opt = SGD(0.1)
    for k in range(2):
        t.step()
        idx = order[16 * k:16 * (k + 1)]
        ref.train_step(t.dataset.X_train[idx].astype(np.float32),
                       t.dataset.T_train[idx].astype(np.float32), opt)
    for k, v in ref.parameters().items():
        np.testing.assert_allclose(t.network.parameters()[k], v, rtol=1e-6, atol=1e-7)


def test_events_and_finished_after_the_configured_epochs():
    t = trainer(epochs=2)
    steps, finished = [], []
    t.events.step_finished.connect(lambda s, loss: steps.append((s, loss)))
    t.events.finished.connect(lambda: finished.append(True))
    assert t.run() == "finished"
    assert t.epoch == 2 and finished == [True] and len(t.history) == 2
    assert [s for s, _ in steps] == list(range(1, 2 * t.steps_per_epoch + 1))
    assert all(np.isfinite(loss) for _, loss in steps)


def test_stopping_and_time_slices_resume_exactly():
    whole, sliced = trainer(), trainer()
    whole.run(epochs=3)
    calls = iter(range(10_000))
    assert sliced.run(epochs=3, should_stop=lambda: next(calls) == 7) == "stopped"
    assert sliced.step_count == 7
    reasons = set()
    while sliced.epoch < 3:
        reasons.add(sliced.run(epochs=3 - sliced.epoch, time_budget=0.0))   # one step per call
    assert "time" in reasons
    assert [r.train_loss for r in sliced.history] == [r.train_loss for r in whole.history]
    for k, v in params(whole).items():
        np.testing.assert_array_equal(v, sliced.network.parameters()[k])


def test_same_seed_same_weights():
    a, b = trainer(seed=7), trainer(seed=7)
    a.run(epochs=2)
    b.run(epochs=2)
    for k, v in params(a).items():
        np.testing.assert_array_equal(v, b.network.parameters()[k])


def test_run_epoch_returns_the_report():
    t = trainer()
    t.step()
    report = t.run_epoch()                           # finishes the epoch already begun
    assert report is t.history[-1] and report.epoch == 1 and t.epoch == 1


# ----- divergence -------------------------------------------------------------------
def test_divergence_restores_exactly_the_last_checkpoint():
    g = mlp((4, 8, 1), act="relu", out="linear", loss="mse")
    data = load_dataset("house_prices", loss="mse")

    def make():
        return Trainer(Network(g), data, TrainingConfig(optimizer="sgd", lr=0.05, batch_size=8))

    t = make()
    t.run(epochs=1)                                  # fine at this rate
    assert t.diverged_reason is None
    t.lr = 1e6
    t.run(epochs=3)
    reason = t.diverged_reason
    assert reason.startswith("diverged at epoch 2, step ") and "smaller learning rate" in reason
    good = t.checkpoint_step
    assert t.step_count == good and f"weights of step {good} are restored" in reason
    ref = make()
    for _ in range(good):
        ref.step()
    for k, v in ref.network.parameters().items():
        assert np.isfinite(t.network.parameters()[k]).all()
        np.testing.assert_array_equal(t.network.parameters()[k], v)
    assert len(t.history) == 1 and t.lr == 1e6      # the history of good epochs stays
    t.lr = 0.05                                      # a smaller rate carries on from there
    assert t.run(epochs=1) == "finished" and t.diverged_reason is None and t.epoch == 2


# ----- evaluation and metrics ---------------------------------------------------------
def test_evaluate_matches_a_direct_computation():
    g = mlp((64, 16, 10), act="relu", out="softmax", loss="softmax_ce")
    data = load_dataset("digits", loss="softmax_ce")
    t = Trainer(Network(g), data, TrainingConfig())
    t.run(epochs=1)
    ev = t.evaluate()
    net = t.network
    for X, T, loss_key, metric_key in ((data.X_train, data.T_train, "train_loss", "train_metric"),
                                       (data.X_val, data.T_val, "val_loss", "val_metric")):
        Y = net.forward(X)
        z = net.z[net.output]
        assert ev[loss_key] == pytest.approx(losses.value("softmax_ce", z, Y, T), rel=1e-5)
        assert ev[metric_key] == pytest.approx(accuracy_score(T.argmax(1), Y.argmax(1)))


def test_empty_validation_split_gives_none():
    g = mlp((2, 4, 1))
    t = Trainer(Network(g), load_dataset("xor", loss="bce", validation=0.0), TrainingConfig())
    report = t.run_epoch()
    assert report.val_loss is None and report.val_metric is None and report.train_metric is not None


def test_regression_reports_r2():
    g = mlp((2, 8, 1), out="linear", loss="mse")
    data = load_dataset("plane", loss="mse")
    t = Trainer(Network(g), data, TrainingConfig(lr=0.01))
    t.run(epochs=20)
    r = t.history[-1]
    assert r.metric_name == "r2" and r.val_metric > 0.95
    Y = t.network.forward(data.X_val)
    assert r.val_metric == pytest.approx(r2_score(data.T_val, Y), abs=1e-5)


def test_binary_and_multi_output_metrics_match_scikit_learn():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 2, (60, 1)).astype(float)
    y = rng.random((60, 1))
    assert accuracy(y, t) == pytest.approx(accuracy_score(t[:, 0], y[:, 0] > 0.5))
    T, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
    assert r2(Y, T) == pytest.approx(r2_score(T, Y))
    assert r2(Y[:, 0], T[:, 0]) == pytest.approx(r2_score(T[:, 0], Y[:, 0]))
    const = np.full((5, 1), 2.0)
    assert r2(const, const) == r2_score(const, const) == 1.0
    assert r2(const + 1, const) == r2_score(const, const + 1) == 0.0


def test_chunked_metrics_equal_whole_ones():
    rng = np.random.default_rng(2)
    T, Y = rng.normal(5, 2, size=(101, 2)), rng.normal(5, 2, size=(101, 2))
    m = R2()
    for s in range(0, 101, 17):
        m.add(Y[s:s + 17], T[s:s + 17])
    assert m.value() == pytest.approx(r2_score(T, Y))
    L = np.eye(4)[rng.integers(0, 4, 101)]
    a = Accuracy()
    for s in range(0, 101, 30):
        a.add(Y[s:s + 30, :1].repeat(4, 1) * L[s:s + 30], L[s:s + 30])
    assert a.value() == 1.0


# ----- settings -------------------------------------------------------------------------
def test_config_from_settings_and_bad_values():
    c = TrainingConfig.from_settings({"optimizer": "sgd", "lr": 0.5, "batch_size": 8, "epochs": 3,
                                      "l2": 0.01, "seed": 4, "data": "xor"})
    assert (c.optimizer, c.lr, c.batch_size, c.epochs, c.l1, c.l2, c.seed) == ("sgd", 0.5, 8, 3, 0.0, 0.01, 4)
    assert TrainingConfig.from_settings({}) == TrainingConfig()
    for bad in ({"optimizer": "rmsprop"}, {"lr": 0}, {"lr": "fast"}, {"batch_size": 0},
                {"batch_size": 2.5}, {"epochs": -1}, {"l1": -0.1}, {"seed": True}):
        with pytest.raises(ConfigError):
            TrainingConfig.from_settings(bad)
    t = trainer()
    with pytest.raises(ConfigError):
        t.lr = -1


def test_set_network_keeps_the_position_after_a_design_edit():
    t = trainer(sizes=(2, 6, 1))
    t.step()
    g = t.network.graph.copy()
    g.update_node(g.topological_order()[1], size=9)
    t.set_network(t.network.rebuild(g))
    t.run(epochs=1)
    assert t.epoch == 1 and t.step_count == t.steps_per_epoch
    assert t.network.parameters()["b:" + g.topological_order()[1]].shape == (9,)
