"""Network health from one set of weights: dead and saturated units, vanishing and exploding gradients.

Units are judged on a sample of the training data after one forward pass (the network's
``z`` and ``a``); gradients by the root-mean-square of dL/dW per connection, grouped by how
many connections lie between it and the output. Every number in a finding's text is
computed here; the learning rate, which needs a loss history, is engine.train.health_rate's.
"""
from __future__ import annotations

import math

import numpy as np

from engine.model.param_names import weight_name
from engine.nn.activations import BY_NAME as ACTIVATION
from engine.train.health_findings import Finding, Fix, power, sci

SAMPLE_ROWS = 512           # training rows a check looks at (evenly spaced)
FLAT = 0.01                 # saturated: f'(z) below 1% of its largest value...
SATURATED_SHARE = 0.9       # ...on at least this share of the examples
ORDERS = 3                  # vanishing/exploding: 10³ between the output side and the input side
# The largest value each activation's derivative takes (for the chain-rule bound).
MAX_DERIVATIVE = {"sigmoid": 0.25, "tanh": 1.0, "softplus": 1.0, "relu": 1.0, "leaky_relu": 1.0,
                  "elu": 1.0, "linear": 1.0, "swish": 1.1}
SQUASHING = ("sigmoid", "tanh")


def sample_rows(X: np.ndarray, T: np.ndarray, rows: int = SAMPLE_ROWS):
    """At most ``rows`` evenly spaced rows of X and T (all of them when there are fewer)."""
    n = X.shape[0]
    if n <= rows:
        return X, T
    idx = np.linspace(0, n - 1, rows).round().astype(np.intp)
    return X[idx], T[idx]


def hidden_nodes(network) -> list[str]:
    return [n for n in network.order if network.graph.nodes[n].kind == "hidden"]


# ----- units ------------------------------------------------------------------
def unit_findings(network) -> list[Finding]:
    """Dead ReLU and saturated sigmoid/tanh nodes, from the network's latest forward pass."""
    found = []
    for n in hidden_nodes(network):
        act = network.activation[n]
        z = np.asarray(network.z[n], dtype=np.float64)
        if act == "relu":
            found.append(_dead(network, n, z))
        elif act in SQUASHING:
            found.append(_saturated(n, act, z, np.asarray(network.a[n], dtype=np.float64)))
    return [f for f in found if f is not None]


def dead_units(z: np.ndarray) -> np.ndarray:
    """Indices of units whose z ≤ 0 on every example (ReLU passes no gradient there)."""
    return np.flatnonzero((z <= 0).all(axis=0))


def _dead(network, node: str, z: np.ndarray) -> Finding | None:
    dead = dead_units(z)
    if not len(dead):
        return None
    size, rows = z.shape[1], z.shape[0]
    top = float(z[:, dead].max())
    bias = float(np.mean(network.b[node][dead]))
    units = _units(node, dead, size)
    silent = [s for s in network.incoming[node] if not np.any(network.a[s])]
    cause = (f"their inputs from {', '.join(silent)} are all zero" if silent
             else f"their bias averages {sci(bias)}")
    why = (f"ReLU's derivative is 0 wherever z ≤ 0, and on all {rows} examples looked at these "
           f"units have z ≤ 0 (the largest z is {sci(top)}; {cause}). "
           f"So δ = (Σ Wᵀδ_next)·0 = 0: no gradient reaches their incoming weights or bias, and "
           f"gradient descent can never bring them back.")
    return Finding("dead", f"{units} of {node} {'is' if len(dead) == 1 else 'are'} dead "
                   f"({len(dead)} of {size} never active)", why,
                   "use leaky ReLU (its slope 0.01 below zero keeps a gradient), re-initialise "
                   "the weights (He), or lower the learning rate that pushed them there",
                   nodes=[node], numbers={"units": dead.tolist(), "dead": len(dead), "size": size,
                                          "max_z": top, "mean_bias": bias, "examples": rows},
                   fixes=[Fix("activation", "leaky_relu", f"Make {node} leaky ReLU", (node,)),
                          Fix("initialisation", "reset", "Re-initialise the weights")])


