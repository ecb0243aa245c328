"""Built-in and scikit-learn data: shapes, seeds, standardisation, features, targets, design checks."""
import numpy as np
import pytest

from engine import Graph
from engine.data.datasets import (BUILTIN_2D, DERIVED_FEATURES, HOUSE_PRICES, SKLEARN, DataError, check_design,
                             from_settings, load_dataset)

SKLEARN_SHAPES = {"iris": (150, 4, 3), "wine": (178, 13, 3), "breast_cancer": (569, 30, 2),
                  "digits": (1797, 64, 10), "diabetes": (442, 10, 0)}


def design(n_in, n_out, loss="mse", out_act="linear", hidden=None):
    g = Graph(loss=loss)
    g.add_node("input", n_in, id="x")
    prev = "x"
    if hidden:
        g.add_node("hidden", hidden, "relu", id="h")
        g.connect("x", "h")
        prev = "h"
    g.add_node("output", n_out, out_act, id="y")
    g.connect(prev, "y")
    return g


@pytest.mark.parametrize("name", BUILTIN_2D)
def test_builtin_shapes_and_range(name):
    d = load_dataset(name, samples=150, validation=0.2, loss="mse")
    assert d.X_train.shape == (120, 2) and d.X_val.shape == (30, 2)
    assert d.points_train.shape == (120, 2) and d.points_val.shape == (30, 2)
    assert d.T_train.shape == (120, 1) and d.T_val.shape == (30, 1)
    assert d.is_2d() and d.n_inputs == 2 and d.n_outputs == 1
    points = np.concatenate([d.points_train, d.points_val])
    assert np.abs(points).max() < 7.5
    for arr in (d.X_train, d.T_train, d.X_val, d.T_val):
        assert arr.dtype == np.float64 and np.isfinite(arr).all()
    if d.task == "classification":
        assert len(d.class_names) == 2
        assert set(np.unique(d.T_train)) == {0.0, 1.0}
        np.testing.assert_array_equal(d.T_train[:, 0], d.labels_train)
        counts = np.bincount(np.concatenate([d.labels_train, d.labels_val]))
        assert counts.min() >= 60  # both classes well represented
    else:
        assert name in ("plane", "sine") and d.class_names == []


@pytest.mark.parametrize("name", BUILTIN_2D)
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    a = load_dataset(name, seed=3)
    b = load_dataset(name, seed=3)
    c = load_dataset(name, seed=4)
    for field in ("X_train", "T_train", "X_val", "T_val", "points_train", "labels_val"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.points_train, c.points_train)


def test_noise_changes_the_points_and_zero_noise_is_clean():
    clean = load_dataset("circle", noise=0.0, samples=400, validation=0)
    r = np.hypot(*clean.points_train.T)
    inside = clean.labels_train == clean.class_names.index("inside")
    assert r[inside].max() <= 2.5 + 1e-9 and r[~inside].min() >= 3.5 - 1e-9
    noisy = load_dataset("circle", noise=0.5, samples=400, validation=0)
    r = np.hypot(*noisy.points_train.T)
    assert r[noisy.labels_train == 1].max() > 2.5  # the classes now overlap


def test_xor_labels_follow_the_quadrants_without_noise():
    d = load_dataset("xor", noise=0.0, samples=300)
    p = np.concatenate([d.points_train, d.points_val])
    labels = np.concatenate([d.labels_train, d.labels_val])
    np.testing.assert_array_equal(labels, (p[:, 0] * p[:, 1] > 0).astype(int))


def test_regression_targets_are_standardised_with_train_stats():
    d = load_dataset("plane", noise=0.0, samples=300, seed=1)
    raw = d.target_to_raw(d.T_train[:, 0])
    np.testing.assert_allclose(raw, d.labels_train)
    np.testing.assert_allclose(d.labels_train, 0.5 * d.points_train[:, 0] - 0.3 * d.points_train[:, 1])
    assert abs(d.T_train.mean()) < 1e-12 and abs(d.T_train.std() - 1) < 1e-12
    assert d.target_std > 1


