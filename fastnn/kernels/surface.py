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
* accuracy, :func:`accuracy_surface`, counts the samples on the right side of zero;
* binary cross-entropy, :func:`bce_surface`, needs one softplus per sample and
  grid point.  ``softplus(z) - y z`` is rewritten as ``softplus(s z) - (y - c) z``
  with ``c = [y >= 1/2]`` and ``s = 1 - 2c``: for 0/1 labels the second term is
  zero, otherwise it is linear in ``(a, b)`` and hoisted out of the grid loops.
  Every summand ``softplus(s z)`` is positive, so no large sums cancel (the plain
  hoisting of ``y z`` would subtract two sums of size ``|z|``).  The log terms of 16
  samples are one ``log1p`` of a running product (:func:`_softplus_sums`), so a
  summand costs one exp and a few adds.

Networks, :func:`mlp_surface`, do not run a forward pass per grid point: the first
layer that the plane moves is affine in ``(a, b)``, so its pre-activations are three
products per data chunk, combined per point (:mod:`fastnn.kernels._plane_network`);
blocks of points of one grid row run on the threads.  The sample-summing linear
kernels spread (row, block of 64 columns) tasks.
Reference: :mod:`fastnn.reference.surface`.
"""

from __future__ import annotations

import numba
import numpy as np

from fastnn._numba import njit
from fastnn.kernels._activation import _activate, _activated, _layer
from fastnn.kernels._math import _cast_like, _exp_term, _log1p
from fastnn.kernels._plane_network import (
    BLAS_SUB,
    CHUNK,
    POINTS_PER_BLOCK,
    SUB,
    WIDE_POINTS_PER_BLOCK,
    _block_buffers,
    _chunk_products,
    _evaluate_block,
    _first_varying_layer,
    _form_tail,
    _sample_major,
    _wide_after,
)
from fastnn.kernels.mlp import _offsets as offsets

# Grid columns per parallel task of the linear kernels: tasks are (row, column block)
# pairs, so a tile of one long row still uses every thread.  Each task recomputes its
# row's O(N) logits, 1/64 of the softplus work or less.
_COLUMNS_PER_TASK = 64
# Samples per running product of the BCE surface (see _softplus_sums).
_PRODUCT_GROUP = 16


@njit()
def mse_surface_stats(
    z0: np.ndarray, zu: np.ndarray, zv: np.ndarray, y: np.ndarray, out: np.ndarray
) -> np.ndarray:
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
def mse_surface_quadratic(
    stats: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray
) -> np.ndarray:
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


@njit()
def _softplus_sums(w, zv_signed, columns, q, partial, totals):
    """``totals[c] = sum_k softplus(w_k + columns[c] zv_signed_k)`` for every column c.

    A sum of logs is the log of a product: over a group of :data:`_PRODUCT_GROUP` samples,
    ``sum_k log1p(e_k) = log1p(q)`` with ``1 + q = prod_k (1 + e_k)`` and
    ``e_k = exp(-|t_k|)`` in [0, 1].  ``q`` is accumulated as ``q + e (1 + q)``, whose
    roundings are relative to ``q`` itself (a plain product of the ``1 + e_k`` would lose
    every ``e_k`` below 1e-16): at most two per sample, so the group's log term is within
    ``2 * 16`` roundings (3.6e-15 relative; float32: 2e-6).  Per summand that is one exp,
    a max, two adds and an FMA instead of an exp and a degree-20 log1p; one log1p per
    group and column.  ``max(t, 0)`` is summed per group too, and the groups' sums are
    added in float64.

    The column loops have :data:`_COLUMNS_PER_TASK` iterations, a compile-time constant:
    they vectorise without a scalar remainder, so every column runs the same
    instructions and a point's value does not depend on its position in the task.
    """
    zero = _cast_like(0.0, q)
    one = _cast_like(1.0, q)
    for c in range(_COLUMNS_PER_TASK):
        totals[c] = 0.0
    n = w.size
    for group in range(0, n, _PRODUCT_GROUP):
        for c in range(_COLUMNS_PER_TASK):
            q[c] = zero
            partial[c] = zero
        for k in range(group, min(group + _PRODUCT_GROUP, n)):
            wk = w[k]
            zk = zv_signed[k]
            for c in range(_COLUMNS_PER_TASK):
                t = wk + columns[c] * zk
                e = _exp_term(-abs(t))
                partial[c] += max(t, zero)
                q[c] = q[c] + e * (one + q[c])
        for c in range(_COLUMNS_PER_TASK):
            totals[c] += _log1p(np.float64(q[c])) + np.float64(partial[c])


@njit(inline=True)
def _task_cells(task, n_blocks, n_columns):
    """Grid row and column range [lo, hi) of a (row, block of columns) task."""
    i = task // n_blocks
    lo = (task - i * n_blocks) * _COLUMNS_PER_TASK
    return i, lo, min(lo + _COLUMNS_PER_TASK, n_columns)


@njit(parallel=True)
def mse_surface_brute(
    z0: np.ndarray,
    zu: np.ndarray,
    zv: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
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


@njit()
def _bce_hoisted(z0, zu, zv, y, sign, zv_signed):
    """The BCE surface's hoisted part ``mean((y - c) z) = h0 + a hu + b hv``: (h0, hu, hv).

    Fills ``sign`` (``s = 1 - 2c``, ``c = [y >= 1/2]``) and ``zv_signed = s zv``.
    Shared with the GPU kernel's host code (:mod:`fastnn.cuda.surface`).
    """
    n = y.size
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
    return h0 / n, hu / n, hv / n


@njit(parallel=True)
def bce_surface(
    z0: np.ndarray,
    zu: np.ndarray,
    zv: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Mean binary cross-entropy (from the logits) at every grid point.

    ``z0``, ``zu``, ``zv`` and ``y`` may be float32: the softplus terms are then computed
    in float32 and summed in float64 per group of samples (:func:`_softplus_sums`).
    """
    n = y.size
    sign = np.empty(n, z0.dtype)
    zv_signed = np.empty(n, z0.dtype)
    h0, hu, hv = _bce_hoisted(z0, zu, zv, y, sign, zv_signed)
    n_blocks = (b.size + _COLUMNS_PER_TASK - 1) // _COLUMNS_PER_TASK
    for task in numba.prange(a.size * n_blocks):
        i, lo, hi = _task_cells(task, n_blocks, b.size)
        ai = _cast_like(a[i], z0)
        w = np.empty(n, z0.dtype)
        for k in range(n):
            w[k] = sign[k] * (z0[k] + ai * zu[k])
        # A short last task repeats its last column (computed, then not stored).
        columns = np.empty(_COLUMNS_PER_TASK, z0.dtype)
        for c in range(_COLUMNS_PER_TASK):
            columns[c] = b[min(lo + c, hi - 1)]
        totals = np.empty(_COLUMNS_PER_TASK)
        _softplus_sums(
            w,
            zv_signed,
            columns,
            np.empty(_COLUMNS_PER_TASK, z0.dtype),
            np.empty(_COLUMNS_PER_TASK, z0.dtype),
            totals,
        )
        for j in range(lo, hi):
            out[i, j] = totals[j - lo] / n - (h0 + a[i] * hu + b[j] * hv)
    return out


