"""Accuracy surfaces (metric="accuracy") and several data sets on one plane (loss_surfaces).

Accuracy is counted inside the surface kernels (``accuracy_surface`` for linear
classifiers, the ``ACCURACY`` code of ``mlp_surface`` for networks); at the centre it is
the estimator's ``score`` exactly, and at every grid point the fraction of samples that
``predict`` would classify correctly with that point's parameters.
"""

import warnings

import numpy as np
import pytest

import fastnn
from fastnn import data, kernels, reference
from fastnn.exceptions import ConvergenceWarning
from tests.conftest import table


def _quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@pytest.fixture(scope="module")
def split():
    X, y = data.donut(400, seed=1)
    labels = np.where(y > 0, "ring", "core")  # any labels, as the estimators accept
    return X[:300], labels[:300], X[300:], labels[300:]


@pytest.fixture(scope="module")
def three_classes():
    rng = np.random.default_rng(5)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    y = rng.integers(0, 3, 360)
    X = centres[y] + rng.normal(scale=1.1, size=(360, 2))
    return X, y


def _models():
    return {
        "logistic": fastnn.LogisticRegression(),
        "mlp": fastnn.MLPClassifier((6,), "tanh", max_iter=150, random_state=0),
    }


@pytest.mark.parametrize("name", ["logistic", "mlp"])
def test_accuracy_at_the_centre_is_score(split, name):
    X, y, X_test, y_test = split
    model = _quiet_fit(_models()[name], X, y)
    for features, labels in ((X, y), (X_test, y_test)):
        s = fastnn.loss_surface(
            model, features, labels, metric="accuracy", resolution=5, span=0.3, random_state=0
        )
        assert s.center_loss == model.score(features, labels)
        assert s.values[2, 2] == model.score(features, labels)  # the centre grid point


def test_multiclass_accuracy_at_the_centre_is_score(three_classes):
    X, y = three_classes
    model = _quiet_fit(fastnn.MLPClassifier((5,), max_iter=100, random_state=1), X, y)
    s = fastnn.loss_surface(model, X, y, metric="accuracy", resolution=3, random_state=0)
    assert s.center_loss == s.values[1, 1] == model.score(X, y)
    assert 0.5 < s.center_loss < 1.0  # the test can fail: some samples are misclassified


@pytest.mark.parametrize("name", ["logistic", "mlp"])
def test_every_grid_point_is_the_score_of_its_parameters(split, name):
    X, y, X_test, y_test = split
    model = _quiet_fit(_models()[name], X, y)
    s = fastnn.loss_surface(
        model, X_test, y_test, metric="accuracy", resolution=7, span=2.0, random_state=3
    )
    probe = _quiet_fit(_models()[name], X, y)
    expected = np.empty(s.shape)
    for i in range(s.shape[0]):
        for j in range(s.shape[1]):
            probe.theta_ = s.theta(i, j)
            if name == "mlp":
                probe._set_network(
                    probe.layout_, s.theta(i, j), probe._activation_table, probe._loss_code
                )
            else:
                probe._set_theta(s.theta(i, j), True, X.shape[1])
            expected[i, j] = probe.score(X_test, y_test)
    np.testing.assert_array_equal(s.values, expected)
    assert np.unique(s.values).size > 3  # the plane crosses decision boundaries


@pytest.mark.parametrize("name", ["logistic", "mlp"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_backends_tiles_and_threads_give_the_same_bits(split, name, dtype):
    X, y, X_test, y_test = split
    model = _quiet_fit(_models()[name], X, y)
    common = {"metric": "accuracy", "resolution": (9, 70), "random_state": 2, "dtype": dtype}
    base = fastnn.loss_surface(model, X_test, y_test, **common)
    for options in ({"backend": "numpy"}, {"tile_rows": 1}, {"threads": 1}):
        again = fastnn.loss_surface(model, X_test, y_test, **common, **options)
        np.testing.assert_array_equal(again.values, base.values, err_msg=str(options))


def test_accuracy_kernel_counts_the_side_of_zero():
    z0 = np.array([1.0, -1.0, 0.5, 0.0])
    zu = np.array([0.0, 1.0, -1.0, 0.0])
    zv = np.zeros(4)
    y = np.array([1.0, 1.0, 0.0, 0.0])
    a = np.array([0.0, 2.0])
    b = np.array([0.0])
    for impl in (kernels, reference):
        out = impl.accuracy_surface(z0, zu, zv, y, a, b, np.empty((2, 1)))
        # a = 0: logits (1, -1, 0.5, 0): correct, wrong, wrong, correct (0 is class 0)
        # a = 2: logits (1, 1, -1.5, 0): all correct
        np.testing.assert_array_equal(out[:, 0], [0.5, 1.0])


def test_binary_and_softmax_accuracy_in_the_network_kernel():
    from fastnn._codes import ACCURACY
    from fastnn.layout import MLPLayout

    rng = np.random.default_rng(0)
    for outputs in (1, 3):
        layout = MLPLayout((3, 4, outputs))
        X = rng.normal(size=(200, 3))
        Y = (
            (rng.random((200, 1)) < 0.5) * 1.0
            if outputs == 1
            else np.eye(3)[rng.integers(0, 3, 200)]
        )
        theta, u, v = rng.normal(size=(3, layout.n_params))
        a, b = np.linspace(-1, 1, 5), np.linspace(-1, 1, 6)
        args = (X, Y, theta, u, v, layout.sizes, table("tanh", layout.sizes), ACCURACY, a, b)
        fast = kernels.mlp_surface(*args, np.empty((5, 6)))
        slow = reference.mlp_surface(*args, np.empty((5, 6)))
        np.testing.assert_array_equal(fast, slow)
        assert np.all((fast >= 0) & (fast <= 1)) and np.unique(fast).size > 3


def test_accuracy_needs_a_classifier(split):
    X, y, _, _ = split
    regressor = _quiet_fit(fastnn.MLPRegressor((4,), max_iter=20, random_state=0), X, X[:, 0])
    with pytest.raises(ValueError, match="metric='accuracy' needs a classifier"):
        fastnn.loss_surface(regressor, X, X[:, 0], metric="accuracy")
    linear = fastnn.LinearRegression().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="needs a classifier"):
        fastnn.loss_line(linear, X, X[:, 0], direction="random", metric="accuracy")
    logistic = fastnn.LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="metric must be one of"):
        fastnn.loss_surface(logistic, X, y, metric="acc")


