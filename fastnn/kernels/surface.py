r"""Losses over a grid of points in a plane of parameter space (numba).

Every kernel evaluates the mean loss at ``theta = origin + a[i] u + b[j] v`` for
every grid point and writes it into ``out[i, j]`` (rows follow ``a``).  Each grid
point is computed by one thread from start to end, with a summation order that
depends only on the data: results are identical for any thread count and for
any split of the grid into tiles.

Linear models need no pass over ``theta`` at all: their logits are linear in
``theta``, so ``z = z0 + a zu + b zv`` with ``z0``, ``zu``, ``zv`` the logits of
``origin``, ``u`` and ``v`` (:func:`fastnn.kernels.linear_logits`, computed once):

* squared error is a quadratic in ``(a, b)``: :func:`mse_surface_stats` reduces
  the data to nine numbers (means and *centred* second moments, so that data far
  from the origin loses no digits) and :func:`mse_surface_quadratic` evaluates it
  in O(1) per point; :func:`mse_surface_brute` sums over the samples instead
  (it verifies the quadratic path and is the baseline for it);
* binary cross-entropy, :func:`bce_surface`, needs one softplus per sample and
  grid point.  ``softplus(z) - y z`` is rewritten as ``softplus(s z) - (y - c) z``
  with ``c = [y >= 1/2]`` and ``s = 1 - 2c``: for 0/1 labels the second term is
  zero, otherwise it is linear in ``(a, b)`` and hoisted out of the grid loops.
  Every summand ``softplus(s z)`` is positive, so no large sums cancel (the plain
  hoisting of ``y z`` would subtract two sums of size ``|z|``).

Networks, :func:`mlp_surface`, run one forward pass per grid point, spread over
the threads in blocks of points, each block with its own scratch memory; the
sample-summing linear kernels spread (row, block of 64 columns) tasks.
Reference: :mod:`fastnn.reference.surface`.
"""

from __future__ import annotations

import numba
import numpy as np

from fastnn._codes import LOG_LOSS
from fastnn._numba import njit
from fastnn.kernels._math import _exp_normal_range, _log1p_unit
from fastnn.kernels.mlp import (
    _forward_chunk,
    _loss_and_delta,
    _offsets,
    _rows,
    _uses_blas,
    _workspace,
)

# Grid points per parallel task of the network kernel (each task allocates its
# scratch memory once).
_POINTS_PER_TASK = 4
# Grid columns per parallel task of the linear kernels: tasks are (row, column block)
# pairs, so a tile of one long row still uses every thread.  Each task recomputes its
# row's O(N) logits, 1/64 of the softplus work or less.
_COLUMNS_PER_TASK = 64


@njit()
def mse_surface_stats(z0, zu, zv, y, out):
    """The nine numbers that define the squared-error surface, into ``out``.

    With residuals ``r = z0 - y``: ``out = [mean r, mean zu, mean zv, S_rr, S_ru,
    S_rv, S_uu, S_uv, S_vv]``, where ``S_pq`` is the mean of the product of the
    centred ``p`` and ``q``.  Two passes: the means first, then the centred products.
    """
    n = y.size
    mr = 0.0
    mu = 0.0
    mv = 0.0
    for k in range(n):
        mr += z0[k] - y[k]
        mu += zu[k]
        mv += zv[k]
    mr /= n
    mu /= n
    mv /= n
    srr = 0.0
    sru = 0.0
    srv = 0.0
    suu = 0.0
    suv = 0.0
    svv = 0.0
    for k in range(n):
        r = (z0[k] - y[k]) - mr
        p = zu[k] - mu
        q = zv[k] - mv
        srr += r * r
        sru += r * p
        srv += r * q
        suu += p * p
        suv += p * q
        svv += q * q
    out[0] = mr
    out[1] = mu
    out[2] = mv
    out[3] = srr / n
    out[4] = sru / n
    out[5] = srv / n
    out[6] = suu / n
    out[7] = suv / n
    out[8] = svv / n
    return out


