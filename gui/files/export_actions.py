"""File ▸ Save with Weights, Import Weights and the exports: weights, PyTorch, picture, plots, report.

``install_export_actions(window)`` adds the actions to the File menu. Every
failure is a message box saying why; every write is atomic; a success names the
file in the status bar. Weights are copied on the GUI thread and, for networks
above ``BACKGROUND_PARAMS`` parameters, written by a worker thread under a busy
progress dialog, so the window keeps painting.

A design saved with its weights is the design file with one more field,
``weights``: a weights document as in the .json weight format (docs/formats.md).
``load_design_with_weights`` reads either kind of design file.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog

from engine import Graph, GraphError
from engine.io.atomic import atomic_write, atomic_write_bytes
from engine.io.json_text import read_json_text
from engine.io.onnx_export import expected_shapes
from engine.io.weights import FORMAT, VERSION, WeightsError, check_weights, load_weights, weights_from_document
from engine.nn.param_names import biases_by_node, by_connection
from gui.shell.actions import set_tips

BACKGROUND_PARAMS = 1_000_000   # above this, files are written off the GUI thread
WEIGHTS_FIELD = "weights"       # the design file's field holding its weights

# name: (menu text, shortcuts, tip)
ACTIONS = {
    "save_with_weights": ("Save with &Weights…", [],
                          "Save the design and its trained weights in one file; opening it restores both"),
    "import_weights": ("&Import Weights…", ["Ctrl+I"],
                       "Load weights from a .npz, .json or .safetensors file, checked against the design"),
    "export_weights": ("&Export Weights…", ["Ctrl+E"],
                       "Write the weights as .npz, .json, .safetensors or ONNX (.onnx)"),
    "export_pytorch": ("Export as P&yTorch…", [],
                       "Write a PyTorch module (.py) for the design, with its weights beside it "
                       "(.safetensors)"),
    "export_picture": ("Export Pic&ture…", [],
                       "The canvas, or the selection, as PNG (1×, 2×, 4×) or SVG"),
    "export_plots": ("Export P&lots…", [], "The loss and accuracy plots as a PNG image"),
    "export_report": ("Export Re&port…", [],
                      "A self-contained HTML page: design picture, settings, loss curves, final metrics"),
}
WEIGHT_FILTERS = {"NumPy archive (*.npz)": ".npz", "JSON (*.json)": ".json",
                  "safetensors (*.safetensors)": ".safetensors", "ONNX model (*.onnx)": ".onnx"}
PICTURE_FILTERS = {"PNG image, 1× (*.png)": 1.0, "PNG image, 2× (*.png)": 2.0,
                   "PNG image, 4× (*.png)": 4.0, "SVG drawing (*.svg)": None}
DESIGN_FILTER = "Backprop Studio designs (*.json)"


# ----- the design file with weights (no Qt) -----------------------------------------
def design_with_weights(graph: Graph, params: dict) -> dict:
    """The design file's dict with the field ``weights`` (checked against the design)."""
    shapes = expected_shapes(graph)
    check_weights(shapes, params)
    entries = []
    for name in shapes:
        arr = np.asarray(params[name])
        if arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            raise WeightsError(f"{name} holds NaN or infinite values: train again or reset the weights")
        entries.append({"name": name, "shape": list(arr.shape), "dtype": arr.dtype.name,
                        "values": arr.tolist()})
    data = graph.to_dict()
    data[WEIGHTS_FIELD] = {"format": FORMAT, "version": VERSION, "parameters": entries}
    return data


def save_design_with_weights(graph: Graph, params: dict, path) -> None:
    """Write the design with its weights to ``path`` (atomic)."""
    text = json.dumps(design_with_weights(graph, params), indent=1)
    with atomic_write(Path(path), "w") as f:
        f.write(text + "\n")


