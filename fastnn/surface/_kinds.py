"""The tile kernels of loss surfaces, lines and curvature maps, and :func:`prepare`.

:func:`prepare` turns a model (:class:`~fastnn.model.LossModel`) and a plane into an
:class:`~fastnn.grid.Evaluation` -- every array the kernels need, computed once (for
linear models the logits of the origin and of the two directions, and for squared error
the nine numbers of the quadratic form).  The kinds are registered with the grid engine
(:func:`fastnn.grid.register_kind`) when this module is imported.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fastnn._activations import NO_HIDDEN, table_from_key, table_key
from fastnn._builds import blas_threads
from fastnn._codes import ACCURACY, LOG_LOSS
from fastnn.grid import Evaluation, TileKernel, register_kind
from fastnn.model import LINEAR, NETWORK, NORMED_NETWORK

METHODS = ("auto", "exact", "brute")
DTYPES = ("float64", "float32")
METRICS = ("loss", "accuracy", "max_eigenvalue", "min_eigenvalue")
# Metrics of curvature: an extreme eigenvalue of the Hessian at every grid point.
EIGENVALUE_METRICS = {"max_eigenvalue": "largest", "min_eigenvalue": "smallest"}
# Both extreme eigenvalues in one pass (curvature_surface's evaluation).
CURVATURE = "curvature"
# Kinds with a float32 path, and how many of their leading arrays are rounded to float32.
_FLOAT32_ARRAYS = {"bce": 4, "accuracy": 4, "network": 5}
FLOAT32_UNSUPPORTED = (
    "dtype='float32' is implemented for network (MLP) and cross-entropy (logistic) "
    "surfaces; squared-error surfaces of linear models, networks with batch normalisation's "
    "parameters and curvature are float64 only"
)


def _run_network(impl, arrays, codes, a, b, out):
    X, Y, origin, u, v, sizes = arrays
    # BLAS's idle threads spin for a while after each call; the kernel's first-layer
    # products are followed by numba's threads, which lost half of the 2 cores to them
    # (2.8 s instead of 1.9 s on the MNIST-sized network).  One BLAS thread per call.
    key, loss = codes
    activation = table_from_key(key, sizes.size - 2)
    with blas_threads(1):
        impl.mlp_surface(X, Y, origin, u, v, sizes, activation, loss, a, b, out)


def _network_parts(arrays):
    """Weights of the layers up to the first the plane moves, and per point after it."""
    X, _, _, u, v, sizes = arrays
    sizes = [int(s) for s in sizes]
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    per_layer = [fan_in * fan_out + fan_out for fan_in, fan_out in pairs]
    starts = np.cumsum([0, *per_layer])
    moved = np.flatnonzero((u != 0) | (v != 0))
    first = len(per_layer) - 1
    if moved.size:
        first = int(np.searchsorted(starts, moved[0], side="right") - 1)
    # Per point: the later layers' weights, and two multiply-adds per unit of `first`.
    return sum(per_layer[: first + 1]), sum(per_layer[first + 1 :]) + 2 * sizes[first + 1]


# About this many multiply-adds take the time of one BCE sample evaluation (exp + log1p).
_MULTIPLY_ADDS_PER_UNIT = 8


def _network_cost(arrays) -> int:
    return arrays[0].shape[0] * _network_parts(arrays)[1] // _MULTIPLY_ADDS_PER_UNIT + 1


def _network_fixed(arrays) -> int:
    return 3 * arrays[0].shape[0] * _network_parts(arrays)[0] // _MULTIPLY_ADDS_PER_UNIT


def _extreme_eigenvalues(which: tuple):
    """A tile of the Hessian's extreme eigenvalues, one field per end in ``which``."""

    def run(impl, arrays, codes, a, b, out):
        from fastnn._spectrum import extreme_eigenvalues

        X, Y, origin, u, v, *layout = arrays
        family, loss, key, *marker, tol = codes
        model = rebuild_model(impl, X, Y, origin, layout, family, loss, key, _biases_of(marker))
        values = out.reshape(a.size, b.size, len(which))
        # one BLAS thread: eigh's and BLAS's results then do not depend on the thread count
        with blas_threads(1):
            for i in range(a.size):
                for j in range(b.size):
                    theta = origin + a[i] * u + b[j] * v
                    values[i, j] = extreme_eigenvalues(model, theta, which, tol)

    return run


