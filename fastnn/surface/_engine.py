"""Evaluation of a loss surface tile by tile.

:func:`prepare` turns a model (:class:`~fastnn.model.LossModel`) and a plane into an
:class:`Evaluation` -- every array the kernels need, computed once (for linear models
the logits of the origin and of the two directions, and for squared error the nine
numbers of the quadratic form).
:func:`evaluate_tile` is a pure function of (evaluation, tile bounds): the local loop
in :func:`run` calls it tile after tile, and a distributed engine can run tiles as
tasks.  Each grid point's value depends only on its own coordinates, so the split
into tiles and the number of threads never change a result.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
from tqdm.auto import tqdm

from fastnn._backends import backend_module
from fastnn._builds import TRAINABILITY_BOX_ROWS
from fastnn._codes import ACCURACY, LOG_LOSS
from fastnn._interrupts import deferred_interrupts
from fastnn._validation import available_memory, check_out_array
from fastnn.model import LINEAR, NETWORK

METHODS = ("auto", "exact", "brute")
DTYPES = ("float64", "float32")
METRICS = ("loss", "accuracy", "max_eigenvalue", "min_eigenvalue")
# Metrics of curvature: an extreme eigenvalue of the Hessian at every grid point.
EIGENVALUE_METRICS = {"max_eigenvalue": "largest", "min_eigenvalue": "smallest"}
# Kinds with a float32 path, and how many of their leading arrays are rounded to float32.
_FLOAT32_ARRAYS = {"bce": 4, "accuracy": 4, "network": 5}
FLOAT32_UNSUPPORTED = (
    "dtype='float32' is implemented for network (MLP) and cross-entropy (logistic) "
    "surfaces; squared-error surfaces of linear models and curvature are float64 only"
)
# A tile holds about this many (grid point x sample) evaluations (about 0.2 s here: Dask
# schedules a task in about 6 ms, which stays under 5% of it) ...
_TILE_WORK = 1 << 26
# A GPU tile holds this many (a BCE tile of 2^36 softplus terms is 0.05-0.5 s for an
# H200's 10^11-10^12 a second, estimated: not yet measured) ...
_GPU_TILE_WORK = 1 << 36
# ... and at most this many grid points (8 MB of values), on either device.
_TILE_POINTS = 1 << 20
# A tile's per-point work is at least this multiple of its fixed work.
_FIXED_SHARE = 16
# Surfaces with at least this much work show a progress bar by default.
_PROGRESS_WORK = 1 << 33


@dataclass
class Evaluation:
    """Everything one tile needs: picklable, read-only, shared by all tiles.

    ``kind`` names an entry of :data:`TILE_KERNELS`; ``arrays`` and ``codes`` are that
    kernel's inputs besides the axes.
    """

    kind: str
    backend: str
    a: np.ndarray
    b: np.ndarray
    arrays: tuple
    codes: tuple = ()
    fields: int = 1  # values per grid point (a trainability map has 3)
    # "cuda": tiles run on the GPU (fastnn.cuda.surface), which keeps the arrays there
    # between tiles; they are immutable copies (frozen), so a kept copy is never stale.
    device: str = "cpu"

    def __post_init__(self):
        if self.device != "cpu":
            self.arrays = tuple(_frozen(x) for x in self.arrays)

    def __setstate__(self, state):
        # Unpickled on a Dask worker: freeze again what unpickling made writeable.
        self.__dict__.update(state)
        self.__post_init__()

    @property
    def shape(self) -> tuple[int, int]:
        return self.a.size, self.b.size

    def tile_shape(self, rows: int, cols: int) -> tuple:
        """Shape of a tile's values: (rows, cols), or (rows, cols, fields)."""
        return (rows, cols) if self.fields == 1 else (rows, cols, self.fields)

    def cost_per_point(self) -> int:
        """Relative work of one grid point (about one BCE sample evaluation per unit)."""
        return TILE_KERNELS[self.kind].cost(self.arrays)

    def cost_per_tile(self) -> int:
        """Work a tile does once, whatever its number of points (same unit)."""
        return TILE_KERNELS[self.kind].fixed(self.arrays)

    def box_rows(self) -> int:
        """Rows of the boxes of points the kernel works on (default tiles hold a multiple)."""
        return TILE_KERNELS[self.kind].box_rows


def _frozen(array):
    """``array`` itself when nothing can change it, else a read-only copy."""
    from fastnn.cuda import immutable

    if not isinstance(array, np.ndarray) or immutable(array):
        return array
    copy = np.array(array)
    copy.setflags(write=False)
    return copy


def _no_fixed_cost(arrays) -> int:
    return 0


