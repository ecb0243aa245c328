"""The Predictions dock (issue 18): predicted vs actual in the target's units for regression,
a confusion matrix with class names for classification on data that is not 2-D."""
import numpy as np
import pytest

from engine import Graph, Network
from engine.data.datasets import from_settings
from gui.core.formatting import fmt_units
from gui.files.document import EXAMPLES_DIR
from gui.plots.confusion import ConfusionMatrixView, confusion_counts
from gui.plots.predicted_actual import PredictedActualView
from gui.plots.predictions import CONFUSION, SCATTER, view_for
from gui.training.worker_process import Session

TIMEOUT = 30_000    # ms: the worker process is spawned and may be slow to start


def r2_and_rmse(predicted, actual):
    err = predicted - actual
    return 1 - (err ** 2).sum() / ((actual - actual.mean()) ** 2).sum(), np.sqrt((err ** 2).mean())


@pytest.mark.parametrize("task, is_2d, view", [("classification", True, None),
                                               ("classification", False, CONFUSION),
                                               ("regression", False, SCATTER),
                                               ("regression", True, SCATTER)])
def test_the_view_follows_the_task(task, is_2d, view):
    assert view_for(task, is_2d) == view


def test_the_scatter_draws_the_points_and_scores_them_in_units(qtbot):
    view = PredictedActualView()
    qtbot.addWidget(view)
    view.set_target("price")
    actual = np.array([100_000.0, 250_000.0, 180_000.0, 320_000.0])
    predicted = np.array([110_000.0, 240_000.0, 200_000.0, 300_000.0])
    view.set_validation(predicted, actual)
    x, y = view.points()
    assert np.array_equal(x, actual) and np.array_equal(y, predicted)
    r2, rmse = r2_and_rmse(predicted, actual)
    assert view.caption.text().startswith(f"R² {r2:.3f} · RMSE {fmt_units(rmse)} price\n4 validation")
    assert view.plot.getAxis("bottom").labelText == "actual price"
    assert view.plot.getAxis("left").labelText == "predicted price"
    view.clear()
    assert len(view.points()[0]) == 0 and "Train" in view.caption.text()


def test_the_confusion_matrix_counts_actual_rows_and_predicted_columns(qtbot):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.set_classes(["setosa", "versicolor", "virginica"])
    actual = np.array([0, 0, 1, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 2, 2, 2])
    view.set_validation(predicted, actual)
    assert view.counts.tolist() == [[1, 1, 0], [0, 2, 1], [0, 0, 2]]
    assert view.title() == "accuracy 71.4%: 5 of 7 validation examples"
    view.resize(360, 300)
    view.grab()     # paints without error, names and all
    g = view.matrix_layout()
    assert view.cell_at(g.left + 1.5 * g.cell, g.top + 0.5 * g.cell) == (0, 1)
    with pytest.raises(ValueError):
        confusion_counts([3], [0], 3)


def test_the_worker_sends_regression_predictions_in_the_targets_units():
    graph = Graph.load(EXAMPLES_DIR / "house_prices.json")
    sent = []
    session = Session(sent.append)
    session.design(graph.to_dict(), False, None)
    session.step()
    validation = sent[-1][1]["validation"]
    ds = from_settings(graph.settings, graph.loss)
    net = Network(graph)
    net.load_parameters(sent[-1][1]["weights"])
    expected = net.forward(ds.X_val.astype(net.dtype))[:, 0] * ds.target_std + ds.target_mean
    assert validation["task"] == "regression"
    assert np.allclose(validation["predicted"], expected, rtol=1e-6)
    assert np.allclose(validation["actual"], ds.labels_val if ds.labels_val is not None
                       else ds.T_val[:, 0] * ds.target_std + ds.target_mean)
    assert validation["actual"].min() > 10_000      # prices, not standardised values


def open_and_step(qtbot, window, name):
    assert window.document.load(EXAMPLES_DIR / f"{name}.json", as_example=True)
    training = window.training
    window.graph.settings["epochs"] = 0
    qtbot.waitUntil(lambda: training.net is not None, timeout=TIMEOUT)
    for _ in range(3):
        training.panel.step_button.click()
    qtbot.waitUntil(lambda: training.latest is not None and training.latest["step"] >= 3
                    and training.latest.get("validation") is not None, timeout=TIMEOUT)
    # The prediction views take snapshots at most every PREDICTIONS_MS: they end on the newest.
    qtbot.waitUntil(lambda: training.docks["Predictions"].isHidden() or not training.views.pending("predictions"),
                    timeout=TIMEOUT)
    return training


def test_house_prices_shows_predicted_vs_actual_instead_of_the_boundary(qtbot, main_window):
    training = open_and_step(qtbot, main_window, "house_prices")
    dock = training.docks["Predictions"]
    assert not dock.isHidden() and dock.windowTitle() == SCATTER
    assert training.docks["Decision boundary"].isHidden()
    validation = training.latest["validation"]
    scatter = training.predictions.scatter
    x, y = scatter.points()
    assert np.array_equal(x, validation["actual"]) and np.array_equal(y, validation["predicted"])
    r2, rmse = r2_and_rmse(validation["predicted"], validation["actual"])
    assert scatter.scores == pytest.approx((r2, rmse))
    assert f"RMSE {fmt_units(rmse)} price" in scatter.caption.text()


def test_digits_shows_a_confusion_matrix_of_the_argmax_predictions(qtbot, main_window):
    training = open_and_step(qtbot, main_window, "digits")
    dock = training.docks["Predictions"]
    assert not dock.isHidden() and dock.windowTitle() == CONFUSION
    confusion = training.predictions.confusion
    assert confusion.classes == [str(d) for d in range(10)]
    graph = main_window.graph
    ds = from_settings(graph.settings, graph.loss)
    assert confusion.counts.sum() == len(ds.X_val) == training.info["val_size"]
    net = Network(graph)
    net.load_parameters(training.latest["weights"])
    predicted = net.forward(ds.X_val.astype(net.dtype)).argmax(axis=1)
    assert np.array_equal(confusion.counts, confusion_counts(predicted, ds.T_val.argmax(axis=1), 10))
    assert confusion.title().startswith(f"accuracy {100 * np.mean(predicted == ds.T_val.argmax(axis=1)):.1f}%")


def test_two_d_classification_keeps_the_boundary_and_no_predictions_dock(qtbot, main_window):
    training = open_and_step(qtbot, main_window, "circle")
    assert training.docks["Predictions"].isHidden()
    assert not training.docks["Decision boundary"].isHidden()
    assert training.predictions.kind is None
