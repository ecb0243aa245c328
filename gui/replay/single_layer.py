"""One frame per equation for the smallest network: one input vector, one layer, a loss.

For a design that is only input → output with an element-wise activation (the
"linear then sigmoid" example), the replay spells out each equation of backprop as
its own frame, with numbers:

  z = Wx + b       y = f(z)       (loss)
  ∂L/∂y            ∂L/∂z = ∂L/∂y · f′(z)       ∂L/∂W = ∂L/∂z · xᵀ       ∂L/∂b = ∂L/∂z

A fused loss (sigmoid with binary cross-entropy) skips ∂L/∂y in the engine's pass;
here it is written out with ``engine.nn.jacobian.output_gradient`` and f′(z) with the
activation's derivative, and their product is the trace's δ = y − t. Events are
returned as keyword dicts for the timeline's event class. Qt-free.
"""
from __future__ import annotations

from engine.nn import activations
from engine.nn.jacobian import output_gradient
from gui.core.formatting import vector_text
from gui.replay.timeline_captions import applied, first, prime, sum_text, weighted_terms

STEPS = ("z", "a", "dL/dy", "dL/dz", "dL/dW", "dL/db")
DL_DY = {"mse": "(y − t)", "bce": "(−t/y + (1 − t)/(1 − y))", "softmax_ce": "−t/y"}


def applies(graph) -> bool:
    """True for input → output with one connection and an element-wise output activation."""
    out = graph.output_node()
    return (out is not None and len(graph.nodes) == 2 and len(graph.connections) == 1
            and out.activation != "softmax")


def forward_events(tl, step) -> list[dict]:
    """z = Wx + b, then y = f(z)."""
    n, v = step.node, step.values
    (src, part), = step.contributions.items()
    x = tl.label(src)
    terms = weighted_terms(tl.weights, tl.masks, n, [src], tl._forward_a)
    if terms is not None:
        numbers = f"{sum_text([*terms, v['b'][0]])} = "
    else:
        numbers = f"{first(part)} + {vector_text(v['b'])} = "
    pairs = {(src, n): part}
    act = tl.graph.nodes[n].activation
    f_text = activations.FORMULA[act][0]
    value = applied(act, v["z"][0, 0]) if v["z"].shape[1] == 1 else f"{act}{first(v['z'])}"
    return [dict(phase="forward", node=n, step="z", active_connections=tuple(pairs),
                 contributions=pairs,
                 caption=f"Forward: z = W{x} + b = {numbers}{first(v['z'])}"),
            dict(phase="forward", node=n, step="a", values={n: {"z": v["z"], "a": v["a"]}},
                 caption=f"Forward: y = {f_text} = {value} = {first(v['a'])}")]


def backward_events(tl, step) -> list[dict]:
    """∂L/∂y, ∂L/∂z = ∂L/∂y · f′(z), ∂L/∂W = ∂L/∂z · xᵀ, ∂L/∂b = ∂L/∂z."""
    n, v = step.node, step.values
    loss = next(e.loss for e in reversed(tl._events) if e.loss is not None)
    z = next(s for s in tl.steps if s.phase == "forward" and s.node == n).values["z"]
    y, t = loss["y"], loss["t"]
    batch = y.shape[0]
    grad_y = v["dL/da"] if v["dL/da"] is not None else output_gradient(tl.loss_name, y, t, batch)
    kind = activations.BY_NAME[tl.graph.nodes[n].activation]
    local = v["da/dz"] if v["da/dz"] is not None else kind.derivative(z, y)
    delta = v["delta"]
    over_b = f" / {batch}" if batch > 1 else ""
    (src,) = [k[6:] for k in v if k.startswith("dL/dW:")]
    x, grad_w = v[f"a:{src}"], v[f"dL/dW:{src}"]
    xt = f"{tl.label(src)}ᵀ"
    return [
        dict(phase="backward", node=n, step="dL/dy", values={n: {"dL/da": grad_y}},
             caption=f"Backward: ∂L/∂y = {DL_DY[tl.loss_name]}{over_b} with y = {first(y)}, "
                     f"t = {first(t)} → ∂L/∂y = {first(grad_y)}"),
        dict(phase="backward", node=n, step="dL/dz", values={n: {"delta": delta}},
             caption=f"Backward: ∂L/∂z = ∂L/∂y · {prime(kind.name)} = {first(grad_y)} · "
                     f"{first(local)} = {first(delta)}"
                     + (" (= y − t: the fused gradient)" if v["dL/da"] is None and batch == 1 else "")),
        dict(phase="backward", node=n, step="dL/dW", active_connections=((src, n),),
             gradients={(src, n): grad_w},
             caption=f"Backward: ∂L/∂W = ∂L/∂z · {xt} = {first(delta)} · {first(x)} = "
                     f"{vector_text(grad_w[0])}" + (" (summed over the batch)" if batch > 1 else "")),
        dict(phase="backward", node=n, step="dL/db", bias_gradients={n: v["dL/db"]},
             caption=f"Backward: ∂L/∂b = ∂L/∂z = {vector_text(v['dL/db'])}"
                     + (" (summed over the batch)" if batch > 1 else "")),
    ]

