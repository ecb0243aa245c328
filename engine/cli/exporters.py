"""Output formats of the command line, by extension: the extension point for a new format."""
from __future__ import annotations

from pathlib import Path
from collections.abc import Callable

from engine.cli.options import CliError
from engine.io.onnx_export import export_onnx
from engine.io.pytorch_export import export_pytorch
from engine.io.weights import save_weights
from engine.model.graph import Graph


def _save_weights(graph: Graph, params: dict, path: Path) -> None:
    save_weights(params, path, design=graph.to_dict())


def _save_onnx(graph: Graph, params: dict, path: Path) -> None:
    try:
        export_onnx(graph, params, path)
    except ImportError as e:
        raise CliError(f"exporting {path.name} needs the onnx package ({e})") from None


def _save_pytorch(graph: Graph, params: dict, path: Path) -> None:
    export_pytorch(graph, params, path)


# Output extension -> writer(graph, params, path). A new format is one more entry here.
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
