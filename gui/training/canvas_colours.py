"""What the canvas shows of training: edges coloured by gradient or weight, the colour bar that
reads them, neurons tinted by their bias, and output thumbnails on 2-D data.

A snapshot is put on the canvas in an event-loop turn of its own, on the application's
per-turn queue (``gui.core.redraw_queue``), not in the turn that received it: the receiving
turn (reading the pipe, the counters, the side views) and the recolouring (binning every
edge, tinting the neurons) each stay a few milliseconds. When snapshots come faster than
turns, the newest is shown.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject

from engine.model.param_names import biases_by_node, by_connection
from gui.core.redraw_queue import Coalescer, shared_queue
from gui.plots.color_bar import ColorBar

BAR_MARGIN = 12         # pixels between the colour bar and the canvas's corner


class CanvasColours(QObject):
    """The canvas's colours for one training controller; ``mode`` is "gradient", "weight" or "none"."""

    def __init__(self, graph, scene, view, parent=None):
        super().__init__(parent)
        self.graph, self.scene, self.view = graph, scene, view
        self.mode = "gradient"
        self.bar = ColorBar(view)
        self.bar.hide()
        self._pending: tuple[dict, bool] | None = None
        self._job = Coalescer(view.viewport(), self._show_pending, 0, shared_queue(0))
        view.installEventFilter(self)

    def take(self, snap: dict, two_d: bool) -> None:
        """Show ``snap`` in a turn of its own (``two_d``: its thumbnails too)."""
        self._pending = (snap, two_d)
        self._job.schedule()

    def pending(self) -> bool:
        """A snapshot waits for its turn to be shown."""
        return self._pending is not None

    def discard(self) -> None:
        """A snapshot still waiting is of a design or weights that are gone: never show it."""
        self._pending = None

    def clear(self) -> None:
        """Nothing to show: grey edges, no thumbnails, no colour bar."""
        self.discard()
        self.scene.set_edge_values(None)
        self.scene.set_neuron_images(None)
        self.bar.hide()

    def _show_pending(self) -> None:
        if self._pending is None:
            return
        snap, two_d = self._pending
        self._pending = None
        self.paint_edges(snap)
        self.scene.set_neuron_values(biases_by_node(snap["weights"]))
        self.scene.set_neuron_images(snap.get("thumbnails") if two_d else None)

    def paint_edges(self, snap: dict | None) -> None:
        """Colour the edges by ``snap``'s gradients or weights (None: grey), with the bar."""
        if snap is None or self.mode == "none":
            self.scene.set_edge_values(None)
            self.bar.hide()
            return
        source = snap["gradients"] if self.mode == "gradient" else snap["weights"]
        values = by_connection(source, self.graph.connections)
        self.scene.set_edge_values(values, self.mode)
        if self.mode == "gradient":
            scale = self.scene.color_scale()
            if scale is not None:
                self.bar.set_scale(scale[0], scale[1], mode="gradient")
        else:
            wmax = max((float(np.abs(v).max()) for v in values.values() if v.size), default=1.0)
            self.bar.set_weight_scale(wmax)
        self._place_bar()
        self.bar.show()

    def _place_bar(self) -> None:
        self.bar.adjustSize()
        self.bar.move(self.view.width() - self.bar.width() - BAR_MARGIN,
                      self.view.height() - self.bar.height() - BAR_MARGIN)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Resize and obj is self.view:
            self._place_bar()
        return False
