"""``main.py import``: a model made elsewhere as a design saved with its weights.

    python main.py import MODEL.onnx OUT.json
    python main.py import STATE.(safetensors|pt|pth) OUT.json --design DESIGN.json

An ONNX model carries its design (a chain of dense layers); a state dict's tensors go into
the design given with ``--design``, and each line printed says which tensor went where.
OUT.json is the Save with Weights format: ``train``, ``export`` and the app open it as is.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli.options import CliError, Parser
from engine.io.design_weights import save_design_with_weights
from engine.io.model_import import SOURCE_SUFFIXES, check_source, import_model, is_onnx
from engine.model.graph import Graph


def import_parser() -> argparse.ArgumentParser:
    p = Parser(prog="main.py import",
               description="Import an ONNX model, or a PyTorch state dict into a design, as a design "
                           "saved with its weights.")
    p.add_argument("source", metavar="SOURCE", help=f"the model ({', '.join(SOURCE_SUFFIXES)})")
    p.add_argument("output", metavar="OUT.json", help="the design with its weights to write")
    p.add_argument("--design", metavar="DESIGN.json",
                   help="the design a state dict's tensors go into (required for .safetensors, .pt, .pth; "
                        "not for .onnx, which carries its own)")
    return p


def cmd_import(argv: list[str]) -> int:
    args = import_parser().parse_args(argv)
    source = check_source(args.source)
    if Path(args.output).suffix.lower() != ".json":
        raise CliError(f"{args.output}: the output is a design with its weights, a .json file", 2)
    if is_onnx(source) and args.design is not None:
        raise CliError(f"{source.name} is an ONNX model, which carries its own design: "
                       "--design is only for a state dict (.safetensors, .pt, .pth)", 2)
    if not is_onnx(source) and args.design is None:
        raise CliError(f"{source.name} is a state dict, tensors without a design: "
                       "give the design to put them in with --design DESIGN.json", 2)
    design = Graph.load(args.design) if args.design is not None else None
    result = import_model(source, design)
    for line in result.mapping:
        print(line)
    save_design_with_weights(result.graph, result.params, args.output)
    print(f"imported {source.name}: {result.summary}")
    print(f"wrote {args.output}")
    return 0
