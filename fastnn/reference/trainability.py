"""numpy twin of :mod:`fastnn.kernels.trainability` (same contract, documented there)."""

from __future__ import annotations

import numpy as np

from fastnn._codes import (
    ALL_RATES,
    DIVERGED,
    DIVERGENCE_FLOOR,
    DIVERGENCE_RATIO,
    INIT_SCALE,
    MAX_ITER,
    SETTING_ALPHA,
    SETTING_LAYER_RATES,
    SETTING_LEARNING_RATE,
    STATE_BEST_LOSS,
    STATE_LIMIT,
    STATE_VECTORS,
    TAIL_EPOCHS,
)
from fastnn.reference.mlp import mlp_logits, output_loss
from fastnn.reference.train_mlp import _weights, mlp_train


def _objective(X, Y, theta, sizes, activation, loss, alpha):
    value = output_loss(mlp_logits(X, theta, sizes, activation, np.empty(Y.shape)), Y, loss)
    if alpha > 0.0:
        weights = theta[_weights(sizes, theta.size)]
        value += 0.5 * alpha / X.shape[0] * float(weights @ weights)
    return value


def _apply(target, value, settings, theta):
    if target == INIT_SCALE:
        theta *= value
    elif target == ALL_RATES:
        settings[SETTING_LEARNING_RATE] = value
        settings[SETTING_LAYER_RATES:] = value
    else:
        settings[target] = value


def mlp_trainability(
    X: np.ndarray,
    Y: np.ndarray,
    theta0: np.ndarray,
    sizes: np.ndarray,
    activation: np.ndarray,
    loss: int,
    settings: np.ndarray,
    order: np.ndarray,
    n_epochs: int,
    targets: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Train at every grid point: ``out[i, j]`` gets the point's four numbers.

    (Final loss, convergence, divergence epoch, the last losses' mean over the first.)
    Or at the points ``(a[k], b[k])`` into ``out[k, 0]`` (``out`` of shape ``(len(a), 1,
    4)``, ``len(b) == len(a)``).
    """
    n_params = theta0.size
    paired = out.shape[1] != b.size
    points = [(k, k) for k in range(a.size)] if paired else np.ndindex(a.size, b.size)
    for i, j in points:  # one training run per point
        theta, s = theta0.copy(), settings.copy()
        _apply(targets[0], a[i], s, theta)
        _apply(targets[1], b[j], s, theta)
        alpha = s[SETTING_ALPHA]
        state = np.zeros(STATE_VECTORS + 3 * n_params)
        state[STATE_BEST_LOSS] = np.inf
        start = _objective(X, Y, theta, sizes, activation, loss, alpha)
        state[STATE_LIMIT] = DIVERGENCE_RATIO * max(start, DIVERGENCE_FLOOR)
        state[STATE_VECTORS + 2 * n_params :] = theta
        curve = np.empty(n_epochs)
        epochs, reason = mlp_train(
            X, Y, theta, sizes, activation, loss, s, order, state, curve,
            np.empty((0, n_params)), 1,
        )  # fmt: skip
        column = 0 if paired else j
        out[i, column, 0] = _objective(X, Y, theta, sizes, activation, loss, alpha)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i, column, 1] = np.mean(curve[:epochs]) / curve[0] if epochs > 0 else np.nan
        out[i, column, 2] = epochs if reason == DIVERGED else np.nan
        whole = reason == MAX_ITER and epochs == n_epochs and n_epochs > 0
        tail = curve[max(0, n_epochs - TAIL_EPOCHS) : n_epochs]
        with np.errstate(invalid="ignore", divide="ignore"):  # a first loss of 0, as above
            out[i, column, 3] = np.mean(tail) / curve[0] if whole else np.nan
    return out
