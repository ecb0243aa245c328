"""The data before the first Play, so the plots show what training will use.

The trainer's process loads the data only when training starts. Until then the window
loads it here, once per data setting, to put the points on the decision boundary and
name the metric ("accuracy" or "R²").
"""
from __future__ import annotations

from engine.data.datasets import Dataset, from_settings
from gui.training.worker_process import DATA_KEYS


class DataPreview:
    """The dataset a design's settings describe, loaded on demand and cached per setting."""

    def __init__(self):
        self._key: str | None = None
        self._dataset: Dataset | None = None

    def dataset(self, graph, base_dir: str | None) -> Dataset | None:
        """The design's data, or None when it cannot be read (the panel says why)."""
        key = f"{graph.loss}{base_dir}" + repr(sorted((k, repr(v)) for k, v in graph.settings.items()
                                                      if k in DATA_KEYS))
        if key != self._key:
            self._key = key
            try:
                self._dataset = from_settings(graph.settings, graph.loss, base_dir)
            except (ValueError, OSError):
                self._dataset = None
        return self._dataset

    def show(self, graph, base_dir: str | None, boundary, metrics, boundary_dock) -> None:
        """Put the data's points on ``boundary`` (hiding its dock for data that is not 2-D)
        and name the metric of ``metrics``, as the trainer's first report will."""
        ds = self.dataset(graph, base_dir)
        if ds is None:
            return
        metrics.set_metric_name("accuracy" if ds.task == "classification" else "R²")
        boundary_dock.setVisible(ds.is_2d())
        if ds.is_2d():
            boundary.set_points(ds.points_train, ds.labels_train, ds.points_val, ds.labels_val, ds.task)
