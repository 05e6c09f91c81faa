"""Trainability maps: how training ends over a grid of two hyperparameters.

:func:`trainability` trains an (unfitted) MLP estimator at every point of a grid of two
hyperparameters -- the learning rate, one layer's learning rate, the momentum, the
initial scale -- from the same initial weights (its ``random_state``), each run exactly
as ``fit`` would do it, and records how it ended: the final loss, whether and when it
diverged, and how fast it converged.  All runs of a tile are one parallel kernel call
(:func:`fastnn.kernels.mlp_trainability`) on the surface engine's tiles, threads,
progress bar and Dask executor.  Sohl-Dickstein (2024) mapped per-layer learning rates of
a one-hidden-layer network this way and found the boundary between trainable and
untrainable hyperparameters fractal; ``ranges`` are explicit boxes, so zooming in is
another call with a smaller box (:func:`plot_zoom`, also ``fastnn.zoom.plot_zoom``,
draws a sequence).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fastnn._activations import table_from_key, table_key
from fastnn._builds import TRAINABILITY_BOX_ROWS, TRAINABILITY_LANES
from fastnn._codes import (
    ADAM,
    ALL_RATES,
    INIT_SCALE,
    MOMENTUM,
    SETTING_LAYER_RATES,
    SETTING_MOMENTUM,
)
from fastnn._training import mlp_settings
from fastnn._validation import (
    check_allocation,
    check_batch_size,
    check_int,
    check_option,
    check_resolution,
    check_tile_rows,
    check_X,
    validate_params,
)
from fastnn.grid import (
    Evaluation,
    GridJob,
    TileKernel,
    axis_dimensions,
    check_outputs,
    execution_settings,
    is_store_path,
    open_finished,
    register_kind,
    run_job,
    writer_lock,
)
from fastnn.optim import sample_orders

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    import plotly.graph_objects as go
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fastnn.boundary import BoundaryDimension


if TYPE_CHECKING:
    from fastnn.boundary import Refinement
from fastnn.surface import describe_axes

__all__ = ["TrainabilityMap", "plot_zoom", "trainability"]

SCALES = ("log", "linear")
_LAYER_RATE = re.compile(r"learning_rate_init\[(\d+)\]$")
# A map's four numbers per point: a store's arrays and the kernel's fields, in order.
FIELDS = ("final_loss", "convergence", "divergence_epoch", "last_losses")
# How a run's outcome is read: fastnn's divergence rule, or Sohl-Dickstein's (the mean of
# the last TAIL_EPOCHS epoch losses below the first: trainable).
OUTCOMES = ("fastnn", "paper")


def _failed_by(outcome: str):
    """``failed(numbers)`` of a refinement's rounds (rows of FIELDS) by ``outcome``'s rule."""
    return lambda numbers: failed_runs(numbers[:, 2], numbers[:, 3], outcome)


def failed_runs(divergence_epoch, last_losses, outcome: str) -> np.ndarray:
    """Which runs failed by ``outcome``'s rule (see :meth:`TrainabilityMap.trainable`)."""
    if outcome == "fastnn":
        return ~np.isnan(np.asarray(divergence_epoch))
    with np.errstate(invalid="ignore"):  # NaN (diverged, or stopped by tol): failed
        return ~(np.asarray(last_losses) < 1.0)


# Multiply-adds that take the time of one cross-entropy sample evaluation (the engine's
# unit of work, fastnn.surface._kinds).
_MULTIPLY_ADDS_PER_UNIT = 8


def _run_trainability(impl, arrays, codes, a, b, out):
    X, Y, theta0, sizes, settings, order, targets, epochs = arrays
    key, loss = codes
    activation = table_from_key(key, sizes.size - 2)
    impl.mlp_trainability(
        X, Y, theta0, sizes, activation, loss, settings, order, int(epochs[0]), targets, a, b,
        out,
    )  # fmt: skip


def _trainability_cost(arrays) -> int:
    """A training run per point: epochs x samples x a forward and backward pass."""
    X, theta0, epochs = arrays[0], arrays[2], arrays[-1]
    return int(epochs[0]) * X.shape[0] * theta0.size * 3 // _MULTIPLY_ADDS_PER_UNIT + 1


def _run_points(impl, arrays, codes, a, b, out):
    """A tile of scattered points: ``a`` holds the points' positions in ``arrays[-2:]``."""
    *grid_arrays, point_a, point_b = arrays
    rows = a.astype(np.int64)
    _run_trainability(impl, tuple(grid_arrays), codes, point_a[rows], point_b[rows], out)


def _points_cost(arrays) -> int:
    return _trainability_cost(arrays[:-2])


