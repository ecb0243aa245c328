"""The inspector: shows and edits what is selected on the canvas.

One page per kind of selection: a node (name, kind, size, activation), a
connection (shape, present and masked edges, restore), a single edge (its
neurons and, once a network exists, its weight), or nothing (the design's
summary and loss). Every design edit goes through push_edit, so it is undoable;
a refused edit leaves the Graph alone and shows the Graph's reason.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (QAbstractSpinBox, QComboBox, QDoubleSpinBox, QLabel, QLineEdit,
                               QPushButton, QSizePolicy, QSpinBox, QStackedWidget, QWidget)

from engine import Graph, GraphError
from engine.data.datasets import DEFAULTS as DATA_DEFAULTS
from engine.nn.activations import ACTIVATIONS, FORMULA, HIDDEN_ACTIVATIONS
from engine.nn.losses import LOSSES
from engine.model.loss_pairing import choose_loss, follow_output
from engine.model.param_names import weight_name
from gui.core.commands import push_edit
from gui.shell.design_summary import KIND_TEXT, LOSS_TEXT, parameter_count
from gui.shell.design_summary import design_summary as design_summary
from gui.shell.edge_gradient import gradient_text, replay_gradients
from gui.shell.inspector_parts import form_page, scrolled
from gui.shell.inspector_parts import text_label as _label
from gui.shell.loss_note import LossNote

MAX_SIZE = 100_000
MIN_PAGE_HEIGHT, MAX_PAGE_HEIGHT = 80, 260   # px the page claims of the dock; more scrolls


class Inspector(QWidget):
    """Shows and edits the canvas selection; follows scene.selection_changed and graph events."""

    message = Signal(str)                                   # refusals and notes, for the status bar
    weight_changed = Signal(str, str, int, int, float)      # src, dst, dst_index, src_index, value

    def __init__(self, graph: Graph, undo_stack: QUndoStack, scene, parent=None):
        super().__init__(parent)
        self.graph = graph
        self.undo_stack = undo_stack
        self.scene = scene
        self.network = None
        self.gradients: dict | None = None      # the latest training step's; None: none computed
        self.replay = None                      # while it shows a pass, its gradients are shown
        self._node_id: str | None = None
        self._conn: tuple[str, str] | None = None
        self._edge: tuple[str, str, int, int] | None = None
        self._refreshing = False
        self._selection = (0, 0)

        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self._build_summary()
        self._build_node()
        self._build_connection()
        self._build_edge()
        self.message_label = _label(wrap=True)
        self.message_label.setStyleSheet("color: #b71c1c;")
        self.message_label.hide()
        self.loss_note = LossNote()
        self.loss_note.fix_requested.connect(self.set_loss)
        self.scroll = scrolled((self.stack, self.message_label), self, above=self.loss_note)

        scene.selection_changed.connect(self._on_selection_changed)
        unfollow = graph.events.follow(self.refresh)
        self.destroyed.connect(lambda *_: unfollow())
        self.refresh()

    # ----- pages ----------------------------------------------------------------
    def _add_page(self, name: str, title: QLabel, rows: tuple) -> None:
        """A page of the stack: ``title`` over a form of rows, each a (label, field) pair or one widget."""
        page = self.pages[name] = form_page(title, rows)
        self.stack.addWidget(page)

    def _build_summary(self):
        self.summary_title = _label("Design", title=True)
        self.selection_label = _label(wrap=True)
        self.loss_combo = QComboBox()
        for loss in LOSSES:
            self.loss_combo.addItem(LOSS_TEXT.get(loss, loss), loss)
        self.loss_combo.setToolTip("The loss the network is trained to minimise (undoable)")
        self.loss_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.loss_combo.setMinimumContentsLength(12)
        self.loss_combo.activated.connect(lambda _i: self.set_loss(self.loss_combo.currentData()))
        self.nodes_label, self.edges_label, self.params_label = QLabel(), QLabel(), QLabel()
        self.data_label = _label(wrap=True)
        self.data_label.setToolTip("The training data named in the design's settings")
        self.status_label = _label(wrap=True)
        self._add_page("summary", self.summary_title, (
            self.selection_label, ("Loss", self.loss_combo), ("Data", self.data_label),
            ("Nodes", self.nodes_label), ("Edges", self.edges_label), ("Parameters", self.params_label),
            ("Status", self.status_label)))

    def _build_node(self):
        self.node_title = _label("", title=True)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("(shown as the id)")
        self.name_edit.setToolTip("A name shown on the canvas instead of the id; Enter to apply")
        self.name_edit.editingFinished.connect(self._commit_name)
        self.kind_label = QLabel()
        self.size_spin = QSpinBox()
        self.size_spin.setRange(1, MAX_SIZE)
        self.size_spin.setKeyboardTracking(False)  # typed values commit on Enter or focus loss
        self.size_spin.setToolTip("Number of neurons; the connections' edges follow")
        self.size_spin.valueChanged.connect(self._commit_size)
        self.size_spin.editingFinished.connect(self._commit_size)
        self.activation_combo = QComboBox()
        self.activation_combo.setToolTip("The activation function f applied to z = Σ W·a + b")
        self.activation_combo.activated.connect(
            lambda _i: self._node_id and self.set_activation(self._node_id,
                                                             self.activation_combo.currentData()))
        self.formula_label = _label(wrap=True)
        self.links_label = _label(wrap=True)
        self._add_page("node", self.node_title, (
            ("Name", self.name_edit), ("Kind", self.kind_label), ("Size", self.size_spin),
            ("Activation", self.activation_combo), ("", self.formula_label), ("Links", self.links_label)))

    def _build_connection(self):
        self.conn_title = _label("", title=True)
        self.shape_label, self.present_label, self.masked_label = QLabel(), QLabel(), QLabel()
        self.restore_button = QPushButton("Restore all edges")
        self.restore_button.setToolTip("Put back every removed edge of this connection (undoable)")
        self.restore_button.clicked.connect(self._restore_edges)
        self._add_page("connection", self.conn_title, (
            ("Shape", self.shape_label), ("Edges present", self.present_label),
            ("Edges removed", self.masked_label), self.restore_button))

    def _build_edge(self):
        self.edge_title = _label("", title=True)
        self.edge_state_label = _label(wrap=True)
        self.weight_spin = QDoubleSpinBox()
        self.weight_spin.setDecimals(6)
        self.weight_spin.setRange(-1e6, 1e6)
        self.weight_spin.setSingleStep(0.01)
        self.weight_spin.setKeyboardTracking(False)
        self.weight_spin.setButtonSymbols(QAbstractSpinBox.NoButtons)
        self.weight_spin.setMinimumWidth(80)     # not the width of ±1e6 to six places: a narrow dock
        self.weight_spin.setToolTip("This edge's weight in the current network; Enter to apply")
        self.weight_spin.valueChanged.connect(self._commit_weight)
        self.no_weights_label = _label("no weights yet: train or press Reset", wrap=True)
        self.gradient_label = _label(wrap=True)     # "(replay)" or the step: never wider than the dock
        self._add_page("edge", self.edge_title, (
            ("", self.edge_state_label), ("Weight", self.weight_spin),
            ("", self.no_weights_label), ("∂L/∂w", self.gradient_label)))

    # ----- public -----------------------------------------------------------------
    def set_network(self, network) -> None:
        """Give the inspector a network whose weights it shows and edits (None: none)."""
        self.network = network
        self.refresh()

    def set_gradients(self, gradients: dict | None) -> None:
        """The latest training step's gradients (None: no step since the weights were made);
        shown from the next refresh (``set_network`` refreshes)."""
        self.gradients = gradients

    def follow_replay(self, replay) -> None:
        """Show ``replay``'s gradients while it shows a pass (it has ``active``, ``steps``, ``dock``
        and ``bar``); the inspector refreshes when the replay is shown, hidden or re-traced."""
        self.replay = replay
        for signal in (replay.dock.visibilityChanged, replay.bar.example_changed):
            signal.connect(lambda *_: QTimer.singleShot(0, self.refresh))   # after it traced

    def current_page(self) -> str:
        return next(k for k, w in self.pages.items() if w is self.stack.currentWidget())

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        if text:
            self.message.emit(text)

    def _edit(self, text: str, fn) -> str | None:
        refusal = push_edit(self.undo_stack, self.graph, text, fn)
        if refusal:
            self.show_message(refusal)
        self.refresh()
        return refusal

    def rename_node(self, node_id: str, name: str) -> str | None:
        if node_id not in self.graph.nodes or self.graph.nodes[node_id].name == name:
            return None
        return self._edit(f"Rename {node_id}", lambda g: g.update_node(node_id, name=name))

    def resize_node(self, node_id: str, size: int) -> str | None:
        if node_id not in self.graph.nodes or self.graph.nodes[node_id].size == size:
            return None
        return self._edit(f"Resize {node_id} to {size}", lambda g: g.update_node(node_id, size=size))

    def set_activation(self, node_id: str, activation: str) -> str | None:
        if node_id not in self.graph.nodes or self.graph.nodes[node_id].activation == activation:
            return None
        followed = []

        def edit(g: Graph):
            node = g.update_node(node_id, activation=activation)    # the loss follows the output
            followed.append(node.kind == "output" and follow_output(g))    # unless the user chose it
        refusal = self._edit(f"Set activation of {node_id} to {activation}", edit)
        if refusal is None and followed[0]:
            self.show_message(f"The loss follows the {activation} output: {followed[0]} "
                              "(Ctrl+Z undoes both)")
        return refusal

    def set_loss(self, loss: str) -> str | None:
        if loss == self.graph.loss:
            return None
        # The user's own choice: from now on the loss stays when the output changes. A mismatch
        # is allowed (the output may change next); the loss note explains it and offers the fix.
        return self._edit(f"Set loss to {loss}", lambda g: choose_loss(g, loss))

    def set_weight(self, src: str, dst: str, i: int, j: int, value: float) -> str | None:
        """Write one weight of the network (not a design edit, so not undoable)."""
        W = self._weights(src, dst)
        if W is None:
            return self._refuse("no weights yet: train or press Reset")
        conn = self.graph.connections.get((src, dst))
        if conn is not None and conn.mask is not None and not conn.mask[i, j]:
            return self._refuse(f"edge {src}[{j}] → {dst}[{i}] is removed: restore it first")
        if not np.isfinite(value):
            return self._refuse("a weight must be a finite number")
        W[i, j] = value
        self.weight_changed.emit(src, dst, i, j, float(W[i, j]))
        return None

    def _refuse(self, text: str) -> str:
        self.show_message(text)
        self.refresh()
        return text

    # ----- following the canvas and the graph ---------------------------------------
    def _on_selection_changed(self):
        self.show_message("")
        self.refresh()

    def refresh(self) -> None:
        """Show the page for the current selection with the Graph's current values."""
        self._refreshing = True
        try:
            page = self._choose_page()
            getattr(self, f"_fill_{page}")()
            for name, widget in self.pages.items():      # only the page shown sets the width:
                ignored = QSizePolicy.Ignored if name != page else QSizePolicy.Preferred
                widget.setSizePolicy(ignored, ignored)    # a wide hidden page must not clip it
            self.stack.setCurrentWidget(self.pages[page])
            self.loss_note.show_for(self.graph)
            # The page asks for its full height, less what a shown note takes (it then scrolls).
            note = 0 if self.loss_note.isHidden() else self.loss_note.sizeHint().height()
            wanted = min(self.pages[page].minimumSizeHint().height() + 12, MAX_PAGE_HEIGHT)
            self.scroll.setMinimumHeight(max(MIN_PAGE_HEIGHT, wanted - note))
        finally:
            self._refreshing = False

    def _choose_page(self) -> str:
        g = self.graph
        nodes = [n for n in self.scene.selected_node_ids() if n in g.nodes]
        conns = [c for c in self.scene.selected_connection_keys() if tuple(c) in g.connections]
        edge = self.scene.selected_edge()
        self._node_id = self._conn = self._edge = None
        self._selection = (len(nodes), len(conns))
        if (edge is not None and not nodes and tuple(edge[:2]) in g.connections
                and all(tuple(c) == tuple(edge[:2]) for c in conns)):
            self._edge = tuple(edge)
            return "edge"
        if len(nodes) == 1 and not conns:
            self._node_id = nodes[0]
            return "node"
        if len(conns) == 1 and not nodes:
            self._conn = tuple(conns[0])
            return "connection"
        return "summary"

    def _fill_summary(self):
        g = self.graph
        n_nodes, n_conns = self._selection
        parts = [f"{n_nodes} node{'s' * (n_nodes != 1)}" if n_nodes else "",
                 f"{n_conns} connection{'s' * (n_conns != 1)}" if n_conns else ""]
        selected = " and ".join(p for p in parts if p)
        self.selection_label.setText(f"{selected} selected" if selected else
                                     "Nothing selected: click a node, connection or edge.")
        self.loss_combo.setCurrentIndex(max(0, self.loss_combo.findData(g.loss)))
        data, target = g.settings.get("data"), g.settings.get("target")
        text = str(data) if data else f"{DATA_DEFAULTS['data']} (default)"   # what Play trains on
        self.data_label.setText(f"{text} (target: {target})" if data and target else text)
        self.nodes_label.setText(str(len(g.nodes)))
        self.edges_label.setText(f"{g.edge_count():,}")
        self.params_label.setText(f"{parameter_count(g):,}")
        try:
            g.check_complete()
            g.check_loss()
            self.status_label.setText("Ready to train.")
        except GraphError as e:
            self.status_label.setText(str(e))

    def _fill_node(self):
        node = self.graph.nodes[self._node_id]
        self.node_title.setText(f"Node {node.id}")
        if not (self.name_edit.hasFocus() and self.name_edit.isModified()):
            self.name_edit.setText(node.name)
            self.name_edit.setModified(False)
        self.kind_label.setText(KIND_TEXT.get(node.kind, node.kind))
        self.size_spin.blockSignals(True)
        self.size_spin.setValue(min(node.size, MAX_SIZE))
        self.size_spin.blockSignals(False)
        choices = ACTIVATIONS if node.kind == "output" else HIDDEN_ACTIVATIONS
        self.activation_combo.clear()
        for act in choices:
            self.activation_combo.addItem(act, act)
        self.activation_combo.setCurrentIndex(max(0, self.activation_combo.findData(node.activation)))
        self.activation_combo.setEnabled(node.kind != "input")
        f, df = FORMULA.get(node.activation, ("", ""))
        self.formula_label.setText("inputs pass through unchanged" if node.kind == "input"
                                   else f"f(z) = {f}\nf′(z) = {df}")
        ins = ", ".join(f"{c.src} ({self.graph.nodes[c.src].size})" for c in self.graph.incoming(node.id))
        outs = ", ".join(c.dst for c in self.graph.outgoing(node.id))
        self.links_label.setText(f"from: {ins or '—'}\nto: {outs or '—'}")

    def _fill_connection(self):
        src, dst = self._conn
        conn = self.graph.connections[(src, dst)]
        rows, cols = self.graph.nodes[dst].size, self.graph.nodes[src].size
        masked = conn.masked_count()
        self.conn_title.setText(f"Connection {src} → {dst}")
        self.shape_label.setText(f"{rows} × {cols}   (W is {dst} × {src})")
        self.present_label.setText(f"{rows * cols - masked:,}")
        self.masked_label.setText(f"{masked:,}")
        self.restore_button.setEnabled(masked > 0)

    def _fill_edge(self):
        src, dst, i, j = self._edge
        conn = self.graph.connections[(src, dst)]
        self.edge_title.setText(f"Edge {src}[{j}] → {dst}[{i}]")
        removed = conn.mask is not None and not conn.mask[i, j]
        self.edge_state_label.setText("This edge is removed (masked); restore the connection's "
                                      "edges to bring it back." if removed else
                                      f"weight W[{i}, {j}] of {src} → {dst}")
        W = self._weights(src, dst)
        has = W is not None
        self.weight_spin.setVisible(has)
        self.no_weights_label.setVisible(not has)
        if has:
            self.weight_spin.blockSignals(True)
            self.weight_spin.setValue(float(W[i, j]))
            self.weight_spin.blockSignals(False)
            self.weight_spin.setEnabled(not removed)
        shape = (self.graph.nodes[dst].size, self.graph.nodes[src].size)
        text, tip = gradient_text(src, dst, i, j, shape, replay_gradients(self.replay),
                                  self.gradients if has else None)
        self.gradient_label.setText(text)
        self.gradient_label.setToolTip(tip)

    def _weights(self, src: str, dst: str) -> np.ndarray | None:
        """The live weight matrix of src → dst if the network has one of the design's shape."""
        if self.network is None:
            return None
        W = self.network.parameters().get(weight_name(src, dst))
        if W is None or src not in self.graph.nodes or dst not in self.graph.nodes:
            return None
        shape = (self.graph.nodes[dst].size, self.graph.nodes[src].size)
        return W if W.shape == shape else None

    # ----- widget commits --------------------------------------------------------------
    def _commit_name(self):
        if self._refreshing or self._node_id is None or not self.name_edit.isModified():
            return
        self.name_edit.setModified(False)
        self.rename_node(self._node_id, self.name_edit.text().strip())

    def _commit_size(self, *_):
        if not self._refreshing and self._node_id is not None:
            self.resize_node(self._node_id, self.size_spin.value())

    def _commit_weight(self, value: float):
        if not self._refreshing and self._edge is not None:
            self.set_weight(*self._edge, value)

    def _restore_edges(self):
        if self._conn is not None:
            self.scene.restore_edges(*self._conn)
            self.refresh()
