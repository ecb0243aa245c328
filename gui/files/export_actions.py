"""File ▸ Save with Weights, Import Weights and the exports: weights, PyTorch, picture, plots, report.

``ExportActions`` holds the commands (weights in gui.files.weights_actions, pictures and
the report in gui.files.picture_export) and ``install`` adds them to the File menu. Every
failure is a message box saying why; every write is atomic; a success names the file in
the status bar. Weights are copied on the GUI thread and, for networks above
``gui.files.background.BACKGROUND_PARAMS`` parameters, written by a worker thread under
a busy progress dialog, so the window keeps painting.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from gui.files.import_model import ModelImportCommands
from gui.files.picture_export import PICTURE_FILTERS, PictureCommands
from gui.files.project_export import ProjectCommands
from gui.files.weights_actions import DESIGN_FILTER, WEIGHT_FILTERS, WeightsCommands
from gui.core.tips import set_tips

__all__ = ["ACTIONS", "DESIGN_FILTER", "ExportActions", "PICTURE_FILTERS", "WEIGHT_FILTERS"]

# name: (menu text, shortcuts, tip)
ACTIONS = {
    "save_with_weights": ("Save with &Weights…", [],
                          "Save the design and its trained weights in one file; opening it restores both"),
    "import_weights": ("&Import Weights…", ["Ctrl+I"],
                       "Load weights from a .npz, .json or .safetensors file, checked against the design"),
    "import_model": ("Import &Model…", [],
                     "Open an ONNX model (.onnx) as a new design, or load a PyTorch state dict "
                     "(.safetensors, .pt, .pth) into this design"),
    "export_weights": ("&Export Weights…", ["Ctrl+E"],
                       "Write the weights as .npz, .json, .safetensors or ONNX (.onnx)"),
    "export_pytorch": ("Export as P&yTorch…", [],
                       "Write a PyTorch module (.py) for the design, with its weights beside it "
                       "(.safetensors)"),
    "export_project": ("Export PyTorch Pro&ject…", [],
                       "Write a folder to train the design with PyTorch, on one process or many with "
                       "torchrun: model.py, train.py, the data, the weights and a README"),
    "export_picture": ("Export Pic&ture…", [],
                       "The canvas, or the selection, as PNG (1×, 2×, 4×) or SVG"),
    "export_plots": ("Export P&lots…", [], "The loss and accuracy plots as a PNG image"),
    "export_report": ("Export Re&port…", [],
                      "A self-contained HTML page: design picture, settings, loss curves, final metrics"),
}


def _without_arguments(command):
    """A slot for ``triggered(checked)`` that calls ``command()``: the path is then asked for."""
    return lambda _checked=False: command()


class ExportActions(QObject, WeightsCommands, PictureCommands, ModelImportCommands, ProjectCommands):
    """The File menu's import and export commands for one design.

    Each command takes an optional path (tests and scripts); without one it asks. It
    returns the path written or read, or None when cancelled, refused or sent to the
    background; its ``done`` callback gets the outcome either way. ``weights_imported``
    fires after Import Weights replaced the network's weights.
    """

    weights_imported = Signal()

    def __init__(self, graph, scene, document, training, show_message: Callable[[str], None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.graph, self.scene, self.document, self.training = graph, scene, document, training
        self.show_message = show_message
        self.dialog_parent = parent
        self.actions: dict[str, QAction] = {}
        document.loaded.connect(self.apply_opened_weights)   # after the controller's rebuild

    def install(self, menu: QMenu, actions_by_name: dict[str, QAction]) -> dict[str, QAction]:
        """Add the commands to ``menu`` (the File menu) once, after Save As and before Quit;
        register them in ``actions_by_name``; return them by name."""
        if self.actions:
            return self.actions
        for name, (text, keys, tip) in ACTIONS.items():
            action = QAction(text, self.dialog_parent)
            action.setObjectName(name)
            if keys:
                action.setShortcuts([QKeySequence(k) for k in keys])
            set_tips(action, tip)
            action.triggered.connect(_without_arguments(getattr(self, name)))
            self.actions[name] = action
        actions = self.actions
        quit_action = actions_by_name.get("quit")
        entries = menu.actions()
        save_as = actions_by_name.get("save_as")
        if save_as in entries and entries.index(save_as) + 1 < len(entries):
            menu.insertAction(entries[entries.index(save_as) + 1], actions["save_with_weights"])
        else:
            menu.insertAction(quit_action, actions["save_with_weights"])
        rest = [a for n, a in actions.items() if n != "save_with_weights"]
        if quit_action in menu.actions():
            menu.insertActions(quit_action, rest)
            menu.insertSeparator(quit_action)
        else:
            menu.addSeparator()
            menu.addActions(rest)
        actions_by_name.update(actions)
        return actions

    # ----- a design opened with its weights ---------------------------------------------
    def apply_opened_weights(self) -> None:
        """After a design was opened: load the weights it carried (``document.loaded_weights``)."""
        params = self.document.loaded_weights
        if params is None:
            return
        self.document.loaded_weights = None
        name = self.document.name
        if self.training.net is None:
            self._warn("Weights not loaded", f"{name} carries weights, but they were "
                       f"not loaded.\n\n{self._no_network()}")
            return
        try:
            self.training.apply_parameters(params)
        except ValueError as e:
            self._warn("Weights not loaded", f"The weights saved in {name} were not loaded.\n\n{e}")
            return
        self.show_message(f"Opened {name} with its trained weights")

    def apply_opened_weights_later(self, params: dict) -> None:
        """For a window just built on a design that carried weights: load them once its network exists."""
        self.document.loaded_weights = params
        QTimer.singleShot(0, self.apply_opened_weights)   # after the controller's first build
