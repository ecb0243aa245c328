"""Gestures on the canvas: mouse, keys and menus, turned into calls of scene edits.

``SceneInteractions`` (mixed into the scene) routes mouse presses: an output
port starts a ``ConnectInteraction`` (a temporary line; releasing on another
node connects them), a connection picks its nearest edge (or selects the whole
connection), anything else is Qt's own selection and moving, and a drag's end
commits every moved node in one edit. ``context_menu`` builds the right-click
menu. Every resulting edit goes through the scene's undoable edit methods;
nothing here changes the Graph or the items directly.
"""
from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QPen, QTransform
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsView, QMenu

from engine.nn import activations

from gui.canvas.clipboard import read_clipboard
from gui.canvas.connection_item import ConnectionItem
from gui.canvas.node_item import SELECTED, NodeItem

PICK_PX = 4.0  # edge picking tolerance, in screen pixels


class ConnectInteraction:
    """Dragging a new connection out of ``src_item``'s output port."""

    def __init__(self, scene, src_item: NodeItem, scene_pos: QPointF):
        self.scene = scene
        self.src = src_item
        self.target: NodeItem | None = None
        pen = QPen(SELECTED, 2.0, Qt.DashLine)
        pen.setCosmetic(True)
        self.line = QGraphicsLineItem(QLineF(src_item.port_scene_pos("out"), scene_pos))
        self.line.setPen(pen)
        self.line.setZValue(NodeItem.Z + 10)
        self.line.setAcceptedMouseButtons(Qt.NoButton)
        scene.addItem(self.line)

    def _target_at(self, scene_pos: QPointF) -> NodeItem | None:
        item = self.scene.node_item_at(scene_pos)
        return None if item is self.src else item

    def mouse_move(self, scene_pos: QPointF) -> None:
        target = self._target_at(scene_pos)
        end = target.port_scene_pos("in") if target is not None and target.has_port("in") else scene_pos
        self.line.setLine(QLineF(self.src.port_scene_pos("out"), end))
        if target is not self.target:
            if self.target is not None:
                self.target.set_target(False)
            if target is not None:
                target.set_target(True)
            self.target = target

    def mouse_release(self, scene_pos: QPointF) -> None:
        target = self._target_at(scene_pos)
        self.cancel()
        if target is None:
            self.scene.message.emit("release on another node to connect "
                                    f"{self.src.node.label} to it")
            return
        self.scene.connect_nodes(self.src.node_id, target.node_id)

    def cancel(self) -> None:
        if self.target is not None:
            self.target.set_target(False)
        if self.line.scene() is not None:
            self.scene.removeItem(self.line)


