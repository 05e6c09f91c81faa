r"""Losses and gradients of a linear model, over data ``(X, y, theta)`` (numba).

The model is ``z = theta[0] + X @ theta[1:]`` (``X`` without a column of
ones).  Two losses, both means over the samples:

* squared error, :math:`L = \frac1N \sum_i (z_i - y_i)^2`;
* binary cross-entropy computed from the logits,
  :math:`L = \frac1N \sum_i \max(z_i, 0) - y_i z_i + \log(1 + e^{-|z_i|})`,
  exact and finite for any logit (no ``1e-10`` guard, no overflow).

Both gradients have the form :math:`\frac1N \sum_i r_i\,[1, x_i]` with
:math:`r_i = \partial \ell_i / \partial z_i` (``2 (z - y)`` and
``sigma(z) - y``), so one residual pass and one accumulation pass serve both.
Reference: :mod:`fastnn.reference.linear`.
"""

from __future__ import annotations

import numpy as np

from fastnn._losses import LOG_LOSS, SQUARED_ERROR
from fastnn._numba import njit
from fastnn.kernels._math import _exp, _log1p


@njit()
def _logits_into(X, theta, z):
    n, d = X.shape
    for i in range(n):
        acc = theta[0]
        for j in range(d):
            acc += X[i, j] * theta[j + 1]
        z[i] = acc


@njit()
def _bce_term(z, y, e):
    """Per-sample cross-entropy from the logit ``z``, given ``e = exp(-|z|)``."""
    return (max(z, 0.0) - y * z) + _log1p(e)


@njit()
def _residuals_into(z, y, loss, r):
    """Write dl_i/dz_i into ``r`` and return the summed per-sample loss."""
    total = 0.0
    if loss == SQUARED_ERROR:
        for i in range(z.size):
            diff = z[i] - y[i]
            r[i] = 2.0 * diff
            total += diff * diff
    else:
        for i in range(z.size):
            zi = z[i]
            e = _exp(-abs(zi))
            s = 1.0 / (1.0 + e)
            r[i] = (s if zi >= 0.0 else e * s) - y[i]
            total += _bce_term(zi, y[i], e)
    return total


@njit()
def _mean_gradient_into(X, r, grad):
    n, d = X.shape
    grad[:] = 0.0
    for i in range(n):
        ri = r[i]
        grad[0] += ri
        for j in range(d):
            grad[j + 1] += ri * X[i, j]
    grad *= 1.0 / n


@njit()
def _loss_grad(X, y, theta, loss, z, grad):
    """Mean loss at theta, its gradient written into ``grad``; ``z`` is scratch."""
    _logits_into(X, theta, z)
    total = _residuals_into(z, y, loss, z)
    _mean_gradient_into(X, z, grad)
    return total / X.shape[0]


@njit()
def _loss(X, y, theta, loss):
    z = np.empty(X.shape[0])
    _logits_into(X, theta, z)
    return _residuals_into(z, y, loss, z) / X.shape[0]


@njit()
def linear_logits(X, theta, out):
    """``theta[0] + X @ theta[1:]`` into ``out``; returns ``out``."""
    _logits_into(X, theta, out)
    return out


@njit()
def mse_loss(X, y, theta):
    """Mean squared error of the linear model at ``theta``."""
    return _loss(X, y, theta, SQUARED_ERROR)


@njit()
def mse_loss_grad(X, y, theta, grad):
    """Mean squared error at ``theta``; its gradient is written into ``grad``."""
    return _loss_grad(X, y, theta, SQUARED_ERROR, np.empty(X.shape[0]), grad)


@njit()
def bce_loss(X, y, theta):
    """Mean binary cross-entropy of the logistic model at ``theta`` (from logits)."""
    return _loss(X, y, theta, LOG_LOSS)


@njit()
def bce_loss_grad(X, y, theta, grad):
    """Mean binary cross-entropy at ``theta``; its gradient is written into ``grad``."""
    return _loss_grad(X, y, theta, LOG_LOSS, np.empty(X.shape[0]), grad)


@njit()
def bce_from_logits(z, y):
    """Mean binary cross-entropy of targets ``y`` given logits ``z``."""
    total = 0.0
    for i in range(z.size):
        zi = z[i]
        total += _bce_term(zi, y[i], _exp(-abs(zi)))
    return total / z.size
