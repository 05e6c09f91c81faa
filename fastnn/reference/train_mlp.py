"""numpy twin of :mod:`fastnn.kernels.train_mlp` (same contract, documented there)."""

from __future__ import annotations

import numpy as np

from fastnn import _codes as codes
from fastnn._codes import ADAM, CONVERGED, DIVERGED, MAX_ITER
from fastnn.reference.mlp import mlp_loss_grad
from fastnn.reference.train_linear import _diverged, _record_final, _record_start


def _rates(settings, sizes):
    """The learning rate of every parameter: one per layer when the settings hold them."""
    if settings.size <= codes.SETTING_LAYER_RATES:
        return settings[codes.SETTING_LEARNING_RATE]
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    per_layer = [fan_in * fan_out + fan_out for fan_in, fan_out in pairs]
    return np.repeat(settings[codes.SETTING_LAYER_RATES :], per_layer)


def _update(theta, grad, settings, step, first, second, lr):
    if settings.size > codes.SETTING_LAYER_RATES:
        first[:] = settings[codes.SETTING_MOMENTUM] * first - lr * grad
        theta += first
        return
    if settings[codes.SETTING_OPTIMIZER] == ADAM:
        beta_1, beta_2 = settings[codes.SETTING_BETA_1], settings[codes.SETTING_BETA_2]
        step_size = lr * np.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
        first[:] = beta_1 * first + (1.0 - beta_1) * grad
        second[:] = beta_2 * second + (1.0 - beta_2) * grad * grad
        theta -= step_size * first / (np.sqrt(second) + settings[codes.SETTING_EPSILON])
    else:
        first[:] = settings[codes.SETTING_MOMENTUM] * first - lr * grad
        theta += first


def _weights(sizes, n_params):
    """Mask of the weights (not the biases) in a network's theta."""
    mask = np.zeros(n_params, bool)
    position = 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        mask[position : position + fan_in * fan_out] = True
        position += fan_in * fan_out + fan_out
    return mask


def _lacking_biases(code: float, weights: np.ndarray) -> np.ndarray:
    """Mask of the biases of the layers that have none under ``SETTING_BIASES`` ``code``."""
    if code == 1.0:
        return np.zeros_like(weights)
    lacking = ~weights
    if code == 0.0:
        return lacking
    starts = weights & ~np.concatenate([[False], weights[:-1]])  # each layer's first weight
    layer = np.cumsum(starts) - 1
    return lacking & ((int(-code) >> layer) & 1 == 0)


def _finish_step(theta, grad, value, settings, step, vectors, weights, rates, count):
    """A batch's penalty, bias rule and step (:func:`fastnn.kernels.train_mlp._finish_step`).

    ``vectors``: the first and second moments and the previous iterate.
    """
    first, second, previous = vectors
    alpha = settings[codes.SETTING_ALPHA]
    if alpha > 0.0:  # scikit-learn's L2 penalty, alpha / (2 B) ||W||^2
        value += 0.5 * alpha / count * np.sum(theta[weights] ** 2)
        grad[weights] += alpha / count * theta[weights]
    grad[_lacking_biases(settings[codes.SETTING_BIASES], weights)] = 0.0
    if not np.isfinite(value):
        theta[:] = previous
        return value
    previous[:] = theta
    _update(theta, grad, settings, step + 1, first, second, rates)
    return value


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
    n, n_params = X.shape[0], theta.size
    full_batch = order.shape[0] == 0
    batch = n if full_batch else min(int(settings[codes.SETTING_BATCH_SIZE]), n)
    tol = settings[codes.SETTING_TOL]
    weights = _weights(sizes, n_params)
    rates = _rates(settings, sizes)
    grad = np.empty_like(theta)
    first, second, previous = state[codes.STATE_VECTORS :].reshape(3, n_params)
    divergence = state[codes.STATE_LIMIT : codes.STATE_LIMIT + 1]
    best = state[codes.STATE_BEST_LOSS]
    stalled = int(state[codes.STATE_STALLED])
    step = int(state[codes.STATE_STEP])
    epochs, reason = loss_curve.size, MAX_ITER
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(loss_curve.size):
            _record_start(trajectory, epoch, record_every, theta)
            idx = np.arange(n) if full_batch else order[epoch]
            total = 0.0
            for lo in range(0, n, batch):
                rows = idx[lo : lo + batch]
                value = mlp_loss_grad(X[rows], Y[rows], theta, sizes, activation, loss, grad)
                value = _finish_step(theta, grad, value, settings, step, (first, second, previous),
                                    weights, rates, rows.size)  # fmt: skip
                if not np.isfinite(value):
                    epochs, reason = epoch, DIVERGED
                    break
                total += value * rows.size
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
                if stalled > settings[codes.SETTING_N_ITER_NO_CHANGE]:
                    epochs, reason = epoch + 1, CONVERGED
                    break
    _record_final(trajectory, epochs, record_every, theta)
    state[[codes.STATE_STEP, codes.STATE_BEST_LOSS, codes.STATE_STALLED]] = step, best, stalled
    return epochs, reason
