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
ones a loop over the plans would give. Each activation's and loss's lines come from its
own kernel (engine.nn.activations, engine.nn.losses). The source is registered with
linecache under a name like ``<step_code 2-4-1 batch 32 #7>``, so that a traceback
shows the generated line.
"""
from __future__ import annotations

import itertools
import linecache
import weakref

import numpy as np

from engine.nn import activations, losses
from engine.nn.buffers import Buffers
from engine.model.param_names import bias_name, weight_name

_NUMPY = {"dot": np.dot, "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
          "tanh": np.tanh, "maximum": np.maximum, "sign": np.sign, "exp": np.exp,
          "log": np.log, "log1p": np.log1p, "absolute": np.absolute, "negative": np.negative,
          "vdot": np.vdot, "copyto": np.copyto, "amax": np.max, "asum": np.sum}

_serial = itertools.count(1)


def _register(source: str, net, batch: int) -> str:
    """A unique file name for ``source``, entered in linecache so that tracebacks show its lines."""
    sizes = [str(net.sizes[n]) for n in net.order]
    if len(sizes) > 8:
        sizes = [*sizes[:3], "…", *sizes[-2:], f"({len(net.order)} nodes)"]
    filename = f"<step_code {'-'.join(sizes)} batch {batch} #{next(_serial)}>"
    # mtime None: linecache.checkcache keeps the entry (there is no file to compare with).
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return filename


class StepCode:
    """The compiled ``forward(X)``, ``loss(X, T)`` and ``step(X, T)`` of a network at one batch size.

    ``step`` runs forward, the data loss and backward (gradients written into the
    network's gradient arrays, masked ones zeroed) and returns the loss; penalties are
    the caller's.
    """

    def __init__(self, net, buf: Buffers):
        self.net, self.buf = net, buf
        self.names: dict[int, str] = {}
        self.scope: dict = dict(_NUMPY)
        dt = net.dtype.type
        self.scope.update(HALF=dt(0.5), ZERO=dt(0.0), INV_BATCH=dt(1.0 / buf.diff.shape[0]),
                          ONES_OUT=np.ones_like(buf.diff), BATCH=buf.diff.shape[0])
        forward, loss, backward = self._forward(), self._loss(), self._backward()
        source = "\n".join(["def forward(X):", *forward, "",
                            "def loss(X, T):", *forward, *loss, "    return loss", "",
                            "def step(X, T):", *forward, *loss, *backward, "    return loss", ""])
        self.source = source
        self.filename = _register(source, net, buf.diff.shape[0])
        weakref.finalize(self, linecache.cache.pop, self.filename, None)
        exec(compile(source, self.filename, "exec"), self.scope)
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

    def _kernel(self, template: tuple[str, ...], **names: str) -> list[str]:
        """A kernel's lines with its array names filled in; a copy onto itself is no call."""
        lines = []
        for line in (t.format(**names) for t in template):
            if line.startswith("copyto("):
                dst, src = line[len("copyto("):-1].split(", ")
                if dst == src:
                    continue
            lines.append(line)
        return lines

    def _function(self, fn, name: str) -> str:
        self.scope[name] = fn
        return name

    def _apply(self, act: str, z: str, a: str) -> list[str]:
        """a = f(z), from the activation's own kernel."""
        kind, buf = activations.BY_NAME[act], self.buf
        return self._kernel(kind.kernel, z=z, a=a, forward=self._function(kind.forward, f"{act}_forward"),
                            row_max=self._name(buf.row_max, "rm"), row_sum=self._name(buf.row_sum, "rs"))

    def _loss(self) -> list[str]:
        net, buf = self.net, self.buf
        out = net.output
        kind = losses.BY_NAME[net.loss]
        kernel = kind.kernel
        if kind.fused_output not in (None, net.activation[out]):
            kernel = losses.CALL_PER_EXAMPLE
        names = dict(y=self._name(buf.a[out], "a"), z=self._name(buf.z[out], "z"),
                     diff=self._name(buf.diff, "diff"), tmp=self._name(buf.tmp_out, "t"),
                     scratch=self._name(buf.tmp[out], "t"),     # free: out feeds no node
                     row_max=self._name(buf.row_max, "rm"), row_sum=self._name(buf.row_sum, "rs"),
                     row_lse=self._name(buf.row_lse, "lse"),
                     per_example=self._function(kind.per_example, f"{net.loss}_per_example"))
        lines = self._kernel(losses.RESIDUAL_KERNEL + kernel, **names)
        return ["    " + line for line in lines]

    def _delta(self, act: str, n: str, grad: str, out: str, tmp: str) -> list[str]:
        """out = dL/dz from grad = dL/da, from the activation's own kernel."""
        kind, buf = activations.BY_NAME[act], self.buf
        return self._kernel(kind.delta_kernel, g=grad, out=out, tmp=tmp,
                            a=self._name(buf.a[n], "a"), z=self._name(buf.z[n], "z"),
                            backward=self._function(kind.backward, f"{act}_backward"))

    def _backward(self) -> list[str]:
        net, buf = self.net, self.buf
        out = net.output
        diff = self._name(buf.diff, "diff")
        ones = self._name(buf.ones, "ones")
        lines = self._kernel(losses.GRADIENT_KERNEL, diff=diff)   # dL/dy, or dL/dz when fused
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
