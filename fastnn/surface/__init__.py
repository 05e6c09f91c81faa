"""Loss surfaces and loss lines: the loss of a model over a plane (or a line) in parameter space.

:func:`loss_surface` evaluates the mean training loss on a grid ``theta = center + a u + b v``
(or over two named parameters), tile by tile, with the exact fast paths the model
allows; :func:`loss_line` does the same along one direction.  These are front doors on
the grid engine (:mod:`fastnn.grid`: tiles, threads, progress, outputs, Dask).  Layout of
the package: ``_plane`` (:class:`Plane`: directions and axes), ``_kinds`` (the tile
kernels and :func:`~fastnn.surface._kinds.prepare`), ``_result`` (:class:`Surface`).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from fastnn._codes import LOG_LOSS, SQUARED_ERROR
from fastnn._validation import (
    check_allocation,
    check_option,
    check_resolution,
    check_tile_rows,
    check_vector,
)
from fastnn.cuda import check_evaluation, require_gpu
from fastnn.grid import (
    GridJob,
    axis_dimensions,
    check_fits_in_memory,
    check_outputs,
    evaluate_tile,
    execution_settings,
    run_job,
)
from fastnn.model import LINEAR, NETWORK, as_loss_model
from fastnn.surface._kinds import (
    CURVATURE,
    DTYPES,
    FLOAT32_UNSUPPORTED,
    METHODS,
    check_metric,
    prepare,
)
from fastnn.surface._plane import (
    BIAS_OPTIONS,
    Plane,
    check_plane,
    check_reachable,
    describe_axes,
    draw_directions,
    filter_normalize,
    make_axis,
    model_plane,
    pca_directions,
    plane_through,
)
from fastnn.surface._result import LossLine, Surface
from fastnn.surface._topology import Topology

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence
    from typing import Any

    from fastnn._typing import ArrayLike, Seed


__all__ = [
    "LossLine",
    "Plane",
    "Surface",
    "Topology",
    "describe_axes",
    "evaluate_tile",
    "filter_normalize",
    "loss_line",
    "loss_surface",
    "loss_surfaces",
    "pca_directions",
    "plane_through",
]


def loss_surface(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    plane: Plane | None = None,
    params: Sequence[int | str] | None = None,
    directions: str | ArrayLike | Surface | None = None,
    span: float | Sequence[float] | Sequence[tuple[float, float]] | None = None,
    resolution: int | tuple[int, int] | None = None,
    center: ArrayLike | None = None,
    random_state: Seed | None = None,
    bias: str = "zero",
    orthogonalize: bool = False,
    trajectory: ArrayLike | Mapping[str, ArrayLike] | None = None,
    method: str = "auto",
    backend: str | None = None,
    progress: Any | None = None,
    threads: int | None = None,
    out: str | os.PathLike[str] | np.ndarray | None = None,
    tile_rows: int | None = None,
    resume: bool = False,
    client: Any | None = None,
    dtype: str = "float64",
    overwrite: bool = False,
    metric: str = "loss",
    data_name: str | None = None,
    curvature_tol: float = 0.0,
    device: str | None = None,
) -> Surface:
    """Evaluate a model's mean loss (or accuracy) on ``(X, y)`` over a 2-D grid in parameter space.

    Parameters
    ----------
    model : fitted fastnn estimator, or an estimator class / unfitted instance with ``center``
        LinearRegression (squared error), LogisticRegression (cross-entropy),
        MLPClassifier or MLPRegressor (their training loss).
    X : array-like of shape (n_samples, n_features)
    y : array-like
        Targets, as for the model's ``fit``.
    plane : Plane, optional
        A :class:`Plane` (``Plane.build``, ``Plane.from_surface``, a surface's
        ``plane``): exactly its centre, directions and grid (pass none of ``params``,
        ``directions``, ``span``, ``resolution`` or ``center``).  A plane built for one
        model serves any model of as many parameters.
    params : pair of int or str, optional
        Two parameters to vary, by position in ``theta_`` or by name: ``"intercept"``,
        ``"w1"``, ... for linear models, ``"W0[0,3]"`` / ``"b1[0]"`` (as ``coefs_`` /
        ``intercepts_``) for networks.  The other parameters stay at ``center``.
    directions : str, pair of arrays, (2, n_params) array or Surface, optional
        The plane ``center + a u + b v``: ``"random"`` -- two Gaussian directions of
        unit norm; ``"filter"`` -- Gaussian directions with every filter (the incoming
        weights of a unit) rescaled to the norm of the same filter of ``center`` (Li et
        al., 2018); ``"pca"`` -- the top-2 principal directions of ``trajectory``
        (default: the model's ``trajectory_``) around ``center``; ``"hessian"`` -- the
        eigenvectors of the two largest eigenvalues of the Hessian at ``center`` (the
        sharpest directions), ``"hessian-extremes"`` -- of the largest and the smallest
        (most negative) one, the eigenvalues in ``info["hessian_eigenvalues"]`` (exact
        HVPs; dense for small models, Lanczos for large ones; ``random_state`` seeds
        Lanczos); two vectors of length n_params (or a Surface's ``directions``
        array).  A :class:`Surface`
        means its plane and its grid exactly (centre, directions, axes; pass no
        ``params``, ``span`` or ``center``): the same plane on other data, e.g. a test
        set.  Default: ``params=(0, 1)`` for a model with two parameters, else
        ``"filter"``.
    span : float, pair of floats, or pair of (low, high), optional
        Half-width of both axes, a half-width per axis, or explicit ranges.  Axes are
        ``center[i] + linspace(-h, h, G)`` for ``params`` and coefficients in
        ``[-h, h]`` for directions.  Default 1.0; for ``"pca"`` the range of the
        projected trajectory plus a margin.
    resolution : int or pair of int, optional
        Grid points per axis (at least 2); default 51, or with ``plane=`` /
        ``directions=<Surface>`` that plane's grid (another resolution with them is an
        error).
    center : array-like of shape (n_params,), optional
        The parameters at the centre (default: the fitted ``theta_``).
    random_state : None, int or numpy.random.Generator
        Seeds the random directions.
    bias : {"zero", "keep"}, default "zero"
        Filter normalisation of biases: zero them in the directions, or rescale each
        layer's bias vector to the norm of the centre's.
    orthogonalize : bool, default False
        Make ``v`` orthogonal to ``u`` (Gram-Schmidt; keeps the norm of ``v`` but not
        its filter norms).  ``info["cos_uv"]`` reports the angle either way.
    trajectory : array-like of shape (n_steps, n_params), or several of them, optional
        For ``directions="pca"``; default ``model.trajectory_``.  Several optimisers'
        paths (a list of 2-D arrays, or a dict of labels to them) give the principal
        directions of their union; draw them all with ``Surface.plot(trajectory=...)``.
    method : {"auto", "exact", "brute"}, default "auto"
        Squared error of a linear model: the exact quadratic form (O(1) per point after
        one pass over the data) or a sum over the samples.  Other losses ignore it.
    backend : {"numba", "numpy"}, optional
        Default: the model's backend.
    progress : bool, optional
        A tqdm progress bar (on stderr) advancing per tile; default: on for large grids.
        ``progress``, ``threads``, ``client`` and ``device`` default to the settings of
        :func:`fastnn.config_context` (or :func:`fastnn.set_config`).
    threads : int, optional
        numba threads for this call (restored afterwards); in-process runs only (with
        ``client`` each task fits its threads to its host).
    out : str, path, ndarray or numpy.memmap of shape (Ga, Gb), float64, optional
        Where to write the values.  A path ending in ``.zarr`` is a Zarr store (``pip
        install "fastnn[zarr]"``): one chunk per tile with a CRC-32C, and the axes,
        centre, directions, labels, model, loss and data fingerprint, so the store is a
        complete Surface (:meth:`Surface.load` opens it lazily; ``xarray.open_zarr``
        reads it); Dask workers write their own chunks.  A path ending in ``.npy`` is
        a float64 memmap with a completion record beside it.  Either is created only
        after every other argument has been checked and the free disk space too, so a
        grid larger than memory streams to disk; an existing output is never replaced
        unless ``overwrite=True`` (or continued with ``resume=True``), and ``overwrite``
        replaces only a fastnn result.  While a run writes it holds a lock on the real
        file (``<real path>.lock``, symbolic links resolved): a second writer is
        refused.  Without ``out``, a grid that does not fit in the available memory is
        a ValueError.
    tile_rows : int, optional
        Grid rows per tile (default: about 0.2 s of work per tile).
    resume : bool, default False
        Continue an interrupted run into the same ``out``.  A store's chunks are their
        own completion marks, each bound to its tile and the store by a checksum: tiles
        are read back and checked (a damaged tile, or one whose chunks were moved, is
        computed again, ``info["tiles_damaged"]``; damaged axes, centre or directions are
        rewritten, ``info["arrays_repaired"]``), missing ones are computed.  A
        ``.npy`` (or file-backed memmap) has a completion record ``<file>.tiles``
        (tiles marked with a CRC-32 of their values only after the values are on disk);
        marked tiles whose values fail their CRC are computed again.  A store or record
        that belongs to another surface (other data, plane, grid, tiles or kernel
        revision) or is corrupted is refused.
    client : dask.distributed.Client, optional
        Run the tiles as tasks on this Dask cluster (``pip install "fastnn[dask]"``);
        the values are identical to the in-process ones.  numba's threads per task are
        set so that Dask threads x numba threads stay within each host's cores.
    dtype : {"float64", "float32"}, default "float64"
        Arithmetic of a network (MLP) or cross-entropy (logistic) surface.
        ``"float32"`` rounds the data, centre and directions (a linear model's logits)
        to float32 and computes each point's terms in float32 (their sum over the
        samples stays float64): 1.3-2.3x faster, at a relative error of about 1e-6 of
        the loss (tested against the float64 values at 1e-4, see
        ``tests/test_surface_kernels.py``).  Squared-error surfaces of linear models
        are float64 only.
    overwrite : bool, default False
        With ``out`` a path: replace an existing store or file (and its record).
    metric : {"loss", "accuracy", "max_eigenvalue", "min_eigenvalue"}, default "loss"
        What each grid point holds: the model's mean loss, or (classifiers) the
        fraction of samples whose predicted class is their label, as ``score``
        computes it -- counted inside the kernels, one pass over the data -- or the
        largest / smallest eigenvalue of the Hessian of the mean loss there (exact HVPs;
        the dense Hessian for models of up to 512 parameters, else Lanczos; see
        :func:`fastnn.curvature_surface`, which computes both and their ratio).
    data_name : str, optional
        What ``(X, y)`` is (``"train"``, ``"test"``, ...): kept in ``info["data"]`` and
        shown by the plots.  :func:`loss_surfaces` sets it from its keys.
    curvature_tol : float, default 0
        Lanczos' relative tolerance for the eigenvalue metrics of large models (0:
        machine precision).
    device : {"cpu", "cuda"}, optional
        Where the tiles run.  ``"cuda"`` (``pip install "fastnn[cuda]"``: NVIDIA's
        numba-cuda; an NVIDIA GPU) evaluates network surfaces (loss or accuracy, every
        activation and output) and logistic cross-entropy surfaces, float64 or float32,
        on the GPU: the data, the directions and a network's first-layer products stay
        there for the whole surface, each tile is a few kernel launches and its values
        come back, so progress, ``out=``, resume and stores work as on the CPU (with
        ``client=``, each Dask worker uses its default GPU).  float64 values agree with
        the CPU's to about 1e-13 (tested at 1e-12); a resumed run refuses tiles of the
        other device.  ``info["gpu"]`` names the GPU.  Not yet timed on a GPU.

    Raises
    ------
    ValueError
        Bad arguments (each names its argument), a grid too large for memory without a
        store, too little disk space, a full disk while writing (the tiles written stay
        resumable), a second writer.
    KeyboardInterrupt
        Ctrl-C, at the end of the running tile (the tiles written stay resumable).

    Returns
    -------
    Surface
    """
    return _plane_maps(
        model, X, y, {"values": metric}, metric, plane=plane, params=params,
        directions=directions, span=span, resolution=resolution, center=center,
        random_state=random_state, bias=bias, orthogonalize=orthogonalize,
        trajectory=trajectory, method=method, backend=backend, progress=progress,
        threads=threads, out=out, tile_rows=tile_rows, resume=resume, client=client,
        dtype=dtype, overwrite=overwrite, data_name=data_name, curvature_tol=curvature_tol,
        device=device,
    )["values"]  # fmt: skip


def curvature_map(model, X, y, *, per_field_resume=None, **options) -> dict:
    """Both extreme eigenvalues in one pass: ``{"max_eigenvalue": Surface, "min_eigenvalue": ...}``.

    :func:`fastnn.curvature_surface` is the front door (it checks ``out``); ``options``
    are :func:`loss_surface`'s.
    """
    fields = {"max_eigenvalue": "max_eigenvalue", "min_eigenvalue": "min_eigenvalue"}
    return _plane_maps(model, X, y, fields, CURVATURE, per_field_resume=per_field_resume, **options)


def _plane_maps(
    model, X, y, fields: dict, metric: str, *, plane=None, params=None, directions=None,
    span=None, resolution=None, center=None, random_state=None, bias="zero",
    orthogonalize=False, trajectory=None, method="auto", backend=None, progress=None,
    threads=None, out=None, tile_rows=None, resume=False, client=None, dtype="float64",
    overwrite=False, data_name=None, curvature_tol=0.0, device=None, per_field_resume=None,
) -> dict:  # fmt: skip
    """The maps of ``metric`` over one plane, a Surface per field (``{field: its metric}``)."""
    method = check_option(method, "method", METHODS)
    dtype = check_option(dtype, "dtype", DTYPES)
    settings = execution_settings(threads=threads, progress=progress, client=client, device=device)
    gpu = require_gpu() if settings.device == "cuda" else None
    plane, center, resolution = _given_plane(plane, directions, params, span, center, resolution)
    try:
        loss_model = as_loss_model(model, X, y, center=center, backend=backend)
    except ValueError as exc:
        if plane is None or "center" not in str(exc):
            raise
        raise ValueError(
            f"plane: a plane of {plane.n_params} parameters does not fit this model ({exc})"
        ) from None
    for field_metric in fields.values():
        _check_scoring(field_metric, data_name, loss_model)
    if dtype == "float32" and (
        metric == CURVATURE or (loss_model.family != NETWORK and loss_model.loss != LOG_LOSS)
    ):
        raise ValueError(FLOAT32_UNSUPPORTED)
    grid = check_resolution(resolution)
    check_allocation(32 * (grid[0] + grid[1]), "resolution", f"the axes of a {grid} grid")
    if out is None:
        check_fits_in_memory(grid, "pass out='surface.zarr' to stream it to disk", len(fields))
    if method == "brute" and (loss_model.family, loss_model.loss) != (LINEAR, SQUARED_ERROR):
        raise ValueError("method='brute' applies to squared error (LinearRegression) only")
    if plane is not None:
        check_reachable(check_plane(plane, loss_model), "span")
    else:
        if isinstance(directions, str) and directions == "pca" and trajectory is None:
            trajectory = getattr(model, "trajectory_", None)
        plane = model_plane(
            loss_model, params, directions, span, resolution, random_state, bias,
            orthogonalize, trajectory,
        )  # fmt: skip
    tile_rows = check_tile_rows(tile_rows)
    curvature_tol = check_curvature_tol(curvature_tol)
    evaluation = prepare(
        loss_model, plane, method, dtype, metric, curvature_tol, settings.device or "cpu"
    )
    if settings.device == "cuda":
        check_evaluation(evaluation)
    field_kinds = evaluation.kernel.field_kinds or (evaluation.kind,) * len(fields)
    infos = {}
    for (name, field_metric), kind in zip(fields.items(), field_kinds, strict=True):
        infos[name] = {
            "model": loss_model.name,
            "loss": loss_model.loss_name,
            "metric": field_metric,
            **({} if data_name is None else {"data": data_name}),
            "n_samples": int(loss_model.X.shape[0]),
            "method": kind,
            "backend": loss_model.backend,
            "dtype": dtype,
            "device": settings.device,
            **({} if gpu is None else {"gpu": gpu}),
            "tiles": 0,
            "distributed": settings.client is not None,
            **plane.info,
        }
        if plane.params is not None:
            infos[name]["directions"] = "params"
    job = surface_job(
        evaluation, plane, loss_model,
        {name: (fields[name], info) for name, info in infos.items()}, tile_rows,
    )  # fmt: skip
    for info in infos.values():
        info["tiles"] = len(job.tiles)
    outputs = check_outputs(out, job.fields, resume, overwrite, per_field_resume)
    result = run_job(job, settings, outputs=outputs)
    if result.info.get("non_finite"):
        import warnings

        from fastnn.exceptions import OverflowWarning

        ga, gb = plane.shape
        warnings.warn(
            f"{result.info['non_finite']} of {ga * gb * len(fields)} grid values are not "
            "finite: float64 overflowed there (the grid reaches parameters up to "
            f"{_reach(plane):.3g}); lower span= (or the centre's scale)",
            OverflowWarning,
            stacklevel=3,
        )
    return {
        name: _surface(
            result,
            name,
            plane,
            loss_model.theta,
            job.field_attrs[name]["center_loss"],
            infos[name],
            first=k == 0,
        )  # fmt: skip
        for k, name in enumerate(job.fields)
    }


def _reach(plane) -> float:
    """The largest parameter magnitude on the plane's grid (at one of its corners)."""
    corners = [plane.theta(i, j) for i in (0, -1) for j in (0, -1)]
    return float(max(np.max(np.abs(c)) for c in corners))


