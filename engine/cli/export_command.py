"""``main.py export``: convert a design's weights to another format.

    python main.py export DESIGN.json --weights W.npz OUT.(npz|json|safetensors|onnx|py)
    python main.py export DESIGN_WITH_WEIGHTS.json OUT...     (weights saved in the design)
    python main.py export DESIGN.json [--weights W] --project DIR   (a PyTorch training project)

The fitted transform saved with the weights (else the design's) goes into the output, so
that an ONNX or PyTorch export takes raw rows and answers in the target's units.
"""
from __future__ import annotations

import argparse

import numpy as np

from engine.cli.exporters import EXPORTERS, export, exporter_for
from engine.cli.options import Parser, carried_weights, set_weights
from engine.cli.project_command import export_project_command
from engine.files.resources import resolve_design
from engine.io.weights import load_preprocessing, load_weights
from engine.model.graph import Graph
from engine.nn.network import Network


def export_parser() -> argparse.ArgumentParser:
    p = Parser(prog="main.py export", description="Convert a design's weights to another format.")
    p.add_argument("design", metavar="DESIGN.json", help="the design file")
    p.add_argument("--weights", metavar="W",
                   help="weights (.npz, .json, .safetensors); default: those the design carries when it "
                        "was saved with its weights")
    p.add_argument("output", metavar="OUT", nargs="?", help=f"the file to write ({', '.join(EXPORTERS)})")
    p.add_argument("--project", metavar="DIR",
                   help="instead of OUT: write a PyTorch training project (model.py, train.py for "
                        "torchrun, the data, the starting weights, a README) into DIR, new or empty")
    return p


def cmd_export(argv: list[str]) -> int:
    args = export_parser().parse_intermixed_args(argv)     # OUT may come after --weights W, or not at all
    args.design = resolve_design(args.design)
    if args.project is not None or args.output is None:
        return export_project_command(args)
    exporter_for(args.output)
    graph = Graph.load(args.design)
    values = load_weights(args.weights) if args.weights else carried_weights(args.design, required=True)
    saved = load_preprocessing(args.weights) if args.weights else None  # the transform fitted with these weights
    if saved is not None:
        graph.set_preprocessing(saved)
    # Keep float64 weights in float64 (ONNX export converts to float32 itself).
    wide = values and all(v.dtype == np.float64 for v in values.values())
    network = Network(graph, dtype="float64" if wide else "float32")
    set_weights(network, values)
    export(graph, network.parameters(), args.output)
    print(f"wrote {args.output}")
    return 0