@pytest.mark.parametrize("name", SKLEARN)
def test_sklearn_sets(name):
    n, f, k = SKLEARN_SHAPES[name]
    d = load_dataset(name, loss="softmax_ce" if k else "mse", validation=0.25)
    n_val = round(0.25 * n)
    assert d.X_train.shape == (n - n_val, f) and d.X_val.shape == (n_val, f)
    assert len(d.feature_names) == f and len(d.class_names) == k
    assert not d.is_2d() and d.points_train is None
    if k:
        assert d.task == "classification" and d.T_train.shape == (n - n_val, k)
        np.testing.assert_array_equal(d.T_train.sum(axis=1), 1.0)
        np.testing.assert_array_equal(d.T_train.argmax(axis=1), d.labels_train)
    else:
        assert d.task == "regression" and d.T_train.shape == (n - n_val, 1)


def test_standardisation_uses_train_statistics_only():
    d = load_dataset("wine", validation=0.3, seed=2)
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-12)
    assert np.abs(d.X_val.mean(axis=0)).max() > 1e-3  # val was not standardised on its own


def test_constant_columns_do_not_divide_by_zero():
    d = load_dataset("digits", loss="softmax_ce")
    assert np.isfinite(d.X_train).all() and np.isfinite(d.X_val).all()
    assert (d.feature_std > 0).all()


def test_derived_features_and_transform():
    names = ["x1", "x2", *DERIVED_FEATURES]
    d = load_dataset("spiral", features=list(DERIVED_FEATURES), samples=100, seed=5)
    assert d.feature_names == names and d.n_inputs == 7
    np.testing.assert_allclose(d.transform(d.points_train), d.X_train, atol=1e-12)
    np.testing.assert_allclose(d.transform(d.points_val), d.X_val, atol=1e-12)
    raw = d.X_train * d.feature_std + d.feature_mean
    p = d.points_train
    np.testing.assert_allclose(raw[:, 2], p[:, 0] ** 2)
    np.testing.assert_allclose(raw[:, 4], p[:, 0] * p[:, 1])
    np.testing.assert_allclose(raw[:, 6], np.sin(p[:, 1]))
    one = load_dataset("spiral", features=["sin(x2)", "x1*x2", "x2"], samples=100, seed=5)
    assert one.feature_names == ["x1", "x2", "sin(x2)", "x1*x2"]  # derived ones follow x1, x2
    np.testing.assert_allclose(one.transform(one.points_train), one.X_train, atol=1e-12)
    grid = np.stack(np.meshgrid(np.linspace(-6, 6, 5), np.linspace(-6, 6, 5)), -1).reshape(-1, 2)
    assert d.transform(grid).shape == (25, 7)


def test_transform_of_non_2d_data_reuses_the_standardisation():
    d = load_dataset("iris", validation=0.2)
    raw = d.X_val * d.feature_std + d.feature_mean
    np.testing.assert_allclose(d.transform(raw), d.X_val, atol=1e-12)
    with pytest.raises(DataError, match="must have 4 columns"):
        d.transform(np.zeros((3, 2)))


def test_sklearn_feature_subset():
    d = load_dataset("iris", features=["petal length (cm)", "petal width (cm)"])
    assert d.n_inputs == 2
    with pytest.raises(DataError, match='no feature "petals"'):
        load_dataset("iris", features=["petals"])


@pytest.mark.parametrize("loss, width", [("mse", 1), ("bce", 1), ("softmax_ce", 2)])
def test_binary_target_encoding_follows_the_loss(loss, width):
    d = load_dataset("moons", loss=loss)
    assert d.T_train.shape[1] == width and d.loss == loss
    decoded = d.T_train.argmax(axis=1) if width == 2 else d.T_train[:, 0]
    np.testing.assert_array_equal(decoded, d.labels_train)


def test_mse_with_many_classes_is_one_hot():
    d = load_dataset("iris", loss="mse")
    assert d.T_train.shape[1] == 3


def test_validation_zero_gives_empty_val_split():
    d = load_dataset("xor", validation=0.0, samples=50)
    assert d.X_train.shape == (50, 2) and d.X_val.shape == (0, 2) and d.T_val.shape == (0, 1)
    assert d.labels_val.shape == (0,)


@pytest.mark.parametrize("kwargs, match", [
    ({"samples": 2}, "samples"), ({"samples": 10.5}, "samples"), ({"noise": -0.1}, "noise"),
    ({"validation": 1.0}, "validation"), ({"seed": -1}, "seed"), ({"features": ["x3"]}, "x3"),
    ({"target": "price"}, "fixed target")])