def check_curvature_tol(curvature_tol) -> float:
    """Lanczos' relative tolerance: a number >= 0."""
    if isinstance(curvature_tol, bool) or not isinstance(curvature_tol, numbers.Real):
        raise ValueError(f"curvature_tol must be a number >= 0; got {curvature_tol!r}")
    if not float(curvature_tol) >= 0:
        raise ValueError(f"curvature_tol must be a number >= 0; got {curvature_tol!r}")
    return float(curvature_tol)


# Grid points per axis of a new plane.
DEFAULT_RESOLUTION = 51


def _given_plane(plane, directions, params, span, center, resolution):
    """A plane given as ``plane=`` or ``directions=<Surface>``: (plane, centre, resolution)."""
    if isinstance(directions, Surface):
        if plane is not None:
            raise ValueError("pass either plane= or directions=<Surface>, not both")
        plane, name = Plane.from_surface(directions), "directions=Surface"
        directions = None
    elif plane is not None:
        name = "plane="
        if directions is not None:
            raise ValueError("pass either plane= or directions=, not both")
        if not isinstance(plane, Plane):
            raise ValueError(f"plane must be a fastnn.Plane; got {type(plane).__name__}")
    else:
        return None, center, DEFAULT_RESOLUTION if resolution is None else resolution
    for option, value in (("params", params), ("span", span), ("center", center)):
        if value is not None:
            raise ValueError(f"{name} reuses that surface's plane and grid; pass no {option}=")
    if resolution is not None and check_resolution(resolution) != tuple(plane.shape):
        raise ValueError(
            f"{name} reuses that surface's plane and grid ({plane.shape[0]} x "
            f"{plane.shape[1]}); pass no resolution= (or that one); got {resolution!r}"
        )
    return plane, plane.center, plane.shape


