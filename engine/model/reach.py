"""Which nodes reach the output: the loss depends on these and on nothing else."""
from __future__ import annotations


def nodes_reaching_output(graph) -> set[str]:
    """The output node and every node with a path to it (empty when there is no output).

    A node outside this set gets no gradient from the data, and exports leave it out.
    """
    out = graph.output_node()
    if out is None:
        return set()
    sources: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for src, dst in graph.connections:
        sources[dst].append(src)
    live, stack = set(), [out.id]
    while stack:
        n = stack.pop()
        if n not in live:
            live.add(n)
            stack.extend(sources[n])
    return live
