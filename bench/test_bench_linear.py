"""Training loops of the linear and logistic models: fastnn-numba vs the numpy reference.

Sizes: the lecture's (N = 100 samples, 1 feature, 100 GD iterations at lr 0.05 for the
linear model; N = 1000 blobs, 1000 iterations for the logistic one) and a large one
(N = 100,000, d = 10).
"""

import numpy as np
import pytest

from fastnn import data, kernels, lecture, reference
from fastnn._builds import linear_threaded, training_loop
from fastnn._codes import LOG_LOSS, SQUARED_ERROR
from fastnn._training import linear_state
from fastnn.optim import sample_orders

from .conftest import check_then_time

IMPLEMENTATIONS = {"fastnn-numba": kernels, "fastnn-numpy": reference}


def _large(rng, loss):
    X = rng.normal(size=(100_000, 10))
    z = 0.5 + X @ rng.normal(size=10)
    y = z + rng.normal(size=100_000) if loss == SQUARED_ERROR else (z > 0).astype(float)
    return X, y


def _gd_problem(size, loss, rng):
    if size == "lecture":
        if loss == SQUARED_ERROR:
            X, y = lecture.gd_data()
            return X, y, 0.05, 100
        X, y = lecture.logistic_data()
        return X, y, 0.1, 1000
    X, y = _large(rng, loss)
    return X, y, 0.05, 20


def _gd(impl, X, y, loss, lr, n_iter):
    theta = np.zeros(X.shape[1] + 1)
    curve = np.empty(n_iter)
    # the build LinearRegression / LogisticRegression would pick for this batch
    gd = training_loop(impl, "linear_gd", linear_threaded(*X.shape))
    gd(X, y, theta, loss, lr, 0.0, True, curve, np.empty((0, theta.size)), 1, linear_state(theta))
    return theta, curve


@pytest.mark.parametrize("variant", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", ["lecture", "large"])
@pytest.mark.parametrize("loss", [SQUARED_ERROR, LOG_LOSS], ids=["linear", "logistic"])
def test_gd_training(benchmark, variant, size, loss, rng):
    X, y, lr, n_iter = _gd_problem(size, loss, rng)
    benchmark.group = f"gd-{'linear' if loss == SQUARED_ERROR else 'logistic'}-{size}"
    benchmark.extra_info.update(n_samples=X.shape[0], n_features=X.shape[1], n_iter=n_iter)
    impl = IMPLEMENTATIONS[variant]
    expected = _gd(reference, X, y, loss, lr, n_iter)
    check_then_time(benchmark, lambda: _gd(impl, X, y, loss, lr, n_iter), expected, rtol=1e-9)


@pytest.mark.parametrize("variant", IMPLEMENTATIONS)
@pytest.mark.parametrize("batch_size", [1, 32])
def test_minibatch_epochs(benchmark, variant, batch_size, rng):
    X, y = data.linear(1000, seed=0)
    order = sample_orders(rng, 1000, 5)
    benchmark.group = f"minibatch-linear-n1000-batch{batch_size}"
    benchmark.extra_info.update(n_samples=1000, n_epochs=5, batch_size=batch_size)

    def run(impl):
        theta = np.zeros(2)
        curve = np.empty(5)
        none = np.empty((0, 2))
        state = linear_state(theta)
        impl.linear_minibatch(
            X, y, theta, SQUARED_ERROR, 1e-3, 0.0, True, order, batch_size, curve, none, 1, state
        )
        return theta, curve

    impl = IMPLEMENTATIONS[variant]
    check_then_time(benchmark, lambda: run(impl), run(reference), rtol=1e-9)


ELEMENTS = [1_000_000, pytest.param(10_000_000, marks=pytest.mark.slow)]


@pytest.mark.parametrize("variant", IMPLEMENTATIONS)
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_derivative", "softplus"])
@pytest.mark.parametrize("n", ELEMENTS, ids=lambda n: f"{n:.0e}")
def test_activation_kernels(benchmark, variant, name, n, rng):
    z = rng.normal(0, 10, n)
    out = np.empty_like(z)
    benchmark.group = f"{name}-{n:.0e}"
    benchmark.extra_info.update(n_elements=z.size)
    impl = getattr(IMPLEMENTATIONS[variant], name)
    expected = getattr(reference, name)(z, np.empty_like(z))
    check_then_time(benchmark, lambda: impl(z, out), expected, rtol=1e-13)


@pytest.mark.parametrize("variant", IMPLEMENTATIONS)
@pytest.mark.parametrize("n", ELEMENTS, ids=lambda n: f"{n:.0e}")
def test_bce_from_logits(benchmark, variant, n, rng):
    z = rng.normal(0, 10, n)
    y = (rng.random(n) < 0.5).astype(float)
    benchmark.group = f"bce_from_logits-{n:.0e}"
    benchmark.extra_info.update(n_elements=n)
    impl = IMPLEMENTATIONS[variant]
    check_then_time(
        benchmark, lambda: impl.bce_from_logits(z, y), reference.bce_from_logits(z, y), rtol=1e-12
    )
