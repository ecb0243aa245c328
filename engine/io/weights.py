"""Weight files: .npz, .json and .safetensors, keyed by the names of Network.parameters().

Names are "W:src->dst" (shape dst × src; masked entries are zero) and "b:node"
(shape (size,)). Every format keeps the arrays' dtype (float32 or float64) and
exact values; a design (the dict of the design file) and the fitted transform (its
"preprocessing", under entries of their own: engine.io.weights_transform) may ride along.
Writes are atomic. Loading refuses, with a WeightsError naming the file, anything that is
not a clean set of finite numeric arrays. See docs/formats.md.
"""
from __future__ import annotations

import io
import json
import lzma
import zipfile
import zlib
from pathlib import Path

import numpy as np

from engine.files.atomic import atomic_write_bytes
from engine.files.json_text import MAX_DEPTH, depth, read_json_text
from engine.files.regular_file import NotAFileError, read_regular_bytes
from engine.io.weights_transform import (ENTRY, is_transform_entry, read_transform, split_entries,
                                         transform_arrays, transform_dict, transform_text)
from engine.model.errors import WeightsError
from engine.model.preprocessing import Preprocessing
from engine.model.rules import MAX_PARAMETERS

FORMAT = "backprop-studio-weights"
VERSION = 1
FORMATS = (".npz", ".json", ".safetensors")
DESIGN_KEY = "__design__"   # npz entry / safetensors metadata key / json field "design"
_FLOAT = {"float32": np.float32, "float64": np.float64}
# The largest .npz contents read: a design's most parameters (engine.model.rules.MAX_PARAMETERS) in
# float64, plus room for the design. A header claiming more is refused before numpy allocates.
MAX_NPZ_BYTES = 8 * MAX_PARAMETERS + 2**26
# What zipfile and its decompressors raise on a damaged or unusual archive.
_ZIP_ERRORS = (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, lzma.LZMAError,
               NotImplementedError, RuntimeError)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        hint = " (ONNX is export only: use export_onnx)" if suffix == ".onnx" else ""
        raise WeightsError(f"{path.name}: unknown weights format {suffix or '(no extension)'!r}: "
                           f"use {', '.join(FORMATS)}{hint}")
    return suffix


def _clean(name: str, value, where: str) -> np.ndarray:
    """A finite float32/float64 array, or a WeightsError saying what is wrong with ``name``."""
    if not isinstance(name, str) or not name:
        raise WeightsError(f"{where}: parameter names must be non-empty text, not {name!r}")
    arr = np.asarray(value)
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.float64)
    elif arr.dtype not in (np.float32, np.float64):
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        else:
            raise WeightsError(f"{where}: {name} holds {arr.dtype} values, not numbers")
    if not np.isfinite(arr).all():
        raise WeightsError(f"{where}: {name} holds NaN or infinite values")
    return arr


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8)


def _npz_bytes(params: dict, design: dict | None, transform: dict | None) -> bytes:
    buf = io.BytesIO()
    entries = dict(params)
    if design is not None:
        entries[DESIGN_KEY] = _text_array(json.dumps(design))
    if transform is not None:
        entries.update(transform_arrays(transform))
        entries[ENTRY] = _text_array(transform_text(transform))
    np.savez(buf, **entries)
    return buf.getvalue()


def _json_bytes(params: dict, design: dict | None, transform: dict | None) -> bytes:
    doc = {"format": FORMAT, "version": VERSION,
           "parameters": [{"name": k, "shape": list(v.shape), "dtype": v.dtype.name, "values": v.tolist()}
                          for k, v in params.items()]}
    if transform is not None:
        doc[ENTRY] = transform
    if design is not None:
        doc["design"] = design
    return (json.dumps(doc, indent=1) + "\n").encode()


def _safetensors_bytes(params: dict, design: dict | None, transform: dict | None) -> bytes:
    from safetensors.numpy import save
    # safetensors sorts its header; the parameters' order (the design's order) rides in the metadata
    metadata = {"format": FORMAT, "version": str(VERSION), "order": json.dumps(list(params))}
    tensors = dict(params)
    if design is not None:
        metadata[DESIGN_KEY] = json.dumps(design)
    if transform is not None:
        metadata[ENTRY] = transform_text(transform)
        tensors.update(transform_arrays(transform))
    return save({k: np.asarray(v, order="C") for k, v in tensors.items()}, metadata=metadata)   # 0-d stays 0-d


def save_weights(params: dict[str, np.ndarray], path, *, design: dict | None = None,
                 preprocessing: Preprocessing | dict | None = None) -> None:
    """Write ``params`` to ``path`` in the format its extension names (.npz, .json, .safetensors).

    The fitted transform (``preprocessing``, by default the design's) is saved beside them
    under entries named ``preprocessing…``, which ``load_preprocessing`` reads back.
    """
    path = Path(path)
    suffix = _suffix(path)
    if not isinstance(params, dict):
        raise WeightsError(f"{path.name}: parameters must be a dict of name -> array")
    clean = {name: _clean(name, value, path.name) for name, value in params.items()}
    reserved = [k for k in clean if k == DESIGN_KEY or is_transform_entry(k)]
    if reserved:
        raise WeightsError(f"{path.name}: {reserved[0]!r} is reserved and cannot name a parameter")
    writer = {".npz": _npz_bytes, ".json": _json_bytes, ".safetensors": _safetensors_bytes}[suffix]
    try:
        data = writer(clean, design, transform_dict(preprocessing, design))
    except (TypeError, ValueError) as e:
        raise WeightsError(f"{path.name}: cannot write these weights ({e})") from None
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise WeightsError(f"{path}: cannot write it ({e.strerror or e})") from None


