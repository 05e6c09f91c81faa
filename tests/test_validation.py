"""Bad input gets a clear ValueError naming the argument and what was expected."""

import numpy as np
import pytest

from fastnn import LinearRegression, LogisticRegression

X = np.arange(20.0).reshape(10, 2)
Y_REG = np.arange(10.0)
Y_CLS = np.array([0, 1] * 5)


def _with(array, index, value):
    array = array.copy()
    array[index] = value
    return array


@pytest.mark.parametrize("estimator, y", [(LinearRegression, Y_REG), (LogisticRegression, Y_CLS)])
@pytest.mark.parametrize(
    "X_bad, y_bad, match",
    [
        (X[:, 0], None, r"X must be a 2-D array .* got 1-D.*Reshape your data"),
        (X[None], None, r"X must be a 2-D array .* got 3-D"),
        (np.empty((0, 2)), None, r"X is empty: it has 0 sample"),
        (np.empty((10, 0)), None, r"X is empty: it has 0 feature"),
        (_with(X, (3, 1), np.nan), None, r"X contains NaN or infinity \(NaN at index \(3, 1\)\)"),
        (_with(X, (0, 0), np.inf), None, r"X contains NaN or infinity \(infinity at index"),
        (X.astype(str).astype(object) + "x", None, "X must contain only numbers"),
        (X + 1j, None, "Complex data not supported"),
        (None, "y_none", "requires y to be passed"),
        (None, np.arange(9.0), "y has 9 entries but X has 10 rows"),
        (None, np.ones((10, 2)), r"y must be 1-D .* got shape \(10, 2\)"),
    ],
)
def test_bad_data(estimator, y, X_bad, y_bad, match):
    X_arg = X if X_bad is None else X_bad
    y_arg = None if isinstance(y_bad, str) else (y if y_bad is None else y_bad)
    with pytest.raises(ValueError, match=match):
        estimator().fit(X_arg, y_arg)


def test_nan_in_regression_target():
    with pytest.raises(ValueError, match=r"y contains NaN or infinity \(NaN at index 4\)"):
        LinearRegression().fit(X, _with(Y_REG, 4, np.nan))


@pytest.mark.parametrize(
    "y, match",
    [
        (np.ones(10), r"exactly 2 distinct classes; got 1: \[1.0\].*only 1 class"),
        (np.linspace(0, 1, 10), r"Unknown label type: y is continuous"),
        (_with(Y_CLS.astype(float), 2, np.nan), "y contains NaN"),
    ],
)
def test_wrong_number_of_classes(y, match):
    with pytest.raises(ValueError, match=match):
        LogisticRegression().fit(X, y)


@pytest.mark.parametrize("estimator, y", [(LinearRegression, Y_REG), (LogisticRegression, Y_CLS)])
@pytest.mark.parametrize(
    "params, match",
    [
        ({"learning_rate_init": 0.0}, "learning_rate_init must be a positive finite number; got 0"),
        ({"learning_rate_init": -0.1}, "learning_rate_init must be a positive finite number"),
        ({"learning_rate_init": float("inf")}, "learning_rate_init must be a positive finite"),
        ({"learning_rate_init": float("nan")}, "learning_rate_init must be a positive finite"),
        ({"learning_rate_init": "fast"}, "learning_rate_init must be a positive finite"),
        ({"max_iter": 0}, "max_iter must be an integer >= 1; got 0"),
        ({"max_iter": 2.5}, "max_iter must be an integer >= 1"),
        ({"batch_size": 0, "solver": "minibatch"}, "batch_size must be an integer >= 1"),
        ({"solver": "newton"}, "solver must be one of .*'gd'.*; got 'newton'"),
        ({"backend": "cuda"}, "backend must be one of 'numba', 'numpy'; got 'cuda'"),
        ({"fit_intercept": "yes"}, "fit_intercept must be True or False"),
        ({"record_trajectory": -1}, "record_trajectory must be an integer >= 0"),
        ({"random_state": -3, "solver": "sgd"}, "random_state must be None, an int >= 0"),
    ],
)
def test_bad_parameters(estimator, y, params, match):
    params = {"solver": "gd", **params}
    with pytest.raises(ValueError, match=match):
        estimator(**params).fit(X, y)


def test_theta0_is_checked():
    with pytest.raises(ValueError, match="theta0 must have 3 entries; got 2"):
        LinearRegression(solver="gd").fit(X, Y_REG, theta0=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"theta0 contains NaN"):
        LinearRegression(solver="gd").fit(X, Y_REG, theta0=[0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match=r"theta0\[0\] \(the intercept\) must be 0"):
        LinearRegression(solver="gd", fit_intercept=False).fit(X, Y_REG, theta0=[1.0, 0, 0])


def test_predict_checks_the_number_of_features():
    model = LinearRegression().fit(X, Y_REG)
    with pytest.raises(ValueError, match="X has 3 features, but LinearRegression is expecting 2"):
        model.predict(np.ones((4, 3)))


def test_labels_unseen_in_fit_are_refused_by_loss_grad():
    model = LogisticRegression(max_iter=5).fit(X, Y_CLS)
    with pytest.raises(ValueError, match=r"labels not seen in fit: \[7\]"):
        model.loss_grad(X, _with(Y_CLS, 0, 7))


def test_sparse_input_is_refused_with_a_hint():
    from scipy import sparse

    with pytest.raises(TypeError, match=r"sparse matrix.*toarray\(\)"):
        LinearRegression().fit(sparse.csr_matrix(X), Y_REG)


def test_a_failed_fit_keeps_the_previous_model():
    model = LinearRegression().fit(X, Y_REG)
    theta = model.theta_.copy()
    with pytest.raises(ValueError):
        model.fit(_with(X, (0, 0), np.nan), Y_REG)
    np.testing.assert_array_equal(model.theta_, theta)
