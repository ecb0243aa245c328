"""Fuzzing the CSV loaders: csv_columns, read_csv and load_dataset, the command line's
train --data file.csv, and one generated 50 MB file; data paths that are a FIFO, a folder
or a device (refused at once, never hanging), and CSVs wider than a small cap (refused at
the row that crosses it).

Only DataError may come out. Data that loads is whole: finite float64 features, one target
per row, class indices within the class names.
"""
import gc
import itertools
import json
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Graph

from engine.data import csv_table as csv_data
from engine.cli import main
from engine.data.csv_table import csv_columns, read_csv
from engine.data.datasets import DataError, from_settings, load_dataset
from tests.fuzz.strategies import ROOT, accepted, count, fuzz_settings
from tests.fuzz.strategies_data import csv_bytes, csv_targets, non_regular_data, wide_csvs
from tests.hang_guard import guarded, non_regular

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
    assert np.isfinite(table.X).all() and table.X.shape[1] == len(table.feature_names)
    assert len(table.feature_names) + len(table.text_columns) >= 1
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
# The peak is VmHWM: ru_maxrss keeps the peak of the forked test process across exec().
PEAK = """
import re
def peak_mb():
    return int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
"""
LOAD_SCRIPT = PEAK + """
import json, sys, time
sys.path.insert(0, {root!r})
from engine.data.datasets import load_dataset
before = peak_mb()
started = time.perf_counter()
ds = load_dataset({path!r}, loss="softmax_ce")
print(json.dumps({{"seconds": time.perf_counter() - started, "rows": len(ds.X_train) + len(ds.X_val),
                   "features": ds.n_inputs, "classes": ds.n_classes, "grew_mb": peak_mb() - before}}))
"""


def test_a_50_mb_csv_loads_without_blowing_up_memory(tmp_path):
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
    assert info["grew_mb"] < 400      # how fast: bench/, not asserted; timeout= is a hang guard


REFUSE_SCRIPT = PEAK + """
import json, sys, time
sys.path.insert(0, {root!r})
from engine.data import csv_table as csv_data
from engine.data.datasets import DataError
csv_data.MAX_VALUES = {cap}
before = peak_mb()
started = time.perf_counter()
try:
    csv_data.read_csv({path!r})
except DataError as e:
    message = str(e)
print(json.dumps({{"seconds": time.perf_counter() - started, "message": message,
                   "grew_mb": peak_mb() - before}}))
"""


def test_a_wide_csv_over_the_cap_is_refused_in_bounded_memory(tmp_path):
    # 1,000 rows of 4,000 columns (16 MB) with a cap of 2,000,000 values: the reader held every
    # row of a block (up to 8,192) as text, ~60 bytes a cell, before it checked the cap.
    path = tmp_path / "wide.csv"
    row = ",".join(["0.1"] * 4000) + "\n"
    path.write_text(",".join(f"c{j}" for j in range(4000)) + "\n" + row * 1000)
    result = subprocess.run([sys.executable, "-c", REFUSE_SCRIPT.format(root=str(ROOT), path=str(path),
                                                                       cap=2_000_000)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    count("CSV: a wide file over a cap of 2,000,000 values")
    print(f"refused in {info['seconds']:.1f} s, peak memory +{info['grew_mb']:.0f} MB")
    # 2,000,000 float64 values are 16 MB, and a block of text at most BLOCK_CELLS cells (~60 MB):
    # ~90 MB here, against ~310 MB before.
    assert info["grew_mb"] < 160
    assert "refused at row 502)" in info["message"]


# ----- regressions and documented behaviour ----------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("a,b\n1,nan\n2,3\n", 'row 2, column "b" \\(the target\\): "nan" is a missing value'),
    ("a,b\nnan,1\n2,3\n", 'row 2, column "a": "nan" is a missing value: fill it in'),
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


# ----- paths that are not regular files, and CSVs wider than the cap (issue 16) ----------------
_cases = itertools.count()


def _non_regular(folder, kind: str, name: str):
    """The path of ``kind`` named ``name`` in a new folder (/dev/zero itself for dev_zero)."""
    if kind == "dev_zero":
        return Path("/dev/zero")
    case = folder / f"case {next(_cases)}"
    case.mkdir()
    return non_regular(case, kind, name)


@fuzz_settings(60)
@given(data=non_regular_data(), loss=st.sampled_from(LOSSES))
def test_a_data_path_that_is_not_a_regular_file_is_refused_by_every_loader(folder, data, loss):
    path = _non_regular(folder, *data)
    count("CSV: non-regular data path (engine loaders)", 4)
    message = f"{re.escape(str(path))} is .*, not a regular file"
    settings = {"data": path.name if path.parent != Path("/dev") else str(path), "target": "x"}
    for load, args in ((csv_columns, (path,)), (read_csv, (path,)), (load_dataset, (str(path),)),
                       (from_settings, (settings, loss, path.parent))):
        with pytest.raises(DataError, match=message):
            guarded(load, *args, path=path)


@fuzz_settings(20)
@given(data=non_regular_data())
def test_the_command_line_refuses_a_data_path_that_is_not_a_regular_file(folder, cli, data):
    path = _non_regular(folder, *data)
    count("CSV: non-regular data path (main.py train --data)")
    design = ROOT / "resources" / "examples" / "xor_neurons.json"
    code, _ = guarded(cli, ["train", design, "--data", path, "--epochs", "1"], path=path)
    assert code == 1


@fuzz_settings(120)
@given(data=wide_csvs())
def test_a_csv_wider_than_the_cap_is_refused_at_the_row_that_crosses_it(folder, capsys, data):
    text, cap, width, row = data
    path = folder / "wide.csv"
    path.write_bytes(text)
    count("CSV: wider than a small cap (read_csv and main.py train)", 2)
    message = (f"wide.csv is too large: more than {cap:,} values (rows × feature columns; "
               f"{width:,} feature columns, refused at row {row:,}); use fewer rows or columns")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_data, "MAX_VALUES", cap)
        with pytest.raises(DataError) as e:
            read_csv(path)
        assert str(e.value) == message
        capsys.readouterr()
        assert main(["train", str(ROOT / "resources" / "examples" / "xor_neurons.json"),
                     "--data", str(path), "--epochs", "1"]) == 1
        assert capsys.readouterr().err == f"error: {message}\n"
