"""File ▸ Export PyTorch Project…: a folder with model.py, train.py (torchrun), the data and the weights.

The folder is asked for with a folder dialog and must be new or empty (a non-empty one is
refused before anything is written). The project is written by engine.io.pytorch_project
in a worker thread under a busy dialog (loading and writing the data can take a while);
the status bar then says where it went.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from engine.io.pytorch_project import check_target_folder, export_project
from gui.files.background import BACKGROUND_PARAMS, run_work
from gui.files.file_commands import WRITE_ERRORS, FileCommands, _call, reason, start_dir

TITLE = "Export PyTorch Project"


class ProjectCommands(FileCommands):
    """The Export PyTorch Project command (a mixin of ExportActions)."""

    def export_project(self, folder=None, done=None):
        """Write the training project into ``folder`` (asked for when None), with the network's
        current weights as the starting weights. Returns None (the work runs in a thread);
        ``done(folder or None)`` is called once the outcome is known."""
        cannot = "Cannot export the PyTorch project"
        why = self._no_network()
        if why:
            self._warn(cannot, why)
            return _call(done, None)
        if folder is None:
            folder = QFileDialog.getExistingDirectory(
                self.dialog_parent, f"{TITLE}: choose a new or empty folder", str(start_dir(self.document)))
            if not folder:
                return _call(done, None)
        folder = Path(folder)
        try:
            check_target_folder(folder)
        except ValueError as e:
            self._warn(cannot, f"{e}.\n\nThe project's files (model.py, train.py, data/, README.md...) "
                       "go into a folder of their own: make a new one in the dialog.")
            return _call(done, None)
        params = self._weights_copy()
        graph = self.graph.copy()
        base_dir = Path(self.document.path).parent if self.document.path else None

        def written(project) -> None:
            self.show_message(f"Wrote the PyTorch project to {project.folder} ({project.train_rows} "
                              f"training rows): run python train.py there, or torchrun")
            _call(done, project.folder)

        def failed(e) -> None:
            self._warn(cannot, f"Could not write the project in {folder}.\n\n{reason(e)}")
            _call(done, None)
        # Always in the background: the data is loaded and written, whatever the network's size.
        run_work(self.dialog_parent, f"Writing the PyTorch project {folder.name}…",
                 lambda: export_project(graph, params, folder, base_dir=base_dir),
                 BACKGROUND_PARAMS + 1, written, failed, WRITE_ERRORS)
        return None
