"""An MLP's loss and gradient for many parameter vectors at once: one per SIMD lane (numba).

Trainability maps train the same network on the same data at thousands of grid points.
For a small network, per-point loops are too short to vectorise well (16 hidden units,
16 samples: every inner loop is a handful of vectors plus its start-up cost).  Here the
grid points are the innermost axis instead: every parameter is a row of :data:`LANES`
values, one per point (``T[p, lane]``), every activation and delta too, so every loop
runs over whole rows whatever the network's size, and the lanes never mix.

Layout, for a group of lanes:

* ``T`` (parameters), ``G`` (gradient): ``(n_params, LANES)``, rows in the order of the
  flat ``theta`` of :mod:`fastnn.kernels.mlp` -- layer ``l``'s weight ``W[j, k]`` is row
  ``w_start[l] + j * fan_out + k``, so the rows of input ``j`` form one contiguous block
  of ``fan_out * LANES`` values;
* ``A`` (activations of the hidden and output units), ``D`` (their deltas):
  ``(BLOCK, units, LANES)`` for a block of :data:`BLOCK` samples; the inputs are not
  copied: they are the same for every lane, so the first layer is a product of the
  block's inputs ``Xb`` (``BLOCK x n_in``) with the lane-flattened weights.

Samples run in blocks of :data:`BLOCK` (zero-padded: a padding sample has zero inputs
and zero deltas, so it adds exact zeros), and the sums over inputs and over samples
are unrolled by four with the terms added left to right, so every lane's value is
the same sequential sum whatever the block and the group.  Compiled with exact flags
(no reassociation): a lane's numbers do not depend on its position or its neighbours.
Reference: a point at a time, :mod:`fastnn.reference.mlp` (through the trainability twin).
"""

from __future__ import annotations

import numpy as np

from fastnn._builds import TRAINABILITY_BOX_ROWS, TRAINABILITY_LANES
from fastnn._codes import IDENTITY, LOG_LOSS, SQUARED_ERROR
from fastnn._numba import njit
from fastnn.kernels._activation import (
    _activate_into,
    _activated,
    _any_needs_pre,
    _keep_and_activate,
    _layer,
    _scale_by_derivative,
    _scale_by_output_derivative,
)
from fastnn.kernels._math import _exp, _log1p
from fastnn.kernels.linear import _bce_term

# Grid points per group: a multiple of every vector width times LLVM's interleave (4 x 8).
LANES = TRAINABILITY_LANES
# A group of lanes is a box of up to GROUP_ROWS x (LANES / GROUP_ROWS) grid points.
GROUP_ROWS = TRAINABILITY_BOX_ROWS
# Samples per block: the unroll factor of the sums over samples.
BLOCK = 4


@njit(exact=True)
def _lane_offsets(sizes):
    """Row of each layer's weights and biases in ``T``, and of its output units in ``A``."""
    n_layers = sizes.size - 1
    w_start = np.empty(n_layers, np.int64)
    b_start = np.empty(n_layers, np.int64)
    unit_start = np.empty(n_layers + 1, np.int64)
    position = 0
    unit_start[0] = 0
    for l in range(n_layers):
        w_start[l] = position
        position += sizes[l] * sizes[l + 1]
        b_start[l] = position
        position += sizes[l + 1]
        unit_start[l + 1] = unit_start[l] + sizes[l + 1]
    return w_start, b_start, unit_start