def _check_npz_sizes(data: bytes, name: str) -> None:
    """Refuse an archive whose entries claim more data than they hold, or more than any design
    needs, before numpy allocates the arrays their headers describe."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > MAX_NPZ_BYTES:
            raise WeightsError(f"{name}: the archive unpacks to more than {MAX_NPZ_BYTES:,} bytes, "
                               "more than the weights of any design")
        for info in infos:
            if not info.filename.endswith(".npy"):
                continue
            with archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                # A 3.0 header differs from 2.0 only in being UTF-8 (field names of structured dtypes).
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _fortran, dtype = read(f)
                if dtype.hasobject:
                    continue    # refused by np.load: allow_pickle=False
                claimed = dtype.itemsize
                for d in shape:
                    claimed *= int(d)
                held = info.file_size - f.tell()
                if claimed > held:
                    raise WeightsError(f"{name}: the entry {info.filename[:-4]!r} is damaged: its header "
                                       f"claims {claimed:,} bytes of values, it holds {held:,}")


def _read_npz(data: bytes, name: str) -> tuple[dict, dict | None, object]:
    if not data.startswith(b"PK"):  # an .npz is a zip archive
        raise WeightsError(f"{name}: not an .npz file (it is not a zip archive of arrays)")
    try:
        _check_npz_sizes(data, name)
        archive = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise WeightsError(f"{name}: a single array, not an .npz archive of named arrays")
        with archive:
            raw = {k: archive[k] for k in archive.files}
    except _ZIP_ERRORS as e:
        if isinstance(e, WeightsError):
            raise
        raise WeightsError(f"{name}: not a readable .npz file ({e or e.__class__.__name__})") from None
    design = None
    if DESIGN_KEY in raw:
        design = _design_json(raw.pop(DESIGN_KEY).tobytes(), name)
    raw, transform = split_entries(raw)
    return raw, design, transform.get(ENTRY)


def _design_json(text, name: str) -> dict:
    return _checked_design(read_json_text(text, f"{name}: the design stored with the weights", WeightsError),
                           name)


def _checked_design(design, name: str) -> dict:
    if not isinstance(design, dict):
        raise WeightsError(f"{name}: the design stored with the weights is not a JSON object")
    if depth(design) > MAX_DEPTH:
        raise WeightsError(f"{name}: the design stored with the weights nests more than {MAX_DEPTH} levels deep")
    return design


def _read_json(data: bytes, name: str) -> tuple[dict, dict | None, object]:
    return _read_document(read_json_text(data, name, WeightsError), name)


def weights_from_document(doc, name: str) -> dict[str, np.ndarray]:
    """The arrays of a parsed .json weights document (as a design file's field ``weights``
    carries one), with every check of ``load_weights``; ``name`` names it in messages."""
    raw, _design, _transform = _read_document(doc, name)
    return {k: _clean(k, v, name) for k, v in raw.items()}


def _read_document(doc, name: str) -> tuple[dict, dict | None, object]:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise WeightsError(f"{name}: not a Backprop Studio weights file (the field 'format' should be {FORMAT!r})")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise WeightsError(f"{name}: the field 'version' must be a whole number ≥ 1")
    if version > VERSION:
        raise WeightsError(f"{name} is version {version}, newer than this app reads ({VERSION}): "
                           "update Backprop Studio")
    entries = doc.get("parameters")
    if not isinstance(entries, list):
        raise WeightsError(f"{name}: the field 'parameters' must be a list")
    raw = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise WeightsError(f"{name}: parameter {i + 1} needs a 'name'")
        pname, shape = entry["name"], entry.get("shape")
        if pname in raw:
            raise WeightsError(f"{name}: the parameter {pname} appears twice")
        if (not isinstance(shape, list)
                or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
            raise WeightsError(f"{name}: {pname} needs a 'shape' of whole numbers")
        dtype_name = entry.get("dtype", "float64")
        dtype = _FLOAT.get(dtype_name) if isinstance(dtype_name, str) else None   # [] is unhashable
        if dtype is None:
            raise WeightsError(f"{name}: {pname} has the unknown dtype {entry.get('dtype')!r} "
                               "(use float32 or float64)")
        values = entry.get("values")
        if any(isinstance(v, (bool, str)) or v is None for v in _leaves(values)):
            raise WeightsError(f"{name}: {pname} holds values that are not numbers")
        try:
            arr = np.array(values, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):   # OverflowError: an integer beyond float range
            raise WeightsError(f"{name}: {pname} holds values that are not a table of numbers") from None
        if arr.shape != tuple(shape):
            raise WeightsError(f"{name}: {pname} has values of shape {arr.shape}, but its 'shape' says "
                               f"{tuple(shape)}")
        raw[pname] = arr.astype(dtype)
    design = doc.get("design")
    return raw, None if design is None else _checked_design(design, name), doc.get(ENTRY)


def _leaves(values):
    stack = [values]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        else:
            yield v


def _read_safetensors(data: bytes, name: str) -> tuple[dict, dict | None, object]:
    from safetensors.numpy import load
    try:
        raw = load(data)
        meta = _safetensors_metadata(data)
    except Exception as e:  # the Rust reader raises its own SafetensorError, and TypeError on bad dtypes
        raise WeightsError(f"{name}: not a readable .safetensors file ({e})") from None
    design = _design_json(meta[DESIGN_KEY], name) if DESIGN_KEY in meta else None
    raw, _arrays = split_entries(raw)
    return _in_order(raw, meta, name), design, meta.get(ENTRY)


def _in_order(raw: dict, meta: dict, name: str) -> dict:
    """The tensors in the order the metadata's 'order' lists them (safetensors sorts its header)."""
    if "order" not in meta:
        return raw
    order = read_json_text(meta["order"], f"{name}: the metadata 'order'", WeightsError)
    if not (isinstance(order, list) and all(isinstance(k, str) for k in order) and sorted(order) == sorted(raw)):
        raise WeightsError(f"{name}: the metadata 'order' must list the names of the tensors, each once")
    return {k: raw[k] for k in order}


