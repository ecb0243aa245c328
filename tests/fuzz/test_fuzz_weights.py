"""Fuzzing the weight loaders: engine.io.weights (load, check), Network.load_parameters, and the
command line's export and train --weights; metadata nested too deeply or of the wrong type in
every entry; designs whose node ids contain "->", their weight names colliding or not.

Only WeightsError, ParameterMismatch or GraphError may come out; after a refusal the
network's parameters are exactly what they were; after a success they are the file's.
"""
import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Graph, GraphError, Network
from engine.io.weights import (WeightsError, check_weights, load_preprocessing, load_weights, load_weights_design,
                                save_weights)
from engine.model.preprocessing import Preprocessing
from engine.nn.network import ParameterMismatch
from engine.model.param_names import collisions
from tests.fuzz.strategies import EXAMPLES, accepted, arrow_designs, count, fuzz_settings, metadata_texts, nasty
from tests.fuzz.strategies_data import npz_bytes, parameter_sets, weight_files

XOR = Graph.from_dict(EXAMPLES["xor_neurons"])
SHAPES = Network(XOR).parameter_shapes()
REFUSALS = (WeightsError, ParameterMismatch, GraphError)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("weights")


def _copy(net: Network) -> dict:
    return {k: v.copy() for k, v in net.parameters().items()}


def _assert_same(net: Network, params: dict) -> None:
    assert net.parameters().keys() == params.keys()
    for k, v in params.items():
        np.testing.assert_array_equal(net.parameters()[k], v)


@fuzz_settings(700)
@given(file=weight_files(SHAPES))
def test_weight_files_raise_only_weights_errors(folder, file):
    suffix, data = file
    path = folder / f"weights{suffix}"
    path.write_bytes(data)
    count(loader := f"weights {suffix}: load_weights + check_weights + Network.load_parameters")
    net = Network(XOR, seed=1)
    before = _copy(net)
    try:
        load_weights_design(path)
        values = load_weights(path)
        check_weights(net.parameter_shapes(), values, net.dtype)
        net.load_parameters(values)
    except REFUSALS as e:
        assert str(e)
        _assert_same(net, before)
        return
    assert all(v.dtype in (np.float32, np.float64) and np.isfinite(v).all() for v in values.values())
    assert all(np.isfinite(v).all() for v in net.parameters().values())
    _assert_same(net, {k: v.astype(np.float32) for k, v in values.items()})
    accepted(loader)


@fuzz_settings(400)
@given(params=parameter_sets(SHAPES))
def test_load_parameters_refuses_what_does_not_fit_and_changes_nothing(params):
    count(loader := "parameters in memory: Network.load_parameters")
    net = Network(XOR, seed=1)
    before = _copy(net)
    try:
        net.load_parameters(params)
    except ParameterMismatch as e:
        assert str(e)
        _assert_same(net, before)
        return
    assert all(np.isfinite(v).all() for v in net.parameters().values())
    _assert_same(net, {k: np.asarray(v).astype(np.float32) for k, v in params.items()})
    accepted(loader)


def test_complex_weights_are_refused_by_load_parameters():
    net = Network(XOR, seed=1)
    params = {k: v.astype(np.complex128) + 1j for k, v in _copy(net).items()}
    with pytest.raises(ParameterMismatch):
        net.load_parameters(params)


def test_values_beyond_float32_are_refused_by_a_float32_network():
    net = Network(XOR, seed=1, dtype="float32")
    params = {k: v.astype(np.float64) for k, v in _copy(net).items()}
    params["b:y"][0] = 1e300
    with pytest.raises(ParameterMismatch):
        net.load_parameters(params)


# ----- malformed metadata, and node ids containing "->" (issue 16, items 4 and 7) ----------
METADATA_PLACES = ("npz __design__", "safetensors __design__", "safetensors order", "json design",
                   "json parameters", "json values")