class SceneInteractions:
    """Mouse, key and context-menu handling of the canvas scene (a mixin)."""

    _interaction: ConnectInteraction | None = None

    def pick_tolerance(self, widget=None) -> float:
        view = widget.parentWidget() if widget is not None else None
        if not isinstance(view, QGraphicsView):
            view = self.views()[0] if self.views() else None
        scale = view.transform().m11() if view is not None else 1.0
        return PICK_PX / max(scale, 1e-6)

    def item_at(self, scene_pos: QPointF):
        """The node or connection item under ``scene_pos``, unless another item that
        takes clicks (an overlay's label, say) lies on top of it."""
        for item in self.items(scene_pos, Qt.IntersectsItemShape, Qt.DescendingOrder, QTransform()):
            if isinstance(item, (NodeItem, ConnectionItem)):
                return item
            if item.acceptedMouseButtons() != Qt.NoButton:
                return None
        return None

    def node_item_at(self, scene_pos: QPointF) -> NodeItem | None:
        for item in self.items(scene_pos, Qt.IntersectsItemShape, Qt.DescendingOrder, QTransform()):
            if isinstance(item, NodeItem):
                return item
        return None

    def mousePressEvent(self, event) -> None:
        if self._interaction is not None:
            event.accept()
            return
        item = self.item_at(event.scenePos())
        if event.button() == Qt.LeftButton:
            if isinstance(item, NodeItem) and item.port_at(event.scenePos()) == "out":
                self._interaction = ConnectInteraction(self, item, event.scenePos())
                event.accept()
                return
            if isinstance(item, ConnectionItem):
                self._press_connection(item, event)
                return
        if item is None and not event.modifiers() & Qt.ControlModifier and self._edge is not None:
            self.select_edge(None)
        super().mousePressEvent(event)

    def _press_connection(self, item: ConnectionItem, event) -> None:
        edge = item.nearest_edge(event.scenePos(), self.pick_tolerance(event.widget()))
        if edge is not None:
            self.select_edge((*item.key, *edge))
        elif event.modifiers() & Qt.ControlModifier:
            item.setSelected(not item.isSelected())
        else:
            self._quiet = True
            self.clearSelection()
            self._quiet = False
            item.setSelected(True)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self._interaction is not None:
            self._interaction.mouse_move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._interaction is not None:
            interaction, self._interaction = self._interaction, None
            interaction.mouse_release(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.LeftButton:
            self.commit_moves()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and self._interaction is not None:
            self._interaction.cancel()
            self._interaction = None
        elif event.key() in (Qt.Key_Delete, Qt.Key_Backspace):
            self.delete_selection()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def contextMenuEvent(self, event) -> None:
        menu = self.context_menu_at(event.scenePos(), event.widget())
        menu.exec(event.screenPos())

    def context_menu_at(self, scene_pos: QPointF, widget=None):
        """The right-click menu at ``scene_pos`` (a QMenu; tests trigger its actions)."""
        return context_menu(self, scene_pos, self.pick_tolerance(widget))


def context_menu(scene, scene_pos: QPointF, tolerance: float) -> QMenu:
    """The right-click menu at ``scene_pos`` (the caller shows it)."""
    menu = QMenu()
    item = scene.item_at(scene_pos)
    if isinstance(item, NodeItem):
        _node_menu(menu, scene, item)
        _operations_entry(menu, scene, item, scene_pos)
    elif isinstance(item, ConnectionItem):
        _connection_menu(menu, scene, item, scene_pos, tolerance)
    else:
        paste = menu.addAction("Paste", lambda: scene.paste(at=scene_pos))
        paste.setEnabled(read_clipboard() is not None)
        menu.addAction("Automatic layout", scene.auto_layout)
        menu.addAction("Select all", scene.select_all)
    return menu


def _node_menu(menu: QMenu, scene, item: NodeItem) -> None:
    if not item.isSelected():
        scene.clearSelection()
        item.setSelected(True)
    node = item.node
    menu.addAction("Delete", scene.delete_selection)
    menu.addAction("Duplicate", scene.duplicate_selection)
    menu.addAction("Copy", scene.copy_selection)
    if node.kind != "input":
        sub = menu.addMenu("Set activation")
        choices = activations.ACTIVATIONS if node.kind == "output" else activations.HIDDEN_ACTIVATIONS
        for name in choices:
            action = sub.addAction(name, lambda n=name: scene.set_activation(node.id, n))
            action.setCheckable(True)
            action.setChecked(name == node.activation)


def _operations_entry(menu: QMenu, scene, item: NodeItem, scene_pos: QPointF) -> None:
    """"Show graph of operations…" for the neuron under the pointer (the first one elsewhere)."""
    if item.node.kind == "input":
        return
    k = item.neuron_at(scene_pos) or 0
    menu.addSeparator()
    action = menu.addAction("Show graph of operations…",
                            lambda: scene.operations_requested.emit(item.node.id, k))
    action.setStatusTip("This neuron's pass as scalar operations, each with its value and gradient")


def _connection_menu(menu: QMenu, scene, item: ConnectionItem, scene_pos: QPointF,
                     tolerance: float) -> None:
    src, dst = item.key
    edge = item.nearest_edge(scene_pos, tolerance)
    if edge is not None:
        i, j = edge
        menu.addAction(f"Remove edge {item.edge_label(i, j)}",
                       lambda: scene.remove_edge(src, dst, i, j))
    restore = menu.addAction("Restore all edges", lambda: scene.restore_edges(src, dst))
    conn = scene.graph.connections.get((src, dst))
    restore.setEnabled(conn is not None and conn.masked_count() > 0)
    menu.addAction("Delete connection", lambda: scene.delete_connection(src, dst))
