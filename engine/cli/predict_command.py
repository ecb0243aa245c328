"""``main.py predict``: a trained model's predictions for the rows of a CSV file.

    python main.py predict DESIGN.json --weights W DATA.csv [--out OUT.csv] [--missing refuse|drop|mean]

The preprocessing (which columns, their standardisation, the classes or the target's
scale) is the one saved with the weights, else the design's own. The table (every
input row, ``predicted_<target>``, and ``p_<class>`` per class) goes to OUT or stdout;
notes, warnings and, when the file has the target column, metrics go to stderr.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from engine.cli.options import CliError, Parser, add_missing_option, set_weights
from engine.data.prediction import describe_metrics, predict_csv, write_prediction
from engine.files.atomic import atomic_write
from engine.io.design_weights import load_design_with_weights
from engine.io.weights import WeightsError, load_weights, load_weights_design
from engine.model.graph import Graph
from engine.model.preprocessing import Preprocessing
from engine.nn.network import Network


def predict_parser() -> argparse.ArgumentParser:
    p = Parser(prog="main.py predict",
               description="Predict the target of each row of a CSV file with a trained design.")
    p.add_argument("design", metavar="DESIGN.json", help="the design file")
    p.add_argument("--weights", metavar="W", required=True,
                   help="the trained weights (.npz, .json, .safetensors, or a design saved with its weights)")
    p.add_argument("data", metavar="DATA.csv", help="the rows to predict (the target column may be absent)")
    p.add_argument("--out", metavar="OUT.csv", help="write the table here (default: stdout)")
    add_missing_option(p)
    return p


def load_model(design_path, weights_path) -> tuple[Graph, dict, Preprocessing]:
    """The design, its weights, and the preprocessing saved with them (CliError when there is none)."""
    graph = Graph.load(design_path)
    try:
        params, saved = load_weights(weights_path), load_weights_design(weights_path)
        saved_graph = Graph.from_dict(saved) if saved is not None else None
    except WeightsError:
        if Path(weights_path).suffix.lower() != ".json":
            raise
        saved_graph, params = load_design_with_weights(weights_path)   # a design saved with its weights
        if params is None:
            raise CliError(f"{Path(weights_path).name} holds a design without weights: "
                           "give the weights file with --weights") from None
    preprocessing = (saved_graph.preprocessing if saved_graph is not None else None) or graph.preprocessing
    if preprocessing is None:
        raise CliError(f"neither {Path(weights_path).name} nor {Path(design_path).name} holds the "
                       "preprocessing fitted in training: train first, e.g. "
                       f"main.py train {design_path} --export weights.npz, then predict with --weights weights.npz")
    return graph, params, preprocessing


def cmd_predict(argv: list[str]) -> int:
    args = predict_parser().parse_args(argv)
    if args.out and not (Path(args.out).parent if str(Path(args.out).parent) else Path(".")).is_dir():
        raise CliError(f"{args.out}: the folder {Path(args.out).parent} does not exist")
    graph, params, preprocessing = load_model(args.design, args.weights)
    wide = params and all(v.dtype == np.float64 for v in params.values())
    network = Network(graph, dtype="float64" if wide else "float32")
    set_weights(network, params)
    inp = graph.input_node()
    if inp is not None and inp.size != len(preprocessing.inputs):
        raise CliError(f"the design's input node takes {inp.size} values, but the model's preprocessing "
                       f"makes {len(preprocessing.inputs)}: the weights and the design do not belong together")
    prediction = predict_csv(args.data, preprocessing, network.forward, args.missing or "refuse")
    for note in prediction.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in prediction.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.out:
        with atomic_write(Path(args.out), "w") as f:
            write_prediction(prediction, f)
    else:
        write_prediction(prediction, sys.stdout)
        sys.stdout.flush()
    if prediction.metrics is not None:
        print(describe_metrics(prediction.metrics, preprocessing.target), file=sys.stderr)
    if args.out:
        print(f"wrote {len(prediction.rows)} predictions to {args.out}", file=sys.stderr)
    return 0