def load_design_with_weights(path) -> tuple[Graph, dict | None]:
    """(design, weights or None) from a design file; GraphError naming the file and problem."""
    path = Path(path)
    graph = Graph.load(path)            # every problem with the design itself, named
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, ValueError) as e:
        raise GraphError(f"{path.name}: cannot read it again ({e})") from None
    data = read_json_text(text, path.name, GraphError)
    doc = data.get(WEIGHTS_FIELD) if isinstance(data, dict) else None
    if doc is None:
        return graph, None
    try:
        params = weights_from_document(doc, f"{path.name} (its weights)")
        check_weights(expected_shapes(graph), params)
    except WeightsError as e:
        raise GraphError(f"{path.name}: the weights saved with the design cannot be used: {e}") from None
    return graph, params


# ----- helpers --------------------------------------------------------------------
def _start_dir(window) -> Path:
    path = getattr(window.document, "path", None)
    if path is not None:
        return Path(path).parent
    from gui.files.document import app_settings
    last = app_settings().value("last_dir")
    return Path(last) if isinstance(last, str) and Path(last).is_dir() else Path.home()


def _ask_save(window, title: str, suffix: str, filters: list[str]) -> tuple[Path | None, str]:
    stem = Path(window.document.name).stem or "design"
    suggested = str(_start_dir(window) / f"{stem}{suffix}")
    path, chosen = QFileDialog.getSaveFileName(window, title, suggested, ";;".join(filters))
    return (Path(path) if path else None), chosen


def _with_suffix(path: Path, allowed, default: str) -> Path:
    """``path``, with ``default`` appended unless it already ends in an allowed suffix."""
    return path if path.suffix.lower() in allowed else Path(f"{path}{default}")


def _warn(window, title: str, text: str) -> None:
    window.show_message(" ".join(text.split()))
    QMessageBox.warning(window, title, text)


def _no_network(window) -> str | None:
    """Why there are no weights to use, or None when there are."""
    if window.training.net is not None:
        return None
    try:
        window.graph.check_complete()
        window.graph.check_loss()
    except GraphError as e:
        return f"The design cannot hold weights yet: {e}"
    return "The network is not built yet: try again in a moment"


def _weights_copy(window) -> dict:
    return {k: v.copy() for k, v in window.training.net.parameters().items()}


def run_work(window, text: str, work, size: int):
    """``work()``; for ``size`` above BACKGROUND_PARAMS in a thread under a busy progress dialog."""
    if size <= BACKGROUND_PARAMS:
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            return work()
        finally:
            QApplication.restoreOverrideCursor()
    result = {}

    def target():
        try:
            result["value"] = work()
        except BaseException as e:      # handed to the GUI thread, which reports it
            result["error"] = e
    dialog = QProgressDialog(text, "", 0, 0, window)
    dialog.setWindowTitle("Please wait")
    dialog.setCancelButton(None)   # an atomic write either finishes or leaves the old file
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.show()
    thread = threading.Thread(target=target, name="export", daemon=True)
    thread.start()
    while thread.is_alive():
        QApplication.processEvents(QEventLoop.AllEvents, 30)
        thread.join(0.02)
    dialog.close()
    dialog.deleteLater()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _size(params: dict) -> int:
    return sum(int(v.size) for v in params.values())


# ----- loading weights into the window -----------------------------------------------
def apply_parameters(window, params: dict) -> None:
    """Load ``params`` into the GUI's network and the trainer; repaint the weight views.

    Raises WeightsError or engine.nn.network.ParameterMismatch (nothing changed) when they do not fit.
    """
    training = window.training
    net = training.net
    check_weights(net.parameter_shapes(), params, net.dtype)   # also values beyond float32's range
    net.load_parameters(params)
    if training.worker.is_running():
        training.worker.set_parameters(net.parameters())   # it answers with a fresh snapshot
    weights = {k: v.copy() for k, v in net.parameters().items()}
    if hasattr(window, "inspector") and hasattr(window.inspector, "set_network"):
        window.inspector.set_network(net)
    window.scene.set_neuron_values(biases_by_node(weights))
    if training.latest is not None:
        training.latest = dict(training.latest, weights=weights)
        training.set_edge_mode(training.edge_mode)             # repaints from the newest snapshot
    elif training.edge_mode == "weight":
        window.scene.set_edge_values(by_connection(weights, window.graph.connections), "weight")


