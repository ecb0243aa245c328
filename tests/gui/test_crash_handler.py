"""An uncaught exception shows a dialog (after an autosave) and the app keeps running."""
import threading

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from gui.files.autosave import DESIGN
from gui.shell.crash_handler import CrashDialog, install_excepthook


@pytest.fixture
def dialogs(monkeypatch):
    """CrashDialog.exec records the dialog instead of blocking."""
    shown = []
    monkeypatch.setattr(CrashDialog, "exec", lambda self: shown.append(self) or 0)
    return shown


@pytest.fixture
def hook(main_window):
    uninstall = install_excepthook(lambda: main_window, main_window.autosave.save_now)
    yield uninstall
    uninstall()


def _boom():
    raise ValueError("a bug in a slot")


def test_an_exception_in_a_slot_autosaves_shows_the_dialog_and_the_app_goes_on(
        main_window, qtbot, hook, dialogs):
    w = main_window
    w.push_edit("Add", lambda g: g.add_node("hidden", 2, "relu", id="before"))
    QTimer.singleShot(0, _boom)
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=3000)
    dialog = dialogs[0]
    assert "ValueError" in dialog.text and "a bug in a slot" in dialog.text
    assert "Traceback" in dialog.text and "PySide6" in dialog.text
    assert (w.autosave.slot / DESIGN).is_file()          # saved before the dialog
    assert w.push_edit("Add", lambda g: g.add_node("hidden", 2, "relu", id="after")) is None
    assert "after" in w.graph.nodes and "before" in w.graph.nodes
    w.undo_stack.undo()
    assert "after" not in w.graph.nodes


def test_copy_details_puts_the_traceback_on_the_clipboard(qtbot):
    dialog = CrashDialog(None, "ValueError: x", "Traceback ...\nValueError: x\n", True)
    qtbot.addWidget(dialog)
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == "Traceback ...\nValueError: x\n"
    assert dialog.copy_button.text() == "Copied"


def test_an_exception_in_another_thread_reaches_the_dialog(main_window, qtbot, hook, dialogs):
    t = threading.Thread(target=_boom)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=3000)
    assert "a bug in a slot" in dialogs[0].text


def test_an_exception_while_the_dialog_is_up_goes_to_stderr_only(main_window, hook, monkeypatch,
                                                                 capsys):
    shown = []

    def exec_and_fail_again(self):
        shown.append(self)
        hook.handle(RuntimeError, RuntimeError("inside the dialog"), None)   # nested: no dialog
        raise RuntimeError("the dialog itself broke")
    monkeypatch.setattr(CrashDialog, "exec", exec_and_fail_again)
    hook.handle(ValueError, ValueError("first"), None)    # must not raise
    assert len(shown) == 1
    err = capsys.readouterr().err
    assert "inside the dialog" in err and "the error dialog failed" in err
    hook.handle(ValueError, ValueError("second"), None)   # the guard was released
    assert len(shown) == 2


def test_an_autosave_that_fails_does_not_stop_the_dialog(main_window, hook, dialogs, monkeypatch):
    def broken():
        raise OSError("disk gone")
    monkeypatch.setattr(main_window.autosave, "save_now", broken)
    hook.handle(ValueError, ValueError("x"), None)
    assert len(dialogs) == 1


def test_return_continues_rather_than_copying(qtbot):
    dialog = CrashDialog(None, "ValueError: x", "Traceback ...\nValueError: x\n", True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.focusWidget() is dialog.continue_button
    qtbot.keyClick(dialog.focusWidget(), Qt.Key_Return)
    assert dialog.result() == CrashDialog.Accepted
    assert dialog.copy_button.text() == "Copy details"
