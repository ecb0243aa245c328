"""Hypothesis strategies for weight files (.npz, .json, .safetensors) and CSV data, as bytes.

Weight files start from the right parameters of a design and are mutated (names, shapes,
dtypes, NaN and inf), written in a format, sometimes with a damaged header, and then
maybe damaged as bytes. CSV files are tables of mostly numbers with text, empty cells,
NaN strings, unicode, odd delimiters and line ends, some of them in other encodings.
"""
from __future__ import annotations

import csv
import io
import json
import struct

import numpy as np
from hypothesis import strategies as st

from engine import Graph
from engine.data.datasets import BUILTIN_2D, SKLEARN
from engine.io.onnx_export import expected_shapes
from engine.io.weights import DESIGN_KEY, FORMAT
from tests.fuzz.strategies import EXAMPLES, damaged, designs, nasty

XOR = Graph.from_dict(EXAMPLES["xor_neurons"])
XOR_SHAPES = expected_shapes(XOR)

WEIGHT_DTYPES = ("int32", "int64", "uint8", "bool", "complex64", "complex128", "float16", "object",
                 "str", "bytes", "datetime64[s]")
BAD_NAMES = ("", "W:", "b:", "W:x->", "w:x->y", DESIGN_KEY, "b:y ", "W:y->x", "b:ÿ", "a/b", "x" * 300)


# ----- parameters -------------------------------------------------------------------------
def _as_dtype(a: np.ndarray, dtype: str) -> np.ndarray:
    if a.dtype.kind not in "biuf":      # already turned into text or objects by an earlier draw
        a = np.zeros(a.shape)
    if dtype == "object":
        return a.astype(object)
    if dtype == "str":
        return a.astype(np.str_)
    if dtype == "bytes":
        return a.astype(np.bytes_)
    with np.errstate(invalid="ignore", over="ignore"):     # NaN, inf and 1e300 cast to ints, float16
        if dtype.startswith("datetime"):
            return a.astype(np.int64).astype(dtype)
        return a.astype(dtype)


