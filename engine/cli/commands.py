"""The command line: train, export and gradcheck a design file without the GUI.

    python main.py train DESIGN.json [--data NAME|CSV] [--epochs N] ... [--export OUT] [--json]
    python main.py export DESIGN.json --weights W.npz OUT.(npz|json|safetensors|onnx|py)
    python main.py gradcheck DESIGN.json [--data xor] [--samples N] [--seed 0]

Data and training settings default to the design's ``settings`` and flags override
them. Every bad input ends with one line "error: ..." on stderr and a non-zero
exit: 2 for a usage error, 1 otherwise, 130 after Ctrl+C.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from engine.data import datasets

from engine.nn import activations
from engine.model.graph import Graph, GraphError
from engine.io.onnx_export import ExportError
from engine.io.weights import WeightsError
from engine.nn.network import Network
from engine.nn.param_names import connection_named, is_weight
from engine.train.trainer import ConfigError, Trainer, TrainingConfig

DEFAULT_EPOCHS = 100    # when neither the design nor --epochs says
GRADCHECK_TOLERANCE = 1e-6

# Errors that describe bad input; anything else is a bug and keeps its traceback.
INPUT_ERRORS = (GraphError, datasets.DataError, WeightsError, ExportError, ConfigError, OSError)


class CliError(Exception):
    """A problem to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2)."""

    def error(self, message):
        raise CliError(f"{message} (see: {self.prog} --help)", 2)


# ----- export formats: the extension point --------------------------------
def _save_weights(graph: Graph, params: dict, path: Path) -> None:
    from engine.io.weights import save_weights
    save_weights(params, path, design=graph.to_dict())


def _save_onnx(graph: Graph, params: dict, path: Path) -> None:
    try:
        from engine.io.onnx_export import export_onnx
        export_onnx(graph, params, path)
    except ImportError as e:
        raise CliError(f"exporting {path.name} needs the onnx package ({e})") from None


# Output extension -> writer(graph, params, path). A new format (issue 7: PyTorch
# ".py") is one more entry here.
def _save_pytorch(graph: Graph, params: dict, path: Path) -> None:
    from engine.io.pytorch_export import export_pytorch
    export_pytorch(graph, params, path)


EXPORTERS = {".npz": _save_weights, ".json": _save_weights, ".safetensors": _save_weights,
             ".onnx": _save_onnx, ".py": _save_pytorch}


def exporter_for(path) -> Callable:
    """The writer for an output path, checked before any work is done."""
    path = Path(path)
    writer = EXPORTERS.get(path.suffix.lower())
    if writer is None:
        raise CliError(f"{path.name}: unknown output format {path.suffix or '(no extension)'!r}: "
                       f"use {', '.join(EXPORTERS)}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CliError(f"{path}: the folder {parent} does not exist")
    return writer


def export(graph: Graph, params: dict, path) -> None:
    """Write ``params`` of ``graph`` to ``path`` in the format its extension names."""
    exporter_for(path)(graph, params, Path(path))


# ----- gradient check ------------------------------------------------------
MAX_EXAMPLES = 128      # training examples in the checked batch
MAX_ENTRIES = 100       # entries checked per parameter (a seeded sample of larger ones)
FD_STEPS = (1e-3, 1e-4, 1e-5)  # tried in turn while a step crosses a relu kink


@dataclass
class GradientCheck:
    """One parameter's result: the largest relative error over its checked entries."""
    name: str
    shape: tuple
    checked: int
    skipped: int
    max_error: float | None


