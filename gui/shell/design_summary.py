"""The design in words and numbers: kinds and losses as the inspector names them, trainable
parameters, and the status bar's one-line summary."""
from __future__ import annotations

from engine import Graph

LOSS_TEXT = {"mse": "mse (regression)", "bce": "bce (sigmoid output)",
             "softmax_ce": "softmax_ce (softmax output)"}
KIND_TEXT = {"input": "input (the data's features)", "hidden": "hidden",
             "output": "output (the prediction)"}


def parameter_count(graph: Graph) -> int:
    """Trainable numbers: present (unmasked) edges plus one bias per non-input neuron."""
    return graph.edge_count() + sum(n.size for n in graph.nodes.values() if n.kind != "input")


def design_summary(graph: Graph) -> str:
    """One line for the status bar: nodes, edges, loss."""
    n, e = len(graph.nodes), graph.edge_count()
    return (f"{n} node{'s' * (n != 1)} · {e:,} edge{'s' * (e != 1)} · "
            f"{parameter_count(graph):,} parameters · loss {graph.loss}")