def _apply_opened_weights(window) -> None:
    """After a design was opened: load the weights it carried (``document.loaded_weights``)."""
    params = getattr(window.document, "loaded_weights", None)
    if params is None:
        return
    window.document.loaded_weights = None
    if window.training.net is None:
        _warn(window, "Weights not loaded", f"{window.document.name} carries weights, but they were "
              f"not loaded.\n\n{_no_network(window)}")
        return
    try:
        apply_parameters(window, params)
    except ValueError as e:
        _warn(window, "Weights not loaded", f"The weights saved in {window.document.name} were not "
              f"loaded.\n\n{e}")
        return
    window.show_message(f"Opened {window.document.name} with its trained weights")


def apply_opened_weights_later(window, params: dict) -> None:
    """For a window just built on a design that carried weights: load them once its network exists."""
    window.document.loaded_weights = params
    QTimer.singleShot(0, lambda: _apply_opened_weights(window))  # after the controller's first build


# ----- the actions ----------------------------------------------------------------------
class ExportActions:
    """The File menu's import and export commands for one main window.

    Each command takes an optional path (tests and scripts); without one it asks.
    It returns the path written or read, or None when cancelled or refused.
    """

    def __init__(self, window):
        self.window = window

    def _export(self, title: str, path, filters: dict, write, done: str, *, weights: bool = True):
        """Ask for the file (filter text -> suffix), then ``write(path, graph, params)``."""
        w = self.window
        reason = _no_network(w) if weights else None
        if reason:
            _warn(w, f"Cannot {title[0].lower()}{title[1:]}", reason)
            return None
        if path is None:
            default = next(iter(filters.values()))
            path, chosen = _ask_save(w, title, default, list(filters))
            if path is None:
                return None
            path = _with_suffix(path, set(filters.values()), filters.get(chosen, default))
        path = Path(path)
        params = _weights_copy(w) if weights else {}
        graph = w.graph.copy()
        try:
            result = run_work(w, f"Writing {path.name}…", lambda: write(path, graph, params), _size(params))
        except (OSError, ValueError, ImportError) as e:
            _warn(w, f"Cannot {title[0].lower()}{title[1:]}", f"Could not write {path.name}.\n\n{_reason(e)}")
            return None
        w.show_message(done.format(path=path, result=result))
        return path

    def save_with_weights(self, path=None):
        return self._export("Save with weights", path, {DESIGN_FILTER: ".json"},
                            lambda p, g, params: save_design_with_weights(g, params, p),
                            "Saved the design with its weights to {path}")

    def export_weights(self, path=None):
        return self._export("Export weights", path, WEIGHT_FILTERS, _write_weights,
                            "Wrote the weights to {path}")

    def export_pytorch(self, path=None):
        from engine.io.pytorch_export import export_pytorch
        return self._export("Export as PyTorch", path, {"Python module (*.py)": ".py"},
                            lambda p, g, params: export_pytorch(g, params, p),
                            "Wrote {path} and its weights {result.name}")

    def export_plots(self, path=None):
        from gui.files import report
        metrics = self.window.training.metrics

        def write(p, g, params):
            atomic_write_bytes(p, report.png_bytes(report.plots_image(metrics)))
        return self._export("Export plots", path, {"PNG image (*.png)": ".png"}, write,
                            "Wrote the loss plots to {path}", weights=False)

    def export_report(self, path=None):
        from gui.files import report

        def write(p, g, params):
            page = report.build_report(self.window)
            with atomic_write(p, "w") as f:
                f.write(page)
        return self._export("Export report", path, {"HTML page (*.html *.htm)": ".html"}, write,
                            "Wrote the training report to {path}", weights=False)

    def export_picture(self, path=None, scale: float | None = None, selection: bool | None = None):
        """The design or the selection as PNG (``scale`` from the chosen filter) or SVG."""
        from gui.files import report
        w = self.window
        if selection is None:
            selection = self._ask_selection()
            if selection is None:
                return None
        if path is None:
            path, chosen = _ask_save(w, "Export picture", ".png", list(PICTURE_FILTERS))
            if path is None:
                return None
            scale = PICTURE_FILTERS.get(chosen) if scale is None else scale
            path = _with_suffix(path, (".png", ".svg"), ".svg" if chosen.startswith("SVG") else ".png")
        svg = Path(path).suffix.lower() == ".svg"
        scale = float(scale or 1.0)
        title = w.graph.settings.get("title") or w.document.name

        def write(p, g, params):
            data = (report.scene_svg(w.scene, selection, str(title)) if svg
                    else report.png_bytes(report.render_scene(w.scene, scale, selection)))
            atomic_write_bytes(p, data)
        what = "the selection" if selection else "the design"
        return self._export("Export picture", path, {}, write,
                            f"Wrote {what}{'' if svg else f' at {scale:g}×'} to {{path}}", weights=False)

    def _ask_selection(self) -> bool | None:
        """True for the selection, False for the whole design, None if cancelled."""
        scene = self.window.scene
        if not scene.selected_node_ids() and not scene.selected_connection_keys():
            return False
        answer = QMessageBox.question(
            self.window, "Export picture", "Export only the selection? (No: the whole design)",
            QMessageBox.Yes | QMessageBox.No | QMessageBox.Cancel, QMessageBox.Yes)
        return {QMessageBox.Yes: True, QMessageBox.No: False}.get(answer)

    def import_weights(self, path=None):
        """Load weights into the network and the trainer if every name and shape fits."""
        w = self.window
        reason = _no_network(w)
        if reason:
            _warn(w, "Cannot import weights", reason)
            return None
        if path is None:
            path, _ = QFileDialog.getOpenFileName(w, "Import weights", str(_start_dir(w)),
                                                  "Weights (*.npz *.json *.safetensors);;All files (*)")
            if not path:
                return None
        path = Path(path)
        try:
            size = path.stat().st_size // 4 if path.is_file() else 0
            params = run_work(w, f"Reading {path.name}…", lambda: _read_any_weights(path), size)
            check_weights(w.training.net.parameter_shapes(), params)
            apply_parameters(w, params)
        except (OSError, ValueError) as e:
            _warn(w, "Cannot import weights", f"{path.name} was not loaded; nothing changed.\n\n{_reason(e)}")
            return None
        w.autosave.note_weights_changed()       # not an edit, but lost in a crash all the same
        w.show_message(f"Imported the weights from {path} ({_size(params):,} parameters)")
        return path