@st.composite
def metadata_files(draw) -> tuple[str, str, bytes]:
    """(where, suffix, bytes): XOR's right weights with one metadata entry malformed."""
    from safetensors.numpy import save
    params = {k: v.copy() for k, v in Network(XOR, seed=1).parameters().items()}
    where, text = draw(st.sampled_from(METADATA_PLACES)), draw(metadata_texts())
    if where == "npz __design__":
        buf = io.BytesIO()
        np.savez(buf, **params, __design__=np.frombuffer(text.encode(), np.uint8))
        return where, ".npz", buf.getvalue()
    if where.startswith("safetensors"):
        meta = {"format": "backprop-studio-weights", "version": "1", "order": json.dumps(list(params))}
        meta["__design__" if "design" in where else "order"] = text
        return where, ".safetensors", save(params, metadata=meta)
    entries = [json.dumps({"name": k, "shape": list(v.shape), "values": v.tolist()}) for k, v in params.items()]
    if where == "json values":      # the last entry's values
        entries[-1] = entries[-1][:entries[-1].index(', "values": ')] + f', "values": {text}}}'
    parameters = text if where == "json parameters" else "[" + ", ".join(entries) + "]"
    design = f', "design": {text}' if where == "json design" else ""
    doc = f'{{"format": "backprop-studio-weights", "version": 1, "parameters": {parameters}{design}}}'
    return where, ".json", doc.encode()


@fuzz_settings(300)
@given(file=metadata_files())
def test_malformed_metadata_is_a_weights_error_naming_the_file(folder, file):
    where, suffix, data = file
    path = folder / f"meta{suffix}"
    path.write_bytes(data)
    count(loader := f"weights {where}, nested too deeply or wrong-typed: load_weights")
    try:
        design = load_weights_design(path)
        values = load_weights(path)
    except WeightsError as e:
        assert str(e).startswith(f"meta{suffix}: "), e
        return
    try:
        if design is not None:
            Graph.from_dict(design)
        check_weights(SHAPES, values)
    except REFUSALS as e:
        assert str(e)
        return
    accepted(loader)


@fuzz_settings(80)
@given(file=metadata_files(), command=st.sampled_from(("export", "train")))
def test_the_command_line_on_malformed_metadata(folder, design_path, cli, file, command):
    where, suffix, data = file
    path = folder / f"cli_meta{suffix}"
    path.write_bytes(data)
    count(loader := f"weights with malformed metadata: main.py {command}")
    argv = (["export", design_path, "--weights", path, folder / "out.npz"] if command == "export" else
            ["train", design_path, "--weights", path, "--data", "xor", "--samples", "16", "--epochs", "1",
             "--json"])
    if cli(argv)[0] == 0:       # else one line on stderr, "error: ...": the fixture checks it
        accepted(loader)


@fuzz_settings(200)
@given(design=arrow_designs(), suffix=st.sampled_from((".npz", ".json", ".safetensors")))
def test_ids_containing_the_arrow_are_refused_if_names_collide_else_round_trip(folder, design, suffix):
    pairs = [(c["src"], c["dst"]) for c in design["connections"]]
    clashes = collisions(pairs)
    count(loader := "design with ids containing '->': Graph.from_dict, Network, weights round trip")
    if clashes:
        with pytest.raises(GraphError) as err:
            Graph.from_dict(design)
        for s, d in clashes[0]:
            assert f"{s!r} -> {d!r}" in str(err.value)
        return
    g = Graph.from_dict(design)
    net = Network(g, seed=1, dtype="float64")
    assert len(net.parameters()) == len(pairs) + len(g.nodes) - 1          # no two share a name
    path = folder / f"arrows{suffix}"
    save_weights(net.parameters(), path, design=g.to_dict())
    other = Network(Graph.from_dict(load_weights_design(path)), seed=2, dtype="float64")
    other.load_parameters(load_weights(path))
    _assert_same(other, net.parameters())
    accepted(loader)


# ----- the command line --------------------------------------------------------------------
@pytest.fixture(scope="module")
def design_path(folder):
    path = folder / "xor.json"
    XOR.save(path)
    return path


@fuzz_settings(250)
@given(file=weight_files(SHAPES), command=st.sampled_from(("export", "train")),
       out=st.sampled_from(("out.npz", "out.json", "out.safetensors", "out.onnx", "out.py")))
def test_the_command_line_on_fuzzed_weights(folder, design_path, cli, file, command, out):
    suffix, data = file
    path = folder / f"cli_weights{suffix}"
    path.write_bytes(data)
    count(loader := f"weights {suffix}: main.py {command}")
    if command == "export":
        code, _ = cli(["export", design_path, "--weights", path, folder / out])
    else:
        code, _ = cli(["train", design_path, "--weights", path, "--data", "xor", "--samples", "16",
                       "--epochs", "1", "--json"])
    if code == 0:
        accepted(loader)