def test_accuracy_line(split):
    X, y, _, _ = split
    model = fastnn.LogisticRegression().fit(X, y)
    line = fastnn.loss_line(
        model, X, y, param="intercept", span=20.0, metric="accuracy", data_name="train"
    )
    assert line.info["metric"] == "accuracy" and line.center_loss == model.score(X, y)
    # far from the fitted intercept every sample falls in one class: the class share
    assert line.values[0] == np.mean(y == model.classes_[0])
    assert line.values[-1] == np.mean(y == model.classes_[1])
    fig = line.plot()
    assert fig.axes[0].get_ylabel() == "accuracy"
    assert "accuracy (train data)" in fig.axes[0].get_title()


def test_loss_surfaces_share_one_plane(split):
    X, y, X_test, y_test = split
    model = _quiet_fit(_models()["mlp"], X, y)
    surfaces = fastnn.loss_surfaces(
        model,
        {"train": (X, y), "test": (X_test, y_test)},
        metrics=("loss", "accuracy"),
        resolution=11,
        span=0.8,
        random_state=4,
        threads=1,  # run options go to every surface, plane options to the first
        backend="numba",
    )
    assert list(surfaces) == [
        ("train", "loss"),
        ("train", "accuracy"),
        ("test", "loss"),
        ("test", "accuracy"),
    ]
    first = surfaces["train", "loss"]
    for (name, metric), s in surfaces.items():
        assert s.info["data"] == name and s.metric == metric
        np.testing.assert_array_equal(s.directions, first.directions)
        np.testing.assert_array_equal(s.a, first.a)
        features, labels = (X, y) if name == "train" else (X_test, y_test)
        alone = fastnn.loss_surface(model, features, labels, directions=first, metric=metric)
        np.testing.assert_array_equal(s.values, alone.values)
    assert surfaces["test", "accuracy"].center_loss == model.score(X_test, y_test)
    fig = surfaces["test", "accuracy"].plot()
    assert fig.axes[0].get_title().endswith("accuracy (test data)")
    assert fig.axes[1].get_ylabel() == "accuracy"  # the colour bar


def test_loss_surfaces_checks_every_data_set_first(split, monkeypatch):
    import fastnn.surface as surface_module

    X, y, X_test, y_test = split
    model = fastnn.LogisticRegression().fit(X, y)
    calls = []
    monkeypatch.setattr(surface_module, "loss_surface", lambda *a, **k: calls.append(1))
    with pytest.raises(ValueError, match="features"):
        fastnn.loss_surfaces(model, {"train": (X, y), "test": (X_test[:, :1], y_test)})
    with pytest.raises(ValueError, match="metric must be one of"):
        fastnn.loss_surfaces(model, {"train": (X, y)}, metrics=("loss", "auc"))
    with pytest.raises(ValueError, match=r"data\['test'\] must be an \(X, y\) pair"):
        fastnn.loss_surfaces(model, {"train": (X, y), "test": X_test})
    with pytest.raises(ValueError, match="non-empty mapping"):
        fastnn.loss_surfaces(model, [(X, y)])
    with pytest.raises(ValueError, match="out= is set per surface"):
        fastnn.loss_surfaces(model, {"train": (X, y)}, out="x.zarr")
    assert calls == []


def test_accuracy_in_xarray_and_in_a_store(split, tmp_path):
    pytest.importorskip("zarr")
    X, y, X_test, y_test = split
    model = fastnn.LogisticRegression().fit(X, y)
    s = fastnn.loss_surface(
        model, X_test, y_test, metric="accuracy", out=tmp_path / "acc.zarr", data_name="test"
    )
    loaded = fastnn.Surface.load(tmp_path / "acc.zarr")
    assert loaded.metric == "accuracy" and loaded.info["data"] == "test"
    np.testing.assert_array_equal(np.asarray(loaded.values), np.asarray(s.values))
    assert loaded.to_xarray().name == "accuracy"
    assert "Surface(accuracy" in repr(loaded)


def test_extremes_of_values_on_disk_are_found_block_by_block(tmp_path, monkeypatch):
    from fastnn.surface import _result

    rng = np.random.default_rng(0)
    values = np.round(rng.random((37, 11)), 1)  # ties: the first, row-major, must win
    values[3] = np.nan
    on_disk = np.lib.format.open_memmap(tmp_path / "v.npy", "w+", np.float64, values.shape)
    on_disk[...] = values
    monkeypatch.setattr(_result, "_BLOCK_VALUES", 20)  # one row per block
    for largest, search in ((True, np.nanargmax), (False, np.nanargmin)):
        expected = divmod(int(search(values)), values.shape[1])
        assert _result._first_extreme(on_disk, largest) == expected
        assert _result._first_extreme(values, largest) == expected
