"""Training loops of the linear and logistic models, whole inside numba.

Common contract of the three loops (reference: :mod:`fastnn.reference.train_linear`):

* ``theta`` (``[intercept, w_1..w_d]``) is updated in place: on return it holds
  the final parameters;
* ``loss`` is a code from :mod:`fastnn._codes`; the gradient is that of the
  mean loss over the (mini)batch; ``fit_intercept=False`` freezes ``theta[0]``;
* ``alpha`` >= 0 adds scikit-learn's L2 penalty ``alpha / (2 m) * ||w||^2`` (the
  weights ``theta[1:]``, not the intercept) to the loss of each (mini)batch of m
  samples, and its gradient ``alpha / m * w`` to the batch's (the MLPs' form; for
  full-batch GD, scikit-learn LogisticRegression's objective with ``C = 1 / alpha``);
* ``loss_curve[t]`` receives the loss of iteration (GD) or epoch (SGD,
  minibatch) ``t``: for GD the loss at the iterate before its update, for the
  epoch loops the batch losses weighted by batch size (as scikit-learn does);
* when ``trajectory`` has rows, ``trajectory[k]`` receives theta at the start
  of iteration/epoch ``k * record_every`` and, in the row after the last of
  those, the final theta;
* sample orders are drawn by the caller (``order[epoch]`` is a permutation of
  the sample indices), so every backend sees the same draws;
* ``state`` carries a run from one call to the next, so that a run cut into several
  calls takes exactly the steps of one: ``state[0]`` the divergence limit (NaN until
  the run's first loss sets it), ``state[1:]`` the iterate before the last step (a new
  run: :func:`fastnn._training.linear_state`);
* the loop stops when the run diverges (:data:`fastnn._codes.DIVERGENCE_RATIO`): a
  non-finite loss, or an iteration's loss (GD) or an epoch's mean loss above the
  limit.  ``theta`` is set back to the iterate before the last step, the diverged
  loss is not recorded, and the number of completed iterations/epochs is returned
  (``loss_curve.size`` when nothing diverged).

GD and minibatch loops are compiled twice from one inlined body: serially (the
public kernels) and as private threaded builds; :mod:`fastnn._builds`
says which runs.
"""

from __future__ import annotations

import numpy as np

from fastnn._codes import DIVERGENCE_FLOOR, DIVERGENCE_RATIO
from fastnn._numba import njit
from fastnn.kernels.linear import _loss_and_residual, _loss_grad, _scratch


@njit()
def _diverged(value, limit):
    """Whether a run's loss ``value`` means divergence; the run's first loss sets ``limit[0]``."""
    if not np.isfinite(value):
        return True
    if np.isnan(limit[0]):
        limit[0] = DIVERGENCE_RATIO * max(value, DIVERGENCE_FLOOR)
        return False
    return value > limit[0]


