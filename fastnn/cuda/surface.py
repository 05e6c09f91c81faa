"""Loss surfaces on an NVIDIA GPU: the surface kernels with the CPU kernels' signatures.

:func:`bce_surface` and :func:`mlp_surface` take the arguments of
:func:`fastnn.kernels.bce_surface` and :func:`fastnn.kernels.mlp_surface` (their numpy
twins in :mod:`fastnn.reference` are the oracle of both) and fill ``out`` on the host,
so the surface engine runs a tile on the GPU as it runs one on the CPU: progress,
``out=``, resume, Zarr stores and Dask are unchanged.

What the GPU keeps between tiles: a tile's kernel arguments whose arrays are immutable
(not writeable, down to the memory they view: the engine freezes its evaluation's
arrays) are uploaded once and kept while those arrays live, with what the GPU derived
from them -- a network's shared first-layer products ``P0``, ``Pu``, ``Pv`` for every
sample (:mod:`fastnn.kernels._plane_network` explains them), the BCE signs and hoisted
means.  Arrays that may change are uploaded on every call.  Per tile only the axes go
up and the tile's values come back.

Rounding: the same algorithms as the CPU kernels in another order of operations
(products, exps of the GPU's math library): float64 values agree with the CPU kernels
to about 1e-13 relative (tested at 1e-12); float32 values agree with float64 to the
CPU float32 path's 1e-4.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from types import SimpleNamespace

import numba
import numpy as np
from numba import cuda

from fastnn._activations import table_key
from fastnn.cuda import _kernels, immutable, later_width
from fastnn.kernels.plane_parts import bce_hoisted, first_varying_layer, form_tail, layer_offsets

# Threads per block of the small element-wise kernels.
_ELEMENT_THREADS = 256
# A network launch's per-point weights take at most this much GPU memory (mlp_surface).
TAIL_BYTES = 1 << 28

_RESIDENT: dict = {}


def _resident(arrays, extra, build):
    """``build()``, kept for later calls with the same immutable ``arrays`` and ``extra``.

    The entry is dropped when any of the arrays is garbage-collected, so an id is never
    matched by a later array at the same address.
    """
    if not all(isinstance(x, np.ndarray) and immutable(x) for x in arrays):
        return build()
    key = (*(id(x) for x in arrays), *extra)
    found = _RESIDENT.get(key)
    if found is None:
        found = build()
        _RESIDENT[key] = found
        for x in arrays:
            weakref.finalize(x, _RESIDENT.pop, key, None)
    return found


def _typed(value, dtype):
    return np.dtype(dtype).type(value)


@functools.cache
def _bce_kernel(dtype_name):
    return _kernels.bce_kernel(numba.from_dtype(np.dtype(dtype_name)))


@functools.cache
def _affine_kernel(dtype_name):
    return _kernels.affine_kernel(numba.from_dtype(np.dtype(dtype_name)))


@functools.cache
def _network_kernel(dtype_name, width, outputs):
    return _kernels.network_kernel(numba.from_dtype(np.dtype(dtype_name)), width, outputs)


def _blocks(count, threads):
    return (count + threads - 1) // threads


def _launch(kernel, grid, block, *arguments):
    """``kernel[grid, block](*arguments)``, without numba-cuda's low-occupancy warning.

    Small grids are deliberate here (a tile of a few points, a small layer's products),
    and the warning would repeat on every tile.
    """
    with warnings.catch_warnings():
        # matched by its text: numba and numba-cuda each define a NumbaPerformanceWarning
        warnings.filterwarnings("ignore", message="Grid size .* under-utilization")
        configured = kernel[grid, block]
    configured(*arguments)


def _bce_data(z0, zu, zv, y):
    sign = np.empty(y.size, z0.dtype)
    zv_signed = np.empty(y.size, z0.dtype)
    h0, hu, hv = bce_hoisted(z0, zu, zv, y, sign, zv_signed)
    _check_free_memory(4 * y.size * z0.itemsize, "the logits")
    return SimpleNamespace(
        z0=cuda.to_device(z0),
        zu=cuda.to_device(zu),
        sign=cuda.to_device(sign),
        zv_signed=cuda.to_device(zv_signed),
        hoisted=(h0, hu, hv),
    )


def bce_surface(z0, zu, zv, y, a, b, out):
    """Mean binary cross-entropy at every grid point, on the GPU.

    The arguments and values of :func:`fastnn.kernels.bce_surface`.
    """
    if a.size == 0 or b.size == 0:
        return out
    data = _resident((z0, zu, zv, y), (), lambda: _bce_data(z0, zu, zv, y))
    dtype = z0.dtype
    n = y.size
    points = a.size * b.size
    totals = cuda.device_array(points, np.float64)
    _launch(
        _bce_kernel(dtype.name),
        _blocks(points, _kernels.THREADS),
        _kernels.THREADS,
        data.z0,
        data.zu,
        data.sign,
        data.zv_signed,
        cuda.to_device(a.astype(dtype)),
        cuda.to_device(b.astype(dtype)),
        b.size,
        n,
        _typed(1.0, dtype),
        _typed(0.0, dtype),
        totals,
    )
    h0, hu, hv = data.hoisted
    sums = totals.copy_to_host().reshape(a.size, b.size)
    out[...] = sums / n - ((h0 + a[:, None] * hu) + b[None, :] * hv)
    return out


def _tail_index(sizes, first, offs):
    """Positions in theta of a point's later-layer parameters, in ``form_tail``'s order.

    The CPU kernel's own ``form_tail`` with the positions as the origin and no
    directions: the GPU's tails follow its layout by construction.  (A network whose
    plane moves its output layer has no tail: one unused entry.)
    """
    n_tail = int(
        sum(sizes[l] * sizes[l + 1] + sizes[l + 1] for l in range(first + 1, len(sizes) - 1))
    )
    positions = np.arange(int(offs[1][-1] + sizes[-1]), dtype=np.float64)
    zeros = np.zeros_like(positions)
    tail = np.zeros(max(n_tail, 1))
    form_tail(positions, zeros, zeros, 0.0, 0.0, sizes, offs, first, tail)
    return tail.astype(np.int64)


def _network_data(X, Y, origin, u, v, sizes, activation):
    """Everything of a network surface that does not depend on the grid, on the GPU."""
    dtype = X.dtype
    n = X.shape[0]
    sizes = np.asarray(sizes, np.int64)
    first = int(first_varying_layer(sizes, u, v))
    offs = layer_offsets(sizes)
    w_start, b_start, _ = offs
    units = int(sizes[first + 1])
    held = X.size + Y.size + n * (int(sizes[1 : first + 1].sum()) + 3 * units)
    _check_free_memory(held * X.itemsize, "the data and the first-layer products")
    one, zero = _typed(1.0, dtype), _typed(0.0, dtype)
    affine = _affine_kernel(dtype.name)
    sample_blocks = _blocks(n, _kernels.TILE)
    threads = (_kernels.TILE, _kernels.TILE)

    def layer(w, l, A, out, activate):
        fan_in, fan_out = int(sizes[l]), int(sizes[l + 1])
        W = cuda.to_device(
            np.ascontiguousarray(w[w_start[l] : b_start[l]].reshape(fan_in, fan_out))
        )
        bias = cuda.to_device(np.ascontiguousarray(w[b_start[l] : b_start[l] + fan_out]))
        grid = (sample_blocks, _blocks(fan_out, _kernels.TILE))
        code, param = (int(activation[l, 0]), float(activation[l, 1])) if activate else (0, 0.0)
        _launch(affine, grid, threads, W, bias, A, out, n, activate, code, param, one, zero)

    A = cuda.to_device(np.ascontiguousarray(X.T))
    for l in range(first):
        hidden = cuda.device_array((int(sizes[l + 1]), n), dtype)
        layer(origin, l, A, hidden, True)
        A = hidden
    P = cuda.device_array((3, units, n), dtype)
    for d, w in enumerate((origin, u, v)):
        layer(w, first, A, P[d], False)
    index = _tail_index(sizes, first, offs)
    n_tail = index.size if first + 1 < sizes.size - 1 else 0  # see _tail_index
    return SimpleNamespace(
        P=P,
        Yt=cuda.to_device(np.ascontiguousarray(Y.T)),
        origin=cuda.to_device(origin),
        u=cuda.to_device(u),
        v=cuda.to_device(v),
        sizes=cuda.to_device(sizes),
        # (one row at least: a network without hidden layers reads none of it)
        activation=cuda.to_device(
            np.ascontiguousarray(activation if len(activation) else np.zeros((1, 2)), np.float64)
        ),
        index=cuda.to_device(index),
        n_tail=n_tail,
        first=first,
        width=1 << max(3, (later_width(sizes, first) - 1).bit_length()),
        # the output layer right after the varying one: a kernel with that many logits
        outputs=int(sizes[-1]) if first + 2 == sizes.size - 1 else 0,
    )


def mlp_surface(X, Y, origin, u, v, sizes, activation, loss, a, b, out):
    """Mean loss of the network at every grid point, on the GPU.

    The arguments and values of :func:`fastnn.kernels.mlp_surface`.
    """
    if a.size == 0 or b.size == 0:
        return out
    net = _resident(
        (X, Y, origin, u, v, sizes),
        (table_key(activation, len(sizes) - 2),),
        lambda: _network_data(X, Y, origin, u, v, sizes, activation),
    )
    dtype = X.dtype
    n = X.shape[0]
    points = a.size * b.size
    a_host, b_host = cuda.to_device(a), cuda.to_device(b)
    a_typed, b_typed = cuda.to_device(a.astype(dtype)), cuda.to_device(b.astype(dtype))
    kernel = _network_kernel(dtype.name, net.width, net.outputs)
    # The points' later-layer weights take points x n_tail values: a launch covers at most
    # TAIL_BYTES of them (a tile of 2^20 points of a small network would need gigabytes).
    per_launch = max(1, min(points, TAIL_BYTES // (max(net.n_tail, 1) * dtype.itemsize)))
    tails = cuda.device_array((per_launch, max(net.n_tail, 1)), dtype)
    totals = cuda.device_array(points, np.float64)
    for start in range(0, points, per_launch):
        count = min(per_launch, points - start)
        if net.n_tail:
            _launch(
                _kernels.tails_kernel,
                _blocks(count * net.n_tail, _ELEMENT_THREADS),
                _ELEMENT_THREADS,
                *(net.origin, net.u, net.v, a_host, b_host, b.size, start, net.index),
                tails[:count],
            )
        _launch(
            kernel,
            count,
            _kernels.THREADS,
            *(net.P, net.Yt, n, a_typed, b_typed, b.size, start, tails[:count], net.sizes),
            *(net.first, net.activation, int(loss), _typed(1.0, dtype), _typed(0.0, dtype)),
            totals,
        )
    out[...] = totals.copy_to_host().reshape(a.size, b.size) / n
    return out


def _check_free_memory(needed: int, what: str) -> None:
    free = cuda.current_context().get_memory_info()[0]
    if needed > 0.9 * free:
        raise ValueError(
            f"device='cuda': {what} need {needed / 2**30:.1f} GiB of GPU memory and "
            f"{free / 2**30:.1f} GiB are free; use device='cpu' or fewer samples"
        )
