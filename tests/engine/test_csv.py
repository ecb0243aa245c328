"""The user's CSV: header detection, the target column, classes vs regression, and every bad input."""
import re

import numpy as np
import pytest

from engine.data import csv_table as csv_data
from engine.data.datasets import DataError, csv_columns, from_settings, load_dataset
from tests.hang_guard import KINDS, MESSAGES, guarded, non_regular


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


PRICES = "area,rooms,price\n50,2,100.5\n80,3,160.25\n120,4,230.75\n65,2,130.5\n90,3,170.0\n"


def test_header_is_detected_and_last_column_is_the_default_target(tmp_path):
    path = write(tmp_path, PRICES)
    d = load_dataset(str(path), validation=0)
    assert d.feature_names == ["area", "rooms"] and d.target_name == "price" and d.task == "regression"
    assert d.name == "data"
    np.testing.assert_allclose(np.sort(d.labels_train), [100.5, 130.5, 160.25, 170.0, 230.75])
    raw = d.X_train * d.feature_std + d.feature_mean
    np.testing.assert_allclose(raw[np.argsort(d.labels_train)][:, 0], [50, 65, 80, 90, 120])
    assert csv_columns(path) == ["area", "rooms", "price"]


def test_no_header_names_the_columns_by_number(tmp_path):
    path = write(tmp_path, "1.5,2,0.5\n3,4,1.5\n5,6,2.5\n7,8,3.25\n")
    assert csv_columns(path) == ["column 1", "column 2", "column 3"]
    d = load_dataset(str(path), validation=0)
    assert d.X_train.shape == (4, 2) and d.feature_names == ["column 1", "column 2"]
    d = load_dataset(str(path), target="column 1", validation=0)
    assert d.target_name == "column 1"
    np.testing.assert_allclose(np.sort(d.labels_train), [1.5, 3, 5, 7])


@pytest.mark.parametrize("target", ["area", "AREA", 0, -3, "1", "column 1"])
def test_target_by_name_or_index(tmp_path, target):
    d = load_dataset(str(write(tmp_path, PRICES)), target=target, validation=0)
    assert d.target_name == "area" and d.feature_names == ["rooms", "price"]


def test_unknown_target_lists_the_columns(tmp_path):
    path = write(tmp_path, PRICES)
    with pytest.raises(DataError, match='no column "cost": the columns are area, rooms, price'):
        load_dataset(str(path), target="cost")
    with pytest.raises(DataError, match="no target column at index 5"):
        load_dataset(str(path), target=5)


def test_text_target_becomes_one_hot_classes(tmp_path):
    rows = ["length,width,species"] + [f"{i},{i % 3},{['cat', 'dog', 'emu'][i % 3]}" for i in range(12)]
    path = write(tmp_path, "\n".join(rows) + "\n")
    d = load_dataset(str(path), loss="softmax_ce", validation=0)
    assert d.task == "classification" and d.class_names == ["cat", "dog", "emu"]
    assert d.T_train.shape == (12, 3)
    raw_width = d.X_train[:, 1] * d.feature_std[1] + d.feature_mean[1]
    np.testing.assert_allclose(d.T_train.argmax(axis=1), raw_width, atol=1e-9)  # width i % 3 = class index


def test_small_integer_target_is_classes_and_real_target_is_regression(tmp_path):
    rows = ["a,b,label"] + [f"{i},{i * 2},{i % 2}" for i in range(10)]
    d = load_dataset(str(write(tmp_path, "\n".join(rows))), loss="bce", validation=0)
    assert d.class_names == ["0", "1"] and d.T_train.shape == (10, 1)
    rows = ["a,b,label"] + [f"{i},{i * 2},{i * 7}" for i in range(30)]  # 30 distinct integers
    d = load_dataset(str(write(tmp_path, "\n".join(rows), "many.csv")), validation=0)
    assert d.task == "regression"


