"""Training the bend of a curve between two networks (Garipov et al. 2018), inside numba.

Contract (reference: :mod:`fastnn.reference.train_curve`):

* the curve ``theta(t)`` joins ``theta_a`` (t = 0) and ``theta_b`` (t = 1) through
  ``bend``: a quadratic Bezier curve ``(1 - t)^2 theta_a + 2 t (1 - t) bend +
  t^2 theta_b`` (``curve`` = ``BEZIER``) or a chain of two segments with the bend at
  ``t = 1/2`` (``POLYCHAIN``), :func:`_curve_weights`;
* each batch (its samples ``order[epoch]`` cut as in :mod:`fastnn.kernels.train_mlp`)
  takes its own ``t = ts[epoch, batch]`` (drawn by the caller, uniform on [0, 1]); its
  loss is the network's mean loss over the batch at ``theta(t)``, and the bend's
  gradient is the network's gradient there times the bend's weight in ``theta(t)``:
  a stochastic gradient of the expected loss ``E_t L(theta(t))``;
* ``settings`` as for :func:`fastnn.kernels.train_mlp.mlp_train` (optimiser, rates,
  batch size, ``alpha``: the L2 penalty on the bend's weights, ``SETTING_BIASES``),
  except that early stopping (``tol``) is not applied: the curve trains for
  ``loss_curve.size`` epochs unless it diverges;
* ``state`` as for ``mlp_train``, over the bend (moments and the previous bend);
* ``loss_curve[e]`` gets the batch-size-weighted mean of epoch ``e``'s batch losses;
* divergence as in ``mlp_train``: the bend goes back to the one before the last step and
  ``(epochs completed, DIVERGED)`` is returned; otherwise ``(epochs, MAX_ITER)``.

Every batch's gradient is the training kernels' own (:func:`_batch_loss_grad`), so the
curve sees exactly the network, activations and losses training sees.
"""

from __future__ import annotations

import numpy as np

from fastnn._codes import (
    BEZIER,
    DIVERGED,
    MAX_ITER,
    STATE_LIMIT,
    STATE_STEP,
    STATE_VECTORS,
)
from fastnn._numba import njit
from fastnn.kernels.mlp import _batch_loss_grad, _offsets, _workspace
from fastnn.kernels.train_linear import _diverged
from fastnn.kernels.train_mlp import _finish_step, _loop_settings


@njit()
def _curve_weights(t, curve):
    """The weights of ``(theta_a, bend, theta_b)`` in ``theta(t)``."""
    if curve == BEZIER:
        s = 1.0 - t
        return s * s, 2.0 * t * s, t * t
    if t < 0.5:
        return 1.0 - 2.0 * t, 2.0 * t, 0.0
    return 0.0, 2.0 - 2.0 * t, 2.0 * t - 1.0


@njit()
def _curve_point(theta_a, bend, theta_b, t, curve, point):
    wa, wm, wb = _curve_weights(t, curve)
    for p in range(point.size):
        point[p] = wa * theta_a[p] + wm * bend[p] + wb * theta_b[p]
    return wm


@njit()
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
    n = X.shape[0]
    n_params = bend.size
    batch, _, alpha, biases, _ = _loop_settings(settings, n, False)
    point = np.empty(n_params)
    grad = np.empty(n_params)
    first = state[STATE_VECTORS : STATE_VECTORS + n_params]
    second = state[STATE_VECTORS + n_params : STATE_VECTORS + 2 * n_params]
    previous = state[STATE_VECTORS + 2 * n_params : STATE_VECTORS + 3 * n_params]
    offsets = _offsets(sizes)
    workspace = _workspace(sizes, batch, activation)
    divergence = state[STATE_LIMIT : STATE_LIMIT + 1]
    step = int(state[STATE_STEP])
    epochs, reason = loss_curve.size, MAX_ITER
    for epoch in range(loss_curve.size):
        idx = order[epoch]
        total = 0.0
        k = 0
        for lo in range(0, n, batch):
            hi = min(lo + batch, n)
            weight = _curve_point(theta_a, bend, theta_b, ts[epoch, k], curve, point)
            k += 1
            value = _batch_loss_grad(
                X, Y, idx, lo, hi, point, sizes, activation, loss, offsets, workspace, grad
            )
            for p in range(n_params):
                grad[p] *= weight
            value = _finish_step(
                bend, grad, value, settings, step, first, second, previous, sizes, offsets,
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
            bend[:] = previous
            epochs, reason = epoch, DIVERGED
            break
        loss_curve[epoch] = total / n
    state[STATE_STEP] = step
    return epochs, reason
