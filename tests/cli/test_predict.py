"""main.py predict: raw rows in, class names or real units out, as the trained network computes them."""
import csv
import io
import json

import numpy as np
import pytest

from engine import Graph, Network
from engine.cli import main
from engine.io.design_weights import save_design_with_weights
from engine.io.weights import load_weights, load_weights_design, save_weights

CITIES = ["lyon", "paris", "rome"]
CLASSES = ["cheap", "fair", "dear"]


def design(n_in, n_out, loss, out_act):
    return {"format": "backprop-studio-design", "version": 1, "loss": loss,
            "nodes": [{"id": "x", "kind": "input", "size": n_in},
                      {"id": "h", "kind": "hidden", "size": 6, "activation": "tanh"},
                      {"id": "y", "kind": "output", "size": n_out, "activation": out_act}],
            "connections": [{"src": "x", "dst": "h"}, {"src": "h", "dst": "y"}]}


def houses(n=90, seed=0):
    """Large offsets (area ~150,000, year ~2000, price ~300,000), a text feature and both targets."""
    rng = np.random.default_rng(seed)
    area = 150_000 + rng.normal(0, 40, n)
    year = 2000 + rng.integers(-20, 20, n).astype(float)
    city = rng.integers(0, 3, n)
    price = 300_000 + 900 * (area - 150_000) + 2_000 * city + rng.normal(0, 500, n)
    grade = np.digitize(area - 150_000, [-15, 15])
    return area, year, city, price, grade


def write_csv(path, columns, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)
    return path


@pytest.fixture
def trained(tmp_path, capsys):
    """(design, weights, data) for the classification of grades, trained by main.py train."""
    area, year, city, _, grade = houses()
    data = write_csv(tmp_path / "houses.csv", ["area", "year", "city", "grade"],
                     [[f"{a:.3f}", f"{y:.0f}", CITIES[c], CLASSES[g]] for a, y, c, g in zip(area, year, city, grade)])
    path = tmp_path / "design.json"
    path.write_text(json.dumps(design(5, 3, "softmax_ce", "softmax")))
    weights = tmp_path / "w.npz"
    assert main(["train", str(path), "--data", str(data), "--epochs", "30", "--lr", "0.05",
                 "--export", str(weights)]) == 0
    err = capsys.readouterr()[1]
    assert 'text column "city" one-hot encoded as 3 features' in err and 'the last column, "grade"' in err
    return path, weights, data


def expected_units(weights, columns_raw):
    """What the trained network says, through the saved preprocessing, for raw feature rows."""
    graph = Graph.from_dict(load_weights_design(weights))
    net = Network(graph)
    net.load_parameters(load_weights(weights))
    p = graph.preprocessing
    return p, p.to_units(net.forward(p.apply(columns_raw)))


def raw_features(area, year, city):
    return np.column_stack([area, year, np.eye(3)[city]])      # area, year, city=lyon, city=paris, city=rome