@pytest.mark.parametrize("text, message", [
    ("a,rooms,p\n1,2,3\n4,5,6\n7,abc,9\n", 'row 4, column "rooms": "abc" is not a number'),
    ("a,rooms,p\n1,2,3\n4,,6\n", 'row 3, column "rooms": is empty'),
    ("a,rooms,p\n1,2,3\n4,nan,6\n", 'row 3, column "rooms": "nan" is a missing value: fill it in'),
    ("a,rooms,p\n1,2,3\n4,NA,6\n", 'row 3, column "rooms": "NA" is a missing value: .*--missing drop'),
    ("a,b,p\n1,2,3\n4,5,\n", 'row 3, column "p" \\(the target\\): is empty'),
    ("a,b,p\n1,2,3\n4,5,inf\n", 'row 3, column "p": "inf" is not a finite number'),
    ("a,b,p\n1,2,3\n\n4,5\n", "row 4 has 2 cells, but row 1 has 3"),
    ("a,b,p\n1,2,3\n4,5,6,7\n", "row 3 has 4 cells"),
    ("", "is empty"),
    ("\n\n", "is empty"),
    ("price\n1\n2\n3\n", "only one column"),
    ("a,b,price\n", "header but no data rows"),
])
def test_bad_files_raise_data_errors_with_row_and_column(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        load_dataset(str(write(tmp_path, text)))


def test_bad_cell_row_is_counted_in_the_file_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_data, "BLOCK_ROWS", 7)
    rows = ["a,b,t"] + [f"{i},{i},{i * 0.5}" for i in range(40)]
    rows[33] = "33,x3,16.5"
    with pytest.raises(DataError, match='row 34, column "b": "x3" is not a number'):
        load_dataset(str(write(tmp_path, "\n".join(rows))))


