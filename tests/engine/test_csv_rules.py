"""The CSV rules users expect: text columns one-hot encoded or left out, missing values, the chosen target."""
import numpy as np
import pytest

from engine.data import csv_table
from engine.data.csv_rules import MAX_CATEGORIES
from engine.data.datasets import DataError, from_settings, load_dataset


def write(tmp_path, lines, name="data.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def raw_rows(d, split="train"):
    X = d.X_train if split == "train" else d.X_val
    return X * d.feature_std + d.feature_mean


def test_a_text_column_with_many_values_is_left_out_with_a_note_naming_it(tmp_path):
    lines = ["name,city,area,price"] + [f"person{i},{'ab'[i % 2]},{i},{i * 2.5}" for i in range(60)]
    d = load_dataset(str(write(tmp_path, lines)), validation=0.25)
    assert d.feature_names == ["area", "city=a", "city=b"] and d.skipped_columns == ["name"]
    assert any('"name" left out' in n and f"more than {MAX_CATEGORIES}" in n for n in d.notes)
    assert any('"city" one-hot encoded as 2 features' in n for n in d.notes)


def test_categories_come_from_the_training_split_only(tmp_path):
    # One row has the rare city "zurich" (and area 999): where it lands in validation, zurich is
    # no category and that row's one-hot columns are all 0.
    lines = ["city,area,price"] + [f"{'ab'[i % 2]},{i},{i * 2.5}" for i in range(40)]
    lines[1] = "zurich,999,1.0"
    path = write(tmp_path, lines)
    seen = set()
    for seed in range(30):
        d = load_dataset(str(path), validation=0.25, seed=seed)
        in_val = np.isclose(raw_rows(d, "val")[:, 0], 999)
        seen.add(bool(in_val.any()))
        if in_val.any():
            assert d.preprocessing.categories == {"city": ["a", "b"]}
            assert np.allclose(raw_rows(d, "val")[in_val, 1:], 0)
        else:
            assert d.preprocessing.categories == {"city": ["a", "b", "zurich"]}
    assert seen == {True, False}


def test_text_codes_agree_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_table, "BLOCK_ROWS", 7)
    cities = ["rome", "oslo", "lima"]
    lines = ["city,area,price"] + [f"{cities[(i * i) % 3]},{i},{i}" for i in range(50)]
    d = load_dataset(str(write(tmp_path, lines)), validation=0)
    raw = raw_rows(d)
    for row in raw:
        i = int(round(row[0]))
        assert d.feature_names[1 + int(np.argmax(row[1:]))] == f"city={cities[(i * i) % 3]}"


def test_the_chosen_target_is_said(tmp_path):
    path = write(tmp_path, ["a,b,price", "1,2,3", "2,3,4", "3,5,6"])
    assert 'target: the last column, "price"; choose another with --target' in load_dataset(str(path)).notes
    assert not any("target" in n for n in load_dataset(str(path), target="price").notes)


MISSING = ["area,rooms,city,price", "50,2,paris,100.5", "80,,lyon,160.5", "120,4,NA,230.5", "65,2,paris,130.5",
           "90,3,lyon,", "70,NaN,lyon,150.5", "60,2,paris,120.5"]


def test_missing_values_are_refused_by_default_naming_row_and_column(tmp_path):
    path = write(tmp_path, MISSING)
    with pytest.raises(DataError, match='row 3, column "rooms": is empty: fill it in, or .*--missing'):
        load_dataset(str(path))
    with pytest.raises(DataError, match='row 3, column "rooms"'):
        from_settings({"data": str(path)}, "mse")


def test_drop_leaves_out_the_rows_and_says_how_many(tmp_path):
    d = load_dataset(str(write(tmp_path, MISSING)), missing="drop", validation=0)
    assert sorted(d.labels_train) == [100.5, 120.5, 130.5]
    assert "1 row without a target value dropped" in d.notes
    assert "3 rows with missing values dropped" in d.notes
    d2 = from_settings({"data": str(write(tmp_path, MISSING)), "missing": "drop", "validation": 0}, "mse")
    assert sorted(d2.labels_train) == [100.5, 120.5, 130.5]


def test_mean_fills_with_the_training_mean_only(tmp_path):
    rows = [f"{i},{10 + i},{i * 1.5}" for i in range(20)]
    path = write(tmp_path, ["a,b,t"] + rows)
    split = load_dataset(str(path), validation=0.25, seed=3)
    val_targets = set(np.round(split.labels_val, 6))
    # The same rows, split the same way: huge values in validation rows, one hole in a training row.
    lines, hole = ["a,b,t"], None
    for i in range(20):
        b = "1000000" if round(i * 1.5, 6) in val_targets else str(10 + i)
        if hole is None and b != "1000000":
            hole, b = i, ""
        lines.append(f"{i},{b},{i * 1.5}")
    d = load_dataset(str(write(tmp_path, lines, "holes.csv")), validation=0.25, seed=3, missing="mean")
    assert np.allclose(np.sort(d.labels_val), np.sort(split.labels_val))
    train_b = [10 + i for i in range(20) if round(i * 1.5, 6) not in val_targets and i != hole]
    filled = raw_rows(d)[np.isclose(d.labels_train, hole * 1.5), 1]
    assert np.allclose(filled, np.mean(train_b))
    assert "1 missing cell filled with the training mean of its column" in d.notes


def test_mean_fills_a_missing_text_cell_with_the_share_of_each_value_and_drops_a_missing_target(tmp_path):
    d = load_dataset(str(write(tmp_path, MISSING)), missing="mean", validation=0)
    assert "1 row without a target value dropped (a target is never filled in)" in d.notes
    assert "3 missing cells filled with the training mean of their column" in d.notes
    raw = raw_rows(d)
    row = np.isclose(d.labels_train, 230.5)
    assert d.feature_names[2:] == ["city=lyon", "city=paris"]
    assert np.allclose(raw[row, 2:], [[2 / 5, 3 / 5]])          # lyon twice, paris three times
    assert np.allclose(raw[np.isclose(d.labels_train, 160.5), 1], np.mean([2, 4, 2, 2]))


def test_an_unknown_missing_policy_is_refused(tmp_path):
    with pytest.raises(DataError, match="missing must be one of refuse, drop, mean"):
        load_dataset(str(write(tmp_path, MISSING)), missing="zero")