def test_bad_arguments_raise_clear_errors(kwargs, match):
    with pytest.raises(DataError, match=match):
        load_dataset("circle", **kwargs)


def test_unknown_data_names_the_choices():
    with pytest.raises(DataError, match="unknown data \"banana\".*circle.*house_prices"):
        load_dataset("banana")
    with pytest.raises(DataError, match="no such file"):
        load_dataset("/nonexistent/prices.csv")


def test_from_settings_defaults_and_keys(tmp_path):
    d = from_settings({}, "bce")
    assert d.name == "circle" and d.X_train.shape == (160, 2) and d.T_train.shape == (160, 1)
    d = from_settings({"data": "gaussians", "samples": 100, "validation": 0.5, "seed": 9,
                       "noise": 0.2, "features": ["x1^2"], "target": "ignored-for-builtins"}, "mse")
    e = load_dataset("gaussians", samples=100, validation=0.5, seed=9, noise=0.2, features=["x1^2"])
    np.testing.assert_array_equal(d.X_train, e.X_train)
    assert d.n_inputs == 3
    (tmp_path / "t.csv").write_text("a,b,c\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
    d = from_settings({"data": "t.csv", "target": "c"}, "softmax_ce", base_dir=tmp_path)
    assert d.class_names == ["x", "y"]
    with pytest.raises(DataError, match="features"):
        from_settings({"features": "x1"}, "mse")


def test_check_design_accepts_fitting_designs():
    check_design(design(2, 1, "bce", "sigmoid"), load_dataset("circle", loss="bce"))
    check_design(design(64, 10, "softmax_ce", "softmax", hidden=8), load_dataset("digits", loss="softmax_ce"))
    check_design(design(4, 1, "mse", hidden=8), load_dataset("house_prices"))


def test_check_design_input_size_message():
    with pytest.raises(DataError) as e:
        check_design(design(2, 3, "softmax_ce", "softmax"), load_dataset("iris", loss="softmax_ce"))
    assert str(e.value) == ("the data has 4 features but the input node 'x' has size 2: "
                            "set the input size to 4")


def test_check_design_output_size_message():
    with pytest.raises(DataError) as e:
        check_design(design(64, 1, "softmax_ce", "softmax"), load_dataset("digits", loss="softmax_ce"))
    assert "10 classes" in str(e.value) and "set the output size to 10" in str(e.value)
    assert "softmax_ce" in str(e.value)


def test_check_design_loss_fit_messages():
    with pytest.raises(DataError, match="regression.*use the loss mse"):
        check_design(design(2, 1, "bce", "sigmoid"), load_dataset("plane", loss="bce"))
    with pytest.raises(DataError, match="bce needs a target with two classes.*has 3.*softmax_ce"):
        check_design(design(4, 1, "bce", "sigmoid"), load_dataset("iris", loss="bce"))
    with pytest.raises(DataError, match="prepared for the loss mse"):
        # two classes encoded as one 0/1 column (mse), checked against a two-output softmax design
        check_design(design(2, 2, "softmax_ce", "softmax"), load_dataset("xor", loss="mse"))


def test_house_prices_ships_and_trains_to_r2_above_point_8():
    from engine import Network
    from engine.train.optimizers import make_optimizer
    assert HOUSE_PRICES.exists()
    d = load_dataset("house_prices", seed=0)
    assert d.task == "regression" and d.n_inputs == 4 and 250 <= len(d.X_train) + len(d.X_val) <= 400
    assert d.feature_names == ["area_m2", "rooms", "age_years", "distance_km"] and d.target_name == "price"
    net = Network(design(4, 1, "mse", hidden=8), seed=0, dtype="float64")
    opt = make_optimizer("adam", 0.01)
    rng = np.random.default_rng(0)
    for _ in range(150):
        order = rng.permutation(len(d.X_train))
        for i in range(0, len(order), 32):
            batch = order[i:i + 32]
            net.train_step(d.X_train[batch], d.T_train[batch], opt)
    y = net.forward(d.X_val)[:, 0]
    t = d.T_val[:, 0]
    r2 = 1 - ((y - t) ** 2).sum() / ((t - t.mean()) ** 2).sum()
    assert r2 > 0.8
