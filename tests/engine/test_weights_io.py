"""Weight files: exact round trips in every format, bad files, and the design check's messages."""
import json
import os

import numpy as np
import pytest

from engine import Graph, Network
from engine.io.weights import (WeightsError, check_weights, load_weights, load_weights_design,
                               save_weights)

FORMATS = (".npz", ".json", ".safetensors")
DESIGN = {"format": "backprop-studio-design", "version": 1, "loss": "bce",
          "nodes": [{"id": "x", "kind": "input", "size": 2},
                    {"id": "h", "kind": "hidden", "size": 4, "activation": "tanh"},
                    {"id": "y", "kind": "output", "size": 1, "activation": "sigmoid"}],
          "connections": [{"src": "x", "dst": "h"},
                          {"src": "h", "dst": "y", "mask": [[1, 0, 1, 1]]},
                          {"src": "x", "dst": "y"}]}


def params(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return {"W:x->h": rng.normal(size=(4, 2)).astype(dtype),
            "b:h": rng.normal(size=4).astype(dtype),
            "W:h->y": (rng.normal(size=(1, 4)) * [1, 0, 1, 1]).astype(dtype),
            "W:x->y": np.array([[1e-300 if dtype == np.float64 else 1e-38, -3.5]], dtype),
            "b:y": np.array([np.pi], dtype)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip_is_exact(tmp_path, ext, dtype):
    original = params(dtype)
    path = tmp_path / f"w{ext}"
    save_weights(original, path)
    loaded = load_weights(path)
    assert list(loaded) == list(original)
    for k, v in original.items():
        assert loaded[k].dtype == dtype and loaded[k].shape == v.shape
        np.testing.assert_array_equal(loaded[k], v)
    assert load_weights_design(path) is None


@pytest.mark.parametrize("ext", FORMATS)
def test_network_parameters_round_trip_through_load_parameters(tmp_path, ext):
    g = Graph.from_dict(DESIGN)
    net = Network(g, seed=1)
    path = tmp_path / f"net{ext}"
    save_weights(net.parameters(), path, design=g.to_dict())
    other = Network(g, seed=2)
    check_weights(other.parameter_shapes(), load_weights(path))
    other.load_parameters(load_weights(path))
    X = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    np.testing.assert_array_equal(other.forward(X), net.forward(X))
    assert load_weights_design(path) == g.to_dict()
    assert Graph.from_dict(load_weights_design(path)).same_design(g)


def test_json_layout_is_the_documented_one(tmp_path):
    path = tmp_path / "w.json"
    save_weights(params(np.float64), path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "backprop-studio-weights" and doc["version"] == 1
    first = doc["parameters"][0]
    assert first["name"] == "W:x->h" and first["shape"] == [4, 2] and len(first["values"]) == 4
    assert first["dtype"] == "float64"


def test_npz_keys_are_the_parameter_names(tmp_path):
    path = tmp_path / "w.npz"
    save_weights(params(np.float32), path)
    with np.load(path) as f:
        assert sorted(f.files) == sorted(params(np.float32))


@pytest.mark.parametrize("ext", FORMATS)
def test_nan_and_non_numeric_values_are_refused_when_saving(tmp_path, ext):
    bad = params(np.float64)
    bad["b:h"][1] = np.nan
    with pytest.raises(WeightsError, match="b:h holds NaN"):
        save_weights(bad, tmp_path / f"w{ext}")
    with pytest.raises(WeightsError, match="holds <U1 values, not numbers"):
        save_weights({"b:h": np.array(["a"])}, tmp_path / f"w{ext}")
    assert not list(tmp_path.iterdir())


def test_nan_in_a_file_is_refused_when_loading(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, **{"b:h": np.array([1.0, np.inf])})
    with pytest.raises(WeightsError, match="w.npz: b:h holds NaN or infinite values"):
        load_weights(path)
    path = tmp_path / "w.json"
    path.write_text('{"format": "backprop-studio-weights", "version": 1, "parameters": '
                    '[{"name": "b:h", "shape": [2], "values": [1.0, NaN]}]}')
    with pytest.raises(WeightsError, match="w.json: b:h holds NaN"):
        load_weights(path)
    from safetensors.numpy import save_file
    save_file({"b:h": np.array([np.nan], np.float32)}, str(tmp_path / "w.safetensors"))
    with pytest.raises(WeightsError, match="w.safetensors: b:h holds NaN"):
        load_weights(tmp_path / "w.safetensors")


def test_non_numeric_dtypes_in_files_are_refused(tmp_path):
    np.savez(tmp_path / "w.npz", **{"b:h": np.array([True, False])})
    with pytest.raises(WeightsError, match="bool"):
        load_weights(tmp_path / "w.npz")
    np.savez(tmp_path / "o.npz", **{"b:h": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(WeightsError, match="o.npz"):
        load_weights(tmp_path / "o.npz")


@pytest.mark.parametrize("ext, content, message", [
    (".npz", b"not a zip at all", "not an .npz file"),
    (".npz", b"PK\x03\x04broken", "not a readable .npz"),
    (".safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage", "not a readable .safetensors"),
    (".safetensors", b"", "not a readable .safetensors"),
    (".json", b"{not json", "not valid JSON"),
    (".json", b"\xff\xfe", "not valid JSON"),
    (".json", b'{"format": "backprop-studio-design"}', "not a Backprop Studio weights file"),
    (".json", b'{"format": "backprop-studio-weights", "version": 9, "parameters": []}', "version 9, newer"),
    (".json", b'{"format": "backprop-studio-weights", "version": 1, "parameters": '
              b'[{"name": "b:h", "shape": [3], "values": [1, 2]}]}', r"shape \(2,\), but its 'shape' says \(3,\)"),
    (".json", b'{"format": "backprop-studio-weights", "version": 1, "parameters": '
              b'[{"name": "b:h", "shape": [2], "values": [1, "2"]}]}', "not numbers"),
    (".json", b'{"format": "backprop-studio-weights", "version": 1, "parameters": '
              b'[{"name": "b:h", "shape": [2], "values": [[1], 2]}]}', "not a table of numbers"),
    (".json", b'{"format": "backprop-studio-weights", "version": 1, "parameters": '
              b'[{"name": "b:h", "shape": [1], "values": [1]}, {"name": "b:h", "shape": [1], "values": [1]}]}',
     "appears twice"),
])
def test_corrupt_files_raise_weights_errors_naming_the_file(tmp_path, ext, content, message):
    path = tmp_path / f"bad{ext}"
    path.write_bytes(content)
    with pytest.raises(WeightsError, match=message) as e:
        load_weights(path)
    assert "bad" + ext in str(e.value)


def test_truncated_files_of_every_format_are_refused(tmp_path):
    for ext in FORMATS:
        path = tmp_path / f"w{ext}"
        save_weights(params(np.float32), path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        with pytest.raises(WeightsError, match=f"w{ext}"):
            load_weights(path)


def test_unknown_extension_missing_file_and_onnx_hint(tmp_path):
    with pytest.raises(WeightsError, match="unknown weights format '.txt'"):
        save_weights(params(np.float32), tmp_path / "w.txt")
    with pytest.raises(WeightsError, match="export_onnx"):
        load_weights(tmp_path / "w.onnx")
    with pytest.raises(WeightsError, match="no such file"):
        load_weights(tmp_path / "missing.npz")


def test_a_failed_save_leaves_the_old_file_in_place(tmp_path):
    path = tmp_path / "w.npz"
    save_weights(params(np.float32), path)
    before = path.read_bytes()
    bad = params(np.float32)
    bad["W:x->h"][0, 0] = np.inf
    with pytest.raises(WeightsError):
        save_weights(bad, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]


def test_check_weights_lists_missing_unexpected_and_wrong_shapes():
    expected = {"W:x->h": (4, 2), "b:h": (4,), "W:h->y": (1, 4), "b:y": (1,)}
    loaded = {"W:x->h": np.zeros((4, 2)), "W:h->y": np.zeros((1, 3)), "b:y": np.zeros(1),
              "W:x->y": np.zeros((1, 2))}
    with pytest.raises(WeightsError) as e:
        check_weights(expected, loaded)
    message = str(e.value)
    assert message == ("the weights do not fit the design: missing b:h; unexpected W:x->y; "
                       "W:h->y has shape (1, 3), the design needs (1, 4)")
    check_weights(expected, {k: np.zeros(s) for k, s in expected.items()})


def test_check_weights_shortens_long_lists():
    expected = {f"b:h{i}": (1,) for i in range(25)}
    with pytest.raises(WeightsError, match="b:h9 and 15 more"):
        check_weights(expected, {})


# ----- malformed metadata (issue 16, item 4) ------------------------------------------------
DEEP = "[" * 100_000 + "]" * 100_000          # deeper than Python's stack
DEEPISH = '{"settings": ' + "[" * 200 + "]" * 200 + "}"    # parses, but deeper than any design
STORED = "the design stored with the weights"


def _npz_with_design(text: str) -> bytes:
    import io
    buf = io.BytesIO()
    np.savez(buf, **{"b:h": np.zeros(1), "__design__": np.frombuffer(text.encode(), np.uint8)})
    return buf.getvalue()


def _safetensors(metadata: dict, names=("b:h",)) -> bytes:
    from safetensors.numpy import save
    return save({k: np.zeros(1) for k in names}, metadata=metadata)


def _json_weights(design_text: str) -> bytes:
    return ('{"format": "backprop-studio-weights", "version": 1, "parameters": [], "design": '
            + design_text + "}").encode()


MALFORMED = [
    ("npz design nested too deeply", ".npz", _npz_with_design(DEEP), f"{STORED}: nested too deeply"),
    ("npz design nested deeper than a design", ".npz", _npz_with_design(DEEPISH), "more than 64 levels"),
    ("npz design not an object", ".npz", _npz_with_design("[1]"), "not a JSON object"),
    ("npz design not JSON", ".npz", _npz_with_design("{bad"), f"{STORED}: not valid JSON"),
    ("safetensors design nested too deeply", ".safetensors", _safetensors({"__design__": DEEP}),
     f"{STORED}: nested too deeply"),
    ("safetensors design a number", ".safetensors", _safetensors({"__design__": "1"}), "not a JSON object"),
    ("safetensors order nested too deeply", ".safetensors", _safetensors({"order": DEEP}),
     "the metadata 'order': nested too deeply"),
    ("safetensors order of numbers", ".safetensors", _safetensors({"order": "[1]"}, names=("1",)),
     "'order' must list the names"),
    ("safetensors order of lists", ".safetensors", _safetensors({"order": '[["b:h"]]'}), "'order' must list"),
    ("safetensors order of other names", ".safetensors", _safetensors({"order": '["b:y"]'}), "'order' must list"),
    ("safetensors order a name twice", ".safetensors", _safetensors({"order": '["b:h", "b:h"]'}),
     "'order' must list"),
    ("safetensors order an object", ".safetensors", _safetensors({"order": '{"b:h": 1}'}), "'order' must list"),
    ("safetensors order not JSON", ".safetensors", _safetensors({"order": "b:h"}), "'order': not valid JSON"),
    ("json nested too deeply", ".json", _json_weights(DEEP), "nested too deeply"),
    ("json design nested deeper than a design", ".json", _json_weights(DEEPISH), "more than 64 levels"),
    ("json design a list", ".json", _json_weights("[]"), "not a JSON object"),
]


@pytest.mark.parametrize("what,ext,data,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_metadata_is_a_weights_error_naming_the_file(tmp_path, what, ext, data, message):
    path = tmp_path / f"meta{ext}"
    path.write_bytes(data)
    for read in (load_weights, load_weights_design):
        with pytest.raises(WeightsError, match=rf"^meta\{ext}: ") as err:
            read(path)
        assert message in str(err.value), what


def test_the_order_metadata_still_restores_the_design_s_order(tmp_path):
    names = ["W:x->h", "b:h", "W:h->y", "W:x->y", "b:y"]
    path = tmp_path / "w.safetensors"
    save_weights(params(np.float32), path)
    assert list(load_weights(path)) == names != sorted(names)


# ----- node ids containing "->" (issue 16, item 7) ---------------------------------------------
def test_an_old_design_with_arrows_in_its_ids_trains_and_its_weights_round_trip(tmp_path):
    from engine.data.datasets import load_dataset
    from engine.train.trainer import Trainer, TrainingConfig
    old = json.loads(json.dumps(DESIGN).replace('"h"', '"x->h"'))     # as files made before the refusal
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    g = Graph.load(path)
    assert ("x", "x->h") in g.connections
    net = Network(g, seed=1, dtype="float64")
    assert set(net.parameters()) == {"W:x->x->h", "b:x->h", "W:x->h->y", "W:x->y", "b:y"}
    trainer = Trainer(net, load_dataset("xor", loss=g.loss, seed=0), TrainingConfig(seed=0, lr=0.05))
    trainer.run(epochs=3)
    assert all(np.isfinite(v).all() for v in net.parameters().values())
    assert not net.parameters()["W:x->h->y"][0, 1]                  # the mask held
    X = np.random.default_rng(0).normal(size=(5, 2))
    for ext in FORMATS:
        save_weights(net.parameters(), tmp_path / f"w{ext}", design=g.to_dict())
        other = Network(Graph.from_dict(load_weights_design(tmp_path / f"w{ext}")), seed=2, dtype="float64")
        other.load_parameters(load_weights(tmp_path / f"w{ext}"))
        np.testing.assert_array_equal(other.forward(X), net.forward(X))
