"""The health check on the digits design, timed per evaluation (target: under 50 ms).

    .venv/bin/python bench/health.py [--rounds 50] [--design resources/examples/digits.json]

Builds the digits network (64-128-64-10, relu/softmax) with one BLAS thread like the GUI's
worker, trains it a little, then times ``HealthMonitor.check`` as the worker calls it: a
forward pass over the sample of the training data, the unit and gradient findings, and the
learning-rate verdict from the losses seen so far. Prints the best and median milliseconds
and exits 1 when the median misses the target.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 50.0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--design", default=str(ROOT / "resources" / "examples" / "digits.json"))
    args = p.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.path.insert(0, str(ROOT))
    from engine import Graph, Network
    from engine.data.datasets import from_settings
    from engine.train.health_monitor import HealthMonitor
    from engine.train.trainer import Trainer, TrainingConfig

    graph = Graph.load(args.design)
    dataset = from_settings(graph.settings, graph.loss)
    config = TrainingConfig.from_settings(graph.settings)
    net = Network(graph, seed=config.seed)
    trainer = Trainer(net, dataset, config)
    monitor = HealthMonitor(net, dataset.X_train, dataset.T_train)
    times = []
    for _ in range(args.rounds):
        for _ in range(20):
            trainer.step()
        grads = {k: g.copy() for k, g in net.gradients.items()}
        t0 = time.perf_counter()
        report = monitor.check(net, trainer.step_count, grads, trainer.lr)
        times.append((time.perf_counter() - t0) * 1000)
    median = statistics.median(times)
    print(f"health check on {Path(args.design).name} ({net.parameter_count()} parameters, "
          f"{monitor.X.shape[0]} sample rows): best {min(times):.2f} ms, median {median:.2f} ms "
          f"over {args.rounds} checks (target < {TARGET_MS:.0f} ms); findings at the end: "
          f"{sum(len(v) for v in report.findings.values())}")
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
