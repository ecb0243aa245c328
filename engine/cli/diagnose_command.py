"""``main.py diagnose``: examine a design's weights for dead or saturated units, vanishing or
exploding gradients and a learning rate that is too large or too small.

    python main.py diagnose DESIGN.json [--weights W] [--data NAME|CSV] [--probe-steps N] [--json]

The weights are W, else those the design carries, else fresh ones from the design's seed.
The learning rate is judged from a probe run of N steps (default 200) from those weights.
Exit status: 0 healthy, 3 something found, 1 bad input, 2 bad usage.
"""
from __future__ import annotations

import argparse
import json
import sys

from engine.cli.options import (Parser, add_data_options, carried_weights, count, load_design_and_data,
                                load_weights_into, positive, positive_int, set_weights)
from engine.nn.network import Network
from engine.train.config import TrainingConfig
from engine.train.health_findings import KIND_TITLES, sci
from engine.train.health_monitor import PROBE_STEPS, diagnose

FOUND = 3       # exit status when something is found


def diagnose_parser() -> argparse.ArgumentParser:
    p = Parser(prog="main.py diagnose",
               description="Examine a design's weights: dead or saturated units, vanishing or exploding "
                           "gradients, a learning rate too large or too small. Exit status 0 when "
                           "healthy, 3 when something is found.")
    add_data_options(p)
    p.add_argument("--target", metavar="COL", help="the CSV column to predict (name or number; default: last)")
    p.add_argument("--weights", metavar="W", help="the weights to examine (.npz, .json, .safetensors); default: "
                   "those the design carries, else fresh ones from the design's seed")
    p.add_argument("--probe-steps", type=count, default=PROBE_STEPS, metavar="N",
                   help=f"training steps of the probe run that judges the learning rate (default {PROBE_STEPS}; "
                        "0: no probe)")
    p.add_argument("--optimizer", choices=("sgd", "momentum", "nesterov", "adam"))
    p.add_argument("--lr", type=positive, metavar="X", help="learning rate of the probe (default: the design's)")
    p.add_argument("--batch-size", type=positive_int, metavar="N")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object with the keys dead, saturated, vanishing, exploding, "
                        "learning_rate, each a list of findings")
    return p


def cmd_diagnose(argv: list[str]) -> int:
    args = diagnose_parser().parse_args(argv)
    graph, settings, dataset = load_design_and_data(args)
    if not args.json:
        for note in dataset.notes:
            print(f"note: {note}", file=sys.stderr)
    for key in ("optimizer", "lr", "batch_size"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    config = TrainingConfig.from_settings(settings)
    network = Network(graph, seed=config.seed)
    if args.weights:
        load_weights_into(network, args.weights)
        source = f"the weights in {args.weights}"
    elif (carried := carried_weights(args.design)) is not None:
        set_weights(network, carried)
        source = f"the weights saved in {args.design}"
    else:
        source = f"fresh weights from seed {config.seed}"
    report = diagnose(network, dataset, config, args.probe_steps)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        probe = (f"a probe of {args.probe_steps} steps ({config.optimizer}, learning rate {sci(config.lr)})"
                 if args.probe_steps else "no probe run")
        print(f"diagnosed {source} on {dataset.name}, with {probe}")
        _print_report(report)
    sys.stdout.flush()
    return 0 if report.healthy else FOUND


def _print_report(report) -> None:
    if report.healthy:
        print("healthy: no dead or saturated units, no vanishing or exploding gradients, "
              "and the learning rate looks right")
        return
    found = report.all()
    print(f"{len(found)} finding{'s' if len(found) != 1 else ''}:")
    for f in found:
        print(f"\n[{KIND_TITLES[f.kind]}] {f.summary}")
        print(f"  why: {f.reason}")
        print(f"  try: {f.suggestion}")
        for fix in f.fixes:
            print(f"  fix: {fix.label}")
