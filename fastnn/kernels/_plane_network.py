r"""A network's loss on a plane of parameter space: shared products, blocks of points.

On the plane ``theta = origin + a u + b v`` every layer's weights and biases are affine
in ``(a, b)``.  Let ``first`` be the first layer whose weights or biases ``u`` or ``v``
touch (layer 0 for random or filter-normalised directions; the output layer for two
named output-layer weights).  Everything upstream of it is the same at every grid point,
and its pre-activations are affine in ``(a, b)``:

.. math:: Z = A W(\theta) + b(\theta) = P_0 + a P_u + b P_v,

with ``P_0``, ``P_u``, ``P_v`` the layer's affine maps of ``origin``, ``u`` and ``v``
applied to its (fixed) inputs ``A``.  Three products per data chunk replace one per grid
point; per point that layer costs two fused multiply-adds per unit and sample, and only
the layers after it run a product (with the point's own weights).

Rounding: the per-point forward pass forms ``c + a u + b v`` first and then one product;
this forms three products and combines them.  The two agree in real arithmetic; in
floating point each pre-activation differs by at most a few ulp of
``|P_0| + |a P_u| + |b P_v|`` (not of ``|Z|``), which after the activations and the mean
over samples leaves the loss within about 1e-13 relative of the per-point reference on
the data tested (``tests/test_surface_kernels.py``; the bound is stated there).

Work is organised so that memory stays O(chunk x width x points per block), never
O(samples x width x points): for each data chunk of :data:`CHUNK` samples the products
are computed once (BLAS for wide layers), then blocks of grid points run on the threads;
each block walks the chunk in sub-blocks of :data:`SUB` samples, evaluating every point
of the block on a sub-block while its products are in cache.  Each point's sum runs over
the samples in order, sub-block by sub-block, so neither the thread count nor the split
of the grid into tiles or blocks changes a bit.  Networks with a wide layer after
``first`` evaluate their points one after the other with BLAS products on sub-blocks of
:data:`BLAS_SUB` samples (BLAS uses the threads itself).

The arrays may be float32 (data, directions, products and activations); every point's
sum is accumulated in float64.
"""

from __future__ import annotations

import numpy as np

from fastnn._builds import MLP_BLAS_MIN_WEIGHTS
from fastnn._codes import ACCURACY, LOG_LOSS, RELU, SQUARED_ERROR
from fastnn._numba import njit
from fastnn.kernels._activation import _activate, _activated, _layer
from fastnn.kernels._math import _cast_like, _exp_term, _log1p, _log1p_unit
from fastnn.kernels.mlp import _affine, _column_max

# Samples per data chunk: the first varying layer's three products are shared by every
# grid point of a tile; 3 x 512 x width values (6 MB at a 512-wide layer).
CHUNK = 512
# Samples per sub-block of a point's evaluation: its activations stay in L1, the
# sub-block's products (3 x SUB x width) in L2 while a block of points reads them.
SUB = 32
# Grid points per parallel task.
POINTS_PER_BLOCK = 16
# Later layers with at least this many inputs run as dot products (see _dots).
DOT_MIN_INPUTS = 16
# Sub-block width and points per task when a later layer's product goes to BLAS.
BLAS_SUB = 512
WIDE_POINTS_PER_BLOCK = 4


@njit()
def _first_varying_layer(sizes, u, v):
    """The first layer with a weight or bias that u or v moves (the last if none does)."""
    n_layers = sizes.size - 1
    position = 0
    for l in range(n_layers):
        stop = position + sizes[l] * sizes[l + 1] + sizes[l + 1]
        for p in range(position, stop):
            if u[p] != 0.0 or v[p] != 0.0:
                return l
        position = stop
    return n_layers - 1


@njit()
def _wide_after(sizes, first):
    """Whether a layer after ``first`` is wide enough for BLAS."""
    for l in range(first + 1, sizes.size - 1):
        if sizes[l] * sizes[l + 1] >= MLP_BLAS_MIN_WEIGHTS:
            return True
    return False


