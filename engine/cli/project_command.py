"""``main.py export DESIGN [--weights W] --project DIR``: a PyTorch training project (engine.io.pytorch_project)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.cli.options import CliError, carried_weights, set_weights
from engine.io.pytorch_project import check_target_folder, export_project
from engine.io.weights import load_preprocessing, load_weights
from engine.model.graph import Graph
from engine.nn.network import Network


def export_project_command(args) -> int:
    """Run ``export`` with ``--project``: the starting weights are --weights, else those the design
    carries, else fresh ones from the design's seed."""
    if args.project is None:
        raise CliError("give the file to write (OUT) or --project DIR (see: main.py export --help)", 2)
    if args.output is not None:
        raise CliError(f"--project takes the place of OUT: give one or the other, not {args.output} too "
                       "(see: main.py export --help)", 2)
    check_target_folder(args.project)
    graph = Graph.load(args.design)
    values = load_weights(args.weights) if args.weights else carried_weights(args.design)
    saved = load_preprocessing(args.weights) if args.weights else None    # fitted with these weights
    if saved is not None:
        graph.set_preprocessing(saved)
    params = None
    if values is not None:
        wide = values and all(v.dtype == np.float64 for v in values.values())
        network = Network(graph, dtype="float64" if wide else "float32")
        set_weights(network, values)        # refused, naming the parameter, unless they fit
        params = network.parameters()
    project = export_project(graph, params, args.project, base_dir=Path(args.design).resolve().parent)
    print(f"wrote the PyTorch project {project.folder} ({project.train_rows} training rows, "
          f"{project.validation_rows} validation rows); train it with: cd {project.folder} && python train.py")
    return 0
