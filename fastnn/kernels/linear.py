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

import numba
import numpy as np

from fastnn._builds import LINEAR_PARALLEL_MIN_WORK
from fastnn._codes import LOG_LOSS, SQUARED_ERROR
from fastnn._numba import njit
from fastnn.kernels._math import _exp, _log1p

# Rows are processed in blocks of this many, so the logits and residuals of a
# block stay in L1 cache and no temporary of the data's length is needed.
_BLOCK = 512
# Launching a parallel section costs tens of microseconds here: below this many
# data values (rows x (features + 1)) a (mini)batch is computed serially.
_PARALLEL_MIN_WORK = LINEAR_PARALLEL_MIN_WORK
# Rows per parallel task: fixed, so that the summation order (and the result)
# does not depend on the number of threads.
_CHUNK = 16 * _BLOCK


@njit()
def _scratch():
    """Working memory of :func:`_loss_grad`: logits and residuals of one block."""
    return np.empty((2, _BLOCK))


@njit()
def _logits_into(X, theta, z):
    n, d = X.shape
    for i in range(n):
        acc = theta[0]
        for j in range(d):
            acc += X[i, j] * theta[j + 1]
        z[i] = acc


@njit(exact=True)
def _bce_term(z, y, e):
    """Per-sample cross-entropy from the logit ``z``, given ``e = exp(-|z|)``.

    Exact flags: ``max(z, 0) - y z`` must be formed first (it is exactly 0 for a
    confident right answer) and only then added to the small ``log1p`` term.
    """
    return (max(z, 0.0) - y * z) + _log1p(e)


@njit(inline=True)
def _loss_and_residual(z, y, loss):
    """One sample's loss and dl/dz at the logit ``z``."""
    if loss == SQUARED_ERROR:
        diff = z - y
        return diff * diff, 2.0 * diff
    e = _exp(-abs(z))
    s = 1.0 / (1.0 + e)
    return _bce_term(z, y, e), (s if z >= 0.0 else e * s) - y


@njit()
def _residuals_into(z, y, loss, r):
    """Write dl_i/dz_i into ``r`` and return the summed per-sample loss."""
    total = 0.0
    # One loop per loss (the code is a constant inside each), so both vectorise.
    if loss == SQUARED_ERROR:
        for i in range(z.size):
            value, r[i] = _loss_and_residual(z[i], y[i], SQUARED_ERROR)
            total += value
    else:
        for i in range(z.size):
            value, r[i] = _loss_and_residual(z[i], y[i], LOG_LOSS)
            total += value
    return total


@njit()
def _accumulate_gradient(X, r, grad):
    """Grad += sum_i r_i [1, x_i] over the rows of one block.

    One feature: a contiguous dot product, vectorised across rows.  More
    features: row by row, vectorised across the features of a row (measured
    faster from d = 2 on than column dots with a stride of d).
    """
    n, d = X.shape
    acc = 0.0
    for i in range(n):
        acc += r[i]
    grad[0] += acc
    if d == 1:
        acc = 0.0
        for i in range(n):
            acc += r[i] * X[i, 0]
        grad[1] += acc
    else:
        for i in range(n):
            ri = r[i]
            for j in range(d):
                grad[j + 1] += ri * X[i, j]


@njit()
def _block_loss_grad(X, y, theta, loss, z, r, grad):
    """Summed loss of rows ``X``; ``grad += sum_i r_i [1, x_i]`` (not yet divided by N)."""
    n = X.shape[0]
    total = 0.0
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        m = stop - start
        _logits_into(X[start:stop], theta, z)
        total += _residuals_into(z[:m], y[start:stop], loss, r[:m])
        _accumulate_gradient(X[start:stop], r[:m], grad)
    return total


@njit(inline=True)
def _loss_grad(X, y, theta, loss, scratch, grad):
    """Mean loss at theta; its gradient is written into ``grad``.

    ``scratch`` comes from :func:`_scratch` (allocated once by the caller).
    Batches of at least :data:`_PARALLEL_MIN_WORK` values are split into chunks
    of :data:`_CHUNK` rows that run on all threads; the chunks do not depend on
    the number of threads and the partial sums are added in chunk order, so the
    result does not change with ``numba.set_num_threads``.  Inlined, so its
    ``prange`` runs in parallel exactly when the caller is a ``parallel=True``
    kernel (see :mod:`fastnn._numba`).
    """
    n = X.shape[0]
    if n * (X.shape[1] + 1) < _PARALLEL_MIN_WORK:
        grad[:] = 0.0
        total = _block_loss_grad(X, y, theta, loss, scratch[0], scratch[1], grad)
        grad *= 1.0 / n
        return total / n
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    partial = np.zeros((n_chunks, grad.size + 1))
    for c in numba.prange(n_chunks):
        start = c * _CHUNK
        stop = min(start + _CHUNK, n)
        chunk_scratch = np.empty((2, _BLOCK))
        part = partial[c]
        part[-1] = _block_loss_grad(
            X[start:stop],
            y[start:stop],
            theta,
            loss,
            chunk_scratch[0],
            chunk_scratch[1],
            part[:-1],
        )
    # Explicit loops in chunk order: an array .sum() here became a parallel reduction
    # whose rounding changed with the thread count (tests/test_threads.py caught it).
    total = 0.0
    for c in range(n_chunks):
        total += partial[c, -1]
    for j in range(grad.size):
        acc = 0.0
        for c in range(n_chunks):
            acc += partial[c, j]
        grad[j] = acc / n
    return total / n


@njit()
def _loss(X, y, theta, loss):
    n = X.shape[0]
    scratch = _scratch()
    z, r = scratch[0], scratch[1]
    total = 0.0
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        _logits_into(X[start:stop], theta, z)
        total += _residuals_into(z[: stop - start], y[start:stop], loss, r[: stop - start])
    return total / n


@njit()
def linear_logits(X: np.ndarray, theta: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``theta[0] + X @ theta[1:]`` into ``out``; returns ``out``."""
    _logits_into(X, theta, out)
    return out


@njit()
def mse_loss(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
    """Mean squared error of the linear model at ``theta``."""
    return _loss(X, y, theta, SQUARED_ERROR)


@njit(parallel=True)
def mse_loss_grad(X: np.ndarray, y: np.ndarray, theta: np.ndarray, grad: np.ndarray) -> float:
    """Mean squared error at ``theta``; its gradient is written into ``grad``."""
    return _loss_grad(X, y, theta, SQUARED_ERROR, _scratch(), grad)


@njit()
def bce_loss(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
    """Mean binary cross-entropy of the logistic model at ``theta`` (from logits)."""
    return _loss(X, y, theta, LOG_LOSS)


@njit(parallel=True)
def bce_loss_grad(X: np.ndarray, y: np.ndarray, theta: np.ndarray, grad: np.ndarray) -> float:
    """Mean binary cross-entropy at ``theta``; its gradient is written into ``grad``."""
    return _loss_grad(X, y, theta, LOG_LOSS, _scratch(), grad)


@njit()
def bce_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of targets ``y`` given logits ``z``."""
    total = 0.0
    for i in range(z.size):
        zi = z[i]
        total += _bce_term(zi, y[i], _exp(-abs(zi)))
    return total / z.size
