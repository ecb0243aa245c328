"""The training panel: data, loss, optimiser and its settings, and the transport buttons.

The panel reads and writes the design's ``graph.settings`` (saved with the design)
and announces what changed; the training controller decides what that means for
the worker (new data, a new learning rate, a rebuild).
"""
from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QGridLayout, QGroupBox, QLabel, QProgressBar,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from engine import Graph
from engine.data.datasets import (BUILTIN_2D, DERIVED_FEATURES, HOUSE_PRICES, SKLEARN, DataError,
                             csv_columns, load_dataset)
from engine.train.optimizers import OPTIMIZERS
from engine.train.trainer import TrainingConfig

LEARNING_RATES = ("0.00001", "0.0001", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10")
DATA_LABELS = {"circle": "Circle", "xor": "XOR", "gaussians": "Two gaussians", "spiral": "Spiral",
               "moons": "Moons", "plane": "Plane (regression)", "sine": "Sine (regression)",
               "iris": "Iris", "wine": "Wine", "breast_cancer": "Breast cancer", "digits": "Digits 8×8",
               "diabetes": "Diabetes (regression)", "house_prices": "House prices (regression)"}
OPEN_CSV = "__open_csv__"
# A new design trains this long and stops by itself (0 in the box: until paused). Enough for the
# built-in 2-D sets to settle; the bundled examples set their own.
DEFAULT_EPOCHS = 100
MISSING = (("Refuse", "refuse", "Stop with the row and column of the first empty cell (the default)"),
           ("Drop rows", "drop", "Leave out every row with an empty cell (the notes say how many)"),
           ("Fill with training mean", "mean",
            "Fill an empty cell with its column's mean over the training split"))


def _finite(value, default: float) -> float:
    """``value`` as a finite float, else ``default``."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return float(default)
    return number if math.isfinite(number) else float(default)


def _show_number(widget, value, default) -> None:
    """Show ``value`` in a spin box, clamped to its range; ``default`` when it is not a number."""
    number = min(max(_finite(value, default), widget.minimum()), widget.maximum())
    widget.setValue(int(number) if isinstance(widget, QSpinBox) else number)


class TrainingPanel(QWidget):
    """Data and training settings, Play/Pause/Step/Reset, counters and progress."""

    data_changed = Signal()          # data settings changed: reload the data
    config_changed = Signal()        # optimiser, batch size, penalties, epochs, seed
    lr_changed = Signal(float)
    play_toggled = Signal(bool)
    step_clicked = Signal()
    reset_clicked = Signal()
    edge_mode_changed = Signal(str)  # "gradient", "weight" or "none"

    def __init__(self, graph: Graph, parent=None):
        super().__init__(parent)
        self.graph = graph
        self._updating = False
        self.data_error: str | None = None     # why the chosen data cannot be read, if it cannot
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_transport())
        layout.addWidget(self._build_data())
        layout.addWidget(self._build_training())
        layout.addStretch(1)
        self.load_settings()

    # ----- building -------------------------------------------------------
    def _build_transport(self) -> QWidget:
        box = QGroupBox("Train")
        grid = QGridLayout(box)
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Train continuously (F5)")
        self.play_button.toggled.connect(self._on_play)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Train on exactly one mini-batch (F6)")
        self.step_button.clicked.connect(self.step_clicked)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("New weights from the seed; clears the curves (Ctrl+R)")
        self.reset_button.clicked.connect(self.reset_clicked)
        grid.addWidget(self.play_button, 0, 0)
        grid.addWidget(self.step_button, 0, 1)
        grid.addWidget(self.reset_button, 0, 2)
        self.counter = QLabel("epoch 0 · step 0")
        self.counter.setToolTip("Completed epochs and mini-batch steps")
        grid.addWidget(self.counter, 1, 0, 1, 3)
        self.progress = QProgressBar()
        self.progress.setToolTip("Progress towards the number of epochs set below")
        self.progress.setVisible(False)
        grid.addWidget(self.progress, 2, 0, 1, 3)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        grid.addWidget(self.status, 3, 0, 1, 3)
        self.edge_mode = QComboBox()
        for text, mode in (("Edges: gradient |∂L/∂w|", "gradient"), ("Edges: weight w", "weight"),
                           ("Edges: plain", "none")):
            self.edge_mode.addItem(text, mode)
        self.edge_mode.setToolTip("Colour each edge by the magnitude of its latest gradient (log "
                                  "scale), or by its weight (sign as colour, size as thickness)")
        self.edge_mode.currentIndexChanged.connect(
            lambda _i: self.edge_mode_changed.emit(self.edge_mode.currentData()))
        grid.addWidget(self.edge_mode, 4, 0, 1, 3)
        return box

    def _build_data(self) -> QWidget:
        box = QGroupBox("Data")
        form = QFormLayout(box)
        self.data_combo = QComboBox()
        self.data_combo.setToolTip("The dataset: built-in 2-D sets, scikit-learn's sets, or your CSV")
        for name in BUILTIN_2D + SKLEARN + ("house_prices",):
            self.data_combo.addItem(DATA_LABELS.get(name, name), name)
        self.data_combo.insertSeparator(len(BUILTIN_2D))
        self.data_combo.addItem("Open CSV…", OPEN_CSV)
        self.data_combo.activated.connect(self._on_data_chosen)
        form.addRow("Dataset", self.data_combo)
        self.target_combo = QComboBox()
        self.target_combo.setToolTip("The CSV column the network predicts")
        self.target_combo.activated.connect(self._on_target)
        form.addRow("Target", self.target_combo)
        self.missing_combo = QComboBox()
        for text, value, _tip in MISSING:
            self.missing_combo.addItem(text, value)
        self.missing_combo.setToolTip(
            "Empty cells in CSV data (choose before opening a CSV with gaps):\n"
            + "\n".join(f"{text}: {tip}" for text, _value, tip in MISSING))
        self.missing_combo.activated.connect(self._on_missing)
        form.addRow("Missing values", self.missing_combo)
        self.noise = self._dspin(0.0, 2.0, 0.05, 2, "Noise added to the 2-D points")
        self.samples = self._spin(10, 100_000, "Number of 2-D points generated")
        self.validation = self._dspin(0.0, 0.9, 0.05, 2, "Share of the data held out for validation")
        self.seed = self._spin(0, 2**31 - 1, "Seed for the data, the split and the weights")
        for label, w in (("Noise", self.noise), ("Samples", self.samples),
                         ("Validation", self.validation), ("Seed", self.seed)):
            form.addRow(label, w)
            w.editingFinished.connect(self._on_data_field)
        feats = QWidget()
        fl = QGridLayout(feats)
        fl.setContentsMargins(0, 0, 0, 0)
        self.feature_boxes = {}
        for k, name in enumerate(DERIVED_FEATURES):
            cb = QCheckBox(name.replace("^2", "²").replace("*", "·"))
            cb.setToolTip(f"Add the derived input feature {name} (the input node grows by one)")
            cb.toggled.connect(self._on_data_field)
            fl.addWidget(cb, k // 3, k % 3)
            self.feature_boxes[name] = cb
        form.addRow("Features", feats)
        self._two_d_rows = [self.noise, self.samples, feats]
        self.data_notes = QLabel("")
        self.data_notes.setWordWrap(True)
        self.data_notes.setToolTip("What was done to the data before the network sees it")
        form.addRow(self.data_notes)
        self.data_notes.setVisible(False)
        return box

    def _build_training(self) -> QWidget:
        box = QGroupBox("Training")
        form = QFormLayout(box)
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.optimizer.setToolTip("sgd, momentum, nesterov (momentum with look-ahead) or adam")
        self.optimizer.activated.connect(self._on_config)
        form.addRow("Optimizer", self.optimizer)
        self.lr = QComboBox()
        self.lr.setEditable(True)
        self.lr.addItems(LEARNING_RATES)
        self.lr.setToolTip("Learning rate: takes effect on the next step, no reset needed")
        self.lr.lineEdit().editingFinished.connect(self._on_lr)
        self.lr.activated.connect(self._on_lr)
        form.addRow("Learning rate", self.lr)
        self.batch = self._spin(1, 65536, "Examples per mini-batch")
        self.epochs = self._spin(0, 1_000_000, "Stop after this many epochs (0: until paused); "
                                 f"a new design starts with {DEFAULT_EPOCHS}")
        self.l1 = self._dspin(0.0, 1.0, 0.0001, 5, "L1 penalty on the weights (0: off)")
        self.l2 = self._dspin(0.0, 1.0, 0.0001, 5, "L2 penalty on the weights (0: off)")
        for label, w in (("Batch size", self.batch), ("Epochs", self.epochs),
                         ("L1", self.l1), ("L2", self.l2)):
            form.addRow(label, w)
            w.editingFinished.connect(self._on_config)
        return box

    def _spin(self, lo, hi, tip) -> QSpinBox:
        w = QSpinBox()
        w.setRange(lo, hi)
        w.setToolTip(tip)
        return w

    def _dspin(self, lo, hi, step, decimals, tip) -> QDoubleSpinBox:
        w = QDoubleSpinBox()
        w.setRange(lo, hi)
        w.setSingleStep(step)
        w.setDecimals(decimals)
        w.setToolTip(tip)
        return w

    # ----- settings <-> widgets -------------------------------------------
    def load_settings(self) -> None:
        """Show the design's settings (after opening a file or undo)."""
        s = self.graph.settings
        if "epochs" not in s:       # a new design (a saved "until paused" is epochs: null)
            s["epochs"] = DEFAULT_EPOCHS
        self._updating = True
        try:
            data = str(s.get("data", "circle"))
            i = self.data_combo.findData(data)
            if i < 0:
                self.data_combo.insertItem(self.data_combo.count() - 1, Path(data).name, data)
                i = self.data_combo.findData(data)
            self.data_combo.setCurrentIndex(i)
            self._fill_targets(data, s.get("target"))
            i = self.missing_combo.findData(s.get("missing", "refuse"))
            self.missing_combo.setCurrentIndex(max(i, 0))
            # Each widget on its own: a hand-edited setting of the wrong type or size shows the
            # default (the training itself reports it) and leaves the other widgets right.
            for widget, key, default in ((self.noise, "noise", 0.1), (self.samples, "samples", 200),
                                         (self.validation, "validation", 0.2), (self.seed, "seed", 0),
                                         (self.batch, "batch_size", TrainingConfig.batch_size),
                                         (self.epochs, "epochs", 0), (self.l1, "l1", 0.0),
                                         (self.l2, "l2", 0.0)):
                _show_number(widget, s.get(key), default)
            feats = s.get("features")
            for name, cb in self.feature_boxes.items():
                cb.setChecked(isinstance(feats, list) and name in feats)
            self.optimizer.setCurrentText(str(s.get("optimizer", "adam")))
            self.lr.setCurrentText(f"{_finite(s.get('lr'), TrainingConfig.lr):g}")
        finally:
            self._updating = False
        self._show_2d_rows(data in BUILTIN_2D)

    def _show_2d_rows(self, visible: bool) -> None:
        for w in self._two_d_rows:
            w.setEnabled(visible)

    def _fill_targets(self, data: str, target) -> None:
        self.target_combo.clear()
        self.data_error = None
        if data in BUILTIN_2D or data in SKLEARN:
            self.target_combo.setEnabled(False)
            return
        try:
            columns = csv_columns(HOUSE_PRICES if data == "house_prices" else data)
        except DataError as e:
            self.data_error = str(e)    # kept: the controller shows it instead of "Ready"
            self.set_status(self.data_error, error=True)
            columns = []
        self.target_combo.addItems(columns)
        self.target_combo.setEnabled(bool(columns))
        if target is not None and str(target) in columns:
            self.target_combo.setCurrentText(str(target))
        elif columns:
            self.target_combo.setCurrentIndex(len(columns) - 1)

    def _write(self, **values) -> None:
        self.graph.settings.update(values)

    def _on_data_chosen(self, _index=None) -> None:
        data = self.data_combo.currentData()
        if data == OPEN_CSV:
            path, _ = QFileDialog.getOpenFileName(self, "Open CSV data", "", "CSV files (*.csv *.txt);;All files (*)")
            if not path:
                self.load_settings()
                return
            self.use_csv(path)
            return
        self._write(data=data, target=None)
        self._fill_targets(data, None)
        if self.target_combo.count():
            self._write(target=self.target_combo.currentText())
        self._show_2d_rows(data in BUILTIN_2D)
        self.data_changed.emit()

    def use_csv(self, path: str) -> None:
        """Train on a CSV file (its last column is the target until another is chosen).

        The whole file is read once here, so that a bad cell is reported now, naming its
        row and column, and the previous data stays in use.
        """
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            columns = csv_columns(path)
            target = columns[-1] if columns else None
            load_dataset(str(path), loss=self.graph.loss, target=target,
                         missing=self.graph.settings.get("missing", "refuse"))
        except DataError as e:
            hint = ' (in this window: "Missing values" above)' if "--missing" in str(e) else ""
            self.set_status(f"{e}{hint}", error=True)
            self.load_settings()
            return
        finally:
            QApplication.restoreOverrideCursor()
        self._write(data=str(path), target=target)
        self.load_settings()
        self.set_status(f"Data: {Path(path).name}, target column {target!r}")
        self.data_changed.emit()

    def _on_target(self, _index=None) -> None:
        self._write(target=self.target_combo.currentText())
        self.data_changed.emit()

    def _on_missing(self, _index=None) -> None:
        value = self.missing_combo.currentData()
        if value != self.graph.settings.get("missing", "refuse"):
            self._write(missing=value)
            self.data_changed.emit()

    def _on_data_field(self, *_):
        if self._updating:
            return
        feats = [n for n, cb in self.feature_boxes.items() if cb.isChecked()]
        self._write(noise=self.noise.value(), samples=self.samples.value(),
                    validation=self.validation.value(), seed=self.seed.value(),
                    features=feats or None)
        self.data_changed.emit()

    def _on_config(self, *_):
        if self._updating:
            return
        self._write(optimizer=self.optimizer.currentText(), batch_size=self.batch.value(),
                    epochs=self.epochs.value() or None, l1=self.l1.value(), l2=self.l2.value())
        self.progress.setVisible(self.epochs.value() > 0)
        self.progress.setMaximum(max(1, self.epochs.value()))
        self.config_changed.emit()

    def _on_lr(self, *_):
        try:
            lr = float(self.lr.currentText())
            if not lr > 0:
                raise ValueError
        except ValueError:
            self.set_status("the learning rate must be a positive number", error=True)
            self.lr.setCurrentText(f"{_finite(self.graph.settings.get('lr'), TrainingConfig.lr):g}")
            return
        if lr != self.graph.settings.get("lr"):
            self._write(lr=lr)
            self.lr_changed.emit(lr)

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        self.play_toggled.emit(playing)

    # ----- shown by the controller ----------------------------------------
    def set_playing(self, playing: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.blockSignals(False)

    def set_counters(self, epoch: int, step: int) -> None:
        self.counter.setText(f"epoch {epoch} · step {step:,}")
        epochs = self.epochs.value()
        self.progress.setVisible(epochs > 0)
        if epochs:
            self.progress.setMaximum(epochs)
            self.progress.setValue(min(epoch, epochs))

    def set_data_notes(self, lines: list[str]) -> None:
        """What was done to the data: the fitted transform, dropped or encoded columns, missing cells."""
        self.data_notes.setText("\n".join(lines))
        self.data_notes.setVisible(bool(lines))

    def set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020; font-weight: bold;" if error else "")
