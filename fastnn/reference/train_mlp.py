"""numpy twin of :mod:`fastnn.kernels.train_mlp` (same contract, documented there)."""

from __future__ import annotations

import numpy as np

from fastnn._codes import ADAM, CONVERGED, DIVERGED, MAX_ITER
from fastnn.reference.mlp import mlp_loss_grad
from fastnn.reference.train_linear import _record_final, _record_start


def _update(theta, grad, optimizer, lr, momentum, beta_1, beta_2, epsilon, step, first, second):
    if optimizer == ADAM:
        step_size = lr * np.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
        first[:] = beta_1 * first + (1.0 - beta_1) * grad
        second[:] = beta_2 * second + (1.0 - beta_2) * grad * grad
        theta -= step_size * first / (np.sqrt(second) + epsilon)
    else:
        first[:] = momentum * first - lr * grad
        theta += first


def mlp_train(
    X,
    Y,
    theta,
    sizes,
    activation,
    loss,
    optimizer,
    lr,
    momentum,
    beta_1,
    beta_2,
    epsilon,
    order,
    batch_size,
    tol,
    n_iter_no_change,
    loss_curve,
    trajectory,
    record_every,
):
    """Train the network for up to ``loss_curve.size`` epochs; returns (epochs, reason)."""
    n = X.shape[0]
    full_batch = order.shape[0] == 0
    batch = n if full_batch else min(batch_size, n)
    grad = np.empty_like(theta)
    first = np.zeros_like(theta)
    second = np.zeros_like(theta)
    previous = theta.copy()
    best = np.inf
    stalled = 0
    step = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(loss_curve.size):
            _record_start(trajectory, epoch, record_every, theta)
            idx = np.arange(n) if full_batch else order[epoch]
            total = 0.0
            for lo in range(0, n, batch):
                rows = idx[lo : lo + batch]
                value = mlp_loss_grad(X[rows], Y[rows], theta, sizes, activation, loss, grad)
                if not np.isfinite(value):
                    theta[:] = previous
                    _record_final(trajectory, epoch, record_every, theta)
                    return epoch, DIVERGED
                total += value * rows.size
                previous[:] = theta
                step += 1
                _update(
                    theta,
                    grad,
                    optimizer,
                    lr,
                    momentum,
                    beta_1,
                    beta_2,
                    epsilon,
                    step,
                    first,
                    second,
                )
            loss_curve[epoch] = total / n
            if tol >= 0.0:
                stalled = stalled + 1 if loss_curve[epoch] > best - tol else 0
                best = min(best, loss_curve[epoch])
                if stalled > n_iter_no_change:
                    _record_final(trajectory, epoch + 1, record_every, theta)
                    return epoch + 1, CONVERGED
    _record_final(trajectory, loss_curve.size, record_every, theta)
    return loss_curve.size, MAX_ITER


def mlp_train_parallel(
    X,
    Y,
    theta,
    sizes,
    activation,
    loss,
    optimizer,
    lr,
    momentum,
    beta_1,
    beta_2,
    epsilon,
    order,
    batch_size,
    tol,
    n_iter_no_change,
    loss_curve,
    trajectory,
    record_every,
):
    """Same as :func:`mlp_train` (the numba twin runs on threads)."""
    return mlp_train(
        X,
        Y,
        theta,
        sizes,
        activation,
        loss,
        optimizer,
        lr,
        momentum,
        beta_1,
        beta_2,
        epsilon,
        order,
        batch_size,
        tol,
        n_iter_no_change,
        loss_curve,
        trajectory,
        record_every,
    )
