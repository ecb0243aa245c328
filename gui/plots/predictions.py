"""The validation examples' predictions, drawn as the task asks: the "Predictions" dock.

Which view, by task (``view_for``): a regression gets predicted against actual in the
target's units (2-D regression keeps its heat map in the Decision boundary dock too);
a classification whose data is not 2-D gets a confusion matrix; a 2-D classification
has its decision boundary instead, and no view here. The training worker sends the
predictions (``worker_process`` ``snapshot["validation"]``) a few times a second.
"""
from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget

from gui.plots.confusion import ConfusionMatrixView
from gui.plots.predicted_actual import PredictedActualView

SCATTER = "Predicted vs actual"
CONFUSION = "Confusion matrix"


def view_for(task: str, is_2d: bool) -> str | None:
    """The title of the view that shows a task's validation predictions, or None (the boundary does)."""
    if task == "regression":
        return SCATTER
    return None if is_2d else CONFUSION


class PredictionsView(QStackedWidget):
    """Predicted vs actual or the confusion matrix; ``choose`` picks one for the data."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scatter = PredictedActualView()
        self.confusion = ConfusionMatrixView()
        self.addWidget(self.scatter)
        self.addWidget(self.confusion)
        self.kind: str | None = None
        self.setMinimumHeight(80)       # as the other plot docks: the window may be small

    def choose(self, info: dict) -> str | None:
        """Show the view for the training data described by ``info`` (the worker's "ready"
        info: task, is_2d, class_names, preprocessing); its title, or None when none applies."""
        self.kind = view_for(info.get("task"), bool(info.get("is_2d")))
        if self.kind == SCATTER:
            p = info.get("preprocessing") or {}
            self.scatter.set_target(p.get("target") or "")
            self.setCurrentWidget(self.scatter)
        elif self.kind == CONFUSION:
            self.confusion.set_classes(info.get("class_names") or [])
            self.setCurrentWidget(self.confusion)
        return self.kind

    def set_validation(self, validation: dict | None) -> None:
        """Draw a snapshot's ``validation``: {"task", "predicted", "actual"} in the target's
        units (regression) or as class indices (classification)."""
        if not validation:
            return
        task = validation.get("task")
        if self.kind == SCATTER and task == "regression":
            self.scatter.set_validation(validation["predicted"], validation["actual"])
        elif self.kind == CONFUSION and task == "classification":
            if len(self.confusion.classes) != validation.get("n_classes", len(self.confusion.classes)):
                return      # from the data before the latest change
            self.confusion.set_validation(validation["predicted"], validation["actual"])

    def clear(self) -> None:
        self.scatter.clear()
        self.confusion.clear()
