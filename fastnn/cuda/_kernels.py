r"""CUDA kernels of the GPU surfaces (numba-cuda): the CPU kernels' algorithms, per thread.

Imported only by :mod:`fastnn.cuda.surface`, i.e. only when ``device="cuda"`` is asked for.

* :func:`affine_kernel` -- ``out[k, s] = act(bias[k] + sum_j W[j, k] A[j, s])``, a
  shared-memory tiled product (16 x 16 tiles), feature-major in and out.  It computes the
  layers before the first varying one and that layer's three maps ``P0``, ``Pu``,
  ``Pv`` once per surface (:mod:`fastnn.kernels._plane_network` explains the plane).
* :func:`tails_kernel` -- each grid point's weights of the layers after the varying one.
* :func:`network_kernel` -- one thread block per grid point, its threads over the
  samples: a sample's pre-activations ``(P0 + a Pu) + b Pv`` (coalesced: ``P`` is
  (3, units, samples)), streamed into the next layer, the rest of the forward pass in
  per-thread arrays, the sample's loss; then a fixed-order tree sum over the block.
* :func:`bce_kernel` -- one thread per grid point, the block's samples staged in shared
  memory; the log terms of 16 samples are one ``log1p`` of a running product, as
  :func:`fastnn.kernels.surface._softplus_sums`.

Every point's value depends only on its coordinates (a thread's samples and the
block's tree are fixed), so tiles and launches never change a bit.  Constants of the
data's precision arrive as arguments (``one``, ``zero``): a float64 literal would turn
float32 arithmetic into float64.  Sums over the samples are float64 in both precisions.
"""

from __future__ import annotations

import math

from numba import cuda, float64

from fastnn._codes import (
    ACCURACY,
    ELU,
    GELU,
    IDENTITY,
    LEAKY_RELU,
    LOG_LOSS,
    RELU,
    SIGMOID,
    SILU,
    SQUARED_ERROR,
    TANH,
)

# Threads per block: a network point's samples, a BCE block's grid points.
THREADS = 128
# Edge of the product kernel's tiles (a 16 x 16 block of threads).
TILE = 16
# Samples per running product of the BCE log terms (as the CPU kernel).
PRODUCT_GROUP = 16


@cuda.jit(device=True, inline=True)
def _activate(z, code, param, one, zero):
    """A hidden unit's activation, in z's precision (the CPU kernels' formulas).

    ``code`` and ``param``: a row of the activation table
    (:mod:`fastnn.kernels._activation`).
    """
    if code == SIGMOID:
        e = math.exp(-abs(z))
        s = one / (one + e)
        return s if z >= zero else e * s
    if code == TANH:
        return math.tanh(z)
    if code == IDENTITY:
        return z
    if code == RELU:
        return max(z, zero)
    if code == LEAKY_RELU:
        return z if z > zero else param * z
    if code == GELU:
        return z * (0.5 * math.erfc(-z * 0.7071067811865476))
    if code == SILU:
        e = math.exp(-abs(z))
        s = one / (one + e)
        return z * (s if z >= zero else e * s)
    if code == ELU:
        return z if z > zero else param * math.expm1(z)
    # softplus, linear above its threshold
    return z if z > param else max(z, zero) + math.log1p(math.exp(-abs(z)))


@cuda.jit(device=True, inline=True)
def _arg_max(logits, n_out):
    """(max, first arg-max) of logits[:n_out].

    The maximum is tracked alongside its position: reading ``logits[arg]`` afterwards,
    an index computed at run time, would keep the logits out of registers.
    """
    arg = 0
    top = logits[0]
    for k in range(1, n_out):
        if logits[k] > top:
            top = logits[k]
            arg = k
    return top, arg


