"""MLP kernels (forward, loss from logits, backprop, training loop) against their numpy twins."""

import numpy as np
import pytest

from fastnn import kernels, reference
from fastnn._builds import mlp_threaded, training_loop
from fastnn._codes import (
    ACTIVATION_CODES,
    ADAM,
    CONVERGED,
    DIVERGED,
    LOG_LOSS,
    MAX_ITER,
    MOMENTUM,
    SOFTMAX_LOG_LOSS,
    SQUARED_ERROR,
)
from fastnn._training import mlp_settings, mlp_state
from fastnn.layout import MLPLayout
from fastnn.optim import sample_orders
from tests.conftest import assert_close, table

ACTIVATIONS = list(ACTIVATION_CODES)
LOSSES = [SQUARED_ERROR, LOG_LOSS, SOFTMAX_LOG_LOSS]
# (hidden layers, n_inputs): no hidden layer, the lecture's, deeper, and layers large enough
# (>= 4096 weights) to take the BLAS path.
ARCHITECTURES = [((), 3), ((10,), 2), ((7, 5), 3), ((3, 4, 3), 1), ((80, 64), 6)]


def _targets(rng, n, loss, n_out):
    if loss == SQUARED_ERROR:
        return rng.normal(size=(n, n_out)) * 2
    if loss == LOG_LOSS:
        return (rng.random((n, 1)) < 0.5).astype(float)
    return np.eye(n_out)[rng.integers(0, n_out, n)]


def _network(rng, hidden, n_in, loss, scale=1.0):
    n_out = 1 if loss == LOG_LOSS else 3
    layout = MLPLayout((n_in, *hidden, n_out))
    return layout, rng.normal(size=layout.n_params) * scale


@pytest.mark.parametrize("hidden, n_in", ARCHITECTURES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("n", [1, 7, 300])
def test_loss_grad_and_logits_match_reference(rng, hidden, n_in, activation, loss, n):
    layout, theta = _network(rng, hidden, n_in, loss)
    X = rng.normal(size=(n, n_in))
    Y = _targets(rng, n, loss, layout.sizes[-1])
    g_kernel, g_ref = np.empty(layout.n_params), np.empty(layout.n_params)
    v_kernel = kernels.mlp_loss_grad(
        X, Y, theta, layout.sizes, table(activation, layout.sizes), loss, g_kernel
    )
    v_ref = reference.mlp_loss_grad(
        X, Y, theta, layout.sizes, table(activation, layout.sizes), loss, g_ref
    )
    assert_close(v_kernel, v_ref, rtol=1e-10)
    assert_close(g_kernel, g_ref, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(g_ref).max()))
    shape = (n, layout.sizes[-1])
    z_kernel = kernels.mlp_logits(
        X, theta, layout.sizes, table(activation, layout.sizes), np.empty(shape)
    )
    z_ref = reference.mlp_logits(
        X, theta, layout.sizes, table(activation, layout.sizes), np.empty(shape)
    )
    assert_close(z_kernel, z_ref, rtol=1e-10, atol=1e-12 * np.abs(z_ref).max())
    assert_close(
        kernels.output_loss(z_ref, Y, loss), reference.output_loss(z_ref, Y, loss), rtol=1e-12
    )
    assert_close(kernels.output_loss(z_kernel, Y, loss), v_kernel, rtol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    "hidden",
    [
        (60, 60),  # 3000 samples x 4.1k parameters: groups of chunks on all threads
        (64, 64),  # 4096 weights: BLAS products on wide chunks (2048 + 952 samples)
    ],
)
def test_large_batches_match_reference(activation, hidden):
    rng = np.random.default_rng(5)
    layout, theta = _network(rng, hidden, 4, SOFTMAX_LOG_LOSS, scale=0.3)
    X = rng.normal(size=(3000, 4))
    Y = _targets(rng, 3000, SOFTMAX_LOG_LOSS, 3)
    g_kernel, g_ref = np.empty(layout.n_params), np.empty(layout.n_params)
    v_kernel = kernels.mlp_loss_grad(
        X, Y, theta, layout.sizes, table(activation, layout.sizes), SOFTMAX_LOG_LOSS, g_kernel
    )
    v_ref = reference.mlp_loss_grad(
        X, Y, theta, layout.sizes, table(activation, layout.sizes), SOFTMAX_LOG_LOSS, g_ref
    )
    assert_close(v_kernel, v_ref, rtol=1e-10)
    assert_close(g_kernel, g_ref, rtol=1e-9, atol=1e-12 * np.abs(g_ref).max())


