"""The design file: round trip, the issue's example, clear refusals, atomic save."""
import copy
import json
import os

import numpy as np
import pytest

from engine import Graph, GraphError, Network
from engine.files.atomic import atomic_write

ISSUE_EXAMPLE = """
{"format": "backprop-studio-design", "version": 1, "loss": "bce",
 "nodes": [{"id": "x", "kind": "input", "size": 2},
           {"id": "h", "kind": "hidden", "size": 4, "activation": "tanh"},
           {"id": "y", "kind": "output", "size": 1, "activation": "sigmoid"}],
 "connections": [{"src": "x", "dst": "h"},
                 {"src": "h", "dst": "y", "mask": [[1, 0, 1, 1]]},
                 {"src": "x", "dst": "y"}]}
"""


def example() -> dict:
    return json.loads(ISSUE_EXAMPLE)


def rich_design() -> Graph:
    g = Graph(loss="softmax_ce")
    g.add_node("input", 3, id="x", name="pixels", position=(-12.5, 40))
    g.add_node("hidden", 4, "leaky_relu", id="h1", name="first", position=(120.25, 7))
    g.add_node("hidden", 2, "swish", id="h2", position=(240, -30))
    g.add_node("output", 3, "softmax", id="y", name="class", position=(400, 0))
    for s, d in [("x", "h1"), ("h1", "h2"), ("h2", "y"), ("x", "y"), ("h1", "y")]:
        g.connect(s, d)
    g.set_edges("x", "h1", [(0, 0), (3, 2)], enabled=False)
    g.set_edges("h1", "y", [(2, 1)], enabled=False)
    g.settings = {"data": "spirals", "optimizer": "adam", "lr": 0.01, "batch_size": 32,
                  "epochs": 50, "l1": 0.0, "l2": 1e-4, "seed": 3, "validation": 0.2}
    return g


def test_round_trip_keeps_everything(tmp_path):
    g = rich_design()
    path = tmp_path / "design.json"
    g.save(path)
    back = Graph.load(path)
    assert back.same_design(g)
    assert back.to_dict() == g.to_dict()
    assert back.settings == g.settings
    assert back.node("x").name == "pixels" and back.node("h1").position == (120.25, 7.0)
    np.testing.assert_array_equal(back.connection("x", "h1").mask, g.connection("x", "h1").mask)
    assert back.connection("h2", "y").mask is None
    assert list(back.nodes) == list(g.nodes)
    on_disk = json.loads(path.read_text())
    assert on_disk["format"] == "backprop-studio-design" and on_disk["version"] == 1
    assert Graph.from_dict(g.to_dict()).same_design(g)


def test_the_issues_example_loads_and_compiles(tmp_path):
    path = tmp_path / "example.json"
    path.write_text(ISSUE_EXAMPLE)
    g = Graph.load(path)
    assert g.loss == "bce"
    assert [(n.id, n.kind, n.size, n.activation) for n in g.nodes.values()] == [
        ("x", "input", 2, "linear"), ("h", "hidden", 4, "tanh"), ("y", "output", 1, "sigmoid")]
    assert set(g.connections) == {("x", "h"), ("h", "y"), ("x", "y")}
    np.testing.assert_array_equal(g.connection("h", "y").mask, [[1, 0, 1, 1]])
    assert g.connection("x", "y").mask is None
    net = Network(g, seed=0, dtype="float64")
    assert net.parameters()["W:h->y"][0, 1] == 0
    assert net.forward(np.zeros((3, 2))).shape == (3, 1)


def edited(change):
    d = example()
    change(d)
    return d


