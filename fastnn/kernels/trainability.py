"""Trainability maps: a whole training run at every point of a hyperparameter grid (numba).

Contract (reference: :mod:`fastnn.reference.trainability`): grid point ``(i, j)`` trains
the network from ``theta0`` as the MLP estimators' ``fit`` does
(:func:`fastnn.kernels.mlp_train` with ``settings``, the shared sample ``order`` and
``n_epochs`` epochs), with two hyperparameters replaced by ``a[i]`` and ``b[j]``.  Each
entry of ``targets`` says which: ``>= 0`` a position of ``settings`` (a learning rate,
one layer's rate, the momentum), ``ALL_RATES`` the learning rate of every layer,
``INIT_SCALE`` a multiplier of ``theta0``.  The divergence limit comes from the loss at
the run's start (the estimators' rule); a run stops where it diverges.

``out[i, j]`` receives four numbers: the final mean loss (at the parameters ``fit``
would keep: before the diverging step), the convergence measure -- the mean over the
epochs run of the epoch loss divided by the first epoch's (small: fast convergence; near
1: stalled) -- the epoch at which the run diverged (NaN where it did not), and the mean of
the last ``TAIL_EPOCHS`` epoch losses over the first's (Sohl-Dickstein's rule calls a run
trainable where it is below 1; NaN for a run that did not train every epoch: diverged, or
stopped by ``tol``).

**Points instead of a grid.**  With ``out`` of shape ``(len(a), 1, 4)`` and ``len(b) ==
len(a)`` (``out.shape[1] != len(b)``), the kernel trains the points ``(a[k], b[k])`` and
writes ``out[k, 0]``: the scattered points of a refined map (:mod:`fastnn.trainability`).
A point's numbers are the same in either mode (they depend on its hyperparameters only).

Grid points are trained ``LANES`` (64) at a time, one per SIMD lane (:mod:`._lane_network`), in
groups that are boxes of the grid, spread over the threads.  The lanes' arithmetic is not
``fit``'s summation order, so a point equals a separate ``fit`` to rounding (the tests
check 1e-12 relative at points where training is not chaotic; 1.7e-11 was seen at one
such point), not bit for bit; but each point's numbers depend on its
hyperparameters only, so tiles, groups, lanes and threads never change them.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from fastnn._codes import (
    ADAM,
    ALL_RATES,
    CONVERGED,
    DIVERGED,
    DIVERGENCE_FLOOR,
    DIVERGENCE_RATIO,
    INIT_SCALE,
    MAX_ITER,
    SETTING_ALPHA,
    SETTING_BETA_1,
    SETTING_BETA_2,
    SETTING_EPSILON,
    SETTING_LAYER_RATES,
    SETTING_LEARNING_RATE,
    SETTING_MOMENTUM,
    SETTING_OPTIMIZER,
    TAIL_EPOCHS,
)
from fastnn._numba import njit
from fastnn.kernels._lane_network import (
    BLOCK,
    GROUP_ROWS,
    LANES,
    _lane_loss_grad,
    _lane_offsets,
    _lane_penalty,
    _lane_workspace,
    _shared_product,
)
from fastnn.kernels.train_mlp import _drop_bias_gradient, _has_biases, _loop_settings

__all__ = ["ALL_RATES", "INIT_SCALE", "N_FIELDS", "mlp_trainability"]

# A point's numbers: final loss, convergence, divergence epoch, the last TAIL losses' mean.
N_FIELDS = 4
# The first layer is trained through its pre-activations for at most this many samples
# (its n x n product matrix is kept per group of lanes).
GRAM_MAX_SAMPLES = 256


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


@njit()
def _group_box(na):
    """Rows and columns of a group's box of grid points (a tile of ``na`` rows)."""
    rows = min(GROUP_ROWS, na)
    return rows, LANES // rows