@pytest.mark.parametrize("loss", LOSSES)
def test_loss_from_extreme_logits_is_exact(loss):
    z = np.array([[800.0, -800.0, 0.0], [-800.0, 800.0, 5.0]])
    if loss == LOG_LOSS:
        Z, Y = z[:, :1], np.array([[1.0], [0.0]])
        expected = (0.0 + 0.0) / 2  # both confidently right: exp(-800) underflows to 0
    elif loss == SOFTMAX_LOG_LOSS:
        Z, Y = z, np.array([[1.0, 0, 0], [0, 1.0, 0]])
        expected = (np.log1p(np.exp(-800.0)) + np.log1p(np.exp(-795.0))) / 2
    else:
        Z, Y = z, np.zeros((2, 3))
        expected = np.mean(z**2)
    for backend in (kernels, reference):
        assert backend.output_loss(Z, Y, loss) == pytest.approx(expected, abs=1e-300, rel=1e-15)


def test_softmax_keeps_tiny_losses():
    # The true class wins by 40: the loss is log1p(2 exp(-40)) ~ 8.5e-18, not 0.
    Z = np.array([[40.0, 0.0, 0.0]])
    Y = np.array([[1.0, 0.0, 0.0]])
    assert kernels.output_loss(Z, Y, SOFTMAX_LOG_LOSS) == pytest.approx(
        np.log1p(2 * np.exp(-40.0)), rel=1e-14
    )


