"""A PyTorch state dict (.safetensors, or .pt/.pth when PyTorch is installed) into a design.

A safetensors file whose tensors carry the app's parameter names (``W:x->h``, ``b:h``) is the
app's own weights and is read as such, transform included. Otherwise the tensors are matched
to the design's parameters in order: for each node in topological order, the weights of each
incoming connection (dst × src, ``nn.Linear``'s (out, in)) and then its bias. The file's order
is the state dict's own for .pt files and the tensors' names for safetensors (``fc1``, ``fc2``,
``layers.10`` after ``layers.2``; a weight before its bias). When that order does not fit, the
shapes alone decide if each occurs once; otherwise the import is refused naming the shapes.
A .pt file is read with ``torch.load(weights_only=True)`` only: never an arbitrary unpickle.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from engine.files.regular_file import check_regular
from engine.io.imported import ImportedModel, ModelImportError, read_source_bytes, shape_text
from engine.io.onnx_export import expected_shapes
from engine.io.weights import check_weights, load_preprocessing, load_weights
from engine.io.weights_transform import is_transform_entry
from engine.model.errors import GraphError, WeightsError
from engine.model.param_names import is_bias, is_weight

WRAPPERS = ("state_dict", "model_state_dict", "model")      # checkpoints that hold a state dict


def _natural(name: str) -> list:
    """"layers.10.weight" after "layers.2.weight": digits compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _file_order(names: list[str]) -> list[str]:
    """Tensor names in layer order: by module (natural order), a weight before its bias."""
    def key(name: str):
        module, _, leaf = name.rpartition(".")
        return _natural(module), 0 if leaf == "weight" else 1, _natural(leaf)
    return sorted(names, key=key)


