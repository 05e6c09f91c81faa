"""Fitted models round-trip through pickle and joblib, as scikit-learn's do."""

import copy
import pickle
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest

import fastnn


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(80, 3))
    return X, (X[:, 0] - X[:, 1] > 0).astype(int), rng.integers(0, 3, size=80)


def _models():
    X, y, y3 = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        yield "classifier", fastnn.MLPClassifier((4, 3), solver="adam", max_iter=5,
                                                 random_state=0).fit(X, y), X, y  # fmt: skip
        yield (
            "softmax classifier",
            fastnn.MLPClassifier((4,), max_iter=5, random_state=0).fit(X, y3),
            X,
            y3,
        )
        regressor = fastnn.MLPRegressor((5,), "gelu", output_activation="tanh", max_iter=5,
                                        random_state=0).fit(X, X[:, 0])  # fmt: skip
        yield "regressor", regressor, X, X[:, 0]
        yield "linear regression", fastnn.LinearRegression().fit(X, X[:, 1]), X, X[:, 1]
        yield "logistic", fastnn.LogisticRegression(max_iter=20).fit(X, y), X, y
        yield "multinomial logistic", fastnn.LogisticRegression(max_iter=20).fit(X, y3), X, y3
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network = MLPClassifier((4,), max_iter=20, random_state=0)
        pipeline = make_pipeline(StandardScaler(), network).fit(X, y)
    yield "scikit-learn pipeline", fastnn.from_sklearn(pipeline), X, y
    try:
        import torch
    except ImportError:
        return
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.GELU(),
                                 torch.nn.Linear(4, 3)).double().eval()  # fmt: skip
    yield "torch module", fastnn.from_torch(module, "cross_entropy", batch_norm="fold"), X, y3


def _views_of_theta(model):
    estimator = getattr(model, "estimator", model)
    views = getattr(estimator, "coefs_", None) or []
    views = [*views, *(getattr(estimator, "intercepts_", None) or [])]
    if hasattr(estimator, "coef_"):
        views.append(estimator.coef_)
    return [v for v in views if isinstance(v, np.ndarray)]


@pytest.mark.parametrize("name", [name for name, *_ in _models()])
@pytest.mark.parametrize("how", ["pickle", "deepcopy", "joblib"])
def test_a_fitted_model_round_trips(name, how, tmp_path):
    _, model, X, y = next(entry for entry in _models() if entry[0] == name)
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(model))
    elif how == "deepcopy":
        loaded = copy.deepcopy(model)
    else:
        joblib.dump(model, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.theta_, model.theta_)
    assert loaded.score(X, y) == model.score(X, y)
    assert repr(loaded) == repr(model)
    for view in _views_of_theta(loaded):  # still views: an edit of theta_ shows in them
        assert np.shares_memory(view, loaded.theta_)
    assert not np.shares_memory(loaded.theta_, model.theta_)


def test_partial_fit_continues_after_a_round_trip_as_without_one():
    X, y, _ = _data()
    model = fastnn.MLPClassifier((4,), solver="adam", max_iter=3, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        model.fit(X, y)
        loaded = pickle.loads(pickle.dumps(model))
        model.partial_fit(X, y)
        loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.theta_, model.theta_)
    np.testing.assert_array_equal(loaded.coefs_[1], model.coefs_[1])


def test_a_model_trained_in_one_process_loads_in_another(tmp_path):
    """Trained and saved by a separate Python process; loaded and evaluated here."""
    script = textwrap.dedent(
        f"""
        import joblib, numpy as np, fastnn
        rng = np.random.default_rng(3)
        X = rng.normal(size=(60, 2))
        y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 1).astype(int)
        model = fastnn.MLPClassifier((6,), "tanh", solver="adam", max_iter=30, tol=None,
                                     learning_rate_init=0.05, random_state=0).fit(X, y)
        joblib.dump(model, {str(tmp_path / "model.joblib")!r})
        np.save({str(tmp_path / "X.npy")!r}, X)
        np.save({str(tmp_path / "proba.npy")!r}, model.predict_proba(X))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=600)
    loaded = joblib.load(tmp_path / "model.joblib")
    X = np.load(tmp_path / "X.npy")
    np.testing.assert_array_equal(loaded.predict_proba(X), np.load(tmp_path / "proba.npy"))
    assert np.shares_memory(loaded.coefs_[0], loaded.theta_)
