"""The picture of one Node: a column of neurons with a header and two ports.

The item's position is the Node's position: the centre of its neuron column.
Up to ``MAX_DRAWN`` neurons are drawn as circles (TensorFlow Playground's look);
a larger node is a compact rounded column showing the count, with its neurons
spread along it as edge endpoints. While training on 2-D data a drawn neuron can
show a thumbnail of its output over the input plane instead of a plain circle
(TensorFlow Playground's signature view). The item only mirrors the Node; moving
it by mouse is committed to the Graph by the scene when the drag ends.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from engine import Node

from engine.model.preprocessing import Preprocessing
from gui.canvas.node_values import NodeValues
from gui.canvas.thumbnail import neuron_thumbnail, thumbnail_range
from gui.canvas.transform_badge import (TransformBadge, input_line, input_tooltip, output_tooltip,
                                        shows_badge)
from gui.core import colormap

NEURON_R = 9.0
PITCH = 24.0
COLUMN_W = 30.0
MAX_DRAWN = 32
COMPACT_H = 384.0
PORT_R = 6.0
PORT_GAP = 11.0
HEADER_H = 16.0
THUMB_SIDE = 20.0   # a thumbnail fills the neuron's row (PITCH) but for a small gap
KIND_COLOR = {"input": QColor(76, 175, 80), "hidden": QColor(120, 144, 186),
              "output": QColor(186, 104, 200)}
SELECTED = QColor(255, 213, 79)
TEXT = QColor(223, 227, 232)
NEURON_FILL = QColor(232, 234, 235)


def column_height(size: int) -> float:
    """Height of the neuron column of a node of ``size`` neurons."""
    return size * PITCH if size <= MAX_DRAWN else COMPACT_H


def neuron_offsets(size: int) -> np.ndarray:
    """Vertical offset of each neuron from the node's centre (float64, length size)."""
    h = column_height(size)
    return -h / 2 + (np.arange(size, dtype=np.float64) + 0.5) * (h / size)


def edge_x(size: int) -> float:
    """Horizontal distance from the centre to where edges attach (either side)."""
    return NEURON_R if size <= MAX_DRAWN else COLUMN_W / 2


def header_text(node: Node) -> str:
    parts = [node.label, str(node.size)]
    if node.kind != "input":
        parts.append(node.activation)
    return " · ".join(parts)


