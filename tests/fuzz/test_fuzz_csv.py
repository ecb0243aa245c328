"""Fuzzing the CSV loaders: csv_columns, read_csv and load_dataset, the command line's
train --data file.csv, and one generated 50 MB file.

Only DataError may come out. Data that loads is whole: finite float64 features, one target
per row, class indices within the class names.
"""
import gc
import json
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Graph
from engine.csv_data import csv_columns, read_csv
from engine.datasets import DataError, load_dataset
from tests.fuzz.strategies import ROOT, accepted, count, fuzz_settings
from tests.fuzz.strategies_data import csv_bytes, csv_targets

LOSSES = ("mse", "bce", "softmax_ce")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("csv")


def _columns(path):
    try:
        return csv_columns(path)
    except DataError as e:
        assert str(e)
        return None


def assert_table(table) -> None:
    n = len(table.X)
    assert table.X.dtype == np.float64 and table.X.ndim == 2 and n >= 1
    assert np.isfinite(table.X).all() and table.X.shape[1] == len(table.feature_names) >= 1
    assert table.y.shape == (n,) and np.isfinite(table.y).all()
    if table.class_names:
        assert table.y.dtype == np.int64 and 0 <= table.y.min() and table.y.max() < len(table.class_names)
    assert table.target_name not in table.feature_names


@fuzz_settings(700)
@given(data=csv_bytes(), loss=st.sampled_from(LOSSES), choice=st.data())
def test_csv_loaders_raise_only_data_errors(folder, data, loss, choice):
    path = folder / "data.csv"
    path.write_bytes(data)
    count(loader := "CSV: csv_columns + read_csv + load_dataset")
    columns = _columns(path)
    target = choice.draw(csv_targets(columns), label="target")
    try:
        table = read_csv(path, target=target)
    except DataError as e:
        assert str(e)
    else:
        assert_table(table)
    try:
        ds = load_dataset(str(path), loss=loss, target=target, validation=0.25)
    except DataError as e:
        assert str(e)
        return
    assert np.isfinite(ds.X_train).all() and np.isfinite(ds.T_train).all()
    assert len(ds.X_train) + len(ds.X_val) == len(table.X)
    accepted(loader)


def _design_for(table) -> Graph:
    """A one-layer design that fits the table (so that training starts), loss chosen by the task."""
    k = len(table.class_names)
    g = Graph(loss="softmax_ce" if k > 2 else "bce" if k == 2 else "mse")
    g.add_node("input", len(table.feature_names), id="x")
    g.add_node("output", k if k > 2 else 1, "softmax" if k > 2 else "sigmoid" if k == 2 else "linear", id="y")
    g.connect("x", "y")
    return g


@fuzz_settings(150)
@given(data=csv_bytes(), target=st.sampled_from((None, "column 2", "x", "1")))
def test_the_command_line_on_fuzzed_csv(folder, cli, data, target):
    path = folder / "cli data.csv"
    path.write_bytes(data)
    count(loader := "CSV: main.py train --data")
    design = folder / "cli_design.json"
    try:
        _design_for(read_csv(path, target=target)).save(design)
    except Exception:               # any design will do: the error is then the data's or the design's
        Graph.load(ROOT / "resources" / "examples" / "xor_neurons.json").save(design)
    argv = ["train", design, "--data", path, "--epochs", "1", "--json"]
    if cli(argv + (["--target", target] if target is not None else []))[0] == 0:
        accepted(loader)


# ----- a 50 MB file ----------------------------------------------------------------------------
LOAD_SCRIPT = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from engine.datasets import load_dataset
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
ds = load_dataset({path!r}, loss="softmax_ce")
print(json.dumps({{"seconds": time.perf_counter() - started, "rows": len(ds.X_train) + len(ds.X_val),
                   "features": ds.n_inputs, "classes": ds.n_classes,
                   "grew_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}}))
"""


def test_a_50_mb_csv_loads_in_seconds_without_blowing_up_memory(tmp_path):
    rng = np.random.default_rng(0)
    block = rng.normal(size=(10_000, 8))
    labels = rng.integers(0, 3, size=10_000)
    lines = [",".join(f"{v:.6f}" for v in row) + f",{c}" for row, c in zip(block, labels)]
    text = "\n".join(lines) + "\n"
    path = tmp_path / "big.csv"
    with open(path, "w") as f:
        f.write(",".join(f"f{j}" for j in range(8)) + ",label\n")
        while f.tell() < 50_000_000:
            f.write(text)
    size = path.stat().st_size
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", LOAD_SCRIPT.format(root=str(ROOT), path=str(path))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    count("CSV: a 50 MB file")
    accepted("CSV: a 50 MB file")
    print(f"{size / 1e6:.0f} MB, {info['rows']:,} rows: loaded in {info['seconds']:.1f} s, "
          f"peak memory +{info['grew_mb']:.0f} MB (in all {time.perf_counter() - started:.1f} s)")
    assert info["features"] == 8 and info["classes"] == 3 and info["rows"] > 500_000
    # The values are 8 × rows float64 (~42 MB); the loader should need a small multiple of that.
    assert info["grew_mb"] < 400
    assert info["seconds"] < 30


# ----- regressions and documented behaviour ----------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("a,b\n1,nan\n2,3\n", 'row 2, column "b": "nan" is not a finite number'),
    ("a,b\nnan,1\n2,3\n", 'row 2, column "a": "nan" is not a finite number: every feature cell'),
    ("a,b\n1," + "1" * 200_000 + "\n", "not readable as CSV"),
    ("\ufeffa,b\n", "has a header but no data rows"),
    ("a\n1\n2\n", "only one column"),
    (b"a,b\n\xff\xfe1,2\n", "not UTF-8 text"),
])
def test_clear_messages_for_hard_files(tmp_path, text, message):
    path = tmp_path / "hard.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(DataError, match=message):
        read_csv(path)


def test_a_file_that_is_not_utf8_is_closed_after_the_error(tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes("a,b\n1,2\n".encode("utf-16"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DataError, match="not UTF-8") as excinfo:
            csv_columns(path)
        del excinfo             # the traceback held the reader; freeing it warned of the open file
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("name", ["a\x00b.csv", "/dev/zero", "/dev/null"])
def test_a_data_path_that_is_no_csv_file_is_a_data_error(name):
    # A hand-edited design's "data": a NUL made open() raise ValueError; /dev/zero never ended.
    with pytest.raises(DataError, match="not a usable file name|not a regular file"):
        load_dataset(name, loss="mse")
