"""Fuzzing the design loaders: Graph.load and engine.model.design_format, the design file with its
weights (engine.io.design_weights.load_design_with_weights, no Qt needed) and the command line.

Only GraphError may come out of a loader; a design that loads is whole (acyclic, sizes and
parameters within the limits, the loss fits) and saves and loads back the same.
"""
import json
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Graph, GraphError
from engine.model.graph import MAX_PARAMETERS, MAX_SIZE
from engine.model.queries import GraphQueries
from engine.io.onnx_export import expected_shapes
from engine.io.weights import save_weights
from engine.io.design_weights import load_design_with_weights
from tests.fuzz.strategies import EXAMPLES, accepted, count, design_bytes, designs, fuzz_settings
from tests.fuzz.strategies_data import designs_with_weights


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("designs")


def assert_whole(graph: Graph) -> None:
    """What every loaded design promises the rest of the app."""
    assert all(1 <= n.size <= MAX_SIZE for n in graph.nodes.values())
    assert graph.parameter_count() <= MAX_PARAMETERS
    graph.topological_order()
    for c in graph.connections.values():
        assert c.mask is None or (c.mask.shape == (graph.nodes[c.dst].size, graph.nodes[c.src].size)
                                  and set(np.unique(c.mask)) <= {0, 1})
    assert Graph.from_dict(json.loads(json.dumps(graph.to_dict()))).same_design(graph)


@fuzz_settings(800)
@given(data=design_bytes())
def test_graph_load_raises_only_graph_errors(folder, data):
    path = folder / "design.json"
    path.write_bytes(data)
    count(loader := "design file: Graph.load")
    try:
        graph = Graph.load(path)
    except GraphError as e:
        assert str(e).startswith("design.json") or str(e).startswith(str(path))
        return
    assert_whole(graph)
    accepted(loader)


@fuzz_settings(500)
@given(design=designs())
def test_graph_from_dict_raises_only_graph_errors(design):
    count(loader := "design dict: Graph.from_dict")
    try:
        graph = Graph.from_dict(design)
    except GraphError as e:
        assert str(e)
        return
    assert_whole(graph)
    accepted(loader)


XOR = Graph.from_dict(EXAMPLES["xor_neurons"])


@fuzz_settings(400)
@given(data=designs_with_weights())
def test_a_design_with_weights_raises_only_graph_errors(folder, data):
    path = folder / "with_weights.json"
    path.write_bytes(data)
    count(loader := "design file with weights: load_design_with_weights")
    try:
        graph, params = load_design_with_weights(path)
    except GraphError as e:
        assert str(e)
        return
    assert_whole(graph)
    if params is not None:
        shapes = expected_shapes(graph)
        assert {k: v.shape for k, v in params.items()} == shapes
        assert all(v.dtype in (np.float32, np.float64) and np.isfinite(v).all() for v in params.values())
    accepted(loader)


# ----- the command line --------------------------------------------------------------------
@pytest.fixture(scope="module")
def xor_weights(folder):
    from engine import Network
    path = folder / "xor_weights.npz"
    save_weights(Network(XOR, seed=0).parameters(), path)
    return path


@fuzz_settings(200)
@given(data=design_bytes(), command=st.sampled_from(("train", "train", "gradcheck", "export")),
       dataset=st.sampled_from((None, "xor", "circle", "iris")))
def test_the_command_line_on_fuzzed_designs(folder, xor_weights, cli, data, command, dataset):
    path = folder / "cli_design.json"
    path.write_bytes(data)
    count(loader := f"design file: main.py {command}")
    if command == "export":
        argv = ["export", path, "--weights", xor_weights, folder / "out.safetensors"]
    else:
        argv = [command, path, "--samples", "16"] + (["--data", dataset] if dataset else [])
        argv += ["--epochs", "1", "--json"] if command == "train" else []
    if cli(argv)[0] == 0:
        accepted(loader)


