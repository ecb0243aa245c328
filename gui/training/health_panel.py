"""The Health panel: the newest health check in plain words, with one-click fixes.

The check itself runs in the training worker (engine.train.health_monitor.LiveHealth) and its
findings arrive with the snapshots; this panel only shows them, marks the affected nodes on
the canvas and applies a fix when asked: an activation through the undo stack, the
learning rate through the Training panel (as if typed there), new weights through Reset.
"""
from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout,
                               QWidget)

from engine.train.health_findings import KIND_TITLES, Fix, HealthReport
from gui.canvas.health_marker import HealthMarkers
from gui.core.commands import push_edit


class HealthPanel(QWidget):
    """Findings of the latest health check; ``fix_applied(label)`` after a fix button."""

    fix_applied = Signal(str)

    def __init__(self, graph, scene, worker, training_panel, undo_stack,
                 reset_weights: Callable[[], None], parent=None):
        super().__init__(parent)
        self.graph, self.worker, self.training_panel = graph, worker, training_panel
        self.undo_stack, self.reset_weights = undo_stack, reset_weights
        self.markers = HealthMarkers(scene)
        self.report: HealthReport | None = None
        self.status = QLabel("No check yet: press Play or Check health now.")
        self.status.setWordWrap(True)
        self.check_button = QPushButton("Check health now")
        self.check_button.setToolTip("Look for dead or saturated units, vanishing or exploding gradients "
                                     "and a learning rate too large or too small, on the current weights")
        self.check_button.clicked.connect(self.check_now)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.check_button)
        self._list = QWidget()
        self._rows = QVBoxLayout(self._list)
        self._rows.setAlignment(Qt.AlignTop)
        scroll = QScrollArea()
        scroll.setWidget(self._list)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)     # cards wrap instead
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        worker.health.connect(self.show_payload)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.report is None:     # opened before any check: look now
            self.check_now()

    def check_now(self) -> None:
        if self.worker.is_running():
            self.status.setText("Checking…")
            self.worker.check_health()
        else:
            self.status.setText("Nothing to check yet: press Play or Step (the check runs where training does).")

    # ----- showing ------------------------------------------------------------------------
    def show_payload(self, payload: dict) -> None:
        """Show a check from the worker: {"step": n, "findings": {kind: [finding dicts]}}."""
        self.show_report(HealthReport.from_dict(payload["findings"], payload.get("step")))

    def show_report(self, report: HealthReport) -> None:
        self.report = report
        found = report.all()
        at = f" at step {report.step}" if report.step is not None else ""
        self.status.setText(f"Healthy{at}: no dead or saturated units, no vanishing or exploding "
                            "gradients, and the learning rate looks right." if not found else
                            f"{len(found)} finding{'s' if len(found) != 1 else ''}{at}:")
        while self._rows.count():
            w = self._rows.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for f in found:
            self._rows.addWidget(self._card(f))
        by_node: dict[str, list[tuple[str, str]]] = {}
        for f in found:
            for n in f.nodes:
                by_node.setdefault(n, []).append((f.kind, f.summary))
        self.markers.show(by_node)

    def _card(self, f) -> QWidget:
        card = QFrame()
        card.setFrameShape(QFrame.StyledPanel)
        col = QVBoxLayout(card)
        text = QLabel(f"<b>{escape(KIND_TITLES[f.kind])}</b>: {escape(f.summary)}<br>"
                      f"<i>Why:</i> {escape(f.reason)}<br><i>Try:</i> {escape(f.suggestion)}")
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        col.addWidget(text)
        buttons = QVBoxLayout()
        for fix in f.fixes:
            b = QPushButton(fix.label)
            b.setToolTip(_fix_tip(fix))
            b.clicked.connect(lambda _=False, fx=fix: self.apply(fx))
            buttons.addWidget(b, 0, Qt.AlignLeft)
        col.addLayout(buttons)
        return card

    # ----- fixing -------------------------------------------------------------------------
    def apply(self, fix: Fix) -> str | None:
        """Apply one fix; None, or why it could not be applied (shown in the panel)."""
        problem = None
        if fix.setting == "lr":
            self.training_panel.lr.setCurrentText(f"{float(fix.value):g}")
            self.training_panel.lr.lineEdit().editingFinished.emit()
        elif fix.setting == "activation":
            nodes = [n for n in fix.nodes if n in self.graph.nodes]
            problem = push_edit(self.undo_stack, self.graph, fix.label, lambda g: [
                g.update_node(n, activation=fix.value) for n in nodes])
        elif fix.setting == "initialisation":
            self.reset_weights()
        if problem:
            self.status.setText(f"Could not apply “{fix.label}”: {problem}")
            return problem
        self.status.setText(f"Applied: {fix.label}. The next check shows its effect.")
        self.fix_applied.emit(fix.label)
        return None


def _fix_tip(fix: Fix) -> str:
    if fix.setting == "activation":
        return f"Change the activation of {', '.join(fix.nodes)} to {fix.value} (undoable with Ctrl+Z)"
    if fix.setting == "lr":
        return f"Set the learning rate to {float(fix.value):g} (takes effect on the next step)"
    return "New weights from the seed, as Reset does (He for ReLU, Glorot otherwise)"
