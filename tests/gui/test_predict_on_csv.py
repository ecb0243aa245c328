"""File ▸ Predict on CSV… (issue 18): the file `main.py predict` writes, from the window's weights."""
import json

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.cli.predict_command import cmd_predict
from engine.io.weights import save_weights
from gui.files.document import EXAMPLES_DIR
from gui.files.predict_action import NAME, TRAIN_FIRST

TIMEOUT = 30_000    # ms: the worker process is spawned and may be slow to start
HOUSES = EXAMPLES_DIR.parent / "data" / "house_prices.csv"


@pytest.fixture
def dialogs(monkeypatch):
    """The file dialogs answer with ``answer["open"]`` and ``answer["save"]``; message boxes
    of information are recorded."""
    answer = {"open": "", "save": "", "asked": [], "information": []}

    def open_(parent, title, start, filters):
        answer["asked"].append(title)
        return answer["open"], filters

    def save(parent, title, start, filters):
        answer["asked"].append(title)
        return answer["save"], filters
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(open_))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save))
    monkeypatch.setattr(QMessageBox, "information", staticmethod(
        lambda *a, **k: answer["information"].append(a) or QMessageBox.Ok))
    return answer


def house_prices(qtbot, window, steps=0):
    assert window.document.load(EXAMPLES_DIR / "house_prices.json", as_example=True)
    training = window.training
    window.graph.settings["epochs"] = 0
    qtbot.waitUntil(lambda: training.net is not None, timeout=TIMEOUT)
    for _ in range(steps):
        training.panel.step_button.click()
    if steps:
        qtbot.waitUntil(lambda: training.latest is not None and training.latest["step"] >= steps
                        and window.graph.preprocessing is not None, timeout=TIMEOUT)
    return training


def test_the_file_menu_offers_it_before_quit(main_window):
    texts = [a.text() for a in main_window.menus["file"].actions()]
    assert texts.index("Pre&dict on CSV…") < texts.index("&Quit")
    assert main_window.actions_by_name[NAME].text() == "Pre&dict on CSV…"


def test_without_training_a_message_says_to_train_first(qtbot, main_window, dialogs, boxes):
    house_prices(qtbot, main_window)
    main_window.actions_by_name[NAME].trigger()
    assert boxes["warning"] and boxes["warning"][-1][2] == TRAIN_FIRST
    assert not dialogs["asked"]


def test_it_writes_the_same_file_as_main_py_predict(qtbot, main_window, dialogs, boxes, tmp_path):
    training = house_prices(qtbot, main_window, steps=5)
    out = tmp_path / "gui.csv"
    dialogs["open"], dialogs["save"] = str(HOUSES), str(tmp_path / "gui")     # the suffix is added
    main_window.actions_by_name[NAME].trigger()
    assert out.is_file() and not boxes["warning"]
    message = main_window.statusBar().currentMessage()
    assert f"to {out}" in message and "RMSE" in message and "R²" in message
    # The command line, given the same weights and the design with its preprocessing:
    design, weights = tmp_path / "design.json", tmp_path / "weights.npz"
    design.write_text(json.dumps(main_window.graph.to_dict()))
    save_weights(training.net.parameters(), weights, design=main_window.graph.to_dict())
    cli = tmp_path / "cli.csv"
    assert cmd_predict([str(design), "--weights", str(weights), str(HOUSES), "--out", str(cli)]) == 0
    assert out.read_bytes() == cli.read_bytes()
    header = out.read_text().splitlines()[0]
    assert header.endswith(",price,predicted_price")


def test_a_file_without_a_feature_column_is_refused_by_name(qtbot, main_window, dialogs, boxes, tmp_path):
    house_prices(qtbot, main_window, steps=1)
    data = tmp_path / "rows.csv"
    data.write_text("area_m2,rooms,age_years\n100,3,10\n")
    out = tmp_path / "out.csv"
    assert main_window.predict_action.predict_on_csv(data, out) is None
    assert not out.exists()
    assert "distance_km" in boxes["warning"][-1][2]


def test_a_missing_target_gives_predictions_without_metrics(qtbot, main_window, dialogs, boxes, tmp_path):
    house_prices(qtbot, main_window, steps=1)
    data = tmp_path / "rows.csv"
    data.write_text("distance_km,area_m2,rooms,age_years\n3.2,181,7,76\n")
    out = tmp_path / "out.csv"
    assert main_window.predict_action.predict_on_csv(data, out) == out
    lines = out.read_text().splitlines()
    assert lines[0] == "distance_km,area_m2,rooms,age_years,predicted_price" and len(lines) == 2
    assert float(lines[1].split(",")[-1]) > 1000      # a price, not a standardised value
    assert "RMSE" not in main_window.statusBar().currentMessage()


def test_predicting_onto_the_input_file_is_refused(qtbot, main_window, dialogs, boxes, tmp_path):
    house_prices(qtbot, main_window, steps=1)
    data = tmp_path / "rows.csv"
    data.write_text(HOUSES.read_text())
    assert main_window.predict_action.predict_on_csv(data, data) is None
    assert data.read_text() == HOUSES.read_text() and boxes["warning"]


def test_missing_cells_follow_the_designs_setting(qtbot, main_window, dialogs, boxes, tmp_path):
    house_prices(qtbot, main_window, steps=1)
    data = tmp_path / "rows.csv"
    data.write_text("area_m2,rooms,age_years,distance_km\n181,7,,3.2\n142,5,39,6.9\n")
    out = tmp_path / "out.csv"
    assert main_window.predict_action.predict_on_csv(data, out) is None       # "refuse"
    assert "age_years" in boxes["warning"][-1][2] and not out.exists()
    main_window.graph.settings["missing"] = "drop"
    assert main_window.predict_action.predict_on_csv(data, out) == out
    assert len(out.read_text().splitlines()) == 2
    assert "dropped" in dialogs["information"][-1][2]
