"""The Graph: refusals with clear messages, change events, snapshots and restore."""
import json

import numpy as np
import pytest

from engine import Graph, GraphError


def design() -> Graph:
    """x(2) → h1(3) → h2(2) → y(1), with a skip x → y."""
    g = Graph(loss="mse")
    g.add_node("input", 2, id="x", position=(0, 0))
    g.add_node("hidden", 3, "tanh", id="h1", position=(100, 0))
    g.add_node("hidden", 2, "relu", id="h2", name="second", position=(200, 0))
    g.add_node("output", 1, "sigmoid", id="y", position=(300, 0))
    for s, d in [("x", "h1"), ("h1", "h2"), ("h2", "y"), ("x", "y")]:
        g.connect(s, d)
    return g


class Recorder:
    """Every event the graph emits, as (name, argument) pairs."""

    def __init__(self, graph: Graph):
        self.seen = []
        graph.events.changed.connect(lambda name, *args: self.seen.append((name, *args)))

    def names(self):
        return [e[0] for e in self.seen]

    def clear(self):
        self.seen.clear()


# ----- refusals ------------------------------------------------------------------
REFUSALS = [
    ("cycle", lambda g: g.connect("h2", "h1"), ["would make a cycle", "'h2'", "'h1'"]),
    ("self loop", lambda g: g.connect("h1", "h1"), ["itself", "'h1'"]),
    ("size 0", lambda g: g.add_node("hidden", 0, id="z"), ["'z'", "at least 1"]),
    ("negative size", lambda g: g.update_node("h1", size=-3), ["'h1'", "at least 1"]),
    ("fractional size", lambda g: g.add_node("hidden", 2.5, id="z"), ["'z'", "whole number"]),
    ("bool size", lambda g: g.add_node("hidden", True, id="z"), ["'z'", "whole number"]),
    ("second input", lambda g: g.add_node("input", 2, id="x2"), ["already has an input", "'x2'"]),
    ("second output", lambda g: g.add_node("output", 1, id="y2"), ["already has an output", "'y2'"]),
    ("hidden becomes a second input", lambda g: g.update_node("h1", kind="input"),
     ["already has an input", "'h1'"]),
    ("into the input", lambda g: g.connect("h1", "x"), ["into the input", "'x'"]),
    ("out of the output", lambda g: g.connect("y", "h2"), ["out of the output", "'y'"]),
    ("bad mask shape", lambda g: g.set_mask("x", "h1", np.ones((2, 3))),
     ["'x' -> 'h1'", "(2, 3)", "expected (3, 2)"]),
    ("mask not 0/1", lambda g: g.set_mask("h2", "y", [[1, 2]]), ["'h2' -> 'y'", "only 0 and 1"]),
    ("mask not numbers", lambda g: g.set_mask("h2", "y", [["a", "b"]]), ["'h2' -> 'y'", "0s and 1s"]),
    ("edge outside", lambda g: g.set_edges("h2", "y", [(1, 0)], False), ["(1, 0)", "'h2' -> 'y'"]),
    ("unknown activation", lambda g: g.add_node("hidden", 2, "gelu", id="z"), ["'z'", "'gelu'"]),
    ("unknown activation on update", lambda g: g.update_node("h1", activation="cube"),
     ["'h1'", "'cube'"]),
    ("unknown kind", lambda g: g.add_node("bias", 1, id="z"), ["'z'", "'bias'"]),
    ("softmax on a hidden node", lambda g: g.update_node("h2", activation="softmax"),
     ["'h2'", "softmax is only for the output"]),
    ("softmax on a new hidden node", lambda g: g.add_node("hidden", 3, "softmax", id="s"),
     ["'s'", "only for the output"]),
    ("unknown loss", lambda g: g.set_loss("hinge"), ["'hinge'"]),
    ("duplicate id", lambda g: g.add_node("hidden", 1, id="h1"), ["already a node 'h1'"]),
    ("duplicate connection", lambda g: g.connect("x", "h1"), ["'x'", "already connected", "'h1'"]),
    ("connect unknown", lambda g: g.connect("x", "nope"), ["'nope'"]),
    ("disconnect unknown", lambda g: g.disconnect("h1", "y"), ["'h1' -> 'y'"]),
    ("remove unknown", lambda g: g.remove_node("ghost"), ["'ghost'"]),
    ("update unknown field", lambda g: g.update_node("h1", position=(1, 1)), ["'h1'", "position"]),
    ("input with incoming", lambda g: (g.remove_node("x"), g.update_node("h2", kind="input")),
     ["'h2'", "incoming"]),
    ("output with outgoing", lambda g: (g.remove_node("y"), g.update_node("h1", kind="output")),
     ["'h1'", "feeds"]),
]


