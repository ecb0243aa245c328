"""Hypothesis strategies for fuzzing the loaders: design, weight and CSV files, as bytes on disk.

Most inputs start from a valid file (a shipped example or a generated design) and are
mutated one to three times: wrong types, missing and extra fields, cycles, duplicate ids,
huge sizes, unknown names, bad masks; then the bytes may be damaged (truncated, not UTF-8,
random). ``count(loader)`` tallies the inputs each loader was fed; tests/conftest.py
prints the totals at the end of the session.
"""
from __future__ import annotations

import copy
import json
import os
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.engine.strategies import graphs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "resources" / "examples").glob("*.json"))}

COUNTS: Counter = Counter()      # inputs fed to each loader
ACCEPTED: Counter = Counter()    # of those, the ones it accepted (valid files, still there after mutation)


def count(loader: str, n: int = 1) -> None:
    """Record that ``loader`` was fed ``n`` more fuzzed inputs."""
    COUNTS[loader] += n


def accepted(loader: str) -> None:
    """Record that ``loader`` accepted the input just counted."""
    ACCEPTED[loader] += 1


def fuzz_settings(max_examples: int, **extra):
    """Reproducible runs (derandomized, no example database), no deadline.

    For a long search outside the suite: BACKPROP_FUZZ_SCALE=20 multiplies the examples, and
    BACKPROP_FUZZ_RANDOM=1 draws new ones each run instead of the same derandomized ones.
    """
    scale = float(os.environ.get("BACKPROP_FUZZ_SCALE", "1"))
    return settings(max_examples=max(1, int(max_examples * scale)), deadline=None,
                    derandomize=not os.environ.get("BACKPROP_FUZZ_RANDOM"), database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture,
                                           HealthCheck.filter_too_much], **extra)


# ----- values of every JSON type, and the edges of each ------------------------------
NASTY = (None, True, False, 0, -1, 1, 1.5, -0.0, 1e9, 1e308, 2**63, -2**63, 2**64, 10**30,
         float("nan"), float("inf"), float("-inf"), "", "3", "x", "1e9", "éü", "\x00", "x" * 5000,
         [], {}, [1], [[1, 0]], [[[1]]], {"a": 1}, [None], ["x", 2])
SIZES = (10**9, 2**63, 2**64, -1, 0, 1.5, "3", True, False, None, 10**6, 1e9, -2**63, 1000000.0,
         1_000_001, 999_999)
NAMES = ("Sigmoid", "relu6", "gelu", "softmax", "input", "output", "hidden", "linear ", "", "mse",
         "bce", "softmax_ce", "cross_entropy", "tanh\x00", "ReLU")


def json_values(max_leaves: int = 8):
    scalars = (st.none() | st.booleans() | st.integers() | st.floats()
               | st.text(max_size=12))
    return st.recursive(scalars, lambda c: st.lists(c, max_size=4)
                        | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=max_leaves)


def nasty():
    return st.sampled_from(NASTY) | json_values(5)


# ----- design mutations ----------------------------------------------------------------
TOP_FIELDS = ("format", "version", "loss", "nodes", "connections", "settings")
NODE_FIELDS = ("id", "kind", "size", "activation", "name", "position")
CONN_FIELDS = ("src", "dst", "mask")
SETTING_FIELDS = ("data", "target", "noise", "samples", "features", "validation", "optimizer", "lr",
                  "batch_size", "epochs", "l1", "l2", "seed", "title")


def _items(d: dict, key: str) -> list[dict]:
    value = d.get(key)
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _place(draw, d: dict) -> tuple[dict, str]:
    """A (container, field) of the design: top level, a node, a connection or a setting."""
    places = [(d, k) for k in TOP_FIELDS]
    places += [(n, k) for n in _items(d, "nodes") for k in NODE_FIELDS]
    places += [(c, k) for c in _items(d, "connections") for k in CONN_FIELDS]
    if isinstance(d.get("settings"), dict):
        places += [(d["settings"], k) for k in SETTING_FIELDS]
    return draw(st.sampled_from(places))


def _ids(d: dict) -> list:
    return [n.get("id") for n in _items(d, "nodes")] or ["x"]


def _conns(d: dict) -> list:
    if not isinstance(d.get("connections"), list):
        d["connections"] = []
    return d["connections"]


def _wrong_type(draw, d):
    c, k = _place(draw, d)
    c[k] = draw(nasty())
    return d


def _missing(draw, d):
    c, k = _place(draw, d)
    c.pop(k, None)
    return d


def _extra(draw, d):
    c, _ = _place(draw, d)
    c[draw(st.text(max_size=10))] = draw(json_values())
    return d


def _cycle(draw, d):
    ids, conns = _ids(d), _conns(d)
    how = draw(st.sampled_from(("reverse", "loop", "self")))
    if how == "reverse" and conns and isinstance(conns[0], dict):
        c = draw(st.sampled_from(conns))
        conns.append({"src": c.get("dst"), "dst": c.get("src")})
    elif how == "loop":
        a, b, c = (draw(st.sampled_from(ids)) for _ in range(3))
        conns += [{"src": a, "dst": b}, {"src": b, "dst": c}, {"src": c, "dst": a}]
    else:
        n = draw(st.sampled_from(ids))
        conns.append({"src": n, "dst": n})
    return d


