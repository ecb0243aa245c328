"""The design file: versioned JSON (see docs/formats.md), read and written here.

Reading never trusts the file: every field is checked, and every problem becomes
a GraphError whose message names the field or the node.
"""
from __future__ import annotations

import json
from pathlib import Path

from engine.model.graph import Graph, GraphError
from engine.io.atomic import atomic_write
from engine.io.json_text import MAX_DEPTH, depth, read_json_text
from engine.io.regular_file import NotAFileError, read_regular_text

FORMAT = "backprop-studio-design"
VERSION = 1


def graph_to_dict(graph: Graph) -> dict:
    nodes = []
    for n in graph.nodes.values():
        d = {"id": n.id, "kind": n.kind, "size": int(n.size)}
        if n.kind != "input":
            d["activation"] = n.activation
        if n.name:
            d["name"] = n.name
        d["position"] = [round(n.position[0], 2), round(n.position[1], 2)]
        nodes.append(d)
    conns = []
    for c in graph.connections.values():
        d = {"src": c.src, "dst": c.dst}
        if c.mask is not None:
            d["mask"] = c.mask.astype(int).tolist()
        conns.append(d)
    out = {"format": FORMAT, "version": VERSION, "loss": graph.loss,
           "nodes": nodes, "connections": conns}
    if graph.settings:
        out["settings"] = graph.settings
    return out


def _field(d: dict, key: str, where: str, types):
    if not isinstance(d, dict):
        raise GraphError(f"{where} must be an object")
    if key not in d:
        raise GraphError(f"{where} is missing the field {key!r}")
    value = d[key]
    if not isinstance(value, types) or isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
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


def graph_from_dict(data) -> Graph:
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
    graph = Graph(loss=str(data.get("loss", "mse")) if isinstance(data.get("loss", "mse"), str)
                  else _field(data, "loss", "the design", str))
    for i, nd in enumerate(_field(data, "nodes", "the design", list)):
        where = f"node {i + 1}"
        nid = _field(nd, "id", where, str)
        where = f"node {nid!r}"
        kind = _field(nd, "kind", where, str)
        size = _field(nd, "size", where, int)
        act = nd.get("activation", "linear" if kind == "input" else None)
        if not isinstance(act, str):
            raise GraphError(f"{where} is missing the field 'activation'")
        name = nd.get("name", "")
        if not isinstance(name, str):
            raise GraphError(f"{where}: field 'name' must be text")
        pos = nd.get("position", [0, 0])
        if not _is_position(pos):
            raise GraphError(f"{where}: field 'position' must be two finite numbers")
        graph.add_node(kind, size, act, id=nid, name=name, position=tuple(pos))
    for i, cd in enumerate(_field(data, "connections", "the design", list)):
        where = f"connection {i + 1}"
        src = _field(cd, "src", where, str)
        dst = _field(cd, "dst", where, str)
        graph.connect(src, dst, cd.get("mask"))
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise GraphError("the design's field 'settings' must be an object")
    if depth(settings) > MAX_DEPTH:     # kept as is, and written back by recursive code
        raise GraphError(f"the design's field 'settings' nests more than {MAX_DEPTH} levels deep")
    graph.settings = settings
    # A loss that does not fit the output yet is a design in progress, like an unconnected
    # node: it loads (the app saved it), and training says what to change.
    return graph


def load_design(path) -> Graph:
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
    try:
        return graph_from_dict(data)
    except GraphError as e:
        raise GraphError(f"{path.name}: {e}") from None


def save_design(graph: Graph, path) -> None:
    text = json.dumps(graph_to_dict(graph), indent=1)
    with atomic_write(path, "w") as f:
        f.write(text + "\n")
