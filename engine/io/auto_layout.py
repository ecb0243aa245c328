"""Positions for a design made in the engine (an imported model): one column per depth, left to right.

The GUI's own layout (gui.canvas.layout) measures the drawn nodes; this one, without Qt,
only spaces the columns and centres each one on y = 0, which is all a chain of layers needs.
"""
from __future__ import annotations

COLUMN_SPACING = 200.0
ROW_SPACING = 160.0


def layered_positions(graph) -> dict[str, tuple[float, float]]:
    """A position for every node of ``graph``: x by depth, nodes of one depth stacked about y = 0."""
    depth = graph.depths()
    columns: dict[int, list[str]] = {}
    for node_id in graph.nodes:
        columns.setdefault(depth[node_id], []).append(node_id)
    positions = {}
    for d, ids in columns.items():
        top = -ROW_SPACING * (len(ids) - 1) / 2
        for i, node_id in enumerate(ids):
            positions[node_id] = (d * COLUMN_SPACING, top + i * ROW_SPACING)
    return positions


def lay_out(graph) -> None:
    """Move every node of ``graph`` to its ``layered_positions``."""
    for node_id, position in layered_positions(graph).items():
        graph.move_node(node_id, position)
