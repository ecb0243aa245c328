"""The session's training runs and the "Compare runs" list.

A run lasts from fresh weights (Reset, new data, another design) until the next
Reset or design change. ``RunStore`` records the current run from the worker's
losses, epoch reports and gradient norms (engine.train.run_record.RunRecord) and
keeps at most ``MAX_RUNS`` runs, the oldest dropped. ``CompareRunsBox`` lists them
with check boxes, each labelled by what differs from the others; the checked ones
are drawn over the live curves of the loss and gradient-flow plots.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

from engine.train.run_labels import run_labels
from engine.io.design_weights import load_runs
from engine.train.run_record import MAX_RUNS, RunRecord

REFRESH_MS = 700        # the list's numbers follow the current run at most this often


class RunStore(QObject):
    """The runs of this session: finished ones (``finished``) and the one recording (``current``)."""

    changed = Signal()          # a run was added, dropped or replaced (not every new point)

    def __init__(self, graph, parent=None):
        super().__init__(parent)
        self.graph = graph
        self.finished: list[RunRecord] = []
        self.current: RunRecord | None = None
        self._next = 1
        # After a run ends, data still in flight from the worker belongs to no run: recording
        # resumes once the worker confirms a fresh start (``resume``: new weights, a new design).
        self.accepting = True

    def runs(self) -> list[RunRecord]:
        """Every kept run, oldest first, the current one (if it has data) last."""
        return self.finished + ([self.current] if self.current and not self.current.empty else [])

    def _record(self, add) -> None:
        """``add(run)`` to the current run (started now if none is); announce its first data."""
        if self.current is None:
            if not self.accepting:
                return
            self.current = RunRecord.start(self.graph, self._next)
            self._next += 1
        was_empty = self.current.empty
        add(self.current)
        if was_empty and not self.current.empty:
            self._trim(1)
            self.changed.emit()

    def add_steps(self, steps, losses) -> None:
        self._record(lambda run: run.add_steps(np.asarray(steps).ravel(), np.asarray(losses).ravel()))

    def add_epoch(self, report) -> None:
        self._record(lambda run: run.add_epoch(report if isinstance(report, dict) else vars(report)))

    def add_flow(self, step: int, norms: dict) -> None:
        if self.current is not None and step:      # gradients belong to a run that has losses
            self.current.add_flow(step, norms)

    def end_run(self) -> None:
        """The current run is over (Reset, new data, a design change)."""
        run, self.current = self.current, None
        self.accepting = False
        if run is not None and not run.empty:
            self.finished.append(run)
            self._trim(0)
            self.changed.emit()

    def resume(self, *_args) -> None:
        """The worker starts afresh (reset weights, or a design or data loaded): record again."""
        self.accepting = True

    def replace(self, runs: list[RunRecord]) -> None:
        """The runs a design file carried, instead of this session's."""
        self.current = None
        self.finished = list(runs)[-MAX_RUNS:]
        self._next = max((r.number for r in self.finished), default=0) + 1
        self.changed.emit()

    def forget(self) -> None:
        """Drop every finished run (the current one goes on recording)."""
        self.finished = []
        self.changed.emit()

    def _trim(self, recording: int) -> None:
        del self.finished[:max(0, len(self.finished) + recording - MAX_RUNS)]


class CompareRunsBox(QGroupBox):
    """The kept runs with check boxes; ``shown_changed`` after the checked set or labels change.

    ``shown()`` gives the checked earlier runs as (label, RunRecord), labels computed among
    them and the current run; ``current_label()`` names the current run the same way.
    """

    shown_changed = Signal()

    def __init__(self, store: RunStore, parent=None):
        super().__init__("Compare runs", parent)
        self.store = store
        self._checked: set[int] = set()     # run numbers
        self.list = QListWidget()
        self.list.setToolTip("Each training run (Reset → Play), labelled by what differs from the "
                             "others. Check runs to draw them over the current curves.")
        self.list.setMinimumHeight(70)
        self.list.setMaximumHeight(170)
        self.list.itemChanged.connect(self._on_item_changed)
        self.hint = QLabel("Train, change a setting or the design, Reset and train again: "
                           "each run appears here to compare.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #666;")
        self.clear_button = QPushButton("Forget runs")
        self.clear_button.setToolTip("Forget every earlier run (the current one stays)")
        self.clear_button.clicked.connect(store.forget)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_numbers)
        self._timer.start()
        store.changed.connect(self.rebuild)
        self.rebuild()

    # ----- what the plots show --------------------------------------------
    def shown(self) -> list[tuple[str, RunRecord]]:
        runs = [r for r in self.store.finished if r.number in self._checked]
        labels = self._labels(runs + self._current())
        return list(zip(labels, runs))

    def current_label(self) -> str | None:
        current = self._current()
        if not current:
            return None
        checked = [r for r in self.store.finished if r.number in self._checked]
        return self._labels(checked + current)[-1]

    def set_checked(self, number: int, checked: bool) -> None:
        """Show or hide the run ``number`` (as clicking its check box does)."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.UserRole) == number and item.flags() & Qt.ItemIsEnabled:
                item.setCheckState(Qt.Checked if checked else Qt.Unchecked)

    def labels(self) -> list[str]:
        """The list's texts, newest first (each label is among all kept runs)."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    # ----- the list -------------------------------------------------------
    def _current(self) -> list[RunRecord]:
        run = self.store.current
        return [run] if run is not None and not run.empty else []

    @staticmethod
    def _labels(runs: list[RunRecord]) -> list[str]:
        return run_labels([r.settings for r in runs], [r.number for r in runs]) if runs else []

    def rebuild(self) -> None:
        runs = self.store.runs()
        self._checked &= {r.number for r in self.store.finished}
        labels = self._labels(runs)
        self.list.blockSignals(True)
        self.list.clear()
        current = self.store.current
        for label, run in reversed(list(zip(labels, runs))):
            is_current = run is current
            item = QListWidgetItem(f"{label} (now)" if is_current else label)
            item.setData(Qt.UserRole, run.number)
            item.setToolTip(_describe(run, is_current))
            if is_current:      # always drawn: as the live curves
                item.setFlags(item.flags() & ~Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked)
            else:
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked if run.number in self._checked else Qt.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.hint.setVisible(len(runs) < 2)
        self.clear_button.setEnabled(bool(self.store.finished))
        self.shown_changed.emit()

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        number = item.data(Qt.UserRole)
        if item.checkState() == Qt.Checked:
            self._checked.add(number)
        else:
            self._checked.discard(number)
        self.shown_changed.emit()

    def _refresh_numbers(self) -> None:
        """The current run's tooltip follows its numbers."""
        run = self.store.current
        if run is None or run.empty or not self.isVisible():
            return
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.UserRole) == run.number:
                item.setToolTip(_describe(run, True))


