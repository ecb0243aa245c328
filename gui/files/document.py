"""The open design file: its path, whether it has unsaved changes, and the file commands.

There is one Graph for the app's lifetime: opening a file loads it into a new
Graph and then restores that design into the app's Graph (the canvas follows the
events), clears the undo stack and marks it clean. Unsaved changes are "the undo
stack is not at its clean index"; New, Open, Examples and Close ask first.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from engine import Graph, GraphError
from engine.io.model_import import is_onnx, load_design_or_model
from engine.files.json_text import read_json_text
from engine.files.resources import resource_path

APP_NAME = "Backprop Studio"
EXAMPLES_DIR = resource_path("examples")
DEFAULT_EXAMPLE = EXAMPLES_DIR / "circle.json"
EXAMPLE_ORDER = ("linear_sigmoid", "xor_neurons", "circle", "digits", "house_prices", "skip_connection")
MAX_RECENT = 8
UNTITLED = "untitled.json"
FILE_FILTER = "Backprop Studio designs (*.json);;All files (*)"
OPEN_FILTER = ("Designs and models (*.json *.onnx);;Backprop Studio designs (*.json);;ONNX models (*.onnx);;"
               "All files (*)")
# Set to an .ini path to keep settings out of the user's own (tests do).
SETTINGS_ENV = "BACKPROP_STUDIO_SETTINGS"


def app_settings() -> QSettings:
    """The app's QSettings (geometry, dock state, recent files)."""
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings(APP_NAME, APP_NAME)


def example_title(path: Path) -> str:
    """The title an example file gives in its settings, else its file name."""
    try:
        data = read_json_text(Path(path).read_text(encoding="utf-8"), Path(path).name)
        title = data.get("settings", {}).get("title")
    except (OSError, ValueError, AttributeError):
        title = None
    return title if isinstance(title, str) and title else Path(path).stem.replace("_", " ")


def examples() -> list[tuple[str, Path]]:
    """(title, path) of every shipped example, in menu order."""
    files = sorted(EXAMPLES_DIR.glob("*.json"),
                   key=lambda p: (EXAMPLE_ORDER.index(p.stem) if p.stem in EXAMPLE_ORDER
                                  else len(EXAMPLE_ORDER), p.stem))
    return [(example_title(p), p) for p in files]


def _string_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value if v]


