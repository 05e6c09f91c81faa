"""numpy twins of :mod:`fastnn.kernels.train_linear` (the correctness oracle).

Same contract, documented in the kernel module; the loops are plain Python
around vectorised numpy per (mini)batch.
"""

from __future__ import annotations

import numpy as np

from fastnn._codes import DIVERGENCE_FLOOR, DIVERGENCE_RATIO
from fastnn.reference.linear import _loss_grad


def _diverged(value, limit):
    """Whether a run's loss ``value`` means divergence; the run's first loss sets ``limit[0]``."""
    if not np.isfinite(value):
        return True
    if np.isnan(limit[0]):
        limit[0] = DIVERGENCE_RATIO * max(value, DIVERGENCE_FLOOR)
        return False
    return value > limit[0]


def _record_start(trajectory, t, record_every, theta):
    if trajectory.shape[0] > 0 and t % record_every == 0:
        trajectory[t // record_every] = theta


def _record_final(trajectory, n_done, record_every, theta):
    if trajectory.shape[0] > 0:
        trajectory[-(-n_done // record_every)] = theta


def _penalise(theta, grad, alpha, count):
    """Add the L2 penalty's gradient ``alpha / count * w`` to ``grad``; return the penalty."""
    scale = alpha / count
    grad[1:] += scale * theta[1:]
    return 0.5 * scale * float(theta[1:] @ theta[1:])


def _descend(theta, grad, lr, fit_intercept, previous):
    previous[:] = theta
    first = 0 if fit_intercept else 1
    theta[first:] -= lr * grad[first:]


def linear_gd(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    loss: int,
    lr: float,
    alpha: float,
    fit_intercept: bool,
    loss_curve: np.ndarray,
    trajectory: np.ndarray,
    record_every: int,
    state: np.ndarray,
) -> int:
    """Full-batch gradient descent for ``loss_curve.size`` iterations."""
    grad = np.empty_like(theta)
    limit, previous = state[:1], state[1:]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(loss_curve.size):
            _record_start(trajectory, t, record_every, theta)
            value = _loss_grad(X, y, theta, loss, grad)
            if alpha > 0.0:
                value += _penalise(theta, grad, alpha, X.shape[0])
            if _diverged(value, limit):
                theta[:] = previous
                _record_final(trajectory, t, record_every, theta)
                return t
            loss_curve[t] = value
            _descend(theta, grad, lr, fit_intercept, previous)
    _record_final(trajectory, loss_curve.size, record_every, theta)
    return loss_curve.size


def linear_minibatch(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    loss: int,
    lr: float,
    alpha: float,
    fit_intercept: bool,
    order: np.ndarray,
    batch_size: int,
    loss_curve: np.ndarray,
    trajectory: np.ndarray,
    record_every: int,
    state: np.ndarray,
) -> int:
    """Minibatch gradient descent over ``order.shape[0]`` epochs."""
    n_epochs, n = order.shape
    grad = np.empty_like(theta)
    limit, previous = state[:1], state[1:]
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(n_epochs):
            _record_start(trajectory, epoch, record_every, theta)
            total = 0.0
            for start in range(0, n, batch_size):
                batch = order[epoch, start : start + batch_size]
                value = _loss_grad(X[batch], y[batch], theta, loss, grad)
                if alpha > 0.0:
                    value += _penalise(theta, grad, alpha, batch.size)
                if not np.isfinite(value):
                    theta[:] = previous
                    _record_final(trajectory, epoch, record_every, theta)
                    return epoch
                total += value * batch.size
                _descend(theta, grad, lr, fit_intercept, previous)
            if _diverged(total / n, limit):
                theta[:] = previous
                _record_final(trajectory, epoch, record_every, theta)
                return epoch
            loss_curve[epoch] = total / n
    _record_final(trajectory, n_epochs, record_every, theta)
    return n_epochs


def linear_sgd(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    loss: int,
    lr: float,
    alpha: float,
    fit_intercept: bool,
    order: np.ndarray,
    loss_curve: np.ndarray,
    trajectory: np.ndarray,
    record_every: int,
    state: np.ndarray,
) -> int:
    """Stochastic gradient descent: one update per sample, ``order.shape[0]`` epochs."""
    return linear_minibatch(
        X,
        y,
        theta,
        loss,
        lr,
        alpha,
        fit_intercept,
        order,
        1,
        loss_curve,
        trajectory,
        record_every,
        state,
    )