def surface_job(evaluation, plane, loss_model, fields: dict, tile_rows=None) -> GridJob:
    """The grid job of a map of ``plane``: ``fields`` is ``{field: (metric, info)}``.

    Each field's store (alone) is a complete Surface: its centre value, info, the
    plane's labels and parameters.
    """
    centre = _centre_values(evaluation, loss_model, [metric for metric, _ in fields.values()])
    field_attrs = {}
    for (name, (_, info)), value in zip(fields.items(), centre, strict=True):
        field_attrs[name] = {
            "map": "surface",
            "labels": list(plane.labels),
            "params": list(plane.params) if plane.params is not None else None,
            "center_loss": value,
            "info": info,
        }
    dim_a, dim_b = axis_dimensions(plane.labels)
    coords = {
        "a": (plane.a, (dim_a,)),
        "b": (plane.b, (dim_b,)),
        "center": (loss_model.theta, ("param",)),
        "directions": (plane.directions, ("direction", "param")),
    }
    if len(fields) == 1:
        (attrs,) = field_attrs.values()
        attrs = {k: v for k, v in attrs.items() if k != "map"}
    else:
        first = next(iter(field_attrs.values()))
        attrs = {
            "labels": first["labels"],
            "params": first["params"],
            "center_values": {n: a["center_loss"] for n, a in field_attrs.items()},
            "info": first["info"],
        }
    return GridJob(
        evaluation, tuple(fields), "surface" if len(fields) == 1 else "curvature", coords,
        attrs, field_attrs, tile_rows, samples=int(loss_model.X.shape[0]),
    )  # fmt: skip


