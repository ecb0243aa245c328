"""File ▸ Predict on CSV…: the trained model's predictions for a CSV file's rows.

It writes the file ``main.py predict`` writes (``engine.data.prediction.predict_csv``):
every input row, ``predicted_<target>`` in the target's units or a class name, and for
classes one ``p_<class>`` column each. The model is the network's current weights with
the design's preprocessing (fitted when training starts); missing cells follow the
design's "missing" setting, as in training. The file is written atomically, off the GUI
thread when it is large; the status bar gives the metrics when the file has the target.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from engine.data.prediction import Prediction, describe_metrics, predict_csv, write_prediction
from engine.files.atomic import atomic_write
from engine.nn.network import Network
from gui.core.tips import set_tips
from gui.files.background import run_work
from gui.files.file_commands import WRITE_ERRORS, FileCommands, _call, param_count, reason, start_dir, with_suffix

NAME = "predict_csv"
TEXT = "Pre&dict on CSV…"
TIP = ("Write a CSV file's rows with the trained model's predictions in the target's units "
       "(the same file as main.py predict)")
CSV_FILTER = "CSV files (*.csv)"
TRAIN_FIRST = ("The model has not been trained yet, so it has no preprocessing (which columns it "
               "reads, how it scales them, its classes or the target's units).\n\n"
               "Train first (Play or Step), then predict.")


def predict_file(source: Path, out: Path, graph, params: dict, dtype, missing: str) -> Prediction:
    """Predict ``source`` with ``params`` on ``graph`` and write the table to ``out`` atomically."""
    net = Network(graph, dtype=dtype)
    net.load_parameters(params)
    prediction = predict_csv(source, graph.preprocessing, net.forward, missing)
    with atomic_write(out, "w") as f:
        write_prediction(prediction, f)
    return prediction


def summary(prediction: Prediction, out: Path, target: str) -> str:
    """What the status bar says: rows written, and the metrics when the file had the target."""
    text = f"Wrote {len(prediction.rows):,} predictions to {out}"
    if prediction.metrics is not None:
        text += f": {describe_metrics(prediction.metrics, target)}"
    return text


class PredictAction(QObject, FileCommands):
    """The File menu's Predict on CSV command for one design and its training controller."""

    def __init__(self, graph, document, training, show_message: Callable[[str], None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.graph, self.document, self.training = graph, document, training
        self.scene = None
        self.show_message = show_message
        self.dialog_parent = parent
        self.action: QAction | None = None

    def install(self, menu: QMenu, actions_by_name: dict[str, QAction]) -> QAction:
        """Add the command to ``menu`` (the File menu) once, in its own group before Quit."""
        if self.action is None:
            self.action = QAction(TEXT, self.dialog_parent)
            self.action.setObjectName(NAME)
            set_tips(self.action, TIP)
            self.action.triggered.connect(lambda _checked=False: self.predict_on_csv())
            entries = menu.actions()
            quit_action = actions_by_name.get("quit")
            before = quit_action if quit_action in entries else None
            if before is not None and entries.index(before) > 0 and entries[entries.index(before) - 1].isSeparator():
                before = entries[entries.index(before) - 1]
            menu.insertSeparator(before)
            menu.insertAction(before, self.action)
            actions_by_name[NAME] = self.action
        return self.action

    def _why_not(self) -> str | None:
        """Why there is no trained model to predict with, or None."""
        why = self._no_network()
        if why:
            return why
        p = self.graph.preprocessing
        if p is None:
            return TRAIN_FIRST
        node = self.graph.input_node()
        if node is not None and node.size != len(p.inputs):
            return (f"The input node takes {node.size} values, but the preprocessing fitted in training "
                    f"makes {len(p.inputs)}: train again after changing the inputs.")
        return None

    def _ask(self) -> tuple[Path | None, Path | None]:
        source, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Predict on CSV: the rows to predict",
                                                str(start_dir(self.document)), f"{CSV_FILTER};;All files (*)")
        if not source:
            return None, None
        source = Path(source)
        suggested = str(source.with_name(f"{source.stem}_predictions.csv"))
        out, _ = QFileDialog.getSaveFileName(self.dialog_parent, "Save the predictions", suggested, CSV_FILTER)
        return source, (with_suffix(Path(out), {".csv"}, ".csv") if out else None)

    def predict_on_csv(self, source=None, out=None, done=None) -> Path | None:
        """Predict the rows of ``source`` and write them to ``out`` (asked for when not given).

        Returns the path written, or None when cancelled, refused, failed or still running in
        the background; ``done(path or None)`` is called once the outcome is known.
        """
        why = self._why_not()
        if why:
            self._warn("Cannot predict", why)
            return _call(done, None)
        if source is None or out is None:
            source, out = self._ask()
            if source is None or out is None:
                return _call(done, None)
        source, out = Path(source), Path(out)
        if out.resolve() == source.resolve():
            self._warn("Cannot predict", f"{out.name} is the file being predicted: choose another "
                       "file for the predictions.")
            return _call(done, None)
        graph, params = self.graph.copy(), self._weights_copy()
        dtype, missing = self.training.net.dtype, self.graph.settings.get("missing") or "refuse"
        target = graph.preprocessing.target
        outcome = {}

        def written(prediction: Prediction) -> None:
            self.show_message(summary(prediction, out, target))
            lines = [f"Note: {n}" for n in prediction.notes] + [f"Warning: {w}" for w in prediction.warnings]
            if lines:
                QMessageBox.information(self.dialog_parent, "Predict on CSV",
                                        summary(prediction, out, target) + ".\n\n" + "\n".join(lines))
            outcome["path"] = out
            _call(done, out)

        def failed(e) -> None:
            self._warn("Cannot predict", f"No predictions were written for {source.name}.\n\n{reason(e)}")
            _call(done, None)
        try:
            size = source.stat().st_size // 8 + param_count(params)
        except OSError as e:
            failed(e)
            return None
        run_work(self.dialog_parent, f"Predicting {source.name}…",
                 lambda: predict_file(source, out, graph, params, dtype, missing), size,
                 written, failed, WRITE_ERRORS)
        return outcome.get("path")
