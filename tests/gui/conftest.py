"""Fixtures shared by the GUI tests: private settings, recorded message boxes, a main window."""
import pytest
from PySide6.QtWidgets import QMessageBox

from gui.files.document import SETTINGS_ENV
from gui.shell.garbage import collect_between_events


@pytest.fixture(autouse=True)
def _collected_between_events(qapp):
    """As in the app: no automatic cyclic collection, which could start inside a paint
    (gui/shell/garbage.py); the app's timer collects during events, tests/conftest.py between tests."""
    collect_between_events()


@pytest.fixture(autouse=True)
def settings_file(tmp_path, monkeypatch):
    """Every test gets its own QSettings file and data folder (autosaves), never the user's."""
    path = tmp_path / "settings.ini"
    monkeypatch.setenv(SETTINGS_ENV, str(path))
    monkeypatch.setenv("BACKPROP_STUDIO_DATA", str(tmp_path / "data"))
    return path


@pytest.fixture
def boxes(monkeypatch):
    """Message boxes record their calls; ``answer`` sets what the unsaved-changes question says."""
    calls = {"warning": [], "question": [], "answer": QMessageBox.Discard}
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(
        lambda *a, **k: calls["warning"].append(a) or QMessageBox.Ok))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda *a, **k: calls["question"].append(a) or calls["answer"]))
    return calls


@pytest.fixture
def main_window(qtbot, boxes):
    from gui.shell.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    yield w
    w.autosave.close()
    w.training.shutdown()