def _duplicate(draw, d):
    nodes, conns = _items(d, "nodes"), _conns(d)
    how = draw(st.sampled_from(("node", "id", "connection")))
    if how == "node" and nodes:
        d["nodes"].append(copy.deepcopy(draw(st.sampled_from(nodes))))
    elif how == "id" and len(nodes) > 1:
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        a["id"] = b.get("id")
    elif conns:
        conns.append(copy.deepcopy(draw(st.sampled_from(conns))))
    return d


def _huge_size(draw, d):
    nodes = _items(d, "nodes")
    if not nodes:
        return d
    if draw(st.booleans()):     # every node a million neurons: ~1e12 weights claimed
        for n in nodes:
            n["size"] = 10**6
    else:
        draw(st.sampled_from(nodes))["size"] = draw(st.sampled_from(SIZES))
    return d


def _unknown_name(draw, d):
    name = draw(st.sampled_from(NAMES) | st.text(max_size=10))
    nodes = _items(d, "nodes")
    field = draw(st.sampled_from(("loss", "activation", "kind")))
    if field == "loss" or not nodes:
        d["loss"] = name
    else:
        draw(st.sampled_from(nodes))[field] = name
    return d


def _sizes(d: dict) -> dict:
    return {n.get("id"): n.get("size") for n in _items(d, "nodes")
            if isinstance(n.get("id"), str) and isinstance(n.get("size"), int) and 0 < n.get("size") <= 64}


@st.composite
def bad_masks(draw, rows: int, cols: int):
    """Masks for a rows × cols connection: some right, most wrong in one way."""
    bits = st.integers(0, 1)
    right = st.lists(st.lists(bits, min_size=cols, max_size=cols), min_size=rows, max_size=rows)
    how = draw(st.sampled_from(("right", "values", "shape", "ragged", "deep", "scalar", "transposed")))
    if how == "right":
        return draw(right)
    if how == "values":
        m = draw(right)
        m[draw(st.integers(0, rows - 1))][draw(st.integers(0, cols - 1))] = draw(
            st.sampled_from((2, -1, 0.5, float("nan"), float("inf"), "1", True, None, [1], 1e300)))
        return m
    if how == "shape":
        r, k = draw(st.integers(0, 5)), draw(st.integers(0, 5))
        return [[1] * k for _ in range(r)]
    if how == "ragged":
        return [[1] * draw(st.integers(0, cols + 1)) for _ in range(max(rows, 2))]
    if how == "deep":
        m = draw(right)
        for _ in range(draw(st.sampled_from((1, 2, 30, 40, 500)))):
            m = [m]
        return m
    if how == "scalar":
        return draw(st.sampled_from((1, 0, "mask", {}, [], True, None, [[]], {"0": [1]})))
    return [[1] * rows for _ in range(cols)]


def _bad_mask(draw, d):
    conns, sizes = [c for c in _conns(d) if isinstance(c, dict)], _sizes(d)
    if not conns:
        return d
    c = draw(st.sampled_from(conns))
    rows, cols = (sizes.get(c.get(k), 2) if isinstance(c.get(k), str) else 2 for k in ("dst", "src"))
    c["mask"] = draw(bad_masks(rows, cols))
    return d


def _format(draw, d):
    if draw(st.booleans()):
        d["format"] = draw(st.sampled_from(("backprop-studio-weights", "Backprop-Studio-Design", ""))
                           | nasty())
    else:
        d["version"] = draw(st.sampled_from((2, 0, -1, 1.0, "1", True, None, 2**63, 10**30)))
    return d


def _dangling(draw, d):
    ids = _ids(d)
    other = draw(st.text(max_size=5))
    pair = [draw(st.sampled_from(ids)), other]
    if draw(st.booleans()):
        pair.reverse()
    _conns(d).append({"src": pair[0], "dst": pair[1]})
    return d


def _kinds(draw, d):
    nodes = _items(d, "nodes")
    if nodes and draw(st.booleans()):
        draw(st.sampled_from(nodes))["kind"] = draw(st.sampled_from(("input", "output")))
    elif nodes:
        d["nodes"] = [n for n in d["nodes"] if not (isinstance(n, dict) and n.get("kind") == "output")]
    return d


def _random_json(draw, d):
    return draw(json_values(20))


MUTATIONS = (_wrong_type, _missing, _extra, _cycle, _duplicate, _huge_size, _unknown_name,
             _bad_mask, _format, _dangling, _kinds, _random_json)


@st.composite
def valid_designs(draw) -> dict:
    """A valid design dict: a shipped example or a generated design."""
    if draw(st.booleans()):
        return copy.deepcopy(EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))])
    return draw(graphs(max_hidden=3, max_size=4)).to_dict()