def test_undecodable_bytes_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="not UTF-8"):
        load_dataset(str(write(tmp_path, b"a,b,c\n1,2,\xff\xfe\n")))
    with pytest.raises(DataError, match="data.csv"):
        load_dataset(str(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")))
    with pytest.raises(DataError, match="folder"):
        csv_columns(tmp_path)


def test_unicode_header_bom_semicolons_and_quotes(tmp_path):
    text = "\ufeffFläche m²;Zimmer;\"Preis, €\"\n50;2;100\n80;3;160.5\n120;4;230\n"
    path = write(tmp_path, text)
    assert csv_columns(path) == ["Fläche m²", "Zimmer", "Preis, €"]
    d = load_dataset(str(path), target="Preis, €", validation=0)
    assert d.feature_names == ["Fläche m²", "Zimmer"] and d.task == "regression"
    tabs = write(tmp_path, "x\ty\tz\n1\t2\t3.5\n4\t5\t6.5\n", "tabs.tsv")
    assert load_dataset(str(tabs), validation=0).feature_names == ["x", "y"]


def test_a_few_valued_text_feature_column_is_one_hot_encoded_after_the_numeric_ones(tmp_path):
    rows = ["city,area,price"] + [f"{c},{a},{a * 2.5}" for c, a in [("Oslo", 50), ("Rome", 60), ("Lima", 75)]]
    path = write(tmp_path, "\n".join(rows))
    d = load_dataset(str(path), validation=0)
    assert d.feature_names == ["area", "city=Lima", "city=Oslo", "city=Rome"] and d.skipped_columns == []
    assert d.preprocessing.categories == {"city": ["Lima", "Oslo", "Rome"]}
    raw = d.X_train * d.feature_std + d.feature_mean
    assert np.allclose(raw[:, 1:], [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert load_dataset(str(path), features=["area"], validation=0).feature_names == ["area"]


def test_text_in_a_numeric_target_is_named(tmp_path):
    rows = ["a,price"] + [f"{i},{i * 1000 + 0.5}" for i in range(200)]
    rows[150] = "149,oops"
    with pytest.raises(DataError, match='row 151, column "price": "oops" is not a number'):
        load_dataset(str(write(tmp_path, "\n".join(rows))))


def test_a_typo_in_a_small_numeric_target_is_named_not_taken_for_classes(tmp_path):
    rows = ["a,price"] + [f"{i},{i * 1000 + 0.5}" for i in range(30)]
    rows[8] = "7,12O0"
    with pytest.raises(DataError, match='row 9, column "price": "12O0" is not a number, but most'):
        load_dataset(str(write(tmp_path, "\n".join(rows))))


def test_size_limit_has_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_data, "MAX_VALUES", 50)
    monkeypatch.setattr(csv_data, "BLOCK_ROWS", 10)
    rows = ["a,b,t"] + [f"{i},{i},{i}" for i in range(100)]
    with pytest.raises(DataError, match="too large.*50 values"):
        load_dataset(str(write(tmp_path, "\n".join(rows))))


def test_a_file_of_several_blocks_loads_whole(tmp_path):
    # 20,000 rows: three of the reader's blocks (BLOCK_ROWS). Its speed is bench/'s business.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 5))
    assert len(X) > 2 * csv_data.BLOCK_ROWS
    path = tmp_path / "big.csv"
    np.savetxt(path, np.column_stack([X, X[:, 0] > 0]), delimiter=",", fmt="%.4f",
               header="a,b,c,d,e,label", comments="")
    d = load_dataset(str(path), loss="bce")
    assert d.class_names == ["0", "1"] and d.X_train.shape == (16_000, 5) and d.X_val.shape == (4_000, 5)
    raw = np.vstack([d.X_train, d.X_val]) * d.feature_std + d.feature_mean     # every row, once
    assert np.allclose(np.sort(raw, axis=0), np.sort(np.round(X, 4), axis=0), atol=1e-9)
    labels = np.concatenate([d.labels_train, d.labels_val])
    assert np.array_equal(labels, raw[:, 0] > 0)                                # each row with its label


# ----- paths that are not regular files, and files too large (issue 16) ----------------------
@pytest.mark.parametrize("kind", KINDS)
def test_a_data_path_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind):
    # open() on a FIFO blocked until a writer came: opening such a design froze the window.
    path = non_regular(tmp_path, kind)
    for load in (csv_columns, csv_data.read_csv, lambda p: load_dataset(str(p))):
        with pytest.raises(DataError, match=f"{re.escape(str(path))} {MESSAGES[kind]}.*, not a regular file"):
            guarded(load, path, path=path)


def test_dev_zero_and_a_design_setting_naming_a_fifo_are_refused(tmp_path):
    with pytest.raises(DataError, match="/dev/zero is a device"):
        guarded(csv_columns, "/dev/zero")
    fifo = non_regular(tmp_path, "fifo", "pipe.csv")
    with pytest.raises(DataError, match="pipe.csv is a named pipe"):
        guarded(from_settings, {"data": "pipe.csv"}, "mse", base_dir=tmp_path, path=fifo)


def test_the_value_cap_is_checked_as_rows_arrive_not_after_the_block(tmp_path, monkeypatch):
    # The old reader parsed a whole block (8,192 rows) before checking the cap, so it reported
    # this bad cell, far beyond the cap, after holding every row as text.
    monkeypatch.setattr(csv_data, "MAX_VALUES", 50)
    rows = ["a,b,t"] + [f"{i},{i},{i}" for i in range(1000)]
    rows[900] = "x,1,1"
    with pytest.raises(DataError, match=r"too large: more than 50 values .*2 feature columns, "
                                        r"refused at row 27\)"):
        csv_data.read_csv(write(tmp_path, "\n".join(rows)))


def test_a_bad_cell_before_the_cap_is_still_reported_first(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_data, "MAX_VALUES", 50)
    rows = ["a,b,t"] + [f"{i},{i},{i}" for i in range(100)]
    rows[20] = "20,oops,1"
    with pytest.raises(DataError, match='row 21, column "b": "oops" is not a number'):
        csv_data.read_csv(write(tmp_path, "\n".join(rows)))


def test_a_wide_file_is_parsed_in_blocks_of_bounded_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_data, "BLOCK_CELLS", 100)
    monkeypatch.setattr(csv_data, "SAMPLE_CELLS", 100)
    sizes = []
    flush = csv_data._Blocks.flush

    def recording(self):
        sizes.append(len(self.cells) * self.width)
        flush(self)

    monkeypatch.setattr(csv_data._Blocks, "flush", recording)
    header = ",".join(f"c{j}" for j in range(40))
    rows = [header] + [",".join(str(i + j) for j in range(39)) + f",{i % 2}" for i in range(30)]
    table = csv_data.read_csv(write(tmp_path, "\n".join(rows)))
    assert table.X.shape == (30, 39) and table.has_header and table.class_names == ["0", "1"]
    assert max(sizes) <= 100 and sum(sizes) == 30 * 39


def test_a_row_too_long_is_refused_before_it_is_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_data, "MAX_ROW_CHARS", 1000)
    ok = write(tmp_path, "a,b\n" + "1,0." + "2" * 990 + "\n", "ok.csv")
    assert csv_data.read_csv(ok).X.shape == (1, 1)
    long = write(tmp_path, "a,b\n1,2\n" + "1," * 100_000 + "1\n")
    with pytest.raises(DataError, match="data.csv, row 3 is longer than 1,000 characters"):
        csv_data.read_csv(long)
    quoted = write(tmp_path, 'a,b\n1,"' + "2\n" * 600 + '"\n', "quoted.csv")   # one record, many lines
    with pytest.raises(DataError, match="row 2 is longer than 1,000 characters"):
        csv_data.read_csv(quoted)