@njit()
def _correct_counts(w, zv, positive, columns, counts):
    """``counts[c]`` = samples k with ``(w_k + columns[c] zv_k > 0) == positive_k``."""
    for c in range(_COLUMNS_PER_TASK):
        counts[c] = 0.0
    for k in range(w.size):
        wk = w[k]
        zk = zv[k]
        pk = positive[k]
        for c in range(_COLUMNS_PER_TASK):
            counts[c] += 1.0 if (wk + columns[c] * zk > 0.0) == pk else 0.0


@njit(parallel=True, strict=True)
def accuracy_surface(
    z0: np.ndarray,
    zu: np.ndarray,
    zv: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Accuracy of a linear classifier at every grid point, as ``predict`` decides a class.

    The fraction of samples with ``(z0 + a zu + b zv > 0) == (y >= 1/2)``.

    Each logit is formed as ``(z0 + a zu) + b zv``, without fused multiply-adds (strict
    IEEE), the order of the numpy twin: a sample's side of zero is the same in both.
    ``z0``, ``zu``, ``zv`` may be float32 (the logits are then formed in float32).
    """
    n = y.size
    positive = np.empty(n, np.bool_)
    for k in range(n):
        positive[k] = y[k] >= 0.5
    n_blocks = (b.size + _COLUMNS_PER_TASK - 1) // _COLUMNS_PER_TASK
    for task in numba.prange(a.size * n_blocks):
        i, lo, hi = _task_cells(task, n_blocks, b.size)
        ai = _cast_like(a[i], z0)
        w = np.empty(n, z0.dtype)
        for k in range(n):
            w[k] = z0[k] + ai * zu[k]
        columns = np.empty(_COLUMNS_PER_TASK, z0.dtype)
        for c in range(_COLUMNS_PER_TASK):
            columns[c] = b[min(lo + c, hi - 1)]
        counts = np.empty(_COLUMNS_PER_TASK)
        _correct_counts(w, zv, positive, columns, counts)
        for j in range(lo, hi):
            out[i, j] = counts[j - lo] / n
    return out


@njit()
def _chunk_width(sizes, n_samples, sub):
    """Samples per data chunk: :data:`CHUNK` (a multiple of ``sub``), at most N rounded up."""
    width = max(CHUNK, sub)
    return min(width, (n_samples + sub - 1) // sub * sub)


@njit()
def _block_state(origin, u, v, a, b, i, j0, sizes, offs, first, bs, tails):
    """The b values (in the data's dtype) and later-layer weights of grid points (i, j0 + q)."""
    for q in range(bs.size):
        bs[q] = _cast_like(b[j0 + q], bs)
        _form_tail(origin, u, v, a[i], b[j0 + q], sizes, offs, first, tails[q])


@njit(parallel=True)
def mlp_surface(
    X: np.ndarray,
    Y: np.ndarray,
    origin: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    sizes: np.ndarray,
    activation: np.ndarray,
    loss: int,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Mean loss of the network at every grid point: shared products, blocks of points.

    See :mod:`fastnn.kernels._plane_network`: the first layer that the plane moves is
    computed as three products per data chunk, the layers after it per point, a block
    of points (of one grid row) per chunk.  ``X``, ``origin``, ``u``, ``v`` and ``Y``
    may be float32; every point's sum is accumulated in float64.
    """
    offs = offsets(sizes)
    w_start = offs[0]
    n = X.shape[0]
    n_layers = sizes.size - 1
    first = _first_varying_layer(sizes, u, v)
    # A wide later layer takes BLAS products of sub-blocks of BLAS_SUB samples; the
    # blocks still run on numba's threads (the caller limits BLAS to one thread: its
    # idle threads spin after each call and took half of the cores from the blocks).
    wide = _wide_after(sizes, first)
    sub = BLAS_SUB if wide else SUB
    block = WIDE_POINTS_PER_BLOCK if wide else POINTS_PER_BLOCK
    width = _chunk_width(sizes, n, sub)
    tail_start = w_start[first + 1] if first + 1 < n_layers else origin.size
    n_tail = origin.size - tail_start
    units = offs[2]
    A = np.zeros((units[first + 1], width), X.dtype)
    if _sample_major(sizes, first):
        P = np.zeros((3, width, sizes[first + 1]), X.dtype)
    else:
        P = np.zeros((3, sizes[first + 1], width), X.dtype)
    Yt = np.zeros((Y.shape[1], width), Y.dtype)
    per_row = (b.size + block - 1) // block
    totals = np.zeros((a.size, b.size))
    for lo in range(0, n, width):
        m = min(width, n - lo)
        _chunk_products(X, Y, lo, m, origin, u, v, sizes, activation, offs, first, A, P, Yt)
        for task in numba.prange(a.size * per_row):
            i = task // per_row
            j0 = (task - i * per_row) * block
            j1 = min(j0 + block, b.size)
            bs = np.empty(j1 - j0, X.dtype)
            tails = np.empty((j1 - j0, n_tail), X.dtype)
            _block_state(origin, u, v, a, b, i, j0, sizes, offs, first, bs, tails)
            _evaluate_block(
                P,
                Yt,
                m,
                _cast_like(a[i], bs),
                bs,
                tails,
                sizes,
                activation,
                loss,
                offs,
                first,
                sub,
                _block_buffers(sizes, first, sub, bs),
                totals[i, j0:j1],
            )
    for i in range(a.size):
        for j in range(b.size):
            out[i, j] = _mean(totals[i, j], n)
    return out


@njit(exact=True)
def _mean(total, n):
    """``total / n``, correctly rounded.

    Fast-math's reciprocal (``arcp``) would make it ``total * (1 / n)``, and an accuracy
    of 97 samples in 100 would not be ``97 / 100``.
    """
    return total / n


# Samples per parallel task of plane_layer.
_PLANE_LAYER_ROWS = 256


@njit(parallel=True)
def plane_layer(
    P: np.ndarray,
    a: float,
    b: float,
    scale: np.ndarray,
    shift: np.ndarray,
    activation: np.ndarray,
    layer: int,
    out: np.ndarray,
) -> np.ndarray:
    """A layer's outputs at the point ``(a, b)`` of a plane, with a per-unit affine map.

    ``out[i, k] = f((P[0, i, k] + a P[1, i, k] + b P[2, i, k]) scale[k] + shift[k])``:
    ``P`` holds the layer's pre-activations at the plane's origin and along its two
    directions (samples x units), ``scale`` and ``shift`` the point's batch
    normalisation (1 and 0 without one), ``f`` the activation of ``layer`` in the
    table (the identity when it has no row).
    """
    n, width = out.shape
    activated = _activated(activation, layer)
    code, param = _layer(activation, layer) if activated else (0, 0.0)
    n_tasks = (n + _PLANE_LAYER_ROWS - 1) // _PLANE_LAYER_ROWS
    for task in numba.prange(n_tasks):
        lo = task * _PLANE_LAYER_ROWS
        hi = min(lo + _PLANE_LAYER_ROWS, n)
        for i in range(lo, hi):
            for k in range(width):
                z = P[0, i, k] + a * P[1, i, k] + b * P[2, i, k]
                out[i, k] = z * scale[k] + shift[k]
        if activated:
            _activate(out[lo:hi], code, param, width)
    return out
