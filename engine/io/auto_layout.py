"""Positions for a design made in the engine (an imported model): one column per depth, left to right.

The GUI's own layout (gui.canvas.layout) measures the drawn nodes; this one, without Qt,
only spaces the columns and centres each one on y = 0, which is all a chain of layers needs.
Nodes with no connection at all are not part of any chain: both layouts put them in a
grid beside the connected part (``grid_shape``), rather than stacked in the first column.
"""
from __future__ import annotations

import math

COLUMN_SPACING = 200.0
ROW_SPACING = 160.0


def unconnected(graph) -> list[str]:
    """The ids of nodes with no connection in or out, in the graph's order."""
    linked = {node_id for key in graph.connections for node_id in key}
    return [node_id for node_id in graph.nodes if node_id not in linked]


def grid_shape(count: int) -> tuple[int, int]:
    """(columns, rows) of a near-square grid for ``count`` nodes, never taller than wide."""
    columns = math.ceil(math.sqrt(count)) if count else 0
    return columns, (math.ceil(count / columns) if columns else 0)


def layered_positions(graph) -> dict[str, tuple[float, float]]:
    """A position for every node of ``graph``: x by depth, nodes of one depth stacked about y = 0;
    unconnected nodes in a grid to the right of the deepest column."""
    alone = unconnected(graph)
    depth = graph.depths()
    columns: dict[int, list[str]] = {}
    for node_id in graph.nodes:
        if node_id not in alone:
            columns.setdefault(depth[node_id], []).append(node_id)
    positions = {}
    for d, ids in columns.items():
        top = -ROW_SPACING * (len(ids) - 1) / 2
        for i, node_id in enumerate(ids):
            positions[node_id] = (d * COLUMN_SPACING, top + i * ROW_SPACING)
    first = max(columns) + 1 if columns else 0
    width, height = grid_shape(len(alone))
    top = -ROW_SPACING * (height - 1) / 2
    for k, node_id in enumerate(alone):
        row, column = divmod(k, width)
        positions[node_id] = ((first + column) * COLUMN_SPACING, top + row * ROW_SPACING)
    return positions


def lay_out(graph) -> None:
    """Move every node of ``graph`` to its ``layered_positions``."""
    for node_id, position in layered_positions(graph).items():
        graph.move_node(node_id, position)