def _centre_values(evaluation, loss_model, metrics) -> list:
    """Each metric at the centre; both ends of the spectrum from one Hessian (curvature)."""
    if evaluation.kind == "curvature":
        from fastnn._spectrum import extreme_eigenvalues

        ends = ["largest" if m == "max_eigenvalue" else "smallest" for m in metrics]
        tol = evaluation.codes[-1]
        return list(extreme_eigenvalues(loss_model, loss_model.theta, tuple(ends), tol))
    tol = evaluation.codes[-1] if evaluation.kind in _CURVATURE_KINDS else 0.0
    return [loss_model.metric_at(loss_model.theta, metric, tol) for metric in metrics]


_CURVATURE_KINDS = ("max-eigenvalue", "min-eigenvalue")


def _surface(result, name, plane, center, center_loss, info, first=True) -> Surface:
    """The :class:`Surface` of field ``name`` of a run (``first``: the run's first field)."""
    info.update(result.info)
    info.update(result.field_info.get(name, {}))
    own = name in result.stores
    store = result.stores.get(name, result.stores.get(None))
    if store is not None:
        path, best = store
        info["store"] = path
        if not own and len(result.fields) > 1:
            info["field"] = name  # one store of several fields
        if best is not None and (own or first):  # the minimum is the store's first field's
            info["argmin"] = best[1:]
    return Surface(
        a=plane.a,
        b=plane.b,
        values=result.fields[name],
        center=center,
        directions=plane.directions,
        center_loss=center_loss,
        params=plane.params,
        labels=tuple(plane.labels),
        info=info,
    )


