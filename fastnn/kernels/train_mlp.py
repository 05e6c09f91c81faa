"""The MLP training loop, whole inside numba: every solver, every epoch, one call.

Contract (reference: :mod:`fastnn.reference.train_mlp`):

* ``theta`` is updated in place; ``sizes``/``activation``/``loss`` as in
  :mod:`fastnn.kernels.mlp`;
* ``order`` holds one permutation of the samples per epoch (drawn by the caller),
  cut into batches of ``batch_size``; an ``order`` with no rows means full-batch
  gradient descent (one step per epoch, samples in their order);
* ``optimizer`` is ``MOMENTUM`` (``v = momentum v - lr grad; theta += v``, plain
  steps when ``momentum`` is 0) or ``ADAM`` (scikit-learn's form, bias-corrected
  step size);
* ``loss_curve[e]`` gets the batch-size-weighted mean of epoch ``e``'s batch losses;
  ``trajectory`` rows as in :mod:`fastnn.kernels.train_linear`;
* with ``tol >= 0``, training stops once the epoch loss has not improved on the best
  by ``tol`` for more than ``n_iter_no_change`` epochs (scikit-learn's rule);
* returns ``(epochs completed, reason)`` with a reason code from :mod:`fastnn._codes`;
  on a non-finite loss theta goes back to the last iterate whose loss was finite.

Compiled twice from one inlined body, as the linear loops are (see
:mod:`fastnn.kernels.train_linear`): ``mlp_train`` serially, ``mlp_train_parallel`` for
threads; :func:`fastnn.kernels.mlp._parallel_worthwhile` tells which to call.
"""

from __future__ import annotations

import numpy as np

from fastnn._codes import ADAM, CONVERGED, DIVERGED, MAX_ITER
from fastnn._numba import njit
from fastnn.kernels.mlp import _batch_loss_grad, _offsets, _workspace
from fastnn.kernels.train_linear import _record_final, _record_start


@njit()
def _update(theta, grad, optimizer, lr, momentum, beta_1, beta_2, epsilon, step, first, second):
    if optimizer == ADAM:
        step_size = lr * np.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
        for p in range(theta.size):
            g = grad[p]
            first[p] = beta_1 * first[p] + (1.0 - beta_1) * g
            second[p] = beta_2 * second[p] + (1.0 - beta_2) * g * g
            theta[p] -= step_size * first[p] / (np.sqrt(second[p]) + epsilon)
    else:
        for p in range(theta.size):
            first[p] = momentum * first[p] - lr * grad[p]
            theta[p] += first[p]


@njit(inline=True)
def _train(
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
    n = X.shape[0]
    full_batch = order.shape[0] == 0
    batch = n if full_batch else min(batch_size, n)
    in_order = np.arange(n)
    grad = np.empty(theta.size)
    first = np.zeros(theta.size)
    second = np.zeros(theta.size)
    previous = theta.copy()
    offsets = _offsets(sizes)
    workspace = _workspace(sizes, batch)
    best = np.inf
    stalled = 0
    step = 0
    for epoch in range(loss_curve.size):
        _record_start(trajectory, epoch, record_every, theta)
        idx = in_order if full_batch else order[epoch]
        total = 0.0
        for lo in range(0, n, batch):
            hi = min(lo + batch, n)
            value = _batch_loss_grad(
                X, Y, idx, lo, hi, theta, sizes, activation, loss, offsets, workspace, grad
            )
            if not np.isfinite(value):
                theta[:] = previous
                _record_final(trajectory, epoch, record_every, theta)
                return epoch, DIVERGED
            total += value * (hi - lo)
            previous[:] = theta
            step += 1
            _update(
                theta, grad, optimizer, lr, momentum, beta_1, beta_2, epsilon, step, first, second
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


@njit()
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
    return _train(
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


@njit(parallel=True)
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
    """:func:`mlp_train` compiled for threads: worth it for large batches of small networks."""
    return _train(
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