@njit(parallel=True, strict=True)
def mse_surface_quadratic(stats, a, b, out):
    """Mean squared error at every grid point, from :func:`mse_surface_stats`.

    Strict IEEE (no FMA contraction): the vectorised loop over the columns and its
    scalar remainder fused differently, so a point's last bit depended on where a
    tile's columns began.

    ``(mr + a mu + b mv)^2`` (the mean of the residual, squared) plus the centred
    quadratic form ``S_rr + 2a S_ru + 2b S_rv + a^2 S_uu + 2ab S_uv + b^2 S_vv``
    (clipped at 0: it is a variance, and rounding must not make it negative).
    """
    mr, mu, mv = stats[0], stats[1], stats[2]
    srr, sru, srv, suu, suv, svv = stats[3], stats[4], stats[5], stats[6], stats[7], stats[8]
    for i in numba.prange(a.size):
        ai = a[i]
        mean_row = mr + ai * mu
        const_row = srr + ai * (2.0 * sru + ai * suu)
        linear_row = 2.0 * (srv + ai * suv)
        row = out[i]
        for j in range(b.size):
            bj = b[j]
            m = mean_row + bj * mv
            q = const_row + bj * (linear_row + bj * svv)
            row[j] = m * m + max(q, 0.0)
    return out


@njit()
def _squares_row(w, zv, b, row):
    """row[j] = mean_k (w_k + b_j zv_k)^2.

    Row helpers are separate serial functions: the parallel kernels call them from
    their prange bodies, where numba would not vectorise the sample loop itself.
    """
    n = w.size
    for j in range(b.size):
        bj = b[j]
        acc = 0.0
        for k in range(n):
            t = w[k] + bj * zv[k]
            acc += t * t
        row[j] = acc / n


@njit(inline=True)
def _softplus_term(t):
    """softplus(t) as a term of a sum: exp without subnormals (see ``_exp_normal_range``).

    An absolute error below 3e-308 per term is what it costs; a third faster than the
    activation kernels' exact softplus, whose exp rounds subnormal results too.
    """
    return max(t, 0.0) + _log1p_unit(_exp_normal_range(-abs(t)))


@njit()
def _softplus_row(w, zv_signed, b, hoisted_row, hv, row):
    """row[j] = mean_k softplus(w_k + b_j zv_signed_k) - (hoisted_row + b_j hv)."""
    n = w.size
    for j in range(b.size):
        bj = b[j]
        acc = 0.0
        for k in range(n):
            acc += _softplus_term(w[k] + bj * zv_signed[k])
        row[j] = acc / n - (hoisted_row + bj * hv)


@njit(inline=True)
def _task_cells(task, n_blocks, n_columns):
    """Grid row and column range [lo, hi) of a (row, block of columns) task."""
    i = task // n_blocks
    lo = (task - i * n_blocks) * _COLUMNS_PER_TASK
    return i, lo, min(lo + _COLUMNS_PER_TASK, n_columns)


@njit(parallel=True)
def mse_surface_brute(z0, zu, zv, y, a, b, out):
    """Mean squared error at every grid point, summed over the samples."""
    n = y.size
    n_blocks = (b.size + _COLUMNS_PER_TASK - 1) // _COLUMNS_PER_TASK
    for task in numba.prange(a.size * n_blocks):
        i, lo, hi = _task_cells(task, n_blocks, b.size)
        ai = a[i]
        w = np.empty(n)
        for k in range(n):
            w[k] = (z0[k] - y[k]) + ai * zu[k]
        _squares_row(w, zv, b[lo:hi], out[i, lo:hi])
    return out