BAD = [
    ("newer version", edited(lambda d: d.update(version=2)), ["version 2", "newer"]),
    ("version zero", edited(lambda d: d.update(version=0)), ["invalid version 0"]),
    ("version as text", edited(lambda d: d.update(version="1")), ["'version'", "wrong type"]),
    ("no version", edited(lambda d: d.pop("version")), ["missing", "'version'"]),
    ("wrong format", edited(lambda d: d.update(format="something-else")),
     ["not a Backprop Studio design"]),
    ("no format", edited(lambda d: d.pop("format")), ["not a Backprop Studio design"]),
    ("no nodes", edited(lambda d: d.pop("nodes")), ["missing", "'nodes'"]),
    ("no connections", edited(lambda d: d.pop("connections")), ["missing", "'connections'"]),
    ("nodes not a list", edited(lambda d: d.update(nodes={"x": 1})), ["'nodes'", "wrong type"]),
    ("node not an object", edited(lambda d: d["nodes"].append(7)), ["node 4", "object"]),
    ("node without id", edited(lambda d: d["nodes"][1].pop("id")), ["node 2", "'id'"]),
    ("node without kind", edited(lambda d: d["nodes"][1].pop("kind")), ["'h'", "'kind'"]),
    ("node without size", edited(lambda d: d["nodes"][1].pop("size")), ["'h'", "'size'"]),
    ("hidden without activation", edited(lambda d: d["nodes"][1].pop("activation")),
     ["'h'", "'activation'"]),
    ("size as text", edited(lambda d: d["nodes"][1].update(size="4")), ["'h'", "'size'"]),
    ("size as float", edited(lambda d: d["nodes"][1].update(size=4.0)), ["'h'", "'size'"]),
    ("size zero", edited(lambda d: d["nodes"][1].update(size=0)), ["'h'", "at least 1"]),
    ("huge size", edited(lambda d: d["nodes"][1].update(size=10**12)), ["'h'", "larger"]),
    ("bad position", edited(lambda d: d["nodes"][1].update(position=[1, "a"])),
     ["'h'", "'position'"]),
    ("name not text", edited(lambda d: d["nodes"][1].update(name=5)), ["'h'", "'name'"]),
    ("unknown activation", edited(lambda d: d["nodes"][1].update(activation="gelu")),
     ["'h'", "'gelu'"]),
    ("unknown loss", edited(lambda d: d.update(loss="hinge")), ["'hinge'"]),
    ("loss not text", edited(lambda d: d.update(loss=3)), ["'loss'", "wrong type"]),
    ("connection to nowhere", edited(lambda d: d["connections"].append({"src": "h", "dst": "q"})),
     ["'q'"]),
    ("connection without dst", edited(lambda d: d["connections"][0].pop("dst")),
     ["connection 1", "'dst'"]),
    ("cycle", edited(lambda d: (d["nodes"].append({"id": "k", "kind": "hidden", "size": 1,
                                                   "activation": "tanh"}),
                                d["connections"].extend([{"src": "h", "dst": "k"},
                                                         {"src": "k", "dst": "h"}]))),
     ["cycle", "'k'", "'h'"]),
    ("mask of the wrong shape", edited(lambda d: d["connections"][1].update(mask=[[1, 0, 1]])),
     ["'h' -> 'y'", "shape"]),
    ("mask not numbers", edited(lambda d: d["connections"][1].update(mask="1011")),
     ["'h' -> 'y'"]),
    ("ragged mask", edited(lambda d: d["connections"][1].update(mask=[[1, 0], [1]])),
     ["'h' -> 'y'"]),
    ("mask not 0/1", edited(lambda d: d["connections"][1].update(mask=[[1, 0.5, 1, 1]])),
     ["'h' -> 'y'", "0 and 1"]),
    ("settings not an object", edited(lambda d: d.update(settings=[1, 2])), ["'settings'"]),
    ("second input", edited(lambda d: d["nodes"].append({"id": "x2", "kind": "input", "size": 1})),
     ["'x2'", "input"]),
]


@pytest.mark.parametrize("what,data,words", BAD, ids=[b[0] for b in BAD])
def test_bad_designs_are_refused_with_a_clear_message(tmp_path, what, data, words):
    with pytest.raises(GraphError) as err:
        Graph.from_dict(copy.deepcopy(data))
    for w in words:
        assert w in str(err.value), f"{what}: {w!r} not in {err.value}"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(GraphError) as err:
        Graph.load(path)
    assert str(err.value).startswith("bad.json: ")        # the file is named


@pytest.mark.parametrize("content,words", [
    ("{not json", ["not valid JSON", "line 1"]),
    ("", ["not valid JSON"]),
    ("[1, 2, 3]", ["must hold a JSON object"]),
    ("null", ["must hold a JSON object"]),
    ('{"format": "backprop-studio-design", "version": 1, "nodes": ' + "[" * 50 + "]" * 50
     + ', "connections": []}', ["node 1", "object"]),
])
def test_files_that_are_not_designs(tmp_path, content, words):
    path = tmp_path / "odd.json"
    path.write_text(content)
    with pytest.raises(GraphError) as err:
        Graph.load(path)
    assert "odd.json" in str(err.value)
    for w in words:
        assert w in str(err.value)


def test_a_file_nested_too_deeply_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(GraphError, match="deep.json"):
        Graph.load(path)


def test_a_position_beyond_float_range_is_refused():
    data = example()
    data["nodes"][1]["position"] = [10**400, 0]
    with pytest.raises(GraphError, match="'position'"):
        Graph.from_dict(data)


def test_unreadable_files(tmp_path):
    with pytest.raises(GraphError, match="no such file"):
        Graph.load(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(GraphError, match="binary.json"):
        Graph.load(binary)
    with pytest.raises(GraphError, match="is a folder, not a regular file"):
        Graph.load(tmp_path)                              # a directory


def test_a_failing_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "design.json"
    old = rich_design()
    old.save(path)
    before = path.read_bytes()
    g = rich_design()
    g.add_node("hidden", 9, id="extra")

    def fail(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", fail)           # the write fails at its last moment
    with pytest.raises(OSError, match="disk full"):
        g.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["design.json"]   # no temp file left
    assert Graph.load(path).same_design(old)


def test_atomic_write_interrupted_midway_keeps_the_old_content(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(path, "wb") as f:
            f.write(b"half of the new")
            raise RuntimeError("crash")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.bin"]
    with atomic_write(path, "w") as f:
        f.write("new")
    assert path.read_text() == "new"


def test_a_design_whose_loss_does_not_fit_its_output_yet_saves_copies_and_opens(tmp_path):
    # Mid-edit (bce loss, a softmax output): the app must be able to save, copy and reopen it;
    # training refuses it with a message naming what to change.
    g = Graph(loss="bce")
    g.add_node("input", 2, id="x")
    g.add_node("output", 3, "softmax", id="y")
    g.connect("x", "y")
    g.save(tmp_path / "mid_edit.json")
    again = Graph.load(tmp_path / "mid_edit.json")
    assert again.same_design(g) and g.copy().same_design(g)
    with pytest.raises(GraphError, match="bce"):
        Network(again)
