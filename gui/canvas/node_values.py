"""What a node shows of its values (tinted neurons, a value strip, thumbnails), as a child item.

A training snapshot changes the values several times a second, not the node's body: the
translucent, antialiased column, its header and its ports (~0.8 ms to draw for a tall
column). Drawn by a child item with its own cached picture, new values repaint only
themselves, and the body stays in its pixmap. The child takes no clicks or hovers (its shape
is empty): they reach the node beneath, as before. The node keeps the values and draws them
(``NodeItem.paint_values``); this item only gives them their own layer.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsItem


class NodeValues(QGraphicsItem):
    """The values layer of a NodeItem (its parent)."""

    def __init__(self, node_item: QGraphicsItem):
        super().__init__(node_item)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)

    def boundingRect(self) -> QRectF:
        return self.parentItem().values_rect()

    def shape(self) -> QPainterPath:
        return QPainterPath()       # never under the mouse: the node is

    def paint(self, painter: QPainter, option, widget=None) -> None:
        self.parentItem().paint_values(painter)
