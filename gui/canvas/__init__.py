"""The canvas: a QGraphicsScene that mirrors the Graph, and its view."""
from .scene import CanvasScene
from .view import CanvasView

__all__ = ["CanvasScene", "CanvasView"]
