"""The design file: versioned JSON (see docs/formats.md), as plain data.

``parse_design`` checks a file's dict field by field (reading never trusts the file),
brings an older version up to date and returns the design with every default filled
in; ``design_document`` makes the dict a file holds. ``read_design`` and
``write_design`` move the text to and from disk, atomically. Every problem is a
GraphError whose message names the field or the node. Nothing here knows the Graph:
engine.model.graph builds itself from this data and writes itself as it.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from engine.files.atomic import atomic_write
from engine.files.json_text import MAX_DEPTH, depth, read_json_text
from engine.files.regular_file import NotAFileError, read_regular_text
from engine.model.errors import GraphError
from engine.model.preprocessing import Preprocessing

FORMAT = "backprop-studio-design"
VERSION = 1
# Version n -> a function taking the dict of a version-n file to version n + 1. None yet.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}


# ----- reading ---------------------------------------------------------------
def migrate(data) -> dict:
    """A design file's dict, checked to be one, at the current VERSION."""
    if not isinstance(data, dict):
        raise GraphError("a design file must hold a JSON object")
    if data.get("format") != FORMAT:
        raise GraphError(f"not a Backprop Studio design (the field 'format' should be {FORMAT!r})")
    version = _field(data, "version", "the design", int)
    if version > VERSION:
        raise GraphError(f"the design is version {version}, newer than this app reads ({VERSION}): "
                         "update Backprop Studio")
    if version < 1:
        raise GraphError(f"the design has an invalid version {version}")
    for older in range(version, VERSION):
        data = MIGRATIONS[older](data)
    return data


def parse_design(data) -> dict:
    """The design in a file's dict: {"loss", "nodes", "connections", "settings", "preprocessing"},
    defaults filled in (the preprocessing is a Preprocessing, or None in a design never trained).

    Each node is {"id", "kind", "size", "activation", "name", "position"}, each connection
    {"src", "dst", "mask"} (mask None or as written). Whether the values make a valid design
    (known kinds, sizes in range, no cycle) is the Graph's to check.
    """
    data = migrate(data)
    loss = data.get("loss", "mse")
    if not isinstance(loss, str):
        _field(data, "loss", "the design", str)
    nodes = [_parse_node(i, nd) for i, nd in enumerate(_field(data, "nodes", "the design", list))]
    connections = [_parse_connection(i, cd)
                   for i, cd in enumerate(_field(data, "connections", "the design", list))]
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise GraphError("the design's field 'settings' must be an object")
    if depth(settings) > MAX_DEPTH:     # kept as is, and written back by recursive code
        raise GraphError(f"the design's field 'settings' nests more than {MAX_DEPTH} levels deep")
    preprocessing = data.get("preprocessing")
    if preprocessing is not None:
        preprocessing = Preprocessing.from_dict(preprocessing)
    return {"loss": loss, "nodes": nodes, "connections": connections, "settings": settings,
            "preprocessing": preprocessing}


def _parse_node(i: int, nd) -> dict:
    nid = _field(nd, "id", f"node {i + 1}", str)
    where = f"node {nid!r}"
    kind = _field(nd, "kind", where, str)
    size = _field(nd, "size", where, int)
    activation = nd.get("activation", "linear" if kind == "input" else None)
    if not isinstance(activation, str):
        raise GraphError(f"{where} is missing the field 'activation'")
    name = nd.get("name", "")
    if not isinstance(name, str):
        raise GraphError(f"{where}: field 'name' must be text")
    position = nd.get("position", [0, 0])
    if not _is_position(position):
        raise GraphError(f"{where}: field 'position' must be two finite numbers")
    return {"id": nid, "kind": kind, "size": size, "activation": activation, "name": name,
            "position": tuple(position)}


def _parse_connection(i: int, cd) -> dict:
    where = f"connection {i + 1}"
    return {"src": _field(cd, "src", where, str), "dst": _field(cd, "dst", where, str),
            "mask": cd.get("mask")}


def _field(d: dict, key: str, where: str, types):
    if not isinstance(d, dict):
        raise GraphError(f"{where} must be an object")
    if key not in d:
        raise GraphError(f"{where} is missing the field {key!r}")
    value = d[key]
    allowed = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, types) or isinstance(value, bool) and bool not in allowed:
        raise GraphError(f"{where}: field {key!r} has the wrong type ({type(value).__name__})")
    return value


def _is_position(pos) -> bool:
    if not isinstance(pos, (list, tuple)) or len(pos) != 2:
        return False
    try:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   and abs(float(v)) < 1e12 for v in pos)
    except OverflowError:       # an integer beyond float range
        return False


# ----- writing ---------------------------------------------------------------
def design_document(loss: str, nodes: list[dict], connections: list[dict], settings: dict,
                    preprocessing: Preprocessing | None = None) -> dict:
    """The dict of a design file, from records shaped as ``parse_design`` returns them.

    Defaults are left out (an input's activation, an empty name, a missing mask, empty
    settings) and positions rounded to 2 decimals. A mask is a list of rows of 0/1.
    """
    written = []
    for n in nodes:
        d = {"id": n["id"], "kind": n["kind"], "size": int(n["size"])}
        if n["kind"] != "input":
            d["activation"] = n["activation"]
        if n["name"]:
            d["name"] = n["name"]
        d["position"] = [round(n["position"][0], 2), round(n["position"][1], 2)]
        written.append(d)
    conns = []
    for c in connections:
        d = {"src": c["src"], "dst": c["dst"]}
        if c["mask"] is not None:
            d["mask"] = c["mask"]
        conns.append(d)
    out = {"format": FORMAT, "version": VERSION, "loss": loss,
           "nodes": written, "connections": conns}
    if settings:
        out["settings"] = settings
    if preprocessing is not None:
        out["preprocessing"] = preprocessing.to_dict()
    return out


# ----- files -----------------------------------------------------------------
@contextmanager
def named_for(path):
    """Prefix a GraphError raised inside with the file's name."""
    try:
        yield
    except GraphError as e:
        raise GraphError(f"{Path(path).name}: {e}") from None


def read_design(path) -> dict:
    """The design in the file at ``path``, parsed (``parse_design``); errors name the file."""
    path = Path(path)
    try:
        text = read_regular_text(path, "utf-8-sig")     # Notepad's byte-order mark is fine
    except FileNotFoundError:
        raise GraphError(f"{path}: no such file") from None
    except NotAFileError as e:      # a pipe would block; /dev/zero never ends
        raise GraphError(str(e)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise GraphError(f"{path}: cannot read it ({e.__class__.__name__}: {e})") from None
    data = read_json_text(text, path.name, GraphError)
    with named_for(path):
        return parse_design(data)


def write_design(path, document: dict) -> None:
    """Write a design file's dict (``design_document``) to ``path``, atomically."""
    text = json.dumps(document, indent=1)
    with atomic_write(path, "w") as f:
        f.write(text + "\n")
