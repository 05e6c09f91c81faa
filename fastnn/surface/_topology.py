"""The basins of a surface: sublevel-set persistence of its grid (:meth:`Surface.topology`).

The grid is a cubical complex whose vertices are the grid points (each joined to its
four neighbours along ``a`` and ``b``), filtered by value: the sublevel set
``{values <= h}`` grows with ``h``.  A new connected component is born at each local
minimum; when two components meet, at a saddle, the one with the higher minimum dies
(the elder rule).  Each 0-dimensional persistence pair is therefore a *basin*: its
minimum (the birth), the height of the saddle that merges it into a deeper basin (the
death), and its depth below that saddle (the persistence, death - birth).  The deepest
basin never dies (its death is ``inf``).

The persistence is computed by CubicalRipser (``cripser``, Kaji et al.), a maintained
library for cubical complexes of images: on a 2001 x 2001 grid it took 2.3 s and 0.7 GB
here, where gudhi's ``CubicalComplex`` took 32 s and 2.6 GB (it computes every
dimension).  It is an optional extra (``pip install "fastnn[topology]"``); cripser is
GPL-3 licensed, fastnn MIT: fastnn imports it only when a topology is asked for.

**Edges of the grid.**  The grid is a window of parameter space.  A minimum on its
edge is a minimum of the map, not necessarily of the loss, which may fall further
outside the window: such basins are kept, counted and flagged (``on_edge``).

An accuracy surface is read as its error, ``1 - accuracy`` (its basins are the regions
of high accuracy).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fastnn._validation import check_nonnegative

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fastnn.surface._result import Surface


# The default threshold of a basin's persistence: this fraction of the value range.
DEFAULT_THRESHOLD_SHARE = 0.01


def _interruptible(function, *args, **kwargs):
    """``function(*args, **kwargs)`` in a worker thread; Ctrl-C returns within 0.1 s.

    cripser releases the GIL while it computes, so the main thread waits in short joins and
    a KeyboardInterrupt reaches the caller at once (the worker, a daemon thread, finishes
    its computation in the background and its result is dropped).
    """
    result, failure = [], []

    def work():
        try:
            result.append(function(*args, **kwargs))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="fastnn-topology", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
    if failure:
        raise failure[0]
    return result[0]


def _cripser():
    try:
        import cripser
    except ImportError:
        raise ImportError(
            'Surface.topology needs cripser (CubicalRipser): pip install "fastnn[topology]"'
        ) from None
    return cripser


@dataclass(eq=False)
class Topology:
    """The basins of a surface, deepest first (see :mod:`fastnn.surface._topology`).

    Attributes
    ----------
    minimum : ndarray of shape (n,)
        Each basin's lowest value (its birth).
    saddle : ndarray of shape (n,)
        The height at which it merges into a deeper basin (its death); ``inf`` for the
        deepest basin.
    minimum_index, saddle_index : ndarray of shape (n, 2)
        Grid indices ``(i, j)`` of the minimum and of the saddle (``(-1, -1)`` for the
        deepest basin's saddle).
    on_edge : ndarray of bool, shape (n,)
        Whether the minimum lies on the grid's edge.
    a, b : ndarray
        The surface's axes (coordinates of the indices).
    threshold : float
        The default persistence threshold: 1% of the surface's value range.
    quantity : str
        What the values are ("loss", or "error" for an accuracy surface).
    """

    minimum: np.ndarray
    saddle: np.ndarray
    minimum_index: np.ndarray
    saddle_index: np.ndarray
    on_edge: np.ndarray
    a: np.ndarray
    b: np.ndarray
    threshold: float
    quantity: str = "loss"
    info: dict = field(default_factory=dict)

    @property
    def persistence(self) -> np.ndarray:
        """Each basin's depth below its saddle (``inf`` for the deepest)."""
        return self.saddle - self.minimum

    def _threshold(self, threshold) -> float:
        if threshold is None:
            return self.threshold
        return check_nonnegative(threshold, "threshold")

    def n_basins(self, threshold: float | None = None) -> int:
        """Basins deeper than ``threshold`` (default :attr:`threshold`), edge basins included."""
        return int(np.sum(self.persistence > self._threshold(threshold)))

    def basins(self, threshold: float | None = None) -> list:
        """The basins deeper than ``threshold``, deepest first, one dict each.

        Keys: ``minimum``, ``saddle``, ``persistence``, ``at`` (the minimum's ``(a, b)``),
        ``saddle_at`` (None for the deepest), ``index``, ``on_edge``.
        """
        keep = np.flatnonzero(self.persistence > self._threshold(threshold))
        rows = []
        for k in keep:
            i, j = self.minimum_index[k]
            si, sj = self.saddle_index[k]
            rows.append(
                {
                    "minimum": float(self.minimum[k]),
                    "saddle": float(self.saddle[k]),
                    "persistence": float(self.persistence[k]),
                    "at": (float(self.a[i]), float(self.b[j])),
                    "saddle_at": None if si < 0 else (float(self.a[si]), float(self.b[sj])),
                    "index": (int(i), int(j)),
                    "on_edge": bool(self.on_edge[k]),
                }
            )
        return rows

    def __repr__(self) -> str:
        edge = int(np.sum(self.on_edge & (self.persistence > self.threshold)))
        return (
            f"Topology({self.n_basins()} basins deeper than {self.threshold:.3g} "
            f"({edge} on the grid's edge), {self.minimum.size} in all)"
        )

    def plot_diagram(
        self, ax: Axes | None = None, threshold: float | None = None, title: str | None = None
    ) -> Figure:
        """The persistence diagram (saddle against minimum); returns the Figure."""
        from fastnn.plot import plot_persistence_diagram

        return plot_persistence_diagram(self, self._threshold(threshold), ax=ax, title=title)

    def plot(
        self,
        surface: Surface,
        ax: Axes | None = None,
        threshold: float | None = None,
        title: str | None = None,
        most: int = 20,
    ) -> Figure:
        """The basins deeper than ``threshold`` outlined on ``surface``'s contour plot.

        Each basin's region below its saddle is outlined (at most ``most`` basins) and
        its minimum marked; returns the Figure.
        """
        from fastnn.plot import plot_basins

        return plot_basins(surface, self, self._threshold(threshold), ax=ax, title=title,
                           most=most)  # fmt: skip


def surface_topology(surface, threads: int = 1) -> Topology:
    """The 0-dimensional sublevel-set persistence of ``surface``'s grid."""
    metric = surface.info.get("metric", "loss")
    if metric in ("max_eigenvalue", "min_eigenvalue"):
        raise ValueError(
            f"topology: a {metric} surface has no basins of a loss; map metric='loss' or 'accuracy'"
        )
    values = np.asarray(surface.values, dtype=np.float64)  # a store's values: read once
    if metric == "accuracy":
        values = 1.0 - values
    bad = int(values.size - np.count_nonzero(np.isfinite(values)))
    if bad:
        raise ValueError(
            f"topology: the surface has {bad} non-finite values (overflow or divergence): "
            "map a smaller span"
        )
    pairs = _interruptible(_cripser().computePH, values, maxdim=0, n_threads=threads)
    pairs = pairs[pairs[:, 0] == 0]
    minimum, saddle = pairs[:, 1].copy(), pairs[:, 2].copy()
    saddle[saddle >= np.finfo(np.float64).max] = np.inf  # the essential class
    minimum_index = pairs[:, 3:5].astype(np.int64)
    saddle_index = pairs[:, 6:8].astype(np.int64)
    order = np.lexsort((minimum, -(saddle - minimum)))  # deepest first, ties by value
    minimum, saddle = minimum[order], saddle[order]
    minimum_index, saddle_index = minimum_index[order], saddle_index[order]
    ga, gb = values.shape
    on_edge = (
        (minimum_index[:, 0] == 0)
        | (minimum_index[:, 0] == ga - 1)
        | (minimum_index[:, 1] == 0)
        | (minimum_index[:, 1] == gb - 1)
    )
    spread = float(values.max() - values.min())
    return Topology(
        minimum, saddle, minimum_index, saddle_index, on_edge,
        np.asarray(surface.a, dtype=np.float64), np.asarray(surface.b, dtype=np.float64),
        DEFAULT_THRESHOLD_SHARE * spread, "error" if metric == "accuracy" else "loss",
        {"grid": (ga, gb), "connectivity": "4 neighbours (a, b)"},
    )  # fmt: skip