def _safetensors_metadata(data: bytes) -> dict:
    # The header is 8 bytes of little-endian length and then JSON; "__metadata__" is its string map.
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    meta = header.get("__metadata__") or {}
    return meta if isinstance(meta, dict) else {}


def _read(path) -> tuple[dict[str, np.ndarray], dict | None, object, str]:
    path = Path(path)
    suffix = _suffix(path)
    try:
        data = read_regular_bytes(path)
    except FileNotFoundError:
        raise WeightsError(f"{path}: no such file") from None
    except NotAFileError as e:      # a pipe would block; /dev/zero never ends
        raise WeightsError(str(e)) from None
    except OSError as e:
        raise WeightsError(f"{path}: cannot read it ({e.strerror or e})") from None
    reader = {".npz": _read_npz, ".json": _read_json, ".safetensors": _read_safetensors}[suffix]
    raw, design, transform = reader(data, path.name)
    return {k: _clean(k, v, path.name) for k, v in raw.items()}, design, transform, path.name


def load_weights(path) -> dict[str, np.ndarray]:
    """The named arrays in a weights file (float32 or float64, as saved)."""
    return _read(path)[0]


def load_weights_design(path) -> dict | None:
    """The design saved alongside the weights (``save_weights(..., design=)``), or None."""
    return _read(path)[1]


def load_preprocessing(path) -> Preprocessing | None:
    """The fitted transform saved with the weights (else the embedded design's), or None for
    weights saved without one; WeightsError naming the file if it is not usable."""
    _params, design, transform, name = _read(path)
    if transform is None and isinstance(design, dict):
        transform = design.get(ENTRY)
    return None if transform is None else read_transform(transform, name)


def _shape(shape) -> tuple[int, ...]:
    return tuple(int(d) for d in shape)


def _shape_of(value) -> tuple[int, ...] | None:
    """The shape of an array (or nested lists); None for a ragged table or a non-array."""
    try:
        return _shape(np.shape(value))
    except (TypeError, ValueError):
        return None


def _beyond(value, limit: float) -> bool:
    arr = np.asarray(value)
    return arr.dtype.kind in "fiu" and arr.size > 0 and float(np.abs(arr.astype(np.float64)).max()) > limit


def check_weights(expected: dict[str, tuple], loaded: dict, dtype=None) -> None:
    """Raise WeightsError listing the missing, unexpected and wrong-shape names, if any, and
    (given the network's ``dtype``) the ones holding values beyond its range (1e300 in float32)."""
    problems = []
    missing = [k for k in expected if k not in loaded]
    unexpected = [k for k in loaded if k not in expected]
    if missing:
        problems.append("missing " + _names(missing))
    if unexpected:
        problems.append("unexpected " + _names(unexpected))
    wrong = [f"{k} has shape {_shape_of(loaded[k])}, the design needs {_shape(s)}"
             if _shape_of(loaded[k]) is not None else f"{k} is not a table of numbers"
             for k, s in expected.items() if k in loaded and _shape_of(loaded[k]) != _shape(s)]
    if wrong:
        problems.append("; ".join(wrong[:10]) + (f"; and {len(wrong) - 10} more of the wrong shape"
                                                 if len(wrong) > 10 else ""))
    if dtype is not None and not problems:
        big = [k for k in expected if _beyond(loaded[k], float(np.finfo(dtype).max))]
        if big:
            problems.append(f"{_names(big)} hold{'s' * (len(big) == 1)} values beyond the range of "
                            f"{np.dtype(dtype).name}")
    if problems:
        raise WeightsError("the weights do not fit the design: " + "; ".join(problems))


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:10])
    return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")
