"""Linear-model loss/gradient kernels and training loops against their numpy twins."""

import numpy as np
import pytest

from fastnn import kernels, reference
from fastnn._builds import linear_threaded, training_loop
from fastnn._codes import DIVERGENCE_RATIO, LOG_LOSS, SQUARED_ERROR
from fastnn._training import linear_state
from fastnn.optim import sample_orders
from tests.conftest import SHAPES, assert_close

BACKENDS = [kernels, reference]


def _problem(rng, n, d, loss, scale=1.0):
    X = rng.normal(size=(n, d))
    theta = rng.normal(size=d + 1) * scale
    if loss == SQUARED_ERROR:
        y = rng.normal(size=n) * 3
    else:
        y = (rng.random(n) < 0.5).astype(float)
    return X, y, theta


@pytest.mark.parametrize("n, d", SHAPES)
@pytest.mark.parametrize("name, loss", [("mse", SQUARED_ERROR), ("bce", LOG_LOSS)])
@pytest.mark.parametrize("scale", [1.0, 300.0])
def test_loss_and_gradient_match_reference(rng, n, d, name, loss, scale):
    X, y, theta = _problem(rng, n, d, loss, scale)
    g_kernel, g_ref = np.empty(d + 1), np.empty(d + 1)
    v_kernel = getattr(kernels, f"{name}_loss_grad")(X, y, theta, g_kernel)
    v_ref = getattr(reference, f"{name}_loss_grad")(X, y, theta, g_ref)
    assert_close(v_kernel, v_ref)
    assert_close(g_kernel, g_ref, atol=1e-14 * np.abs(g_ref).max())
    assert_close(getattr(kernels, f"{name}_loss")(X, y, theta), v_ref)
    assert_close(getattr(reference, f"{name}_loss")(X, y, theta), v_ref)


@pytest.mark.parametrize("name, loss", [("mse", SQUARED_ERROR), ("bce", LOG_LOSS)])
def test_gradient_matches_central_differences(rng, name, loss):
    X, y, theta = _problem(rng, 40, 3, loss)
    grad = np.empty(4)
    getattr(kernels, f"{name}_loss_grad")(X, y, theta, grad)
    f = getattr(kernels, f"{name}_loss")
    h = 1e-6
    for j in range(4):
        step = np.zeros(4)
        step[j] = h
        numeric = (f(X, y, theta + step) - f(X, y, theta - step)) / (2 * h)
        assert_close(grad[j], numeric, rtol=1e-7, atol=1e-9)


