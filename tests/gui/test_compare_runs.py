"""Compare runs: each Reset → Play run is listed, labelled by what differs, drawn over the live
curves when checked, saved with the weights and in the report."""
import json

from PySide6.QtCore import Qt

from engine.io.design_weights import RUNS_FIELD
from gui.training.runs import RunStore
from tests.gui.test_inspector import select
from tests.gui.test_live_training import TIMEOUT, ready, wait_for_step


def set_activation(window, node: str, activation: str) -> None:
    combo = select(window, nodes=[node]).activation_combo
    combo.setCurrentIndex(combo.findData(activation))
    combo.activated.emit(combo.currentIndex())
    assert window.graph.nodes[node].activation == activation


def train_a_run(qtbot, window, steps=40) -> None:
    training = window.training
    qtbot.wait(400)         # the design change reloads the worker after 250 ms, pausing it
    qtbot.waitUntil(lambda: training.net is not None, timeout=TIMEOUT)
    training.panel.reset_button.click()
    training.panel.play_button.click()
    start = training.latest["step"] if training.latest else 0
    wait_for_step(qtbot, training, start + steps)
    training.panel.play_button.click()
    qtbot.waitUntil(lambda: training.runs.store.current is not None
                    and bool(training.runs.store.current.epochs.rows), timeout=TIMEOUT)


def curve_names(plot) -> list[str]:
    """Names of the plot's curves that hold data."""
    return [item.name() for item in plot.listDataItems()
            if item.name() and item.getOriginalDataset()[0] is not None and len(item.getOriginalDataset()[0])]


def curve_count(plot) -> int:
    return sum(1 for item in plot.listDataItems()
               if item.getOriginalDataset()[0] is not None and len(item.getOriginalDataset()[0]))


def test_two_runs_are_listed_drawn_saved_and_reported(qtbot, main_window, tmp_path):
    window = main_window
    training = ready(qtbot, window)
    window.graph.settings["data"] = "xor"
    training.panel.load_settings()
    training.panel.data_changed.emit()
    set_activation(window, "h1", "sigmoid")
    train_a_run(qtbot, window)
    set_activation(window, "h1", "relu")          # a design change ends the sigmoid run
    train_a_run(qtbot, window)
    box = training.runs.box
    assert box.labels() == ["ReLU (now)", "sigmoid"]

    # Checking the sigmoid run draws its curves beside the live ones, named by the label.
    assert "sigmoid" not in curve_names(training.metrics.loss_plot)
    box.list.item(1).setCheckState(Qt.Checked)
    assert "sigmoid" in curve_names(training.metrics.loss_plot)
    legend = training.metrics.loss_plot.legend
    assert "ReLU (now)" in [label.text for _sample, label in legend.items]
    # The gradient flow: the sigmoid run's norms beside the live ones, a legend entry naming it.
    assert "sigmoid" in [i.name() for i in training.flow.plot.listDataItems()]
    training.flow.flush()
    assert curve_count(training.flow.plot) >= 2 * len(training.flow.curves)
    # On the epoch axis the compared run is drawn by epoch too.
    training.metrics.set_x_mode("epochs")
    epochs = max(r[0] for r in training.runs.store.finished[0].epochs.rows)
    sigmoid = next(i for i in training.metrics.loss_plot.listDataItems() if i.name() == "sigmoid")
    assert max(sigmoid.getOriginalDataset()[0]) == epochs
    training.metrics.set_x_mode("steps")
    box.list.item(1).setCheckState(Qt.Unchecked)
    assert "sigmoid" not in curve_names(training.metrics.loss_plot)

    # Saved with the weights, and back on opening the file.
    path = window.export_actions.save_with_weights(tmp_path / "runs.json")
    qtbot.waitUntil(lambda: path is not None and path.exists(), timeout=TIMEOUT)
    assert len(json.loads(path.read_text())[RUNS_FIELD]) == 2
    report = window.export_actions.export_report(tmp_path / "report.html")
    page = report.read_text(encoding="utf-8")
    assert "Runs compared" in page and ">sigmoid<" in page and ">ReLU<" in page
    set_activation(window, "h1", "tanh")
    assert window.document.load(path)
    qtbot.waitUntil(lambda: box.labels() == ["ReLU", "sigmoid"], timeout=TIMEOUT)


def test_the_store_keeps_at_most_ten_runs_and_skips_empty_ones(qtbot, main_window):
    store = RunStore(main_window.graph)
    store.end_run()
    store.add_steps([1, 2], [0.5, 0.4])       # in flight from the run just ended: left out
    assert store.runs() == []
    for _ in range(12):
        store.resume()                          # the worker confirmed new weights
        store.add_steps([1, 2], [0.5, 0.4])
        store.end_run()
    assert [r.number for r in store.runs()] == list(range(3, 13))


def test_a_corrupt_runs_entry_is_reported_and_the_design_opens(qtbot, main_window, tmp_path):
    window = main_window
    ready(qtbot, window)
    path = window.export_actions.save_with_weights(tmp_path / "d.json")
    qtbot.waitUntil(lambda: path is not None and path.exists(), timeout=TIMEOUT)
    data = json.loads(path.read_text())
    data[RUNS_FIELD] = [{"number": -1}]
    path.write_text(json.dumps(data))
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    assert window.document.load(path)
    qtbot.waitUntil(lambda: any("saved run 1 was ignored" in m for m in messages), timeout=TIMEOUT)
    assert window.training.runs.box.labels() == []
