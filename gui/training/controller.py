"""Live training in the window: panel, worker process, canvas colours, plots.

The worker trains; this object only forwards commands and paints what the newest
snapshot says, at the worker's ≤ 30 Hz. Design edits pause training and reload
the design into the worker, which keeps the weights of what did not change.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from engine import GraphError, Network, ParameterMismatch
from engine.io.weights import check_weights
from engine.model.param_names import biases_by_node, by_connection, weight_name

from gui.canvas.transform_badge import TransformFollower
from gui.plots.boundary import DecisionBoundaryView
from gui.plots.metrics import MetricsPlot
from gui.plots.update_view import UpdateView
from gui.training.data_preview import DataPreview
from gui.training.canvas_colours import CanvasColours
from gui.training.docks import DOCK_AREAS as DOCK_AREAS  # where the main window puts them
from gui.training.docks import make_docks
from gui.training import status_text
from gui.training.panel import TrainingPanel
from gui.training.runs import RunComparison
from gui.training.tick_schedule import SnapshotViews
from gui.training.transform_notes import adopt_transform
from gui.training.worker import TrainingWorker

STRUCTURAL = {"node_added", "node_removed", "node_changed", "connection_added",
              "connection_removed", "mask_changed", "loss_changed"}
ERROR_MESSAGE_MS = 8000     # how long a training error stays in the status bar
PREDICTIONS_MS = 250   # a confusion matrix (~3 ms to draw) with new counts nearly every snapshot: 4 a second


class TrainingController(QObject):
    """Live training for one design: the Training panel, the plot docks and the canvas colours.

    ``docks`` (title -> QDockWidget) are for the main window to place (in ``DOCK_AREAS``). ``show_message(
    text, ms)`` puts text in the status bar; ``inspector`` shows the numbers and reports weights typed in.
    """

    def __init__(self, graph, scene, view, document, inspector,
                 show_message: Callable[[str, int], None], parent: QWidget | None = None):
        super().__init__(parent)
        self.graph, self.scene, self.view = graph, scene, view
        self.document, self.inspector = document, inspector
        self.show_message = show_message
        self.net: Network | None = None
        self.info: dict | None = None
        self.latest: dict | None = None
        self.preview = DataPreview()        # the data shown before the first Play

        self.worker = TrainingWorker(self)
        self.panel = TrainingPanel(self.graph)
        self.metrics = MetricsPlot()
        self.boundary = DecisionBoundaryView()
        self.update_view = UpdateView()     # the last Step, told for one weight: under Step
        self.panel.layout().insertWidget(1, self.update_view)
        self.colours = CanvasColours(graph, scene, view, self)
        self.docks, self._lazy = make_docks(self.panel, self.metrics, self.boundary, parent)
        self._lazy["Gradient matrix"].on_built = lambda _view: self._show_matrix()
        self.transform = TransformFollower(graph, scene)
        self.views = self._snapshot_views()

        self._reload_timer = QTimer(self, singleShot=True, interval=250)
        self._reload_timer.timeout.connect(lambda: self.reload(keep_weights=True))

        p = self.panel
        p.play_toggled.connect(self.set_playing)
        p.step_clicked.connect(self.step)
        p.reset_clicked.connect(self.reset)
        p.lr_changed.connect(self._on_lr_changed)
        p.data_changed.connect(lambda: self.reload(keep_weights=True, clear=True))
        p.config_changed.connect(lambda: self.reload(keep_weights=True))
        p.edge_mode_changed.connect(self.set_edge_mode)
        w = self.worker
        w.ready.connect(self._on_ready)
        w.snapshot.connect(self._on_snapshot)
        w.losses.connect(self.metrics.add_steps)
        w.epoch.connect(self.metrics.add_report)
        w.was_reset.connect(self._clear_history)
        w.diverged.connect(self._on_diverged)
        w.error.connect(self._on_error)
        w.finished.connect(self._on_finished)
        self.graph.events.changed.connect(self._on_graph_changed)
        document.loaded.connect(self._on_design_loaded)
        inspector.weight_changed.connect(self._on_weight_edited)
        for signal in (p.data_changed, p.config_changed, p.lr_changed):
            signal.connect(document.mark_modified)
        self.scene.selection_changed.connect(self._show_matrix)
        self.scene.edge_tooltip = self.edge_tooltip
        self.runs = RunComparison(graph, w, self.metrics, self._lazy["Gradient flow"].deferring(), document,
                                  show_message, self)
        p.layout().insertWidget(p.layout().count() - 1, self.runs.box)     # above the stretch
        QTimer.singleShot(0, lambda: self.reload(keep_weights=False, clear=True))

    # The canvas's colours and colour bar (tests and the replay read them here).
    edge_mode = property(lambda self: self.colours.mode)
    color_bar = property(lambda self: self.colours.bar)

    # ----- the views built on first use (GradientFlowPlot, GradientMatrixView, PredictionsView)
    flow = property(lambda self: self._lazy["Gradient flow"].get())
    matrix = property(lambda self: self._lazy["Gradient matrix"].get())
    predictions = property(lambda self: self._lazy["Predictions"].get())

    # ----- commands -------------------------------------------------------
    def reload(self, keep_weights: bool = True, clear: bool = False) -> None:
        """Send the current design to the worker (pausing it), or say why it cannot train."""
        self.colours.discard()
        if self.worker.state == "playing":
            self.worker.pause()
        self.panel.set_playing(False)
        try:
            self.graph.check_complete()
            self.graph.check_loss()
            seed = self.graph.settings.get("seed")       # Network refuses a bad one, by name
            seed = 0 if seed is None else seed
            # Keep the weights of what did not change (trained or imported) unless asked not to.
            self.net = (self.net.rebuild(self.graph) if keep_weights and self.net is not None
                        else Network(self.graph, seed=seed))
        except GraphError as e:
            self.net = None
            self.panel.set_status(f"Cannot train yet: {e}", error=True)
            self.colours.clear()
            self._set_inspector_network(None)
            self.inspector.set_gradients(None)
            return
        if clear:
            self._clear_history()
        self._set_inspector_network(self.net)
        if self.worker.is_running():
            self.panel.set_status("Loading the data…")
            self.worker.load_design(self.graph, keep_weights, self._base_dir())
        elif self.panel.data_error:
            self.panel.set_status(f"Cannot train yet: {self.panel.data_error}", error=True)
        else:
            self.panel.set_status(status_text.ready("Press Play to train, or Step for one mini-batch."))
            self.preview.show(self.graph, self._base_dir(), self.boundary, self.metrics,
                              self.docks["Decision boundary"])

    def _base_dir(self) -> str | None:
        path = self.document.path
        return str(path.parent) if path else None

    def _ensure_worker(self) -> bool:
        """Start the training process on first use, with the weights the GUI shows."""
        if self.net is None:
            return False
        if not self.worker.is_running():
            self.panel.set_status("Starting the trainer…")
            self.worker.load_design(self.graph, False, self._base_dir())
            self.worker.set_parameters(self.net.parameters())
        return True

    def set_playing(self, playing: bool) -> None:
        if playing and not self._ensure_worker():
            self.panel.set_playing(False)
            return
        if playing:
            self.panel.set_status(status_text.training(self.graph.settings.get("epochs")))
            self.worker.play()
        else:
            self.worker.pause()
            self.panel.set_status(status_text.ready("Paused."))
        self.panel.set_playing(playing)

    def step(self) -> None:
        if self._ensure_worker():
            self.panel.set_playing(False)
            self.worker.step()
            self.panel.set_status(status_text.ready("One step: one mini-batch, one update of every weight."))

    def reset(self) -> None:
        if self._ensure_worker():
            self.panel.set_playing(False)
            self.panel.set_status(status_text.ready("New weights from the seed."))
            self.worker.reset()

    def set_edge_mode(self, mode: str) -> None:
        self.colours.mode = mode
        self.colours.paint_edges(self.latest)

    def is_playing(self) -> bool:
        return self.worker.state == "playing"

    def repaint_edges(self) -> None:
        """Colour the edges (and show the colour bar) from the newest snapshot again."""
        self.set_edge_mode(self.edge_mode)

    def apply_parameters(self, params: dict) -> None:
        """Load ``params`` into the network and the trainer; repaint the weight views.

        Raises WeightsError or ParameterMismatch (nothing changed) when they do not fit.
        """
        net = self.net
        check_weights(net.parameter_shapes(), params, net.dtype)   # also values beyond float32's range
        net.load_parameters(params)
        if self.worker.is_running():
            self.worker.set_parameters(net.parameters())   # it answers with a fresh snapshot
        weights = {k: v.copy() for k, v in net.parameters().items()}
        self.inspector.set_network(net)
        self.scene.set_neuron_values(biases_by_node(weights))
        if self.latest is not None:
            self.latest = dict(self.latest, weights=weights)
            self.repaint_edges()
        elif self.colours.mode == "weight":
            self.scene.set_edge_values(by_connection(weights, self.graph.connections), "weight")

    def detach(self) -> None:
        """Stop following the Graph, which may outlive this controller."""
        self.graph.events.changed.disconnect(self._on_graph_changed)
        self.transform.detach()

    def shutdown(self) -> None:
        self.detach()
        self.worker.stop()

    def _on_design_loaded(self) -> None:
        """Another design was opened: its own settings, fresh weights, empty curves."""
        self.panel.load_settings()
        self._reload_timer.stop()
        self.latest = None
        self.scene.set_neuron_images(None)
        self.reload(keep_weights=False, clear=True)

    def _on_lr_changed(self, lr: float) -> None:
        # A worker not started yet reads the rate from the settings when it loads the design;
        # sending it now would start the process without a design.
        if self.worker.is_running():
            self.worker.set_lr(lr)

    def _on_weight_edited(self, src: str, dst: str, i: int, j: int, value: float) -> None:
        if self.worker.is_running():
            self.worker.set_weight(weight_name(src, dst), (i, j), value)

    # ----- events ---------------------------------------------------------
    def _on_graph_changed(self, name: str, *args) -> None:
        if name in STRUCTURAL:
            self.runs.store.end_run()       # a run ends with a design change
            if self.worker.state == "playing":
                self.worker.pause()
                self.panel.set_playing(False)
                self.panel.set_status("Paused: the design changed (weights of unchanged parts kept)")
            self._reload_timer.start()

    def _on_ready(self, info: dict) -> None:
        self.info = info
        metric = "accuracy" if info["task"] == "classification" else "R²"
        self.metrics.set_metric_name(metric)
        status = (f"{info['name']}: {info['train_size']} training and "
                  f"{info['val_size']} validation examples, {info['n_inputs']} inputs")
        refitted = self._adopt_transform(info)
        status = f"{status}\n{refitted}" if refitted else status
        self.panel.set_status(status_text.loaded(status, self.is_playing(), self.graph.settings.get("epochs")))
        self.docks["Decision boundary"].setVisible(info["is_2d"])
        view, dock = self.predictions.choose(info), self.docks["Predictions"]
        dock.setWindowTitle(view or "Predictions")
        raise_it = view is not None and dock.isHidden() and not info["is_2d"]
        dock.setVisible(view is not None)
        if raise_it:        # it takes the boundary's place
            dock.raise_()
        if info["is_2d"]:
            self.boundary.set_points(info["points_train"], info["labels_train"],
                                     info["points_val"], info["labels_val"], info["task"])
        conns = self.graph.connections.values()
        self.flow.set_connections([c.key for c in conns], {c.key: f"{c.src} → {c.dst}" for c in conns})

    def _adopt_transform(self, info: dict) -> str | None:
        """Make the data's fitted transform the design's; the sentence to show if it was refitted."""
        adopted = adopt_transform(self.graph, info)
        self.panel.set_data_notes(adopted.notes)
        if adopted.changed:
            self.document.mark_modified()     # saved with the design; not an undo step
        if adopted.refitted:
            self.show_message(adopted.refitted, ERROR_MESSAGE_MS)
        return adopted.refitted

    def _on_snapshot(self, snap: dict) -> None:
        self.latest = snap
        self.panel.set_counters(snap["epoch"], snap["step"])
        if self.net is not None:
            try:
                self.net.load_parameters(snap["weights"])
            except ParameterMismatch:
                return      # a snapshot of the design before the latest edit
            for k, g in snap["gradients"].items():
                self.net.gradients[k][...] = g
        self.update_view.take_snapshot(snap, self.graph)
        self.colours.take(snap, self._is_2d())      # on the canvas in a turn of its own
        if snap["step"]:
            self.flow.add(snap["step"], snap["grad_norms"])
        self.views.take(snap)     # the side views: now if on screen, else when next shown

    def _snapshot_views(self) -> SnapshotViews:
        views = SnapshotViews()
        views.add("inspector", self.inspector, self._update_inspector)
        views.add("matrix", self.docks["Gradient matrix"], self._show_matrix)   # the dock: built or not
        views.add("boundary", self.boundary, self._update_boundary, needs="boundary")
        views.add("predictions", self.docks["Predictions"], lambda: self.predictions.set_validation(
            views.carried("validation")), needs="validation", min_interval_ms=PREDICTIONS_MS)
        return views

    def _is_2d(self) -> bool:
        return bool(self.info and self.info.get("is_2d"))

    def _update_inspector(self) -> None:
        if self.net is not None and self.latest is not None:
            # Step 0 (new weights) has computed no gradient yet: the inspector shows "—", not 0.
            self.inspector.set_gradients(self.latest["gradients"] if self.latest["step"] else None)
        self._set_inspector_network(self.net)

    def _update_boundary(self) -> None:
        grid = self.views.carried("boundary")
        if grid is not None and self._is_2d():
            self.boundary.set_grid(self.info["extent"], grid)

    def _clear_history(self) -> None:
        self.views.forget()
        self.runs.store.end_run()
        self.metrics.clear()
        if self._lazy["Gradient flow"].is_built():    # one built later starts empty
            self.flow.clear()

    def _on_finished(self) -> None:
        self.panel.set_playing(False)
        self.panel.set_status(status_text.finished(self.graph.settings.get("epochs")))

    def _on_diverged(self, reason: str) -> None:
        self.panel.set_playing(False)
        self.panel.set_status(reason, error=True)
        self.show_message(reason, ERROR_MESSAGE_MS)

    def _on_error(self, message: str) -> None:
        self.panel.set_playing(False)
        self.panel.set_status(message, error=True)
        self.show_message(message, ERROR_MESSAGE_MS)

    # ----- views ----------------------------------------------------------
    def edge_tooltip(self, src: str, dst: str, i: int, j: int) -> str:
        return status_text.edge_tooltip(self.latest, weight_name(src, dst), src, dst, i, j)

    def _show_matrix(self) -> None:
        self.update_view.select_edge(self.scene.selected_edge())
        keys = self.scene.selected_connection_keys()
        edge = self.scene.selected_edge()
        if not keys and edge is not None:
            keys = [(edge[0], edge[1])]
        if not self._lazy["Gradient matrix"].is_built():
            return                  # it catches up when built
        if not keys or self.latest is None:
            self.matrix.clear(f"{keys[0][0]} → {keys[0][1]}" if keys else None)
            return
        src, dst = keys[0]
        g = self.latest["gradients"].get(weight_name(src, dst))
        if g is not None:
            self.matrix.set_matrix(f"{src} → {dst}", g)

    def _set_inspector_network(self, net) -> None:
        self.inspector.set_network(net)