class NodeItem(QGraphicsItem):
    """A node on the canvas; ``connections`` are the ConnectionItems attached to it."""

    Z = 10.0

    def __init__(self, node: Node):
        super().__init__()
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(self.Z)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.connections: list = []
        self._values: np.ndarray | None = None
        self._value_colors: list[QColor] | None = None
        self._value_strip: QImage | None = None
        self._images: list[QImage] | None = None
        self._hover_port: str | None = None
        self._hover = False
        self._target = False
        self._preprocessing: Preprocessing | None = None
        self._badge: TransformBadge | None = None
        self.node = node
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self._values_item: NodeValues | None = None
        self._apply(node)
        self._values_item = NodeValues(self)
        self.setPos(*node.position)

    # ----- mirroring the Node ----------------------------------------------
    @property
    def node_id(self) -> str:
        return self.node.id

    def set_node(self, node: Node) -> None:
        """Follow a changed Node (size, activation, kind, name, position)."""
        resized = node.size != self.node.size
        self.node = node
        self._apply(node)
        if resized:
            self._values = self._value_colors = self._value_strip = self._images = None
        if (self.pos().x(), self.pos().y()) != node.position:
            self.setPos(*node.position)
        self.update()
        self._values_item.update()

    def _apply(self, node: Node) -> None:
        self.prepareGeometryChange()
        if self._values_item is not None:
            self._values_item.prepareGeometryChange()
        self.offsets = neuron_offsets(node.size)
        self.half_height = column_height(node.size) / 2
        self.edge_dx = edge_x(node.size)
        self.drawn = node.size <= MAX_DRAWN
        self.header = header_text(node)
        width = QFontMetricsF(self._font).horizontalAdvance(self.header) + 8
        top = -self.half_height - 6 - HEADER_H
        self._header_rect = QRectF(-width / 2, top, width, HEADER_H)
        self._column_rect = QRectF(-COLUMN_W / 2, -self.half_height - 4,
                                   COLUMN_W, 2 * self.half_height + 8)
        px = COLUMN_W / 2 + PORT_GAP + PORT_R + 2
        self._bounds = self._header_rect.united(self._column_rect).united(
            QRectF(-px, -PORT_R - 2, 2 * px, 2 * PORT_R + 4)).adjusted(-2, -2, 2, 2)
        self._shape = QPainterPath()
        self._shape.setFillRule(Qt.WindingFill)
        self._shape.addRect(self._column_rect)
        self._shape.addRect(self._header_rect)
        for port in ("in", "out"):
            if self.has_port(port):
                self._shape.addEllipse(self.port_offset(port), PORT_R + 3, PORT_R + 3)
        self._apply_transform()

    # ----- the fitted transform ----------------------------------------------------
    def set_preprocessing(self, preprocessing: Preprocessing | None) -> None:
        """Show the design's fitted transform: a badge on the input (and a regression's output)."""
        self._preprocessing = preprocessing
        self._apply_transform()
        self.update()

    def transform_badge(self) -> TransformBadge | None:
        """The "μσ" badge, while the node shows one."""
        return self._badge

    def _apply_transform(self) -> None:
        node, p = self.node, self._preprocessing
        tip = (f"{node.label}: {node.kind}, {node.size} neuron{'s' if node.size != 1 else ''}"
               + ("" if node.kind == "input" else f", {node.activation}"))
        extra = None
        if p is not None and node.kind in ("input", "output"):
            extra = input_tooltip(p) if node.kind == "input" else output_tooltip(p)
        self.setToolTip(tip + (f"\n{extra}" if extra else ""))
        if not shows_badge(node.kind, p):
            if self._badge is not None:
                self._badge.setParentItem(None)
                if self._badge.scene() is not None:
                    self._badge.scene().removeItem(self._badge)
                self._badge = None
            return
        if self._badge is None:
            self._badge = TransformBadge(self)
        self._badge.setToolTip(extra)
        self._badge.setPos(0.0, self._header_rect.top() - self._badge.height() - 3)

    def _neuron_transform(self, k: int) -> str:
        """A neuron's line of the transform: its input's mean and deviation, or the target's scale."""
        p = self._preprocessing
        if p is None:
            return ""
        if self.node.kind == "input" and k < len(p.inputs):
            return "\n" + input_line(p, k)
        if self.node.kind == "output" and p.task == "regression":
            return "\n" + output_tooltip(p)
        if self.node.kind == "output" and k < len(p.classes) and len(p.classes) == self.node.size:
            return f"\nclass {p.classes[k]}"
        return ""

    def difference(self, node: Node) -> str | None:
        """None if this item shows ``node`` exactly (data, position, neurons), else how not."""
        if self.node != node:
            return f"node {node.id}: the item shows {self.node}, the graph has {node}"
        if (self.pos().x(), self.pos().y()) != node.position or len(self.offsets) != node.size:
            return f"node {node.id}: drawn at {self.pos().toTuple()} with {len(self.offsets)} neurons"
        return None

    # ----- geometry ----------------------------------------------------------
    def has_port(self, port: str) -> bool:
        return (port == "in" and self.node.kind != "input") or \
               (port == "out" and self.node.kind != "output")

    def port_offset(self, port: str) -> QPointF:
        dx = COLUMN_W / 2 + PORT_GAP
        return QPointF(-dx if port == "in" else dx, 0.0)

    def port_scene_pos(self, port: str) -> QPointF:
        return self.mapToScene(self.port_offset(port))

    def port_at(self, scene_pos: QPointF, slack: float = 3.0) -> str | None:
        """Which port (if any) lies under ``scene_pos``."""
        p = self.mapFromScene(scene_pos)
        for port in ("out", "in"):
            if self.has_port(port):
                d = p - self.port_offset(port)
                if d.x() ** 2 + d.y() ** 2 <= (PORT_R + slack) ** 2:
                    return port
        return None

    def neuron_at(self, scene_pos: QPointF) -> int | None:
        p = self.mapFromScene(scene_pos)
        if not self._column_rect.contains(p):
            return None
        return int(np.clip(np.argmin(np.abs(self.offsets - p.y())), 0, self.node.size - 1))

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        """Column, header and ports: the gaps beside the column belong to the edges."""
        return self._shape

    # ----- values ---------------------------------------------------------------
    def set_values(self, values: np.ndarray | None, vmax: float) -> None:
        """Tint each neuron by its value (diverging colours over ±vmax); None clears."""
        if values is None or np.shape(values) != (self.node.size,):
            self._values = self._value_colors = self._value_strip = None
        else:
            self._values = np.asarray(values, dtype=np.float64)
            colors = colormap.diverging(light=True)
            n = len(colors)
            t = np.zeros(self._values.shape) if not vmax > 0 else \
                np.nan_to_num(self._values / vmax, nan=0.0, posinf=1.0, neginf=-1.0)
            idx = np.clip(np.rint((t + 1) / 2 * (n - 1)).astype(int), 0, n - 1)
            if self.drawn:
                self._value_colors = [colors[k] for k in idx]
            else:   # one pixel per neuron, from a colour table: no Python loop over 784 neurons
                rgb = np.array([c.rgb() for c in colors], dtype=np.uint32)[idx]
                self._value_strip = QImage(rgb.tobytes(), 1, self.node.size, 4,
                                           QImage.Format_RGB32).copy()
        self._values_item.update()

    def values(self) -> np.ndarray | None:
        return self._values

    def set_images(self, images: np.ndarray | None) -> None:
        """Show each neuron's output over the input plane, ``images`` being (size, ny, nx).

        None, an empty array, a node drawn as a compact column or a wrong shape clears them.
        """
        images = None if images is None else np.asarray(images)
        if (images is None or not self.drawn or images.ndim != 3 or images.size == 0
                or len(images) != self.node.size):
            if self._images is not None:
                self._images = None
                self._values_item.update()
            return
        vrange = thumbnail_range(self.node.activation, images)
        self._images = [neuron_thumbnail(v, size=max(v.shape), vrange=vrange) for v in images]
        self._values_item.update()

    def images(self) -> list[QImage] | None:
        """The thumbnails drawn for the neurons, or None."""
        return self._images

    def set_target(self, on: bool) -> None:
        """Highlight as the node a connection being dragged would go to."""
        if on != self._target:
            self._target = on
            self.update()

    def is_target(self) -> bool:
        return self._target

    # ----- painting ----------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing, True)
        kind = KIND_COLOR.get(self.node.kind, KIND_COLOR["hidden"])
        fill = QColor(kind)
        fill.setAlpha(90 if self._hover or self._target else 55)
        strong = self.isSelected() or self._target
        outline = QPen(SELECTED if strong else kind, 2.5 if strong else 1.2)
        painter.setPen(outline)
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(self._column_rect, COLUMN_W / 2, COLUMN_W / 2)
        painter.setFont(self._font)
        painter.setPen(TEXT)
        painter.drawText(self._header_rect, Qt.AlignCenter, self.header)
        for port in ("in", "out"):
            if self.has_port(port):
                hot = self._hover_port == port
                painter.setPen(QPen(kind, 1.5))
                painter.setBrush(QBrush(kind if hot else colormap.BACKGROUND))
                r = PORT_R + (1.5 if hot else 0.0)
                painter.drawEllipse(self.port_offset(port), r, r)

    def values_rect(self) -> QRectF:
        """Where the values are drawn (the values layer's bounds)."""
        return self._column_rect.adjusted(-1, -1, 1, 1)

    def paint_values(self, painter: QPainter) -> None:
        """The neurons tinted by value, the thumbnails, or the value strip (the values layer)."""
        painter.setRenderHint(QPainter.Antialiasing, True)
        kind = KIND_COLOR.get(self.node.kind, KIND_COLOR["hidden"])
        if self.drawn and self._images is not None:
            self._paint_images(painter, kind)
        elif self.drawn:
            painter.setPen(QPen(kind, 1.2))
            for k, y in enumerate(self.offsets):
                color = self._value_colors[k] if self._value_colors else NEURON_FILL
                painter.setBrush(QBrush(color))
                painter.drawEllipse(QPointF(0.0, y), NEURON_R, NEURON_R)
        else:
            inner = self._column_rect.adjusted(5, 6, -5, -6)
            if self._value_strip is not None:
                painter.drawImage(inner, self._value_strip)
            else:
                self._paint_count(painter)

    def _paint_images(self, painter: QPainter, kind: QColor) -> None:
        painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
        painter.setPen(QPen(kind, 1.2))
        painter.setBrush(Qt.NoBrush)
        h = THUMB_SIDE / 2
        for image, y in zip(self._images, self.offsets):
            rect = QRectF(-h, y - h, THUMB_SIDE, THUMB_SIDE)
            painter.drawImage(rect, image)
            painter.drawRoundedRect(rect, 2.0, 2.0)

    def _paint_count(self, painter: QPainter) -> None:
        painter.save()
        painter.setPen(TEXT)
        painter.setFont(self._font)
        painter.rotate(-90)
        painter.drawText(QRectF(-self.half_height, -COLUMN_W / 2, 2 * self.half_height, COLUMN_W),
                         Qt.AlignCenter, f"{self.node.size:,} neurons")
        painter.restore()

    # ----- interaction -----------------------------------------------------------
    def hoverEnterEvent(self, event) -> None:
        self._hover = True
        self.update()

    def hoverMoveEvent(self, event) -> None:
        port = self.port_at(event.scenePos())
        if port != self._hover_port:
            self._hover_port = port
            self.setCursor(Qt.CrossCursor if port == "out" else Qt.ArrowCursor)
            self.update()
        k = self.neuron_at(event.scenePos())
        if port is not None:
            self.setToolTip("drag to another node to connect" if port == "out"
                            else f"input of {self.node.label}")
        elif k is not None and self._values is not None:
            self.setToolTip(f"{self.node.label}[{k}] = {self._values[k]:.4g}" + self._neuron_transform(k))
        elif k is not None:
            self.setToolTip(f"{self.node.label}[{k}]" + self._neuron_transform(k))

    def hoverLeaveEvent(self, event) -> None:
        self._hover = False
        self._hover_port = None
        self.unsetCursor()
        self.update()

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionHasChanged:
            for conn in self.connections:
                conn.update_geometry(coarse=True)
        return super().itemChange(change, value)
