"""Preallocated per-batch-size buffers and pass plans for Network.

Small networks spend their time in Python and numpy call overhead, not in
arithmetic (ARCHITECTURE.md), so each batch size gets its arrays once, and the
plans of its forward and backward passes are written out as straight-line code
(engine/nn/step_code.py) that writes with ``out=``.
"""
from __future__ import annotations

import numpy as np

from engine.nn import losses
from engine.model.param_names import weight_name


class Buffers:
    """Every array one pass over a batch of ``batch`` examples needs, and the plans that use them."""

    def __init__(self, net, batch: int):
        dt, sizes = net.dtype, net.sizes
        self.z, self.a, self.ga, self.delta, self.tmp = {}, {}, {}, {}, {}
        for n in net.order:
            if n == net.input:
                continue
            shape = (batch, sizes[n])
            self.z[n] = np.zeros(shape, dt)
            # A linear node's activation is its pre-activation: share the array.
            self.a[n] = self.z[n] if net.activation[n] == "linear" else np.zeros(shape, dt)
            self.ga[n] = np.zeros(shape, dt)
            self.delta[n] = (self.ga[n] if net.activation[n] == "linear"
                             else np.zeros(shape, dt))
            self.tmp[n] = np.zeros(shape, dt)
        out = net.output
        self.diff = np.zeros((batch, sizes[out]), dt)
        self.tmp_out = np.zeros((batch, sizes[out]), dt)
        self.ones = np.ones(batch, dt)    # dL/db = 1ᵀ·δ as a product: faster than a sum
        self.row_max, self.row_sum, self.row_lse = (np.zeros((batch, 1), dt) for _ in range(3))
        if losses.is_fused(net.loss):
            self.delta[out] = self.diff
        elif self.delta[out] is self.ga[out]:
            self.delta[out] = np.zeros((batch, sizes[out]), dt)

        self.code = None  # the compiled passes (engine.nn.step_code), made on first use
        self.forward_plan = []
        for n in net.order:
            if n == net.input:
                continue
            srcs = net.incoming[n]
            scratch = np.zeros((batch, sizes[n]), dt) if len(srcs) > 1 else None
            self.forward_plan.append((n, srcs, net.activation[n], scratch))

        # Backward over the nodes that reach the output, in reverse order. The first
        # path to reach a source writes its dL/da; later paths add to it.
        self.backward_plan = []
        written: set[str] = set()
        for n in reversed(net.order):
            if n == net.input or n not in net._live:
                continue
            conns = []
            for s in net.incoming[n]:
                gw = net._grads[weight_name(s, n)]
                if s == net.input:
                    first = None
                else:
                    first = s not in written
                    written.add(s)
                conns.append((s, net.W[(s, n)], gw, first))
            self.backward_plan.append((n, conns, net.activation[n]))