# 2: grid points in SIMD lanes, in boxes of GROUP_ROWS rows (rounding changed); 3: a
# fourth number, the last losses' mean over the first (the paper's outcome rule).  The
# kernel trains a box of grid points together (one per lane): tiles hold whole boxes.
register_kind(
    "trainability",
    TileKernel(
        _run_trainability, _trainability_cost, revision=3, box_rows=TRAINABILITY_BOX_ROWS,
        box_columns=TRAINABILITY_LANES // TRAINABILITY_BOX_ROWS, fields=len(FIELDS),
    ),
    __name__,
)  # fmt: skip
# The scattered points of a refined map's round: a grid of (points x 1), each point's
# hyperparameters looked up by its row (the kernel's points mode), LANES consecutive
# points trained together.
register_kind(
    "trainability-points",
    TileKernel(
        _run_points, _points_cost, revision=3, box_rows=TRAINABILITY_LANES, fields=len(FIELDS)
    ),
    __name__,
)


@dataclass
class TrainabilityMap:
    """How training ended at every point of a hyperparameter grid.

    Attributes
    ----------
    a, b : ndarray
        The two axes (values of ``labels[0]`` and ``labels[1]``).
    values : ndarray of shape (len(a), len(b))
        Final mean training loss (plus the L2 term with ``alpha > 0``), as ``loss_``
        after ``fit`` with those hyperparameters: at the parameters before the
        diverging step where a run diverged.
    convergence : ndarray
        The mean over the epochs run of the epoch loss over the first epoch's: small
        for fast convergence, about 1 for a stalled run, large before a divergence.
    divergence_epoch : ndarray
        The epoch at which a run diverged (the estimators' rule: a non-finite loss, or
        an epoch loss above 1e4 times the start's); NaN where it did not.
    last_losses : ndarray or None
        The mean of the last 20 epoch losses over the first epoch's (Sohl-Dickstein's
        rule: trainable where below 1); NaN for a run that did not train every epoch.
        None for a map stored by an older fastnn.
    labels : tuple of str
    scale : {"log", "linear"}
    info : dict
        Model, data size, epochs, solver and the fixed settings.
    """

    a: np.ndarray
    b: np.ndarray
    values: np.ndarray
    convergence: np.ndarray
    divergence_epoch: np.ndarray
    labels: tuple
    scale: str = "log"
    info: dict = field(default_factory=dict)
    last_losses: np.ndarray | None = None

    @property
    def diverged(self) -> np.ndarray:
        """Boolean grid: which runs diverged."""
        return ~np.isnan(np.asarray(self.divergence_epoch))

    def trainable(self, outcome: str = "fastnn") -> np.ndarray:
        """Boolean grid: which runs trained, by ``outcome``'s rule.

        ``"fastnn"``: every run that did not diverge.  ``"paper"``: Sohl-Dickstein's, the
        mean of the last 20 epoch losses below the first epoch's (a run stopped by
        ``tol`` or by divergence counts as failed).
        """
        outcome = check_option(outcome, "outcome", OUTCOMES)
        if outcome == "paper" and self.last_losses is None:
            raise ValueError("outcome='paper': this map holds no last losses (an older store)")
        return ~failed_runs(self.divergence_epoch, self.last_losses, outcome)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, verify: bool = False) -> TrainabilityMap:
        """A finished map from a ``.zarr`` store (``trainability(..., out="map.zarr")``).

        The three fields stay on disk (``zarr.Array``: index them, or ``numpy.asarray``);
        the axes are checked against the SHA-256 the store recorded, and ``verify=True``
        also reads every tile and checks that it holds its own values.
        """
        if not is_store_path(path):
            raise ValueError(f"{path}: a trainability map is loaded from a .zarr store")
        group, attrs = open_finished(path, verify)
        if attrs.get("map") != "trainability":
            raise ValueError(f"{path} holds a {attrs.get('map', 'surface')} map, not trainability")
        return cls(
            a=group["a"][...],
            b=group["b"][...],
            values=group["final_loss"],
            convergence=group["convergence"],
            divergence_epoch=group["divergence_epoch"],
            labels=tuple(attrs["labels"]),
            scale=attrs["scale"],
            info={**attrs["info"], "store": os.fspath(path)},
            last_losses=group["last_losses"] if "last_losses" in group else None,
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(len(a), len(b))."""
        return self.values.shape

    def __repr__(self) -> str:
        axes = describe_axes(self.labels, self.a, self.b)
        return f"TrainabilityMap({axes}, {100 * self.diverged.mean():.1f}% diverged)"

    def boundary_dimension(
        self, *, outcome: str = "fastnn", smallest: int = 1, largest: int | None = None
    ) -> BoundaryDimension:
        """The box-counting dimension of the boundary between trainable and failed runs.

        ``outcome`` as :meth:`trainable`; see :func:`fastnn.boundary.box_counting_dimension`
        (boxes of ``smallest`` to ``largest`` cells, powers of two).

        Returns
        -------
        fastnn.boundary.BoundaryDimension
        """
        from fastnn.boundary import box_counting_dimension

        return _with_cell(box_counting_dimension(self.trainable(outcome), smallest=smallest,
                                                 largest=largest), self)  # fmt: skip

    def to_plotly(self, *, title: str | None = None) -> go.Figure:
        """The map as an interactive Plotly heat map (hover: each run's outcome).

        See :func:`fastnn.interactive.trainability_figure`; needs the ``interactive`` extra.
        """
        from fastnn.interactive import trainability_figure

        return trainability_figure(self, title=title)

    def plot(
        self,
        ax: Axes | None = None,
        *,
        title: str | None = None,
        box: tuple[tuple[float, float], tuple[float, float]] | None = None,
    ) -> Figure:
        """The map: converged runs in blues by convergence, diverged ones in reds by epoch.

        Darker is faster either way (a fast convergence, an early divergence); axes are
        logarithmic for a ``"log"`` map.  ``box`` ((a0, a1), (b0, b1)) outlines a region,
        e.g. the next map of a zoom sequence.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.colors import LogNorm

        from fastnn.plot import new_figure

        fig, ax = new_figure(ax, figsize=(8, 5))
        a_edges, b_edges = _edges(self.a, self.scale), _edges(self.b, self.scale)
        converged = np.where(self.diverged, np.nan, self.convergence)
        finite = converged[np.isfinite(converged) & (converged > 0)]
        norm = (
            LogNorm(finite.min(), max(finite.max(), finite.min() * 1.0001)) if finite.size else None
        )
        # values[i, j] is at (a[i], b[j]): a along x, so the colour array is its transpose
        mesh = ax.pcolormesh(a_edges, b_edges, converged.T, cmap="Blues_r", norm=norm)
        # Bars that take their room from the axes (not insets beyond them, which a saved
        # image cut off): the layout keeps both and their labels in the figure.
        fig.colorbar(mesh, ax=ax, pad=0.02, label="convergence (mean loss / first loss)")
        if self.diverged.any():
            epochs = np.where(self.diverged, self.divergence_epoch, np.nan)
            red = ax.pcolormesh(a_edges, b_edges, epochs.T, cmap="Reds_r")
            fig.colorbar(red, ax=ax, pad=0.02, label="epoch of divergence")
        if self.scale == "log":
            ax.set_xscale("log")
            ax.set_yscale("log")
            _readable_log_ticks(ax.xaxis, self.a)
            _readable_log_ticks(ax.yaxis, self.b)
        _outline(ax, box)
        ax.set_xlabel(self.labels[0])
        ax.set_ylabel(self.labels[1])
        epochs = self.info.get("epochs", "")
        ax.set_title(title or f"{self.info.get('model', 'model')}: trainability, {epochs} epochs")
        return fig


def _with_cell(fit, tmap):
    """A dimension's fit with the map's cell (a step of each axis, log10 on a log map)."""
    steps = []
    for axis in (tmap.a, tmap.b):
        x = np.log10(axis) if tmap.scale == "log" else np.asarray(axis, dtype=np.float64)
        steps.append(float(x[1] - x[0]) if x.size > 1 else 0.0)
    fit.cell = tuple(steps)
    return fit


@dataclass
class RefinedTrainabilityMap:
    """A boundary-adaptive trainability map (``trainability(..., refine=L)``).

    Its grid is the dense grid ``2^L`` times finer than the coarse one; only the coarse
    grid and the cells the boundary crosses were trained (:mod:`fastnn.boundary`).

    Attributes
    ----------
    a, b : ndarray
        The finest grid's axes (the dense map's of the same resolution, value for value).
    refinement : fastnn.boundary.Refinement
        The outcome at every point (trained or inferred), the trained points, their three
        numbers and the round that trained each.
    labels, scale, info
        As :class:`TrainabilityMap`; ``info`` also counts the points trained per round.
    """

    a: np.ndarray
    b: np.ndarray
    refinement: Refinement
    labels: tuple
    scale: str = "log"
    info: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """(len(a), len(b)): the finest grid."""
        return self.a.size, self.b.size

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, verify: bool = False) -> RefinedTrainabilityMap:
        """A finished refined map from its directory (``trainability(..., refine=L, out=)``).

        The rounds are read from their stores (each checked as a finished store's is,
        ``verify=True`` reading every tile against its binding) and replayed: the points
        each round trained must be the ones the previous rounds call for.
        """
        import json

        from fastnn.boundary import refine_map

        path = os.fspath(path).rstrip("/")
        try:
            with open(os.path.join(path, MANIFEST), encoding="utf-8") as handle:
                manifest = json.load(handle)
        except (OSError, ValueError):
            raise ValueError(f"{path} holds no refined trainability map") from None
        if manifest.get("format") != REFINED_FORMAT:
            raise ValueError(f"{path}: unknown format {manifest.get('format')!r}")
        levels, coarse = manifest["levels"], manifest["coarse"]
        finest = [(g - 1) * 2**levels + 1 for g in coarse]
        labels, scale = tuple(manifest["labels"]), manifest["scale"]
        a, b = (_axis(r, n, scale, name) for r, n, name in
                zip(manifest["ranges"], finest, labels, strict=True))  # fmt: skip
        per_round = []

        def stored_points(i, j, level):
            store = os.path.join(path, f"round-{level}.zarr")
            group, _ = open_finished(store, verify)
            if not (np.array_equal(group["i"][...], i) and np.array_equal(group["j"][...], j)):
                raise ValueError(f"{store} holds other points than its round calls for")
            per_round.append(int(i.size))
            return np.stack([group[name][...][:, 0] for name in FIELDS], axis=1)

        rule = manifest["info"].get("outcome", "fastnn")
        refinement = refine_map(coarse, levels, stored_points, _failed_by(rule))
        info = {**manifest["info"], "refine": levels, "coarse": coarse,
                "trained_per_round": per_round, "trained": int(sum(per_round)),
                "dense": int(a.size * b.size), "out": path}  # fmt: skip
        return cls(a, b, refinement, labels, scale, info)

    @property
    def outcome(self) -> str:
        """The rule the refinement split cells by (``trainability(..., outcome=)``)."""
        return self.info.get("outcome", "fastnn")

    def trainable(self, outcome: str | None = None) -> np.ndarray:
        """Boolean finest grid: which runs trained, trained or inferred, by the map's rule.

        ``outcome`` may only name the map's own rule (the cells were split by it).
        """
        if outcome is not None and check_option(outcome, "outcome", OUTCOMES) != self.outcome:
            raise ValueError(
                f"outcome={outcome!r}: this map was refined by the {self.outcome!r} rule; "
                f"refine again with outcome={outcome!r}"
            )
        return ~self.refinement.failed

    @property
    def diverged(self) -> np.ndarray:
        """Boolean finest grid: which runs failed (diverged, under fastnn's rule)."""
        return self.refinement.failed

    @property
    def trained(self) -> np.ndarray:
        """Boolean finest grid: which points were trained."""
        return self.refinement.trained

    @property
    def n_trained(self) -> int:
        """Points trained, over every round."""
        return int(self.refinement.points.shape[0])

    def dense_fields(self) -> TrainabilityMap:
        """A :class:`TrainabilityMap` of the finest grid: NaN where nothing was trained.

        ``diverged`` of the result is not the refined outcome (NaN reads as converged);
        use :attr:`diverged` for that.
        """
        values, convergence, epoch, last = (self.refinement.field(k) for k in range(4))
        return TrainabilityMap(self.a, self.b, values, convergence, epoch, self.labels,
                               self.scale, dict(self.info), last)  # fmt: skip

    def boundary_dimension(
        self, *, outcome: str | None = None, smallest: int = 1, largest: int | None = None
    ) -> BoundaryDimension:
        """The box-counting dimension of the refined outcome's boundary.

        See :meth:`TrainabilityMap.boundary_dimension`.
        """
        from fastnn.boundary import box_counting_dimension

        return _with_cell(box_counting_dimension(self.trainable(outcome), smallest=smallest,
                                                 largest=largest), self)  # fmt: skip

    def __repr__(self) -> str:
        axes = describe_axes(self.labels, self.a, self.b)
        dense = self.a.size * self.b.size
        return (
            f"RefinedTrainabilityMap({axes}, {self.n_trained} points trained of {dense} "
            f"({100 * self.n_trained / dense:.2g}%), {100 * self.diverged.mean():.1f}% diverged)"
        )

    def plot(
        self,
        ax: Axes | None = None,
        *,
        title: str | None = None,
        most: int = 1024,
        box: tuple[tuple[float, float], tuple[float, float]] | None = None,
    ) -> Figure:
        """The outcome (blue: converged, red: diverged) at up to ``most`` points a side.

        ``box`` ((a0, a1), (b0, b1)) outlines a region, e.g. the next map of a zoom sequence.
        """
        from matplotlib.colors import ListedColormap

        from fastnn.plot import new_figure

        fig, ax = new_figure(ax, figsize=(7, 5))
        stride = max(1, -(-max(self.shape) // most))
        a, b = self.a[::stride], self.b[::stride]
        shown = self.diverged[::stride, ::stride].astype(float)
        colours = ListedColormap(["#2b6cb0", "#c53030"])
        ax.pcolormesh(_edges(a, self.scale), _edges(b, self.scale), shown.T, cmap=colours,
                      vmin=0, vmax=1)  # fmt: skip
        if self.scale == "log":
            ax.set_xscale("log")
            ax.set_yscale("log")
            _readable_log_ticks(ax.xaxis, a)
            _readable_log_ticks(ax.yaxis, b)
        _outline(ax, box)
        ax.set_xlabel(self.labels[0])
        ax.set_ylabel(self.labels[1])
        dense = self.a.size * self.b.size
        ax.set_title(title or f"trainability at {self.shape[0]} x {self.shape[1]}: "
                     f"{self.n_trained} of {dense} points trained")  # fmt: skip
        return fig


def _outline(ax, box) -> None:
    """A gold rectangle around ``box`` ((a0, a1), (b0, b1)); nothing for None."""
    if box is not None:
        (a0, a1), (b0, b1) = box
        ax.plot([a0, a1, a1, a0, a0], [b0, b0, b1, b1, b0], color="gold", lw=1.5)


def _readable_log_ticks(axis, values) -> None:
    """Plain ticks on a log axis spanning less than a decade (a zoomed map).

    Matplotlib labels such an axis at every minor tick in 3.6 x 10^1 form, which overlap.
    """
    from matplotlib.ticker import FormatStrFormatter, MaxNLocator, NullFormatter

    if values.size and values.max() < 10 * values.min():
        axis.set_major_locator(MaxNLocator(4))
        axis.set_major_formatter(FormatStrFormatter("%.4g"))
        axis.set_minor_formatter(NullFormatter())


def _edges(centres: np.ndarray, scale: str) -> np.ndarray:
    """Cell edges around grid values: midpoints, geometric ones on a log scale."""
    x = np.log(centres) if scale == "log" else np.asarray(centres, dtype=np.float64)
    if x.size == 1:
        edges = np.array([x[0] - 0.5, x[0] + 0.5])
    else:
        middle = 0.5 * (x[1:] + x[:-1])
        edges = np.r_[2 * x[0] - middle[0], middle, 2 * x[-1] - middle[-1]]
    return np.exp(edges) if scale == "log" else edges


def plot_zoom(maps: Sequence[Any], *, ncols: int = 3) -> Figure:
    """A zoom sequence: one panel per map, each outlining the box of the next.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from fastnn.plot import detached_figure

    maps = list(maps)
    if not maps:
        raise ValueError("maps must hold at least one TrainabilityMap")
    rows = -(-len(maps) // ncols)
    cols = min(ncols, len(maps))
    fig = detached_figure(figsize=(7.0 * cols, 4.5 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, (m, ax) in enumerate(zip(maps, axes.ravel(), strict=False)):
        box = None
        if k + 1 < len(maps):
            nxt = maps[k + 1]
            box = ((nxt.a[0], nxt.a[-1]), (nxt.b[0], nxt.b[-1]))
        m.plot(ax, box=box, title=f"zoom {k}")
    for ax in axes.ravel()[len(maps) :]:
        ax.set_visible(False)
    return fig


def _target(name, n_layers: int, solver: str) -> int:
    """The kernel's target code of a hyperparameter name."""
    if name == "learning_rate_init":
        return ALL_RATES
    if name == "init_scale":
        return INIT_SCALE
    if name == "momentum":
        if solver != "momentum":
            raise ValueError(
                f"params: 'momentum' is a hyperparameter of solver='momentum'; the estimator's "
                f"solver is {solver!r}"
            )
        return SETTING_MOMENTUM
    match = _LAYER_RATE.match(name) if isinstance(name, str) else None
    if match:
        k = int(match.group(1))
        if k >= n_layers:
            raise ValueError(
                f"params: {name!r}: the network has {n_layers} layers (0..{n_layers - 1})"
            )
        if solver == "adam":
            raise ValueError(f"params: {name!r}: one rate per layer does not apply to Adam")
        return SETTING_LAYER_RATES + k
    raise ValueError(
        "params must name two of 'learning_rate_init', 'learning_rate_init[k]' (layer k), "
        f"'momentum', 'init_scale'; got {name!r}"
    )


def _axis(bounds, n: int, scale: str, name: str) -> np.ndarray:
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise ValueError(f"ranges: {name} needs (low, high); got {bounds!r}")
    low, high = (float(v) for v in bounds)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"ranges: {name} needs finite low < high; got {bounds!r}")
    if scale == "log":
        if low <= 0:
            raise ValueError(f"ranges: {name} must be > 0 on a log scale; got {bounds!r}")
        return np.geomspace(low, high, n)
    # the values fit accepts: rates and scales > 0, a momentum in [0, 1)
    if name == "momentum" and not (low >= 0 and high < 1):
        raise ValueError(f"ranges: momentum must lie in [0, 1), as fit requires; got {bounds!r}")
    if name != "momentum" and low <= 0:
        raise ValueError(f"ranges: {name} must be > 0, as fit requires; got {bounds!r}")
    return np.linspace(low, high, n)


def trainability(
    estimator,
    X,
    y,
    *,
    params=("learning_rate_init[0]", "learning_rate_init[1]"),
    ranges=((1e-3, 10.0), (1e-3, 10.0)),
    scale="log",
    resolution=51,
    threads=None,
    progress=None,
    tile_rows=None,
    client=None,
    backend=None,
    out=None,
    resume=False,
    overwrite=False,
    refine=0,
    outcome="fastnn",
):
    """Train ``estimator`` at every point of a grid of two hyperparameters.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor (its settings, unfitted)
        Everything but the two gridded hyperparameters is fixed by its settings:
        ``solver``, ``max_iter`` (epochs), ``tol``, ``batch_size``, ``alpha``, ``init``,
        ``random_state`` (one initialisation and one set of sample orders for all runs;
        pass an int).  ``warm_start`` and ``early_stopping`` do not apply.
    X, y : array-like
        Training data.
    params : pair of str
        Two of ``"learning_rate_init"`` (every layer's rate), ``"learning_rate_init[k]"``
        (layer k's, the input side 0; not with Adam), ``"momentum"`` (solver
        ``"momentum"``) and ``"init_scale"`` (a multiplier of the initial parameters).
    ranges : pair of (low, high)
        The box of the two axes: zooming in is a call with a smaller box.
    scale : {"log", "linear"}, default "log"
    resolution : int or pair of int, default 51
    threads, progress, tile_rows, client, backend
        As :func:`fastnn.loss_surface` (``threads``, ``progress`` and ``client`` default
        to :func:`fastnn.config_context`'s).
    out : str or path ending in .npy or .zarr, optional
        Write the four numbers of every point tile by tile: a ``.zarr`` store holds
        them as four arrays (``final_loss``, ``convergence``, ``divergence_epoch``,
        ``last_losses``) with the axes and what the map is (:meth:`TrainabilityMap.load`
        reads it lazily, ``xarray.open_zarr`` as a Dataset); a ``.npy`` file holds the
        values only, shape ``(len(a), len(b), 4)``, with a completion record beside it
        (``<out>.tiles``).
        Either way an interrupted map continues with ``resume=True`` (the same call),
        and an existing output is replaced only with ``overwrite=True``.
    refine : int, default 0
        Rounds of boundary refinement (:mod:`fastnn.boundary`): ``resolution`` is then
        the coarse grid, and the map has the resolution of a dense grid ``2^refine``
        times finer, ``(resolution - 1) 2^refine + 1`` points a side, trained only where
        the boundary between diverged and converged runs crosses.  ``out`` is then a
        directory: a manifest and a Zarr store per round (``resume=True`` continues an
        interrupted map bit for bit; :meth:`RefinedTrainabilityMap.load` reads it).
    outcome : {"fastnn", "paper"}, default "fastnn"
        The rule a refined map splits its cells by: fastnn's divergence rule, or
        Sohl-Dickstein's (the last 20 epoch losses' mean below the first epoch's).  Every
        map records both measures (:meth:`TrainabilityMap.trainable`).

    Returns
    -------
    TrainabilityMap, or RefinedTrainabilityMap with ``refine > 0``
        Each point is a separate ``fit`` with its hyperparameters, to rounding, not bit
        for bit (the kernel trains points in SIMD lanes, in its own summation order): the
        tests check the final loss at 1e-12 relative at points away from the edge of
        stability (1e-9 for a diverged run's last iterate) and the same divergence
        verdict; at the edge, rounding differences grow without bound, as between any
        two implementations.
    """
    from fastnn.mlp import (
        MLPClassifier,
        MLPRegressor,
        _checked_layout,
        initial_network,
        network_table,
    )

    if isinstance(estimator, type):
        estimator = estimator()
    if not isinstance(estimator, (MLPClassifier, MLPRegressor)):
        raise TypeError(
            f"estimator must be a fastnn MLPClassifier or MLPRegressor; got {estimator!r}"
        )
    settings = validate_params(estimator)
    if settings["early_stopping"] or settings["warm_start"]:
        raise ValueError("trainability: early_stopping and warm_start do not apply; set them off")
    if not isinstance(params, (tuple, list)) or len(params) != 2 or params[0] == params[1]:
        raise ValueError(f"params must name two different hyperparameters; got {params!r}")
    if not isinstance(ranges, (tuple, list)) or len(ranges) != 2:
        raise ValueError(f"ranges must be a (low, high) pair per parameter; got {ranges!r}")
    scale = check_option(scale, "scale", SCALES)
    grid = check_resolution(resolution)
    settings_ = execution_settings(threads=threads, progress=progress, client=client)
    if settings_.device == "cuda":
        raise ValueError("device='cuda': trainability maps run on the CPU; use device='cpu'")
    tile_rows = check_tile_rows(tile_rows)
    backend = check_option(backend or settings["backend"], "backend", ("numba", "numpy"))
    X = check_X(X)
    Y, loss = type(estimator)(**estimator.get_params())._fit_targets(y, X.shape[0])
    layout = _checked_layout(settings, X.shape, Y.shape[1])
    n_layers = layout.sizes.size - 1
    activation = network_table(settings, n_layers - 1)
    solver = settings["solver"]
    targets = np.array([_target(name, n_layers, solver) for name in params], dtype=np.int64)
    if ALL_RATES in targets and any(t >= SETTING_LAYER_RATES for t in targets):
        raise ValueError(
            f"params: {params[0]!r} and {params[1]!r} set the same layer's rate "
            "(learning_rate_init sets every layer's); map learning_rate_init[k] pairs instead"
        )
    refine = check_int(refine, "refine", minimum=0, maximum=24)
    outcome = check_option(outcome, "outcome", OUTCOMES)
    finest = tuple((g - 1) * 2**refine + 1 for g in grid)
    if refine:
        check_allocation(2 * finest[0] * finest[1], "refine", f"a {finest} refined map")
    a = _axis(ranges[0], finest[0], scale, params[0])
    b = _axis(ranges[1], finest[1], scale, params[1])
    rng = settings["random_state"]
    # a gridded init_scale replaces the estimator's (the grid's value multiplies theta0)
    theta0 = initial_network(settings, layout, scale=1.0 if "init_scale" in params else None)
    rates = settings["learning_rate_init"]
    if any(t >= SETTING_LAYER_RATES for t in targets) and not isinstance(rates, tuple):
        rates = (rates,) * n_layers  # one rate per layer: the kernel sets one of them
    full_batch = solver == "gd"
    n_samples = X.shape[0]
    batch_size = 1 if solver == "sgd" else check_batch_size(settings["batch_size"], n_samples)
    kernel_settings = mlp_settings(
        optimizer=ADAM if solver == "adam" else MOMENTUM,
        lr=rates,
        batch_size=batch_size,
        momentum=settings["momentum"] if solver == "momentum" else 0.0,
        beta_1=settings["beta_1"],
        beta_2=settings["beta_2"],
        epsilon=settings["epsilon"],
        tol=settings["tol"],
        n_iter_no_change=settings["n_iter_no_change"],
        alpha=settings["alpha"],
        biases=settings["biases"],
    )
    n_epochs = settings["max_iter"]
    order = (
        np.empty((0, n_samples), np.int64)
        if full_batch
        else sample_orders(rng, n_samples, n_epochs)
    )
    arrays = (X, Y, theta0, layout.sizes, kernel_settings, order, targets,
              np.array([n_epochs], np.int64))  # fmt: skip
    codes = (table_key(activation, n_layers - 1), loss)
    evaluation = Evaluation("trainability", backend, a, b, arrays, codes)
    if resume and out is None:
        raise ValueError("resume=True continues an out= .npy file or .zarr store; give that path")
    if out is not None and not isinstance(out, (str, os.PathLike)):
        raise ValueError(f"out must be a path ending in .npy or .zarr; got {type(out).__name__}")
    outputs = None if refine else check_outputs(out, FIELDS, resume, overwrite)
    if out is None and not refine:
        check_allocation(8 * len(FIELDS) * grid[0] * grid[1], "resolution", f"a {grid} map")
    info = {
        "model": type(estimator).__name__,
        "sizes": [int(s) for s in layout.sizes],
        "n_samples": int(n_samples),
        "epochs": int(n_epochs),
        "solver": solver,
        "backend": backend,
    }
    if refine:
        info["outcome"] = outcome
        rounds = None if out is None else RoundStores(out, resume, overwrite)
        # The directory's lock (beside it) covers the manifest and the clearing of an
        # overwritten map; each round's store takes its own as the engine writes it.
        with writer_lock(None if rounds is None else rounds.path):
            if rounds is not None:
                rounds.start(_manifest(grid, refine, ranges, params, scale, info))
            return _refined(a, b, grid, refine, arrays, codes, backend, settings_, tile_rows,
                            tuple(params), scale, info, rounds)  # fmt: skip
    dim_a, dim_b = axis_dimensions(params)
    job = GridJob(
        evaluation, FIELDS, "trainability",
        coords=dict(zip(("a", "b"), ((a, (dim_a,)), (b, (dim_b,))), strict=True)),
        attrs={"labels": list(params), "scale": scale, "info": info},
        tile_rows=tile_rows,
    )  # fmt: skip
    info["tiles"] = len(job.tiles)
    result = run_job(job, settings_, outputs=outputs)
    info["tiles_computed"] = result.info["tiles_computed"]
    info["points_computed"] = result.info["points_computed"]
    if out is not None:
        assert outputs is not None  # checked with out
        info["out"] = outputs[0].target
        info["tiles_damaged"] = result.info["tiles_damaged"]
    values = result.fields
    store = out is not None and is_store_path(out)
    return TrainabilityMap(
        a=a,
        b=b,
        values=values["final_loss"] if store else values["final_loss"].copy(),
        convergence=values["convergence"] if store else values["convergence"].copy(),
        divergence_epoch=(
            values["divergence_epoch"] if store else values["divergence_epoch"].copy()
        ),
        labels=tuple(params),
        scale=scale,
        info=info,
        last_losses=values["last_losses"] if store else values["last_losses"].copy(),
    )


# A refined map's directory: this manifest, and one store per round (round-K.zarr).
REFINED_FORMAT = "fastnn-refined-trainability-1"
MANIFEST = "refined.json"


def _manifest(grid, levels, ranges, params, scale, info) -> dict:
    return {
        "format": REFINED_FORMAT,
        "coarse": [int(g) for g in grid],
        "levels": int(levels),
        "ranges": [[float(v) for v in pair] for pair in ranges],
        "labels": list(params),
        "scale": scale,
        "outcome": info["outcome"],
        "info": {k: v for k, v in info.items() if k != "tiles"},
    }


class RoundStores:
    """The directory of a refined map: a manifest and a Zarr store per round.

    Rules as for every output: nothing is replaced without ``overwrite`` (and then only
    what fastnn wrote: the manifest and ``round-K.zarr`` stores), ``resume`` continues
    the same map (the manifest must match; each round's store resumes through the engine,
    whose fingerprint covers the data and settings, and whose coordinates include the
    round's points).
    """

    def __init__(self, path, resume: bool, overwrite: bool):
        from fastnn.grid import require_zarr

        if not isinstance(path, (str, os.PathLike)):
            raise ValueError(f"out: a refined map is a directory path; got {type(path).__name__}")
        require_zarr()
        self.path = os.fspath(path).rstrip("/")
        self.resume, self.overwrite = bool(resume), bool(overwrite)
        exists = os.path.exists(self.path)
        manifest = os.path.join(self.path, MANIFEST)
        if resume and not os.path.isfile(manifest):
            raise ValueError(f"out: resume=True, but {self.path} holds no refined map")
        if exists and not resume:
            if not overwrite:
                raise ValueError(
                    f"out: {self.path} exists; pass resume=True to continue it or "
                    "overwrite=True to replace it"
                )
            if not os.path.isfile(manifest) or os.listdir(self.path) and not self._ours():
                raise ValueError(
                    f"out: {self.path} exists and is not a fastnn refined map; fastnn replaces "
                    "only what it wrote: move it away or choose another name"
                )
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise ValueError(f"out: the directory {directory} does not exist")

    def _ours(self) -> bool:
        """Whether every entry of the directory is the manifest or a fastnn round store."""
        from fastnn.grid import store_format

        for name in os.listdir(self.path):
            full = os.path.join(self.path, name)
            if name == MANIFEST:
                continue
            if not (re.fullmatch(r"round-\d+\.zarr", name) and store_format(full)):
                return False
        return True

    def start(self, manifest: dict) -> None:
        """Check (resume) or write (a new map) the manifest; clear an overwritten map."""
        import json
        import shutil

        path = os.path.join(self.path, MANIFEST)
        if self.resume:
            with open(path, encoding="utf-8") as handle:
                stored = json.load(handle)
            for key in ("format", "coarse", "levels", "ranges", "labels", "scale", "outcome"):
                if stored.get(key) != manifest[key]:
                    raise ValueError(
                        f"resume: {self.path} is another refined map ({key} differs: "
                        f"{stored.get(key)!r} vs {manifest[key]!r}); start afresh"
                    )
            return
        if os.path.exists(self.path):  # overwrite: only what fastnn wrote (checked)
            for name in os.listdir(self.path):
                full = os.path.join(self.path, name)
                shutil.rmtree(full) if os.path.isdir(full) else os.remove(full)
        os.makedirs(self.path, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1)

    def round_path(self, level: int) -> str:
        return os.path.join(self.path, f"round-{level}.zarr")


def _round_job(evaluation, i, j, tile_rows, level) -> GridJob:
    rows = evaluation.a
    return GridJob(
        evaluation, FIELDS, "trainability",
        coords={"a": (rows, ("a",)), "b": (evaluation.b, ("b",)), "i": (i, ("a",)),
                "j": (j, ("a",))},
        attrs={"labels": ["point", "-"], "scale": "linear", "info": {"round": level}},
        tile_rows=tile_rows,
    )  # fmt: skip


def _refined(a, b, grid, levels, arrays, codes, backend, settings, tile_rows, labels, scale,
             info, rounds=None) -> RefinedTrainabilityMap:  # fmt: skip
    """A boundary-adaptive map: each round's points are one job of the engine.

    (Its tiles, threads, progress bar and Dask executor; with ``rounds``, a store per
    round, resumable.)
    """
    from fastnn.boundary import refine_map

    per_round = []

    def train_points(i, j, level):
        rows = np.arange(i.size, dtype=np.float64)
        evaluation = Evaluation("trainability-points", backend, rows, np.zeros(1),
                                (*arrays, a[i], b[j]), codes)  # fmt: skip
        job = _round_job(evaluation, i.astype(np.int64), j.astype(np.int64), tile_rows, level)
        outputs = None
        if rounds is not None:
            path = rounds.round_path(level)
            outputs = check_outputs(path, FIELDS, rounds.resume and os.path.exists(path), False)
        result = run_job(job, settings, outputs=outputs)
        per_round.append(int(i.size))
        return np.stack([np.asarray(result.fields[name])[:, 0] for name in FIELDS], axis=1)

    refinement = refine_map(grid, levels, train_points, _failed_by(info["outcome"]))
    info = {**info, "refine": levels, "coarse": list(grid), "trained_per_round": per_round,
            "trained": int(sum(per_round)), "dense": int(a.size * b.size)}  # fmt: skip
    if rounds is not None:
        info["out"] = rounds.path
    return RefinedTrainabilityMap(a, b, refinement, labels, scale, info)