class Document(QObject):
    """The design being edited: file path, display name, dirty state, file commands.

    ``changed`` fires when the title should change (path, name or dirty state);
    ``loaded`` after the whole design was replaced (New, Open, an example); ``saved`` after
    a save;
    ``message`` carries status-bar text.
    """

    changed = Signal()
    loaded = Signal()
    saved = Signal()
    message = Signal(str)

    def __init__(self, graph: Graph, undo_stack: QUndoStack, parent: QWidget | None = None):
        super().__init__(parent)
        self.graph = graph
        self.undo_stack = undo_stack
        self.widget = parent
        self.path: Path | None = None
        self.name = UNTITLED
        self.loaded_weights: dict | None = None   # what the design last opened carried, until used
        undo_stack.cleanChanged.connect(lambda _clean: self.changed.emit())

    # ----- state ----------------------------------------------------------
    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_modified(self) -> None:
        """Mark a change made outside the undo stack (e.g. training settings) as unsaved."""
        self.undo_stack.resetClean()
        self.changed.emit()

    def title(self) -> str:
        return f"{self.name}{'*' if self.is_dirty() else ''} — {APP_NAME}"

    def set_path(self, path, name: str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.name = name or (self.path.name if self.path else UNTITLED)
        self.changed.emit()

    # ----- replacing the design --------------------------------------------
    def replace_design(self, design: Graph, path=None, name: str | None = None) -> None:
        """Make the app's Graph equal to ``design``, with a fresh, clean undo stack."""
        # Empty first: a diff between two unrelated designs would pass through states where a
        # kept connection joins a resized node to one not yet resized; views need not cope.
        if self.graph.nodes:
            self.graph.restore(Graph(self.graph.loss).snapshot())
        self.graph.restore(design.snapshot())
        self.graph.set_preprocessing(design.preprocessing)    # not part of undo snapshots
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.set_path(path, name)
        self.loaded.emit()

    def load(self, path, *, as_example: bool = False) -> bool:
        """Load ``path`` without asking; on failure warn, keep the design, return False."""
        path = Path(path)
        try:
            design, self.loaded_weights = load_design_or_model(path)   # .onnx: a model made elsewhere
        except GraphError as e:
            self._warn("Cannot open design", f"Could not open {path.name}.", str(e))
            return False
        if as_example:
            self.replace_design(design, None, path.name)
            self.message.emit(f"Opened the example “{example_title(path)}”")
        elif is_onnx(path):    # a new design, unsaved: Save must never write over the .onnx
            self.replace_design(design, None, path.with_suffix(".json").name)
            self.add_recent(path)
            self.mark_modified()
            self.message.emit(f"Imported {path} as a new design with its weights")
        else:
            self.replace_design(design, path)
            self.add_recent(path)
            self.message.emit(f"Opened {path}")
        return True

    def new(self) -> bool:
        if not self.maybe_save("starting a new design"):
            return False
        self.replace_design(Graph())
        self.message.emit("New design: drag an Input, layers and an Output from the palette")
        return True

    def open(self, path=None) -> bool:
        """Ask about unsaved changes, ask for a file unless given, then load it."""
        if not self.maybe_save("opening another design"):
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.widget, "Open design", self._start_dir(),
                                                  OPEN_FILTER)
            if not path:
                return False
        ok = self.load(path)
        if not ok and not Path(path).exists():
            self.remove_recent(path)  # a recent file that has gone
        return ok

    def open_example(self, path) -> bool:
        if not self.maybe_save("opening an example"):
            return False
        return self.load(path, as_example=True)

    # ----- saving -----------------------------------------------------------
    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self, path=None) -> bool:
        if path is None:
            suggested = str(Path(self._start_dir()) / self.name)
            path, _ = QFileDialog.getSaveFileName(self.widget, "Save design as", suggested,
                                                  FILE_FILTER)
            if not path:
                return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".json")
        if not self._write(path):
            return False
        self.set_path(path)
        return True

    def _write(self, path: Path) -> bool:
        try:
            self.graph.save(path)
        except (OSError, GraphError, TypeError, ValueError) as e:
            self._warn("Cannot save design", f"Could not save {path.name}.", str(e))
            return False
        self.undo_stack.setClean()
        self.add_recent(path)
        self.saved.emit()
        self.changed.emit()
        self.message.emit(f"Saved {path}")
        return True

    def maybe_save(self, doing: str = "closing") -> bool:
        """True if it is fine to drop the design: clean, saved now, or discarded."""
        if not self.is_dirty():
            return True
        answer = QMessageBox.question(
            self.widget, "Unsaved changes",
            f"{self.name} has unsaved changes. Save them before {doing}?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    # ----- recent files ---------------------------------------------------------
    def recent_files(self) -> list[str]:
        return _string_list(app_settings().value("recent_files"))[:MAX_RECENT]

    def _set_recent(self, files: list[str]) -> None:
        s = app_settings()
        s.setValue("recent_files", files[:MAX_RECENT])
        s.sync()

    def add_recent(self, path) -> None:
        p = str(Path(path).resolve())
        self._set_recent([p] + [f for f in self.recent_files() if f != p])
        app_settings().setValue("last_dir", str(Path(p).parent))

    def remove_recent(self, path) -> None:
        p = str(Path(path).resolve())
        self._set_recent([f for f in self.recent_files() if f != p])

    def clear_recent(self) -> None:
        self._set_recent([])

    def prune_recent(self) -> list[str]:
        """Drop recent files that no longer exist; return them (with a status message)."""
        files = self.recent_files()
        missing = [f for f in files if not Path(f).is_file()]
        if missing:
            self._set_recent([f for f in files if f not in missing])
            names = ", ".join(Path(f).name for f in missing)
            self.message.emit(f"Removed from Open Recent (no longer found): {names}")
        return missing

    # ----- helpers ------------------------------------------------------------------
    def _start_dir(self) -> str:
        if self.path is not None:
            return str(self.path.parent)
        last = app_settings().value("last_dir")
        return last if isinstance(last, str) and Path(last).is_dir() else str(Path.home())

    def _warn(self, title: str, text: str, detail: str) -> None:
        self.message.emit(f"{text} {detail}")
        QMessageBox.warning(self.widget, title, f"{text}\n\n{detail}")
