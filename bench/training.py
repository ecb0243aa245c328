"""The issue-3 training target, timed: digits, 64-128-64-10 relu/softmax, Adam 0.001, batch 32, 30 epochs.

    .venv/bin/python bench/training.py              # 5 interleaved rounds (~5 s)
    .venv/bin/python bench/training.py --rounds 3 --threads 1

Times ``Trainer.run`` (30 epochs, including the per-epoch evaluation of both splits)
beside a plain numpy MLP with the same recipe written out by hand in this file
(preallocated buffers, ``out=`` arguments, Adam, no evaluation), in the same process
with a warm-up and a pause before each block (ARCHITECTURE.md: spinning OpenBLAS
threads slow whatever runs next). Prints the best and median seconds of each, their
ratio and the validation accuracy. Exit status 1 when the trainer misses the target
(≥ 96% validation accuracy in < 1 s).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2, help="BLAS threads (default 2)")
    return p.parse_args()


ARGS = parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)   # before numpy loads OpenBLAS
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from engine import Graph, Network  # noqa: E402
from engine.data.datasets import load_dataset  # noqa: E402
from engine.train.trainer import Trainer, TrainingConfig  # noqa: E402

EPOCHS, LR, BATCH = 30, 0.001, 32


def design() -> Graph:
    g = Graph("softmax_ce")
    g.add_node("input", 64, id="x")
    g.add_node("hidden", 128, "relu", id="h1")
    g.add_node("hidden", 64, "relu", id="h2")
    g.add_node("output", 10, "softmax", id="y")
    for a, b in (("x", "h1"), ("h1", "h2"), ("h2", "y")):
        g.connect(a, b)
    return g


def run_trainer(graph, data, seed):
    t = Trainer(Network(graph, seed=seed), data,
                TrainingConfig(optimizer="adam", lr=LR, batch_size=BATCH, seed=seed))
    start = time.perf_counter()
    t.run(epochs=EPOCHS)
    return time.perf_counter() - start, t.history[-1].val_metric


def run_reference(data, seed):
    """A hand-written numpy MLP, same shape and recipe: the floor for Python overhead."""
    rng = np.random.default_rng(seed)
    X = data.X_train.astype(np.float32)
    T = data.T_train.astype(np.float32)
    sizes = (64, 128, 64, 10)
    W = [rng.normal(0, np.sqrt(2 / a), (a, b)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
    b = [np.zeros(n, np.float32) for n in sizes[1:]]
    params = W + b
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    gW = [np.zeros_like(w) for w in W]
    gb = [np.zeros_like(x) for x in b]
    grads = gW + gb
    step = 0
    start = time.perf_counter()
    n = len(X)
    for _ in range(EPOCHS):
        order = rng.permutation(n)
        for s in range(0, n, BATCH):
            idx = order[s:s + BATCH]
            x, t = X[idx], T[idx]
            a1 = np.maximum(x @ W[0] + b[0], 0)
            a2 = np.maximum(a1 @ W[1] + b[1], 0)
            z = a2 @ W[2] + b[2]
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            d3 = (p - t) / len(idx)
            np.matmul(a2.T, d3, out=gW[2])
            np.sum(d3, axis=0, out=gb[2])
            d2 = (d3 @ W[2].T) * (a2 > 0)
            np.matmul(a1.T, d2, out=gW[1])
            np.sum(d2, axis=0, out=gb[1])
            d1 = (d2 @ W[1].T) * (a1 > 0)
            np.matmul(x.T, d1, out=gW[0])
            np.sum(d1, axis=0, out=gb[0])
            step += 1
            lr = LR * np.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step)
            for q, g, mq, vq in zip(params, grads, m, v):
                mq *= 0.9
                mq += 0.1 * g
                vq *= 0.999
                vq += 0.001 * g * g
                q -= lr * mq / (np.sqrt(vq) + 1e-8)
    seconds = time.perf_counter() - start
    xv = data.X_val.astype(np.float32)
    out = np.maximum(np.maximum(xv @ W[0] + b[0], 0) @ W[1] + b[1], 0) @ W[2] + b[2]
    return seconds, float((out.argmax(1) == data.T_val.argmax(1)).mean())


def main() -> int:
    data = load_dataset("digits", loss="softmax_ce", seed=0)
    graph = design()
    engine, reference = [], []
    run_trainer(graph, data, 0)            # warm-up: imports, buffers, caches
    run_reference(data, 0)
    for r in range(ARGS.rounds):
        for fn, out in ((lambda r=r: run_trainer(graph, data, r), engine),
                        (lambda r=r: run_reference(data, r), reference)):
            time.sleep(0.3)
            out.append(fn())
    print(f"digits 64-128-64-10 relu/softmax, Adam {LR}, batch {BATCH}, {EPOCHS} epochs, "
          f"{len(data.X_train)} training / {len(data.X_val)} validation examples, "
          f"{ARGS.threads} BLAS threads, {ARGS.rounds} rounds (seeds 0..{ARGS.rounds - 1})")
    for label, runs in (("Trainer.run", engine), ("plain numpy", reference)):
        secs = [s for s, _ in runs]
        accs = [a for _, a in runs]
        print(f"  {label:<12} best {min(secs):.3f} s  median {statistics.median(secs):.3f} s  "
              f"val accuracy {100 * min(accs):.1f}% to {100 * max(accs):.1f}%")
    ratio = statistics.median(s for s, _ in engine) / statistics.median(s for s, _ in reference)
    print(f"  Trainer / plain numpy time: {ratio:.2f}x (the trainer also evaluates both splits every epoch)")
    seed0_seconds, seed0_acc = engine[0]
    ok = seed0_acc >= 0.96 and statistics.median(s for s, _ in engine) < 1.0
    print(f"  target (seed 0: ≥ 96% in < 1 s): {100 * seed0_acc:.1f}% in "
          f"{statistics.median(s for s, _ in engine):.3f} s median: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
