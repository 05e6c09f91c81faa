"""Planes through a network's batch normalisation parameters (``gamma`` moving).

Along such a plane the folded network is not on a plane (``gamma`` scales its weights), so
the network kernel's plane path does not apply.  What is still shared by every point: the
layers before the first one the plane moves (fixed), and that layer's pre-normalisation
outputs, affine in ``(a, b)``: ``P_0 + a P_u + b P_v`` with ``P = A W + b`` of the origin
and the directions (three BLAS products per chunk of samples, as the plane kernel forms
them).  Per point, :func:`~fastnn.kernels.plane_layer` applies the point's normalisation
(``scale = gamma s``, ``shift = beta - mean scale``) and activation, and the layers after
it run at the point's folded parameters (``mlp_logits``), then ``output_loss``.

Every point's value depends only on the data and the point (the chunks of samples are fixed
by the data's shape), so tiles and threads do not change a bit.
"""

from __future__ import annotations

import numpy as np

from fastnn._codes import ACCURACY
from fastnn.layout import BatchNormLayout, MLPLayout
from fastnn.model import correct_predictions

# Values of one of the three products per chunk of samples (8 MB each in float64).
_CHUNK_VALUES = 1 << 20


def first_moved_layer(layout, u: np.ndarray, v: np.ndarray) -> int:
    """The first layer whose weights, biases, gamma or beta ``u`` or ``v`` move."""
    moved = np.flatnonzero((u != 0) | (v != 0))
    if moved.size == 0:
        return layout.n_layers - 1
    return int(np.searchsorted(layout.weight_start, moved[0], side="right") - 1)


def _inputs_of(impl, model, first: int, folded_origin: np.ndarray) -> np.ndarray:
    """The (fixed) inputs of layer ``first``: the data, or the layers before it at the origin."""
    if first == 0:
        return model.X
    sizes, activation = model.layout.sizes, model.activation
    prefix = MLPLayout(sizes[: first + 1])
    Z = impl.mlp_logits(
        model.X, folded_origin[: prefix.n_params], prefix.sizes, activation[: first - 1],
        np.empty((model.X.shape[0], int(sizes[first]))),
    )  # fmt: skip
    flat = np.array([1.0, 0.0])  # scale 1, shift 0: the activation alone
    scale, shift = np.repeat(flat[:1], Z.shape[1]), np.repeat(flat[1:], Z.shape[1])
    P = np.stack([Z, np.zeros_like(Z), np.zeros_like(Z)])
    return impl.plane_layer(P, 0.0, 0.0, scale, shift, activation, first - 1, np.empty_like(Z))


def normed_plane_values(impl, model, origin, u, v, a, b, metric: int, out) -> np.ndarray:
    """The loss (or ``metric=ACCURACY``) at every point ``origin + a[i] u + b[j] v``.

    ``model``: a ``"mlp-batchnorm"`` LossModel; the values go into ``out`` (a.size, b.size).
    """
    layout, activation = model.layout, model.activation
    sizes = layout.sizes
    first = first_moved_layer(layout, u, v)
    last = first == layout.n_layers - 1
    A = _inputs_of(impl, model, first, layout.fold(origin))
    width = int(sizes[first + 1])
    blocks = [(layout.coefs(w)[first], layout.intercepts(w)[first]) for w in (origin, u, v)]
    n = A.shape[0]
    chunk = max(1, _CHUNK_VALUES // width)
    totals = np.zeros((a.size, b.size))
    # per point only this layer's normalisation and the layers after it: a point's
    # parameters from the first of them on, and the layout of the layers after it
    start = int(layout.norm_start[first]) if layout.normed[first] else origin.size
    if not last:
        start = min(start, int(layout.weight_start[first + 1]))
        tail = BatchNormLayout(
            sizes[first + 1 :], layout.means[first + 1 :], layout.scales[first + 1 :]
        )
        tail_table = activation[first + 1 :]
    ones, zeros = np.ones(width), np.zeros(width)
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        P = np.stack([A[lo:hi] @ W + bias for W, bias in blocks])
        Y = model.target[lo:hi]
        H = np.empty((hi - lo, width))
        logits = np.empty((hi - lo, int(sizes[-1])))
        for i in range(a.size):
            for j in range(b.size):
                point = origin[start:] + a[i] * u[start:] + b[j] * v[start:]
                scale, shift = ones, zeros
                if layout.normed[first]:
                    gamma = point[:width]
                    scale = gamma * layout.scales[first]
                    shift = point[width : 2 * width] - layout.means[first] * scale
                impl.plane_layer(P, a[i], b[j], scale, shift, activation, first, H)
                if not last:
                    later = point[point.size - tail.n_params :]
                    impl.mlp_logits(H, tail.fold(later), tail.sizes, tail_table, logits)
                outputs = H if last else logits
                if metric == ACCURACY:
                    totals[i, j] += correct_predictions(outputs, Y)
                elif hi - lo == n:  # one chunk: the mean itself
                    totals[i, j] = impl.output_loss(outputs, Y, model.loss)
                else:
                    totals[i, j] += impl.output_loss(outputs, Y, model.loss) * (hi - lo)
    out[...] = totals / n if metric == ACCURACY or chunk < n else totals
    return out