@njit()
def _rows(buffer, unit_start, l, base):
    """Rows of layer l's units in a (units, width) buffer whose first row is unit ``base``."""
    return buffer[unit_start[l] - base : unit_start[l + 1] - base]


@njit(exact=True)
def _bce_sum(z, y, lo, m):
    """Summed cross-entropy of logits z[:m] against targets y[lo:lo + m] (from the logits).

    ``(max(z, 0) - y z)`` is formed first, as in the training kernels; the log term uses
    the division-free ``log1p`` and the exp of the BCE surface kernel (float32 logits:
    the exp in float32, the rest in float64).
    """
    total = 0.0
    for i in range(m):
        zi = np.float64(z[i])
        e = np.float64(_exp_term(-abs(z[i])))
        total += (max(zi, 0.0) - y[lo + i] * zi) + _log1p_unit(e)
    return total


@njit()
def _softmax_sum(Z, Yt, lo, m, scratch):
    """Summed softmax cross-entropy of logits Z[:, :m] against targets Yt[:, lo:lo + m].

    ``logsumexp = max + log1p(sum of the other exp(z - max))``: the arg-max term is left
    out of the sum, so no ``1 + tiny`` is ever formed (as in the training kernels).
    ``scratch`` has the logits' dtype: float32 logits take float32 exps and per-sample
    sums; the sum over the samples is float64.
    """
    n_out = Z.shape[0]
    top, arg, rest, dot = scratch[0], scratch[1], scratch[2], scratch[3]
    zero = _cast_like(0.0, scratch)
    _column_max(Z, m, top, arg, rest)
    for i in range(m):
        dot[i] = zero
    for k in range(n_out):
        z, y = Z[k], Yt[k]
        for i in range(m):
            zi = z[i]
            # exp first, then the select: an exp under the condition did not vectorise
            # (3.7x slower)
            e = _exp_term(zi - top[i])
            rest[i] += e if arg[i] != k else zero
            dot[i] += y[lo + i] * zi
    total = 0.0
    for i in range(m):
        total += (np.float64(top[i]) - np.float64(dot[i])) + _log1p(np.float64(rest[i]))
    return total


@njit()
def _correct_sum(Z, Yt, lo, m, scratch):
    """Samples of m whose predicted class is their target's (logits Z[:, :m]).

    One output: ``z > 0`` against ``y >= 1/2``; several: the first arg-max of the
    logits (as ``predict``) against the one-hot target.
    """
    correct = 0.0
    if Z.shape[0] == 1:
        z, y = Z[0], Yt[0]
        for i in range(m):
            if (z[i] > 0.0) == (y[lo + i] >= 0.5):
                correct += 1.0
        return correct
    top, arg, rest = scratch[0], scratch[1], scratch[2]
    _column_max(Z, m, top, arg, rest)
    for i in range(m):
        if Yt[int(arg[i]), lo + i] >= 0.5:
            correct += 1.0
    return correct


@njit()
def _loss_sum(Z, Yt, lo, m, loss, scratch):
    """Summed loss of m samples: logits Z[:, :m], targets Yt[:, lo:lo + m] (outputs x width).

    ``loss`` may be :data:`~fastnn._codes.ACCURACY`: the count of correct predictions.
    """
    if loss == ACCURACY:
        return _correct_sum(Z, Yt, lo, m, scratch)
    if loss == LOG_LOSS:
        return _bce_sum(Z[0], Yt[0], lo, m)
    if loss == SQUARED_ERROR:
        total = 0.0
        for k in range(Z.shape[0]):
            z, y = Z[k], Yt[k]
            for i in range(m):
                d = np.float64(z[i]) - y[lo + i]
                total += d * d
        return total / Z.shape[0]
    return _softmax_sum(Z, Yt, lo, m, scratch)


@njit()
def _activate_output(Z, activation, n_layers, m):
    """Activate the output layer's Z[:, :m] in place when the table has an output row.

    A call, not inlined: the points' loops it sits in stay as they were for every other
    network (one call per point and sub-block of samples).
    """
    if _activated(activation, n_layers - 1):
        code, param = _layer(activation, n_layers - 1)
        _activate(Z, code, param, m)


