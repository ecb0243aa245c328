"""The fitted transform is part of the model: fitted on the training split, saved with the design."""
import json

import numpy as np
import pytest

from engine import Graph
from engine.data.datasets import load_dataset
from engine.model.errors import GraphError
from engine.model.preprocessing import Preprocessing


def _csv(tmp_path, n=60, seed=0):
    """A regression CSV with large offsets, so a transform that is left out shows at once."""
    rng = np.random.default_rng(seed)
    area = rng.normal(140, 40, n)
    rooms = rng.integers(1, 9, n)
    price = 2000 * area + 9000 * rooms + rng.normal(0, 1000, n) + 50_000
    path = tmp_path / "houses.csv"
    rows = ["area_m2,rooms,price"] + [f"{a:.2f},{r},{p:.1f}" for a, r, p in zip(area, rooms, price)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_the_transform_is_fitted_on_the_training_split_only(tmp_path):
    path = _csv(tmp_path)
    d = load_dataset(str(path), validation=0.25, seed=3)
    p = d.preprocessing
    raw_train = d.X_train * d.feature_std + d.feature_mean
    raw_val = d.X_val * d.feature_std + d.feature_mean
    np.testing.assert_allclose(p.mean, raw_train.mean(axis=0))
    np.testing.assert_allclose(p.std, raw_train.std(axis=0))
    everything = np.vstack([raw_train, raw_val])
    assert not np.allclose(p.mean, everything.mean(axis=0))  # a leak of validation rows would show
    prices = d.labels_train
    assert p.task == "regression" and p.target == "price"
    assert p.target_mean == pytest.approx(prices.mean()) and p.target_std == pytest.approx(prices.std())
    np.testing.assert_allclose(p.apply(raw_val), d.X_val, atol=1e-12)
    np.testing.assert_allclose(p.to_units(d.T_val), d.labels_val.reshape(-1, 1), rtol=1e-12)


def test_2d_data_derives_its_features_from_the_raw_point():
    d = load_dataset("xor", features=["x1^2", "sin(x2)"], samples=80, seed=1)
    p = d.preprocessing
    assert p.features == ["x1", "x2"] and p.inputs == ["x1", "x2", "x1^2", "sin(x2)"]
    assert p.classes == d.class_names and p.task == "classification"
    np.testing.assert_allclose(p.apply(d.points_train), d.X_train, atol=1e-12)
    probs = p.to_units(np.array([[0.2], [0.9]]))
    np.testing.assert_allclose(probs, [[0.8, 0.2], [0.1, 0.9]])


def test_the_transform_survives_a_round_trip_through_plain_data_and_the_design_file(tmp_path):
    d = load_dataset(str(_csv(tmp_path)), seed=0)
    graph = Graph.load("resources/examples/house_prices.json")
    assert graph.preprocessing is None          # an old design without a transform still opens
    seen = []
    graph.events.preprocessing_changed.connect(seen.append)
    assert graph.set_preprocessing(d.preprocessing) and seen == [d.preprocessing]
    assert not graph.set_preprocessing(Preprocessing.from_dict(d.preprocessing.to_dict()))   # the same
    graph.save(tmp_path / "saved.json")
    text = json.loads((tmp_path / "saved.json").read_text())
    assert text["preprocessing"]["features"] == ["area_m2", "rooms"]
    loaded = Graph.load(tmp_path / "saved.json")
    assert loaded.preprocessing.same_as(d.preprocessing)
    assert graph.copy().preprocessing.same_as(d.preprocessing)
    raw = np.array([[181.0, 7.0]])
    np.testing.assert_allclose(loaded.preprocessing.apply(raw), d.preprocessing.apply(raw))


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(std=[1.0, 0.0]), "deviations positive"),
    (lambda d: d.update(mean=[1.0]), "a mean and a std"),
    (lambda d: d.update(task="clustering"), "task"),
    (lambda d: d.update(inputs=["area_m2", "__import__"]), "inputs"),
    (lambda d: d.update(features="area"), "list of names"),
    (lambda d: d.update(target_std=float("nan")), "target mean"),
    (lambda d: d.update(categories={"city": ["paris"]}), "city=paris"),
])
def test_a_bad_transform_in_a_file_is_refused_naming_the_field(tmp_path, change, message):
    d = load_dataset(str(_csv(tmp_path)), seed=0).preprocessing.to_dict()
    change(d)
    with pytest.raises(GraphError, match=message):
        Preprocessing.from_dict(d)