# ----- regressions found by the fuzzing --------------------------------------------------------
def _design(**changes) -> dict:
    d = json.loads(json.dumps(EXAMPLES["xor_neurons"]))
    d.update(changes)
    return d


def test_an_integer_of_more_than_4300_digits_is_a_design_error(tmp_path):
    # Python refuses to parse such an int with a ValueError that is not a JSONDecodeError.
    path = tmp_path / "big.json"
    path.write_text('{"format": "backprop-studio-design", "version": ' + "9" * 5000 + "}")
    with pytest.raises(GraphError, match="big.json: .*4300 digits"):
        Graph.load(path)


def test_a_design_claiming_a_trillion_weights_is_refused_before_allocating(tmp_path):
    d = _design(nodes=[{"id": "x", "kind": "input", "size": 10**6},
                       {"id": "y", "kind": "output", "size": 10**6, "activation": "linear"}],
                connections=[{"src": "x", "dst": "y"}], loss="mse")
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(d))
    tracemalloc.start()
    try:
        with pytest.raises(GraphError, match=r"1,000,001,000,000 weights and biases.*50,000,000"):
            Graph.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000             # counted from the sizes, not allocated


def test_the_parameter_limit_holds_for_every_edit():
    g = Graph()
    g.add_node("input", 10_000, id="x")
    g.add_node("hidden", 4_000, "relu", id="h")
    g.add_node("output", 1, "linear", id="y")
    g.connect("x", "h")                                     # 40,004,000
    with pytest.raises(GraphError, match="'h'"):            # a resize past the limit
        g.update_node("h", size=5_001)
    g.add_node("hidden", 2_000, "relu", id="k")
    with pytest.raises(GraphError, match="connecting 'x' to 'k'"):
        g.connect("x", "k")
    assert g.parameter_count() == 40_004_000 and set(g.connections) == {("x", "h")}
    g.remove_node("k")
    g.connect("h", "y")
    g.check_complete()


@pytest.mark.parametrize("mask", [[["1", "0"]], [[None, 1]], [[10**30, 1]]])
def test_a_mask_of_text_or_null_is_refused(mask):
    # "1" used to pass as 1 (converted with dtype=float); JSON true and false still mean 1 and 0.
    d = _design()
    d["connections"][0]["mask"] = mask      # x -> n1: shape (1, 2)
    with pytest.raises(GraphError, match="0s and 1s|only 0 and 1"):
        Graph.from_dict(d)


def test_a_design_saved_with_a_byte_order_mark_opens(tmp_path):
    # Windows Notepad writes UTF-8 with a BOM; json.loads refuses it unless it is stripped.
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(EXAMPLES["xor_neurons"]).encode())
    assert Graph.load(path).same_design(XOR)
    assert load_design_with_weights(path)[0].same_design(XOR)


def test_a_long_chain_with_skips_builds_and_loads_without_a_scan_per_node_visited(monkeypatch):
    # connect() walked the graph through outgoing(), a scan of every connection per node
    # visited: 1,000 nodes with 500 skips took ~4 s to build and as long to load. The scans
    # are counted (hundreds of thousands then), not timed.
    scans = []
    for name in ("outgoing", "incoming"):
        scan = getattr(GraphQueries, name)
        monkeypatch.setattr(GraphQueries, name,
                            lambda self, node_id, scan=scan: (scans.append(node_id), scan(self, node_id))[1])
    g = Graph()
    g.add_node("input", 2, id="n0")
    for i in range(1, 1000):
        g.add_node("output" if i == 999 else "hidden", 1, "linear" if i == 999 else "tanh", id=f"n{i}")
        g.connect(f"n{i - 1}", f"n{i}")
    for i in range(2, 1000, 2):
        g.connect(f"n{i - 2}", f"n{i}")
    loaded = Graph.from_dict(g.to_dict())
    loaded.check_complete()
    assert loaded.same_design(g) and loaded.depths()["n999"] == 999
    assert len(scans) < len(g.nodes), f"{len(scans):,} scans of every connection for {len(g.nodes):,} nodes"