def check_gradients(network: Network, X, T, seed: int = 0) -> list[GradientCheck]:
    """Chain-rule gradients of the data loss against finite differences, per parameter.

    Uses the fourth-order central difference (−L(p+2h) + 8L(p+h) − 8L(p−h) + L(p−2h)) / 12h
    and the relative error |g − n| / max(|g|, |n|, floor), floor = max(1e-6, 1e-4·|L|):
    the floor keeps the float64 rounding of L (~1e-13·|L| in n) from counting as an
    error on gradients that are zero or nearly so. Masked weights are not
    parameters and are left out; an entry whose perturbation moves a relu-family
    pre-activation across 0 is retried with a smaller step, then skipped.
    """
    X = np.ascontiguousarray(X[:MAX_EXAMPLES], dtype=network.dtype)
    T = np.ascontiguousarray(T[:MAX_EXAMPLES], dtype=network.dtype)
    loss, grads = network.loss_and_gradients(X, T)
    floor = max(1e-6, 1e-4 * abs(loss))
    kinked = [n for n in network.order if network.activation[n] in activations.RELU_FAMILY]

    def pattern():
        return [network.z[n] > 0 for n in kinked]

    network.loss_value(X, T)
    base = pattern()
    rng = np.random.default_rng(seed)
    results = []
    for name, p in network.parameters().items():
        free = np.arange(p.size)
        if is_weight(name):
            mask = network.masks[connection_named(name, network.masks)]
            if mask is not None:
                free = np.flatnonzero(mask.ravel())
        if free.size > MAX_ENTRIES:
            free = np.sort(rng.choice(free, MAX_ENTRIES, replace=False))
        flat, g = p.reshape(-1), grads[name].reshape(-1)
        worst, skipped = None, 0
        for i in free:
            numeric = _central_difference(network, flat, i, X, T, base, pattern)
            if numeric is None:
                skipped += 1
                continue
            err = abs(g[i] - numeric) / max(abs(g[i]), abs(numeric), floor)
            worst = err if worst is None else max(worst, err)
        results.append(GradientCheck(name, tuple(p.shape), int(free.size) - skipped, skipped,
                                     None if worst is None else float(worst)))
    return results


def _central_difference(network, flat, i, X, T, base, pattern):
    original = flat[i]
    try:
        for h in FD_STEPS:
            values = []
            for k in (-2, -1, 1, 2):
                flat[i] = original + k * h
                values.append(network.loss_value(X, T))
                if not all(np.array_equal(a, b) for a, b in zip(pattern(), base)):
                    break
            else:
                return (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)
        return None
    finally:
        flat[i] = original


# ----- argument parsers ----------------------------------------------------
def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 1, not {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 0, not {text}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number ≥ 0, not {text}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number above 0, not {text}")
    return value


for _f, _name in ((_positive_int, "whole number ≥ 1"), (_count, "whole number"),
                  (_non_negative, "number"), (_positive, "number")):
    _f.__name__ = _name  # argparse names the type in "invalid <type> value" messages


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("design", metavar="DESIGN.json", help="the design file")
    p.add_argument("--data", metavar="NAME|CSV",
                   help=f"data: {', '.join(datasets.BUILTIN_2D + datasets.SKLEARN)}, house_prices, "
                        "or a CSV file (default: the design's setting, else circle)")
    p.add_argument("--samples", type=_positive_int, metavar="N", help="examples in a built-in 2-D set")
    p.add_argument("--noise", type=_non_negative, metavar="X", help="noise of a built-in 2-D set (0 to 1)")
    p.add_argument("--seed", type=_count, metavar="N", help="seed of the data split, weights and shuffling")


def train_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="main.py train", description="Train a design on data and report the final metrics.")
    _add_data_options(p)
    p.add_argument("--target", metavar="COL", help="the CSV column to predict (name or number; default: last)")
    p.add_argument("--validation", type=_non_negative, metavar="X", help="validation share, 0 to <1")
    p.add_argument("--epochs", type=_count, metavar="N",
                   help=f"epochs to train (default: the design's setting, else {DEFAULT_EPOCHS})")
    p.add_argument("--optimizer", choices=("sgd", "momentum", "nesterov", "adam"))
    p.add_argument("--lr", type=_positive, metavar="X", help="learning rate")
    p.add_argument("--batch-size", type=_positive_int, metavar="N")
    p.add_argument("--l1", type=_non_negative, metavar="X", help="L1 penalty")
    p.add_argument("--l2", type=_non_negative, metavar="X", help="L2 penalty")
    p.add_argument("--weights", metavar="IN", help="start from these weights (.npz, .json, .safetensors)")
    p.add_argument("--export", metavar="OUT", help=f"write the trained weights ({', '.join(EXPORTERS)})")
    p.add_argument("--json", action="store_true", help="print only a JSON object with the final metrics")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    return p


def export_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="main.py export", description="Convert a design's weights to another format.")
    p.add_argument("design", metavar="DESIGN.json", help="the design file")
    p.add_argument("--weights", metavar="W", required=True, help="weights (.npz, .json, .safetensors)")
    p.add_argument("output", metavar="OUT", help=f"the file to write ({', '.join(EXPORTERS)})")
    return p


def gradcheck_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="main.py gradcheck",
                description="Compare chain-rule gradients with central finite differences (float64) "
                            f"per parameter, on up to {MAX_EXAMPLES} training examples and up to "
                            f"{MAX_ENTRIES} entries per parameter; exit 1 if any relative error "
                            f"exceeds {GRADCHECK_TOLERANCE:g}.")
    _add_data_options(p)
    return p