@st.composite
def designs(draw, max_mutations: int = 3):
    """A design dict (or any JSON) mutated 0 to ``max_mutations`` times."""
    d = draw(valid_designs())
    for _ in range(draw(st.integers(0, max_mutations))):
        if not isinstance(d, dict):
            break
        d = draw(st.sampled_from(MUTATIONS))(draw, d)
    return d


# ----- damaged bytes ---------------------------------------------------------------------
@st.composite
def damaged(draw, data: bytes, keep: int = 6) -> bytes:
    """``data`` as it is (``keep`` chances in ``keep`` + 12) or damaged the way disks and editors do."""
    how = draw(st.sampled_from(("keep",) * keep + ("truncate", "insert", "flip", "random", "empty", "utf16",
                                                 "bom", "latin1", "bigint", "deep", "nul")))
    if how == "keep":
        return data
    if how == "flip":       # same length: a zip's directory still points at the damaged data
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            if out:
                out[draw(st.integers(0, len(out) - 1))] ^= draw(st.integers(1, 255))
        return bytes(out)
    if how == "truncate":
        return data[:draw(st.integers(0, max(len(data) - 1, 0)))]
    if how == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    if how == "random":
        return draw(st.binary(max_size=256))
    if how == "empty":
        return b""
    text = data.decode("utf-8", errors="replace")
    if how == "utf16":
        return text.encode("utf-16")
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "latin1":
        return (text + '"é"').encode("latin-1", errors="replace").replace(b"{", b"{\xe9", 1)
    if how == "bigint":    # beyond Python's 4,300-digit int parsing limit
        return data.replace(b"{", b'{"pad": ' + b"9" * 5000 + b", ", 1) if b"{" in data else b"9" * 5000
    if how == "deep":
        n = draw(st.sampled_from((100, 1000, 100_000)))
        return b"[" * n + b"]" * n
    return data.replace(b",", b",\x00", 1)


def design_bytes():
    """The bytes of a design file: a mutated design, maybe damaged."""
    return designs().map(lambda d: json.dumps(d, indent=1).encode()).flatmap(damaged)


# ----- metadata nested too deeply or of the wrong type; node ids containing "->" -----------
@st.composite
def deep_json(draw) -> str:
    """JSON text nested deeper than any design: just past the depth kept, near the interpreter's
    limit (parses in a shallow stack, not in a deeper one), or far beyond it."""
    n = draw(st.sampled_from((65, 200, 900, 990, 2_000, 100_000)))
    if draw(st.booleans()):
        return "[" * n + draw(st.sampled_from(("", "1", '"x"'))) + "]" * n
    return '{"a": ' * n + "1" + "}" * n


@st.composite
def metadata_texts(draw) -> str:
    """Text for a metadata entry meant to hold JSON: nested too deeply (alone, or inside an
    object, as a design's settings), of the wrong type, or not JSON at all."""
    how = draw(st.sampled_from(("deep", "wrapped", "type", "broken")))
    if how == "deep":
        return draw(deep_json())
    if how == "wrapped":
        return '{"settings": ' + draw(deep_json()) + "}"
    if how == "type":
        return json.dumps(draw(nasty()))
    return draw(st.sampled_from(("{bad", "", "[1,", "\x00", "9" * 5000, "'a'", '["b:y"')))


# Ids whose weight names can collide: "W:a->b->c" is both a -> b->c and a->b -> c.
ARROW_IDS = ("a", "b", "c", "a->b", "b->c", "a->b->c", "c->a", "b-", ">c")


@st.composite
def arrow_designs(draw) -> dict:
    """A complete design whose node ids contain "->": the issue's colliding four, or ids drawn
    from ARROW_IDS in a chain (input first, output last) with forward connections added, whose
    weight names may or may not collide."""
    if draw(st.integers(0, 3)) == 0:
        ids = ["a", "a->b", "b->c", "c"]
        pairs = [("a", "a->b"), ("a->b", "c"), ("a", "b->c"), ("b->c", "c")]
    else:
        ids = draw(st.lists(st.sampled_from(ARROW_IDS), min_size=3, max_size=6, unique=True))
        pairs = list(zip(ids, ids[1:]))
        extra = st.tuples(st.integers(0, len(ids) - 3), st.integers(2, len(ids) - 1))
        pairs += [(ids[i], ids[j]) for i, j in draw(st.lists(extra, max_size=5)) if i < j]
        pairs = list(dict.fromkeys(draw(st.permutations(pairs))))
    kinds = ["input"] + ["hidden"] * (len(ids) - 2) + ["output"]
    nodes = [{"id": n, "kind": k, "size": draw(st.integers(1, 3))} | ({} if k == "input" else
             {"activation": "linear" if k == "output" else "tanh"}) for n, k in zip(ids, kinds)]
    return {"format": "backprop-studio-design", "version": 1, "loss": "mse", "nodes": nodes,
            "connections": [{"src": s, "dst": d} for s, d in pairs]}