def _train(
    backend,
    X,
    Y,
    theta0,
    layout,
    activation,
    loss,
    optimizer,
    order,
    batch_size,
    tol=-1.0,
    lr=0.05,
    momentum=0.0,
    n_epochs=8,
    record_every=2,
):
    theta = theta0.copy()
    curve = np.full(n_epochs, np.nan)
    trajectory = np.full((-(-n_epochs // record_every) + 1, theta.size), np.nan)
    settings = mlp_settings(
        optimizer=optimizer,
        lr=lr,
        batch_size=batch_size,
        momentum=momentum,
        tol=None if tol < 0 else tol,
        n_iter_no_change=2,
    )
    done, reason = backend.mlp_train(
        X,
        Y,
        theta,
        layout.sizes,
        table(activation, layout.sizes),
        loss,
        settings,
        order,
        mlp_state(theta),
        curve,
        trajectory,
        record_every,
    )
    return int(done), int(reason), theta, curve, trajectory


SOLVERS = {  # optimizer code, momentum, full batch?
    "gd": (MOMENTUM, 0.0, True),
    "minibatch": (MOMENTUM, 0.0, False),
    "momentum": (MOMENTUM, 0.9, False),
    "adam": (ADAM, 0.0, False),
}


@pytest.mark.parametrize(
    "solver, batch_size",
    [(s, b) for s, spec in SOLVERS.items() for b in ((40,) if spec[2] else (1, 16))],
)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_training_loop_matches_reference(rng, solver, batch_size, activation, loss):
    optimizer, momentum, full = SOLVERS[solver]
    layout, theta0 = _network(rng, (6, 4), 2, loss, scale=0.5)
    X = rng.normal(size=(40, 2))
    Y = _targets(rng, 40, loss, layout.sizes[-1])
    order = np.empty((0, 40), dtype=np.int64) if full else sample_orders(rng, 40, 8)
    args = (X, Y, theta0, layout, activation, loss, optimizer, order, batch_size)
    # A step small enough that training is not chaotic: rounding differences then stay
    # at rounding level instead of being amplified epoch after epoch.
    got = _train(kernels, *args, momentum=momentum, lr=0.01)
    expected = _train(reference, *args, momentum=momentum, lr=0.01)
    assert got[:2] == expected[:2] == (8, MAX_ITER)
    for a, b in zip(got[2:], expected[2:], strict=True):
        assert_close(a, b, rtol=1e-9, atol=1e-12)
    theta, curve, trajectory = got[2:]
    assert_close(trajectory[0], theta0, rtol=0)
    assert_close(trajectory[-1], theta, rtol=0)
    assert np.all(np.isfinite(curve))


def test_full_batch_gd_is_repeated_gradient_steps(rng):
    layout, theta0 = _network(rng, (5,), 2, LOG_LOSS)
    X = rng.normal(size=(30, 2))
    Y = _targets(rng, 30, LOG_LOSS, 1)
    done, _, theta, curve, _ = _train(
        kernels,
        X,
        Y,
        theta0,
        layout,
        table("tanh", layout.sizes),
        LOG_LOSS,
        MOMENTUM,
        np.empty((0, 30), dtype=np.int64),
        30,
        lr=0.3,
        n_epochs=5,
    )
    manual = theta0.copy()
    for t in range(5):
        grad = np.empty(layout.n_params)
        assert_close(
            curve[t],
            reference.mlp_loss_grad(
                X, Y, manual, layout.sizes, table("tanh", layout.sizes), LOG_LOSS, grad
            ),
            rtol=1e-12,
        )
        manual -= 0.3 * grad
    assert_close(theta, manual, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("backend", [kernels, reference])
def test_early_stopping_follows_scikit_learns_rule(backend, rng):
    layout, theta0 = _network(rng, (3,), 2, SQUARED_ERROR)
    X = rng.normal(size=(20, 2))
    Y = _targets(rng, 20, SQUARED_ERROR, 3)
    # A huge tol: no epoch ever improves by it, so training stops after n_iter_no_change + 1
    # (= 3) stalled epochs following the first one.
    done, reason, *_ = _train(
        backend,
        X,
        Y,
        theta0,
        layout,
        table("sigmoid", layout.sizes),
        SQUARED_ERROR,
        ADAM,
        sample_orders(rng, 20, 50),
        5,
        tol=1e6,
        n_epochs=50,
    )
    assert (done, reason) == (4, CONVERGED)


@pytest.mark.parametrize("backend", [kernels, reference])
def test_divergence_stops_and_restores(backend, rng):
    layout, theta0 = _network(rng, (4,), 2, SQUARED_ERROR)
    X = rng.normal(size=(30, 2)) * 30
    Y = _targets(rng, 30, SQUARED_ERROR, 3) * 100
    done, reason, theta, curve, trajectory = _train(
        backend,
        X,
        Y,
        theta0,
        layout,
        table("relu", layout.sizes),
        SQUARED_ERROR,
        MOMENTUM,
        np.empty((0, 30), dtype=np.int64),
        30,
        lr=5.0,
        n_epochs=500,
        record_every=1,
    )
    assert reason == DIVERGED and 0 < done < 500
    assert np.all(np.isfinite(curve[:done])) and np.all(np.isnan(curve[done:]))
    assert np.all(np.isfinite(theta))
    assert_close(trajectory[done], theta, rtol=0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_backprop_matches_central_differences(activation, loss):
    rng = np.random.default_rng(11)
    layout, theta = _network(rng, (5, 4), 3, loss, scale=0.7)
    X = rng.normal(size=(25, 3))
    Y = _targets(rng, 25, loss, layout.sizes[-1])
    grad = np.empty(layout.n_params)
    kernels.mlp_loss_grad(X, Y, theta, layout.sizes, table(activation, layout.sizes), loss, grad)
    h = 1e-6
    for p in range(layout.n_params):
        step = np.zeros(layout.n_params)
        step[p] = h
        g = np.empty(layout.n_params)
        up = kernels.mlp_loss_grad(
            X, Y, theta + step, layout.sizes, table(activation, layout.sizes), loss, g
        )
        down = kernels.mlp_loss_grad(
            X, Y, theta - step, layout.sizes, table(activation, layout.sizes), loss, g
        )
        assert_close(grad[p], (up - down) / (2 * h), rtol=1e-6, atol=1e-8)


def test_parallel_training_build_returns_the_same_numbers():
    rng = np.random.default_rng(9)
    layout, theta0 = _network(rng, (40, 40), 3, LOG_LOSS, scale=0.3)
    X = rng.normal(size=(3000, 3))
    Y = _targets(rng, 3000, LOG_LOSS, 1)
    full = np.empty((0, 3000), dtype=np.int64)
    outputs = []
    settings = mlp_settings(optimizer=MOMENTUM, lr=0.1, batch_size=3000)
    assert mlp_threaded(layout.sizes, 3000)
    for threaded in (False, True):
        theta = theta0.copy()
        curve = np.empty(3)
        training_loop(kernels, "mlp_train", threaded)(
            X,
            Y,
            theta,
            layout.sizes,
            table("tanh", layout.sizes),
            LOG_LOSS,
            settings,
            full,
            mlp_state(theta),
            curve,
            np.empty((0, theta.size)),
            1,
        )
        outputs.append((theta, curve))
    # Same chunk groups in the same order; compiled separately, so the last bit may differ.
    assert_close(outputs[0][0], outputs[1][0], rtol=1e-12)
    assert_close(outputs[0][1], outputs[1][1], rtol=1e-12)
