"""Trainability maps: a whole training run at every point of a hyperparameter grid (numba).

Contract (reference: :mod:`fastnn.reference.trainability`): grid point ``(i, j)`` trains
the network from ``theta0`` exactly as the MLP estimators' ``fit`` does
(:func:`fastnn.kernels.mlp_train` with ``settings``, the shared sample ``order`` and
``n_epochs`` epochs), with two hyperparameters replaced by ``a[i]`` and ``b[j]``.  Each
entry of ``targets`` says which: ``>= 0`` a position of ``settings`` (a learning rate,
one layer's rate, the momentum), ``ALL_RATES`` the learning rate of every layer,
``INIT_SCALE`` a multiplier of ``theta0``.  The divergence limit comes from the loss at
the run's start (the estimators' rule); a run stops where it diverges.

``out[i, j]`` receives three numbers: the final mean loss (at the parameters ``fit``
would keep: before the diverging step), the convergence measure -- the mean over the
epochs run of the epoch loss divided by the first epoch's (small: fast convergence; near
1: stalled) -- and the epoch at which the run diverged (NaN where it did not).

Grid points run in parallel (``prange`` over points); each point's numbers depend on
its hyperparameters only, so tiles and threads never change them.
"""

from __future__ import annotations

import numba
import numpy as np

from fastnn._codes import (
    ALL_RATES,
    DIVERGED,
    DIVERGENCE_FLOOR,
    DIVERGENCE_RATIO,
    INIT_SCALE,
    SETTING_ALPHA,
    SETTING_LAYER_RATES,
    SETTING_LEARNING_RATE,
    STATE_BEST_LOSS,
    STATE_LIMIT,
    STATE_VECTORS,
)
from fastnn._numba import njit
from fastnn.kernels.mlp import _offsets, mlp_logits, output_loss
from fastnn.kernels.train_mlp import _train

__all__ = ["ALL_RATES", "INIT_SCALE", "mlp_trainability"]


@njit()
def _objective(X, Y, theta, sizes, activation, loss, alpha):
    """Mean loss plus ``alpha / (2 n) ||W||^2``: the estimators' ``loss_`` and start."""
    logits = mlp_logits(X, theta, sizes, activation, np.empty(Y.shape))
    value = output_loss(logits, Y, loss)
    if alpha > 0.0:
        w_start, b_start, _ = _offsets(sizes)
        squares = 0.0
        for l in range(sizes.size - 1):
            for p in range(w_start[l], b_start[l]):
                squares += theta[p] * theta[p]
        value += 0.5 * alpha / X.shape[0] * squares
    return value


@njit()
def _apply(target, value, settings, theta):
    if target == INIT_SCALE:
        for p in range(theta.size):
            theta[p] *= value
    elif target == ALL_RATES:
        settings[SETTING_LEARNING_RATE] = value
        for k in range(SETTING_LAYER_RATES, settings.size):
            settings[k] = value
    else:
        settings[target] = value


@njit(parallel=True)
def mlp_trainability(
    X, Y, theta0, sizes, activation, loss, settings, order, n_epochs, targets, a, b, out
):
    """Train at every grid point; ``out[i, j] = (final loss, convergence, divergence epoch)``."""
    nb = b.size
    n_params = theta0.size
    no_rows = np.empty((0, n_params))
    for point in numba.prange(a.size * nb):
        i, j = point // nb, point % nb
        theta = theta0.copy()
        s = settings.copy()
        _apply(targets[0], a[i], s, theta)
        _apply(targets[1], b[j], s, theta)
        alpha = s[SETTING_ALPHA]
        state = np.zeros(STATE_VECTORS + 3 * n_params)
        state[STATE_BEST_LOSS] = np.inf
        start = _objective(X, Y, theta, sizes, activation, loss, alpha)
        state[STATE_LIMIT] = DIVERGENCE_RATIO * max(start, DIVERGENCE_FLOOR)
        state[STATE_VECTORS + 2 * n_params :] = theta
        curve = np.empty(n_epochs)
        epochs, reason = _train(
            X, Y, theta, sizes, activation, loss, s, order, state, curve, no_rows, 1
        )
        out[i, j, 0] = _objective(X, Y, theta, sizes, activation, loss, alpha)
        total = 0.0
        for t in range(epochs):
            total += curve[t]
        out[i, j, 1] = total / epochs / curve[0] if epochs > 0 else np.nan
        out[i, j, 2] = epochs if reason == DIVERGED else np.nan
    return out
