"""Work that may take a while (writing or reading a large file), off the GUI thread.

``run_work`` runs small work at once under a wait cursor. Work on more than
``BACKGROUND_PARAMS`` parameters goes to a thread under a busy progress dialog, and
the window keeps painting; the thread's outcome comes back to the GUI thread as a
queued signal, and the continuation (``done`` or ``failed``) runs in that slot.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

BACKGROUND_PARAMS = 1_000_000   # above this, files are written off the GUI thread

_running: set[BackgroundTask] = set()   # kept alive until their outcome is handled


class BackgroundTask(QObject):
    """One piece of work in a thread; ``succeeded`` or ``raised`` when it ends (on the GUI thread)."""

    succeeded = Signal(object)
    raised = Signal(object)

    def __init__(self, work: Callable, parent: QObject | None = None):
        super().__init__(parent)
        self.work = work

    def start(self) -> None:
        threading.Thread(target=self._run, name="background-work", daemon=True).start()

    def _run(self) -> None:
        try:
            value = self.work()
        except BaseException as e:      # handed to the GUI thread, which reports it
            self.raised.emit(e)
            return
        self.succeeded.emit(value)


def _busy_dialog(parent: QWidget | None, text: str) -> QProgressDialog:
    dialog = QProgressDialog(text, "", 0, 0, parent)
    dialog.setWindowTitle("Please wait")
    dialog.setCancelButton(None)   # an atomic write either finishes or leaves the old file
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.show()
    return dialog


def run_work(parent: QWidget | None, text: str, work: Callable, size: int,
             done: Callable, failed: Callable, errors: tuple = (OSError, ValueError)) -> bool | None:
    """Run ``work()``, then ``done(result)``, or ``failed(error)`` for an error among ``errors``
    (any other exception propagates, from the slot when in the background).

    Returns True or False when the work ran at once (done or failed), None when it went to a
    thread (``size`` above BACKGROUND_PARAMS): the continuation runs when the thread ends.
    """
    if size <= BACKGROUND_PARAMS:
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            result = work()
        except errors as e:
            QApplication.restoreOverrideCursor()
            failed(e)
            return False
        except BaseException:
            QApplication.restoreOverrideCursor()
            raise
        QApplication.restoreOverrideCursor()
        done(result)
        return True
    dialog = _busy_dialog(parent, text)
    task = BackgroundTask(work)

    def finish() -> None:
        _running.discard(task)
        dialog.close()
        dialog.deleteLater()
        task.deleteLater()

    def on_success(result) -> None:
        finish()
        done(result)

    def on_error(error) -> None:
        finish()
        if not isinstance(error, errors):
            raise error
        failed(error)
    task.succeeded.connect(on_success, Qt.QueuedConnection)
    task.raised.connect(on_error, Qt.QueuedConnection)
    _running.add(task)
    task.start()
    return None
