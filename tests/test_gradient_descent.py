"""fastnn.gradient_descent on the lecture's 1-D and 2-D examples."""

import numpy as np
import pytest

from fastnn import DivergenceWarning, gradient_descent
from tests.conftest import assert_close


def grad_1d(theta):
    """Gradient of the lecture's f(theta) = (theta + 5)^2."""
    return 2 * theta + 10


def test_lecture_worked_numbers():
    iterates = gradient_descent(grad_1d, theta0=1, lr=0.4, n_iter=4)
    assert iterates.shape == (5,)
    assert_close(iterates, [1, -3.8, -4.76, -4.952, -4.9904], rtol=1e-14)


def test_from_ten_converges_in_under_ten_steps():
    iterates = gradient_descent(grad_1d, theta0=10, lr=0.4, n_iter=10)
    assert abs(iterates[9] + 5) < 1e-4


def test_iterates_follow_the_contraction_factor():
    # theta_{t+1} + 5 = (1 - 2 lr)(theta_t + 5) exactly for this quadratic.
    for lr, factor in [(0.005, 0.99), (0.4, 0.2), (0.8, -0.6)]:
        iterates = gradient_descent(grad_1d, theta0=1.0, lr=lr, n_iter=8)
        assert_close((iterates[1:] + 5) / (iterates[:-1] + 5), np.full(8, factor), rtol=1e-9)


def test_lr_0_8_oscillates_around_the_minimum_without_warning():
    iterates = gradient_descent(grad_1d, theta0=1.0, lr=0.8, n_iter=20)
    signs = np.sign(iterates + 5)
    assert np.all(signs[1:] == -signs[:-1])
    assert abs(iterates[-1] + 5) < abs(iterates[0] + 5)


@pytest.mark.parametrize("lr", [1.01, 1.2, 3.0])
def test_lr_above_one_is_reported_as_diverging(lr):
    with pytest.warns(DivergenceWarning, match=f"lr={lr:g}"):
        iterates = gradient_descent(grad_1d, theta0=1.0, lr=lr, n_iter=10)
    assert iterates.shape == (11,)
    assert abs(iterates[-1] + 5) > abs(iterates[0] + 5)


def test_overflowing_run_stops_with_finite_history_and_no_numpy_warning():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        iterates = gradient_descent(grad_1d, theta0=1.0, lr=1.5, n_iter=5000)
    assert 1 < iterates.shape[0] < 5001
    assert np.all(np.isfinite(iterates))
    categories = {w.category for w in caught}
    assert categories == {DivergenceWarning}
    assert "diverged at iteration" in str(caught[0].message)


def test_two_dimensional_paraboloid():
    iterates = gradient_descent(lambda t: 2 * t, theta0=[3.0, -2.0], lr=0.1, n_iter=50)
    assert iterates.shape == (51, 2)
    assert_close(iterates[-1], np.array([3.0, -2.0]) * 0.8**50, rtol=1e-12)
    assert_close(iterates[0], [3.0, -2.0], rtol=0)


def test_lr_one_keeps_oscillating_without_a_divergence_warning():
    iterates = gradient_descent(grad_1d, theta0=1.0, lr=1.0, n_iter=8)
    assert_close(np.abs(iterates + 5), np.full(9, 6.0), rtol=0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": 0.0}, "lr must be a positive finite number"),
        ({"lr": -1.0}, "lr must be a positive finite number"),
        ({"lr": float("nan")}, "lr must be a positive finite number"),
        ({"n_iter": 0}, "n_iter must be an integer >= 1"),
        ({"theta0": float("inf")}, "theta0 must be finite"),
        ({"grad": "not callable"}, "grad must be a callable"),
        ({"grad": lambda t: np.zeros(3), "theta0": [1.0, 2.0]}, "expected theta's shape"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"grad": grad_1d, "theta0": 1.0, "lr": 0.1, "n_iter": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        gradient_descent(**args)
