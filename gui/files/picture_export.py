"""File ▸ Export Picture, Export Plots and Export Report."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from engine.files.atomic import atomic_write, atomic_write_bytes
from gui.files import report
from gui.files.file_commands import FileCommands, _call, with_suffix

PICTURE_FILTERS = {"PNG image, 1× (*.png)": 1.0, "PNG image, 2× (*.png)": 2.0,
                   "PNG image, 4× (*.png)": 4.0, "SVG drawing (*.svg)": None}


class PictureCommands(FileCommands):
    """The picture and report commands; each takes an optional path (tests, scripts), else asks."""

    def export_plots(self, path=None, done=None):
        metrics = self.training.metrics

        def write(p, g, params):
            atomic_write_bytes(p, report.png_bytes(report.plots_image(metrics)))
        return self._export("Export plots", path, {"PNG image (*.png)": ".png"}, write,
                            "Wrote the loss plots to {path}", weights=False, done=done)

    def export_report(self, path=None, done=None):
        runs = self.training.runs.labelled()       # now: the writing may run on a worker thread

        def write(p, g, params):
            page = report.build_report(self.graph, self.scene, self.training.metrics,
                                       self.training.latest, self.document.name, runs=runs)
            with atomic_write(p, "w") as f:
                f.write(page)
        return self._export("Export report", path, {"HTML page (*.html *.htm)": ".html"}, write,
                            "Wrote the training report to {path}", weights=False, done=done)

    def export_picture(self, path=None, scale: float | None = None, selection: bool | None = None,
                       done=None):
        """The design or the selection as PNG (``scale`` from the chosen filter) or SVG."""
        if selection is None:
            selection = self._ask_selection()
            if selection is None:
                return _call(done, None)
        if path is None:
            path, chosen = self._ask_save("Export picture", ".png", list(PICTURE_FILTERS))
            if path is None:
                return _call(done, None)
            scale = PICTURE_FILTERS.get(chosen) if scale is None else scale
            path = with_suffix(path, (".png", ".svg"), ".svg" if chosen.startswith("SVG") else ".png")
        svg = Path(path).suffix.lower() == ".svg"
        scale = float(scale or 1.0)
        title = self.graph.settings.get("title") or self.document.name
        scene = self.scene

        def write(p, g, params):
            data = (report.scene_svg(scene, selection, str(title)) if svg
                    else report.png_bytes(report.render_scene(scene, scale, selection)))
            atomic_write_bytes(p, data)
        what = "the selection" if selection else "the design"
        return self._export("Export picture", path, {}, write,
                            f"Wrote {what}{'' if svg else f' at {scale:g}×'} to {{path}}",
                            weights=False, done=done)

    def _ask_selection(self) -> bool | None:
        """True for the selection, False for the whole design, None if cancelled."""
        scene = self.scene
        if not scene.selected_node_ids() and not scene.selected_connection_keys():
            return False
        answer = QMessageBox.question(
            self.dialog_parent, "Export picture", "Export only the selection? (No: the whole design)",
            QMessageBox.Yes | QMessageBox.No | QMessageBox.Cancel, QMessageBox.Yes)
        return {QMessageBox.Yes: True, QMessageBox.No: False}.get(answer)
