"""What the File menu's import and export commands share: asking for a file, writing it
(off the GUI thread when large), and saying what happened in the status bar or a message box.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine import GraphError
from gui.files.background import run_work
from gui.files.document import app_settings

WRITE_ERRORS = (OSError, ValueError, ImportError)


def start_dir(document) -> Path:
    """The folder file dialogs open in: the design's, else the last one used, else home."""
    path = document.path
    if path is not None:
        return Path(path).parent
    last = app_settings().value("last_dir")
    return Path(last) if isinstance(last, str) and Path(last).is_dir() else Path.home()


def with_suffix(path: Path, allowed, default: str) -> Path:
    """``path``, with ``default`` appended unless it already ends in an allowed suffix."""
    return path if path.suffix.lower() in allowed else Path(f"{path}{default}")


def reason(e: Exception) -> str:
    """Why a file could not be written or read, in one line."""
    if isinstance(e, OSError) and e.filename:
        return f"{e.filename}: {e.strerror or e}"
    if isinstance(e, ImportError):
        return f"a package this format needs is missing ({e})"
    return str(e) or e.__class__.__name__


def param_count(params: dict) -> int:
    return sum(int(v.size) for v in params.values())


def _call(callback, value) -> None:
    if callback is not None:
        callback(value)


class FileCommands:
    """The context of the file commands; a mixin for the classes that define them.

    Expects ``graph``, ``scene``, ``document``, ``training`` (a TrainingController),
    ``show_message`` (status-bar text) and ``dialog_parent`` (a widget for dialogs).
    """

    def _ask_save(self, title: str, suffix: str, filters: list[str]) -> tuple[Path | None, str]:
        stem = Path(self.document.name).stem or "design"
        suggested = str(start_dir(self.document) / f"{stem}{suffix}")
        path, chosen = QFileDialog.getSaveFileName(self.dialog_parent, title, suggested, ";;".join(filters))
        return (Path(path) if path else None), chosen

    def _warn(self, title: str, text: str) -> None:
        self.show_message(" ".join(text.split()))
        QMessageBox.warning(self.dialog_parent, title, text)

    def _no_network(self) -> str | None:
        """Why there are no weights to use, or None when there are."""
        if self.training.net is not None:
            return None
        try:
            self.graph.check_complete()
            self.graph.check_loss()
        except GraphError as e:
            return f"The design cannot hold weights yet: {e}"
        return "The network is not built yet: try again in a moment"

    def _weights_copy(self) -> dict:
        return {k: v.copy() for k, v in self.training.net.parameters().items()}

    def _export(self, title: str, path, filters: dict, write, done_text: str, *,
                weights: bool = True, done=None):
        """Ask for the file (filter text -> suffix), then ``write(path, graph, params)``.

        Returns the path written, or None when cancelled, refused, failed or still being
        written in the background; ``done(path or None)`` is called once the outcome is known.
        """
        cannot = f"Cannot {title[0].lower()}{title[1:]}"
        why = self._no_network() if weights else None
        if why:
            self._warn(cannot, why)
            return _call(done, None)
        if path is None:
            default = next(iter(filters.values()))
            path, chosen = self._ask_save(title, default, list(filters))
            if path is None:
                return _call(done, None)
            path = with_suffix(path, set(filters.values()), filters.get(chosen, default))
        path = Path(path)
        params = self._weights_copy() if weights else {}
        graph = self.graph.copy()
        outcome = {}

        def written(result) -> None:
            self.show_message(done_text.format(path=path, result=result))
            outcome["path"] = path
            _call(done, path)

        def failed(e) -> None:
            self._warn(cannot, f"Could not write {path.name}.\n\n{reason(e)}")
            _call(done, None)
        run_work(self.dialog_parent, f"Writing {path.name}…", lambda: write(path, graph, params),
                 param_count(params), written, failed, WRITE_ERRORS)
        return outcome.get("path")