# ----- shared steps --------------------------------------------------------
def _load(args, with_target: bool = True):
    """The design and its data (settings overridden by the flags)."""
    graph = Graph.load(args.design)
    settings = dict(graph.settings)
    # A CSV path in the design is relative to the design's folder; one typed on the
    # command line, to the working folder.
    base_dir = Path(args.design).resolve().parent
    if args.data is not None:
        settings["data"] = args.data
        base_dir = None
        if not with_target or getattr(args, "target", None) is None:
            settings.pop("target", None)
    for key in ("samples", "noise", "seed") + (("target", "validation") if with_target else ()):
        if getattr(args, key, None) is not None:
            settings[key] = getattr(args, key)
    dataset = datasets.from_settings(settings, graph.loss, base_dir=base_dir)
    datasets.check_design(graph, dataset)
    return graph, settings, dataset


def _load_weights(network: Network, path) -> None:
    from engine.io.weights import load_weights
    _set_weights(network, load_weights(path))


def _set_weights(network: Network, values: dict) -> None:
    from engine.io.weights import check_weights
    check_weights(network.parameter_shapes(), values, network.dtype)
    network.load_parameters(values)


# ----- commands ------------------------------------------------------------
def cmd_train(argv: list[str]) -> int:
    from engine.cli.progress import Progress, format_loss, format_metric, format_seconds
    args = train_parser().parse_args(argv)
    if args.export:
        exporter_for(args.export)
    graph, settings, dataset = _load(args)
    for key in ("optimizer", "lr", "batch_size", "epochs", "l1", "l2"):   # seed: set by _load
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    config = TrainingConfig.from_settings(settings)
    network = Network(graph, seed=config.seed, dtype=args.dtype)
    if args.weights:
        _load_weights(network, args.weights)
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
              "export": None}
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


def cmd_export(argv: list[str]) -> int:
    args = export_parser().parse_args(argv)
    exporter_for(args.output)
    graph = Graph.load(args.design)
    from engine.io.weights import load_weights
    values = load_weights(args.weights)
    # Keep float64 weights in float64 (ONNX export converts to float32 itself).
    wide = values and all(v.dtype == np.float64 for v in values.values())
    network = Network(graph, dtype="float64" if wide else "float32")
    _set_weights(network, values)
    export(graph, network.parameters(), args.output)
    print(f"wrote {args.output}")
    return 0


def cmd_gradcheck(argv: list[str]) -> int:
    args = gradcheck_parser().parse_args(argv)
    graph, settings, dataset = _load(args, with_target=False)
    network = Network(graph, seed=settings.get("seed") or 0, dtype="float64")
    results = check_gradients(network, dataset.X_train, dataset.T_train, seed=settings.get("seed") or 0)
    width = max(len("parameter"), *(len(r.name) for r in results))
    print(f"{'parameter':<{width}}  {'shape':<12} {'checked':>7}  max rel. error")
    worst = 0.0
    failed = []
    for r in results:
        err = "n/a" if r.max_error is None else f"{r.max_error:.2e}"
        ok = r.max_error is None or r.max_error <= GRADCHECK_TOLERANCE
        note = "" if not r.skipped else f"  ({r.skipped} skipped at a relu kink)"
        print(f"{r.name:<{width}}  {str(r.shape):<12} {r.checked:>7}  {err:<9} "
              f"{'ok' if ok else 'FAIL'}{note}")
        if r.max_error is not None:
            worst = max(worst, r.max_error)
        if not ok:
            failed.append(r.name)
    if failed:
        print(f"{len(failed)} of {len(results)} parameters fail: relative error above "
              f"{GRADCHECK_TOLERANCE:g} ({', '.join(failed)})")
        return 1
    print(f"all {len(results)} parameters pass (max relative error {worst:.2e} ≤ {GRADCHECK_TOLERANCE:g})")
    return 0


COMMANDS = {"train": cmd_train, "export": cmd_export, "gradcheck": cmd_gradcheck}


def main(argv: list[str]) -> int:
    """Run ``argv`` (command first); returns the exit status."""
    if not argv or argv[0] not in COMMANDS:
        print(f"error: the command must be one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except CliError as e:
        _fail(str(e))
        return e.code
    except INPUT_ERRORS as e:
        _fail(str(e) if not isinstance(e, OSError) or not e.filename else
              f"{e.filename}: {e.strerror or e}")
        return 1
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except SystemExit as e:     # argparse after --help
        return e.code if isinstance(e.code, int) else 0


def _fail(message: str) -> None:
    sys.stdout.flush()
    print("error: " + " ".join(message.split()), file=sys.stderr)
