"""Straight-line Python for one network and batch size: forward, loss and backward.

A small network's step is dozens of numpy calls on a few floats each, and walking
plans in a loop (dict look-ups, branches on the activation's name) costs as much as
the calls. So once per batch size the plans in ``Buffers`` are written out as the
plain sequence of calls they stand for, every array bound to a name, and compiled:

    dot(X, W0, out=z1)        # W0 is the view Wᵀ of the live weights
    add(z1, b1, out=z1)
    tanh(z1, out=a1)
    ...

The code does exactly what the plans describe, call for call, so its numbers are the
ones a loop over the plans would give.
"""
from __future__ import annotations

import numpy as np

from engine.nn import losses
from engine.nn.buffers import Buffers, apply_activation, local_delta
from engine.nn.param_names import bias_name, weight_name

_NUMPY = {"dot": np.dot, "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
          "tanh": np.tanh, "maximum": np.maximum, "sign": np.sign, "exp": np.exp,
          "log": np.log, "log1p": np.log1p, "absolute": np.absolute, "negative": np.negative,
          "vdot": np.vdot, "copyto": np.copyto, "amax": np.max, "asum": np.sum}


class StepCode:
    """The compiled ``forward(X)``, ``loss(X, T)`` and ``step(X, T)`` of a network at one batch size.

    ``step`` runs forward, the data loss and backward (gradients written into the
    network's gradient arrays, masked ones zeroed) and returns the loss; penalties are
    the caller's.
    """

    def __init__(self, net, buf: Buffers):
        self.net, self.buf = net, buf
        self.names: dict[int, str] = {}
        self.scope: dict = dict(_NUMPY, apply_activation=apply_activation,
                                local_delta=local_delta, loss_value=losses.value)
        dt = net.dtype.type
        self.scope.update(HALF=dt(0.5), ZERO=dt(0.0), INV_BATCH=dt(1.0 / buf.diff.shape[0]),
                          ONES_OUT=np.ones_like(buf.diff), BATCH=buf.diff.shape[0])
        forward, loss, backward = self._forward(), self._loss(), self._backward()
        source = "\n".join(["def forward(X):", *forward, "",
                            "def loss(X, T):", *forward, *loss, "    return loss", "",
                            "def step(X, T):", *forward, *loss, *backward, "    return loss", ""])
        self.source = source
        exec(compile(source, f"<step of {len(net.order)} nodes, batch {buf.diff.shape[0]}>",
                     "exec"), self.scope)
        self.forward, self.loss, self.step = (self.scope["forward"], self.scope["loss"],
                                              self.scope["step"])

    def _name(self, array: np.ndarray, prefix: str) -> str:
        name = self.names.get(id(array))
        if name is None:
            name = f"{prefix}{len(self.names)}"
            self.names[id(array)] = name
            self.scope[name] = array
        return name

    def _activation(self, node: str) -> str:
        net, buf = self.net, self.buf
        return "X" if node == net.input else self._name(buf.a[node], "a")

    # ----- the three parts ----------------------------------------------------
    def _forward(self) -> list[str]:
        net, buf, lines = self.net, self.buf, []
        for n, srcs, act, tmp in buf.forward_plan:
            z, a = self._name(buf.z[n], "z"), self._name(buf.a[n], "a")
            w = self._name(net.W[(srcs[0], n)].T, "Wt")
            lines.append(f"dot({self._activation(srcs[0])}, {w}, out={z})")
            for s in srcs[1:]:
                t, w = self._name(tmp, "t"), self._name(net.W[(s, n)].T, "Wt")
                lines += [f"dot({self._activation(s)}, {w}, out={t})", f"add({z}, {t}, out={z})"]
            lines.append(f"add({z}, {self._name(net.b[n], 'b')}, out={z})")
            lines += self._apply(act, z, a)
        return ["    " + line for line in lines]

    def _apply(self, act: str, z: str, a: str) -> list[str]:
        if act == "linear":
            return [] if z == a else [f"copyto({a}, {z})"]
        if act == "tanh":
            return [f"tanh({z}, out={a})"]
        if act == "sigmoid":            # σ(z) = ½(1 + tanh(z/2)): stable for any z
            return [f"mul({z}, HALF, out={a})", f"tanh({a}, out={a})", f"mul({a}, HALF, out={a})",
                    f"add({a}, HALF, out={a})"]
        if act == "relu":
            return [f"maximum({z}, ZERO, out={a})"]
        if act == "softmax":            # keeps each row's max and Σ exp(z − max) for the loss
            m, s = self._name(self.buf.row_max, "rm"), self._name(self.buf.row_sum, "rs")
            return [f"amax({z}, axis=1, keepdims=True, out={m})", f"sub({z}, {m}, out={a})",
                    f"exp({a}, out={a})", f"asum({a}, axis=1, keepdims=True, out={s})",
                    f"div({a}, {s}, out={a})"]
        return [f"apply_activation({act!r}, {z}, {a})"]

    def _loss(self) -> list[str]:
        net, buf = self.net, self.buf
        out = net.output
        y, z = self._name(buf.a[out], "a"), self._name(buf.z[out], "z")
        diff, tmp = self._name(buf.diff, "diff"), self._name(buf.tmp_out, "t")
        lines = [f"sub({y}, T, out={diff})"]
        fused = losses.REQUIRED_OUTPUT.get(net.loss) == net.activation[out]
        if net.loss == "mse":
            lines.append(f"loss = 0.5 * float(vdot({diff}, {diff})) / BATCH")
        elif fused and net.loss == "softmax_ce":
            # log softmax(z) = z − (max + log Σ exp(z − max)), from the forward pass
            lse = self._name(buf.row_lse, "lse")
            lines += [f"log({self._name(buf.row_sum, 'rs')}, out={lse})",
                      f"add({lse}, {self._name(buf.row_max, 'rm')}, out={lse})",
                      f"sub({z}, {lse}, out={tmp})",
                      f"loss = -float(vdot(T, {tmp})) / BATCH"]
        elif fused:
            # bce per element: max(z, 0) − t·z + log(1 + e^−|z|), stable and exact for t in {0, 1}
            # (a sum as a dot product with ones: half the cost of .sum() on a few floats)
            relu_z = self._name(buf.tmp[out], "t")     # free: out feeds no node
            lines += [f"absolute({z}, out={tmp})", f"negative({tmp}, out={tmp})",
                      f"exp({tmp}, out={tmp})", f"log1p({tmp}, out={tmp})",
                      f"maximum({z}, ZERO, out={relu_z})", f"add({tmp}, {relu_z}, out={tmp})",
                      f"loss = (float(vdot({tmp}, ONES_OUT)) - float(vdot(T, {z}))) / BATCH"]
        else:
            lines.append(f"loss = loss_value({net.loss!r}, {z}, {y}, T)")
        return ["    " + line for line in lines]

    def _delta(self, act: str, n: str, grad: str, out: str, tmp: str) -> list[str]:
        """out = dL/dz from grad = dL/da, written without Python scalars (each costs a conversion)."""
        buf = self.buf
        a = self._name(buf.a[n], "a")
        if act == "linear":
            return [] if out == grad else [f"copyto({out}, {grad})"]
        if act == "tanh":               # g(1 − a²) = g − g·a²
            return [f"mul({a}, {a}, out={tmp})", f"mul({tmp}, {grad}, out={tmp})",
                    f"sub({grad}, {tmp}, out={out})"]
        if act == "sigmoid":            # g·a(1 − a) = g·(a − a²)
            return [f"mul({a}, {a}, out={tmp})", f"sub({a}, {tmp}, out={tmp})",
                    f"mul({grad}, {tmp}, out={out})"]
        if act == "relu":               # 1 where z > 0, that is where a = max(z, 0) > 0
            return [f"sign({a}, out={tmp})", f"mul({grad}, {tmp}, out={out})"]
        z = self._name(buf.z[n], "z")
        return [f"local_delta({act!r}, {z}, {a}, {grad}, {out}, {tmp})"]

    def _backward(self) -> list[str]:
        net, buf = self.net, self.buf
        out = net.output
        diff = self._name(buf.diff, "diff")
        ones = self._name(buf.ones, "ones")
        lines = [f"mul({diff}, INV_BATCH, out={diff})"]   # (y − t)/B: dL/dy, or dL/dz when fused
        if buf.delta[out] is not buf.diff:
            lines += self._delta(net.activation[out], out, diff, self._name(buf.delta[out], "d"),
                                 self._name(buf.tmp_out, "t"))
        for n, conns, act in buf.backward_plan:
            d = self._name(buf.delta[n], "d")
            if n != out:
                lines += self._delta(act, n, self._name(buf.ga[n], "ga"), d,
                                     self._name(buf.tmp[n], "t"))
            d_t = self._name(buf.delta[n].T, "dt")
            for s, w, gw, first in conns:
                g = self._name(gw, "gW")
                lines.append(f"dot({d_t}, {self._activation(s)}, out={g})")
                if first is None:
                    continue
                ga, w = self._name(buf.ga[s], "ga"), self._name(w, "W")
                if first:
                    lines.append(f"dot({d}, {w}, out={ga})")
                else:                   # tmp[s] is free: s's own delta is computed later
                    t = self._name(buf.tmp[s], "t")
                    lines += [f"dot({d}, {w}, out={t})", f"add({ga}, {t}, out={ga})"]
            lines.append(f"dot({ones}, {d}, out={self._name(net._grads[bias_name(n)], 'gb')})")
        for s, n in net._dead:          # no path to the output: no gradient from the data
            lines.append(f"{self._name(net._grads[weight_name(s, n)], 'gW')}.fill(0)")
        for gw, m in net._masked:
            g = self._name(gw, "gW")
            lines.append(f"mul({g}, {self._name(m, 'mask')}, out={g})")
        return ["    " + line for line in lines]