@njit()
def _chunk_products(X, Y, lo, m, origin, u, v, sizes, activation, offs, first, A, P, Yt):
    """P[0], P[1], P[2] = layer ``first``'s affine maps of origin, u, v on samples lo..lo+m.

    ``P`` is (3, units, width) feature-major or (3, width, units) sample-major
    (see :func:`_sample_major`).

    The chunk's data and targets are copied feature-major (one row of samples per
    feature) into ``A`` and ``Yt``; the layers before ``first`` run with the origin's
    weights into ``A`` (rows: units of layers 0..first; columns past m stay zero or
    finite, so BLAS products over the whole width stay finite).
    """
    w_start, b_start, unit_start = offs
    inputs = _rows(A, unit_start, 0, 0)
    for i in range(m):
        for j in range(X.shape[1]):
            inputs[j, i] = X[lo + i, j]
        for k in range(Y.shape[1]):
            Yt[k, i] = Y[lo + i, k]
    for l in range(first):
        W = origin[w_start[l] : b_start[l]].reshape((sizes[l], sizes[l + 1]))
        out = _rows(A, unit_start, l + 1, 0)
        _affine(
            W, origin[b_start[l] : b_start[l] + sizes[l + 1]], _rows(A, unit_start, l, 0), out, m
        )
        code, param = _layer(activation, l)
        _activate(out, code, param, m)
    A_in = _rows(A, unit_start, first, 0)
    stop = b_start[first] + sizes[first + 1]
    shape = (sizes[first], sizes[first + 1])
    by_samples = P.shape[1] != sizes[first + 1]
    for direction, w in enumerate((origin, u, v)):
        W = w[w_start[first] : b_start[first]].reshape(shape)
        if by_samples:
            _layer_to_samples(W, w[b_start[first] : stop], A_in, P[direction], m)
        else:
            _affine(W, w[b_start[first] : stop], A_in, P[direction], m)


@njit()
def _layer_to_samples(W, bias, A_in, out, m):
    """out[i, :] = bias + sum_j A_in[j, i] W[j, :] for i < m: feature-major in, sample-major out."""
    fan_in, fan_out = W.shape
    if fan_in * fan_out >= MLP_BLAS_MIN_WEIGHTS:
        np.dot(A_in.T, W, out)
    else:
        for i in range(m):
            row = out[i]
            for k in range(fan_out):
                row[k] = 0.0
            for j in range(fan_in):
                x = A_in[j, i]
                w = W[j]
                for k in range(fan_out):
                    row[k] += x * w[k]
    for i in range(m):
        row = out[i]
        for k in range(fan_out):
            row[k] += bias[k]


@njit()
def _form_tail(origin, u, v, ai, bj, sizes, offs, first, tail):
    """The point's weights and biases of the layers after ``first``, into ``tail``.

    Each layer's weights are stored transposed (outputs x inputs), then its biases:
    the per-point products read one output's weights contiguously.
    """
    w_start, b_start, _ = offs
    position = 0
    for l in range(first + 1, sizes.size - 1):
        fan_in, fan_out = sizes[l], sizes[l + 1]
        for k in range(fan_out):
            for j in range(fan_in):
                r = w_start[l] + j * fan_out + k
                tail[position] = origin[r] + ai * u[r] + bj * v[r]
                position += 1
        for k in range(fan_out):
            r = b_start[l] + k
            tail[position] = origin[r] + ai * u[r] + bj * v[r]
            position += 1


@njit()
def _transpose(A, m, T):
    """T[i, j] = A[j, i] for i < m."""
    for j in range(A.shape[0]):
        a = A[j]
        for i in range(m):
            T[i, j] = a[i]


@njit(inline=True)
def _store(out, by_samples, i, k, value):
    if by_samples:
        out[i, k] = value
    else:
        out[k, i] = value


