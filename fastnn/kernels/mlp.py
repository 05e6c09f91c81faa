r"""Forward pass, loss and backpropagated gradient of a multilayer perceptron (numba).

The network is one flat float64 vector ``theta``: for each layer ``l`` (mapping
``sizes[l]`` units to ``sizes[l + 1]``) its weights ``W_l`` (``sizes[l] x sizes[l+1]``,
row-major) followed by its biases ``b_l``.  Hidden layer ``l`` applies row ``l`` of
the activation table ``activation`` (:mod:`fastnn.kernels._activation`); the output
layer's pre-activations ("logits") go to the loss:

* ``SQUARED_ERROR``: identity output, :math:`\frac{1}{NK}\sum_{i,k}(z_{ik}-y_{ik})^2`;
  with an output row in the table, of the activated outputs ``f(z)`` instead;
* ``LOG_LOSS``: one sigmoid output, binary cross-entropy from the logit;
* ``SOFTMAX_LOG_LOSS``: softmax over ``K`` outputs, :math:`\frac1N\sum_i
  \operatorname{logsumexp}(z_i) - y_i \cdot z_i` (``y`` one-hot or probabilities).

Samples are processed in chunks and kept *feature-major* inside a chunk (one
contiguous row of chunk-width values per unit), so every inner loop runs over
samples and vectorises -- activations included, with fastnn's own exp.  Small
networks use chunks of :data:`_CHUNK` samples and spread large batches over
the threads in groups of chunks.  Networks with a layer of at least
:data:`_BLAS_MIN_WEIGHTS` weights do those layers' products with BLAS
(``np.dot``) on wide chunks of :data:`_BLAS_CHUNK` samples, serially: BLAS uses
the threads itself, and wider products run much closer to its peak.
Gradients are backpropagated (no finite differences) and are means over the batch.
Reference: :mod:`fastnn.reference.mlp`.
"""

from __future__ import annotations

import numba
import numpy as np

from fastnn._builds import MLP_BLAS_MIN_WEIGHTS, MLP_CHUNK, MLP_PARALLEL_MIN_WORK
from fastnn._codes import LOG_LOSS, SQUARED_ERROR
from fastnn._numba import njit
from fastnn.kernels._activation import (
    _activated,
    _any_needs_pre,
    _keep_and_activate,
    _layer,
    _scale_by_derivative,
    _scale_by_output_derivative,
)
from fastnn.kernels._math import _exp, _log1p
from fastnn.kernels.linear import _bce_term

# Samples per chunk: the activations of a chunk stay in L1/L2 cache.
_CHUNK = MLP_CHUNK
# Samples per chunk for networks whose products go to BLAS.
_BLAS_CHUNK = 2048
# A layer with this many weights or more uses BLAS for its products.
_BLAS_MIN_WEIGHTS = MLP_BLAS_MIN_WEIGHTS
# Batches with at least this many (sample x parameter) products run in parallel,
# split into at most _GROUPS groups of chunks; the grouping depends on the batch
# size only, so results do not change with the number of threads.
_PARALLEL_MIN_WORK = MLP_PARALLEL_MIN_WORK
_GROUPS = 8


@njit()
def _offsets(sizes):
    """Start of each layer's weights and biases in theta, and of its units in a chunk buffer."""
    n_layers = sizes.size - 1
    w_start = np.empty(n_layers, np.int64)
    b_start = np.empty(n_layers, np.int64)
    unit_start = np.empty(sizes.size + 1, np.int64)
    position = 0
    for l in range(n_layers):
        w_start[l] = position
        position += sizes[l] * sizes[l + 1]
        b_start[l] = position
        position += sizes[l + 1]
    unit_start[0] = 0
    for l in range(sizes.size):
        unit_start[l + 1] = unit_start[l] + sizes[l]
    return w_start, b_start, unit_start


@njit()
def _weights(theta, sizes, w_start, l):
    fan_in, fan_out = sizes[l], sizes[l + 1]
    return theta[w_start[l] : w_start[l] + fan_in * fan_out].reshape((fan_in, fan_out))


@njit()
def _rows(buffer, unit_start, l):
    """The chunk buffer rows of layer l's units: a C-contiguous (units, width) view."""
    width = buffer.size // unit_start[-1]
    return buffer[unit_start[l] * width : unit_start[l + 1] * width].reshape(
        (unit_start[l + 1] - unit_start[l], width)
    )