def _flatness(act: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f'(z) as a share of its largest value."""
    return ACTIVATION[act].derivative(z, a) / MAX_DERIVATIVE[act]


def _saturated(node: str, act: str, z: np.ndarray, a: np.ndarray) -> Finding | None:
    flat = _flatness(act, z, a) < FLAT
    share = flat.mean(axis=0)
    units = np.flatnonzero(share >= SATURATED_SHARE)
    if not len(units):
        return None
    size = z.shape[1]
    mid_z = float(np.median(np.abs(z[:, units])))
    at_mid = _derivative_far_out(act, mid_z)
    f_prime = "σ'(z) = σ(z)(1 − σ(z))" if act == "sigmoid" else "tanh'(z) = 1 − tanh²(z)"
    limit = _flat_limit(act)
    why = (f"{f_prime}. On {float(share[units].mean()):.0%} of the examples these units have "
           f"|z| > {limit:.1f} (median |z| = {sci(mid_z)}), where the derivative is below "
           f"{sci(FLAT * MAX_DERIVATIVE[act])}; at the median it is {sci(at_mid)}. Every gradient "
           f"passing back through them is multiplied by about that, so their incoming weights "
           f"barely learn.")
    return Finding("saturated", f"{_units(node, units, size)} of {node} ({act}) "
                   f"{'is' if len(units) == 1 else 'are'} saturated", why,
                   "re-initialise with smaller weights (Glorot), scale the inputs, lower the "
                   "learning rate, or use ReLU",
                   nodes=[node], numbers={"units": units.tolist(), "saturated": len(units), "size": size,
                                          "median_abs_z": mid_z, "derivative_at_median": at_mid},
                   fixes=[Fix("initialisation", "reset", "Re-initialise the weights"),
                          Fix("activation", "relu", f"Make {node} ReLU", (node,))])


def _derivative_far_out(act: str, z: float) -> float:
    """f'(z) computed without cancellation (1 − tanh²(z) is exactly 0 in floats beyond |z| ≈ 19)."""
    if act == "sigmoid":
        e = math.exp(-abs(z))
        return e / (1 + e) ** 2
    return 1 / math.cosh(min(abs(z), 350.0)) ** 2


def _flat_limit(act: str) -> float:
    """The |z| beyond which f'(z) is below FLAT of its largest value."""
    if act == "sigmoid":    # σ(1 − σ) = 0.25·FLAT
        s = (1 - math.sqrt(1 - FLAT)) / 2
        return math.log((1 - s) / s)
    return math.atanh(math.sqrt(1 - FLAT))


def _units(node: str, idx: np.ndarray, size: int) -> str:
    if size == 1:
        return "the unit"
    shown = ", ".join(str(int(i)) for i in idx[:8]) + (", …" if len(idx) > 8 else "")
    return f"unit{'s' if len(idx) > 1 else ''} {shown}"


# ----- gradients --------------------------------------------------------------
def distances_to_output(network) -> dict[str, int]:
    """Longest path, in connections, from each node to the output."""
    dist = {network.output: 0}
    succ: dict[str, list[str]] = {n: [] for n in network.order}
    for n in network.order:
        for s in network.incoming[n]:
            succ[s].append(n)
    for n in reversed(network.order):
        if n != network.output:
            dist[n] = max((dist[d] + 1 for d in succ[n] if d in dist), default=-1)
    return {n: d for n, d in dist.items() if d >= 0}


def connection_rms(network, gradients: dict, dead: dict[str, np.ndarray] | None = None) -> dict:
    """RMS of dL/dW per connection (src, dst), leaving out rows of dead units."""
    out = {}
    for (s, n) in network.W:
        g = np.asarray(gradients[weight_name(s, n)], dtype=np.float64)
        if dead and n in dead and len(dead[n]):
            g = np.delete(g, dead[n], axis=0)
        if g.size:
            out[(s, n)] = float(np.sqrt(np.mean(g * g)))
    return out


def gradient_findings(network, gradients: dict, dead: dict[str, np.ndarray] | None = None) -> list[Finding]:
    """Vanishing or exploding gradients: RMS |dL/dW| 10^ORDERS apart between output and input side."""
    dist = distances_to_output(network)
    rms = connection_rms(network, gradients, dead)
    levels: dict[int, list[tuple[str, str]]] = {}
    for key in rms:
        if key[1] in dist:
            levels.setdefault(dist[key[1]], []).append(key)
    if len(levels) < 2:
        return []
    near_keys, far_keys = levels[min(levels)], levels[max(levels)]
    near = max(rms[k] for k in near_keys)
    far = max(rms[k] for k in far_keys)
    if not (near > 0 and math.isfinite(near) and math.isfinite(far)):
        return []
    ratio = far / near
    if 10.0 ** -ORDERS < ratio < 10.0 ** ORDERS:
        return []
    kind = "vanishing" if ratio < 1 else "exploding"
    affected = [k for k in rms if (rms[k] / near < 10.0 ** -(ORDERS - 1) if kind == "vanishing"
                                   else rms[k] / near > 10.0 ** (ORDERS - 1))]
    far_key = max(far_keys, key=lambda k: rms[k])
    near_key = max(near_keys, key=lambda k: rms[k])
    path = _path_to_output(network, far_key[1], dist)
    numbers = {"ratio": ratio, "near": near, "far": far, "near_connection": f"{near_key[0]}->{near_key[1]}",
               "far_connection": f"{far_key[0]}->{far_key[1]}",
               "rms": {f"{s}->{d}": rms[(s, d)] for (s, d) in sorted(affected, key=lambda k: -dist[k[1]])}}
    measured = (f"Measured, the RMS of dL/dW is {sci(near)} at W:{near_key[0]}->{near_key[1]} next to "
                f"the output and {sci(far)} at W:{far_key[0]}->{far_key[1]}, a factor of {sci(ratio)}.")
    nodes = sorted({k[1] for k in affected}, key=network.order.index)
    conns = [f"{s}->{d}" for s, d in affected]
    if kind == "vanishing":
        return [_vanishing(network, path, nodes, conns, numbers, measured)]
    return [_exploding(network, path, nodes, conns, numbers, measured)]


def _path_to_output(network, start: str, dist: dict[str, int]) -> list[str]:
    """The longest path from ``start`` to the output, the nodes the gradient passes back through."""
    path, n = [start], start
    succ = {s: [] for s in network.order}
    for d in network.order:
        for s in network.incoming[d]:
            succ[s].append(d)
    while n != network.output:
        n = max((d for d in succ[n] if d in dist), key=lambda d: dist[d])
        path.append(n)
    return path[:-1]    # the output's own step is the loss's


def _mean_derivative(network, node: str) -> float:
    act = network.activation[node]
    z = np.asarray(network.z[node], dtype=np.float64)
    a = np.asarray(network.a[node], dtype=np.float64)
    return float(np.mean(ACTIVATION[act].derivative(z, a)))


def _vanishing(network, path, nodes, conns, numbers, measured) -> Finding:
    acts = [network.activation[n] for n in path]
    means = [_mean_derivative(network, n) for n in path]
    product = math.prod(means)
    numbers.update(layers=len(path), mean_derivatives=dict(zip(path, means)), derivative_product=product)
    squash = [n for n, a in zip(path, acts) if MAX_DERIVATIVE[a] < 1]
    if squash and len(set(network.activation[n] for n in squash)) == 1:
        act, k = network.activation[squash[0]], len(squash)
        m = MAX_DERIVATIVE[act]
        bound = (f"each {act} multiplies the gradient by at most {m:g}: after {k} "
                 f"layer{'s' if k > 1 else ''} at most {power(m, k)} ≈ {sci(m ** k)}. ")
        numbers["bound"] = m ** k
    else:
        bound = ""
    why = (f"Going back from the output, the gradient is multiplied at every node by Wᵀ and by "
           f"f'(z); {bound}Along {' → '.join(reversed(path))} the mean f'(z) multiply to "
           f"{sci(product)}. {measured}")
    relu_fix = [n for n in path if network.activation[n] in SQUASHING]
    fixes = [Fix("activation", "relu", f"Make {', '.join(relu_fix)} ReLU", tuple(relu_fix))] if relu_fix else []
    fixes.append(Fix("initialisation", "reset", "Re-initialise the weights"))
    return Finding("vanishing", f"gradients vanish toward the input: {sci(numbers['ratio'])} times "
                   f"smaller at {numbers['far_connection']} than at {numbers['near_connection']}", why,
                   "use ReLU in the hidden layers (derivative 1 where active) with He initialisation, "
                   "or add a skip connection that carries the gradient past the deep chain",
                   nodes=nodes, connections=conns, numbers=numbers, fixes=fixes)


def _exploding(network, path, nodes, conns, numbers, measured) -> Finding:
    norms = {}
    for a, b in zip(path, path[1:] + [network.output]):
        norms[f"{a}->{b}"] = float(np.linalg.norm(np.asarray(network.W[(a, b)], np.float64), 2))
    growth = math.prod(norms.values()) if norms else 1.0
    numbers.update(spectral_norms=norms, growth_bound=growth)
    why = (f"Going back from the output, the gradient is multiplied at every layer by Wᵀ and f'(z); "
           f"the largest stretch of each Wᵀ along the way ({', '.join(f'{k} {sci(v)}' for k, v in norms.items())}) "
           f"multiply to {sci(growth)}, so the gradient can grow that much on its way to the input. "
           f"{measured}")
    return Finding("exploding", f"gradients explode toward the input: {sci(numbers['ratio'])} times "
                   f"larger at {numbers['far_connection']} than at {numbers['near_connection']}", why,
                   "re-initialise the weights (Glorot or He keep each layer's stretch near 1) "
                   "and lower the learning rate",
                   nodes=nodes, connections=conns, numbers=numbers,
                   fixes=[Fix("initialisation", "reset", "Re-initialise the weights")])