def layout_arrays(model) -> tuple:
    """A LossModel's layout as arrays (tiles rebuild it with :func:`rebuild_model`).

    A linear model: its feature count; a network: its sizes; a network with batch
    normalisation: its sizes, which layers are normalised, and their means and scales.
    """
    if model.family == LINEAR:
        return (np.array([model.n_params - 1], dtype=np.int64),)
    sizes = np.asarray(model.layout.sizes, dtype=np.int64)
    if model.family == NETWORK:
        return (sizes,)
    layout = model.layout
    normed = np.array(layout.normed, dtype=np.int64)
    kept = [l for l, flag in enumerate(layout.normed) if flag]
    statistics = np.zeros((2, 0))
    if kept:
        statistics = np.stack([
            np.concatenate([layout.means[l] for l in kept]),
            np.concatenate([layout.scales[l] for l in kept]),
        ])  # fmt: skip
    return sizes, normed, statistics


def rebuild_model(impl, X, Y, origin, layout, family, loss, key, biases=True):
    """The LossModel a tile needs, from the evaluation's arrays and codes.

    ``layout``: the arrays of :func:`layout_arrays`.
    """
    from fastnn._backends import backend_module
    from fastnn.layout import BatchNormLayout, LinearLayout, MLPLayout
    from fastnn.model import LossModel

    backend = "numpy" if impl is backend_module("numpy") else "numba"
    sizes = layout[0]
    if family == LINEAR:
        linear = LinearLayout(int(sizes[0]))
        return LossModel(LINEAR, X, Y, origin, linear, loss, NO_HIDDEN, backend, "")
    activation = table_from_key(key, sizes.size - 2)
    network: MLPLayout | BatchNormLayout = MLPLayout(sizes)
    if family == NORMED_NETWORK:
        normed, statistics = layout[1], layout[2]
        ends = np.cumsum([0, *(sizes[1:] * normed)])
        means, scales = [
            [row[ends[l] : ends[l + 1]] if normed[l] else None for l in range(normed.size)]
            for row in statistics
        ]
        network = BatchNormLayout(sizes, means, scales)
    return LossModel(family, X, Y, origin, network, loss, activation, backend, "", 0.0, biases)


def _run_normed_network(impl, arrays, codes, a, b, out):
    """A tile of a network with batch normalisation's parameters moving (``_normed``)."""
    from fastnn.surface._normed import normed_plane_values

    X, Y, origin, u, v, *layout = arrays
    metric, loss, key, *marker = codes
    model = rebuild_model(impl, X, Y, origin, layout, NORMED_NETWORK, loss, key, _biases_of(marker))
    normed_plane_values(impl, model, origin, u, v, a, b, metric, out)


def _normed_network_parts(arrays) -> tuple[int, int]:
    """Multiply-adds per sample: ``(once per tile, per point)``.

    Once: the products up to the first moved layer; per point: that layer's affine map
    and activation, and the layers after it.
    """
    from fastnn.layout import BatchNormLayout, MLPLayout
    from fastnn.surface._normed import first_moved_layer

    X, _, _, u, v, sizes, normed, _ = arrays
    statistics = [
        np.zeros(int(n)) if flag else None for n, flag in zip(sizes[1:], normed, strict=True)
    ]
    first = first_moved_layer(BatchNormLayout(sizes, statistics, statistics), u, v)
    folded = MLPLayout(sizes)
    shared = int(folded.weight_start[first]) + 3 * int(sizes[first] * sizes[first + 1])
    tail = folded.n_params - int(folded.bias_start[first] + sizes[first + 1])
    return shared, 4 * int(sizes[first + 1]) + tail


def _normed_network_cost(arrays) -> int:
    work = arrays[0].shape[0] * _normed_network_parts(arrays)[1]
    return work // _MULTIPLY_ADDS_PER_UNIT + 1


def _normed_network_fixed(arrays) -> int:
    return arrays[0].shape[0] * _normed_network_parts(arrays)[0] // _MULTIPLY_ADDS_PER_UNIT