def _reason(e: Exception) -> str:
    if isinstance(e, OSError) and e.filename:
        return f"{e.filename}: {e.strerror or e}"
    if isinstance(e, ImportError):
        return f"a package this format needs is missing ({e})"
    return str(e) or e.__class__.__name__


def _read_any_weights(path: Path) -> dict:
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


def _write_weights(path: Path, graph: Graph, params: dict) -> None:
    if path.suffix.lower() == ".onnx":
        from engine.io.onnx_export import export_onnx
        export_onnx(graph, params, path)
    else:
        from engine.io.weights import save_weights
        save_weights(params, path, design=graph.to_dict())


def install_export_actions(window) -> dict[str, QAction]:
    """Add the import and export commands to ``window.menus["file"]`` (once); return them by name."""
    existing = getattr(window, "export_actions", None)
    if existing is not None:
        return existing.actions
    commands = ExportActions(window)
    actions = {}
    for name, (text, keys, tip) in ACTIONS.items():
        action = QAction(text, window)
        action.setObjectName(name)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        set_tips(action, tip)
        action.triggered.connect(lambda _checked=False, slot=getattr(commands, name): slot())
        actions[name] = action
    commands.actions = actions
    menu = window.menus["file"]
    by_name = getattr(window, "actions_by_name", {})
    quit_action = by_name.get("quit")
    entries = menu.actions()
    save_as = by_name.get("save_as")
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
    by_name.update(actions)
    window.export_actions = commands
    window.document.loaded.connect(lambda: _apply_opened_weights(window))
    return actions