@njit()
def _dots(Wt, bias, T, out, m, by_samples):
    """Sample i's outputs ``bias + Wt @ T[i]`` for i < m (rounded up to even), as dot products.

    ``T`` is sample-major (samples x inputs); ``out`` is sample-major too when
    ``by_samples``, else feature-major.  Two samples and five outputs share each pass over
    the inputs, which are contiguous: vectorised reductions with their accumulators in
    registers (a row-update loop over samples stored every partial sum, and ran at a third
    of this speed; blocks of 5 ran 1.1-1.5x blocks of 4 on a 10-output layer, which takes 2
    passes instead of 4 + 4 + 1 + 1).  A last block of 2-4 outputs is a block of 5 that
    repeats its last row and stores only its own outputs; a last single output takes a
    one-output pass.  A sample's outputs depend on its own row only, so the extra odd row
    is harmless.
    """
    fan_out, fan_in = Wt.shape
    for i in range(0, m, 2):
        h = T[i]
        g = T[i + 1]
        k = 0
        while fan_out - k >= 2:
            _pair_dots5(Wt, bias, h, g, fan_in, out, by_samples, i, k)
            k += 5
        if k < fan_out:
            _pair_dots1(Wt, bias, h, g, fan_in, out, by_samples, i, k)


@njit(inline=True)
def _pair_dots5(Wt, bias, h, g, fan_in, out, by_samples, i, k):
    """Outputs k..k+4 (those below the layer's width) of samples i and i + 1.

    Inputs h[:fan_in] and g[:fan_in]; rows past the last output repeat it.
    """
    last = Wt.shape[0] - 1
    w0, w1, w2 = Wt[k], Wt[min(k + 1, last)], Wt[min(k + 2, last)]
    w3, w4 = Wt[min(k + 3, last)], Wt[min(k + 4, last)]
    zero = _cast_like(0.0, h)
    c0 = c1 = c2 = c3 = c4 = d0 = d1 = d2 = d3 = d4 = zero
    for j in range(fan_in):
        hj = h[j]
        gj = g[j]
        c0 += hj * w0[j]
        c1 += hj * w1[j]
        c2 += hj * w2[j]
        c3 += hj * w3[j]
        c4 += hj * w4[j]
        d0 += gj * w0[j]
        d1 += gj * w1[j]
        d2 += gj * w2[j]
        d3 += gj * w3[j]
        d4 += gj * w4[j]
    for offset, c, d in ((0, c0, d0), (1, c1, d1), (2, c2, d2), (3, c3, d3), (4, c4, d4)):
        if k + offset <= last:
            _store(out, by_samples, i, k + offset, bias[k + offset] + c)
            _store(out, by_samples, i + 1, k + offset, bias[k + offset] + d)


@njit(inline=True)
def _pair_dots1(Wt, bias, h, g, fan_in, out, by_samples, i, k):
    """Output k of samples i (inputs h[:fan_in]) and i + 1 (inputs g[:fan_in])."""
    w0 = Wt[k]
    zero = _cast_like(0.0, h)
    c0 = d0 = zero
    for j in range(fan_in):
        c0 += h[j] * w0[j]
        d0 += g[j] * w0[j]
    _store(out, by_samples, i, k, bias[k] + c0)
    _store(out, by_samples, i + 1, k, bias[k] + d0)


@njit()
def _point_layer(Wt, bias, A_in, A_out, m, T):
    """One later layer of one point on a sub-block: BLAS, dot products or row updates."""
    fan_out, fan_in = Wt.shape
    if fan_in * fan_out >= MLP_BLAS_MIN_WEIGHTS:
        np.dot(Wt, A_in, A_out)
        for k in range(fan_out):
            row = A_out[k]
            bk = bias[k]
            for i in range(m):
                row[i] += bk
    elif fan_in >= DOT_MIN_INPUTS:
        _transpose(A_in, m, T)
        _dots(Wt, bias, T, A_out, m, False)
    else:
        for k in range(fan_out):
            row = A_out[k]
            bk = bias[k]
            for i in range(m):
                row[i] = bk
            w = Wt[k]
            for j in range(fan_in):
                wj = w[j]
                a = A_in[j]
                for i in range(m):
                    row[i] += wj * a[i]


