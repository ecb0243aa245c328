"""What the subcommands share: one-line errors, argument types, loading a design with its data."""
from __future__ import annotations

import argparse
from pathlib import Path

from engine.data import datasets
from engine.files.resources import resolve_design
from engine.io.design_weights import load_design_with_weights
from engine.io.weights import check_weights, load_weights
from engine.model.graph import Graph
from engine.nn.network import Network


class CliError(Exception):
    """A problem to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2)."""

    def error(self, message):
        raise CliError(f"{message} (see: {self.prog} --help)", 2)

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        if getattr(parsed, "design", None) is not None:   # a shipped example may be named bare
            parsed.design = resolve_design(parsed.design)
        return parsed


# ----- argument types ------------------------------------------------------
def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 1, not {text}")
    return value


def count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 0, not {text}")
    return value


def non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number ≥ 0, not {text}")
    return value


def positive(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number above 0, not {text}")
    return value


for _f, _name in ((positive_int, "whole number ≥ 1"), (count, "whole number"),
                  (non_negative, "number"), (positive, "number")):
    _f.__name__ = _name  # argparse names the type in "invalid <type> value" messages


def add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("design", metavar="DESIGN.json", help="the design file")
    p.add_argument("--data", metavar="NAME|CSV",
                   help=f"data: {', '.join(datasets.BUILTIN_2D + datasets.SKLEARN)}, house_prices, "
                        "or a CSV file (default: the design's setting, else circle)")
    p.add_argument("--samples", type=positive_int, metavar="N", help="examples in a built-in 2-D set")
    p.add_argument("--noise", type=non_negative, metavar="X", help="noise of a built-in 2-D set (0 to 1)")
    p.add_argument("--seed", type=count, metavar="N", help="seed of the data split, weights and shuffling")
    add_missing_option(p)


def add_missing_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--missing", choices=datasets.MISSING_POLICIES,
                   help="empty or NA cells: refuse them (the default), drop their rows, "
                        "or fill them with the training mean")


# ----- shared steps --------------------------------------------------------
def load_design_and_data(args, with_target: bool = True):
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
    for key in ("samples", "noise", "seed", "missing") + (("target", "validation") if with_target else ()):
        if getattr(args, key, None) is not None:
            settings[key] = getattr(args, key)
    dataset = datasets.from_settings(settings, graph.loss, base_dir=base_dir)
    datasets.check_design(graph, dataset)
    return graph, settings, dataset


def carried_weights(design_path, *, required: bool = False) -> dict | None:
    """The weights a design saved with them carries (File ▸ Save with Weights, ``main.py import``);
    None when it carries none, or a CliError asking for ``--weights`` when they are ``required``."""
    _graph, params = load_design_with_weights(design_path)
    if params is None and required:
        raise CliError(f"{Path(design_path).name} carries no weights: give them with --weights W "
                       "(or use a design saved with its weights)")
    return params


def load_weights_into(network: Network, path) -> None:
    set_weights(network, load_weights(path))


def set_weights(network: Network, values: dict) -> None:
    check_weights(network.parameter_shapes(), values, network.dtype)
    network.load_parameters(values)