@cuda.jit(device=True, inline=True)
def _sample_loss(logits, n_out, Yt, s, loss, zero):
    """One sample's loss (or, for ACCURACY, 1.0 when it is classified right), float64."""
    if loss == ACCURACY:
        if n_out == 1:
            return 1.0 if (logits[0] > zero) == (Yt[0, s] >= 0.5) else 0.0
        return 1.0 if Yt[_arg_max(logits, n_out)[1], s] >= 0.5 else 0.0
    if loss == LOG_LOSS:
        z = float64(logits[0])
        e = float64(math.exp(-abs(logits[0])))
        return (max(z, 0.0) - float64(Yt[0, s]) * z) + math.log1p(e)
    if loss == SQUARED_ERROR:
        total = 0.0
        for k in range(n_out):
            d = float64(logits[k]) - float64(Yt[k, s])
            total += d * d
        return total / n_out
    # softmax cross-entropy: max + log1p(sum of the other exps), the arg-max left out
    top, arg = _arg_max(logits, n_out)
    rest = zero
    dot = zero
    for k in range(n_out):
        if k != arg:
            rest += math.exp(logits[k] - top)
        dot += Yt[k, s] * logits[k]
    return (float64(top) - float64(dot)) + math.log1p(float64(rest))


def affine_kernel(dtype):
    """``affine(W, bias, A, out, n, activate, code, param, one, zero)`` for ``dtype``.

    ``out[k, s] = bias[k] + sum_j W[j, k] A[j, s]`` for s < n, activated when
    ``activate`` (by activation ``code`` with ``param``); launch with (16, 16) threads and
    blocks over (samples, units).
    """

    @cuda.jit
    def affine(W, bias, A, out, n, activate, code, param, one, zero):
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        s = cuda.blockIdx.x * TILE + tx
        k0 = cuda.blockIdx.y * TILE
        k = k0 + ty
        fan_in, fan_out = W.shape
        Ws = cuda.shared.array((TILE, TILE), dtype)
        As = cuda.shared.array((TILE, TILE), dtype)
        acc = zero
        for j0 in range(0, fan_in, TILE):
            j = j0 + ty
            Ws[ty, tx] = W[j, k0 + tx] if j < fan_in and k0 + tx < fan_out else zero
            As[ty, tx] = A[j, s] if j < fan_in and s < n else zero
            cuda.syncthreads()
            for jj in range(TILE):
                acc += Ws[jj, ty] * As[jj, tx]
            cuda.syncthreads()
        if k < fan_out and s < n:
            z = bias[k] + acc
            out[k, s] = _activate(z, code, param, one, zero) if activate else z

    return affine


@cuda.jit
def tails_kernel(origin, u, v, a, b, cols, start, index, tails):
    """Later-layer weights of the tile's points ``start + q``.

    ``tails[q, t] = origin[r] + a_i u[r] + b_j v[r]`` with ``r = index[t]`` and
    ``(i, j) = divmod(start + q, cols)``.
    """
    position = cuda.grid(1)
    n_tail = index.size
    if position < tails.shape[0] * n_tail:
        q = position // n_tail
        t = position - q * n_tail
        p = start + q
        i = p // cols
        j = p - i * cols
        r = index[t]
        tails[q, t] = origin[r] + a[i] * u[r] + b[j] * v[r]


