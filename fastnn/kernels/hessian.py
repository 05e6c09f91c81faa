r"""Exact Hessian-vector products of the mean loss (numba), several vectors per data pass.

Contract of both kernels (reference: :mod:`fastnn.reference.hessian`): ``V`` holds k
directions as rows, ``out`` (same shape) receives ``H v`` for each, where ``H`` is the
Hessian of the mean loss over the samples at ``theta`` plus ``alpha / N`` on the weights
(the L2 penalty ``alpha / (2 N) ||W||^2``; 0 for the data term alone).  One pass over the
data serves the whole block: whatever does not depend on the direction (logits,
activations, deltas) is computed once per chunk of samples.

* :func:`linear_hvp`: ``H = [1 X]^T diag(h) [1 X] / N`` with ``h = 2`` (squared error)
  or ``s (1 - s) = e / (1 + e)^2``, ``e = exp(-|z|)`` (cross-entropy: no cancellation
  where ``s`` is near 0 or 1).
* :func:`mlp_hvp`: Pearlmutter's R-operator (1994).  With ``R{.}`` the directional
  derivative along ``v = (V_l, c_l)``: forward ``R{z_{l+1}} = V_l^T a_l + c_l + W_l^T
  R{a_l}``, ``R{a_l} = f'(z_l) R{z_l}``; at the output ``R{delta_L} = (d^2 loss / dz^2)
  R{z_L}`` (2/K, ``s (1 - s)``, or ``p * (R{z} - p . R{z})`` for the softmax; with an
  output activation ``f`` under the squared error, ``delta_L = f'(z_L) E_L`` with ``E_L =
  2 (a_L - y) / K`` and ``R{delta_L} = (f''(z_L) E_L + 2 f'(z_L)^2 / K) R{z_L}``); backward
  ``R{g_{W_l}} = R{a_l} delta_{l+1}^T + a_l R{delta_{l+1}}^T``, ``R{g_{b_l}} =
  R{delta_{l+1}}`` and ``R{delta_l} = f''(z_l) R{z_l} (W_l delta_{l+1}) + f'(z_l) (V_l
  delta_{l+1} + W_l R{delta_{l+1}})``.  Samples run in feature-major chunks as in
  :mod:`fastnn.kernels.mlp` (BLAS for wide layers); small networks on many samples spread
  fixed groups of chunks over the threads (the grouping depends on the sizes only, so the
  bits do not depend on the thread count).
"""

from __future__ import annotations

import numba
import numpy as np

from fastnn._codes import LOG_LOSS, SQUARED_ERROR
from fastnn._numba import njit
from fastnn.kernels._activation import (
    _activated,
    _any_needs_pre,
    _derivative_rows,
    _keep_and_activate,
    _layer,
)
from fastnn.kernels._math import _exp
from fastnn.kernels.mlp import (
    _BLAS_CHUNK,
    _BLAS_MIN_WEIGHTS,
    _CHUNK,
    _GROUPS,
    _PARALLEL_MIN_WORK,
    _affine,
    _column_max,
    _load_chunk,
    _loss_and_delta,
    _offsets,
    _rows,
    _uses_blas,
    _weights,
)

# Samples per group of the linear kernel's threads (a group's partial sums are added in a
# fixed order).
_LINEAR_GROUP = 4096


@njit()
def _logit_curvature(z, loss):
    """d^2 loss / dz^2 of one logit: 2 (squared error) or s (1 - s) = e / (1 + e)^2."""
    if loss == SQUARED_ERROR:
        return 2.0
    e = _exp(-abs(z))
    s = 1.0 / (1.0 + e)
    return e * s * s