@st.composite
def parameter_sets(draw, shapes: dict) -> dict:
    """Parameters for ``shapes``, mutated 0 to 3 times: names, shapes, dtypes, NaN and inf."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    dtype = draw(st.sampled_from(("float32", "float64")))
    params = {k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()}
    for _ in range(draw(st.integers(0, 3))):
        if not params:
            break
        key = draw(st.sampled_from(sorted(params)))
        how = draw(st.sampled_from(("rename", "drop", "add", "reshape", "dtype", "nan")))
        if how == "rename":
            params[draw(st.sampled_from(BAD_NAMES) | st.text(max_size=12))] = params.pop(key)
        elif how == "drop":
            del params[key]
        elif how == "add":
            params[draw(st.sampled_from(BAD_NAMES))] = rng.normal(size=draw(st.sampled_from(((2,), (1, 2)))))
        elif how == "reshape":
            a = params[key]
            params[key] = draw(st.sampled_from((a.T.copy(), a.reshape(-1), a[..., None], a.reshape(-1)[:0],
                                                np.array(1.0), np.zeros((2, 2, 2)))))
        elif how == "dtype":
            params[key] = _as_dtype(params[key], draw(st.sampled_from(WEIGHT_DTYPES)))
        elif params[key].size and params[key].dtype.kind == "f":
            a = params[key].astype(np.float64)
            a.reshape(-1)[draw(st.integers(0, a.size - 1))] = draw(
                st.sampled_from((np.nan, np.inf, -np.inf, 1e300)))
            with np.errstate(over="ignore"):
                params[key] = a.astype(draw(st.sampled_from(("float32", "float64"))))
    return params


# ----- the three formats ---------------------------------------------------------------------
def npz_bytes(params: dict, design: dict | None = None, compressed: bool = False) -> bytes:
    """np.savez of ``params``: object arrays are pickled into the file (np.savez allows it)."""
    buf = io.BytesIO()
    entries = dict(params)
    if design is not None:
        entries[DESIGN_KEY] = np.frombuffer(json.dumps(design).encode(), dtype=np.uint8)
    (np.savez_compressed if compressed else np.savez)(buf, **entries)
    return buf.getvalue()


def _jsonable(v):
    arr = np.asarray(v)
    return arr.tolist() if arr.dtype.kind in "biuf" else arr.astype(str).tolist()


@st.composite
def weights_json(draw, params: dict) -> bytes:
    """The .json weights document of ``params``, its fields mutated 0 to 2 times."""
    entries = [{"name": k, "shape": list(np.shape(v)), "dtype": str(np.asarray(v).dtype),
                "values": _jsonable(v)} for k, v in params.items()]
    doc = {"format": FORMAT, "version": 1, "parameters": entries}
    for _ in range(draw(st.integers(0, 2))):
        how = draw(st.sampled_from(("entry", "shape", "dtype", "values", "doc", "design")))
        if how in ("entry", "shape", "dtype", "values") and entries:
            e = draw(st.sampled_from(entries))
            e[draw(st.sampled_from(("name", "shape", "dtype", "values"))) if how == "entry" else how] = draw(
                {"entry": nasty(),
                 "shape": st.sampled_from(([-1], [10**20], ["2"], [], [1, 1, 1], [2.0], [True])),
                 "dtype": st.sampled_from(("float16", "int", None, 5, "complex64", "object", "")),
                 "values": st.sampled_from(([["1", "2"]], [None], [True, False], [10**400], [[1], [1, 2]],
                                            [float("nan")], 1.5, {}, [[[[]]]]))}[how])
        elif how == "doc":
            doc[draw(st.sampled_from(("format", "version", "parameters")))] = draw(nasty())
        else:
            doc["design"] = draw(nasty() | st.just(EXAMPLES["xor_neurons"]))
    return json.dumps(doc, default=str).encode()


def _safetensors_raw(header: dict, data: bytes, length: int | None = None) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


@st.composite
def safetensors_bytes(draw, params: dict) -> bytes:
    """A .safetensors file of ``params``; when the library refuses them, or sometimes anyway,
    a hand-written one with a damaged header (dtypes, shapes, offsets, metadata, length)."""
    from safetensors.numpy import save
    metadata = {"format": FORMAT, "version": "1", "order": json.dumps(list(params))}
    if draw(st.booleans()):
        try:
            return save({k: np.ascontiguousarray(v) for k, v in params.items()}, metadata=metadata)
        except Exception:       # object, str, complex...: the library cannot write them
            pass
    header, chunks, offset = {}, [], 0
    for k, v in params.items():
        with np.errstate(over="ignore"):
            raw = np.ascontiguousarray(np.asarray(v, dtype=np.float32) if np.asarray(v).dtype.kind in "biuf"
                                       else np.zeros(np.shape(v), np.float32)).tobytes()
        header[k] = {"dtype": "F32", "shape": list(np.shape(v)), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    header["__metadata__"] = metadata
    length = None
    how = draw(st.sampled_from(("dtype", "shape", "offsets", "metadata", "length", "header")))
    tensors = [k for k in header if k != "__metadata__"]
    if how in ("dtype", "shape", "offsets") and tensors:
        t = header[draw(st.sampled_from(tensors))]
        t[{"dtype": "dtype", "shape": "shape", "offsets": "data_offsets"}[how]] = draw(st.sampled_from({
            "dtype": ("C64", "X", "BOOL", "U8", "I64", "F16", "BF16", "F8_E4M3", 5, None),
            "shape": ([10**9, 10**9], [-1], [], [2**64], ["2"], [1, 1, 1, 1]),
            "offsets": ([0, 10**12], [5, 1], [-1, 4], [0], [0, 0], "0-4")}[how]))
    elif how == "metadata":
        header["__metadata__"] = draw(st.sampled_from((
            {"order": "not json"}, {DESIGN_KEY: "{bad"}, {DESIGN_KEY: "[1]"}, {"order": '["a", "b"]'},
            {"format": 1}, [], "meta", {"order": json.dumps([1, None])})))
    elif how == "length":
        length = draw(st.sampled_from((0, 1, 2**63, 2**64 - 1, 10**9)))
    else:
        return struct.pack("<Q", 11) + b"{not json!}" + b"".join(chunks)
    return _safetensors_raw(header, b"".join(chunks), length)


@st.composite
def weight_files(draw, shapes: dict) -> tuple[str, bytes]:
    """(suffix, bytes) of a weights file for a design with parameter ``shapes``."""
    params = draw(parameter_sets(shapes))
    suffix = draw(st.sampled_from((".npz", ".json", ".safetensors")))
    if suffix == ".npz":
        design = draw(st.sampled_from((None, None, EXAMPLES["xor_neurons"], {"format": 1})))
        data = npz_bytes(params, design, compressed=draw(st.booleans()))
    elif suffix == ".json":
        data = draw(weights_json(params))
    else:
        data = draw(safetensors_bytes(params))
    return suffix, draw(damaged(data, keep=18))


@st.composite
def designs_with_weights(draw) -> bytes:
    """The XOR example saved with weights (mutated), the design maybe mutated too, as bytes."""
    doc = json.loads(draw(weights_json(draw(parameter_sets(XOR_SHAPES)))))
    design = draw(designs(max_mutations=1)) if draw(st.booleans()) else XOR.to_dict()
    if isinstance(design, dict):
        design["weights"] = doc if draw(st.integers(0, 5)) else draw(st.sampled_from((None, [], "w", 1)))
    return draw(damaged(json.dumps(design).encode()))


# ----- CSV ----------------------------------------------------------------------------------
CELL_TEXT = ("", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "abc", "1,5", "1_000",
             "0x10", "١٢", "½", "é", "日本", "\x00", "\ufeff", "  3  ", "True", '"', '""', "'", "1.5.2",
             "--1", "+", "e5", "1e-400", "9" * 400)
HEADER_TEXT = ("x", "y", "price", "größe", "价格", "", "x", "a,b", "\ufeffid", " target ", "column 1",
               "1")
DELIMITERS = (",", ",", ",", ";", "\t")
ODD_DELIMITERS = DELIMITERS + ("|", " ", ", ")            # not delimiters to the reader


def cells():
    numbers = (st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:g}")
               | st.integers(-5, 5).map(str))
    return st.one_of(numbers, numbers, numbers, st.sampled_from(CELL_TEXT), st.text(max_size=6))


def clean_cells():
    return (st.floats(-1e6, 1e6, allow_nan=False, width=32).map(lambda x: f"{x:g}")
            | st.integers(-5, 5).map(str))


@st.composite
def csv_tables(draw) -> tuple[list[str] | None, list[list[str]]]:
    """(header or None, rows): features of numbers (half the tables) or of any text, and a target
    of classes, labels or numbers."""
    n_cols = draw(st.sampled_from((1, 2, 2, 3, 3, 4, 5, 6)))
    cell = clean_cells() if draw(st.integers(0, 2)) else cells()
    header = [draw(st.sampled_from(HEADER_TEXT) | st.text(max_size=6)) for _ in range(n_cols)] \
        if draw(st.booleans()) else None
    target = draw(st.sampled_from((st.integers(0, 2).map(str), st.sampled_from(("cat", "dog", "bird")),
                                   clean_cells(), cells())))
    rows = [[draw(cell) for _ in range(n_cols - 1)] + [draw(target)]
            for _ in range(draw(st.integers(0, 25)))]
    if rows and draw(st.integers(0, 4)) == 0:     # a ragged row
        rows[draw(st.integers(0, len(rows) - 1))].append("1")
    return header, rows


@st.composite
def csv_bytes(draw) -> bytes:
    """The bytes of a CSV file: a table written with some delimiter, line end and encoding,
    or one of the hard cases (random bytes, a very long line, very wide, header only)."""
    how = draw(st.sampled_from(("table",) * 16 + ("random", "long_line", "wide", "header_only")))
    if how == "random":
        return draw(st.binary(max_size=512))
    if how == "long_line":
        return b"a,b\n" + b"1," + b"1" * draw(st.sampled_from((200_000, 1_000))) + b"\n2,3\n"
    if how == "wide":
        n = draw(st.sampled_from((2_000, 20_000)))
        return (",".join(f"c{j}" for j in range(n)) + "\n" + ",".join("1" for _ in range(n)) + "\n").encode()
    header, rows = draw(csv_tables())
    if how == "header_only":
        rows = []
        header = header or ["a", "b"]
    delimiter = draw(st.sampled_from(DELIMITERS + ("|",)))
    newline = draw(st.sampled_from(("\n", "\r\n", "\r")))
    lines = ([header] if header is not None else []) + rows
    if draw(st.booleans()):     # proper quoting
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(lines)
        text = buf.getvalue()
    else:
        mixed = draw(st.integers(0, 3)) == 0
        text = newline.join((draw(st.sampled_from(ODD_DELIMITERS)) if mixed else delimiter).join(r)
                            for r in lines)
    encoding = draw(st.sampled_from(("utf-8",) * 10 + ("utf-8-sig", "utf-16", "latin-1", "cp1252")))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        data = data[:draw(st.integers(0, len(data)))] + draw(st.binary(max_size=8))
    return data


def csv_targets(header):
    """What a user (or a design's settings) may give as the target column."""
    names = [h for h in header or [] if h] or ["x"]
    return st.one_of(st.none(), st.sampled_from(names),
                     st.sampled_from(("column 2", "Column 1", "column 99")),
                     st.integers(-4, 7), st.sampled_from((True, 1.5, "nope", "")))


# ----- paths that are not regular files, and CSVs wider than the cap (issue 16) -------------
NON_REGULAR = ("fifo", "folder", "device", "dev_zero")     # tests.hang_guard's kinds, and /dev/zero
BUILT_IN = (*BUILTIN_2D, *SKLEARN, "house_prices", "house_prices.csv")
PATH_NAMES = ("data.csv", "data", "my data.CSV", "größe.csv", "x.txt", ".csv", "-", "a b\tc.csv")


def _a_file_name(name: str) -> bool:
    """Not ".", "..", a home folder ("~"), nor a built-in data set's name."""
    return name not in (".", "..") and not name.startswith("~") and name.strip().lower() not in BUILT_IN


@st.composite
def non_regular_data(draw) -> tuple[str, str]:
    """(kind, file name): a data path that is a FIFO, a folder, a link to /dev/zero, or /dev/zero."""
    odd = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
                  min_size=1, max_size=12).filter(_a_file_name)
    return draw(st.sampled_from(NON_REGULAR)), draw(st.sampled_from(PATH_NAMES) | odd)


@st.composite
def wide_csvs(draw) -> tuple[bytes, int, int, int]:
    """(bytes, cap, feature columns, file row refused): a numeric CSV of 2 to 400 columns with
    more values than ``cap``; maybe a bad cell at or beyond the refused row, never reached."""
    n_cols = draw(st.integers(2, 400))
    width = n_cols - 1
    cap = draw(st.integers(1, 4_000))
    allowed = cap // width                      # data rows within the cap
    n_rows = allowed + draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    table = rng.integers(-9, 10, size=(n_rows, n_cols)).astype(str).tolist()
    if allowed and draw(st.booleans()):         # row 0 keeps the column numeric in the sample
        table[draw(st.integers(allowed, n_rows - 1))][draw(st.integers(0, width - 1))] = \
            draw(st.sampled_from(CELL_TEXT[2:]))
    header = draw(st.booleans())
    lines = ([[f"c{j}" for j in range(n_cols)]] if header else []) + table
    delimiter = draw(st.sampled_from(DELIMITERS))
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=draw(st.sampled_from(("\n", "\r\n")))).writerows(lines)
    return buf.getvalue().encode(), cap, width, allowed + 1 + header
