"""Automatic layout: one column per depth, left to right, each column centred.

Depth is the longest path from a source (``Graph.depths``). Within a column
nodes keep their current top-to-bottom order. The whole layout is placed where
the design already is (same left edge, same top). Nodes with no connection at all
go in a near-square grid to the right of the connected part (rows aligned, in
reading order), so that a handful of fresh nodes does not become one tall column.
"""
from __future__ import annotations

from engine import Graph
from engine.io.auto_layout import grid_shape, unconnected

from gui.canvas.node_item import HEADER_H, column_height

COLUMN_SPACING = 200.0
ROW_GAP = 40.0


def _extent(size: int) -> tuple[int, int]:
    """Space above and below a node's centre, header included (whole numbers)."""
    half = column_height(size) / 2
    return round(half + 10 + HEADER_H), round(half + 4)


def column_layout(graph: Graph) -> dict[str, tuple[float, float]]:
    """New positions (column centres) for every node of ``graph``."""
    if not graph.nodes:
        return {}
    alone = set(unconnected(graph))
    depth = graph.depths()
    columns: dict[int, list] = {}
    for n in sorted(graph.nodes.values(), key=lambda n: (n.position[1], n.id)):
        if n.id not in alone:
            columns.setdefault(depth[n.id], []).append(n)
    left = round(min(n.position[0] for n in graph.nodes.values()))
    top = round(min(n.position[1] - _extent(n.size)[0] for n in graph.nodes.values()))
    extents = {d: [_extent(n.size) for n in nodes] for d, nodes in columns.items()}
    totals = {d: sum(a + b for a, b in ext) + round(ROW_GAP) * (len(ext) - 1)
              for d, ext in extents.items()}
    tallest = max(totals.values(), default=0)
    positions = {}
    for d, nodes in columns.items():
        # Whole numbers throughout, and the tallest column starts at ``top``: a
        # second layout of the result changes nothing.
        y = top + (tallest - totals[d]) // 2
        for n, (above, below) in zip(nodes, extents[d]):
            positions[n.id] = (float(left + d * round(COLUMN_SPACING)), float(y + above))
            y += above + below + round(ROW_GAP)
    first = left + (max(columns) + 1 if columns else 0) * round(COLUMN_SPACING)
    positions.update(_grid(graph, alone, first, top))
    return positions


def _grid(graph: Graph, alone: set, left: int, top: int) -> dict[str, tuple[float, float]]:
    """Unconnected nodes in rows from (left, top), in reading order; a row's nodes share one y."""
    nodes = sorted((graph.nodes[i] for i in alone), key=lambda n: (n.position[1], n.position[0], n.id))
    width, _ = grid_shape(len(nodes))
    positions = {}
    y = top
    for start in range(0, len(nodes), max(width, 1)):
        row = nodes[start:start + width]
        above = max(_extent(n.size)[0] for n in row)
        below = max(_extent(n.size)[1] for n in row)
        for k, n in enumerate(row):
            positions[n.id] = (float(left + k * round(COLUMN_SPACING)), float(y + above))
        y += above + below + round(ROW_GAP)
    return positions
