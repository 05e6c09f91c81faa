"""One learning rate per layer (MLPs): the kernel, its twin, and the estimators."""

import warnings

import numpy as np
import pytest

import fastnn
from fastnn import data


def _fit(rates, solver="gd", backend="numba", max_iter=12, seed=0):
    X, y = data.donut(120, seed=seed)
    model = fastnn.MLPClassifier(
        (6, 5), "tanh", solver=solver, learning_rate_init=rates, max_iter=max_iter, tol=None,
        batch_size=16, momentum=0.8, random_state=3, backend=backend,
    )  # fmt: skip
    return model.fit(X, y), X, y


@pytest.mark.parametrize("solver", ["gd", "sgd", "minibatch", "momentum"])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_equal_rates_are_the_single_rate_bit_for_bit(solver, backend):
    single = _fit(0.05, solver, backend)[0]
    layered = _fit([0.05, 0.05, 0.05], solver, backend)[0]
    np.testing.assert_array_equal(layered.theta_, single.theta_)
    np.testing.assert_array_equal(layered.loss_curve_, single.loss_curve_)


@pytest.mark.parametrize("solver", ["gd", "sgd", "momentum"])
def test_backends_agree_on_per_layer_rates(solver):
    # rates small enough that 12 epochs of one-sample steps stay far from chaos
    numba = _fit((0.05, 0.01, 0.02), solver)[0]
    numpy = _fit((0.05, 0.01, 0.02), solver, "numpy")[0]
    np.testing.assert_allclose(numba.theta_, numpy.theta_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(numba.loss_curve_, numpy.loss_curve_, rtol=1e-10)


def test_one_step_moves_each_layer_by_its_rate():
    rates = (0.3, 0.02, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.ConvergenceWarning)
        start, X, y = _fit(0.1, max_iter=1)
        stepped = _fit(rates, max_iter=1)[0]
    theta0 = start.layout_.initial_theta(np.random.default_rng(3), start.init)  # fit's start
    _, grad = start.loss_grad(X, y, theta0)
    expected = theta0.copy()
    layout = start.layout_
    for rate, (w, b), (gw, gb) in zip(
        rates,
        zip(layout.coefs(expected), layout.intercepts(expected), strict=True),
        zip(layout.coefs(grad), layout.intercepts(grad), strict=True),
        strict=True,
    ):
        w -= rate * gw
        b -= rate * gb
    np.testing.assert_allclose(stepped.theta_, expected, rtol=1e-13, atol=1e-15)


def test_per_layer_rates_are_checked():
    X, y = data.donut(40, seed=0)
    with pytest.raises(ValueError, match=r"has 2 rates; the network \(2, 4, 3, 1\) has 3 layers"):
        fastnn.MLPClassifier((4, 3), learning_rate_init=(0.1, 0.1)).fit(X, y)
    with pytest.raises(ValueError, match="Adam takes one rate"):
        fastnn.MLPClassifier((4,), solver="adam", learning_rate_init=(0.1, 0.1)).fit(X, y)
    with pytest.raises(ValueError, match=r"learning_rate_init\[1\] must be"):
        fastnn.MLPClassifier((4,), solver="gd", learning_rate_init=(0.1, -1.0)).fit(X, y)
    with pytest.raises(fastnn.DivergenceWarning, match=r"learning_rate_init=\(100, 0.1\)"):
        fastnn.MLPRegressor((4,), solver="gd", learning_rate_init=(100.0, 0.1)).fit(X, 50 * y)