def _describe(run: RunRecord, current: bool) -> str:
    """A run's settings and final numbers, for its tooltip."""
    s = run.settings
    final = run.final()
    acts = sorted(set((s.get("activations") or {}).values()))
    lines = [f"Run {run.number}{' (training now)' if current else ''}",
             f"activations: {', '.join(acts) or '—'} · loss {s.get('loss', '—')}",
             f"{s.get('optimizer', 'adam')}, lr {s.get('lr', 'default')}, batch {s.get('batch_size', '—')}, "
             f"L1 {s.get('l1', 0)}, L2 {s.get('l2', 0)}, seed {s.get('seed', 0)}, init {s.get('init', 'auto')}",
             f"{len(s.get('sizes') or {})} nodes, {len(s.get('connections') or [])} connections "
             f"(design {s.get('structure', '—')})"]
    if final["epoch"] is not None:
        metric = run.metric_name
        lines.append(f"after {final['epoch']} epochs: training loss {_g(final['train_loss'])}, "
                     f"validation loss {_g(final['val_loss'])}, validation {metric} {_g(final['val_metric'])}")
    elif final["last_step_loss"] is not None:
        lines.append(f"{final['step']} steps, last loss {_g(final['last_step_loss'])}")
    return "\n".join(lines)


def _g(value) -> str:
    return "—" if value is None else f"{value:.4g}"


class RunComparison(QObject):
    """Records the runs from the worker's signals, lists them, and draws the checked ones on
    the loss (``metrics``) and gradient-flow (``flow``) plots. A design opened from a file
    brings the runs saved in it; ``show_message(text, ms)`` reports the ones left out."""

    def __init__(self, graph, worker, metrics, flow, document, show_message, parent=None):
        super().__init__(parent)
        self.metrics, self.flow, self.document = metrics, flow, document
        self.show_message = show_message
        self.store = RunStore(graph, self)
        self.box = CompareRunsBox(self.store)
        worker.was_reset.connect(self.store.resume)     # after the controller ended the run
        worker.ready.connect(self.store.resume)
        worker.losses.connect(self.store.add_steps)
        worker.epoch.connect(self.store.add_epoch)
        worker.snapshot.connect(lambda snap: self.store.add_flow(snap.get("step"), snap.get("grad_norms", {})))
        self.box.shown_changed.connect(self._draw)
        document.loaded.connect(self.load_from_document)      # after the controller ended the run
        if document.path is not None:
            QTimer.singleShot(0, self.load_from_document)

    def load_from_document(self) -> None:
        """Show the runs the opened design file carries (none: this session's are dropped)."""
        path = self.document.path
        runs, warnings = load_runs(path) if path is not None else ([], [])
        self.store.replace(runs)
        if warnings:
            self.show_message("; ".join(warnings[:3]) + (" …" if len(warnings) > 3 else ""), 8000)

    def labelled(self) -> list[tuple[str, RunRecord, bool]]:
        """Every kept run, oldest first: (label among all of them, run, whether it is the current one)."""
        runs = self.store.runs()
        return [(label, run, run is self.store.current)
                for label, run in zip(CompareRunsBox._labels(runs), runs)]

    def saved(self) -> list[dict]:
        """The kept runs as plain data, for a design file (copied now, written later)."""
        return [run.to_dict() for run in self.store.runs()]

    def _draw(self) -> None:
        shown = self.box.shown()
        self.metrics.show_runs(shown, self.box.current_label())
        self.flow.show_runs(shown)
