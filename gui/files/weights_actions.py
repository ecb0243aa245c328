"""File ▸ Save with Weights, Import Weights, Export Weights and Export as PyTorch."""
from __future__ import annotations

from pathlib import Path

from engine import Graph, GraphError
from engine.io.design_weights import load_design_with_weights, save_design_with_weights
from engine.io.weights import WeightsError, check_weights, load_preprocessing, load_weights
from gui.files.background import run_work
from gui.files.file_commands import FileCommands, _call, param_count, reason, start_dir

WEIGHT_FILTERS = {"NumPy archive (*.npz)": ".npz", "JSON (*.json)": ".json",
                  "safetensors (*.safetensors)": ".safetensors", "ONNX model (*.onnx)": ".onnx"}
DESIGN_FILTER = "Backprop Studio designs (*.json)"
READ_ERRORS = (OSError, ValueError)


def read_any_weights(path: Path) -> dict:
    """A weights file, or a design file saved with its weights."""
    try:
        return load_weights(path)
    except WeightsError:
        if path.suffix.lower() != ".json":
            raise
        try:
            _graph, params = load_design_with_weights(path)
        except GraphError:
            params = None
        if params is None:
            raise
        return params


def read_saved_transform(path: Path):
    """The fitted transform saved with the weights (or in a design saved with them), or None."""
    try:
        return load_preprocessing(path)
    except WeightsError:
        try:
            return Graph.load(path).preprocessing if path.suffix.lower() == ".json" else None
        except GraphError:
            return None     # the weights still import; the next training refits the transform


def write_weights(path: Path, graph: Graph, params: dict) -> None:
    """The weights as .npz, .json or .safetensors (with the design), or as an ONNX model."""
    if path.suffix.lower() == ".onnx":
        from engine.io.onnx_export import export_onnx
        export_onnx(graph, params, path)
    else:
        from engine.io.weights import save_weights
        save_weights(params, path, design=graph.to_dict())


class WeightsCommands(FileCommands):
    """The weights commands; each takes an optional path (tests, scripts), else asks.

    Subclasses provide ``weights_imported`` (a signal emitted after Import Weights).
    """

    def save_with_weights(self, path=None, done=None):
        runs = self.training.runs.saved()       # copied now: the writing may run on a worker thread
        return self._export("Save with weights", path, {DESIGN_FILTER: ".json"},
                            lambda p, g, params: save_design_with_weights(g, params, p, runs=runs),
                            "Saved the design with its weights to {path}", done=done)

    def export_weights(self, path=None, done=None):
        return self._export("Export weights", path, WEIGHT_FILTERS,
                            lambda p, g, params: write_weights(p, g, params),
                            "Wrote the weights to {path}", done=done)

    def export_pytorch(self, path=None, done=None):
        from engine.io.pytorch_export import export_pytorch
        return self._export("Export as PyTorch", path, {"Python module (*.py)": ".py"},
                            lambda p, g, params: export_pytorch(g, params, p),
                            "Wrote {path} and its weights {result.name}", done=done)

    def import_weights(self, path=None, done=None):
        """Load weights into the network and the trainer if every name and shape fits.

        Returns the path read, or None when cancelled, refused or still being read in the
        background; ``done(path or None)`` is called once the outcome is known.
        """
        why = self._no_network()
        if why:
            self._warn("Cannot import weights", why)
            return _call(done, None)
        if path is None:
            from PySide6.QtWidgets import QFileDialog
            path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Import weights",
                                                  str(start_dir(self.document)),
                                                  "Weights (*.npz *.json *.safetensors);;All files (*)")
            if not path:
                return _call(done, None)
        path = Path(path)
        outcome = {}

        def refused(e) -> None:
            self._warn("Cannot import weights", f"{path.name} was not loaded; nothing changed.\n\n{reason(e)}")
            _call(done, None)

        def loaded(result) -> None:
            params, transform = result
            try:
                if self.training.net is None:       # the design changed while reading
                    raise ValueError(self._no_network())
                check_weights(self.training.net.parameter_shapes(), params)
                self.training.apply_parameters(params)
            except READ_ERRORS as e:
                refused(e)
                return
            if transform is not None and self.graph.set_preprocessing(transform):
                self.document.mark_modified()   # the weights' own transform; saved with the design
            self.weights_imported.emit()        # not an edit, but lost in a crash all the same
            self.show_message(f"Imported the weights from {path} ({param_count(params):,} parameters)")
            outcome["path"] = path
            _call(done, path)
        try:
            size = path.stat().st_size // 4 if path.is_file() else 0
        except OSError as e:
            refused(e)
            return None
        run_work(self.dialog_parent, f"Reading {path.name}…",
                 lambda: (read_any_weights(path), read_saved_transform(path)), size, loaded, refused, READ_ERRORS)
        return outcome.get("path")