@dataclass(frozen=True)
class TileKernel:
    """How to evaluate tiles of one kind.

    ``run(impl, arrays, codes, a, b, out)`` computes a tile; ``cost(arrays)`` is the work
    per grid point and ``fixed(arrays)`` the work per tile.  ``revision`` goes up whenever
    the kernel's values may change, if only by rounding: it is part of a completion
    record's fingerprint, so a resumed run never mixes tiles of two revisions.
    """

    run: Callable
    cost: Callable
    fixed: Callable = _no_fixed_cost
    revision: int = 1
    # The kernel works on boxes of points this many rows tall: default tiles hold a
    # multiple of it (where the grid has that many rows).
    box_rows: int = 1


def _run_network(impl, arrays, codes, a, b, out):
    X, Y, origin, u, v, sizes = arrays
    # BLAS's idle threads spin for a while after each call; the kernel's first-layer
    # products are followed by numba's threads, which lost half of the 2 cores to them
    # (2.8 s instead of 1.9 s on the MNIST-sized network).  One BLAS thread per call.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        impl.mlp_surface(X, Y, origin, u, v, sizes, *codes, a, b, out)


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


def _extreme_eigenvalues(which):
    """A tile of one extreme eigenvalue of the Hessian per grid point (fastnn.curvature)."""

    def run(impl, arrays, codes, a, b, out):
        from threadpoolctl import threadpool_limits

        from fastnn.curvature import extreme_eigenvalue

        X, Y, origin, u, v, sizes = arrays
        family, loss, activation, tol = codes
        model = curvature_model(impl, X, Y, origin, sizes, family, loss, activation)
        # one BLAS thread: eigh's and BLAS's results then do not depend on the thread count
        with threadpool_limits(limits=1, user_api="blas"):
            for i in range(a.size):
                for j in range(b.size):
                    theta = origin + a[i] * u + b[j] * v
                    out[i, j] = extreme_eigenvalue(model, theta, which, tol)

    return run


def curvature_model(impl, X, Y, origin, sizes, family, loss, activation):
    """The LossModel a curvature tile needs, rebuilt from the evaluation's arrays."""
    from fastnn.layout import LinearLayout, MLPLayout
    from fastnn.model import LossModel

    backend = "numpy" if impl is backend_module("numpy") else "numba"
    if family == LINEAR:
        return LossModel(LINEAR, X, Y, origin, LinearLayout(int(sizes[0])), loss, 0, backend, "")
    return LossModel(NETWORK, X, Y, origin, MLPLayout(sizes), loss, activation, backend, "")


def _curvature_cost(arrays) -> int:
    """A dense Hessian per point: n_params HVPs of about 6 n_params multiply-adds a sample."""
    n_params = arrays[2].size
    return arrays[0].shape[0] * n_params * n_params * 6 // _MULTIPLY_ADDS_PER_UNIT + 1


def _run_trainability(impl, arrays, codes, a, b, out):
    X, Y, theta0, sizes, settings, order, targets, epochs = arrays
    activation, loss = codes
    impl.mlp_trainability(
        X, Y, theta0, sizes, activation, loss, settings, order, int(epochs[0]), targets, a, b,
        out,
    )  # fmt: skip


def _trainability_cost(arrays) -> int:
    """A training run per point: epochs x samples x a forward and backward pass."""
    X, theta0, epochs = arrays[0], arrays[2], arrays[-1]
    return int(epochs[0]) * X.shape[0] * theta0.size * 3 // _MULTIPLY_ADDS_PER_UNIT + 1


# Every surface kernel, by Evaluation.kind (the names are part of completion records).
TILE_KERNELS = {
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
    "max-eigenvalue": TileKernel(_extreme_eigenvalues("largest"), _curvature_cost),
    "min-eigenvalue": TileKernel(_extreme_eigenvalues("smallest"), _curvature_cost),
    # 2: grid points in SIMD lanes, in boxes of GROUP_ROWS rows (rounding changed)
    "trainability": TileKernel(
        _run_trainability, _trainability_cost, revision=2, box_rows=TRAINABILITY_BOX_ROWS
    ),
}


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
    return "network", arrays, (model.activation, ACCURACY if metric == "accuracy" else model.loss)


# How each model family's plane is reduced to one tile kernel's inputs.
_PREPARE = {LINEAR: _prepare_linear, NETWORK: _prepare_network}