def _check_scoring(metric, data_name, loss_model) -> str:
    """The metric checked against the model, and the data set's name (a string or None)."""
    if data_name is not None and not isinstance(data_name, str):
        raise ValueError(f"data_name must be a string; got {data_name!r}")
    return check_metric(metric, loss_model)


# loss_surface's arguments that define the plane and its grid (given once, to the first
# surface; the others reuse its plane) and those loss_surfaces sets itself.
_PLANE_OPTIONS = frozenset(
    {
        "plane",
        "params",
        "directions",
        "span",
        "resolution",
        "center",
        "random_state",
        "bias",
        "orthogonalize",
        "trajectory",
    }
)
_PER_SURFACE_OPTIONS = frozenset({"out", "resume", "overwrite", "metric", "data_name"})


def loss_surfaces(
    model: Any,
    data: Mapping[str, tuple[ArrayLike, ArrayLike]],
    *,
    metrics: Sequence[str] = "loss",
    **options: Any,
) -> dict:
    """One plane, several data sets and metrics: train and test loss and accuracy in one call.

    The plane and its grid (directions, centre, axes) are built once and every data set
    and metric is evaluated on exactly the same grid points, so the surfaces compare
    point for point.  Every data set is checked before the first surface is computed.

    Parameters
    ----------
    model : as for :func:`loss_surface`
    data : mapping of str to (X, y)
        The data sets by name, e.g. ``{"train": (X, y), "test": (X_test, y_test)}``.
    metrics : {"loss", "accuracy"} or sequence of them, default "loss"
    **options
        :func:`loss_surface`'s other arguments: the plane (``directions``, ``params``,
        ``span``, ``resolution``, ``center``, ...) and the run (``threads``, ``dtype``,
        ``client``, ``progress``, ...).  Outputs on disk are per surface: call
        :func:`loss_surface` with ``directions=`` a first surface and ``out=`` instead.

    Returns
    -------
    dict
        ``{(name, metric): Surface}``, data sets in the order given, then metrics; each
        surface's ``info["data"]`` is its name and ``info["metric"]`` its metric.
    """
    from collections.abc import Mapping

    if not isinstance(data, Mapping) or not data:
        raise ValueError(
            "data must be a non-empty mapping of names to (X, y) pairs, e.g. "
            "{'train': (X, y), 'test': (X_test, y_test)}"
        )
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    if not metrics:
        raise ValueError("metrics must name at least one metric ('loss' or 'accuracy')")
    taken = sorted(set(options) & _PER_SURFACE_OPTIONS)
    if taken:
        raise ValueError(
            f"{taken[0]}= is set per surface: loss_surfaces computes in memory (for outputs on "
            "disk call loss_surface(..., directions=<a first surface>, out=...) per data set)"
        )
    for name, pair in data.items():
        if not isinstance(name, str):
            raise ValueError(f"data names must be strings; got {name!r}")
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"data[{name!r}] must be an (X, y) pair")
        center = options.get("center", getattr(options.get("plane"), "center", None))
        X_set, y_set = pair
        checked = as_loss_model(model, X_set, y_set, center=center, backend=options.get("backend"))
        for metric in metrics:
            check_metric(metric, checked)
    run_options = {k: v for k, v in options.items() if k not in _PLANE_OPTIONS}
    plane_options = {k: v for k, v in options.items() if k in _PLANE_OPTIONS}
    surfaces = {}
    first = None
    for name, (X, y) in data.items():
        for metric in metrics:
            plane = plane_options if first is None else {"directions": first}
            surface = loss_surface(
                model, X, y, metric=metric, data_name=name, **plane, **run_options
            )
            first = surface if first is None else first
            surfaces[name, metric] = surface
    return surfaces


