"""The MLP training loop, whole inside numba: every solver, every epoch, one call.

Contract (reference: :mod:`fastnn.reference.train_mlp`):

* ``theta`` is updated in place; ``sizes``/``activation``/``loss`` as in
  :mod:`fastnn.kernels.mlp`;
* ``settings`` holds the optimiser's settings at the positions ``SETTING_*`` of
  :mod:`fastnn._codes`: the optimizer code (``MOMENTUM``: ``v = momentum v - lr grad;
  theta += v``, plain steps when momentum is 0; ``ADAM``: scikit-learn's form,
  bias-corrected step size), learning rate, momentum, Adam's beta_1, beta_2 and
  epsilon, batch size, ``tol``, ``n_iter_no_change`` and ``alpha``: scikit-learn's
  L2 penalty, ``alpha / (2 B) * ||W||^2`` over every layer's weights (not the
  biases) added to each batch's loss of B samples, and its gradient to the batch's;
  ``SETTING_BIASES`` 0 trains no bias (their gradient is dropped: they stay put);
  a settings array longer than ``SETTING_LAYER_RATES`` holds one learning rate per
  layer from there on (its weights and biases; momentum and plain steps only);
* ``order`` holds one permutation of the samples per epoch (drawn by the caller),
  cut into batches of the batch size; an ``order`` with no rows means full-batch
  gradient descent (one step per epoch, samples in their order);
* ``state`` (``STATE_*`` positions, then the first and second moments and the
  previous iterate) carries the optimiser from one call to the next, so that a run
  cut into several calls takes exactly the steps of one; a new run starts from
  step 0, best loss +inf, nothing stalled, no divergence limit (NaN), zero moments
  and previous = theta;
* ``loss_curve[e]`` gets the batch-size-weighted mean of epoch ``e``'s batch losses;
  ``trajectory`` rows as in :mod:`fastnn.kernels.train_linear`;
* with ``tol >= 0``, training stops once the epoch loss has not improved on the best
  by ``tol`` for more than ``n_iter_no_change`` epochs (scikit-learn's rule);
* returns ``(epochs completed, reason)`` with a reason code from :mod:`fastnn._codes`;
  divergence as in :mod:`fastnn.kernels.train_linear` (a non-finite batch loss, or an
  epoch's mean loss above the limit the run's first epoch set in
  ``state[STATE_LIMIT]``): theta goes back to the iterate before the last step.

Compiled twice from one inlined body, as the linear loops are: ``mlp_train`` serially
and a private threaded build; :mod:`fastnn._builds` says which runs.
"""

from __future__ import annotations

import numpy as np

from fastnn._codes import (
    ADAM,
    CONVERGED,
    DIVERGED,
    MAX_ITER,
    SETTING_ALPHA,
    SETTING_BATCH_SIZE,
    SETTING_BETA_1,
    SETTING_BETA_2,
    SETTING_BIASES,
    SETTING_EPSILON,
    SETTING_LAYER_RATES,
    SETTING_LEARNING_RATE,
    SETTING_MOMENTUM,
    SETTING_N_ITER_NO_CHANGE,
    SETTING_OPTIMIZER,
    SETTING_TOL,
    STATE_BEST_LOSS,
    STATE_LIMIT,
    STATE_STALLED,
    STATE_STEP,
    STATE_VECTORS,
)
from fastnn._numba import njit
from fastnn.kernels.mlp import _batch_loss_grad, _offsets, _workspace
from fastnn.kernels.train_linear import _diverged, _record_final, _record_start


@njit()
def _update(theta, grad, settings, step, first, second, sizes, offsets):
    lr = settings[SETTING_LEARNING_RATE]
    if settings.size > SETTING_LAYER_RATES:  # one rate per layer (momentum / plain steps)
        momentum = settings[SETTING_MOMENTUM]
        w_start, b_start = offsets[0], offsets[1]
        for l in range(sizes.size - 1):
            rate = settings[SETTING_LAYER_RATES + l]
            for p in range(w_start[l], b_start[l] + sizes[l + 1]):
                first[p] = momentum * first[p] - rate * grad[p]
                theta[p] += first[p]
        return
    if settings[SETTING_OPTIMIZER] == ADAM:
        beta_1 = settings[SETTING_BETA_1]
        beta_2 = settings[SETTING_BETA_2]
        epsilon = settings[SETTING_EPSILON]
        step_size = lr * np.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
        for p in range(theta.size):
            g = grad[p]
            first[p] = beta_1 * first[p] + (1.0 - beta_1) * g
            second[p] = beta_2 * second[p] + (1.0 - beta_2) * g * g
            theta[p] -= step_size * first[p] / (np.sqrt(second[p]) + epsilon)
    else:
        momentum = settings[SETTING_MOMENTUM]
        for p in range(theta.size):
            first[p] = momentum * first[p] - lr * grad[p]
            theta[p] += first[p]


@njit()
def _add_penalty(theta, grad, sizes, offsets, alpha, count):
    """Add the L2 penalty's gradient ``alpha / count * W`` to ``grad``; return the penalty.

    The penalty is ``alpha / (2 count) * ||W||^2`` over every layer's weights.
    """
    w_start, b_start = offsets[0], offsets[1]
    scale = alpha / count
    squares = 0.0
    for l in range(sizes.size - 1):
        for p in range(w_start[l], b_start[l]):
            w = theta[p]
            squares += w * w
            grad[p] += scale * w
    return 0.5 * scale * squares