@njit()
def _group_point(group, q, na, nb, paired):
    """Grid point ``(i, j)`` of lane q of a group, and whether the lane is the point's own.

    Groups are boxes of grid points, not row segments: a run that diverges stops, and a
    group stops when all of its lanes have; boxes cross the boundary of the divergent
    region less often.  Lanes past the grid's edge (or the box) repeat its last point.
    ``paired``: points ``(a[k], b[k])``, ``LANES`` consecutive ones per group (``i = j =
    k``; the caller orders them so that neighbours are near each other).
    """
    if paired:
        k = group * LANES + q
        return min(k, na - 1), min(k, nb - 1), k < na
    rows, cols = _group_box(na)
    groups_across = (nb + cols - 1) // cols
    i = (group // groups_across) * rows + q // cols
    j = (group % groups_across) * cols + q % cols
    own = q < rows * cols and i < na and j < nb
    return min(i, na - 1), min(j, nb - 1), own


@njit()
def _fill_lanes(theta0, settings, targets, a, b, group, paired, T, lane_settings):
    """Lane q gets the hyperparameters of the group's grid point q."""
    for q in range(T.shape[1]):
        i, j, _ = _group_point(group, q, a.size, b.size, paired)
        theta = theta0.copy()
        s = settings.copy()
        _apply(targets[0], a[i], s, theta)
        _apply(targets[1], b[j], s, theta)
        T[:, q] = theta
        lane_settings[:, q] = s


@njit(exact=True)
def _per_row(lane_settings, sizes, offsets, adam):
    """Each parameter row's learning rate and momentum, lane by lane: ``(rates, momenta)``.

    Tiled once per group, so that the update is one loop over every parameter of every
    lane (loops of one row of lanes each cost more in start-up than in work).
    """
    w_start, b_start = offsets[0], offsets[1]
    n_params = b_start[-1] + sizes[-1]
    lanes = lane_settings.shape[1]
    rates = np.empty((n_params, lanes))
    momenta = np.empty((n_params, lanes))
    per_layer = lane_settings.shape[0] > SETTING_LAYER_RATES and not adam
    for l in range(sizes.size - 1):
        row = SETTING_LAYER_RATES + l if per_layer else SETTING_LEARNING_RATE
        for p in range(w_start[l], b_start[l] + sizes[l + 1]):
            rates[p] = lane_settings[row]
            momenta[p] = lane_settings[SETTING_MOMENTUM]
    return rates, momenta


@njit(exact=True)
def _lane_update(
    T, G, first, second, rates, momenta, step, settings, heavy_ball, T_next, first_row
):
    """One optimiser step for every lane (``train_mlp._update`` lane by lane).

    ``T_next`` gets the new parameters and ``T`` keeps the old ones (the iterate to
    return to when the next loss diverges).  ``heavy_ball``: some lane has a momentum;
    without, ``first`` is left alone.  Rows before ``first_row`` are not updated.

    The rows from ``first_row`` on are sliced off first and looped over from 0: a loop
    ``range(start, n)`` with a start numba cannot see is nonnegative keeps a negative-index
    check on every access, and stayed scalar (4x slower).
    """
    t, g = T[first_row:].reshape(-1), G[first_row:].reshape(-1)
    new, r = T_next[first_row:].reshape(-1), rates[first_row:].reshape(-1)
    if settings[SETTING_OPTIMIZER] == ADAM:
        beta_1 = settings[SETTING_BETA_1]
        beta_2 = settings[SETTING_BETA_2]
        epsilon = settings[SETTING_EPSILON]
        correction = np.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
        m, v = first[first_row:].reshape(-1), second[first_row:].reshape(-1)
        for c in range(t.size):
            m[c] = beta_1 * m[c] + (1.0 - beta_1) * g[c]
            v[c] = beta_2 * v[c] + (1.0 - beta_2) * g[c] * g[c]
            new[c] = t[c] - r[c] * correction * m[c] / (np.sqrt(v[c]) + epsilon)
    elif heavy_ball:
        v, mu = first[first_row:].reshape(-1), momenta[first_row:].reshape(-1)
        for c in range(t.size):
            v[c] = mu[c] * v[c] - r[c] * g[c]
            new[c] = t[c] + v[c]
    else:
        for c in range(t.size):
            new[c] = t[c] - r[c] * g[c]


@njit(exact=True)
def _objective(X, Y, T, sizes, activation, loss, alpha, offsets, workspace, value, Z):
    """Each lane's mean loss plus ``alpha / (2 n) ||W||^2``: the estimators' ``loss_``.

    ``Z``: the first layer's pre-activations, when they are kept (else empty).
    """
    n = X.shape[0]
    no_grad = np.empty((0, T.shape[1]))
    _lane_loss_grad(
        X, Y, np.arange(n), np.int64(0), n, T, sizes, activation, loss, offsets, workspace, no_grad,
        value, Z, Z, np.empty(0),
    )  # fmt: skip
    if alpha > 0.0:
        _lane_penalty(T, sizes, offsets, alpha, n, no_grad, value, workspace[4][0])


@njit(exact=True)
def _stop(q, source, final, Z_source, Z_final, epochs, epoch, reasons, reason):
    """Lane q is done: keep its parameters, its epoch count and the reason.

    The parameters are ``source``'s column (and ``Z_source``'s, the first layer's
    pre-activations, where they are kept).
    """
    lanes = source.shape[1]
    for p in range(source.shape[0]):
        final[p, q] = source[p, q]
    for i in range(Z_source.shape[0]):
        for c in range(q, Z_source.shape[1], lanes):
            Z_final[i, c] = Z_source[i, c]
    epochs[q] = epoch
    reasons[q] = reason


@njit(exact=True)
def _keeps_first_layer(n, sizes, settings, full_batch):
    """Whether to train the first layer through its pre-activations Z (see _train_lanes)."""
    return (
        full_batch
        and settings[SETTING_OPTIMIZER] != ADAM
        and settings[SETTING_ALPHA] == 0.0
        and n < 2 * sizes[0]
        and n <= GRAM_MAX_SAMPLES
    )


@njit(exact=True)
def _first_layer_state(X, T, sizes, offsets, rates, momenta, biases, keep):
    """The arrays of the kept first layer.

    ``(minus_K, Z, Z_other, Z_final, VZ, DZ, dz_scale, M0)``: ``minus_K = -(X X^T +
    1 1^T)`` (no ``1 1^T`` when the first layer has no biases), padded with zero rows to
    whole blocks; ``Z`` the pre-activations at the start; ``dz_scale`` each lane's
    first-layer rate over n and ``M0`` its momentum, tiled along a row of ``Z``.  Empty
    arrays when ``keep`` is False.
    """
    n, n_in = X.shape
    lanes = T.shape[1]
    width = sizes[1] * lanes
    rows = (n + BLOCK - 1) // BLOCK * BLOCK if keep else 0
    minus_K = np.zeros((rows, n if keep else 0))
    for i in range(min(n, rows)):
        for m in range(n):
            total = 1.0 if _has_biases(biases, 0) else 0.0
            for j in range(n_in):
                total += X[i, j] * X[m, j]
            minus_K[i, m] = -total
    Z = np.empty((rows, width))
    if keep:
        padded = np.zeros((rows, n_in))
        padded[:n] = X
        w_start, b_start = offsets[0], offsets[1]
        W0 = T[w_start[0] : b_start[0]].reshape((n_in, width))
        b0 = T[b_start[0] : b_start[0] + sizes[1]].reshape((1, width))
        _shared_product(padded, W0, b0, Z, width)
    dz_scale = np.empty(width if keep else 0)
    M0 = np.empty(width if keep else 0)
    for c in range(dz_scale.size):
        dz_scale[c] = rates[0, c % lanes] / n
        M0[c] = momenta[0, c % lanes]
    return (
        minus_K, Z, Z.copy(), np.empty_like(Z), np.zeros_like(Z),
        np.zeros((min(n, rows), width)), dz_scale, M0,
    )  # fmt: skip


@njit(exact=True)
def _first_layer_step(minus_K, Z, DZ, M0, VZ, heavy_ball, Z_next):
    """The first layer's GD or momentum step, taken on its pre-activations: ``Z_next``.

    Its weights would move by ``-r X^T D / n`` and its biases by ``-r 1^T D / n`` (D: the
    per-sample deltas at Z), so Z moves by ``-K (r D / n)`` with ``K = X X^T + 1 1^T``
    (``DZ`` holds ``r D / n``); a momentum's velocity maps the same way.  One (n x n)
    times (n x units) product instead of two (n x inputs) ones: fewer operations when
    n < 2 x inputs.
    """
    width = Z.shape[1]
    if not heavy_ball:
        _shared_product(minus_K, DZ, Z, Z_next, width)
        return
    for i in range(VZ.shape[0]):
        v = VZ[i]
        for c in range(width):
            v[c] *= M0[c]
    _shared_product(minus_K, DZ, VZ, VZ, width)
    for i in range(Z.shape[0]):
        z, v, new = Z[i], VZ[i], Z_next[i]
        for c in range(width):
            new[c] = z[c] + v[c]


@njit(exact=True)
def _train_lanes(X, Y, T, sizes, activation, loss, settings, lane_settings, order, n_epochs, out):
    """Train every lane as ``_train`` trains one network; ``out[q]`` gets its three numbers.

    Lanes that are done (diverged, or converged by ``tol``) keep their final parameters
    apart and compute on unread; the group stops when every lane is done.

    Full-batch plain or momentum steps without a penalty on fewer samples than twice the
    inputs train the first layer through its pre-activations (``_first_layer_step``):
    the same iterates in exact arithmetic, half the first layer's work (the paper's 16
    samples of 16 inputs).
    """
    n = X.shape[0]
    n_params, lanes = T.shape
    full_batch = order.shape[0] == 0
    batch, tol, alpha, biases, n_iter_no_change = _loop_settings(settings, n, full_batch)
    adam = settings[SETTING_OPTIMIZER] == ADAM
    offsets = _lane_offsets(sizes)

    workspace = _lane_workspace(sizes, lanes, activation)
    G = np.empty_like(T)
    first = np.zeros_like(T)
    second = np.zeros_like(T) if adam else np.empty((0, lanes))
    rates, momenta = _per_row(lane_settings, sizes, offsets, adam)
    heavy_ball = np.any(lane_settings[SETTING_MOMENTUM] != 0.0)
    keep = _keeps_first_layer(n, sizes, settings, full_batch)
    minus_K, Z, Z_previous, Z_final, VZ, DZ, dz_scale, M0 = _first_layer_state(
        X, T, sizes, offsets, rates, momenta, biases, keep
    )
    first_row = offsets[1][0] + sizes[1] if keep else 0
    # Two buffers, swapped at every step: the one not in use holds the previous iterate.
    T = T.copy()
    previous = T.copy()
    final = np.empty_like(T)
    value = np.empty(lanes)
    total = np.empty(lanes)
    _objective(X, Y, T, sizes, activation, loss, alpha, offsets, workspace, value, Z)
    limit = np.empty(lanes)
    for q in range(lanes):
        limit[q] = DIVERGENCE_RATIO * max(value[q], DIVERGENCE_FLOOR)
    best = np.full(lanes, np.inf)
    stalled = np.zeros(lanes, np.int64)
    curve_first = np.zeros(lanes)
    curve_sum = np.zeros(lanes)
    tail_sum = np.zeros(lanes)
    tail_from = max(0, n_epochs - TAIL_EPOCHS)
    epochs = np.full(lanes, n_epochs, np.int64)
    reasons = np.full(lanes, MAX_ITER, np.int64)
    running = np.ones(lanes, np.bool_)
    n_running = lanes
    in_order = np.arange(n)
    step = 0
    for epoch in range(n_epochs):
        if n_running == 0:
            break
        idx = in_order if full_batch else order[epoch]
        total[:] = 0.0
        for lo in range(0, n, batch):
            hi = min(lo + batch, n)
            _lane_loss_grad(
                X, Y, idx, lo, hi, T, sizes, activation, loss, offsets, workspace, G, value,
                Z, DZ, dz_scale,
            )  # fmt: skip
            if alpha > 0.0:
                _lane_penalty(T, sizes, offsets, alpha, hi - lo, G, value, workspace[4][0])
            if biases != 1.0:
                _drop_bias_gradient(G, sizes, offsets, biases)
            for q in range(lanes):
                if running[q] and not np.isfinite(value[q]):
                    _stop(q, previous, final, Z_previous, Z_final, epochs, epoch, reasons,
                          DIVERGED)  # fmt: skip
                    running[q] = False
                    n_running -= 1
                total[q] += value[q] * (hi - lo)
            step += 1
            _lane_update(
                T, G, first, second, rates, momenta, step, settings, heavy_ball, previous,
                first_row,
            )  # fmt: skip
            T, previous = previous, T
            if keep:
                _first_layer_step(minus_K, Z, DZ, M0, VZ, heavy_ball, Z_previous)
                Z, Z_previous = Z_previous, Z
        for q in range(lanes):
            if not running[q]:
                continue
            mean = total[q] / n
            if not np.isfinite(mean) or mean > limit[q]:
                _stop(q, previous, final, Z_previous, Z_final, epochs, epoch, reasons,
                      DIVERGED)  # fmt: skip
                running[q] = False
                n_running -= 1
                continue
            if epoch == 0:
                curve_first[q] = mean
            curve_sum[q] += mean
            if epoch >= tail_from:
                tail_sum[q] += mean
            if tol >= 0.0:
                stalled[q] = stalled[q] + 1 if mean > best[q] - tol else 0
                best[q] = min(best[q], mean)
                if stalled[q] > n_iter_no_change:
                    _stop(q, T, final, Z, Z_final, epochs, epoch + 1, reasons, CONVERGED)
                    running[q] = False
                    n_running -= 1
    for q in range(lanes):
        if running[q]:
            _stop(q, T, final, Z, Z_final, epochs, n_epochs, reasons, MAX_ITER)
    _objective(X, Y, final, sizes, activation, loss, alpha, offsets, workspace, value, Z_final)
    for q in range(lanes):
        out[q, 0] = value[q]
        out[q, 1] = curve_sum[q] / epochs[q] / curve_first[q] if epochs[q] > 0 else np.nan
        out[q, 2] = epochs[q] if reasons[q] == DIVERGED else np.nan
        whole = reasons[q] == MAX_ITER and epochs[q] == n_epochs and n_epochs > 0
        out[q, 3] = tail_sum[q] / (n_epochs - tail_from) / curve_first[q] if whole else np.nan


@njit()
def _spreading_stride(n):
    """A stride coprime to n, near n / golden ratio, to visit the groups in.

    ``k -> k * stride % n`` visits every group once and spreads each run of
    consecutive k over the whole grid.

    numba hands each thread a contiguous range of a prange; groups that diverge stop
    early and lie together on the grid, so in grid order one thread would get most of
    them.  A group's numbers do not depend on which thread trains it.
    """
    stride = max(1, int(n * 0.6180339887498949))
    while stride > 1 and math.gcd(stride, n) != 1:
        stride -= 1
    return stride


@njit(inline=True)
def _train_group(
    X, Y, theta0, sizes, activation, loss, settings, order, n_epochs, targets, a, b, group, out
):
    """Train group ``group``'s grid points and write their numbers into ``out``.

    Inlined into the parallel loop: numba optimises and compiles a called function's
    code again in every library that links it (the loop body, its gufunc wrapper, the
    kernel, its parallel wrapper), so one level fewer saves one more copy (3.6 s of a
    cold compile).
    """
    T = np.empty((theta0.size, LANES))
    lane_settings = np.empty((settings.size, LANES))
    paired = out.shape[1] != b.size
    _fill_lanes(theta0, settings, targets, a, b, group, paired, T, lane_settings)
    results = np.empty((LANES, N_FIELDS))
    _train_lanes(
        X, Y, T, sizes, activation, loss, settings, lane_settings, order, n_epochs, results
    )
    for q in range(LANES):
        i, j, own = _group_point(group, q, a.size, b.size, paired)
        if own:
            for f in range(N_FIELDS):
                out[i, 0 if paired else j, f] = results[q, f]


@njit(parallel=True)
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
    na, nb = a.size, b.size
    rows, cols = _group_box(na)
    n_groups = ((na + rows - 1) // rows) * ((nb + cols - 1) // cols)
    if out.shape[1] != nb:  # points
        n_groups = (na + LANES - 1) // LANES
    stride = _spreading_stride(n_groups)
    for k in numba.prange(n_groups):
        _train_group(
            X, Y, theta0, sizes, activation, loss, settings, order, n_epochs, targets, a, b,
            k * stride % n_groups, out,
        )  # fmt: skip
    return out