def network_kernel(dtype, width, outputs=0):
    """The network kernel for ``dtype``: each grid point's summed loss.

    ``points(P, Yt, n, a, b, cols, start, tails, sizes, first, activation, loss, one, zero,
    totals)``: one block of :data:`THREADS` threads per grid point ``p = start + block``
    (row ``p // cols`` of ``a``, column ``p % cols`` of ``b``, both in ``dtype``; its
    weights after the varying layer in ``tails[block]``); ``totals[p]`` = the point's
    summed loss.  ``activation`` is the activation table (float64, a row per hidden layer).
    ``width`` bounds the layers after ``first + 1`` (per-thread arrays).

    ``outputs > 0`` compiles the common case -- the output layer directly after the
    varying one (784-128-10 on a random plane) -- with ``outputs`` logits: every loop
    over them has a constant trip count, so the compiler keeps them in registers (the
    general kernel's per-thread arrays live in local memory; ptxas reports no stack for
    this case).  The other branches are then dead code.
    """

    @cuda.jit
    def points(
        P, Yt, n, a, b, cols, start, tails, sizes, first, activation, loss, one, zero, totals
    ):
        p = start + cuda.blockIdx.x
        tid = cuda.threadIdx.x
        i = p // cols
        ai = a[i]
        bj = b[p - i * cols]
        tail = tails[cuda.blockIdx.x]
        n_layers = sizes.size - 1
        units = sizes[first + 1]
        n_out = outputs if outputs else sizes[n_layers]
        current = cuda.local.array(width, dtype)
        following = cuda.local.array(width, dtype)
        acc = 0.0
        for s in range(tid, n, THREADS):
            if outputs == 0 and first == n_layers - 1:
                for k in range(units):
                    following[k] = (P[0, k, s] + ai * P[1, k, s]) + bj * P[2, k, s]
            else:
                # layer first + 1's activations, streamed into the next layer's sums
                fan_out = outputs if outputs else sizes[first + 2]
                for o in range(fan_out):
                    following[o] = zero
                code = int(activation[first, 0])
                param = activation[first, 1]
                for k in range(units):
                    z = (P[0, k, s] + ai * P[1, k, s]) + bj * P[2, k, s]
                    h = _activate(z, code, param, one, zero)
                    for o in range(fan_out):
                        following[o] += h * tail[o * units + k]
                position = units * fan_out
                for o in range(fan_out):
                    following[o] += tail[position + o]
                position += fan_out
                if outputs == 0:
                    for l in range(first + 2, n_layers):
                        fan_in = sizes[l]
                        fan_out = sizes[l + 1]
                        code = int(activation[l - 1, 0])
                        param = activation[l - 1, 1]
                        for k in range(fan_in):
                            current[k] = _activate(following[k], code, param, one, zero)
                        for o in range(fan_out):
                            z = zero
                            row = position + o * fan_in
                            for k in range(fan_in):
                                z += current[k] * tail[row + k]
                            following[o] = tail[position + fan_in * fan_out + o] + z
                        position += fan_in * fan_out + fan_out
            acc += _sample_loss(following, n_out, Yt, s, loss, zero)
        _block_sum(acc, tid, totals, p)

    return points


@cuda.jit(device=True, inline=True)
def _block_sum(value, tid, totals, p):
    """``totals[p]`` = the sum of the block's ``value``s, in a fixed tree order."""
    shared = cuda.shared.array(THREADS, float64)
    shared[tid] = value
    cuda.syncthreads()
    stride = THREADS // 2
    while stride > 0:
        if tid < stride:
            shared[tid] += shared[tid + stride]
        cuda.syncthreads()
        stride //= 2
    if tid == 0:
        totals[p] = shared[0]


def bce_kernel(dtype):
    """``bce(z0, zu, sign, zv_signed, a, b, cols, n, one, zero, totals)`` for ``dtype``.

    Thread ``p`` is grid point (row ``p // cols`` of ``a``, column ``p % cols`` of ``b``):
    ``totals[p] = sum_k softplus(sign_k (z0_k + a zu_k) + b zv_signed_k)``.  The block
    stages :data:`THREADS` samples at a time in shared memory; the log terms of each
    group of :data:`PRODUCT_GROUP` samples are one ``log1p(q)``, ``1 + q`` their product
    of ``1 + exp(-|t|)``, accumulated as ``q + e (1 + q)``.
    """

    @cuda.jit
    def bce(z0, zu, sign, zv_signed, a, b, cols, n, one, zero, totals):
        tid = cuda.threadIdx.x
        p = cuda.blockIdx.x * THREADS + tid
        active = p < totals.size
        i = p // cols if active else 0
        ai = a[i]
        bj = b[p - i * cols] if active else zero
        z0s = cuda.shared.array(THREADS, dtype)
        zus = cuda.shared.array(THREADS, dtype)
        signs = cuda.shared.array(THREADS, dtype)
        zvs = cuda.shared.array(THREADS, dtype)
        total = 0.0
        for base in range(0, n, THREADS):
            k = base + tid
            if k < n:
                z0s[tid] = z0[k]
                zus[tid] = zu[k]
                signs[tid] = sign[k]
                zvs[tid] = zv_signed[k]
            cuda.syncthreads()
            count = min(THREADS, n - base)
            for group in range(0, count, PRODUCT_GROUP):
                q = zero
                partial = zero
                for k in range(group, min(group + PRODUCT_GROUP, count)):
                    t = signs[k] * (z0s[k] + ai * zus[k]) + bj * zvs[k]
                    e = math.exp(-abs(t))
                    partial += max(t, zero)
                    q = q + e * (one + q)
                total += math.log1p(float64(q)) + float64(partial)
            cuda.syncthreads()
        if active:
            totals[p] = total

    return bce