def _array(name: str, value, where: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind != "f":
        raise ModelImportError(f"{where}: the tensor {name!r} holds {arr.dtype} values, not floats")
    arr = arr.astype(np.float64 if arr.dtype == np.float64 else np.float32)
    if not np.isfinite(arr).all():
        raise ModelImportError(f"{where}: the tensor {name!r} holds NaN or infinite values")
    return arr


def _safetensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load
    data = read_source_bytes(path)
    try:
        raw = load(data)
    except Exception as e:  # the Rust reader's SafetensorError, and TypeError on dtypes numpy lacks
        raise ModelImportError(f"{path.name}: not a readable .safetensors file ({e})") from None
    return {k: _array(k, raw[k], path.name) for k in _file_order(list(raw))}


def _unwrap(obj, where: str) -> dict:
    if isinstance(obj, dict):
        for key in WRAPPERS:
            if isinstance(obj.get(key), dict):
                return obj[key]
        return obj
    raise ModelImportError(f"{where}: holds a {type(obj).__name__}, not a state dict (a dict of tensors)")


def _torch_file(path: Path) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise ModelImportError(f"{path.name}: PyTorch is needed to read .pt and .pth files (pip install torch), "
                               "or save the state dict as .safetensors") from None
    try:
        check_regular(path)
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelImportError(f"{path}: no such file") from None
    except OSError as e:
        raise ModelImportError(f"{path}: cannot read it ({e})") from None
    except Exception as e:      # pickle's UnpicklingError for anything beyond tensors, zip errors
        raise ModelImportError(f"{path.name}: not a state dict that PyTorch loads safely "
                               f"(weights_only): {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    tensors = {}
    for name, value in _unwrap(obj, path.name).items():
        if not isinstance(value, torch.Tensor):
            raise ModelImportError(f"{path.name}: {name!r} is a {type(value).__name__}, not a tensor")
        value = value.detach().cpu()
        if value.is_floating_point() and value.dtype not in (torch.float32, torch.float64):
            value = value.float()
        tensors[str(name)] = _array(str(name), value.numpy(), path.name)
    return tensors


def read_tensors(path) -> dict[str, np.ndarray]:
    """The file's float tensors by name, in layer order."""
    path = Path(path)
    return _safetensors(path) if path.suffix.lower() == ".safetensors" else _torch_file(path)


def _listed(items) -> str:
    items = list(items)
    shown = ", ".join(f"{n} {shape_text(s)}" for n, s in items[:12])
    return shown + (f" and {len(items) - 12} more" if len(items) > 12 else "")


def ordered_names(names: list[str]) -> bool:
    """Whether tensor names give the layers' order: every module is numbered (fc1, layers.3)."""
    return all(re.search(r"\d", name.rpartition(".")[0] or name) for name in names)


def match_tensors(tensors: dict[str, np.ndarray], slots: dict[str, tuple], where: str,
                  ordered: bool = True) -> list[tuple[str, str]]:
    """(tensor name, parameter name) pairs: in order (when the file's order means something), else
    by shapes that each occur once; else refused naming the shapes."""
    names = list(tensors)
    if len(names) != len(slots):
        held = _listed((n, tensors[n].shape) for n in names)
        raise ModelImportError(f"{where}: the file holds {len(names)} tensors ({held}), "
                               f"but the design has {len(slots)} parameters ({_listed(slots.items())})")
    in_order = list(zip(names, slots))
    if ordered and all(tensors[n].shape == tuple(slots[s]) for n, s in in_order):
        return in_order
    by_shape: dict[tuple, list[str]] = {}
    for n in names:
        by_shape.setdefault(tuple(tensors[n].shape), []).append(n)
    pairs, problems = [], []
    for slot, shape in slots.items():
        candidates = by_shape.get(tuple(shape), [])
        if len(candidates) != 1:
            problems.append(f"{slot} needs {shape_text(shape)}: "
                            + (f"{len(candidates)} tensors have that shape ({', '.join(candidates[:6])})"
                               if candidates else "no tensor has that shape"))
        else:
            pairs.append((candidates[0], slot))
    if problems or len({n for n, _ in pairs}) != len(pairs):
        how = "do not fit the design in order" if ordered else "are not numbered (fc1, fc2...) to give their order"
        raise ModelImportError(f"{where}: the tensors {how}, and their shapes do not "
                               f"decide it: {'; '.join(problems[:6]) or 'shapes are shared'}. The file holds "
                               f"{_listed((n, tensors[n].shape) for n in names)}")
    order = {s: i for i, s in enumerate(slots)}
    return sorted(pairs, key=lambda p: order[p[1]])


def _app_weights(path: Path, tensors: dict, graph, slots: dict) -> ImportedModel | None:
    """The app's own weights in a safetensors file (names W:… and b:…), or None for other names."""
    names = [k for k in tensors if not is_transform_entry(k)]
    if not names or not all(is_weight(k) or is_bias(k) for k in names):
        return None
    try:
        params = load_weights(path)
        check_weights(slots, params)
        transform = load_preprocessing(path)
    except WeightsError as e:
        raise ModelImportError(f"{path.name}: {e}") from None
    if transform is not None:
        graph.preprocessing = transform
    params = {k: params[k] for k in slots}
    mapping = [f"{k} {shape_text(v.shape)} → {k}" for k, v in params.items()]
    return ImportedModel(graph, params, mapping, "the app's own weights, by name"
                         + (f", with the preprocessing of {transform.target}" if transform else ""))


def import_state_dict(path, graph) -> ImportedModel:
    """``graph`` (changed only in its preprocessing) with the weights in the state dict at ``path``."""
    path = Path(path)
    where = path.name
    try:
        graph.check_complete()
    except GraphError as e:
        raise ModelImportError(f"the design cannot take weights yet: {e}") from None
    slots = expected_shapes(graph)
    tensors = read_tensors(path)
    if path.suffix.lower() == ".safetensors":
        own = _app_weights(path, tensors, graph, slots)
        if own is not None:
            return own
    ordered = path.suffix.lower() != ".safetensors" or ordered_names(list(tensors))
    pairs = match_tensors(tensors, slots, where, ordered)
    params = {slot: tensors[name] for name, slot in pairs}
    mapping = [f"{name} {shape_text(tensors[name].shape)} → {slot}" for name, slot in pairs]
    return ImportedModel(graph, params, mapping, f"{len(pairs)} tensors matched to the design's parameters")