@njit()
def _sample_major(sizes, first):
    """Whether the points keep their activations sample-major (the varying layer is wide).

    Wide layers feed the next layer as dot products over contiguous inputs; narrow
    ones (the lecture's 10 units) vectorise better over samples, feature-major.
    """
    return first + 1 < sizes.size - 1 and sizes[first + 1] >= DOT_MIN_INPUTS


@njit()
def _evaluate_block(
    P, Yt, m, ai, bs, tails, sizes, activation, loss, offs, first, sub, buffers, totals
):
    """Add the summed loss on a chunk's m samples of points (ai, bs[q]) to ``totals[q]``.

    ``P`` holds the chunk's products (:func:`_chunk_products`), ``Yt`` its targets
    (outputs x width); ``ai`` and ``bs`` are in the arrays' dtype and ``tails[q]`` holds
    point q's parameters after layer ``first`` (:func:`_form_tail`).  The points share
    their row: ``P0 + a Pu`` is formed once per sub-block, then ``+ b Pv`` per point
    (the same operations, in the same order, as forming ``P0 + a Pu + b Pv`` per point).
    Sub-block after sub-block, every point is evaluated while the sub-block's products
    are in cache.  ``buffers`` = (Q, S, T, scratch) from :func:`_block_buffers`.
    """
    if _sample_major(sizes, first):
        _evaluate_by_samples(
            P, Yt, m, ai, bs, tails, sizes, activation, loss, first, sub, buffers, totals
        )
    else:
        _evaluate_by_units(
            P, Yt, m, ai, bs, tails, sizes, activation, loss, offs, first, sub, buffers, totals
        )


@njit()
def _block_buffers(sizes, first, sub, dtype_of):
    """Scratch memory of one block of points.

    The row's part Q, a point's activations S, a transposed sub-block T (sub x widest
    later input) and 4 rows for the loss, all in the data's dtype.
    """
    units = sizes[first + 1]
    later = 0
    widest = 1
    for l in range(first + 1, sizes.size):
        later += sizes[l]
    for l in range(first + 1, sizes.size - 1):
        widest = max(widest, sizes[l])
    return (
        np.zeros(units * sub, dtype_of.dtype),
        np.zeros(later * sub, dtype_of.dtype),
        np.zeros((sub, widest), dtype_of.dtype),
        np.empty((4, sub), dtype_of.dtype),
    )


@njit()
def _plus_b(out, q, bj, pv, start, n, rectify):
    """out[i] = q[i] + bj pv[start + i] for i < n, rectified (relu fused in) when asked.

    One loop per case: a ``rectify`` test inside the loop kept it from vectorising
    (the formation took 1.8x as long).
    """
    if rectify:
        zero = _cast_like(0.0, out)
        for i in range(n):
            out[i] = max(q[i] + bj * pv[start + i], zero)
    else:
        for i in range(n):
            out[i] = q[i] + bj * pv[start + i]


@njit()
def _sample_major_layer(Wt, bias, H, out, m, by_samples):
    """A later layer on sample-major inputs H: BLAS when wide, else dot products.

    ``out`` is sample-major when ``by_samples`` (a hidden layer), else feature-major
    (the logits, for the loss).
    """
    fan_out, fan_in = Wt.shape
    if fan_in * fan_out < MLP_BLAS_MIN_WEIGHTS:
        _dots(Wt, bias, H, out, m, by_samples)
    elif by_samples:
        np.dot(H, Wt.T, out)
        for i in range(m):
            for k in range(fan_out):
                out[i, k] += bias[k]
    else:
        np.dot(Wt, H.T, out)
        for k in range(fan_out):
            for i in range(m):
                out[k, i] += bias[k]