@njit()
def _affine(W, b, A_in, A_out, width):
    """A_out[k, :width] = b[k] + sum_j W[j, k] A_in[j, :width]."""
    fan_in, fan_out = W.shape
    if fan_in * fan_out >= _BLAS_MIN_WEIGHTS:
        np.dot(W.T, A_in, A_out)
        for k in range(fan_out):
            row = A_out[k]
            for i in range(width):
                row[i] += b[k]
        return
    for k in range(fan_out):
        row = A_out[k]
        bias = b[k]
        for i in range(width):
            row[i] = bias
        for j in range(fan_in):
            w = W[j, k]
            a = A_in[j]
            for i in range(width):
                row[i] += w * a[i]


@njit()
def _load_chunk(X, idx, lo, m, A0):
    """A0[j, i] = X[idx[lo + i], j] for i < m; zero padding after (keeps BLAS sums exact)."""
    for j in range(X.shape[1]):
        a = A0[j]
        for i in range(m):
            a[i] = X[idx[lo + i], j]
        for i in range(m, a.size):
            a[i] = 0.0


@njit()
def _forward_chunk(X, idx, lo, m, theta, sizes, activation, offsets, A, P):
    """Fill the chunk buffer A with every layer's activations (the last: logits or outputs).

    The output layer is activated when the table has an output row.
    P (A's shape, or empty when no layer needs them) receives the pre-activations of the
    layers whose derivatives need them.
    """
    w_start, b_start, unit_start = offsets
    _load_chunk(X, idx, lo, m, _rows(A, unit_start, 0))
    n_layers = sizes.size - 1
    for l in range(n_layers):
        W = _weights(theta, sizes, w_start, l)
        b = theta[b_start[l] : b_start[l] + sizes[l + 1]]
        A_out = _rows(A, unit_start, l + 1)
        _affine(W, b, _rows(A, unit_start, l), A_out, m)
        if _activated(activation, l):
            code, param = _layer(activation, l)
            _keep_and_activate(A_out, _rows(P, unit_start, l + 1), code, param, m)


@njit()
def _column_max(Z, m, top, arg, rest):
    """top[i], arg[i] = max and first arg-max of Z[:, i] for i < m; rest[i] = 0."""
    for i in range(m):
        top[i] = Z[0, i]
        arg[i] = 0.0
        rest[i] = 0.0
    for k in range(1, Z.shape[0]):
        z = Z[k]
        for i in range(m):
            bigger = z[i] > top[i]
            top[i] = z[i] if bigger else top[i]
            arg[i] = k if bigger else arg[i]


@njit()
def _loss_and_delta(Z, Y, idx, lo, m, loss, D, per_sample):
    """Summed loss of the chunk's samples; D = d loss_i / d z (zero in padding columns).

    ``per_sample`` is scratch of 3 rows of the chunk width.
    """
    n_out = Z.shape[0]
    total = 0.0
    for k in range(n_out):
        for i in range(m, D.shape[1]):
            D[k, i] = 0.0
    # Targets are gathered into a contiguous row first, so the loops below vectorise.
    target = per_sample[0]
    if loss == SQUARED_ERROR:
        for k in range(n_out):
            z, d = Z[k], D[k]
            for i in range(m):
                target[i] = Y[idx[lo + i], k]
            for i in range(m):
                diff = z[i] - target[i]
                d[i] = 2.0 * diff / n_out
                total += diff * diff
        return total / n_out
    if loss == LOG_LOSS:
        z, d = Z[0], D[0]
        for i in range(m):
            target[i] = Y[idx[lo + i], 0]
        for i in range(m):
            zi = z[i]
            e = _exp(-abs(zi))
            s = 1.0 / (1.0 + e)
            d[i] = (s if zi >= 0.0 else e * s) - target[i]
            total += _bce_term(zi, target[i], e)
        return total
    # Softmax cross-entropy: logsumexp = max + log1p(sum of the other exp(z - max)),
    # the arg-max term left out of the sum so that no 1 + tiny is ever formed.
    top, arg, rest = per_sample[0], per_sample[1], per_sample[2]
    _column_max(Z, m, top, arg, rest)
    for k in range(n_out):
        z, d = Z[k], D[k]
        for i in range(m):
            e = _exp(z[i] - top[i])
            d[i] = e
            rest[i] += e if arg[i] != k else 0.0
    for i in range(m):
        log_sum = _log1p(rest[i])
        dot = 0.0
        for k in range(n_out):
            y = Y[idx[lo + i], k]
            dot += y * Z[k, i]
            # softmax_k - y_k, with softmax_k = exp(z_k - max) / (1 + rest)
            D[k, i] = D[k, i] / (1.0 + rest[i]) - y
        total += (top[i] - dot) + log_sum
    return total


