"""The chain-rule replay in a main window: a dock with the bar and the explain panel,
and the overlay on the canvas.

``ReplayController(graph, scene, view, ...)`` is the whole integration; the window adds
its ``dock``. Optional: ``document`` (its ``path`` finds a CSV next to the design) and
``training`` (a TrainingController: its ``net`` gives the current weights, it is paused
while the replay shows, and its edge colours come back afterwards). The replay works on
a float64 copy of the weights, so that the numerical check is exact and training can go
on changing its own. ``boundary`` (a DecisionBoundaryView), when given, rings the traced
example's raw point while the replay runs on 2-D data. Nothing is computed until the
Replay dock is shown. Stepping one frame forward first shows the signal moving (a
SignalPulse) and then the frame; any other step, a seek or a click on the canvas skips
to the end of the motion. A legend over the canvas says what the edge colours mean.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QSplitter, QWidget

from engine import GraphError, Network, ParameterMismatch
from engine.train.config import settings_lr

from gui.canvas.replay_overlay import ReplayOverlay
from gui.canvas.signal_pulse import SignalPulse, transition_streams
from gui.core.formatting import fmt
from gui.replay.example import ReplayExample, summary
from gui.replay.explain_panel import ExplainPanel
from gui.replay.update_frame import ReplayUpdatePane
from gui.replay.bar import ReplayBar
from gui.replay.practice_panel import PracticePanel, under_bar
from gui.replay.legend import ReplayLegend
from gui.replay.timeline import ReplayTimeline

DATA_KEYS = ("data", "target", "noise", "samples", "features", "validation", "seed")
FALLBACK_EXAMPLES = 16


class ReplayController(QObject):
    """Owns the Replay dock (``dock``, ``bar``, ``panel``) and, while shown, ``overlay``."""

    def __init__(self, graph, scene, view, *, document=None, training=None, network_source=None,
                 boundary=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.graph, self.scene, self.view = graph, scene, view
        self.boundary = boundary
        self.document, self.training = document, training
        self.network_source = network_source or self._training_net
        self.bar = ReplayBar()
        self.panel = ExplainPanel()
        splitter = QSplitter(Qt.Horizontal)   # a wide, low dock under the canvas
        self.practice = PracticePanel()   # "Your turn": the learner computes each value first
        splitter.addWidget(under_bar(self.bar, self.practice))
        splitter.addWidget(self.panel)
        self.update_pane = ReplayUpdatePane(self.panel, graph, scene, view)   # on the update frame
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        self.dock = QDockWidget("Replay", parent)
        self.dock.setObjectName("replay_dock")
        self.dock.setWidget(splitter)
        self.dock.hide()
        self.toggle_action = self.dock.toggleViewAction()
        self.toggle_action.setText("&Replay the Chain Rule")
        self.toggle_action.setToolTip("Replay one forward and backward pass, neuron by neuron")
        self.toggle_action.setStatusTip(self.toggle_action.toolTip())

        self.active = False
        self.overlay: ReplayOverlay | None = None
        self.pulse: SignalPulse | None = None
        self.legend = ReplayLegend(view)
        self._pending: int | None = None      # the frame shown when the motion ends
        self.net: Network | None = None
        self.data = None
        self.problem = ""          # why the replay uses random inputs, if it does
        self._data_key = None
        self._fallback = None
        self.X = self.T = None
        self.steps = self.timeline = None
        self.example: ReplayExample | None = None   # what the traced example stands for
        self._clicked: tuple[str, int] | None = None
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(200)
        self._refresh_timer.timeout.connect(self.refresh)

        self.dock.visibilityChanged.connect(self._on_visibility)
        # A tabbed dock shown from the menu must also come to the front to be seen.
        self.toggle_action.triggered.connect(lambda on: on and self.dock.raise_())
        self.bar.frame_changed.connect(self._show_frame)
        self.bar.example_changed.connect(lambda _k: self.refresh())
        self.bar.point_chosen.connect(self._on_point)
        self.practice.revealed.connect(self._on_practice_revealed)
        self.scene.selection_changed.connect(self.explain_selection)
        self.graph.events.changed.connect(self._on_graph_changed)
        view.viewport().installEventFilter(self)

    # ----- turning on and off ----------------------------------------------------------
    def _on_visibility(self, visible: bool) -> None:
        if visible and not self.active:
            QTimer.singleShot(0, self.activate)
        elif not visible and self.active:
            self.deactivate()

    def activate(self) -> None:
        """Start replaying: pause training, put the overlay on the canvas, trace an example."""
        if self.active:
            return
        self.active = True
        self.dock.raise_()
        if self.training is not None:
            if self.training.is_playing():
                self.training.set_playing(False)
            self.training.color_bar.hide()   # its scale is training's, not the replay's
        self.overlay = ReplayOverlay(self.scene)
        self.pulse = SignalPulse(self.scene)
        self.pulse.finished.connect(self._motion_ended)
        self.refresh()
        self.explain_selection()

    def deactivate(self) -> None:
        """Stop: remove the overlay and give the canvas back its training colours."""
        self.active = False
        self.update_pane.show(None, None, None, None)
        self.bar.pause()
        if self.overlay is not None:
            self.overlay.clear()
            self.overlay.detach()
            self.overlay = None
        if self.pulse is not None:
            self.pulse.detach()
            self.pulse = None
        self._pending = None
        self.legend.hide()
        self._set_highlight(None)
        if self.training is not None:
            self.training.repaint_edges()

    # ----- the pass -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Trace the chosen example with the current weights and show the same frame again."""
        if not self.active:
            return
        try:
            self.graph.check_complete()
            self.graph.check_loss()
            self.net = self._network()
        except GraphError as e:
            self._show_problem(f"Nothing to replay yet: {e}")
            return
        self._load_data()
        k = self.bar.current_example()
        X, T = (self.data.X_train, self.data.T_train) if self.data is not None else self._fallback
        self.trace(X[k:k + 1], T[k:k + 1], self._example(k))

    def trace(self, X, T, example: ReplayExample | None = None) -> None:
        """Replay the pass of the batch (X, T) (usually one example); ``example`` says what its
        first row stands for (by default: the design's transform read backwards)."""
        try:
            self.steps = self.net.trace(X, T, lr=settings_lr(self.graph.settings))
        except GraphError as e:
            self._show_problem(f"Cannot replay: {e}")
            return
        self.X, self.T = np.asarray(X, dtype=np.float64), np.asarray(T, dtype=np.float64)
        if example is None:
            example = ReplayExample(self.X[0], self.T[0], self._preprocessing(), random=self.data is None)
        self.example = example
        self.bar.set_example_values(*summary(example))
        self._set_highlight(example.point)
        self.timeline = ReplayTimeline(self.steps, self.graph, net=self.net)
        self.practice.set_timeline(self.timeline)
        self.panel.set_trace(self.steps, self.net, self.X, self.T, example)
        self.bar.set_timeline(self.timeline, frame=self.bar.current_frame())
        self._show_frame(self.bar.current_frame())

    def _show_frame(self, k: int) -> None:
        """Show frame ``k``: one step forward first shows the signal moving into it."""
        if self.overlay is None or self.timeline is None:
            return
        self.pulse.skip()   # a motion still running ends now (and shows its frame)
        if self.practice.ask(k):
            self._hold(k)
            return
        shown = self.overlay.frame
        if self.bar.animates() and shown is not None and k == shown.index + 1:
            streams = transition_streams(shown, self.timeline.frame(k), self.net.parameters())
            if self.pulse.start(streams, self.bar.motion_ms()):
                self._pending = k
                return
        self._display(k)

    def _hold(self, k: int) -> None:
        """Practice: show the state before frame k, the asked node lit, the value hidden."""
        self.bar.pause()
        before = self.timeline.frame(k - 1) if k > 0 else self.timeline.frame(0)
        node = self.practice.question().node
        self.overlay.set_frame(replace(before, lit=before.lit | {node}), self.timeline, 0,
                               self.net.parameters(), self._preprocessing())
        self.panel.show_backward(before.phase not in ("forward", "loss"))
        item = self.scene.node_items.get(node)
        if item is not None:
            self.view.ensureVisible(item, 40, 40)     # the asked node on screen
        self.bar.set_caption(f"Your turn at {self.timeline.label(node)}: compute the value asked "
                             "below (it stays hidden until you answer or reveal it)")

    def _on_practice_revealed(self, k: int) -> None:
        if self.overlay is not None and self.timeline is not None and k == self.bar.current_frame():
            self._display(k)
            self.bar.set_caption(self.timeline.frame(k).caption)
            self.explain_selection()    # what was withheld while it was asked
            self.bar.setFocus()     # Right steps on at once

    def _motion_ended(self) -> None:
        k, self._pending = self._pending, None
        if k is not None and self.overlay is not None and self.timeline is not None:
            self._display(k)

    def _display(self, k: int) -> None:
        self.overlay.set_frame(self.timeline.frame(k), self.timeline, 0, self.net.parameters(),
                               self._preprocessing())
        self.panel.show_backward(self.timeline.frame(k).phase not in ("forward", "loss"))
        self.legend.show_meaning(self.overlay.edge_meaning(), self.scene.color_scale())
        self.update_pane.show(self.timeline.frame(k).phase, self.net, self.X, self.T)

    def _show_problem(self, text: str) -> None:
        self.steps = self.timeline = None
        self.bar.set_timeline(None)
        self.bar.set_caption(text)
        self.panel.set_trace(None, None, None, None)
        self.update_pane.show(None, None, None, None)
        self.example = None
        self.bar.set_example_values("", "")
        self._set_highlight(None)
        if self.pulse is not None:
            self.pulse.stop()
        self._pending = None
        self.legend.hide()
        if self.overlay is not None:
            self.overlay.clear()

    def _set_highlight(self, point) -> None:
        if self.boundary is not None:
            self.boundary.set_highlight(point)

    def _preprocessing(self):
        """The transform of the replayed inputs: the data's, else the one saved with the design."""
        source = self.data if self.data is not None else self.graph
        return getattr(source, "preprocessing", None)

    def _example(self, k: int) -> ReplayExample:
        """Training example k (or random example k), with its raw values and target's units."""
        if self.data is None:
            X, T = self._fallback
            return ReplayExample(X[k], T[k], self._preprocessing(), random=True,
                                 source=f"random example {k + 1} of {len(X)}")
        d = self.data
        point = d.points_train[k] if d.is_2d() else None
        units = d.labels_train[k] if d.task == "regression" and d.labels_train is not None else None
        return ReplayExample(d.X_train[k], d.T_train[k], self._preprocessing(), raw=point,
                             source=f"training example {k + 1} of {len(d.X_train)}",
                             target_units=units, point=None if point is None else tuple(point))

    def _training_net(self):
        return self.training.net if self.training is not None else None

    def _network(self) -> Network:
        """A float64 copy of the current weights (fresh ones from the seed if there are none)."""
        seed = self.graph.settings.get("seed", 0)
        net = Network(self.graph, seed=seed if isinstance(seed, int) else 0, dtype="float64")
        source = self.network_source()
        if source is not None:
            try:
                net.load_parameters(source.parameters())
            except ParameterMismatch:
                pass  # weights of an older design: keep the fresh ones
        return net

    def _load_data(self) -> None:
        """The design's data (once per data settings); random inputs if it cannot be used."""
        key = (tuple(repr(self.graph.settings.get(k)) for k in DATA_KEYS), self.graph.loss,
               self.graph.input_node().size, self.graph.output_node().size)
        if key == self._data_key:
            return
        self._data_key = key
        from engine.data import datasets  # loads scikit-learn data lazily: only when replaying
        path = self.document.path if self.document is not None else None
        try:
            data = datasets.from_settings(self.graph.settings, self.graph.loss,
                                          base_dir=path.parent if path is not None else None)
            datasets.check_design(self.graph, data)
        except (datasets.DataError, GraphError, OSError, ValueError) as e:
            self.data, self.problem = None, f"random inputs ({e})"
            self._fallback = self._random_examples()
            self.bar.set_example_count(FALLBACK_EXAMPLES)
            self.bar.set_is_2d(False)
            self.bar.example_label.setToolTip(f"The replay uses {self.problem}")
            return
        self.data, self.problem = data, ""
        self.bar.set_example_count(len(data.X_train))
        self.bar.set_is_2d(data.is_2d())
        self.bar.example_label.setToolTip(f"Training examples of {data.name}")

    def _random_examples(self):
        rng = np.random.default_rng(0)
        n_in, n_out = self.graph.input_node().size, self.graph.output_node().size
        X = rng.normal(size=(FALLBACK_EXAMPLES, n_in))
        if n_out > 1 and self.graph.output_node().activation == "softmax":
            T = np.eye(n_out)[rng.integers(0, n_out, FALLBACK_EXAMPLES)]
        else:
            T = rng.integers(0, 2, size=(FALLBACK_EXAMPLES, n_out)).astype(np.float64)
        p = self.graph.preprocessing
        if p is not None and len(p.inputs) == n_in and set(p.features) <= set(p.inputs):
            # Random raw rows through the saved transform, so derived inputs agree with x1, x2.
            before = X * p.std + p.mean
            X = p.apply(before[:, [p.inputs.index(f) for f in p.features]])
        return X, T

    def _on_point(self, x1: float, x2: float) -> None:
        """A typed 2-D point; its target is that of the nearest training point."""
        if self.data is None or not self.data.is_2d() or not self.active:
            return
        point = np.array([[x1, x2]])
        nearest = int(np.argmin(((self.data.points_train - point) ** 2).sum(axis=1)))
        X, T = self.data.transform(point), self.data.T_train[nearest:nearest + 1]
        self.trace(X, T, ReplayExample(
            X[0], T[0], self._preprocessing(), raw=point[0], point=(x1, x2),
            source=f"point ({fmt(x1)}, {fmt(x2)}), with the target of the nearest training point"))
        self.bar.example_label.setText(f"point ({x1:g}, {x2:g})")

    def _on_graph_changed(self, name: str, *args) -> None:
        if self.active and name != "node_moved":
            self._refresh_timer.start()

    def detach(self) -> None:
        """Stop following the Graph, which may outlive this controller."""
        self.graph.events.changed.disconnect(self._on_graph_changed)

    # ----- explaining --------------------------------------------------------------------------
    def explain_neuron(self, node: str, k: int) -> None:
        if not self._withheld({node}):
            self.panel.show_neuron(node, k)

    def _withheld(self, nodes: set) -> bool:
        """Practice: explaining the asked node now would give its answer away."""
        q = self.practice.question()
        if q is None or q.node not in nodes:
            return False
        self.panel.text.setHtml(f"<p><b>Your turn</b>: {self.timeline.label(q.node)} is explained "
                                f"once you answer (or reveal) {q.target}.</p>")
        return True

    def explain_selection(self) -> None:
        """Explain the selected edge, or the clicked neuron of the selected node."""
        if not self.active:
            return
        edge = self.scene.selected_edge()
        nodes = self.scene.selected_node_ids()
        if self._withheld(set(edge[:2]) if edge is not None else set(nodes[:1])):
            return
        if edge is not None:
            self.panel.show_edge(*edge)
        elif nodes:
            k = self._clicked[1] if self._clicked and self._clicked[0] == nodes[0] else 0
            self.panel.show_neuron(nodes[0], k)

    def eventFilter(self, obj, event) -> bool:
        if not self.active or event.type() != QEvent.MouseButtonPress \
                or event.button() != Qt.LeftButton:
            return False
        if self.pulse is not None:
            self.pulse.skip()   # a click on the canvas ends the motion at once
        pos = self.view.mapToScene(event.position().toPoint())
        label = self.overlay.label_at(pos) if self.overlay is not None else None
        if label is not None:   # a click on a replayed number explains it (and nothing else)
            self.explain_neuron(*label)
            return True
        # Which neuron of a node was clicked (the scene only knows the node is selected).
        self._clicked = None
        for node_id, item in self.scene.node_items.items():
            k = item.neuron_at(pos)
            if k is not None:
                self._clicked = (node_id, k)
                QTimer.singleShot(0, self.explain_selection)
                break
        return False