@njit(exact=True)
def _shared_product(Xb, W, start, A, width):
    """A[s, :width] = start[s] + sum_j Xb[s, j] W[j], with Xb shared by the lanes.

    The inputs times the first layer's lane-flattened weights, for one.  ``W`` is
    ``(n_in, width)`` with ``width = fan_out * LANES``; ``A`` has a multiple of four rows
    (the block's ``(BLOCK, units * LANES)`` activations, or rows padded to whole blocks);
    ``start`` has one row (the biases, for every row of A) or one per row of ``A`` (it
    may be ``A`` itself).  Four rows share each pass over ``W``, four of its rows at a
    time: loads, not arithmetic, bound this loop, and four rows load ``W`` half as often
    as two did (with :func:`_lane_loss_grad` leaving a kept first layer's gradient rows
    alone, 1.15-1.48x on the whole trainability kernel: ``scripts/lane_kernel_ab.py``).
    """
    n_in = W.shape[0]
    for s in range(0, A.shape[0], 4):
        z0, z1, z2, z3 = A[s], A[s + 1], A[s + 2], A[s + 3]
        many = start.shape[0] > 1
        for r in range(4):
            z, a = A[s + r], start[s + r] if many else start[0]
            for c in range(width):
                z[c] = a[c]
        j = 0
        while j + 4 <= n_in:
            x00, x01, x02, x03 = Xb[s, j], Xb[s, j + 1], Xb[s, j + 2], Xb[s, j + 3]
            x10, x11, x12, x13 = Xb[s + 1, j], Xb[s + 1, j + 1], Xb[s + 1, j + 2], Xb[s + 1, j + 3]
            x20, x21, x22, x23 = Xb[s + 2, j], Xb[s + 2, j + 1], Xb[s + 2, j + 2], Xb[s + 2, j + 3]
            x30, x31, x32, x33 = Xb[s + 3, j], Xb[s + 3, j + 1], Xb[s + 3, j + 2], Xb[s + 3, j + 3]
            w0, w1, w2, w3 = W[j], W[j + 1], W[j + 2], W[j + 3]
            for c in range(width):
                p0, p1, p2, p3 = w0[c], w1[c], w2[c], w3[c]
                z0[c] = z0[c] + ((x00 * p0 + x01 * p1) + (x02 * p2 + x03 * p3))
                z1[c] = z1[c] + ((x10 * p0 + x11 * p1) + (x12 * p2 + x13 * p3))
                z2[c] = z2[c] + ((x20 * p0 + x21 * p1) + (x22 * p2 + x23 * p3))
                z3[c] = z3[c] + ((x30 * p0 + x31 * p1) + (x32 * p2 + x33 * p3))
            j += 4
        while j < n_in:
            x0, x1, x2, x3, w0 = Xb[s, j], Xb[s + 1, j], Xb[s + 2, j], Xb[s + 3, j], W[j]
            for c in range(width):
                p0 = w0[c]
                z0[c] = z0[c] + x0 * p0
                z1[c] = z1[c] + x1 * p0
                z2[c] = z2[c] + x2 * p0
                z3[c] = z3[c] + x3 * p0
            j += 1