@njit()
def _backward_chunk(theta, sizes, activation, offsets, A, P, D, m, grad, product):
    """Grad += the chunk's summed gradient, from the output delta already in D.

    ``product`` is scratch for the BLAS path (at least max fan_in * fan_out values).
    """
    w_start, b_start, unit_start = offsets
    n_layers = sizes.size - 1
    for l in range(n_layers - 1, -1, -1):
        fan_in, fan_out = sizes[l], sizes[l + 1]
        A_in = _rows(A, unit_start, l)
        delta = _rows(D, unit_start, l + 1)
        gW = _weights(grad, sizes, w_start, l)
        gb = grad[b_start[l] : b_start[l] + fan_out]
        W = _weights(theta, sizes, w_start, l)
        blas = fan_in * fan_out >= _BLAS_MIN_WEIGHTS
        if blas:
            outer = product[: fan_in * fan_out].reshape((fan_in, fan_out))
            np.dot(A_in, delta.T, outer)
            for j in range(fan_in):
                for k in range(fan_out):
                    gW[j, k] += outer[j, k]
        else:
            for j in range(fan_in):
                a = A_in[j]
                for k in range(fan_out):
                    d = delta[k]
                    acc = 0.0
                    for i in range(m):
                        acc += a[i] * d[i]
                    gW[j, k] += acc
        for k in range(fan_out):
            d = delta[k]
            acc = 0.0
            for i in range(m):
                acc += d[i]
            gb[k] += acc
        if l == 0:
            break
        previous = _rows(D, unit_start, l)
        if blas:
            np.dot(W, delta, previous)
        else:
            for j in range(fan_in):
                row = previous[j]
                for i in range(row.size):
                    row[i] = 0.0
                for k in range(fan_out):
                    w = W[j, k]
                    d = delta[k]
                    for i in range(m):
                        row[i] += w * d[i]
        code, param = _layer(activation, l - 1)
        _scale_by_derivative(previous, A_in, _rows(P, unit_start, l), code, param, m)


@njit()
def _uses_blas(sizes):
    for l in range(sizes.size - 1):
        if sizes[l] * sizes[l + 1] >= _BLAS_MIN_WEIGHTS:
            return True
    return False


