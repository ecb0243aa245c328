"""File ▸ Export PyTorch Project…: a folder dialog, a refusal of a folder with files in it, the project
written in the background with the network's weights, and the status bar saying where."""
import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from engine.io.weights import load_weights


@pytest.fixture
def window(main_window, qtbot):
    qtbot.waitUntil(lambda: main_window.training.net is not None)
    return main_window


@pytest.fixture
def folder_dialog(monkeypatch):
    """The folder dialog answers with ``answer["folder"]`` and records its title."""
    answer = {"folder": "", "titles": []}

    def ask(parent, title, start):
        answer["titles"].append(title)
        return answer["folder"]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(ask))
    return answer


def _file_menu_texts(window) -> list[str]:
    menu = window.menuBar().actions()[0].menu()
    return [a.text() for a in menu.actions()]


def test_the_menu_item_asks_for_a_folder_and_writes_the_project_there(window, folder_dialog, boxes, qtbot, tmp_path):
    assert "Export PyTorch Pro&ject…" in _file_menu_texts(window)
    folder_dialog["folder"] = str(tmp_path / "project")
    weights = {k: v.copy() for k, v in window.training.net.parameters().items()}
    window.actions_by_name["export_project"].trigger()
    qtbot.waitUntil(lambda: "Wrote the PyTorch project" in window.statusBar().currentMessage(), timeout=20_000)
    assert "choose a new or empty folder" in folder_dialog["titles"][0]
    assert str(tmp_path / "project") in window.statusBar().currentMessage()
    for name in ("model.py", "train.py", "README.md", "model.safetensors", "data/train.csv", "data/validation.csv"):
        assert (tmp_path / "project" / name).is_file(), name
    for k, v in load_weights(tmp_path / "project" / "model.safetensors").items():
        np.testing.assert_array_equal(v, weights[k])
    assert not boxes["warning"]


def test_a_folder_with_files_in_it_is_refused_with_a_message(window, folder_dialog, boxes, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    folder_dialog["folder"] = str(tmp_path / "busy")
    seen = []
    window.export_actions.export_project(done=seen.append)
    assert seen == [None]
    (title, text) = boxes["warning"][0][1:3]
    assert title == "Cannot export the PyTorch project" and "is not empty" in text
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"]


def test_cancelling_the_dialog_writes_nothing(window, folder_dialog, boxes, tmp_path):
    seen = []
    window.export_actions.export_project(done=seen.append)
    assert seen == [None] and not boxes["warning"] and not list(tmp_path.iterdir())
