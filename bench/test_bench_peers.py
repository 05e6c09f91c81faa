"""fastnn against scikit-learn (and PyTorch autograd) with matching algorithms and settings.

Peers skip cleanly when the ``peers`` extra is not installed.  Each peer runs the *same*
algorithm from the same start, so its result is checked against fastnn's numpy reference
before it is timed:
- least squares, N = 100,000, d = 10: scikit-learn ``LinearRegression`` (a lstsq solve);
- logistic SGD, one sample per step in a fixed order, constant step, no penalty:
  scikit-learn ``SGDClassifier(loss="log_loss", penalty=None, learning_rate="constant",
  shuffle=False)``, 5 epochs on N = 10,000 blobs;
- the lecture's network (2-10-1 sigmoid, N = 2000 donut samples), full-batch gradient
  descent from the same weights: scikit-learn ``MLPClassifier(solver="sgd", momentum=0,
  batch_size=N, alpha=0)`` and a PyTorch ``torch.optim.SGD`` + autograd loop, 200 iterations.
"""

import numpy as np
import pytest

import fastnn
from fastnn import data, kernels, lecture, reference
from fastnn._codes import LOG_LOSS, SIGMOID
from fastnn._training import linear_state
from fastnn.layout import MLPLayout

from .conftest import check_then_time, mlp_gd

SLOW = pytest.mark.slow


# -- least squares --------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["fastnn-numba", "sklearn"])
def test_least_squares(benchmark, variant):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100_000, 10)) + 5.0
    y = 1.0 + X @ rng.standard_normal(10) + rng.standard_normal(100_000)
    benchmark.group = "ols-N100000-d10"
    expected = fastnn.LinearRegression().fit(X, y).theta_
    if variant == "sklearn":
        linear_model = pytest.importorskip("sklearn.linear_model")

        def run():
            model = linear_model.LinearRegression().fit(X, y)
            return np.concatenate([[model.intercept_], model.coef_])

    else:
        run = lambda: fastnn.LinearRegression().fit(X, y).theta_  # noqa: E731
    check_then_time(benchmark, run, expected, rtol=1e-9)


# -- logistic SGD ---------------------------------------------------------------------------
def _logistic_sgd_problem():
    X, y = data.blobs(10_000, seed=0)
    order = np.tile(np.arange(X.shape[0]), (5, 1))  # scikit-learn's shuffle=False order
    return X, y, order, 1e-3


def _fastnn_sgd(impl, X, y, order, lr):
    theta = np.zeros(3)
    curve, none = np.empty(order.shape[0]), np.empty((0, 3))
    impl.linear_sgd(
        X, y, theta, LOG_LOSS, lr, 0.0, True, order, curve, none, 1, linear_state(theta)
    )
    return theta


@pytest.mark.parametrize("variant", ["fastnn-numba", "fastnn-numpy", "sklearn"])
def test_logistic_sgd_epochs(benchmark, variant):
    X, y, order, lr = _logistic_sgd_problem()
    benchmark.group = "logistic-sgd-N10000-5-epochs"
    expected = _fastnn_sgd(reference, X, y, order, lr)
    if variant == "sklearn":
        linear_model = pytest.importorskip("sklearn.linear_model")

        def run():
            model = linear_model.SGDClassifier(
                loss="log_loss",
                penalty=None,
                learning_rate="constant",
                eta0=lr,
                shuffle=False,
                max_iter=order.shape[0],
                tol=None,
            ).fit(X, y)
            return np.concatenate([model.intercept_, model.coef_[0]])

    else:
        impl = kernels if variant == "fastnn-numba" else reference
        run = lambda: _fastnn_sgd(impl, X, y, order, lr)  # noqa: E731
    check_then_time(benchmark, run, expected, rtol=1e-9, atol=1e-12)


# -- the lecture's network ------------------------------------------------------------------
N_ITER = 200
LR = 1.0


def _network_problem():
    X, y = lecture.network_data()
    layout = MLPLayout((2, 10, 1))
    theta0 = layout.initial_theta(np.random.default_rng(0), "normal")
    return X, y, layout, theta0


def _fastnn_gd(impl, X, y, layout, theta0):
    return mlp_gd(impl, X, y[:, None], layout.sizes, theta0, LR, N_ITER, SIGMOID, LOG_LOSS)


def _sklearn_gd(X, y, layout, theta0):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        (10,), activation="logistic", solver="sgd", alpha=0.0, batch_size=X.shape[0],
        learning_rate_init=LR, momentum=0.0, nesterovs_momentum=False, shuffle=False,
        max_iter=1, tol=0.0, n_iter_no_change=N_ITER + 1, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)  # builds the network; its weights are replaced below
        model.coefs_ = [w.copy() for w in layout.coefs(theta0)]
        model.intercepts_ = [b.copy() for b in layout.intercepts(theta0)]
        model.set_params(max_iter=N_ITER, warm_start=True)
        model.loss_curve_ = []
        model._no_improvement_count = 0
        model.best_loss_ = np.inf
        model.fit(X, y)
    return np.array(model.loss_curve_)


def _torch_gd(X, y, layout, theta0):
    import torch

    Xt, yt = torch.from_numpy(X), torch.from_numpy(y[:, None])
    params = [
        torch.from_numpy(w.copy()).requires_grad_()
        for w in layout.coefs(theta0) + layout.intercepts(theta0)
    ]
    optimizer = torch.optim.SGD(params, lr=LR)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    curve = np.empty(N_ITER)
    for t in range(N_ITER):
        optimizer.zero_grad()
        hidden = torch.sigmoid(Xt @ params[0] + params[2])
        loss = loss_fn(hidden @ params[1] + params[3], yt)
        loss.backward()
        optimizer.step()
        curve[t] = loss.item()
    return curve


@pytest.mark.parametrize("variant", ["fastnn-numba", "fastnn-numpy", "sklearn", "torch-autograd"])
def test_lecture_network_gd(benchmark, variant):
    X, y, layout, theta0 = _network_problem()
    benchmark.group = f"lecture-network-gd-{N_ITER}-iterations"
    expected = _fastnn_gd(reference, X, y, layout, theta0)
    if variant == "sklearn":
        pytest.importorskip("sklearn")
        run = lambda: _sklearn_gd(X, y, layout, theta0)  # noqa: E731
    elif variant == "torch-autograd":
        pytest.importorskip("torch")
        run = lambda: _torch_gd(X, y, layout, theta0)  # noqa: E731
    else:
        impl = kernels if variant == "fastnn-numba" else reference
        run = lambda: _fastnn_gd(impl, X, y, layout, theta0)  # noqa: E731
    check_then_time(benchmark, run, expected, rtol=1e-7)