# ----- regressions found by the fuzzing, and the promises of docs/formats.md ------------------
def _npy_claiming(shape, dtype="<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue() + b"\0" * 64


@pytest.mark.parametrize("shape", [(10**6, 10**6), (2**31, 4), (10**4, 10**4)])
def test_an_npz_entry_claiming_more_than_it_holds_is_refused_before_allocating(tmp_path, shape):
    # numpy allocates what the header claims before reading: 7 TiB was a MemoryError, 800 MB
    # was allocated and then refused.
    path = tmp_path / "claims.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("b:y.npy", _npy_claiming(shape))
    tracemalloc.start()
    try:
        with pytest.raises(WeightsError,
                           match=r"claims.npz: the entry 'b:y' is damaged: .*claims [\d,]+ bytes"):
            load_weights(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000             # refused from the header, not allocated


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("b:y.npy", "w", force_zip64=True) as f:
            f.write(_npy_claiming((60_000_000,))[:-64])
            chunk = bytes(2**20)
            for _ in range(460):                # 482 MB of zeros, a few hundred KB packed
                f.write(chunk)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(WeightsError, match="unpacks to more than"):
        load_weights(path)


def test_a_damaged_compressed_npz_is_a_weights_error(tmp_path):
    data = bytearray(npz_bytes({"b:y": np.arange(1000.0)}, compressed=True))
    start = data.index(b"b:y.npy") + 40         # inside the deflate stream of the entry
    data[start:start + 20] = b"\xff" * 20
    path = tmp_path / "damaged.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="damaged.npz"):
        load_weights(path)


def _touch_marker(path):
    open(path, "w").close()


class _Payload:
    """Unpickling this runs code: what a malicious .npz would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (_touch_marker, (self.marker,))


def test_a_pickle_inside_an_npz_is_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    path = tmp_path / "pickle.npz"
    path.write_bytes(npz_bytes({"b:y": np.array([_Payload(str(marker))], dtype=object)}))
    with np.load(path, allow_pickle=True) as archive:   # the file really carries the payload
        archive["b:y"]
    assert marker.exists()
    marker.unlink()
    with pytest.raises(WeightsError, match="pickle"):
        load_weights(path)
    assert not marker.exists()


def test_an_integer_beyond_float_range_in_json_weights_is_a_weights_error(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"format": "backprop-studio-weights", "version": 1,
                                "parameters": [{"name": "b:y", "shape": [1], "values": [10**400]}]}))
    with pytest.raises(WeightsError, match="b:y holds values that are not a table of numbers"):
        load_weights(path)


@pytest.mark.parametrize("dtype", [[], {}, ["float32"]])
def test_a_dtype_that_is_not_text_in_json_weights_is_a_weights_error(tmp_path, dtype):
    path = tmp_path / "dtype.json"
    path.write_text(json.dumps({"format": "backprop-studio-weights", "version": 1,
                                "parameters": [{"name": "b:y", "shape": [1], "dtype": dtype, "values": [1]}]}))
    with pytest.raises(WeightsError, match="b:y has the unknown dtype"):
        load_weights(path)


@pytest.mark.parametrize("command", ["export", "train"])
def test_weights_beyond_float32_are_one_clear_line_from_the_command_line(tmp_path, cli, command):
    # A float32 network took 1e300 as inf (and numpy printed an overflow warning besides).
    XOR.save(tmp_path / "xor.json")
    params = {k: v.astype(np.float64) for k, v in Network(XOR).parameters().items()}
    params["W:n1->y"][0, 0] = 1e300
    params["b:y"] = params["b:y"].astype(np.float32)     # mixed: the export picks float32
    save_weights(params, tmp_path / "big.npz")
    argv = (["export", tmp_path / "xor.json", "--weights", tmp_path / "big.npz", tmp_path / "out.npz"]
            if command == "export" else
            ["train", tmp_path / "xor.json", "--weights", tmp_path / "big.npz", "--data", "xor", "--json"])
    assert cli(argv)[0] == 1
    assert not (tmp_path / "out.npz").exists()


def test_float64_weights_beyond_float32_are_refused_by_the_onnx_export(tmp_path, cli):
    XOR.save(tmp_path / "xor.json")
    params = {k: v.astype(np.float64) for k, v in Network(XOR).parameters().items()}
    params["W:n1->y"][0, 0] = 1e300     # fine in the float64 network the export builds
    save_weights(params, tmp_path / "big.npz")
    assert cli(["export", tmp_path / "xor.json", "--weights", tmp_path / "big.npz", tmp_path / "out.onnx"])[0] == 1


def test_check_weights_with_a_dtype_names_values_beyond_its_range():
    shapes = {"W:x->y": (1, 2), "b:y": (1,)}
    values = {"W:x->y": np.array([[1e300, 0.0]]), "b:y": np.array([1e39])}
    check_weights(shapes, values)
    check_weights(shapes, values, np.float64)
    with pytest.raises(WeightsError, match="W:x->y, b:y hold values beyond the range of float32"):
        check_weights(shapes, values, np.float32)


def test_check_weights_names_a_ragged_table_instead_of_failing():
    with pytest.raises(WeightsError, match="b:y is not a table of numbers"):
        check_weights({"b:y": (2,)}, {"b:y": [[1.0], [1.0, 2.0]]})


def test_the_weights_round_trip_still_holds(tmp_path):
    params = _copy(Network(XOR, seed=3, dtype="float64"))
    for suffix in (".npz", ".json", ".safetensors"):
        save_weights(params, tmp_path / f"w{suffix}", design=XOR.to_dict())
        loaded = load_weights(tmp_path / f"w{suffix}")
        assert all(np.array_equal(loaded[k], v) and loaded[k].dtype == v.dtype for k, v in params.items())


TRANSFORM = {"features": ["x1", "x2"], "inputs": ["x1", "x2", "x1^2"], "mean": [0.0, 0.1, 2.0],
             "std": [1.0, 2.0, 3.0], "task": "classification", "target": "class", "classes": ["a", "b"]}


@st.composite
def transform_files(draw) -> tuple[str, bytes]:
    """Good parameters with a "preprocessing" entry that is broken: not JSON, nested too deeply,
    of the wrong type, or a transform with one field replaced by something hostile."""
    if draw(st.booleans()):
        text = draw(metadata_texts())
    else:
        field = draw(st.sampled_from(sorted(TRANSFORM) + ["target_mean", "target_std", "categories"]))
        text = json.dumps(TRANSFORM | {field: draw(nasty())})
    params = {k: v.astype(np.float32) for k, v in Network(XOR).parameters().items()}
    suffix = draw(st.sampled_from((".npz", ".json", ".safetensors")))
    if suffix == ".npz":
        buf = io.BytesIO()
        np.savez(buf, **params, preprocessing=np.frombuffer(text.encode(), dtype=np.uint8))
        return suffix, buf.getvalue()
    if suffix == ".safetensors":
        from safetensors.numpy import save
        return suffix, save(params, metadata={"preprocessing": text})
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):     # not JSON, or too deep to parse here: kept as text
        value = text
    doc = {"format": "backprop-studio-weights", "version": 1, "preprocessing": value,
           "parameters": [{"name": k, "shape": list(v.shape), "dtype": "float32", "values": v.tolist()}
                          for k, v in params.items()]}
    return suffix, json.dumps(doc).encode()


def test_a_json_null_transform_is_none_and_a_null_entry_elsewhere_an_error(tmp_path):
    params = {k: v.astype(np.float32) for k, v in Network(XOR).parameters().items()}
    doc = {"format": "backprop-studio-weights", "version": 1, "preprocessing": None,
           "parameters": [{"name": k, "shape": list(v.shape), "dtype": "float32", "values": v.tolist()}
                          for k, v in params.items()]}
    (tmp_path / "w.json").write_text(json.dumps(doc))
    assert load_preprocessing(tmp_path / "w.json") is None          # as if the field were absent
    buf = io.BytesIO()
    np.savez(buf, **params, preprocessing=np.frombuffer(b"null", dtype=np.uint8))
    (tmp_path / "w.npz").write_bytes(buf.getvalue())
    with pytest.raises(WeightsError, match="must be an object"):    # an entry that is there: a transform
        load_preprocessing(tmp_path / "w.npz")


@fuzz_settings(200)
@given(file=transform_files())
def test_a_broken_transform_entry_is_a_weights_error_and_the_weights_still_load(folder, file):
    suffix, data = file
    path = folder / f"transform{suffix}"
    path.write_bytes(data)
    count(loader := f"weights {suffix} with a fuzzed preprocessing entry: load_preprocessing")
    check_weights(SHAPES, load_weights(path))
    try:
        p = load_preprocessing(path)
    except WeightsError as e:
        assert str(e).startswith(f"transform{suffix}: "), e
        return
    if p is None:       # a .json file's "preprocessing": null says there is none (docs/formats.md)
        assert suffix == ".json" and json.loads(data)["preprocessing"] is None
        return
    assert isinstance(p, Preprocessing)
    accepted(loader)
