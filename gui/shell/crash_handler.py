"""The last line of defence: an uncaught exception becomes a dialog, not a dead window.

``install_excepthook`` replaces ``sys.excepthook`` (which PySide6 calls for an exception
escaping a slot or an event handler) and ``threading.excepthook``. The hook autosaves
first, prints the traceback to stderr, then shows the error with its details, a Copy
details button and Continue; the app keeps running. An exception while that is under
way (in the dialog itself, say) only goes to stderr.
"""
from __future__ import annotations

import platform
import sys
import threading
import traceback

import numpy as np
from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit,
                               QPushButton, QVBoxLayout)

from gui.files.document import APP_NAME


def details(exc_type, exc, tb) -> str:
    """The traceback with the versions a bug report needs."""
    lines = traceback.format_exception(exc_type, exc, tb)
    versions = (f"{APP_NAME}; Python {platform.python_version()}; PySide6 {PYSIDE_VERSION}; "
                f"numpy {np.__version__}; {platform.platform()}")
    return "".join(lines) + "\n" + versions + "\n"


class CrashDialog(QDialog):
    """The error in one line, whether the work was autosaved, the details, Copy details, Continue."""

    def __init__(self, parent, summary: str, text: str, autosaved: bool):
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME}: something went wrong")
        self.text = text
        layout = QVBoxLayout(self)
        saved = ("Your design and weights were autosaved first."
                 if autosaved else "Autosaving your design did not succeed: save it under a new name.")
        message = QLabel(f"<b>An unexpected error happened:</b><br>{_escape(summary)}<br><br>"
                         f"{saved} The app keeps running; if something looks wrong, save your "
                         "work and reopen it.<br>Please send the details below with a bug report.")
        message.setWordWrap(True)
        message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(message)
        self.details = QPlainTextEdit(text)
        self.details.setReadOnly(True)
        self.details.setMinimumSize(640, 220)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setToolTip("Copy the error, its traceback and the versions to the clipboard")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ActionRole)
        self.continue_button = buttons.addButton("Continue", QDialogButtonBox.AcceptRole)
        self.continue_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # The details would take the focus first, and then Return would not reach Continue.
        self.continue_button.setFocus()

    def copy_details(self) -> None:
        QApplication.clipboard().setText(self.text)
        self.copy_button.setText("Copied")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Relay(QObject):
    """Carries an exception from another thread to the GUI thread (queued across threads)."""
    raised = Signal(object, object, object)


def install_excepthook(get_parent, save_now=None):
    """Show uncaught exceptions in a dialog over ``get_parent()``, after ``save_now()`` (the
    autosave: True if it wrote) when given; returns a function undoing it."""
    previous_sys, previous_thread = sys.excepthook, threading.excepthook
    busy = [False]

    def handle(exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous_sys(exc_type, exc, tb)
            return
        try:
            text = details(exc_type, exc, tb)
        except Exception:  # noqa: BLE001 - a broken __str__ must not take the hook down
            text = f"{exc_type.__name__} (its message could not be formatted)\n"
        sys.stderr.write(text)
        if busy[0] or QApplication.instance() is None:
            return          # an exception while the dialog is up: stderr only
        busy[0] = True
        try:
            parent = get_parent()
            autosaved = False
            if save_now is not None:
                try:
                    autosaved = bool(save_now())
                except Exception as e:  # noqa: BLE001
                    sys.stderr.write(f"autosave after the error failed too: {e!r}\n")
            summary = f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__
            CrashDialog(parent, summary, text, autosaved).exec()
        except Exception:  # noqa: BLE001
            sys.stderr.write("the error dialog failed:\n" + traceback.format_exc())
        finally:
            busy[0] = False

    relay = _Relay()
    relay.raised.connect(handle, Qt.QueuedConnection)

    def handle_thread(args) -> None:
        if args.exc_type is SystemExit:
            return
        relay.raised.emit(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = handle
    threading.excepthook = handle_thread

    def uninstall() -> None:
        sys.excepthook, threading.excepthook = previous_sys, previous_thread
        relay.deleteLater()
    uninstall.handle = handle
    return uninstall