def loss_line(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    to: ArrayLike | None = None,
    direction: ArrayLike | None = None,
    param: int | str | None = None,
    span: float | Sequence[float] | Sequence[tuple[float, float]] | None = None,
    resolution: int | tuple[int, int] = 101,
    center: ArrayLike | None = None,
    random_state: Seed | None = None,
    bias: str = "zero",
    backend: str | None = None,
    threads: int | None = None,
    metric: str = "loss",
    data_name: str | None = None,
) -> LossLine:
    """The loss along a line in parameter space.

    Exactly one of:

    * ``to`` -- linear interpolation from ``center`` (alpha = 0) to ``to`` (alpha = 1),
      ``theta = (1 - alpha) center + alpha to``; default range ``(-0.5, 1.5)``;
    * ``direction`` -- ``"random"``, ``"filter"`` or a vector: ``theta = center + alpha d``;
      default range ``(-1, 1)``;
    * ``param`` -- one parameter (index or name) over ``center[param] +- span``
      (default 1.0); ``alpha`` then holds the parameter's values.

    ``span`` is a half-width or a ``(low, high)`` range of alpha; the other
    arguments (``metric="accuracy"`` and ``data_name`` included) are as in
    :func:`loss_surface`.

    Returns
    -------
    LossLine
    """
    loss_model = as_loss_model(model, X, y, center=center, backend=backend)
    metric = _check_scoring(metric, data_name, loss_model)
    chosen = [
        name
        for name, v in (("to", to), ("direction", direction), ("param", param))
        if v is not None
    ]
    if len(chosen) != 1:
        raise ValueError(f"pass exactly one of to=, direction= or param=; got {chosen or 'none'}")
    label = "alpha"
    origin = loss_model.theta.copy()
    if to is not None:
        target = check_vector(to, "to", size=loss_model.n_params)
        loss_model.check_free(target, "to")
        d = target - loss_model.theta
        if not np.any(d):
            raise ValueError("to equals center: there is no line between them")
        default: float | tuple[float, float] = (-0.5, 1.5)
        kind = "interpolation"
    elif param is not None:
        index = loss_model.layout.param_index(param)
        d = np.zeros(loss_model.n_params)
        d[index] = 1.0
        loss_model.check_free(d, "param")
        origin[index] = 0.0
        label = loss_model.layout.param_name(index)
        default = 1.0
        kind = "param"
    else:
        if isinstance(direction, str):
            check_option(direction, "direction", ("random", "filter"))
            d = draw_directions(
                direction, loss_model, random_state, check_option(bias, "bias", BIAS_OPTIONS), None
            )[0]
        else:
            d = check_vector(direction, "direction", size=loss_model.n_params).copy()
            loss_model.check_free(d, "direction")
            if not np.any(d):
                raise ValueError("direction is zero: it spans no line")
        default = (-1.0, 1.0)
        kind = direction if isinstance(direction, str) else "vector"
    spec = default if span is None else span
    centre = loss_model.theta[index] if param is not None else 0.0
    points = check_resolution(resolution, pair=False)
    check_allocation(24 * points, "resolution", f"a line of {points} points")
    alpha = make_axis(spec, centre, points, label)
    plane = Plane(
        origin, d, np.zeros_like(d), alpha, np.zeros(1), "line", kind, center=loss_model.theta
    )
    check_reachable(plane, "span" if span is not None else "to")
    evaluation = prepare(loss_model, plane, "auto", metric=metric)
    settings = execution_settings(threads=threads, progress=False, client=None, device="cpu")
    values = run_job(GridJob(evaluation, ("values",), "loss line"), settings).fields["values"]
    return LossLine(
        alpha=alpha,
        values=values[:, 0],
        center=loss_model.theta,
        direction=d,
        center_loss=loss_model.metric_at(loss_model.theta, metric),
        label=label,
        info={
            "model": loss_model.name,
            "loss": loss_model.loss_name,
            "metric": metric,
            "line": kind,
            **({} if data_name is None else {"data": data_name}),
        },
    )