def _prepare_curvature(model, origin, u, v, metric, tol):
    sizes = model.layout.sizes if model.family == NETWORK else np.array([model.n_params - 1])
    arrays = (model.X, model.target, origin, u, v, np.asarray(sizes, dtype=np.int64))
    return metric.replace("_", "-"), arrays, (model.family, model.loss, model.activation, tol)


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
    of correct predictions instead of the loss.

    ``dtype="float32"`` (networks and cross-entropy) evaluates in float32: a network's
    data, targets, centre and directions, a linear model's logits and targets, are
    rounded to float32 once, here; each point's sum stays float64.
    """
    origin, u, v = (
        np.ascontiguousarray(w, dtype=np.float64) for w in (plane.origin, plane.u, plane.v)
    )
    a = np.ascontiguousarray(plane.a, dtype=np.float64)
    b = np.ascontiguousarray(plane.b, dtype=np.float64)
    if metric in EIGENVALUE_METRICS:
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


def evaluate_tile(evaluation: Evaluation, rows, cols, out=None) -> np.ndarray:
    """Loss values of grid rows ``rows = (r0, r1)`` and columns ``cols = (c0, c1)``.

    Returns an array of shape ``(r1 - r0, c1 - c0)`` (``out`` when given, which must be
    a C-contiguous float64 array of that shape).
    """
    a = evaluation.a[rows[0] : rows[1]]
    b = evaluation.b[cols[0] : cols[1]]
    if out is None:
        out = np.empty(evaluation.tile_shape(a.size, b.size))
    if evaluation.device == "cuda":
        from fastnn.cuda import surface as impl
    else:
        impl = backend_module(evaluation.backend)
    TILE_KERNELS[evaluation.kind].run(impl, evaluation.arrays, evaluation.codes, a, b, out)
    return out


@dataclass(frozen=True)
class TilePlan:
    """The grid cut into tiles of ``tile_rows`` x ``cols`` points, row-major (edge tiles smaller).

    A sequence of tile bounds ``((r0, r1), (c0, c1))`` computed on demand, so a grid of
    10^10 points costs nothing to plan; tiles are a regular grid, so a Zarr store's
    chunks can be exactly the tiles.
    """

    shape: tuple[int, int]
    tile_rows: int
    cols: int

    @property
    def grid(self) -> tuple[int, int]:
        """Tiles along each axis."""
        return -(-self.shape[0] // self.tile_rows), -(-self.shape[1] // self.cols)

    def __len__(self) -> int:
        rows, cols = self.grid
        return rows * cols

    def __getitem__(self, k: int):
        if not 0 <= k < len(self):
            raise IndexError(f"tile {k} of {len(self)}")
        i, j = divmod(k, self.grid[1])
        r0, c0 = i * self.tile_rows, j * self.cols
        r1, c1 = min(r0 + self.tile_rows, self.shape[0]), min(c0 + self.cols, self.shape[1])
        return (r0, r1), (c0, c1)

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def points(self, k: int) -> int:
        (r0, r1), (c0, c1) = self[k]
        return (r1 - r0) * (c1 - c0)

    def describe(self) -> dict:
        """What pins the plan in a completion record."""
        return {"shape": list(self.shape), "tile_rows": self.tile_rows, "cols": self.cols}


def plan_tiles(evaluation: Evaluation, tile_rows: int | None = None) -> TilePlan:
    """The :class:`TilePlan` of the evaluation's grid.

    Tiles span whole rows unless one row is more than a tile's worth of work; they
    hold about :data:`_TILE_WORK` evaluations and never more than :data:`_TILE_POINTS`
    points.  The kernels spread any tile shape over the threads (blocks of columns
    or of points), so tiles need not hold many rows.
    """
    ga, gb = evaluation.shape
    cost = max(evaluation.cost_per_point(), 1)
    if evaluation.device == "cuda":
        # The GPU keeps per-surface work (a network's first-layer products) between tiles.
        work = _GPU_TILE_WORK
    else:
        # Work done once per tile (a network's first-layer products) stays under 1/16 of it.
        work = max(_TILE_WORK, _FIXED_SHARE * evaluation.cost_per_tile())
    points = max(1, min(_TILE_POINTS, work // cost))
    box_rows = evaluation.box_rows()
    if tile_rows is None and box_rows > 1:  # whole rows, so that boxes tile them exactly
        rows = max(1, points // (gb * box_rows)) * box_rows
        return TilePlan((ga, gb), min(rows, ga), gb)
    cols = gb if points >= gb else max(1, points)
    if tile_rows is None:
        tile_rows = max(1, points // gb) if cols == gb else 1
    return TilePlan((ga, gb), min(tile_rows, ga), cols)


def default_progress(evaluation: Evaluation) -> bool:
    ga, gb = evaluation.shape
    work = ga * gb * evaluation.cost_per_point() + evaluation.cost_per_tile()
    return work >= _PROGRESS_WORK


def check_fits_in_memory(shape, remedy: str) -> None:
    """ValueError when a float64 grid of ``shape`` would not fit in the available memory.

    ``remedy`` says, in the caller's terms, how to stream it to disk instead.
    """
    needed = shape[0] * shape[1] * 8
    available = available_memory()
    if available is not None and needed > 0.8 * available:
        raise ValueError(
            f"a {shape[0]} x {shape[1]} float64 surface needs {needed / 2**30:.1f} GiB, and "
            f"{available / 2**30:.1f} GiB of memory are available: {remedy}, or lower the "
            "resolution"
        )


def result_array(out, shape) -> np.ndarray:
    """The result array: ``out`` validated, or a new one when the grid fits in memory."""
    if out is not None:
        return check_out_array(out, shape)
    check_fits_in_memory(shape, "pass out='surface.zarr' to stream it to disk")
    return np.empty(shape)


def check_free_space(path: str, needed: int, option: str = "out") -> None:
    """ValueError when the file system of ``path`` has less than ``needed`` bytes free."""
    import shutil

    directory = os.path.dirname(os.path.abspath(path))
    free = shutil.disk_usage(directory).free
    if needed > free:
        raise ValueError(
            f"{option}: {path} needs {needed / 2**30:.1f} GiB and {directory} has "
            f"{free / 2**30:.1f} GiB free; free some space or lower the resolution"
        )


class ArraySink:
    """Tiles written into ``out`` (an array or memmap) by the caller's process.

    With a completion ``record`` (memmap outputs) the tiles it lists are skipped, and
    each new tile is written, flushed to disk, and only then marked.
    """

    writer = None  # values travel back to this process, which writes them

    def __init__(self, out: np.ndarray, record=None):
        self.out = out
        self.record = record

    @property
    def damaged(self) -> int:
        """Marked tiles whose values failed their CRC on resume (computed again)."""
        return getattr(self.record, "damaged", 0)

    def pending(self, tiles) -> list[int]:
        done = set() if self.record is None else self.record.done
        return [k for k in range(len(tiles)) if k not in done]

    def finish(self, k: int, bounds, values) -> None:
        (r0, r1), (c0, c1) = bounds
        self.out[r0:r1, c0:c1] = values
        if self.record is not None:
            self.out.flush()
            self.record.mark(k, self.out, bounds)

    def close(self) -> None:
        if isinstance(self.out, np.memmap):
            self.out.flush()


def run(evaluation: Evaluation, sink, tiles: TilePlan, progress: bool, executor) -> int:
    """Compute the tiles ``sink`` still needs, with a progress bar; returns how many.

    ``sink`` is where tiles go: an :class:`ArraySink`, or a Zarr store's sink
    (:mod:`fastnn.surface._store`) whose ``writer`` runs where each tile is computed.
    ``executor(evaluation, tiles, todo, finish, writer)`` computes the tiles ``todo``
    (writing each with ``writer`` when there is one) and hands each result to
    ``finish(k, result)``: :func:`in_process` here, or
    :func:`fastnn.surface._distributed.on_cluster` for a Dask cluster.
    """
    todo = sink.pending(tiles)
    total = tiles.shape[0] * tiles.shape[1]
    with tqdm(
        total=total,
        initial=total - sum(tiles.points(k) for k in todo),
        disable=not progress,
        unit="pt",
        unit_scale=True,
        desc="loss surface",
    ) as bar:

        def finish(k, result):
            sink.finish(k, tiles[k], result)
            bar.update(tiles.points(k))

        executor(evaluation, tiles, todo, finish, sink.writer)
    sink.close()
    return len(todo)


def compute_tile(evaluation: Evaluation, rows, cols, out=None, writer=None):
    """A tile's values, or what ``writer(rows, cols, values)`` returns after storing them."""
    values = evaluate_tile(evaluation, rows, cols, out)
    return values if writer is None else writer(rows, cols, values)


def in_process(threads: int | None = None):
    """The executor that runs tiles one after another in this process on ``threads`` threads.

    numba's thread count is set for the run and restored afterwards.
    """

    def execute(evaluation, tiles, todo, finish, writer=None):
        previous = numba.get_num_threads()
        if threads is not None:
            numba.set_num_threads(threads)
        buffer = None
        try:
            with deferred_interrupts() as interrupted:
                for k in todo:
                    (r0, r1), (c0, c1) = tiles[k]
                    size = (r1 - r0) * (c1 - c0) * evaluation.fields
                    if buffer is None or buffer.size < size:
                        buffer = np.empty(size)
                    view = buffer[:size].reshape(evaluation.tile_shape(r1 - r0, c1 - c0))
                    finish(k, compute_tile(evaluation, (r0, r1), (c0, c1), view, writer))
                    if interrupted():
                        raise KeyboardInterrupt
        finally:
            if threads is not None:
                numba.set_num_threads(previous)

    return execute