@njit(parallel=True)
def bce_surface(z0, zu, zv, y, a, b, out):
    """Mean binary cross-entropy (from the logits) at every grid point."""
    n = y.size
    sign = np.empty(n)
    zv_signed = np.empty(n)
    # The hoisted part: mean((y - c) z) = h0 + a hu + b hv.
    h0 = 0.0
    hu = 0.0
    hv = 0.0
    for k in range(n):
        c = 1.0 if y[k] >= 0.5 else 0.0
        sign[k] = 1.0 - 2.0 * c
        zv_signed[k] = sign[k] * zv[k]
        f = y[k] - c
        h0 += f * z0[k]
        hu += f * zu[k]
        hv += f * zv[k]
    h0 /= n
    hu /= n
    hv /= n
    n_blocks = (b.size + _COLUMNS_PER_TASK - 1) // _COLUMNS_PER_TASK
    for task in numba.prange(a.size * n_blocks):
        i, lo, hi = _task_cells(task, n_blocks, b.size)
        ai = a[i]
        w = np.empty(n)
        for k in range(n):
            w[k] = sign[k] * (z0[k] + ai * zu[k])
        _softplus_row(w, zv_signed, b[lo:hi], h0 + ai * hu, hv, out[i, lo:hi])
    return out


@njit(exact=True)
def _bce_sum(z, Y, lo, m):
    """Summed cross-entropy of logits z[:m] against Y[lo:lo + m, 0] (no gradient).

    ``(max(z, 0) - y z)`` is formed first, as in the training kernels; the log term uses
    the division-free ``log1p`` and ``exp`` of the BCE surface kernel.
    """
    total = 0.0
    for i in range(m):
        zi = z[i]
        total += (max(zi, 0.0) - Y[lo + i, 0] * zi) + _log1p_unit(_exp_normal_range(-abs(zi)))
    return total


@njit()
def _chunk_loss(Z, Y, idx, lo, m, loss, D, per_sample):
    """Summed loss of one chunk's samples (the binary case without the output delta)."""
    if loss == LOG_LOSS:
        return _bce_sum(Z[0], Y, lo, m)
    return _loss_and_delta(Z, Y, idx, lo, m, loss, D, per_sample)


@njit()
def _network_loss(X, Y, idx, theta, sizes, activation, loss, offsets, workspace):
    """Mean loss of the network at theta over all samples (a forward pass, chunk by chunk)."""
    A, D, per_sample, _ = workspace
    unit_start = offsets[2]
    n_layers = sizes.size - 1
    n = X.shape[0]
    width = per_sample.shape[1]
    total = 0.0
    for start in range(0, n, width):
        m = min(width, n - start)
        _forward_chunk(X, idx, start, m, theta, sizes, activation, offsets, A)
        total += _chunk_loss(
            _rows(A, unit_start, n_layers),
            Y,
            idx,
            start,
            m,
            loss,
            _rows(D, unit_start, n_layers),
            per_sample,
        )
    return total / n


@njit()
def _network_points(X, Y, origin, u, v, sizes, activation, loss, a, b, lo, hi, out):
    """Losses of grid points lo..hi-1 (row-major numbering), with one set of scratch memory."""
    offsets = _offsets(sizes)
    workspace = _workspace(sizes, X.shape[0])
    idx = np.arange(X.shape[0])
    theta = np.empty(origin.size)
    for point in range(lo, hi):
        i = point // b.size
        j = point - i * b.size
        ai = a[i]
        bj = b[j]
        for p in range(origin.size):
            theta[p] = origin[p] + ai * u[p] + bj * v[p]
        out[i, j] = _network_loss(X, Y, idx, theta, sizes, activation, loss, offsets, workspace)


@njit(parallel=True)
def mlp_surface(X, Y, origin, u, v, sizes, activation, loss, a, b, out):
    """Mean loss of the network at every grid point (one forward pass per point).

    Networks whose products go to BLAS run their points one after the other (BLAS
    uses the threads itself); the others spread blocks of points over the threads.
    """
    n_points = a.size * b.size
    if _uses_blas(sizes):
        _network_points(X, Y, origin, u, v, sizes, activation, loss, a, b, 0, n_points, out)
        return out
    n_tasks = (n_points + _POINTS_PER_TASK - 1) // _POINTS_PER_TASK
    for task in numba.prange(n_tasks):
        lo = task * _POINTS_PER_TASK
        hi = min(lo + _POINTS_PER_TASK, n_points)
        _network_points(X, Y, origin, u, v, sizes, activation, loss, a, b, lo, hi, out)
    return out