@njit()
def _evaluate_by_samples(
    P, Yt, m, ai, bs, tails, sizes, activation, loss, first, sub, buffers, totals
):
    """:func:`_evaluate_block` for sample-major products P (3, width, units).

    ``S`` holds each later hidden layer's activations (sub x units) one after the other,
    then the logits (outputs x sub, feature-major for the loss).
    """
    Qflat, S, _, scratch = buffers
    n_layers = sizes.size - 1
    n_out = sizes[-1]
    units = sizes[first + 1]
    code, param = _layer(activation, first)  # (the varying layer's output is hidden here)
    rectify = code == RELU
    logits = S[S.size - n_out * sub :].reshape((n_out, sub))
    Q = Qflat.reshape((sub, units))
    H0 = S[: sub * units].reshape((sub, units))
    for s in range(0, m, sub):
        count = min(sub, m - s)
        for i in range(count):
            qi = Q[i]
            p0 = P[0, s + i]
            pu = P[1, s + i]
            for k in range(units):
                qi[k] = p0[k] + ai * pu[k]
        for q in range(bs.size):
            bj = bs[q]
            for i in range(count):
                _plus_b(H0[i], Q[i], bj, P[2, s + i], 0, units, rectify)
            if not rectify:
                _activate(H0[:count], code, param, units)
            H = H0
            tail = tails[q]
            position = 0
            start = sub * units
            for l in range(first + 1, n_layers):
                fan_in, fan_out = sizes[l], sizes[l + 1]
                Wt = tail[position : position + fan_in * fan_out].reshape((fan_out, fan_in))
                position += fan_in * fan_out
                bias = tail[position : position + fan_out]
                position += fan_out
                if l == n_layers - 1:
                    _sample_major_layer(Wt, bias, H, logits, count, False)
                else:
                    out = S[start : start + sub * fan_out].reshape((sub, fan_out))
                    start += sub * fan_out
                    _sample_major_layer(Wt, bias, H, out, count, True)
                    later, later_param = _layer(activation, l)
                    _activate(out[:count], later, later_param, fan_out)
                    H = out
            _activate_output(logits, activation, n_layers, count)
            totals[q] += _loss_sum(logits, Yt, s, count, loss, scratch)


@njit()
def _evaluate_by_units(
    P, Yt, m, ai, bs, tails, sizes, activation, loss, offs, first, sub, buffers, totals
):
    """:func:`_evaluate_block` for feature-major products P (3, units, width).

    ``S`` holds one point's activations on a sub-block (units of layers first+1.. x sub).
    """
    Qflat, Sflat, T, scratch = buffers
    unit_start = offs[2]
    n_layers = sizes.size - 1
    base = unit_start[first + 1]
    units = sizes[first + 1]
    S = Sflat.reshape((Sflat.size // sub, sub))
    Q = Qflat.reshape((units, sub))
    rectify = first + 1 < n_layers and _layer(activation, first)[0] == RELU
    Z0 = _rows(S, unit_start, first + 1, base)
    for s in range(0, m, sub):
        count = min(sub, m - s)
        for k in range(units):
            row = Q[k]
            p0 = P[0, k]
            pu = P[1, k]
            for i in range(count):
                row[i] = p0[s + i] + ai * pu[s + i]
        for q in range(bs.size):
            bj = bs[q]
            for k in range(units):
                _plus_b(Z0[k], Q[k], bj, P[2, k], s, count, rectify)
            Z = Z0
            tail = tails[q]
            position = 0
            for l in range(first + 1, n_layers):
                if not rectify:
                    code, param = _layer(activation, l - 1)
                    _activate(Z, code, param, count)
                fan_in, fan_out = sizes[l], sizes[l + 1]
                Wt = tail[position : position + fan_in * fan_out].reshape((fan_out, fan_in))
                position += fan_in * fan_out
                out = _rows(S, unit_start, l + 1, base)
                _point_layer(Wt, tail[position : position + fan_out], Z, out, count, T)
                position += fan_out
                Z = out
                rectify = False
            _activate_output(Z, activation, n_layers, count)
            totals[q] += _loss_sum(Z, Yt, s, count, loss, scratch)