def read_table(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def test_classification_round_trip_gives_class_names_and_probabilities(trained, capsys):
    design_path, weights, data = trained
    assert main(["predict", str(design_path), "--weights", str(weights), str(data)]) == 0
    out, err = capsys.readouterr()
    header, rows = read_table(out)
    assert header == ["area", "year", "city", "grade", "predicted_grade", "p_cheap", "p_dear", "p_fair"]
    area, year, city, _, _ = houses()
    p, probs = expected_units(weights, raw_features(np.round(area, 3), year, city))
    assert p.classes == ["cheap", "dear", "fair"]
    got = np.array([[float(v) for v in r[5:]] for r in rows])
    np.testing.assert_allclose(got, probs, rtol=1e-5)
    assert [r[4] for r in rows] == [p.classes[k] for k in probs.argmax(axis=1)]
    assert [r[:4] for r in rows] == list(csv.reader(open(data)))[1:]       # every cell as read
    right = np.mean([r[3] == r[4] for r in rows])
    assert f"accuracy {100 * right:.2f}% on 90 rows with a target" in err


def test_without_the_target_column_and_with_an_unseen_city(trained, tmp_path, capsys):
    design_path, weights, _ = trained
    data = write_csv(tmp_path / "new.csv", ["city", "year", "area"],
                     [["paris", "1999", "150010.5"], ["oslo", "2010", "149990"]])
    out_file = tmp_path / "out.csv"
    assert main(["predict", str(design_path), "--weights", str(weights), str(data), "--out", str(out_file)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "accuracy" not in err
    assert 'warning: column "city": the value "oslo" was not seen in training; its one-hot columns are all 0' in err
    header, rows = read_table(out_file.read_text())
    assert header[:4] == ["city", "year", "area", "predicted_grade"]
    raw = np.array([[150010.5, 1999, 0, 1, 0], [149990, 2010, 0, 0, 0]])
    p, probs = expected_units(weights, raw)
    np.testing.assert_allclose(np.array([[float(v) for v in r[4:]] for r in rows]), probs, rtol=1e-5)


def test_text_columns_given_already_one_hot_as_a_pytorch_project_writes_them(trained, tmp_path, capsys):
    design_path, weights, _ = trained
    area, year, city, _, _ = houses(n=6, seed=3)
    data = write_csv(tmp_path / "onehot.csv", ["area", "year", "city=lyon", "city=paris", "city=rome"],
                     [[f"{a:.3f}", f"{y:.0f}", *(int(c == k) for k in range(3))] for a, y, c in zip(area, year, city)])
    assert main(["predict", str(design_path), "--weights", str(weights), str(data)]) == 0
    header, rows = read_table(capsys.readouterr()[0])
    assert header[5] == "predicted_grade"
    _, probs = expected_units(weights, raw_features(np.round(area, 3), year, city))
    np.testing.assert_allclose(np.array([[float(v) for v in r[6:]] for r in rows]), probs, rtol=1e-5)


def test_regression_round_trip_in_the_targets_units(tmp_path, capsys):
    area, year, city, price, _ = houses(120, seed=1)
    data = write_csv(tmp_path / "prices.csv", ["area", "city", "year", "price"],
                     [[f"{a:.3f}", CITIES[c], f"{y:.0f}", f"{v:.2f}"] for a, y, c, v in zip(area, year, city, price)])
    path = tmp_path / "design.json"
    path.write_text(json.dumps(design(5, 1, "mse", "linear")))
    weights = tmp_path / "w.safetensors"
    assert main(["train", str(path), "--data", str(data), "--epochs", "40", "--export", str(weights)]) == 0
    capsys.readouterr()
    assert main(["predict", str(path), "--weights", str(weights), str(data)]) == 0
    out, err = capsys.readouterr()
    header, rows = read_table(out)
    assert header[-1] == "predicted_price"
    p, units = expected_units(weights, raw_features(np.round(area, 3), year, city))
    got = np.array([float(r[-1]) for r in rows])
    np.testing.assert_allclose(got, units[:, 0], rtol=1e-5)
    assert np.abs(got).min() > 100_000                                 # real units, not the network's scale
    actual = np.round(price, 2)
    rmse = np.sqrt(np.mean((got - actual) ** 2))
    r2 = 1 - np.sum((got - actual) ** 2) / np.sum((actual - actual.mean()) ** 2)
    assert f"RMSE {rmse:.6g} (price), R² {r2:.4f} on 120 rows with a target" in err


def test_missing_cells_at_prediction(trained, tmp_path, capsys):
    design_path, weights, _ = trained
    data = write_csv(tmp_path / "holes.csv", ["area", "year", "city"],
                     [["150000", "", "rome"], ["150020", "2001", "NA"], ["149980", "1995", "lyon"]])
    argv = ["predict", str(design_path), "--weights", str(weights), str(data)]
    assert main(argv) == 1
    assert 'row 2, column "year": is empty' in capsys.readouterr()[1]
    assert main(argv + ["--missing", "drop"]) == 0
    out, err = capsys.readouterr()
    assert len(read_table(out)[1]) == 1 and "2 rows with missing values dropped" in err
    assert main(argv + ["--missing", "mean"]) == 0
    out, err = capsys.readouterr()
    header, rows = read_table(out)
    p, _ = expected_units(weights, np.zeros((1, 5)))
    mean = dict(zip(p.inputs, p.mean))
    raw = np.array([[150000, mean["year"], 0, 0, 1],
                    [150020, 2001, mean["city=lyon"], mean["city=paris"], mean["city=rome"]],
                    [149980, 1995, 1, 0, 0]])
    _, probs = expected_units(weights, raw)
    np.testing.assert_allclose(np.array([[float(v) for v in r[4:]] for r in rows]), probs, rtol=1e-5)
    assert "2 missing cells filled with the training mean" in err


def test_a_design_saved_with_its_weights_works_as_the_weights(trained, tmp_path, capsys):
    design_path, weights, data = trained
    graph = Graph.from_dict(load_weights_design(weights))
    both = tmp_path / "trained.json"
    save_design_with_weights(graph, load_weights(weights), both)
    assert main(["predict", str(design_path), "--weights", str(both), str(data)]) == 0
    via_design = capsys.readouterr()[0]
    assert main(["predict", str(design_path), "--weights", str(weights), str(data)]) == 0
    assert capsys.readouterr()[0] == via_design


def one_error_line(capsys, code):
    err = capsys.readouterr()[1]
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("error:"), err
    return lines[0]


def test_bad_input_gives_one_line(trained, tmp_path, capsys):
    design_path, weights, data = trained
    no_city = write_csv(tmp_path / "no_city.csv", ["area", "year"], [["1", "2"]])
    line = one_error_line(capsys, main(["predict", str(design_path), "--weights", str(weights), str(no_city)]))
    assert 'no_city.csv has no column "city", which the model takes as input' in line
    png = tmp_path / "picture.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe")
    assert "picture.csv" in one_error_line(
        capsys, main(["predict", str(design_path), "--weights", str(weights), str(png)]))
    bare = tmp_path / "bare.npz"                     # weights saved without the design: no preprocessing
    save_weights(load_weights(weights), bare)
    line = one_error_line(capsys, main(["predict", str(design_path), "--weights", str(bare), str(data)]))
    assert "train first" in line and "main.py train" in line