@njit(parallel=True)
def linear_hvp(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    loss: int,
    alpha: float,
    V: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Hessian of the linear model's mean loss at ``theta`` times each row of ``V``."""
    n, d = X.shape
    k = V.shape[0]
    groups = (n + _LINEAR_GROUP - 1) // _LINEAR_GROUP
    partial = np.zeros((groups, k, d + 1))
    for g in numba.prange(groups):
        part = partial[g]
        for i in range(g * _LINEAR_GROUP, min(n, (g + 1) * _LINEAR_GROUP)):
            x = X[i]
            z = theta[0]
            for j in range(d):
                z += x[j] * theta[j + 1]
            h = _logit_curvature(z, loss)
            for r in range(k):
                v = V[r]
                u = v[0]
                for j in range(d):
                    u += x[j] * v[j + 1]
                t = h * u
                row = part[r]
                row[0] += t
                for j in range(d):
                    row[j + 1] += t * x[j]
    for r in range(k):
        for p in range(d + 1):
            total = 0.0
            for g in range(groups):
                total += partial[g, r, p]
            out[r, p] = total / n
        for p in range(1, d + 1):
            out[r, p] += alpha / n * V[r, p]
    return out


# -- networks ---------------------------------------------------------------------------------
@njit()
def _blas(W):
    return W.shape[0] * W.shape[1] >= _BLAS_MIN_WEIGHTS


@njit()
def _product(M, B, out, m, scratch, accumulate):
    """out[:, :m] = M B[:, :m], or += with ``accumulate``.

    ``M`` is a layer's weights (fan_in x fan_out) or their transposed view; BLAS for
    layers of at least :data:`_BLAS_MIN_WEIGHTS` weights (over the whole chunk width:
    B is finite there), loops over the samples otherwise.
    """
    rows, inner = M.shape
    if _blas(M):
        width = B.shape[1]
        product = scratch[: rows * width].reshape((rows, width))
        np.dot(M, B, product)
        for j in range(rows):
            for i in range(m):
                out[j, i] = out[j, i] + product[j, i] if accumulate else product[j, i]
        return
    for j in range(rows):
        row = out[j]
        if not accumulate:
            for i in range(m):
                row[i] = 0.0
        for k in range(inner):
            w = M[j, k]
            b = B[k]
            for i in range(m):
                row[i] += w * b[i]


@njit()
def _add_outer(A, B, G, m, scratch):
    """G[j, k] += sum_i A[j, i] B[k, i] over the chunk (B is zero past column m)."""
    fan_in, fan_out = G.shape
    if fan_in * fan_out >= _BLAS_MIN_WEIGHTS:
        outer = scratch[: fan_in * fan_out].reshape((fan_in, fan_out))
        np.dot(A, B.T, outer)
        for j in range(fan_in):
            for k in range(fan_out):
                G[j, k] += outer[j, k]
        return
    for j in range(fan_in):
        a = A[j]
        for k in range(fan_out):
            b = B[k]
            acc = 0.0
            for i in range(m):
                acc += a[i] * b[i]
            G[j, k] += acc


@njit()
def _output_curvature_times(Z, RZ, loss, m, RD, scratch):
    """RD[:, :m] = (d^2 loss_i / dz^2) RZ[:, i]; zero past column m."""
    n_out, width = RD.shape
    for k in range(n_out):
        for i in range(m, width):
            RD[k, i] = 0.0
    if loss == SQUARED_ERROR:
        for k in range(n_out):
            for i in range(m):
                RD[k, i] = 2.0 / n_out * RZ[k, i]
        return
    if loss == LOG_LOSS:
        for i in range(m):
            e = _exp(-abs(Z[0, i]))
            s = 1.0 / (1.0 + e)
            RD[0, i] = e * s * s * RZ[0, i]
        return
    # softmax: p (RZ - p . RZ), p = exp(z - max) / sum
    top, total, dot = scratch[0], scratch[1], scratch[2]
    _column_max(Z, m, top, dot, total)
    for k in range(n_out):
        for i in range(m):
            p = _exp(Z[k, i] - top[i])
            RD[k, i] = p
            total[i] += p
    for i in range(m):
        dot[i] = 0.0
    for k in range(n_out):
        for i in range(m):
            RD[k, i] /= total[i]
            dot[i] += RD[k, i] * RZ[k, i]
    for k in range(n_out):
        for i in range(m):
            RD[k, i] *= RZ[k, i] - dot[i]


@njit()
def _activated_output_delta(A, P, D, E, F, S, activation, l, m):
    """An activated output under the squared error: E = D = 2 (a - y) / K, then D *= f'.

    F and S receive f' and f'' of the output units (the R-operator needs both).
    """
    code, param = _layer(activation, l)
    _derivative_rows(F, S, A, P, code, param, m)
    for k in range(D.shape[0]):
        for i in range(m):
            E[k, i] = D[k, i]
            D[k, i] *= F[k, i]
        for i in range(m, D.shape[1]):
            E[k, i] = 0.0


@njit()
def _activated_output_curvature_times(E, F, S, RZ, m, RD):
    """RD[:, :m] = (f'' E + 2 f'^2 / K) RZ: R{delta} of an activated squared-error output."""
    n_out, width = RD.shape
    for k in range(n_out):
        for i in range(m):
            RD[k, i] = (S[k, i] * E[k, i] + 2.0 / n_out * F[k, i] * F[k, i]) * RZ[k, i]
        for i in range(m, width):
            RD[k, i] = 0.0


@njit()
def _upper(buffer, unit_start, l):
    """The rows of layer l >= 1 in a chunk buffer that holds layers 1..L only."""
    first = unit_start[1]
    width = buffer.size // (unit_start[-1] - first)
    return buffer[(unit_start[l] - first) * width : (unit_start[l + 1] - first) * width].reshape(
        (unit_start[l + 1] - unit_start[l], width)
    )


@njit()
def _exchange(rows, cache, column, start, m, save):
    """Move a chunk's ``rows`` to (save) or from rows ``column...`` of the cache.

    Both are feature-major, so each row is one contiguous copy: with the cache
    sample-major (the layout before), these copies cost 38 ms of a 120 ms MNIST-sized
    product that filled it, and reading it took about as long as the forward pass it
    saves.
    """
    for j in range(rows.shape[0]):
        row = rows[j]
        kept = cache[column + j]
        if save:
            for i in range(m):
                kept[start + i] = row[i]
        else:
            for i in range(m):
                row[i] = kept[start + i]


@njit()
def _exchange_layers(A, D, E, P, unit_start, sizes, cache, start, m, save):
    """A chunk's outputs, deltas and ``W delta`` of layers 1..L to (save) or from the cache.

    The cache's rows: the three quantities one after the other, each in unit order, then
    the pre-activations when P has any (activations whose derivatives need them).
    """
    block = unit_start[-1] - sizes[0]
    for l in range(1, sizes.size):
        column = unit_start[l] - sizes[0]
        _exchange(_rows(A, unit_start, l), cache, column, start, m, save)
        _exchange(_upper(D, unit_start, l), cache, block + column, start, m, save)
        _exchange(_upper(E, unit_start, l), cache, 2 * block + column, start, m, save)
        if P.size > 0:
            _exchange(_upper(P, unit_start, l), cache, 3 * block + column, start, m, save)


@njit()
def _chunks_hvp(
    X, Y, idx, lo, hi, theta, sizes, activation, loss, V, offsets, width, out, cache, cached
):
    """out[r] += the summed Hessian-vector product of samples idx[lo:hi] with V[r]."""
    w_start, b_start, unit_start = offsets
    L = sizes.size - 1
    width = min(_BLAS_CHUNK if _uses_blas(sizes) else _CHUNK, (width + 7) // 8 * 8)
    units = unit_start[-1]
    block = units - sizes[0]  # layers 1..L: also the cache's rows per quantity
    # Zeros: the columns past a short last chunk must stay finite (BLAS runs over them).
    A = np.zeros(units * width)
    D = np.zeros(block * width)  # the deltas and the rest hold layers 1..L only
    E = np.zeros(block * width)  # W_l delta_{l+1}: the delta before f'
    RZ = np.zeros(block * width)  # R{z_l}; R{a_l} is formed from it layer by layer
    RA = np.zeros(block * width)
    RD = np.zeros(block * width)
    # the hidden pre-activations, kept only where the derivatives need them
    P = np.zeros(block * width if _any_needs_pre(activation) else 0)
    # f' and f'' of the hidden units: they do not depend on the direction either
    F = np.zeros(block * width)
    S = np.zeros(block * width)
    per_sample = np.empty((3, width))
    widest, tallest = 0, 0
    for l in range(L):
        widest = max(widest, sizes[l] * sizes[l + 1])
        tallest = max(tallest, sizes[l + 1])
    scratch = np.empty(max(widest, tallest * width))
    keep = cache.shape[0] > 0
    # A wide first layer reads a whole chunk of X in place (a transposed view: BLAS takes
    # it as it is) instead of copying it feature-major: 13 ms of an MNIST-sized HVP.
    in_place = _blas(_weights(theta, sizes, w_start, 0))
    for start in range(lo, hi, width):
        m = min(width, hi - start)
        XT = X[start : start + m].T
        direct = in_place and m == width  # (idx is 0..N-1: chunks are rows of X)
        if not direct:
            _load_chunk(X, idx, start, m, _rows(A, unit_start, 0))
        if cached:
            _exchange_layers(A, D, E, P, unit_start, sizes, cache, start, m, False)
            for l in range(1, L + 1):  # finite padding: BLAS runs over whole rows
                Al, Dl = _rows(A, unit_start, l), _upper(D, unit_start, l)
                for j in range(Al.shape[0]):
                    for i in range(m, width):
                        Al[j, i] = 0.0
                        Dl[j, i] = 0.0
            for l in range(1, activation.shape[0] + 1):  # (and the output's, if activated)
                code, param = _layer(activation, l - 1)
                _derivative_rows(
                    _upper(F, unit_start, l), _upper(S, unit_start, l),
                    _rows(A, unit_start, l), _upper(P, unit_start, l), code, param, m,
                )  # fmt: skip
        else:
            # what does not depend on the direction: activations, deltas, E
            for l in range(L):
                W = _weights(theta, sizes, w_start, l)
                b = theta[b_start[l] : b_start[l] + sizes[l + 1]]
                A_out = _rows(A, unit_start, l + 1)
                if l == 0 and direct:
                    _affine(W, b, XT, A_out, m)
                else:
                    _affine(W, b, _rows(A, unit_start, l), A_out, m)
                if _activated(activation, l):
                    code, param = _layer(activation, l)
                    _keep_and_activate(A_out, _upper(P, unit_start, l + 1), code, param, m)
            _loss_and_delta(
                _rows(A, unit_start, L),
                Y,
                idx,
                start,
                m,
                loss,
                _upper(D, unit_start, L),
                per_sample,
            )
            if _activated(activation, L - 1):
                _activated_output_delta(
                    _rows(A, unit_start, L), _upper(P, unit_start, L), _upper(D, unit_start, L),
                    _upper(E, unit_start, L), _upper(F, unit_start, L),
                    _upper(S, unit_start, L), activation, L - 1, m,
                )  # fmt: skip
            for l in range(L - 1, 0, -1):
                W = _weights(theta, sizes, w_start, l)
                El, Dl = _upper(E, unit_start, l), _upper(D, unit_start, l)
                Fl = _upper(F, unit_start, l)
                code, param = _layer(activation, l - 1)
                _derivative_rows(
                    Fl, _upper(S, unit_start, l), _rows(A, unit_start, l),
                    _upper(P, unit_start, l), code, param, m,
                )  # fmt: skip
                _product(W, _upper(D, unit_start, l + 1), El, m, scratch, False)
                for j in range(El.shape[0]):
                    for i in range(m):
                        Dl[j, i] = El[j, i] * Fl[j, i]
                    for i in range(m, width):
                        Dl[j, i] = 0.0
            if keep:
                _exchange_layers(A, D, E, P, unit_start, sizes, cache, start, m, True)
        for r in range(V.shape[0]):
            v, g = V[r], out[r]
            # forward: R{z_{l+1}} = V_l^T a_l + c_l + W_l^T R{a_l}  (R{a_0} = 0)
            for l in range(L):
                VW = _weights(v, sizes, w_start, l)
                c = v[b_start[l] : b_start[l] + sizes[l + 1]]
                RZ_out = _upper(RZ, unit_start, l + 1)
                if l == 0 and direct:
                    _affine(VW, c, XT, RZ_out, m)
                else:
                    _affine(VW, c, _rows(A, unit_start, l), RZ_out, m)
                if l > 0:
                    W = _weights(theta, sizes, w_start, l)
                    _product(W.T, _upper(RA, unit_start, l), RZ_out, m, scratch, True)
                if l < L - 1:
                    RA_out, F_out = _upper(RA, unit_start, l + 1), _upper(F, unit_start, l + 1)
                    for j in range(RA_out.shape[0]):
                        for i in range(m):
                            RA_out[j, i] = F_out[j, i] * RZ_out[j, i]
                        for i in range(m, width):
                            RA_out[j, i] = 0.0
            if _activated(activation, L - 1):
                _activated_output_curvature_times(
                    _upper(E, unit_start, L), _upper(F, unit_start, L),
                    _upper(S, unit_start, L), _upper(RZ, unit_start, L), m,
                    _upper(RD, unit_start, L),
                )  # fmt: skip
            else:
                _output_curvature_times(
                    _rows(A, unit_start, L),
                    _upper(RZ, unit_start, L),
                    loss,
                    m,
                    _upper(RD, unit_start, L),
                    per_sample,
                )
            # backward
            for l in range(L - 1, -1, -1):
                RD_next = _upper(RD, unit_start, l + 1)
                gW = _weights(g, sizes, w_start, l)
                if l == 0 and direct:
                    _add_outer(XT, RD_next, gW, m, scratch)
                else:
                    _add_outer(_rows(A, unit_start, l), RD_next, gW, m, scratch)
                if l > 0:
                    _add_outer(
                        _upper(RA, unit_start, l), _upper(D, unit_start, l + 1), gW, m, scratch
                    )
                gb = g[b_start[l] : b_start[l] + sizes[l + 1]]
                for k in range(gb.size):
                    acc = 0.0
                    for i in range(m):
                        acc += RD_next[k, i]
                    gb[k] += acc
                if l == 0:
                    break
                # R{delta_l} = f'' R{z_l} E_l + f' (V_l delta_{l+1} + W_l R{delta_{l+1}})
                W = _weights(theta, sizes, w_start, l)
                VW = _weights(v, sizes, w_start, l)
                RDl, El = _upper(RD, unit_start, l), _upper(E, unit_start, l)
                RZl = _upper(RZ, unit_start, l)
                Fl, Sl = _upper(F, unit_start, l), _upper(S, unit_start, l)
                _product(VW, _upper(D, unit_start, l + 1), RDl, m, scratch, False)
                _product(W, RD_next, RDl, m, scratch, True)
                for j in range(RDl.shape[0]):
                    for i in range(m):
                        RDl[j, i] = Sl[j, i] * RZl[j, i] * El[j, i] + Fl[j, i] * RDl[j, i]
                    for i in range(m, width):
                        RDl[j, i] = 0.0


@njit(parallel=True)
def mlp_hvp(
    X: np.ndarray,
    Y: np.ndarray,
    theta: np.ndarray,
    sizes: np.ndarray,
    activation: np.ndarray,
    loss: int,
    alpha: float,
    V: np.ndarray,
    out: np.ndarray,
    cache: np.ndarray,
    cached: bool,
) -> np.ndarray:
    """Hessian of the network's mean loss at ``theta`` times each row of ``V``, into ``out``.

    ``cache`` (``3 (sum(sizes) - sizes[0])`` rows and N columns, ``4 (...)`` when an
    activation's derivatives need its pre-activations, or no rows) keeps what does not
    depend on the direction, a row per unit and a column per sample: the outputs of
    layers 1..L, their deltas, then ``W_l delta_{l+1}`` (for the output layer: zero, or
    ``2 (a - y) / K`` with an output activation), then
    (4 blocks) their pre-activations, each block in unit order.  ``cached=False``
    computes them (and fills a cache that has rows); ``cached=True`` reads them, so later
    products at the same theta skip the forward pass and the backward pass of the deltas
    (bit for bit the same products).
    """
    n = X.shape[0]
    k = V.shape[0]
    idx = np.arange(n)
    offsets = _offsets(sizes)
    out[:] = 0.0
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    if n * theta.size * k < _PARALLEL_MIN_WORK or n_chunks < 2 or _uses_blas(sizes):
        _chunks_hvp(
            X, Y, idx, np.int64(0), n, theta, sizes, activation, loss, V, offsets, n, out,
            cache, cached,
        )  # fmt: skip
    else:
        groups = min(_GROUPS, n_chunks)
        per_group = (n_chunks + groups - 1) // groups * _CHUNK
        partial = np.zeros((groups, k, theta.size))
        for g in numba.prange(groups):
            start = g * per_group
            stop = min(start + per_group, n)
            if start < stop:
                _chunks_hvp(
                    X, Y, idx, start, stop, theta, sizes, activation, loss, V, offsets,
                    per_group, partial[g], cache, cached,
                )  # fmt: skip
        for g in range(groups):
            for r in range(k):
                for p in range(theta.size):
                    out[r, p] += partial[g, r, p]
    w_start, b_start = offsets[0], offsets[1]
    for r in range(k):
        for p in range(theta.size):
            out[r, p] /= n
        for l in range(sizes.size - 1):
            for p in range(w_start[l], b_start[l]):
                out[r, p] += alpha / n * V[r, p]
    return out
