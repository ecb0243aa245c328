"""Training steps per second of the engine beside PyTorch eager CPU, measured in one run.

    .venv/bin/python bench/engine.py            # every network at batch 1, 32 and 256 (~1.5 min)
    .venv/bin/python bench/engine.py --quick    # only the configurations with a target

A step is forward + backward + an SGD update in float32: ``Network.train_step`` with
``SGD`` against ``nn.Sequential`` of Linear + activation, the matching fused loss
(BCEWithLogitsLoss / CrossEntropyLoss), ``torch.optim.SGD`` and zero_grad/backward/step.
Engine and PyTorch blocks alternate, each after a warm-up and a short pause (OpenBLAS
and OpenMP threads keep spinning after a threaded call and slow whatever runs next:
ARCHITECTURE.md); the best block of each counts, which is the least disturbed by other
processes on a shared machine. Exit status 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

NETWORKS = {   # name: (sizes, hidden activation, output activation, loss)
    "2-4-4-1 tanh": ((2, 4, 4, 1), "tanh", "sigmoid", "bce"),
    "64-128-64-10 relu": ((64, 128, 64, 10), "relu", "softmax", "softmax_ce"),
    "784-256-128-10 relu": ((784, 256, 128, 10), "relu", "softmax", "softmax_ce"),
    "784-1024-1024-10 relu": ((784, 1024, 1024, 10), "relu", "softmax", "softmax_ce"),
}
BATCHES = (1, 32, 256)
TARGETS = {   # (network, batch): minimum engine / PyTorch ratio
    ("2-4-4-1 tanh", 32): 8.0,
    ("64-128-64-10 relu", 32): 4.0,
    ("784-1024-1024-10 relu", 256): 0.9,
}
QUICK = [("2-4-4-1 tanh", 32), ("64-128-64-10 relu", 32), ("784-256-128-10 relu", 32),
         ("784-1024-1024-10 relu", 256)]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="only the target configurations, shorter")
    p.add_argument("--threads", type=int, default=2, help="BLAS / torch threads (default 2)")
    return p.parse_args()


ARGS = parse_args()
# Before numpy is imported: OpenBLAS reads its thread count once, at load.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from engine import Graph, Network  # noqa: E402
from engine.train.optimizers import SGD  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

LR = 0.01


def design(sizes, hidden, out, loss) -> Graph:
    g = Graph(loss=loss)
    ids = ["x"] + [f"h{i}" for i in range(1, len(sizes) - 1)] + ["y"]
    g.add_node("input", sizes[0], id="x")
    for nid, size in zip(ids[1:-1], sizes[1:-1]):
        g.add_node("hidden", size, hidden, id=nid)
    g.add_node("output", sizes[-1], out, id="y")
    for s, d in zip(ids, ids[1:]):
        g.connect(s, d)
    return g


def data(sizes, loss, batch, rng):
    X = rng.normal(size=(batch, sizes[0])).astype(np.float32)
    if loss == "bce":
        labels = rng.integers(0, 2, (batch, sizes[-1]))
        return X, labels.astype(np.float32), labels.astype(np.float32)
    labels = rng.integers(0, sizes[-1], batch)
    return X, np.eye(sizes[-1], dtype=np.float32)[labels], labels


def engine_step(spec, batch, rng):
    sizes, hidden, out, loss = spec
    net = Network(design(*spec), seed=0, dtype="float32")
    X, T, _ = data(sizes, loss, batch, rng)
    opt = SGD(LR)
    return lambda: net.train_step(X, T, opt)


def torch_step(spec, batch, rng):
    sizes, hidden, out, loss = spec
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[hidden]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    model = torch.nn.Sequential(*layers)
    X, T, labels = data(sizes, loss, batch, rng)
    X = torch.from_numpy(X)
    if loss == "bce":
        lossf, target = torch.nn.BCEWithLogitsLoss(), torch.from_numpy(T)
    else:
        lossf, target = torch.nn.CrossEntropyLoss(), torch.from_numpy(labels)
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        lossf(model(X), target).backward()
        opt.step()
    return step


def calibrate(step, seconds: float) -> int:
    """Warm up, then the number of steps that take about ``seconds``."""
    step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min(0.1, seconds / 2):
        step()
        n += 1
    per_step = (time.perf_counter() - t0) / n
    return max(3, int(seconds / per_step))


def timed(step, n: int, pause: float) -> float:
    time.sleep(pause)
    step()                  # wake the thread pool after the pause
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return n / (time.perf_counter() - t0)


def measure(spec, batch, block: float, rounds: int, pause: float):
    rng = np.random.default_rng(0)
    steps = {"engine": engine_step(spec, batch, rng)}
    if torch is not None:
        steps["torch"] = torch_step(spec, batch, rng)
    counts = {k: calibrate(s, block) for k, s in steps.items()}
    best = dict.fromkeys(steps, 0.0)
    for _ in range(rounds):     # interleaved: engine, torch, engine, torch, ...
        for k, s in steps.items():
            best[k] = max(best[k], timed(s, counts[k], pause))
    return best["engine"], best.get("torch")


def main() -> int:
    block, rounds, pause = (0.2, 3, 0.2) if ARGS.quick else (0.3, 5, 0.25)
    configs = QUICK if ARGS.quick else [(n, b) for n in NETWORKS for b in BATCHES]
    blas = ""
    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info())
    except ImportError:
        pass
    print(f"numpy {np.__version__} (BLAS threads: {blas or ARGS.threads}), "
          + (f"torch {torch.__version__} ({ARGS.threads} threads)" if torch else
             "PyTorch is not installed (pip install torch==2.13.0): engine figures only"))
    if torch is not None:
        torch.set_num_threads(ARGS.threads)
    print(f"training steps per second, float32, best of {rounds} interleaved blocks of ~{block} s")
    print(f"{'network':<24}{'batch':>6}{'engine/s':>12}{'torch/s':>12}{'ratio':>9}")
    ratios = {}
    for name, batch in configs:
        eng, tor = measure(NETWORKS[name], batch, block, rounds, pause)
        ratio = eng / tor if tor else None
        ratios[(name, batch)] = ratio
        print(f"{name:<24}{batch:>6}{eng:>12,.0f}"
              + (f"{tor:>12,.0f}{ratio:>8.2f}x" if tor else f"{'-':>12}{'-':>9}"), flush=True)
    failed = False
    print()
    for (name, batch), need in TARGETS.items():
        ratio = ratios.get((name, batch))
        if ratio is None:
            print(f"SKIP  {name} batch {batch}: needs ≥ {need}x PyTorch (not measured)")
            continue
        ok = ratio >= need
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'}  {name} batch {batch}: {ratio:.2f}x PyTorch "
              f"(target ≥ {need}x)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
