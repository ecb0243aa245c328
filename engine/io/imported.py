"""What the imports share (engine.io.model_import): the error, the result, the file kinds, reading the file."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.files.regular_file import NotAFileError, read_regular_bytes
from engine.model.errors import GraphError

ONNX_SUFFIXES = (".onnx",)
STATE_DICT_SUFFIXES = (".safetensors", ".pt", ".pth")
SOURCE_SUFFIXES = ONNX_SUFFIXES + STATE_DICT_SUFFIXES


class ModelImportError(GraphError):
    """A model that cannot be imported; the message names the file, and the node or tensor."""


@dataclass
class ImportedModel:
    """A design with its weights, and what the import did, in lines for the user."""
    graph: object                           # engine.model.graph.Graph
    params: dict[str, np.ndarray]
    mapping: list[str] = field(default_factory=list)   # "fc1.weight (8, 4) → W:x->h1", one per entry
    summary: str = ""


def is_onnx(path) -> bool:
    return Path(path).suffix.lower() in ONNX_SUFFIXES


def is_state_dict(path) -> bool:
    return Path(path).suffix.lower() in STATE_DICT_SUFFIXES


def check_source(path) -> Path:
    """``path`` if its suffix is one the import reads, else a ModelImportError saying which are."""
    path = Path(path)
    if path.suffix.lower() not in SOURCE_SUFFIXES:
        raise ModelImportError(f"{path.name}: cannot import {path.suffix or 'a file without an extension'}: "
                               f"use {', '.join(SOURCE_SUFFIXES)}")
    return path


def read_source_bytes(path: Path) -> bytes:
    """The file's bytes, or a ModelImportError naming it (never blocks on a pipe)."""
    try:
        return read_regular_bytes(path)
    except FileNotFoundError:
        raise ModelImportError(f"{path}: no such file") from None
    except NotAFileError as e:
        raise ModelImportError(str(e)) from None
    except OSError as e:
        raise ModelImportError(f"{path}: cannot read it ({e.strerror or e})") from None


def shape_text(shape) -> str:
    """(8, 4) as the mapping and messages write it."""
    shape = tuple(int(d) for d in shape)
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"