@njit()
def _loop_settings(settings, n, full_batch):
    """``(batch, tol, alpha, biases, n_iter_no_change)``: what a training loop reads once.

    ``biases`` is the ``SETTING_BIASES`` code (:func:`_has_biases` reads it).
    """
    return (
        n if full_batch else min(int(settings[SETTING_BATCH_SIZE]), n),
        settings[SETTING_TOL],
        settings[SETTING_ALPHA],
        settings[SETTING_BIASES],
        int(settings[SETTING_N_ITER_NO_CHANGE]),
    )


@njit(inline=True)
def _has_biases(biases, l):
    """Whether layer ``l`` has biases under the ``SETTING_BIASES`` code ``biases``."""
    if biases == 1.0:
        return True
    if biases == 0.0:
        return False
    return (int(-biases) >> l) & 1 == 1


@njit()
def _drop_bias_gradient(grad, sizes, offsets, biases):
    """Zero the gradient of the biases the network lacks: every optimiser leaves them be.

    ``grad`` is one network's (n_params,) or lanes' (n_params, lanes); ``offsets[1]``
    the first row of each layer's biases.
    """
    for l in range(sizes.size - 1):
        if not _has_biases(biases, l):
            grad[offsets[1][l] : offsets[1][l] + sizes[l + 1]] = 0.0


@njit()
def _finish_step(
    theta, grad, value, settings, step, first, second, previous, sizes, offsets, alpha,
    biases, count,
):  # fmt: skip
    """A batch's loss and gradient at ``theta`` -> its penalty, bias rule and step.

    Adds the L2 penalty (``alpha``) and drops the gradient of the biases the network
    lacks (``biases``, the ``SETTING_BIASES`` code);
    then either the batch's loss was not finite, ``theta`` goes back to ``previous`` (the
    iterate before the last step) and the non-finite loss is returned, or ``previous``
    takes ``theta`` and the optimiser takes step ``step + 1``.  Returns the batch's loss.
    """
    if alpha > 0.0:
        value += _add_penalty(theta, grad, sizes, offsets, alpha, count)
    if biases != 1.0:
        _drop_bias_gradient(grad, sizes, offsets, biases)
    if not np.isfinite(value):
        theta[:] = previous
        return value
    previous[:] = theta
    _update(theta, grad, settings, step + 1, first, second, sizes, offsets)
    return value


@njit(inline=True)
def _train(
    X,
    Y,
    theta,
    sizes,
    activation,
    loss,
    settings,
    order,
    state,
    loss_curve,
    trajectory,
    record_every,
):
    n = X.shape[0]
    n_params = theta.size
    full_batch = order.shape[0] == 0
    batch, tol, alpha, biases, n_iter_no_change = _loop_settings(settings, n, full_batch)
    in_order = np.arange(n)
    grad = np.empty(n_params)
    first = state[STATE_VECTORS : STATE_VECTORS + n_params]
    second = state[STATE_VECTORS + n_params : STATE_VECTORS + 2 * n_params]
    previous = state[STATE_VECTORS + 2 * n_params : STATE_VECTORS + 3 * n_params]
    offsets = _offsets(sizes)
    workspace = _workspace(sizes, batch, activation)
    divergence = state[STATE_LIMIT : STATE_LIMIT + 1]
    best = state[STATE_BEST_LOSS]
    stalled = int(state[STATE_STALLED])
    step = int(state[STATE_STEP])
    epochs, reason = loss_curve.size, MAX_ITER
    for epoch in range(loss_curve.size):
        _record_start(trajectory, epoch, record_every, theta)
        idx = in_order if full_batch else order[epoch]
        total = 0.0
        for lo in range(0, n, batch):
            hi = min(lo + batch, n)
            value = _batch_loss_grad(
                X, Y, idx, lo, hi, theta, sizes, activation, loss, offsets, workspace, grad
            )
            value = _finish_step(
                theta, grad, value, settings, step, first, second, previous, sizes, offsets,
                alpha, biases, hi - lo,
            )  # fmt: skip
            if not np.isfinite(value):
                epochs, reason = epoch, DIVERGED
                break
            total += value * (hi - lo)
            step += 1
        if reason == DIVERGED:
            break
        if _diverged(total / n, divergence):
            theta[:] = previous
            epochs, reason = epoch, DIVERGED
            break
        loss_curve[epoch] = total / n
        if tol >= 0.0:
            stalled = stalled + 1 if loss_curve[epoch] > best - tol else 0
            best = min(best, loss_curve[epoch])
            if stalled > n_iter_no_change:
                epochs, reason = epoch + 1, CONVERGED
                break
    _record_final(trajectory, epochs, record_every, theta)
    state[STATE_STEP] = step
    state[STATE_BEST_LOSS] = best
    state[STATE_STALLED] = stalled
    return epochs, reason


@njit()
def mlp_train(
    X: np.ndarray,
    Y: np.ndarray,
    theta: np.ndarray,
    sizes: np.ndarray,
    activation: np.ndarray,
    loss: int,
    settings: np.ndarray,
    order: np.ndarray,
    state: np.ndarray,
    loss_curve: np.ndarray,
    trajectory: np.ndarray,
    record_every: int,
) -> tuple[int, int]:
    """Train the network for up to ``loss_curve.size`` epochs; returns (epochs, reason)."""
    return _train(
        X,
        Y,
        theta,
        sizes,
        activation,
        loss,
        settings,
        order,
        state,
        loss_curve,
        trajectory,
        record_every,
    )


@njit(parallel=True)
def _mlp_train_threaded(
    X,
    Y,
    theta,
    sizes,
    activation,
    loss,
    settings,
    order,
    state,
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
        settings,
        order,
        state,
        loss_curve,
        trajectory,
        record_every,
    )
