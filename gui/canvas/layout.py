"""Automatic layout: one column per depth, left to right, each column centred.

Depth is the longest path from a source (``Graph.depths``). Within a column
nodes keep their current top-to-bottom order. The whole layout is placed where
the design already is (same left edge, same top).
"""
from __future__ import annotations

from engine import Graph

from gui.canvas.node_item import HEADER_H, column_height

COLUMN_SPACING = 200.0
ROW_GAP = 40.0


def _extent(size: int) -> tuple[float, float]:
    """Space above and below a node's centre, header included."""
    half = column_height(size) / 2
    return half + 10 + HEADER_H, half + 4


def column_layout(graph: Graph) -> dict[str, tuple[float, float]]:
    """New positions (column centres) for every node of ``graph``."""
    if not graph.nodes:
        return {}
    depth = graph.depths()
    columns: dict[int, list] = {}
    for n in sorted(graph.nodes.values(), key=lambda n: (n.position[1], n.id)):
        columns.setdefault(depth[n.id], []).append(n)
    left = round(min(n.position[0] for n in graph.nodes.values()))
    top = round(min(n.position[1] - _extent(n.size)[0] for n in graph.nodes.values()))
    extents = {d: [tuple(round(e) for e in _extent(n.size)) for n in nodes]
               for d, nodes in columns.items()}
    totals = {d: sum(a + b for a, b in ext) + round(ROW_GAP) * (len(ext) - 1)
              for d, ext in extents.items()}
    tallest = max(totals.values())
    positions = {}
    for d, nodes in columns.items():
        # Whole numbers throughout, and the tallest column starts at ``top``: a
        # second layout of the result changes nothing.
        y = top + (tallest - totals[d]) // 2
        for n, (above, below) in zip(nodes, extents[d]):
            positions[n.id] = (float(left + d * round(COLUMN_SPACING)), float(y + above))
            y += above + below + round(ROW_GAP)
    return positions
