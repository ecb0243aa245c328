"""``main.py train``: train a design on data and report the final metrics.

    python main.py train DESIGN.json [--data NAME|CSV] [--epochs N] ... [--export OUT] [--json]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time

from engine.cli.exporters import EXPORTERS, export, exporter_for
from engine.cli.options import (CliError, Parser, add_data_options, carried_weights, count,
                                load_design_and_data, load_weights_into, non_negative, positive,
                                positive_int, set_weights)
from engine.cli.progress import Progress, format_loss, format_metric, format_seconds
from engine.nn.network import Network
from engine.train.trainer import Trainer, TrainingConfig

DEFAULT_EPOCHS = 100    # when neither the design nor --epochs says


def train_parser() -> argparse.ArgumentParser:
    p = Parser(prog="main.py train", description="Train a design on data and report the final metrics.")
    add_data_options(p)
    p.add_argument("--target", metavar="COL", help="the CSV column to predict (name or number; default: last)")
    p.add_argument("--validation", type=non_negative, metavar="X", help="validation share, 0 to <1")
    p.add_argument("--epochs", type=count, metavar="N",
                   help=f"epochs to train (default: the design's setting, else {DEFAULT_EPOCHS})")
    p.add_argument("--optimizer", choices=("sgd", "momentum", "nesterov", "adam"))
    p.add_argument("--lr", type=positive, metavar="X", help="learning rate")
    p.add_argument("--batch-size", type=positive_int, metavar="N")
    p.add_argument("--l1", type=non_negative, metavar="X", help="L1 penalty")
    p.add_argument("--l2", type=non_negative, metavar="X", help="L2 penalty")
    p.add_argument("--weights", metavar="IN", help="start from these weights (.npz, .json, .safetensors); "
                   "default: those the design carries when it was saved with its weights")
    p.add_argument("--export", metavar="OUT", help=f"write the trained weights ({', '.join(EXPORTERS)})")
    p.add_argument("--json", action="store_true", help="print only a JSON object with the final metrics")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    return p


def cmd_train(argv: list[str]) -> int:
    args = train_parser().parse_args(argv)
    if args.export:
        exporter_for(args.export)
    graph, settings, dataset = load_design_and_data(args)
    if not args.json:               # --json carries them in its object
        for note in dataset.notes:
            print(f"note: {note}", file=sys.stderr)
    for key in ("optimizer", "lr", "batch_size", "epochs", "l1", "l2"):   # seed: set by load_design_and_data
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    config = TrainingConfig.from_settings(settings)
    network = Network(graph, seed=config.seed, dtype=args.dtype)
    if args.weights:
        load_weights_into(network, args.weights)
    elif (carried := carried_weights(args.design)) is not None:     # a design saved with its weights
        set_weights(network, carried)
        if not args.json:
            print(f"note: starting from the weights saved in {args.design}", file=sys.stderr)
    trainer = Trainer(network, dataset, config)
    epochs = config.epochs if config.epochs is not None else DEFAULT_EPOCHS

    tty = sys.stderr.isatty()
    progress = Progress(trainer, epochs, sys.stderr, bar=tty, quiet=args.json and not tty)
    progress.connect()
    started = time.perf_counter()
    try:
        trainer.run(epochs=epochs)
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    final = trainer.evaluate()
    result = {"epochs": trainer.epoch, "steps": trainer.step_count, "seconds": round(seconds, 4),
              "train_loss": final["train_loss"], "val_loss": final["val_loss"],
              "metric": final["metric_name"], "train_metric": final["train_metric"],
              "val_metric": final["val_metric"], "diverged": trainer.diverged_reason,
              "export": None, "notes": list(dataset.notes)}
    graph.set_preprocessing(dataset.preprocessing)     # the weights and exports carry the transform
    if trainer.diverged_reason is None and args.export:
        export(graph, network.parameters(), args.export)
        result["export"] = str(args.export)
    if args.json:
        print(json.dumps({k: _json_value(v) for k, v in result.items()}))
    else:
        name = final["metric_name"]
        print(f"trained {trainer.epoch} epochs ({trainer.step_count} steps) on {dataset.name} "
              f"in {format_seconds(seconds)}")
        print(f"training:   loss {format_loss(final['train_loss'])}  "
              f"{format_metric(name, final['train_metric'])}")
        if final["val_loss"] is not None:
            print(f"validation: loss {format_loss(final['val_loss'])}  "
                  f"{format_metric(name, final['val_metric'])}")
        if result["export"]:
            print(f"weights written to {args.export}")
    sys.stdout.flush()
    if trainer.diverged_reason is not None:
        raise CliError(trainer.diverged_reason)
    return 0


def _json_value(v):
    """A float that JSON can carry (NaN and infinities become null)."""
    return None if isinstance(v, float) and not math.isfinite(v) else v
