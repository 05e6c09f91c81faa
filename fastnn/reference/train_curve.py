"""numpy twin of :mod:`fastnn.kernels.train_curve` (same contract, documented there)."""

from __future__ import annotations

import numpy as np

from fastnn import _codes as codes
from fastnn._codes import BEZIER, DIVERGED, MAX_ITER
from fastnn.reference.mlp import mlp_loss_grad
from fastnn.reference.train_linear import _diverged
from fastnn.reference.train_mlp import _finish_step, _rates, _weights


def _curve_weights(t, curve):
    """The weights of ``(theta_a, bend, theta_b)`` in ``theta(t)``."""
    if curve == BEZIER:
        return (1.0 - t) ** 2, 2.0 * t * (1.0 - t), t * t
    if t < 0.5:
        return 1.0 - 2.0 * t, 2.0 * t, 0.0
    return 0.0, 2.0 - 2.0 * t, 2.0 * t - 1.0


def curve_train(
    X: np.ndarray,
    Y: np.ndarray,
    theta_a: np.ndarray,
    bend: np.ndarray,
    theta_b: np.ndarray,
    sizes: np.ndarray,
    activation: np.ndarray,
    loss: int,
    curve: int,
    settings: np.ndarray,
    order: np.ndarray,
    ts: np.ndarray,
    state: np.ndarray,
    loss_curve: np.ndarray,
) -> tuple[int, int]:
    """Train ``bend`` for up to ``loss_curve.size`` epochs; returns (epochs, reason)."""
    n, n_params = X.shape[0], bend.size
    batch = min(int(settings[codes.SETTING_BATCH_SIZE]), n)
    weights = _weights(sizes, n_params)
    rates = _rates(settings, sizes)
    grad = np.empty_like(bend)
    first, second, previous = state[codes.STATE_VECTORS :].reshape(3, n_params)
    divergence = state[codes.STATE_LIMIT : codes.STATE_LIMIT + 1]
    step = int(state[codes.STATE_STEP])
    epochs, reason = loss_curve.size, MAX_ITER
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(loss_curve.size):
            total = 0.0
            for k, lo in enumerate(range(0, n, batch)):
                rows = order[epoch, lo : lo + batch]
                wa, wm, wb = _curve_weights(ts[epoch, k], curve)
                point = wa * theta_a + wm * bend + wb * theta_b
                value = mlp_loss_grad(X[rows], Y[rows], point, sizes, activation, loss, grad)
                grad *= wm
                value = _finish_step(bend, grad, value, settings, step, (first, second, previous),
                                    weights, rates, rows.size)  # fmt: skip
                if not np.isfinite(value):
                    epochs, reason = epoch, DIVERGED
                    break
                total += value * rows.size
                step += 1
            if reason == DIVERGED:
                break
            if _diverged(total / n, divergence):
                bend[:] = previous
                epochs, reason = epoch, DIVERGED
                break
            loss_curve[epoch] = total / n
    state[codes.STATE_STEP] = step
    return epochs, reason