@njit(exact=True)
def _lane_layer(A, W, b, fan_in_start, fan_out_start):
    """One layer for the four samples of a block, lane by lane.

    ``Z[k] = b[k] + sum_j A_in[j] * W[j, k]`` for each sample, with ``A_in`` the sample's
    rows ``fan_in_start + j`` of ``A`` and ``Z`` its rows ``fan_out_start + k`` (``A``:
    ``(BLOCK, units, LANES)``); ``W`` is ``(fan_in, fan_out, LANES)``, ``b``
    ``(fan_out, LANES)``.  The four samples share each pass over the weights: one loop of
    ``LANES`` values per four inputs and output, not four (loops that short cost more in
    start-up than in work).  Each sample's sum is the same as alone.
    """
    fan_in, fan_out, lanes = W.shape
    for s in range(A.shape[0]):
        for k in range(fan_out):
            z, bias = A[s, fan_out_start + k], b[k]
            for q in range(lanes):
                z[q] = bias[q]
    j = 0
    while j + 4 <= fan_in:
        a00, a01, a02, a03 = _next_four(A[0], fan_in_start + j)
        a10, a11, a12, a13 = _next_four(A[1], fan_in_start + j)
        a20, a21, a22, a23 = _next_four(A[2], fan_in_start + j)
        a30, a31, a32, a33 = _next_four(A[3], fan_in_start + j)
        for k in range(fan_out):
            z0, z1, z2, z3 = _four(A, fan_out_start + k)
            w0, w1, w2, w3 = W[j, k], W[j + 1, k], W[j + 2, k], W[j + 3, k]
            for q in range(lanes):
                p0, p1, p2, p3 = w0[q], w1[q], w2[q], w3[q]
                z0[q] = z0[q] + ((a00[q] * p0 + a01[q] * p1) + (a02[q] * p2 + a03[q] * p3))
                z1[q] = z1[q] + ((a10[q] * p0 + a11[q] * p1) + (a12[q] * p2 + a13[q] * p3))
                z2[q] = z2[q] + ((a20[q] * p0 + a21[q] * p1) + (a22[q] * p2 + a23[q] * p3))
                z3[q] = z3[q] + ((a30[q] * p0 + a31[q] * p1) + (a32[q] * p2 + a33[q] * p3))
        j += 4
    while j < fan_in:
        a0, a1, a2, a3 = _four(A, fan_in_start + j)
        for k in range(fan_out):
            z0, z1, z2, z3 = _four(A, fan_out_start + k)
            w0 = W[j, k]
            for q in range(lanes):
                p0 = w0[q]
                z0[q] = z0[q] + a0[q] * p0
                z1[q] = z1[q] + a1[q] * p0
                z2[q] = z2[q] + a2[q] * p0
                z3[q] = z3[q] + a3[q] * p0
        j += 1


@njit(exact=True)
def _next_four(B, row):
    """Rows ``row`` to ``row + 3`` of ``B``."""
    return B[row], B[row + 1], B[row + 2], B[row + 3]


@njit(exact=True)
def _weights(T, sizes, w_start, l):
    fan_in, fan_out = sizes[l], sizes[l + 1]
    return T[w_start[l] : w_start[l] + fan_in * fan_out].reshape((fan_in, fan_out, T.shape[1]))


@njit(exact=True)
def _one_row(B):
    """A (units, LANES) block as one row: elementwise work in one loop, not one per unit."""
    return B.reshape((1, B.size))


@njit(exact=True)
def _units(A, unit_start, l):
    """Layer l's output units in a sample's ``(units, LANES)`` buffer."""
    return A[unit_start[l] : unit_start[l + 1]]


@njit(exact=True)
def _forward_block(Xb, T, sizes, activation, offsets, A, P, Zb):
    """Every layer's activations for a block of samples (the last: the logits or outputs).

    ``Zb``: the block's first-layer pre-activations, ``(BLOCK, fan_out * LANES)``, when
    they are kept as such (see :func:`_lane_loss_grad`); else empty.  ``P`` (A's shape,
    or no rows) receives the hidden pre-activations whose derivatives need them.
    """
    w_start, b_start, unit_start = offsets
    n_layers = sizes.size - 1
    lanes = T.shape[1]
    fan_out = sizes[1]
    block = A.shape[0]
    first = A.reshape((block, A.shape[1] * lanes))
    width = fan_out * lanes
    if Zb.shape[0] > 0 and _activated(activation, 0) and _layer(activation, 0)[0] <= IDENTITY:
        # the kept pre-activations, activated straight into A (no copy to activate in place)
        for s in range(block):
            _activate_into(Zb[s], first[s], _layer(activation, 0)[0], width)
    else:
        if Zb.shape[0] > 0:
            for s in range(block):
                z, a = Zb[s], first[s]
                for c in range(width):
                    a[c] = z[c]
        else:
            W0 = T[w_start[0] : b_start[0]].reshape((sizes[0], width))
            b0 = T[b_start[0] : b_start[0] + fan_out].reshape((1, width))
            _shared_product(Xb, W0, b0, first, width)
        if _activated(activation, 0):
            code, param = _layer(activation, 0)
            for s in range(block):
                _keep_and_activate(
                    _one_row(_units(A[s], unit_start, 0)), _one_row(_units(P[s], unit_start, 0)),
                    code, param, width,
                )  # fmt: skip
    for l in range(1, n_layers):
        b = T[b_start[l] : b_start[l] + sizes[l + 1]]
        _lane_layer(A, _weights(T, sizes, w_start, l), b, unit_start[l - 1], unit_start[l])
        if _activated(activation, l):
            code, param = _layer(activation, l)
            for s in range(block):
                Z = _units(A[s], unit_start, l)
                _keep_and_activate(
                    _one_row(Z), _one_row(_units(P[s], unit_start, l)), code, param, Z.size
                )