@pytest.mark.parametrize("what,edit,words", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_name_the_nodes_and_change_nothing(what, edit, words):
    g = design()
    g.set_edges("x", "h1", [(0, 1)], enabled=False)
    before = g.snapshot()
    with pytest.raises(GraphError) as err:
        rec = Recorder(g)
        edit(g)
    for w in words:
        assert w in str(err.value), f"{what}: {w!r} not in {err.value}"
    if what not in ("input with incoming", "output with outgoing"):   # these edit first
        assert rec.seen == []
        ref = Graph()
        ref.restore(before)
        assert g.same_design(ref)


def test_graph_error_is_a_value_error():
    assert issubclass(GraphError, ValueError)


def test_unknown_loss_at_construction_and_loss_output_mismatch():
    with pytest.raises(GraphError, match="unknown loss 'l3'"):
        Graph(loss="l3")
    g = design()
    g.set_loss("softmax_ce")
    with pytest.raises(GraphError, match="'y'.*sigmoid"):
        g.check_loss()
    g.set_loss("bce")
    g.check_loss()


def test_check_complete():
    g = design()
    g.check_complete()
    g.disconnect("h1", "h2")
    with pytest.raises(GraphError, match="'second' receives no connection"):   # by its label
        g.check_complete()
    g.remove_node("y")
    with pytest.raises(GraphError, match="no output"):
        g.check_complete()
    g.remove_node("x")
    with pytest.raises(GraphError, match="no input"):
        g.check_complete()


# ----- queries ---------------------------------------------------------------------
def test_queries():
    g = design()
    assert g.topological_order() == ["x", "h1", "h2", "y"]
    assert g.depths() == {"x": 0, "h1": 1, "h2": 2, "y": 3}
    assert g.input_node().id == "x" and g.output_node().id == "y"
    assert {c.src for c in g.incoming("y")} == {"h2", "x"}
    assert {c.dst for c in g.outgoing("x")} == {"h1", "y"}
    assert g.edge_count() == 6 + 6 + 2 + 2
    g.set_edges("x", "h1", [(0, 0), (2, 1)], enabled=False)
    assert g.edge_count() == 14 and g.connection("x", "h1").masked_count() == 2
    g.set_edges("x", "h1", [(0, 0), (2, 1)], enabled=True)
    assert g.connection("x", "h1").mask is None          # an all-ones mask is no mask
    assert g.new_id("h") == "h3"
    assert g.node("h2").label == "second" and g.node("h1").label == "h1"
    assert g.connection("x", "y").key == "x->y" and g.connection("x", "y").pair == ("x", "y")


def test_resizing_a_node_resizes_its_masks_keeping_the_entries():
    g = design()
    g.set_edges("h1", "h2", [(1, 2)], enabled=False)
    g.update_node("h1", size=4)
    m = g.connection("h1", "h2").mask
    assert m.shape == (2, 4) and m[1, 2] == 0 and m.sum() == 7
    g.update_node("h1", size=2)
    assert g.connection("h1", "h2").mask is None       # the masked edge went with the neuron


# ----- events ----------------------------------------------------------------------
def test_each_edit_emits_its_event():
    g = Graph()
    rec = Recorder(g)
    added = []
    g.events.node_added.connect(added.append)
    x = g.add_node("input", 2, id="x")
    g.add_node("output", 1, id="y")
    assert added == [x, g.node("y")]
    c = g.connect("x", "y")
    g.set_edges("x", "y", [(0, 1)], enabled=False)
    g.update_node("y", activation="tanh")
    g.move_node("y", (10, 20))
    g.set_loss("bce")
    g.disconnect("x", "y")
    assert rec.names() == ["node_added", "node_added", "connection_added", "mask_changed",
                           "node_changed", "node_moved", "loss_changed", "connection_removed"]
    assert rec.seen[2][1] is c
    assert rec.seen[4][1].activation == "tanh" and rec.seen[5][1].position == (10.0, 20.0)
    assert rec.seen[6][1] == "bce"


def test_removing_a_node_removes_its_connections_first():
    g = design()
    rec = Recorder(g)
    g.remove_node("h1")
    assert rec.names() == ["connection_removed", "connection_removed", "node_removed"]
    assert {e[1].key for e in rec.seen[:2]} == {"x->h1", "h1->h2"}
    assert "h1" not in g.nodes and ("x", "h1") not in g.connections


# ----- snapshot and restore ----------------------------------------------------------
def test_restore_is_exact_and_snapshots_are_independent():
    g = design()
    g.settings = {"lr": 0.1, "epochs": 10}
    g.set_edges("h1", "h2", [(0, 0)], enabled=False)
    snap = g.snapshot()
    saved = g.to_dict()
    g.set_edges("h1", "h2", [(1, 1)], enabled=False)       # must not leak into the snapshot
    g.remove_node("h2")
    g.add_node("hidden", 5, "elu", id="h9")
    g.connect("h1", "h9")
    g.connect("h9", "y")
    g.update_node("h1", size=7, name="wide")
    g.move_node("x", (-50, 3))
    g.set_loss("bce")
    g.settings = {"lr": 0.5}
    g.restore(snap)
    assert g.to_dict() == saved
    assert g.settings == {"lr": 0.1, "epochs": 10}
    assert g.connection("h1", "h2").masked_count() == 1


def _restore_events(edit):
    g = design()
    snap = g.snapshot()
    edit(g)
    rec = Recorder(g)
    g.restore(snap)
    ref = design()
    assert g.same_design(ref)
    return rec.names()


@pytest.mark.parametrize("edit,expected", [
    (lambda g: None, []),
    (lambda g: g.move_node("h1", (5, 5)), ["node_moved"]),
    (lambda g: g.update_node("h1", activation="elu"), ["node_changed"]),
    (lambda g: (g.update_node("h1", name="n"), g.move_node("h1", (1, 1))),
     ["node_changed", "node_moved"]),
    (lambda g: g.set_edges("x", "h1", [(0, 0)], False), ["mask_changed"]),
    (lambda g: g.set_loss("bce"), ["loss_changed"]),
    (lambda g: g.disconnect("x", "y"), ["connection_added"]),
    (lambda g: (g.add_node("hidden", 2, id="k"), g.connect("h1", "k")),
     ["connection_removed", "node_removed"]),
    (lambda g: g.remove_node("h2"), ["node_added", "connection_added", "connection_added"]),
    # Moving and then moving back leaves nothing to restore.
    (lambda g: (g.move_node("h1", (9, 9)), g.move_node("h1", (100, 0))), []),
])
def test_restore_emits_only_the_differences(edit, expected):
    assert _restore_events(edit) == expected


def test_copy_is_independent():
    g = design()
    g.set_edges("x", "h1", [(1, 1)], enabled=False)
    c = g.copy()
    assert c.same_design(g)
    c.set_edges("x", "h1", [(0, 0)], enabled=False)
    c.move_node("y", (1, 2))
    assert not c.same_design(g)
    assert g.connection("x", "h1").masked_count() == 1


def test_a_copy_has_its_own_settings_nested_too():
    g = design()
    g.settings.update(title="mine", data={"columns": ["a", "b"]}, lr=0.1)
    c = g.copy()
    assert c.settings == g.settings
    c.settings["lr"] = 0.5
    c.settings["data"]["columns"].append("c")
    c.settings["new"] = 1
    assert g.settings == {"title": "mine", "data": {"columns": ["a", "b"]}, "lr": 0.1}


# ----- node ids containing "->" (issue 16, item 7) ----------------------------------------
def arrow_design(colliding: bool) -> dict:
    """Ids a, a->b, b->c, c: with both a -> b->c and a->b -> c two weights share one name."""
    conns = [{"src": "a", "dst": "b->c"}, {"src": "b->c", "dst": "c"}, {"src": "a", "dst": "a->b"}]
    conns += [{"src": "a->b", "dst": "c"}] if colliding else [{"src": "a->b", "dst": "b->c"}]
    return {"format": "backprop-studio-design", "version": 1, "loss": "mse",
            "nodes": [{"id": "a", "kind": "input", "size": 2},
                      {"id": "a->b", "kind": "hidden", "size": 3, "activation": "tanh"},
                      {"id": "b->c", "kind": "hidden", "size": 2, "activation": "tanh"},
                      {"id": "c", "kind": "output", "size": 1, "activation": "linear"}],
            "connections": conns}


def test_ids_whose_weight_names_collide_are_refused_at_load_naming_both(tmp_path):
    with pytest.raises(GraphError) as err:
        Graph.from_dict(arrow_design(colliding=True))
    for part in ("'a' -> 'b->c'", "'a->b' -> 'c'", "W:a->b->c"):
        assert part in str(err.value)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(arrow_design(colliding=True)))
    with pytest.raises(GraphError, match=r"^old\.json: .*'a' -> 'b->c'.*'a->b' -> 'c'"):
        Graph.load(path)


def test_connecting_into_a_collision_is_refused_and_changes_nothing():
    g = Graph.from_dict(arrow_design(colliding=False))
    g.disconnect("a->b", "b->c")
    g.disconnect("b->c", "c")
    g.add_node("hidden", 1, id="b")
    g.connect("b", "c")      # W:b->c, nobody else's name
    before = g.snapshot()["connections"].keys()
    with pytest.raises(GraphError, match=r"'a' -> 'b->c' and 'a->b' -> 'c'"):
        g.connect("a->b", "c")
    assert g.connections.keys() == before


def test_ids_containing_the_arrow_without_a_collision_still_load():
    g = Graph.from_dict(arrow_design(colliding=False))
    assert ("a->b", "b->c") in g.connections and g.connection("a", "b->c").key == "a->b->c"
    assert Graph.from_dict(g.to_dict()).same_design(g)
