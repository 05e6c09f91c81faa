"""The results of a loss surface or a loss line: values, axes, plane, and what to do with them."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, overload

import numpy as np

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping
    from typing import Any

    import plotly.graph_objects as go
    import xarray
    from matplotlib.animation import FuncAnimation
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fastnn._typing import ArrayLike
    from fastnn.surface._plane import Plane, PlaneParameters
    from fastnn.surface._topology import Topology


_FORMAT = "fastnn.Surface/1"


@dataclass(eq=False)
class Surface:
    """A loss surface: ``values[i, j]`` is the loss at the grid point ``(a[i], b[j])``.

    Or the accuracy, for a surface made with ``metric="accuracy"`` (:attr:`metric`).

    Attributes
    ----------
    a, b : ndarray of shape (Ga,), (Gb,)
        The grid axes.  For ``params=`` they are the two parameters' values; for
        directions they are the coefficients of ``theta = center + a * u + b * v``.
    values : ndarray (or numpy.memmap, zarr.Array) of shape (Ga, Gb)
        Mean loss (or accuracy) over the samples at every grid point; rows follow ``a``.
    center : ndarray of shape (n_params,)
        The parameters at the centre of the plane.
    directions : ndarray of shape (2, n_params)
        ``u`` and ``v`` (unit vectors along the two parameters for ``params=``).
    center_loss : float
        The loss (or accuracy) at ``center``.
    params : tuple of int or None
        The two parameter positions for ``params=``, else None.
    labels : tuple of str
        Axis labels (parameter names, or ``"alpha"``/``"beta"`` for directions).
    info : dict
        How it was made: model, loss, metric, data (its name, when given), direction
        kind, explained variance (PCA), cos(u, v), grid evaluations per second, ...
    """

    a: np.ndarray
    b: np.ndarray
    values: np.ndarray
    center: np.ndarray
    directions: np.ndarray
    center_loss: float
    params: tuple[int, int] | None = None
    labels: tuple[str, str] = ("alpha", "beta")
    info: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @property
    def plane(self) -> Plane:
        """The surface's :class:`~fastnn.Plane`: pass it as ``plane=`` for the same grid."""
        from fastnn.surface._plane import Plane

        return Plane.from_surface(self)

    @property
    def metric(self) -> str:
        """What the values are: ``"loss"``, ``"accuracy"``, or an extreme eigenvalue.

        ``"max_eigenvalue"`` / ``"min_eigenvalue"``: of the Hessian of the mean loss.
        """
        return self.info.get("metric", "loss")

    @property
    def u(self) -> np.ndarray:
        return self.directions[0]

    @property
    def v(self) -> np.ndarray:
        return self.directions[1]

    def to_torch(self, module: Any, *, vector: bool = False) -> PlaneParameters:
        """The plane's origin and directions as ``module``'s parameters.

        ``self.plane.to_torch(module, vector=vector)``: see :meth:`fastnn.Plane.to_torch`
        (grid point ``(i, j)`` is ``origin + a[i] * u + b[j] * v``).
        """
        return self.plane.to_torch(module, vector=vector)

    def to_sklearn(self, estimator: Any) -> PlaneParameters:
        """The plane's origin and directions as ``estimator``'s attributes.

        ``self.plane.to_sklearn(estimator)``: see :meth:`fastnn.Plane.to_sklearn`.
        """
        return self.plane.to_sklearn(estimator)

    def theta(self, i: int, j: int) -> np.ndarray:
        """The parameter vector of grid point ``(i, j)``."""
        if self.params is not None:
            theta = self.center.copy()
            theta[self.params[0]] = self.a[i]
            theta[self.params[1]] = self.b[j]
            return theta
        return self.center + self.a[i] * self.u + self.b[j] * self.v

    def argmin(self) -> tuple[int, int]:
        """Grid indices ``(i, j)`` of the smallest value (the first, row-major, on ties).

        A surface in a Zarr store answers from the minimum recorded as its tiles were
        written, without reading its values.
        """
        if not isinstance(self.values, np.ndarray) and "argmin" in self.info:
            i, j = self.info["argmin"]
            return int(i), int(j)
        return _first_extreme(self.values, largest=False)

    def argmax(self) -> tuple[int, int]:
        """Grid indices ``(i, j)`` of the largest value (the best accuracy; first on ties).

        Values on disk (a memmap, a Zarr store) are read in blocks of rows.
        """
        return _first_extreme(self.values, largest=True)

    @overload
    def project(
        self, trajectory: ArrayLike, return_residual: Literal[False] = ...
    ) -> np.ndarray: ...

    @overload
    def project(
        self, trajectory: ArrayLike, return_residual: Literal[True]
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def project(
        self, trajectory: ArrayLike, return_residual: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Coordinates ``(a, b)`` of parameter vectors in this surface's plane.

        Exact for ``params=`` (the two parameters' values); for directions, the
        least-squares solution of ``theta - center = a u + b v``.

        Parameters
        ----------
        trajectory : array-like of shape (n_steps, n_params) or (n_params,)
        return_residual : bool, default False
            Also return the norm of the part of each ``theta - center`` that lies
            off the plane (0 for ``params=`` by definition: the other parameters
            are read as fixed).

        Returns
        -------
        coords : ndarray of shape (n_steps, 2)
        residual : ndarray of shape (n_steps,), only with ``return_residual``
        """
        from fastnn._validation import check_trajectory
        from fastnn.surface._plane import project

        path = np.asarray(trajectory, dtype=np.float64)
        path = check_trajectory(path[None, :] if path.ndim == 1 else path, self.center.size)
        coords, residual = project(path, self.center, self.directions, self.params)
        return (coords, residual) if return_residual else coords

    def topology(self, threads: int = 1) -> Topology:
        """The surface's basins: the sublevel-set persistence of its grid.

        Each basin's minimum, the height of the saddle that merges it into a deeper one
        and its depth; minima on the grid's edge are kept and flagged.  Needs the
        ``topology`` extra (cripser); see :mod:`fastnn.surface._topology`.

        Parameters
        ----------
        threads : int, default 1
            cripser's threads.

        Returns
        -------
        Topology
        """
        from fastnn._validation import check_int
        from fastnn.surface._topology import surface_topology

        return surface_topology(self, check_int(threads, "threads"))

    def plot(
        self,
        kind: str = "contour",
        trajectory: ArrayLike | Mapping[str, ArrayLike] | None = None,
        ax: Axes | None = None,
        **kwargs: Any,
    ) -> Figure:
        """Draw the surface and return the Figure (see :func:`fastnn.plot.plot_surface`)."""
        from fastnn.plot import plot_surface

        return plot_surface(self, kind=kind, trajectory=trajectory, ax=ax, **kwargs)

    def to_plotly(
        self, trajectory: ArrayLike | Mapping[str, ArrayLike] | None = None, **options: Any
    ) -> go.Figure:
        """The surface as an interactive Plotly figure: 3-D beside a contour map.

        Hover shows the values; the optimiser's path and the markers are drawn as in
        :meth:`plot`. ``options`` go to :func:`fastnn.interactive.surface_figure`
        (``losses``, ``log``, ``title``, ``max_points``); needs the ``interactive`` extra.
        Write it with :func:`fastnn.interactive.write_html`.
        """
        from fastnn.interactive import surface_figure

        return surface_figure(self, trajectory, **options)

    def animate(
        self,
        trajectory: ArrayLike | Mapping[str, ArrayLike],
        path: str | os.PathLike[str] | None = None,
        overwrite: bool = False,
        **options: Any,
    ) -> FuncAnimation:
        """The optimiser's path drawn step by step on the surface (a matplotlib animation).

        ``path``: also write it there (``.gif``; ``.mp4`` with ffmpeg); an existing file is
        replaced only with ``overwrite=True``.  ``options`` go to
        :func:`fastnn.plot.animate_path` (``kind``, ``interval``, ``levels``, ...).
        Returns the ``FuncAnimation``.
        """
        import os

        from fastnn.plot import animate_path, check_animation_path, save_animation

        if path is not None:
            check_animation_path(path)  # before any drawing
            if os.path.exists(path) and not overwrite:
                raise ValueError(f"path: {path} exists; pass overwrite=True to replace it")
        animation = animate_path(self, trajectory, **options)
        if path is not None:
            save_animation(animation, path)
        return animation

    def to_xarray(self) -> xarray.DataArray:
        """The values as an ``xarray.DataArray`` with labelled coordinates.

        Named by :attr:`metric` (``"loss"`` or ``"accuracy"``).  The dimensions are
        the axis labels (``"alpha"``/``"beta"``, or the two parameters' names) with
        ``a`` and ``b`` as coordinates; the attributes hold the centre value, the
        plane's parameters and ``info``.  A surface loaded from a Zarr store stays lazy
        (values are read when indexed or computed).  Needs xarray
        (``pip install "fastnn[zarr]"``).
        """
        try:
            import xarray as xr
        except ImportError:
            raise ImportError('to_xarray needs xarray: pip install "fastnn[zarr]"') from None
        dims = tuple(self.labels)
        attrs = {
            "center_loss": self.center_loss,
            "params": "" if self.params is None else list(self.params),
            **{k: v for k, v in self.info.items() if isinstance(v, (str, int, float, bool))},
        }
        if "store" in self.info:
            field = self.info.get("field", "values")  # a curvature store's field
            stored = xr.open_zarr(self.info["store"], chunks=None)[field]
            if "a" in stored.dims:  # a store whose dimensions are not the labels
                labelled = stored.rename({"a": dims[0], "b": dims[1]})
            else:  # dimensions named by the labels, the axes' values as coordinates a, b
                labelled = stored.drop_vars(["a", "b"]).assign_coords(
                    {dims[0]: self.a, dims[1]: self.b}
                )
            return labelled.rename(self.metric).assign_attrs(attrs)
        return xr.DataArray(
            np.asarray(self.values),
            coords={dims[0]: self.a, dims[1]: self.b},
            dims=dims,
            name=self.metric,
            attrs=attrs,
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the surface to ``path`` (``.npz``); :meth:`load` reads it back exactly."""
        meta = {
            "format": _FORMAT,
            "center_loss": self.center_loss,
            "params": list(self.params) if self.params is not None else None,
            "labels": list(self.labels),
            "info": self.info,
        }
        np.savez(
            path,
            a=self.a,
            b=self.b,
            values=np.asarray(self.values),
            center=self.center,
            directions=self.directions,
            meta=np.array(json.dumps(meta)),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, verify: bool = False) -> Surface:
        """Read a surface written by :meth:`save`, or a finished ``.zarr`` store.

        A store's values stay on disk (a ``zarr.Array``: index it, or ``numpy.asarray``
        it); every chunk read is checked against its CRC-32C, and the axes, centre and
        directions against the SHA-256 the store recorded.  ``verify=True`` also reads
        every tile now and checks that it holds its own values (chunks moved between
        tiles or stores are refused).  Anything else is a ValueError naming ``path``.
        """
        from fastnn.grid import is_store_path, load_store

        if is_store_path(path):
            return cls(**load_store(path, verify))
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path} is not a readable fastnn surface file ({exc})") from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{path} is not a fastnn surface file (one array, not a .npz)")
        with data:
            if "meta" not in data.files:
                raise ValueError(f"{path} is not a fastnn surface file (no 'meta' entry)")
            try:
                meta = json.loads(str(data["meta"]))
            except (ValueError, OSError, zipfile.BadZipFile) as exc:
                raise ValueError(f"{path}: a damaged fastnn surface file ({exc})") from None
            if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
                found = meta.get("format") if isinstance(meta, dict) else None
                raise ValueError(f"{path}: unknown surface format {found!r}")
            missing = [k for k in ("a", "b", "values", "center", "directions") if k not in data]
            missing += [k for k in ("center_loss", "params", "labels", "info") if k not in meta]
            if missing:
                raise ValueError(f"{path}: a damaged fastnn surface file (no {missing[0]!r})")
            surface = cls(
                a=data["a"],
                b=data["b"],
                values=data["values"],
                center=data["center"],
                directions=data["directions"],
                center_loss=meta["center_loss"],
                params=tuple(meta["params"]) if meta["params"] is not None else None,
                labels=tuple(meta["labels"]),
                info=meta["info"],
            )
        _check_parts(surface, path)
        return surface

    def __repr__(self) -> str:
        ga, gb = self.values.shape
        axes = (
            f"{self.labels[0]} in [{self.a[0]:.4g}, {self.a[-1]:.4g}], "
            f"{self.labels[1]} in [{self.b[0]:.4g}, {self.b[-1]:.4g}]"
        )
        if self.metric == "accuracy":
            best = ""
            if isinstance(self.values, np.ndarray):  # a store's maximum would read every chunk
                i, j = self.argmax()
                best = f"max {self.values[i, j]:.6g} at ({self.a[i]:.4g}, {self.b[j]:.4g}), "
            return f"Surface(accuracy, {ga} x {gb}, {axes}, {best}center {self.center_loss:.6g})"
        i, j = self.argmin()
        what = "" if self.metric == "loss" else f"{self.metric}, "
        return (
            f"Surface({what}{ga} x {gb}, {axes}, "
            f"min {self.values[i, j]:.6g} at ({self.a[i]:.4g}, {self.b[j]:.4g}), "
            f"center {self.metric.replace('_', ' ')} {self.center_loss:.6g})"
        )


# Values read at once when a surface's values are searched in blocks (16 MB of float64).
_BLOCK_VALUES = 1 << 21


def _check_parts(surface, path) -> None:
    """A ValueError naming ``path`` when a loaded surface's arrays do not fit together."""
    a, b, values = np.asarray(surface.a), np.asarray(surface.b), surface.values
    center, directions = np.asarray(surface.center), np.asarray(surface.directions)
    problems = []
    if a.ndim != 1 or b.ndim != 1 or values.shape != (a.size, b.size):
        problems.append(f"values of shape {values.shape} on axes of {a.size} and {b.size} points")
    if center.ndim != 1 or directions.shape != (2, center.size):
        problems.append(f"directions of shape {directions.shape} for {center.size} parameters")
    if len(surface.labels) != 2 or (surface.params is not None and len(surface.params) != 2):
        problems.append("labels or params that are not pairs")
    if problems:
        raise ValueError(f"{path}: a damaged fastnn surface file ({problems[0]})")


def _first_extreme(values, largest: bool) -> tuple[int, int]:
    """Row-major first position of the smallest (or largest) non-NaN value.

    An in-memory array is searched at once; a memmap or a store block of rows by block
    of rows, so the search never holds more than :data:`_BLOCK_VALUES` values.
    """
    search = np.nanargmax if largest else np.nanargmin
    if type(values) is np.ndarray:
        return divmod(int(search(values)), values.shape[1])
    rows = max(1, _BLOCK_VALUES // values.shape[1])
    best = None
    for r0 in range(0, values.shape[0], rows):
        block = np.asarray(values[r0 : r0 + rows])
        if np.isnan(block).all():
            continue
        i, j = divmod(int(search(block)), block.shape[1])
        value = block[i, j]
        if best is None or (value > best[0] if largest else value < best[0]):
            best = (value, r0 + i, j)
    if best is None:
        raise ValueError("every value of the surface is NaN")
    return best[1], best[2]


@dataclass(eq=False)
class LossLine:
    """A 1-D slice: ``values[k]`` is the loss at ``center + alpha[k] * direction``.

    For ``param=`` the ``alpha`` axis holds the parameter's values instead.
    """

    alpha: np.ndarray
    values: np.ndarray
    center: np.ndarray
    direction: np.ndarray
    center_loss: float
    label: str = "alpha"
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        k = int(np.nanargmin(self.values))
        return (
            f"LossLine({self.values.size} points, {self.label} in [{self.alpha[0]:.4g}, "
            f"{self.alpha[-1]:.4g}], min {self.values[k]:.6g} at {self.alpha[k]:.4g}, "
            f"center {self.center_loss:.6g})"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Figure:
        """Draw loss against alpha; returns the matplotlib Figure."""
        from fastnn.plot import plot_loss_line

        return plot_loss_line(self, ax=ax, **kwargs)
