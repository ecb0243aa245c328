"""File ▸ Import Model…: an ONNX model as a new design, or a PyTorch state dict into this design.

An ONNX model carries its design, so it is opened like a design file (File ▸ Open takes .onnx
too: the unsaved-changes question, a fresh undo history). A state dict (.safetensors, .pt,
.pth) only holds tensors: they are matched to this design's parameters, the mapping is shown
(OK to load, Cancel to keep the weights), and they are loaded as Import Weights loads weights,
outside the undo history. Every refusal is a message box, and the design is kept.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLabel, QPlainTextEdit, QVBoxLayout

from engine import GraphError
from engine.io.model_import import SOURCE_SUFFIXES, check_source, import_model, is_onnx
from gui.files.file_commands import _call, param_count, reason, start_dir

MODEL_FILTER = ("Models (" + " ".join(f"*{s}" for s in SOURCE_SUFFIXES) + ");;ONNX models (*.onnx);;"
                "State dicts (*.safetensors *.pt *.pth);;All files (*)")
TITLE = "Cannot import the model"


class MappingDialog(QDialog):
    """Which tensor of a state dict goes to which parameter of the design; OK loads them."""

    def __init__(self, source: str, mapping: list[str], summary: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Import {source}")
        text = QLabel(f"{summary}. Each tensor of {source} goes to the parameter of the design after the arrow; "
                      "OK loads them, replacing the network's weights.")
        text.setWordWrap(True)
        self.mapping = QPlainTextEdit("\n".join(mapping), self)
        self.mapping.setReadOnly(True)
        self.mapping.setLineWrapMode(QPlainTextEdit.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.mapping)
        layout.addWidget(buttons)
        self.resize(560, 360)


def ask_mapping(source: str, mapping: list[str], summary: str, parent) -> bool:
    return MappingDialog(source, mapping, summary, parent).exec() == QDialog.Accepted


class ModelImportCommands:
    """File ▸ Import Model…; a mixin for ExportActions (``graph``, ``document``, ``training``,
    ``weights_imported``, ``show_message``, ``dialog_parent``, ``_warn``, ``_no_network``)."""

    confirm_mapping = staticmethod(ask_mapping)     # (source, lines, summary, parent) -> bool

    def import_model(self, path=None, done=None):
        """Import ``path`` (asked for when None). Returns the path read, or None when cancelled
        or refused; ``done(path or None)`` is called with the outcome."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Import model", str(start_dir(self.document)),
                                                  MODEL_FILTER)
            if not path:
                return _call(done, None)
        path = Path(path)
        try:
            check_source(path)
        except GraphError as e:
            self._warn(TITLE, f"{path.name} was not imported; nothing changed.\n\n{e}")
            return _call(done, None)
        if is_onnx(path):      # it carries its own design: opened like a design file
            opened = path if self.document.open(path) else None
            _call(done, opened)
            return opened
        return self._import_state_dict(path, done)

    def _import_state_dict(self, path: Path, done):
        why = self._no_network()
        if why:
            self._warn(TITLE, why)
            return _call(done, None)
        try:
            result = import_model(path, self.graph.copy())
            if not self.confirm_mapping(path.name, result.mapping, result.summary, self.dialog_parent):
                self.show_message(f"Did not import {path.name}: the weights are unchanged")
                return _call(done, None)
            if self.training.net is None:       # the design changed while the dialog was open
                raise ValueError(self._no_network())
            self.training.apply_parameters(result.params)
        except (OSError, ValueError) as e:
            self._warn(TITLE, f"{path.name} was not imported; nothing changed.\n\n{reason(e)}")
            return _call(done, None)
        transform = result.graph.preprocessing
        if transform is not None and self.graph.set_preprocessing(transform):
            self.document.mark_modified()
        self.weights_imported.emit()
        self.show_message(f"Imported {param_count(result.params):,} parameters from {path}")
        _call(done, path)
        return path