@njit(exact=True)
def _loss_and_delta(Z, Yb, count, loss, D, total, scratch):
    """Add each lane's summed loss of the block's ``count`` samples to ``total``.

    ``Z`` and ``D`` are the output layer's ``(BLOCK, K, LANES)`` logits and deltas
    (d loss_i / d z; zero for padding samples); ``scratch`` is ``(3, LANES)``.  The
    squared error's sum is over samples and outputs, not yet divided by K.
    """
    block, n_out, lanes = Z.shape
    for s in range(count, block):
        for k in range(n_out):
            for q in range(lanes):
                D[s, k, q] = 0.0
    for s in range(count):
        if loss == SQUARED_ERROR:
            for k in range(n_out):
                z, d, y = Z[s, k], D[s, k], Yb[s, k]
                for q in range(lanes):
                    diff = z[q] - y
                    d[q] = 2.0 * diff / n_out
                    total[q] += diff * diff
        elif loss == LOG_LOSS:
            z, d, y = Z[s, 0], D[s, 0], Yb[s, 0]
            for q in range(lanes):
                zq = z[q]
                e = _exp(-abs(zq))
                p = 1.0 / (1.0 + e)
                d[q] = (p if zq >= 0.0 else e * p) - y
                total[q] += _bce_term(zq, y, e)
        else:
            # Softmax cross-entropy as mlp._loss_and_delta: logsumexp = max + log1p of the
            # sum of the other exp(z - max), the arg-max term left out.
            top, arg, rest = scratch[0], scratch[1], scratch[2]
            for q in range(lanes):
                top[q] = Z[s, 0, q]
                arg[q] = 0.0
                rest[q] = 0.0
            for k in range(1, n_out):
                z = Z[s, k]
                for q in range(lanes):
                    bigger = z[q] > top[q]
                    top[q] = z[q] if bigger else top[q]
                    arg[q] = k if bigger else arg[q]
            for k in range(n_out):
                z, d = Z[s, k], D[s, k]
                for q in range(lanes):
                    e = _exp(z[q] - top[q])
                    d[q] = e
                    rest[q] += e if arg[q] != k else 0.0
            for q in range(lanes):
                top[q] += _log1p(rest[q])  # now the logsumexp
            for k in range(n_out):
                z, d, y = Z[s, k], D[s, k], Yb[s, k]
                for q in range(lanes):
                    d[q] = d[q] / (1.0 + rest[q]) - y
                    top[q] -= y * z[q]
            for q in range(lanes):
                total[q] += top[q]


@njit(exact=True)
def _four(B, unit):
    """The rows of ``unit`` in the four samples of a block buffer."""
    return B[0, unit], B[1, unit], B[2, unit], B[3, unit]