def _curvature_cost(arrays) -> int:
    """A dense Hessian per point: n_params HVPs of about 6 n_params multiply-adds a sample."""
    n_params = arrays[2].size
    return arrays[0].shape[0] * n_params * n_params * 6 // _MULTIPLY_ADDS_PER_UNIT + 1


# Every surface kernel, by kind (the names are part of completion records and stores).
_KINDS = {
    "mse-exact": TileKernel(
        lambda impl, arrays, codes, a, b, out: impl.mse_surface_quadratic(*arrays, a, b, out),
        lambda arrays: 1,
    ),
    "mse-brute": TileKernel(
        lambda impl, arrays, codes, a, b, out: impl.mse_surface_brute(*arrays, a, b, out),
        lambda arrays: arrays[-1].size,
    ),
    # 2: the log terms of 16 samples are one log1p of a running product
    "bce": TileKernel(
        lambda impl, arrays, codes, a, b, out: impl.bce_surface(*arrays, a, b, out),
        lambda arrays: arrays[-1].size,
        revision=2,
    ),
    # A linear classifier's accuracy: a compare and an add per sample, 1/8 of a softplus.
    "accuracy": TileKernel(
        lambda impl, arrays, codes, a, b, out: impl.accuracy_surface(*arrays, a, b, out),
        lambda arrays: arrays[-1].size // 8 + 1,
    ),
    # 2: softmax and cross-entropy exps without subnormal results; 3: the mean over the
    # samples a correctly rounded division (was a multiplication by 1/n)
    "network": TileKernel(_run_network, _network_cost, _network_fixed, revision=3),
    # Batch normalisation's gamma moving: a point's folded network is not on a plane, so
    # only the first moved layer's products are shared; the rest runs per point.
    "normed-network": TileKernel(_run_normed_network, _normed_network_cost, _normed_network_fixed),
    "max-eigenvalue": TileKernel(_extreme_eigenvalues(("largest",)), _curvature_cost),
    "min-eigenvalue": TileKernel(_extreme_eigenvalues(("smallest",)), _curvature_cost),
    # Both ends of the spectrum in one pass: one dense Hessian and eigvalsh per point.
    "curvature": TileKernel(
        _extreme_eigenvalues(("largest", "smallest")),
        _curvature_cost,
        fields=2,
        field_kinds=("max-eigenvalue", "min-eigenvalue"),
    ),  # fmt: skip
}
for _kind, _kernel in _KINDS.items():
    register_kind(_kind, _kernel, __name__)


def check_metric(metric, model) -> str:
    """``metric`` checked against what the model (a LossModel) can be scored by."""
    from fastnn._validation import check_option

    metric = check_option(metric, "metric", METRICS)
    if metric == "accuracy" and not model.is_classifier:
        raise ValueError(
            f"metric='accuracy' needs a classifier; {model.name} is a regressor (use metric='loss')"
        )
    return metric


def _prepare_linear(model, origin, u, v, method, metric):
    impl = model.impl
    n = model.X.shape[0]
    z0, zu, zv = (impl.linear_logits(model.X, w, np.empty(n)) for w in (origin, u, v))
    y = model.target
    if metric == "accuracy":
        return "accuracy", (z0, zu, zv, y), ()
    if model.loss == LOG_LOSS:
        return "bce", (z0, zu, zv, y), ()
    if method in ("auto", "exact"):
        return "mse-exact", (impl.mse_surface_stats(z0, zu, zv, y, np.empty(9)),), ()
    return "mse-brute", (z0, zu, zv, y), ()


def _prepare_network(model, origin, u, v, method, metric):
    arrays = (model.X, model.target, origin, u, v, model.layout.sizes)
    loss = ACCURACY if metric == "accuracy" else model.loss
    return "network", arrays, (table_key(model.activation, model.layout.sizes.size - 2), loss)