def test_losses_against_textbook_formulas(rng):
    X, y, theta = _problem(rng, 30, 2, LOG_LOSS)
    z = theta[0] + X @ theta[1:]
    p = 1 / (1 + np.exp(-z))
    assert_close(
        kernels.bce_loss(X, y, theta), -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-12
    )
    assert_close(kernels.mse_loss(X, y, theta), np.mean((z - y) ** 2), rtol=1e-12)
    assert_close(kernels.linear_logits(X, theta, np.empty(30)), z, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bce_is_exact_and_finite_at_extreme_logits(backend):
    z = np.array([800.0, -800.0, 800.0, -800.0, 40.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    # Confidently right costs exp(-800) (0 in float64) and log1p(exp(-40)); wrong costs 800.
    expected = (0.0 + 0.0 + 800.0 + 800.0 + np.log1p(np.exp(-40.0))) / 5
    assert backend.bce_from_logits(z, y) == pytest.approx(expected, rel=1e-15)


def test_bce_from_logits_matches_reference(rng):
    z = np.concatenate([rng.normal(0, 10, 500), [800.0, -800.0]])
    y = (rng.random(z.size) < 0.5).astype(float)
    assert_close(kernels.bce_from_logits(z, y), reference.bce_from_logits(z, y))


def _train(
    backend,
    solver,
    X,
    y,
    theta0,
    loss,
    lr,
    n_iter,
    fit_intercept,
    order=None,
    batch_size=4,
    record_every=3,
    alpha=0.0,
):
    theta = theta0.copy()
    curve = np.full(n_iter, np.nan)
    trajectory = np.full((-(-n_iter // record_every) + 1, theta.size), np.nan)
    tail = (curve, trajectory, record_every, linear_state(theta))
    if solver == "gd":
        done = backend.linear_gd(X, y, theta, loss, lr, alpha, fit_intercept, *tail)
    elif solver == "sgd":
        done = backend.linear_sgd(X, y, theta, loss, lr, alpha, fit_intercept, order, *tail)
    else:
        done = backend.linear_minibatch(
            X, y, theta, loss, lr, alpha, fit_intercept, order, batch_size, *tail
        )
    return done, theta, curve, trajectory


@pytest.mark.parametrize("solver", ["gd", "sgd", "minibatch"])
@pytest.mark.parametrize("loss", [SQUARED_ERROR, LOG_LOSS])
@pytest.mark.parametrize("n, d", SHAPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_training_loop_matches_reference(rng, solver, loss, n, d, fit_intercept, alpha):
    X, y, theta0 = _problem(rng, n, d, loss)
    if not fit_intercept:
        theta0[0] = 0.0
    n_iter = 10
    order = sample_orders(rng, n, n_iter)
    lr = 0.05
    args = (solver, X, y, theta0, loss, lr, n_iter, fit_intercept, order)
    got = _train(kernels, *args, alpha=alpha)
    expected = _train(reference, *args, alpha=alpha)
    if alpha:  # the penalty changed the steps
        assert np.abs(got[1] - _train(reference, *args)[1]).max() > 1e-6
    assert got[0] == expected[0] == n_iter
    for a, b in zip(got[1:], expected[1:], strict=True):
        assert_close(a, b, rtol=1e-12, atol=1e-14)
    theta, curve, trajectory = got[1:]
    assert np.all(np.isfinite(curve)) and np.all(np.isfinite(trajectory))
    assert_close(trajectory[0], theta0, rtol=0)
    assert_close(trajectory[-1], theta, rtol=0)
    if not fit_intercept:
        assert theta[0] == 0.0


def test_gd_loop_equals_repeated_gradient_steps(rng):
    X, y, theta0 = _problem(rng, 20, 2, SQUARED_ERROR)
    done, theta, curve, trajectory = _train(
        kernels, "gd", X, y, theta0, SQUARED_ERROR, 0.1, 6, True, record_every=1
    )
    manual = theta0.copy()
    for t in range(6):
        grad = np.empty(3)
        assert_close(curve[t], reference.mse_loss_grad(X, y, manual, grad))
        assert_close(trajectory[t], manual, atol=1e-14)
        manual = manual - 0.1 * grad
    assert_close(theta, manual, atol=1e-14)


@pytest.mark.parametrize("alpha", [0.0, 0.4])
def test_sgd_is_minibatch_of_one(rng, alpha):
    X, y, theta0 = _problem(rng, 12, 2, LOG_LOSS)
    order = sample_orders(rng, 12, 5)
    args = (X, y, theta0, LOG_LOSS, 0.3, 5, True, order)
    a = _train(kernels, "sgd", *args, alpha=alpha)
    b = _train(kernels, "minibatch", *args, batch_size=1, alpha=alpha)
    for u, v in zip(a, b, strict=True):  # the one-sample path without batch machinery
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("solver", ["gd", "sgd", "minibatch"])
def test_divergence_stops_at_the_first_loss_past_the_limit(backend, solver, rng):
    X, y, theta0 = _problem(rng, 30, 2, SQUARED_ERROR)
    X *= 10
    n_iter = 5000
    order = sample_orders(rng, 30, n_iter) if solver != "gd" else None
    done, theta, curve, trajectory = _train(
        backend, solver, X, y, theta0, SQUARED_ERROR, 10.0, n_iter, True, order, record_every=1
    )
    assert 0 < done < n_iter
    assert np.all(curve[:done] <= DIVERGENCE_RATIO * curve[0])
    assert np.all(np.isnan(curve[done:]))  # untouched after the stop
    assert np.all(np.isfinite(theta))
    # theta is the last iterate whose (batch) loss was finite, and closes the trajectory
    if solver == "gd":
        assert_close(backend.mse_loss(X, y, theta), curve[done - 1])
    assert_close(trajectory[done], theta, rtol=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("z, y", [(40.0, 1.0), (-40.0, 0.0), (700.0, 1.0), (36.5, 1.0)])
def test_bce_of_a_confident_right_answer_keeps_every_digit(backend, z, y):
    # max(z, 0) - y z is exactly 0 here; only log1p(exp(-|z|)) remains, about 4e-18 at 40.
    expected = np.log1p(np.exp(-abs(z)))
    assert backend.bce_from_logits(np.array([z]), np.array([y])) == pytest.approx(
        expected, rel=1e-15
    )
    X, theta = np.array([[1.0]]), np.array([0.0, z])
    assert backend.bce_loss(X, np.array([y]), theta) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("solver", ["gd", "minibatch"])
def test_parallel_build_returns_the_same_numbers(solver):
    # Large enough for the chunked path: the serial and the threaded build add the same
    # chunk sums in the same order (compiled separately, so the last bit may differ).
    rng = np.random.default_rng(3)
    X, y, theta0 = _problem(rng, 60_000, 3, LOG_LOSS)
    order = sample_orders(rng, 60_000, 2)
    results = []
    assert linear_threaded(40_000, 3)
    for threaded in (False, True):
        theta = theta0.copy()
        curve = np.empty(2)
        kernel = training_loop(kernels, f"linear_{solver}", threaded)
        args = (order, 40_000) if solver == "minibatch" else ()
        state = linear_state(theta)
        kernel(X, y, theta, LOG_LOSS, 0.5, 0.3, True, *args, curve, np.empty((0, 4)), 1, state)
        results.append((theta, curve))
    assert_close(results[0][0], results[1][0], rtol=1e-13)
    assert_close(results[0][1], results[1][1], rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("solver", ["gd", "sgd", "minibatch"])
def test_a_loss_growing_by_orders_of_magnitude_is_divergence_before_any_overflow(
    backend, solver, rng
):
    X, y, theta0 = _problem(rng, 30, 2, SQUARED_ERROR)
    order = sample_orders(rng, 30, 200) if solver != "gd" else None
    lr = {"gd": 1.2, "sgd": 0.9, "minibatch": 1.5}[solver] / np.mean(X**2)
    done, theta, curve, _ = _train(
        backend, solver, X, y, theta0, SQUARED_ERROR, lr, 200, True, order, record_every=1
    )
    assert 0 < done < 200
    if solver == "gd":  # the loss grows by a factor per step, and GD stops once it is 1e4
        assert curve[done - 1] > 10 * curve[0]
    # every recorded loss is within the limit: the run stopped far from any overflow
    assert np.all(np.isfinite(curve[:done]))
    assert np.max(curve[:done]) <= DIVERGENCE_RATIO * curve[0] < 1e30


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_run_cut_into_calls_takes_the_steps_of_one_call_divergence_included(backend, rng):
    X, y, theta0 = _problem(rng, 30, 2, SQUARED_ERROR)
    lr = 1.2 / np.mean(X**2)
    whole = _train(backend, "gd", X, y, theta0, SQUARED_ERROR, lr, 200, True)
    theta = theta0.copy()
    state = linear_state(theta)
    curve = np.full(200, np.nan)
    none = np.empty((0, 3))
    done = 0
    for calls in (slice(0, 3), slice(3, whole[0]), slice(whole[0], 200)):  # stops in call 3
        done += backend.linear_gd(X, y, theta, 0, lr, 0.0, True, curve[calls], none, 1, state)
        assert state[0] == DIVERGENCE_RATIO * curve[0]
    assert done == whole[0]
    np.testing.assert_array_equal(theta, whole[1])
    np.testing.assert_array_equal(curve, whole[2])
