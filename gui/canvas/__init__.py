"""The canvas: a QGraphicsScene that mirrors the Graph, and its view."""
from gui.canvas.scene import CanvasScene
from gui.canvas.view import CanvasView

__all__ = ["CanvasScene", "CanvasView"]