@njit(exact=True)
def _backward_block(Xb, T, sizes, activation, offsets, A, P, D, G, first_layer):
    """G += the block's summed gradient, from the output deltas already in D.

    ``first_layer`` False leaves the first layer's gradient out (its deltas stay in D).
    """
    w_start, b_start, unit_start = offsets
    n_layers = sizes.size - 1
    block, _, lanes = A.shape
    for l in range(n_layers - 1, -1, -1):
        fan_in, fan_out = sizes[l], sizes[l + 1]
        if l == 0 and not first_layer:
            break
        gb = G[b_start[l] : b_start[l] + fan_out]
        for k in range(fan_out):
            g = gb[k]
            d0, d1, d2, d3 = _four(D, unit_start[l] + k)
            for q in range(lanes):
                g[q] = g[q] + ((d0[q] + d1[q]) + (d2[q] + d3[q]))
        if l == 0:
            gW = G[w_start[0] : b_start[0]].reshape((fan_in, fan_out * lanes))
            flat = D.reshape((block, D.shape[1] * lanes))
            d0, d1, d2, d3 = flat[0], flat[1], flat[2], flat[3]
            # One input per pass: rows of gW are often 4 KiB apart, and a store to one
            # row followed by a load from the next stalls as a false dependence.
            for j in range(fan_in):
                g = gW[j]
                x0, x1, x2, x3 = Xb[0, j], Xb[1, j], Xb[2, j], Xb[3, j]
                for c in range(fan_out * lanes):
                    g[c] = g[c] + ((x0 * d0[c] + x1 * d1[c]) + (x2 * d2[c] + x3 * d3[c]))
            break
        gW = _weights(G, sizes, w_start, l)
        W = _weights(T, sizes, w_start, l)
        for j in range(fan_in):
            a0, a1, a2, a3 = _four(A, unit_start[l - 1] + j)
            for k in range(fan_out):
                g = gW[j, k]
                d0, d1, d2, d3 = _four(D, unit_start[l] + k)
                for q in range(lanes):
                    g[q] = g[q] + (
                        (a0[q] * d0[q] + a1[q] * d1[q]) + (a2[q] * d2[q] + a3[q] * d3[q])
                    )
        for s in range(block):
            previous = _units(D[s], unit_start, l - 1)
            delta = _units(D[s], unit_start, l)
            for j in range(fan_in):
                row, w, d = previous[j], W[j, 0], delta[0]
                for q in range(lanes):
                    row[q] = w[q] * d[q]
                for k in range(1, fan_out):
                    w, d = W[j, k], delta[k]
                    for q in range(lanes):
                        row[q] = row[q] + w[q] * d[q]
            code, param = _layer(activation, l - 1)
            _scale_by_derivative(
                _one_row(previous), _one_row(_units(A[s], unit_start, l - 1)),
                _one_row(_units(P[s], unit_start, l - 1)), code, param, previous.size,
            )  # fmt: skip


