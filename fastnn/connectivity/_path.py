r"""Loss and error along a path between two networks, and the path's barrier.

The barrier of a path ``theta(t)``, ``t`` in [0, 1], from ``theta_a`` to ``theta_b`` is
the literature's (Frankle et al. 2020; Entezari et al. 2022)

.. math:: B = \max_t \; L(\theta(t)) - ((1 - t) L(\theta_a) + t L(\theta_b)),

the largest rise of the loss (or of the error, ``1 - accuracy``) above the straight line
between its values at the two ends, taken over the points of the path's grid of ``t``.
It is 0 when the path never rises above that chord (the end points are on the grid:
``B >= 0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fastnn._validation import check_resolution
from fastnn.connectivity._pair import check_same_function, data_sets, estimator_of
from fastnn.model import as_loss_model

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fastnn._typing import ArrayLike


def barrier_height(t: np.ndarray, values: np.ndarray) -> float:
    """``max_k values[k] - ((1 - t[k]) values[0] + t[k] values[-1])`` (see the module)."""
    chord = (1.0 - t) * values[0] + t * values[-1]
    return float(np.max(values - chord))


@dataclass(eq=False)
class PathProfile:
    """Loss (and, for classifiers, error) at points ``t`` of a path between two networks.

    Attributes
    ----------
    t : ndarray of shape (n_points,)
        The points of the path, from 0 (``model_a``) to 1 (``model_b``).
    loss : dict of str to ndarray
        Mean loss at every ``t``, per data set (``"train"`` for ``X, y``).
    error : dict of str to ndarray
        ``1 - accuracy`` at every ``t``, per data set (classifiers; empty for regressors).
    kind : {"line", "bezier", "polychain"}
        The path: the straight line, or a trained curve (:func:`fastnn.connect`).
    info : dict
        What the path is (model, loss).
    """

    t: np.ndarray
    loss: dict
    error: dict
    kind: str
    info: dict = field(default_factory=dict)

    @property
    def loss_barrier(self) -> dict:
        """The loss barrier per data set (see :mod:`fastnn.connectivity._path`)."""
        return {name: barrier_height(self.t, v) for name, v in self.loss.items()}

    @property
    def error_barrier(self) -> dict:
        """The error barrier per data set (classifiers; empty for regressors)."""
        return {name: barrier_height(self.t, v) for name, v in self.error.items()}

    def __repr__(self) -> str:
        parts = [
            f"{name}: loss barrier {self.loss_barrier[name]:.4g}"
            + (f", error barrier {self.error_barrier[name]:.4g}" if name in self.error else "")
            for name in self.loss
        ]
        return f"PathProfile({self.kind}, {self.t.size} points; {'; '.join(parts)})"

    def plot(self, ax: Axes | None = None, title: str | None = None) -> Figure:
        """Loss (and error, on a second axis) against ``t``; returns the matplotlib Figure."""
        from fastnn.plot import plot_path_profile

        return plot_path_profile(self, ax=ax, title=title)


def profile_points(model_a, sets: dict, t, points, kind: str, backend) -> PathProfile:
    """Loss (and error) at the parameters ``points[k]`` of a path, per data set."""
    classifier = hasattr(estimator_of(model_a), "classes_")
    loss, error = {}, {}
    for name, (X, y) in sets.items():
        model = as_loss_model(model_a, X, y, backend=backend)
        loss[name] = np.array([model.loss_at(theta) for theta in points])
        if classifier:
            error[name] = 1.0 - np.array([model.accuracy_at(theta) for theta in points])
    info = {"model": type(estimator_of(model_a)).__name__, "loss": model.loss_name}
    return PathProfile(np.asarray(t, dtype=np.float64), loss, error, kind, info)


def profile_line(model_a, model_b, sets: dict, resolution, backend, threads) -> PathProfile:
    """The straight line's profile, from the engine's loss lines (``to=``)."""
    from fastnn.surface import loss_line

    theta_b = estimator_of(model_b).theta_
    if np.array_equal(theta_b, estimator_of(model_a).theta_):  # the line is one point
        points = np.linspace(0.0, 1.0, resolution)
        thetas = np.tile(theta_b, (points.size, 1))
        return profile_points(model_a, sets, points, thetas, "line", backend)
    classifier = hasattr(estimator_of(model_a), "classes_")
    loss, error = {}, {}
    t: np.ndarray | None = None
    for name, (X, y) in sets.items():
        for metric in ("loss", "accuracy") if classifier else ("loss",):
            line = loss_line(
                model_a, X, y, to=theta_b, span=(0.0, 1.0), resolution=resolution,
                metric=metric, data_name=name, backend=backend, threads=threads,
            )  # fmt: skip
            t = line.alpha
            if metric == "loss":
                loss[name] = line.values
            else:
                error[name] = 1.0 - line.values
    info = {"model": type(estimator_of(model_a)).__name__, "loss": line.info["loss"]}
    assert t is not None  # data_sets gives at least one set
    return PathProfile(t, loss, error, "line", info)


def linear_barrier(
    model_a: Any,
    model_b: Any,
    X: ArrayLike | None = None,
    y: ArrayLike | None = None,
    *,
    data: Mapping[str, tuple[ArrayLike, ArrayLike]] | None = None,
    resolution: int | tuple[int, int] = 51,
    backend: str | None = None,
    threads: int | None = None,
) -> PathProfile:
    """Loss and error on the straight line between two networks, and its barriers.

    ``theta(t) = (1 - t) theta_a + t theta_b`` for ``t`` in [0, 1], evaluated by the
    loss-line engine (its threads and tiles), on one or several data sets.

    Parameters
    ----------
    model_a, model_b : fitted fastnn models
        Two models of one layout: the same kind of estimator, layer widths, activations,
        loss, classes, biases and preprocessing (native, ``from_sklearn`` or
        ``from_torch``; linear models too).  Anything else is a one-line ``ValueError``
        naming what differs.
    X, y : array-like, optional
        A data set, named ``"train"``.
    data : dict of str to (X, y), optional
        More data sets (e.g. ``{"test": (X_test, y_test)}``), evaluated on the same line.
    resolution : int, default 51
        Points of ``t``, both ends included.
    backend : {"numba", "numpy"}, optional
    threads : int, optional

    Returns
    -------
    PathProfile
        ``loss_barrier`` and ``error_barrier`` give the barriers per data set.
    """
    check_same_function(model_a, model_b, networks_only=False)
    sets = data_sets(X, y, data)
    points = check_resolution(resolution, pair=False)
    if points < 3:
        raise ValueError(f"resolution must be >= 3 for a barrier; got {resolution!r}")
    return profile_line(model_a, model_b, sets, points, backend, threads)