@njit()
def _record_start(trajectory, t, record_every, theta):
    if trajectory.shape[0] > 0 and t % record_every == 0:
        trajectory[t // record_every, :] = theta


@njit()
def _record_final(trajectory, n_done, record_every, theta):
    if trajectory.shape[0] > 0:
        trajectory[(n_done + record_every - 1) // record_every, :] = theta


@njit()
def _penalise(theta, grad, alpha, count):
    """Add the L2 penalty's gradient ``alpha / count * w`` to ``grad``; return the penalty.

    The penalty is ``alpha / (2 count) * ||w||^2`` over the weights ``theta[1:]``.
    """
    scale = alpha / count
    squares = 0.0
    for j in range(1, theta.size):
        w = theta[j]
        squares += w * w
        grad[j] += scale * w
    return 0.5 * scale * squares


@njit()
def _descend(theta, grad, lr, fit_intercept, previous):
    """Keep theta in ``previous``, then take one step against the gradient."""
    previous[:] = theta
    first = 0 if fit_intercept else 1
    for j in range(first, theta.size):
        theta[j] -= lr * grad[j]


@njit(inline=True)
def _gd_iterations(
    X, y, theta, loss, lr, alpha, fit_intercept, loss_curve, trajectory, record_every, state
):
    scratch = _scratch()
    grad = np.empty(theta.size)
    limit, previous = state[:1], state[1:]
    for t in range(loss_curve.size):
        _record_start(trajectory, t, record_every, theta)
        value = _loss_grad(X, y, theta, loss, scratch, grad)
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


@njit()
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
    return _gd_iterations(
        X, y, theta, loss, lr, alpha, fit_intercept, loss_curve, trajectory, record_every, state
    )


@njit(parallel=True)
def _linear_gd_threaded(
    X, y, theta, loss, lr, alpha, fit_intercept, loss_curve, trajectory, record_every, state
):
    """:func:`linear_gd` compiled for threads: worth it for large batches only."""
    return _gd_iterations(
        X, y, theta, loss, lr, alpha, fit_intercept, loss_curve, trajectory, record_every, state
    )


@njit()
def _sgd_epoch(X, y, theta, loss, lr, alpha, fit_intercept, samples, previous):
    """One epoch of one-sample steps; returns (summed loss, steps done before a non-finite loss).

    The batch-of-one case of the minibatch loop without its batch machinery (gathering,
    blocks, a gradient vector): one dot product, one residual and one axpy per step,
    about 6x fewer instructions per step.
    """
    d = X.shape[1]
    first = 0 if fit_intercept else 1
    total = 0.0
    for k in range(samples.size):
        sample = samples[k]
        z = theta[0]
        for j in range(d):
            z += X[sample, j] * theta[j + 1]
        value, r = _loss_and_residual(z, y[sample], loss)
        if alpha > 0.0:
            squares = 0.0
            for j in range(d):
                squares += theta[j + 1] * theta[j + 1]
            value += 0.5 * alpha * squares
        if not np.isfinite(value):
            return total, k
        total += value
        previous[:] = theta
        if first == 0:
            theta[0] -= lr * r
        if alpha > 0.0:
            for j in range(d):
                theta[j + 1] -= lr * (r * X[sample, j] + alpha * theta[j + 1])
        else:
            for j in range(d):
                theta[j + 1] -= lr * (r * X[sample, j])
    return total, samples.size


@njit(inline=True)
def _minibatch_epochs(
    X,
    y,
    theta,
    loss,
    lr,
    alpha,
    fit_intercept,
    order,
    batch_size,
    loss_curve,
    trajectory,
    record_every,
    state,
):
    n_epochs, n = order.shape
    batch_size = min(batch_size, n)
    limit, previous = state[:1], state[1:]
    if batch_size == 1:
        for epoch in range(n_epochs):
            _record_start(trajectory, epoch, record_every, theta)
            total, done = _sgd_epoch(
                X, y, theta, loss, lr, alpha, fit_intercept, order[epoch], previous
            )
            if done < n or _diverged(total / n, limit):
                theta[:] = previous
                _record_final(trajectory, epoch, record_every, theta)
                return epoch
            loss_curve[epoch] = total / n
        _record_final(trajectory, n_epochs, record_every, theta)
        return n_epochs
    X_batch = np.empty((batch_size, X.shape[1]))
    y_batch = np.empty(batch_size)
    scratch = _scratch()
    grad = np.empty(theta.size)
    for epoch in range(n_epochs):
        _record_start(trajectory, epoch, record_every, theta)
        total = 0.0
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            for k in range(m):
                sample = order[epoch, start + k]
                X_batch[k, :] = X[sample, :]
                y_batch[k] = y[sample]
            value = _loss_grad(X_batch[:m], y_batch[:m], theta, loss, scratch, grad)
            if alpha > 0.0:
                value += _penalise(theta, grad, alpha, m)
            if not np.isfinite(value):
                theta[:] = previous
                _record_final(trajectory, epoch, record_every, theta)
                return epoch
            total += value * m
            _descend(theta, grad, lr, fit_intercept, previous)
        if _diverged(total / n, limit):
            theta[:] = previous
            _record_final(trajectory, epoch, record_every, theta)
            return epoch
        loss_curve[epoch] = total / n
    _record_final(trajectory, n_epochs, record_every, theta)
    return n_epochs


@njit()
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
    """Minibatch gradient descent over ``order.shape[0]`` epochs.

    Epoch ``e`` visits the samples ``order[e]`` in consecutive batches of
    ``batch_size`` (the last one may be smaller), one update per batch.
    """
    return _minibatch_epochs(
        X,
        y,
        theta,
        loss,
        lr,
        alpha,
        fit_intercept,
        order,
        batch_size,
        loss_curve,
        trajectory,
        record_every,
        state,
    )


@njit()
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
    return _minibatch_epochs(
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


@njit(parallel=True)
def _linear_minibatch_threaded(
    X,
    y,
    theta,
    loss,
    lr,
    alpha,
    fit_intercept,
    order,
    batch_size,
    loss_curve,
    trajectory,
    record_every,
    state,
):
    """:func:`linear_minibatch` compiled for threads: worth it for large batches only."""
    return _minibatch_epochs(
        X,
        y,
        theta,
        loss,
        lr,
        alpha,
        fit_intercept,
        order,
        batch_size,
        loss_curve,
        trajectory,
        record_every,
        state,
    )
