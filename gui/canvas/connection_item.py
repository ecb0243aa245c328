"""The picture of one Connection: every unmasked neuron-to-neuron edge, drawn in bulk.

Following ARCHITECTURE.md's measurements: the endpoints of all edges live in one
numpy array (float32: line_drawing.LINE_DTYPE); edges are binned into a few pens and
each bin is one ``QPainter.drawLines`` call reading straight from a contiguous float64
buffer of the drawn edges (the grey layer widens its float32 lines a block at a time);
the painter clips to the bounding rect and draws without antialiasing. Above
``LOD_EDGES`` edges a child layer (grey_layer.py) keeps every edge in grey as a
picture, redrawn on worker threads after a zoom or drag, and the item redraws only the
``TOP_K`` strongest edges on top.
The item sits at the scene origin, so its coordinates are scene coordinates.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem

from gui.core import colormap
from gui.canvas.device_picture import DevicePicture
from gui.canvas.edge_pens import WEIGHT_LEVELS, gradient_pens, grey_pens, weight_pens
from gui.canvas.grey_layer import GreyLayer as _GreyLayer
from gui.canvas.line_drawing import LINE_BYTES, LINE_DTYPE, draw_line_buffer  # noqa: F401  (re-exported)
from gui.canvas.line_drawing import cosmetic_pen as _pen
from gui.canvas.node_item import SELECTED

LOD_EDGES = 8000      # above this, the grey layer is cached and only TOP_K are redrawn
TOP_K = 4000
MARGIN = 4.0


class ConnectionItem(QGraphicsItem):
    """All edges of ``src_item`` → ``dst_item``; follows both nodes and the mask."""

    Z = 0.0

    def __init__(self, src_item, dst_item, mask: np.ndarray | None):
        super().__init__()
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(self.Z)
        self.src, self.dst = src_item, dst_item
        src_item.connections.append(self)
        dst_item.connections.append(self)
        self.selected_edge: tuple[int, int] | None = None
        self._hover = False
        self._mask = mask
        self._given: np.ndarray | None = None       # values as set: dst × src
        self._values: np.ndarray | None = None      # one value per unmasked edge
        self._mode = "gradient"
        self._scale: tuple[float, float] | None = None
        self._coarse = False
        self._grey: _GreyLayer | None = None
        self._picture = DevicePicture(self)     # the coloured edges, between two changes
        self._rect = QRectF()
        self._shape = QPainterPath()
        self._rebuild_edges()
        self.update_geometry()

    # ----- identity ---------------------------------------------------------
    @property
    def key(self) -> tuple[str, str]:
        return (self.src.node_id, self.dst.node_id)

    @property
    def shape_ij(self) -> tuple[int, int]:
        return (self.dst.node.size, self.src.node.size)

    def edge_count(self) -> int:
        return self._count

    # Edge k joins source neuron j[k] to destination neuron i[k]. A dense connection keeps no
    # index arrays until asked (k = i·ns + j): 15 MB fewer at 1.86 M edges while it is drawn.
    @property
    def i(self) -> np.ndarray:
        return self._indices()[0]

    @property
    def j(self) -> np.ndarray:
        return self._indices()[1]

    def _indices(self) -> tuple[np.ndarray, np.ndarray]:
        if self._ij is None:
            nd, ns = self._dense_shape
            self._ij = (np.repeat(np.arange(nd, dtype=np.int32), ns),
                        np.tile(np.arange(ns, dtype=np.int32), nd))
        return self._ij

    def edge_label(self, i: int, j: int) -> str:
        return f"{self.src.node.label}[{j}] → {self.dst.node.label}[{i}]"

    def detach(self) -> None:
        """Forget both nodes (before the item leaves the scene)."""
        for item in (self.src, self.dst):
            if self in item.connections:
                item.connections.remove(self)

    def difference(self, conn, src_item, dst_item) -> str | None:
        """None if this item draws exactly the unmasked edges of ``conn`` between the two
        node items, where they are now; else the first difference."""
        key = conn.pair
        if self.src is not src_item or self.dst is not dst_item or self not in src_item.connections \
                or self not in dst_item.connections or self.scene() is not src_item.scene():
            return f"connection {key}: the item is not attached to its nodes"
        expected = self.shape_ij[0] * self.shape_ij[1] - conn.masked_count()
        if self.edge_count() != expected:
            return f"connection {key}: {self.edge_count()} edges drawn, the graph has {expected}"
        if conn.mask is not None and not conn.mask[self.i, self.j].all():
            return f"connection {key}: a masked edge is drawn"
        sp, dp = self.src.pos(), self.dst.pos()
        lines = np.column_stack([
            np.full(self._count, sp.x() + self.src.edge_dx), sp.y() + self.src.offsets[self.j],
            np.full(self._count, dp.x() - self.dst.edge_dx), dp.y() + self.dst.offsets[self.i]])
        if not np.array_equal(self.lines, lines.astype(self.lines.dtype)):
            return f"connection {key}: edge endpoints do not follow the nodes"
        return None

    # ----- edges and geometry -----------------------------------------------
    def set_mask(self, mask: np.ndarray | None) -> None:
        self._mask = mask
        self.refresh()

    def refresh(self) -> None:
        """Rebuild after a mask or node size change."""
        self._rebuild_edges()
        self._take_values(self._given)
        self.update_geometry()

    def _rebuild_edges(self) -> None:
        nd, ns = self.shape_ij
        mask = self._mask
        if mask is not None and mask.shape != (nd, ns):
            # A restore may announce a node's new size before the mask's; pad or crop meanwhile.
            fixed = np.ones((nd, ns), np.uint8)
            r, k = min(nd, mask.shape[0]), min(ns, mask.shape[1])
            fixed[:r, :k] = mask[:r, :k]
            mask = fixed
        self._dense = mask is None
        self._dense_shape = (nd, ns)
        if self._dense:
            self._ij, self._count = None, nd * ns
        else:
            self._ij = tuple(a.astype(np.int32) for a in np.nonzero(mask))
            self._count = len(self._ij[0])
        if self.selected_edge is not None and not self.has_edge(*self.selected_edge):
            self.select_edge(None)
        lod = self._count > LOD_EDGES
        if lod and self._grey is None:
            self._grey = _GreyLayer(self)
        elif not lod and self._grey is not None:
            self._grey.setParentItem(None)
            if self.scene() is not None:
                self.scene().removeItem(self._grey)
            self._grey = None

    def has_edge(self, i: int, j: int) -> bool:
        nd, ns = self.shape_ij
        if not (0 <= i < nd and 0 <= j < ns):
            return False
        return self._mask is None or self._mask.shape != (nd, ns) or bool(self._mask[i, j])

    def is_lod(self) -> bool:
        return self._grey is not None

    def update_geometry(self, coarse: bool = False) -> None:
        """Recompute every endpoint from the two node items (vectorised)."""
        sp, dp = self.src.pos(), self.dst.pos()
        x1, x2 = sp.x() + self.src.edge_dx, dp.x() - self.dst.edge_dx
        lines = np.empty((self._count, 4), dtype=LINE_DTYPE)
        lines[:, 0] = x1
        lines[:, 2] = x2
        nd, ns = self._dense_shape
        if self._dense:   # broadcast: no edge-sized temporaries
            grid = lines.reshape(nd, ns, 4)
            grid[:, :, 1] = sp.y() + self.src.offsets[None, :ns]
            grid[:, :, 3] = (dp.y() + self.dst.offsets[:nd])[:, None]
        else:
            lines[:, 1] = sp.y() + self.src.offsets[self.j]
            lines[:, 3] = dp.y() + self.dst.offsets[self.i]
        self.lines = lines
        sh, dh = self.src.half_height, self.dst.half_height
        corners = [QPointF(x1, sp.y() - sh), QPointF(x2, dp.y() - dh),
                   QPointF(x2, dp.y() + dh), QPointF(x1, sp.y() + sh)]
        self.prepareGeometryChange()
        self._rect = QPolygonF(corners).boundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        hull = QPainterPath()
        hull.addPolygon(QPolygonF(corners + corners[:1]))
        stroker = QPainterPathStroker()
        stroker.setWidth(2 * MARGIN)
        self._shape = hull.united(stroker.createStroke(hull))
        self._hull = hull
        self._coarse = coarse
        # a rough mean edge length (scene units): what a stand-in or a full redraw costs
        self._mean_length = math.hypot(x2 - x1, abs(dp.y() - sp.y()) + 0.5 * (sh + dh))
        self._select_drawn()
        if self._grey is not None:
            self._grey.geometry_changed()
        self.update()

    def mean_length(self) -> float:
        return self._mean_length

    def is_coarse(self) -> bool:
        return self._coarse

    def set_coarse(self) -> None:
        """Let the grey layer draw a subsample (during a zoom); ``refine`` ends it."""
        self._coarse = True

    def refine(self) -> None:
        """After a drag or a zoom: let the grey layer draw every edge again."""
        if self._coarse:
            self._coarse = False
            if self._grey is not None:
                self._grey.refine()

    def grey_lines(self) -> np.ndarray:
        if self._coarse and len(self.lines) > LOD_EDGES:
            step = -(-len(self.lines) // LOD_EDGES)
            return np.ascontiguousarray(self.lines[::step])
        return self.lines

    # ----- values and colour bins ---------------------------------------------
    def _take_values(self, values) -> None:
        if values is None or np.shape(values) != self.shape_ij:
            self._given = self._values = None
        else:
            self._given = values
            values = np.asarray(values, dtype=np.float64)
            self._values = values.reshape(-1).copy() if self._dense else values[self.i, self.j]

    def magnitudes(self) -> np.ndarray | None:
        """|value| of each unmasked edge, or None without values."""
        return None if self._values is None else np.abs(self._values)

    @property
    def pens(self) -> tuple[QPen, ...]:
        """The pen of each bin: edge ``drawn[k]`` is drawn with ``pens[drawn_bins[k]]``."""
        return self._pens

    def set_values(self, values: np.ndarray | None, mode: str,
                   scale: tuple[float, float] | None) -> None:
        """Colour edges by ``values`` (dst × src); a shape that does not fit clears them."""
        self._mode, self._scale = mode, scale
        self._take_values(values)
        if not self._select_drawn(values_only=True):
            self.update()

    def _select_drawn(self, values_only: bool = False) -> bool:
        """Choose the drawn edges, their pens and the draw order (weakest first); True if
        the coloured picture is queued to render them (see DevicePicture.invalidate)."""
        m = self._count
        mag = self.magnitudes()
        if mag is None:
            chosen = np.empty(0, np.intp) if self.is_lod() else np.arange(m)
            bins = np.zeros(len(chosen), np.intp)
            self._pens = grey_pens()
        else:
            if self.is_lod() and m > TOP_K:
                chosen = np.argpartition(-mag, TOP_K - 1)[:TOP_K]
            else:
                chosen = np.arange(m)
            if self._mode == "weight":
                wmax = self._scale[1] if self._scale else 0.0
                level = colormap.linear_bins(mag[chosen], wmax, WEIGHT_LEVELS)
                bins = 2 * level + (self._values[chosen] > 0)
                self._pens = weight_pens()
            else:
                bins = colormap.log_bins(mag[chosen], self._scale)
                self._pens = gradient_pens()
        order = np.argsort(bins, kind="stable")
        self.drawn = chosen[order]
        self.drawn_bins = bins[order]
        counts = np.bincount(self.drawn_bins, minlength=len(self._pens))
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        self._batches = [(b, int(starts[b]), int(counts[b])) for b in np.flatnonzero(counts)]
        self._drawn_lines = np.ascontiguousarray(self.lines[self.drawn], dtype=np.float64)
        return self._picture.invalidate(values_only, len(self._drawn_lines))

    # ----- picking ----------------------------------------------------------------
    def nearest_edge(self, scene_pos: QPointF, tolerance: float) -> tuple[int, int] | None:
        """The (dst_index, src_index) of the edge nearest to ``scene_pos`` within ``tolerance``."""
        if not len(self.lines):
            return None
        px, py = scene_pos.x(), scene_pos.y()
        ax, ay, bx, by = self.lines.T
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(length2 > 0, length2, 1.0), 0, 1)
        d2 = (ax + t * dx - px) ** 2 + (ay + t * dy - py) ** 2
        k = int(np.argmin(d2))
        if d2[k] > tolerance * tolerance:
            return None
        if self._dense:
            return divmod(int(k), self._dense_shape[1])
        return int(self.i[k]), int(self.j[k])

    def select_edge(self, edge: tuple[int, int] | None) -> None:
        self.selected_edge = edge
        self._raise_if_chosen()
        self.update()

    def _raise_if_chosen(self) -> None:
        # A selected connection or edge is drawn above the other fans.
        chosen = self.isSelected() or self.selected_edge is not None
        self.setZValue(self.Z + (1.0 if chosen else 0.0))

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemSelectedHasChanged:
            self._raise_if_chosen()
        return super().itemChange(change, value)

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        return self._shape

    def collidesWithPath(self, path: QPainterPath, mode=Qt.IntersectsItemShape) -> bool:
        # A rubber band takes a connection only when it encloses the whole fan, so
        # sweeping over nodes does not also pick the connections leaving the band.
        return not path.isEmpty() and path.contains(self._hull.boundingRect())

    # ----- painting ----------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setClipRect(self._rect, Qt.IntersectClip)
        painter.setRenderHint(QPainter.Antialiasing, False)
        if self.isSelected() or self._hover:
            color = QColor(SELECTED)
            color.setAlpha(40 if self.isSelected() else 18)
            painter.setPen(QPen(SELECTED, 1.5, Qt.DashLine) if self.isSelected() else Qt.NoPen)
            painter.setBrush(QBrush(color))
            painter.drawPath(self._hull)
        self._picture.paint(painter, widget, self._rect, self._paint_edges, direct=self._coarse)
        if self.selected_edge is not None:
            i, j = self.selected_edge
            sp, dp = self.src.pos(), self.dst.pos()
            painter.setRenderHint(QPainter.Antialiasing, True)
            painter.setPen(_pen(SELECTED, 3.0))
            painter.drawLine(QLineF(sp.x() + self.src.edge_dx, sp.y() + self.src.offsets[j],
                                    dp.x() - self.dst.edge_dx, dp.y() + self.dst.offsets[i]))

    def _paint_edges(self, painter: QPainter, start: int = 0, stop: int | None = None) -> None:
        """Draw the coloured edges ``drawn[start:stop]``, in their order (weakest first)."""
        painter.setRenderHint(QPainter.Antialiasing, False)
        lines = self._drawn_lines
        stop = len(lines) if stop is None else stop
        for b, first, count in self._batches:
            lo, hi = max(first, start), min(first + count, stop)
            if lo < hi:
                painter.setPen(self._pens[b])
                draw_line_buffer(painter, lines, lo, hi - lo)

    # ----- hover -------------------------------------------------------------------
    def hoverEnterEvent(self, event) -> None:
        self._hover = True
        self.update()

    def hoverMoveEvent(self, event) -> None:
        scene = self.scene()
        tol = scene.pick_tolerance(event.widget()) if scene is not None else MARGIN
        edge = self.nearest_edge(event.scenePos(), tol)
        if edge is None:
            nd, ns = self.shape_ij
            masked = nd * ns - self.edge_count()
            self.setToolTip(f"{self.src.node.label} → {self.dst.node.label}: {nd}×{ns} weights"
                            + (f", {masked} removed" if masked else ""))
        else:
            self.setToolTip(scene.edge_text(self, *edge) if scene is not None
                            else self.edge_label(*edge))

    def hoverLeaveEvent(self, event) -> None:
        self._hover = False
        self.update()
