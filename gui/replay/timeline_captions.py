"""The replay's captions: each formula followed by its numbers, then the result.

"δ(n4) = δ(y) · W · tanh′(z) = 0.6873 · −1.089 · 0.771 = −0.577": every factor is the
trace's own number for the first example (or a weight of the network that made it),
and a sum lists every term (each w·a of a neuron's inputs, then b). Vectors are shown
as short tuples. Qt-free: numpy, the engine and gui.core.formatting only.
"""
from __future__ import annotations

import numpy as np

from engine.nn import activations
from gui.core.formatting import fmt, vector_text

MAX_TERMS = 8   # list every w·a of a sum up to this many terms, else one total per source


def prime(act: str) -> str:
    """The derivative's name in a caption: "σ′(z)", "tanh′(z)", "relu′(z)"."""
    f_text = activations.FORMULA.get(act, ("f(z)",))[0]
    return f"{f_text[:-3]}′(z)" if f_text.endswith("(z)") and f_text.count("z") == 1 else f"{act}′(z)"


def applied(act: str, z) -> str:
    """f(z) with z's number in place: "σ(−0.4011)" (the formula as is when z is in it twice)."""
    f_text = activations.FORMULA.get(act, ("f(z)",))[0]
    return f_text.replace("z", fmt(z)) if f_text.count("z") == 1 else f_text


def first(array) -> str:
    """The first example's values of ``array``."""
    return vector_text(np.asarray(array)[0])


def sum_text(terms) -> str:
    """Terms of a sum as "0.1269 + 0.6224 + 0" (a negative term after the first: "− 0.3")."""
    text = ""
    for k, t in enumerate(terms):
        s = fmt(t)
        if k == 0:
            text = s
        elif s.startswith("−"):
            text += f" − {s[1:]}"
        else:
            text += f" + {s}"
    return text


def weighted_terms(weights, masks, node: str, srcs, a_by_node: dict) -> list[float] | None:
    """The w·a of every input neuron of a single-neuron ``node`` (first example), or None when
    the weights are unknown or there are too many to list."""
    if weights is None:
        return None
    terms = []
    for src in srcs:
        W, a = weights.get((src, node)), a_by_node.get(src)
        if W is None or W.shape[0] != 1 or a is None:
            return None
        mask = masks.get((src, node)) if masks else None
        terms += [W[0, j] * a[0, j] for j in range(W.shape[1]) if mask is None or mask[0, j]]
    return terms if len(terms) <= MAX_TERMS else None


def forward_caption(label: str, act: str, srcs: dict, values: dict, terms) -> str:
    """"Forward: n1 = tanh(z), z = Σ w·a + b = 0.1269 + 0.6224 + 0 = 0.7494 → a = 0.635"."""
    f_text = activations.FORMULA.get(act, ("f(z)",))[0]
    z, a, b = values["z"], values["a"], values["b"]
    if z.shape[1] == 1:
        listed = terms if terms is not None else [c[0, 0] for c in srcs.values()]
        what = "Σ w·a + b" if terms is not None else \
            " + ".join(f"{name}·Wᵀ" for name in srcs) + " + b"
        z_text = f"z = {what} = {sum_text([*listed, b[0]])} = {fmt(z[0, 0])}"
        a_text = f"a = {applied(act, z[0, 0])} = {fmt(a[0, 0])}" if act != "linear" else f"a = z = {fmt(a[0, 0])}"
        return f"Forward: {label} = {f_text}, {z_text} → {a_text}"
    what = " + ".join(f"{name}·Wᵀ" for name in srcs) + " + b"
    parts = " + ".join(vector_text(c[0]) for c in srcs.values()) + f" + {vector_text(b)}"
    return (f"Forward: {label} = {f_text}, z = {what} = {parts} → "
            f"z = {first(z)}, a = {first(a)}")


def delta_caption(node: str, act: str, v: dict, paths: dict, deltas: dict, weights: dict | None,
                  labels: dict, over_b: str, loss: dict) -> str:
    """"δ(label) = how = numbers = δ" for one node (first example); ``paths`` maps each node
    it feeds to δ_dst·W, ``deltas`` maps them to their δ."""
    label, delta = labels[node], v["delta"]
    if v["dL/da"] is None:
        y, t = loss["y"][0], loss["t"][0]
        nums = (f"({first(loss['y'])} − {first(loss['t'])}){over_b}" if over_b
                else (f"{fmt(y[0])} − {fmt(t[0])}" if y.size == 1 else
                      f"{vector_text(y)} − {vector_text(t)}"))
        return f"δ({label}) = y − t (fused with the loss) = {nums} = {first(delta)}"
    local = v["da/dz"]
    f_prime = prime(act)
    scalar = delta.shape[1] == 1
    if local is None:
        return f"δ({label}) = dL/dy through the softmax Jacobian = {first(delta)}"
    times = "·" if scalar else "⊙"
    if not paths:
        return (f"δ({label}) = dL/dy {times} {f_prime} = {first(v['dL/da'])} {times} "
                f"{first(local)} = {first(delta)}")
    if len(paths) > 1:
        names = ", ".join(labels[d] for d in paths)
        total = " + ".join(first(p) for p in paths.values())
        return (f"δ({label}) = Σ paths ({names}) {times} {f_prime} = ({total}) {times} "
                f"{first(local)} = {first(delta)}")
    (dst, part), = paths.items()
    W = None if weights is None else weights.get((node, dst))
    if scalar and W is not None and W.size == 1:
        return (f"δ({label}) = δ({labels[dst]}) · W · {f_prime} = {fmt(deltas[dst][0, 0])} · "
                f"{fmt(W[0, 0])} · {fmt(local[0, 0])} = {fmt(delta[0, 0])}")
    return (f"δ({label}) = δ({labels[dst]})·W {times} {f_prime} = {first(part)} {times} "
            f"{first(local)} = {first(delta)}")


def weight_gradient_caption(label: str, v: dict, labels: dict) -> str:
    """"dL/dW = δᵀ·a for x → n1" with the numbers when δ is a single number."""
    into = [k[6:] for k in v if k.startswith("dL/dW:")]
    if not into:
        return ""
    if v["delta"].shape[1] == 1 and v["delta"].shape[0] == 1 and len(into) == 1:
        parts = [f"dL/dW({labels[s]} → {label}) = δ·a = {fmt(v['delta'][0, 0])} · "
                 f"{first(v[f'a:{s}'])} = {first(v[f'dL/dW:{s}'])}" for s in into]
        return "; " + "; ".join(parts)
    return "; dL/dW = δᵀ·a for " + ", ".join(f"{labels[s]} → {label}" for s in into)