@njit(exact=True)
def _lane_loss_grad(
    X, Y, idx, lo, hi, T, sizes, activation, loss, offsets, workspace, G, value, Z, DZ,
    dz_scale,
):  # fmt: skip
    """Each lane's mean loss over samples ``idx[lo:hi]`` into ``value``.

    With ``G`` not empty, their mean gradient goes into ``G``.  ``workspace`` comes from
    :func:`_lane_workspace`.  With ``Z`` not empty (full batch, ``idx`` in order), the
    first layer's pre-activations are read from it -- ``(n padded to BLOCK, fan_out *
    LANES)``, sample-major -- instead of computed from the first layer's weights, and
    that layer's gradient is not formed (its rows of ``G`` are left as they are): its
    deltas times ``dz_scale`` (a row of ``fan_out * LANES``) go into ``DZ`` instead, for
    the caller's update of ``Z`` (see :mod:`fastnn.kernels.trainability`).
    """
    A, D, Xb, Yb, scratch, P = workspace
    n_layers = sizes.size - 1
    unit_start = offsets[2]
    with_grad = G.shape[0] > 0
    lanes = T.shape[1]
    kept = Z.shape[0] > 0
    # With the first layer kept as Z, its rows of G are neither formed nor read.
    first_row = offsets[1][0] + sizes[1] if kept else 0
    for q in range(lanes):
        value[q] = 0.0
    if with_grad:
        for p in range(first_row, G.shape[0]):
            g = G[p]
            for q in range(lanes):
                g[q] = 0.0
    block = A.shape[0]
    out_units = A[:, unit_start[n_layers - 1] : unit_start[n_layers]]
    out_deltas = D[:, unit_start[n_layers - 1] : unit_start[n_layers]]
    width = sizes[1] * lanes
    first_deltas = D.reshape((block, D.shape[1] * lanes))
    for start in range(lo, hi, block):
        count = min(block, hi - start)
        for s in range(block):
            for j in range(Xb.shape[1]):
                Xb[s, j] = X[idx[start + s], j] if s < count else 0.0
            for k in range(Yb.shape[1]):
                Yb[s, k] = Y[idx[start + s], k] if s < count else 0.0
        Zb = Z[start : start + block] if kept else Z
        _forward_block(Xb, T, sizes, activation, offsets, A, P, Zb)
        _loss_and_delta(out_units, Yb, count, loss, out_deltas, value, scratch)
        if with_grad and _activated(activation, n_layers - 1):  # the output's delta, times f'
            for s in range(count):
                _scale_by_output_derivative(
                    _one_row(_units(D[s], unit_start, n_layers - 1)),
                    _one_row(_units(A[s], unit_start, n_layers - 1)),
                    _one_row(_units(P[s], unit_start, n_layers - 1)), activation,
                    n_layers - 1, sizes[-1] * lanes,
                )  # fmt: skip
        if with_grad:
            _backward_block(Xb, T, sizes, activation, offsets, A, P, D, G, not kept)
            if kept:
                for s in range(count):
                    source, target = first_deltas[s], DZ[start + s]
                    for c in range(width):
                        target[c] = source[c] * dz_scale[c]
    n = hi - lo
    scale = 1.0 / n / Y.shape[1] if loss == SQUARED_ERROR else 1.0 / n
    for q in range(lanes):
        value[q] *= scale
    if with_grad:
        inverse = 1.0 / n
        for p in range(first_row, G.shape[0]):
            g = G[p]
            for q in range(lanes):
                g[q] *= inverse


@njit(exact=True)
def _lane_workspace(sizes, lanes, activation):
    """Activations, deltas, the block's inputs and targets, per-lane scratch, pre-activations.

    The pre-activations have no rows unless a hidden layer's derivatives need them.
    """
    units = 0
    for l in range(1, sizes.size):
        units += sizes[l]
    # A sample's rows a multiple of 4 KiB apart would make the two-sample passes of the
    # first layer stall (a load seems to depend on the other sample's store): pad them.
    rows = units + 1 if (units * lanes * 8) % 4096 == 0 else units
    return (
        np.zeros((BLOCK, rows, lanes)),
        np.zeros((BLOCK, rows, lanes)),
        np.zeros((BLOCK, sizes[0])),
        np.zeros((BLOCK, sizes[-1])),
        np.empty((3, lanes)),
        np.zeros((BLOCK, rows if _any_needs_pre(activation) else 0, lanes)),
    )


@njit(exact=True)
def _lane_penalty(T, sizes, offsets, alpha, count, G, value, squares):
    """Add ``alpha / (2 count) ||W||^2`` to each lane's ``value``, its gradient to ``G``.

    ``squares`` is a scratch row of ``LANES`` values.
    """
    w_start, b_start = offsets[0], offsets[1]
    scale = alpha / count
    lanes = T.shape[1]
    with_grad = G.shape[0] > 0
    for q in range(lanes):
        squares[q] = 0.0
    for l in range(sizes.size - 1):
        for p in range(w_start[l], b_start[l]):
            w = T[p]
            for q in range(lanes):
                squares[q] += w[q] * w[q]
            if with_grad:
                g = G[p]
                for q in range(lanes):
                    g[q] += scale * w[q]
    for q in range(lanes):
        value[q] += 0.5 * scale * squares[q]
