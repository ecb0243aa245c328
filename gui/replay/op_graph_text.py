"""What the graph-of-operations window writes beside the graph, and which scalars a replay
frame lights up. This module imports no Qt.

``paths_html`` lists every path from a weight to the loss with the product of its local
derivatives and their sum (= ∂L/∂w); ``counts_html`` sets the multiplications of naive
path enumeration against those of backpropagation, for the weight and the whole network.
"""
from __future__ import annotations

import html

from engine.nn import path_count
from engine.nn.op_graph import OpGraph
from gui.core.formatting import fmt

WHY = ("Backpropagation computes each scalar's gradient once, walking back from the loss, "
       "and reuses it for every path through that scalar; enumeration multiplies out each "
       "path on its own, so every branch doubles its work.")


def _name(g: OpGraph, sid: int) -> str:
    s = g.scalars[sid]
    return s.label or f"{s.op}"


def paths_html(g: OpGraph, weight: int, limit: int = path_count.MAX_LISTED) -> str:
    """Each path from ``weight`` to L: its scalars, its factors, their product; then the sum."""
    w = g.scalars[weight]
    stats = path_count.counts(g, [weight])
    listed = path_count.paths_to_loss(g, weight, limit)
    head = (f"<h3>Paths from {html.escape(w.label)} to the loss</h3>"
            f"<p>{stats.paths} path{'s' if stats.paths != 1 else ''}. Along each, the chain "
            f"rule multiplies the local derivatives; ∂L/∂w is the sum over the paths.</p>")
    rows = []
    for k, p in enumerate(listed, 1):
        via = " → ".join(html.escape(_name(g, i)) for i in p.ids[1:-1] if g.scalars[i].label)
        factors = " · ".join(fmt(f) for f in p.factors)
        rows.append(f"<tr><td>{k}</td><td>via {via or 'L'}<br><span style='color:#7a4b00'>"
                    f"{factors}</span></td><td align='right'>{fmt(p.product)}</td></tr>")
    more = ""
    if stats.paths > len(listed):
        more = f"<p>… and {stats.paths - len(listed)} more (the first {len(listed)} are listed).</p>"
    total = sum(p.product for p in path_count.paths_to_loss(g, weight, stats.paths))
    table = ("<table cellspacing='0' cellpadding='3' border='0'>"
             "<tr><th>#</th><th align='left'>path and local derivatives</th>"
             "<th align='right'>product</th></tr>" + "".join(rows) + "</table>")
    summed = (f"<p><b>Sum of the products = {fmt(total)}</b>; backpropagation gives "
              f"∂L/∂w = {fmt(w.grad)}.</p>")
    return head + table + more + summed


def counts_html(g: OpGraph, weight: int | None, network: path_count.Counts | None,
                network_problem: str = "") -> str:
    """Multiplications: naive enumeration against reusing δ, for the weight and the network."""
    rows = []
    if weight is not None:
        c = path_count.counts(g, [weight])
        rows.append((f"this weight ({html.escape(g.scalars[weight].label)})", c))
    if network is not None:
        rows.append(("every weight and bias of the network", network))
    body = "".join(f"<tr><td>{what}</td><td align='right'>{c.paths}</td>"
                   f"<td align='right'>{c.enumeration}</td><td align='right'>{c.backprop}</td></tr>"
                   for what, c in rows)
    table = ("<table cellspacing='0' cellpadding='3'><tr><th align='left'>gradient of</th>"
             "<th>paths</th><th>enumeration ×</th><th>backprop ×</th></tr>" + body + "</table>")
    note = f"<p><i>{html.escape(network_problem)}</i></p>" if network_problem else ""
    return (f"<h3>Why backpropagation is efficient</h3>{table}{note}<p>{WHY}</p>"
            "<p style='color:#555'>A path of m edges takes m − 1 multiplications; "
            "backpropagation takes one per edge on the way to the loss.</p>")


def lit_scalars(g: OpGraph, phase: str, node: str, path: str | None = None) -> set[int]:
    """The scalars a replay frame works on: a node's operations forward or backward, the
    loss, the products one path carries back, or every parameter at the update."""
    if phase == "update":
        return {s.id for s in g.scalars if s.kind in ("weight", "bias")}
    if phase == "loss":
        return {s.id for s in g.scalars if s.kind in ("loss", "output")}
    own = {s.id for s in g.scalars if s.neuron is not None and s.neuron[0] == node
           and (s.op or s.kind in ("input", "source"))}
    if phase == "gather" and path is not None:
        mine = {s.id for s in g.scalars if s.neuron is not None and s.neuron[0] == node}
        return {s.id for s in g.scalars if s.kind == "product" and s.neuron[0] == path
                and mine & set(s.inputs)} | {i for i in own if g.scalars[i].kind != "sum"}
    if phase == "backward":
        own |= {s.id for s in g.scalars if s.neuron is not None and s.neuron[0] == node
                and s.kind in ("weight", "bias")}
    return own