@njit()
def _workspace(sizes, n_samples, activation):
    """Activations, deltas, per-sample scratch, the BLAS product buffer and pre-activations.

    The chunk width is :data:`_BLAS_CHUNK` for networks that use BLAS, else :data:`_CHUNK`,
    and never more than ``n_samples`` rounded up to a multiple of 8.  The pre-activations
    are empty unless a hidden layer's derivatives need them.
    """
    width = _BLAS_CHUNK if _uses_blas(sizes) else _CHUNK
    width = min(width, (n_samples + 7) // 8 * 8)
    units = 0
    widest = 0
    for l in range(sizes.size):
        units += sizes[l]
    for l in range(sizes.size - 1):
        widest = max(widest, sizes[l] * sizes[l + 1])
    # Zeros, not empty: the columns past a short last chunk must hold finite values, since
    # the BLAS products run over the whole width (they meet zero deltas there).
    return (
        np.zeros(units * width),
        np.zeros(units * width),
        np.empty((3, width)),
        np.empty(widest),
        np.zeros(units * width if _any_needs_pre(activation) else 0),
    )


@njit()
def _chunks_loss_grad(X, Y, idx, lo, hi, theta, sizes, activation, loss, offsets, workspace, grad):
    """Summed loss of samples idx[lo:hi]; their summed gradient is added to grad."""
    A, D, per_sample, product, P = workspace
    unit_start = offsets[2]
    n_layers = sizes.size - 1
    total = 0.0
    width = per_sample.shape[1]
    for start in range(lo, hi, width):
        m = min(width, hi - start)
        _forward_chunk(X, idx, start, m, theta, sizes, activation, offsets, A, P)
        total += _loss_and_delta(
            _rows(A, unit_start, n_layers),
            Y,
            idx,
            start,
            m,
            loss,
            _rows(D, unit_start, n_layers),
            per_sample,
        )
        if _activated(activation, n_layers - 1):  # the output's delta: times f'(z)
            _scale_by_output_derivative(
                _rows(D, unit_start, n_layers), _rows(A, unit_start, n_layers),
                _rows(P, unit_start, n_layers), activation, n_layers - 1, m,
            )  # fmt: skip
        _backward_chunk(theta, sizes, activation, offsets, A, P, D, m, grad, product)
    return total


@njit(inline=True)
def _batch_loss_grad(X, Y, idx, lo, hi, theta, sizes, activation, loss, offsets, workspace, grad):
    """Mean loss of samples idx[lo:hi] and its gradient (written into grad).

    ``offsets`` and ``workspace`` come from :func:`_offsets` and :func:`_workspace`
    (made once by the caller). Inlined: its ``prange`` runs in parallel when the caller
    is a parallel kernel.
    """
    n = hi - lo
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    grad[:] = 0.0
    if n * theta.size < _PARALLEL_MIN_WORK or n_chunks < 2 or _uses_blas(sizes):
        total = _chunks_loss_grad(
            X, Y, idx, lo, hi, theta, sizes, activation, loss, offsets, workspace, grad
        )
    else:
        groups = min(_GROUPS, n_chunks)
        per_group = (n_chunks + groups - 1) // groups * _CHUNK
        partial = np.zeros((groups, theta.size + 1))
        for g in numba.prange(groups):
            start = lo + g * per_group
            stop = min(start + per_group, hi)
            if start < stop:
                part = partial[g]
                part[-1] = _chunks_loss_grad(
                    X,
                    Y,
                    idx,
                    start,
                    stop,
                    theta,
                    sizes,
                    activation,
                    loss,
                    offsets,
                    _workspace(sizes, per_group, activation),
                    part[:-1],
                )
        total = 0.0
        for g in range(groups):
            total += partial[g, -1]
            for p in range(theta.size):
                grad[p] += partial[g, p]
    grad *= 1.0 / n
    return total / n


@njit()
def mlp_logits(
    X: np.ndarray, theta: np.ndarray, sizes: np.ndarray, activation: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """Output-layer pre-activations of every sample, shape (N, sizes[-1]), into ``out``.

    With an output row in the activation table: the activated outputs.
    """
    offsets = _offsets(sizes)
    unit_start = offsets[2]
    n_layers = sizes.size - 1
    workspace = _workspace(sizes, X.shape[0], activation)
    A, P = workspace[0], workspace[4]
    width = A.size // unit_start[-1]
    idx = np.arange(X.shape[0])
    for start in range(0, X.shape[0], width):
        m = min(width, X.shape[0] - start)
        _forward_chunk(X, idx, start, m, theta, sizes, activation, offsets, A, P)
        Z = _rows(A, unit_start, n_layers)
        for k in range(Z.shape[0]):
            for i in range(m):
                out[start + i, k] = Z[k, i]
    return out


@njit()
def output_loss(Z: np.ndarray, Y: np.ndarray, loss: int) -> float:
    """Mean loss of targets Y (N, K) given output logits Z (N, K)."""
    n, n_out = Z.shape
    buffer = np.empty((2 * n_out, _CHUNK))
    per_sample = np.empty((3, _CHUNK))
    idx = np.arange(n)
    total = 0.0
    for start in range(0, n, _CHUNK):
        m = min(_CHUNK, n - start)
        chunk = buffer[:n_out]
        for k in range(n_out):
            for i in range(m):
                chunk[k, i] = Z[start + i, k]
        total += _loss_and_delta(chunk, Y, idx, start, m, loss, buffer[n_out:], per_sample)
    return total / n


@njit(parallel=True)
def mlp_loss_grad(
    X: np.ndarray,
    Y: np.ndarray,
    theta: np.ndarray,
    sizes: np.ndarray,
    activation: np.ndarray,
    loss: int,
    grad: np.ndarray,
) -> float:
    """Mean loss of the network at theta on (X, Y); its gradient is written into ``grad``."""
    idx = np.arange(X.shape[0])
    return _batch_loss_grad(
        X,
        Y,
        idx,
        np.int64(0),
        X.shape[0],
        theta,
        sizes,
        activation,
        loss,
        _offsets(sizes),
        _workspace(sizes, X.shape[0], activation),
        grad,
    )