def _prepare_normed_network(model, origin, u, v, method, metric):
    from fastnn._batch_norm import push_forward

    layout = model.layout
    gammas = np.zeros(layout.n_params, dtype=bool)
    for norm in layout.norms(gammas):
        if norm is not None:
            norm[0][...] = True
    if not np.any(u[gammas]) and not np.any(v[gammas]):
        # gamma fixed: the fold is affine in (a, b), the plane a plane of the folded network
        # (its weights scaled by fixed factors), which the network kernel maps
        folded = (
            layout.fold(origin),
            push_forward(layout, origin, u),
            push_forward(layout, origin, v),
        )
        folded_model = dataclasses.replace(model, family=NETWORK, layout=layout.folded)
        return _prepare_network(folded_model, *folded, method, metric)
    arrays = (model.X, model.target, origin, u, v, *layout_arrays(model))
    metric_code = ACCURACY if metric == "accuracy" else model.loss
    n_hidden = model.layout.sizes.size - 2
    marker = () if model.biases is True else _bias_marker(model.biases)
    key = table_key(model.activation, n_hidden)
    return "normed-network", arrays, (metric_code, model.loss, key, *marker)


# How each model family's plane is reduced to one tile kernel's inputs.
_PREPARE = {
    LINEAR: _prepare_linear,
    NETWORK: _prepare_network,
    NORMED_NETWORK: _prepare_normed_network,
}


def _bias_marker(biases) -> tuple[str]:
    """The curvature codes' marker of a network lacking biases: none, or some layers'."""
    if biases is False:
        return ("weights only",)
    return ("biases " + "".join("1" if has else "0" for has in biases),)


def _biases_of(marker) -> bool | tuple[bool, ...]:
    """The ``biases`` of :func:`_bias_marker`'s ``marker`` (empty: every layer's)."""
    if not marker:
        return True
    if marker[0] == "weights only":
        return False
    return tuple(flag == "1" for flag in marker[0].removeprefix("biases "))


def _prepare_curvature(model, origin, u, v, metric, tol):
    arrays = (model.X, model.target, origin, u, v, *layout_arrays(model))
    # a network lacking biases: its Hessian is over the rest (the marker only then, so the
    # codes -- and stores' fingerprints -- of every other model stay as they were)
    marker = () if model.biases is True or model.family == LINEAR else _bias_marker(model.biases)
    n_hidden = model.layout.sizes.size - 2 if model.family != LINEAR else 0
    codes = (model.family, model.loss, table_key(model.activation, n_hidden), *marker, tol)
    return metric.replace("_", "-"), arrays, codes


def prepare(
    model,
    plane,
    method: str = "auto",
    dtype: str = "float64",
    metric: str = "loss",
    curvature_tol: float = 0.0,
    device: str = "cpu",
) -> Evaluation:
    """Precompute what every tile of the plane's grid needs (``model``: a LossModel).

    ``metric="accuracy"`` (classifiers; see :func:`check_metric`) evaluates the fraction
    of correct predictions instead of the loss; ``"max_eigenvalue"`` / ``"min_eigenvalue"``
    an extreme eigenvalue of the Hessian, ``"curvature"`` both (two fields, one pass).

    ``dtype="float32"`` (networks and cross-entropy) evaluates in float32: a network's
    data, targets, centre and directions, a linear model's logits and targets, are
    rounded to float32 once, here; each point's sum stays float64.
    """
    origin, u, v = (
        np.ascontiguousarray(w, dtype=np.float64) for w in (plane.origin, plane.u, plane.v)
    )
    a = np.ascontiguousarray(plane.a, dtype=np.float64)
    b = np.ascontiguousarray(plane.b, dtype=np.float64)
    if metric in EIGENVALUE_METRICS or metric == CURVATURE:
        kind, arrays, codes = _prepare_curvature(model, origin, u, v, metric, curvature_tol)
    else:
        kind, arrays, codes = _PREPARE[model.family](model, origin, u, v, method, metric)
    if dtype == "float32":
        if kind not in _FLOAT32_ARRAYS:
            raise ValueError(FLOAT32_UNSUPPORTED)
        rounded = _FLOAT32_ARRAYS[kind]
        arrays = (
            *(np.ascontiguousarray(x, dtype=np.float32) for x in arrays[:rounded]),
            *arrays[rounded:],
        )
    return Evaluation(kind, model.backend, a, b, arrays, codes, device=device)
