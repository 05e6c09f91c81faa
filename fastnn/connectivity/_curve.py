"""Curves of low loss between two networks (Garipov et al. 2018, ``dnn-mode-connectivity``).

A curve ``theta(t)``, ``t`` in [0, 1], joins ``theta_a`` and ``theta_b`` through a *bend*:
a quadratic Bezier curve ``(1 - t)^2 theta_a + 2 t (1 - t) bend + t^2 theta_b``, or a
polygonal chain of two segments with the bend at ``t = 1/2``.  The ends stay fixed; the
bend is trained to minimise the expected loss along the curve, ``E_{t ~ U(0, 1)}
L(theta(t))``: every minibatch draws its own ``t``, and the bend's stochastic gradient is
the network's gradient at ``theta(t)`` times the bend's weight in ``theta(t)``
(:mod:`fastnn.kernels.train_curve`, one numba call per chunk of epochs).  The bend starts
at the midpoint of the straight line (Garipov et al.'s linear initialisation).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fastnn._backends import backend_module
from fastnn._builds import blas_threads, mlp_blas_threads
from fastnn._codes import ADAM, CURVE_CODES, DIVERGED, DIVERGENCE_RATIO, MOMENTUM
from fastnn._training import mlp_settings, mlp_state, train
from fastnn._validation import (
    check_batch_size,
    check_int,
    check_nonnegative,
    check_open_fraction,
    check_option,
    check_positive,
    check_random_state,
    check_resolution,
)
from fastnn.connectivity._pair import check_same_function, data_sets, estimator_of
from fastnn.connectivity._path import PathProfile, profile_line, profile_points
from fastnn.exceptions import DivergenceWarning
from fastnn.layout import MLPLayout
from fastnn.model import as_loss_model

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fastnn._typing import ArrayLike, Seed
    from fastnn.surface._plane import Plane
    from fastnn.surface._result import Surface


OPTIMIZERS = ("sgd", "adam")


def curve_weights(t, kind: str) -> np.ndarray:
    """The weights of ``(theta_a, bend, theta_b)`` in ``theta(t)``: shape ``(t.size, 3)``.

    As :mod:`fastnn.kernels.train_curve` forms them, vectorised over ``t``.
    """
    t = np.ravel(np.asarray(t, dtype=np.float64))
    if kind == "bezier":
        return np.stack([(1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t), t * t], axis=1)
    first = t < 0.5
    return np.stack(
        [
            np.where(first, 1.0 - 2.0 * t, 0.0),
            np.where(first, 2.0 * t, 2.0 - 2.0 * t),
            np.where(first, 0.0, 2.0 * t - 1.0),
        ],
        axis=1,
    )


def curve_points(theta_a, bend, theta_b, t, kind: str) -> np.ndarray:
    """``theta(t)`` for every ``t``: shape ``(t.size, n_params)``."""
    return curve_weights(t, kind) @ np.stack([theta_a, bend, theta_b])


@dataclass(eq=False)
class Curve:
    """A trained curve between two networks (:func:`fastnn.connect`).

    Attributes
    ----------
    kind : {"bezier", "polychain"}
    theta_a, bend, theta_b : ndarray of shape (n_params,)
        The curve's three control points (the ends are the models' parameters).
    profile : PathProfile
        Loss and error along the curve, per data set; its barriers.
    line : PathProfile
        The same along the straight line between the ends, for comparison.
    loss_curve : ndarray
        The training objective per epoch (the mean batch loss at the batches' ``t``).
    n_iter : int
        Epochs trained.
    diverged : bool
        Whether training stopped because the loss diverged (``bend`` is then the bend
        before the last step).
    """

    kind: str
    theta_a: np.ndarray
    bend: np.ndarray
    theta_b: np.ndarray
    profile: PathProfile
    line: PathProfile
    loss_curve: np.ndarray
    n_iter: int
    diverged: bool = False
    info: dict = field(default_factory=dict)

    def points(self, t: ArrayLike) -> np.ndarray:
        """The parameters ``theta(t)`` at every ``t`` (shape ``(len(t), n_params)``)."""
        return curve_points(self.theta_a, self.bend, self.theta_b, np.atleast_1d(t), self.kind)

    def plane(self, *, resolution: int | tuple[int, int] = 51, margin: float = 0.2) -> Plane:
        """The plane through the three control points (:func:`fastnn.plane_through`)."""
        from fastnn.surface import plane_through

        return plane_through(
            self.theta_a, self.bend, self.theta_b, resolution=resolution, margin=margin
        )

    def __repr__(self) -> str:
        train = next(iter(self.profile.loss))
        return (
            f"Curve({self.kind}, {self.n_iter} epochs; {train} loss barrier "
            f"{self.profile.loss_barrier[train]:.4g} along the curve, "
            f"{self.line.loss_barrier[train]:.4g} on the line)"
        )

    def plot(self, ax: Axes | None = None, title: str | None = None) -> Figure:
        """Loss along the curve and along the line, per data set; returns the Figure."""
        from fastnn.plot import plot_path_profile

        fig = plot_path_profile(self.line, ax=ax, title=title, style="--")
        return plot_path_profile(
            self.profile, ax=fig.axes[0], title=title or self._title(), style="-"
        )

    def plot_plane(
        self, surface: Surface, ax: Axes | None = None, title: str | None = None
    ) -> Figure:
        """The curve, the line and the three points on ``surface``, a map of :meth:`plane`."""
        from fastnn.plot import plot_curve_on_plane

        return plot_curve_on_plane(surface, self, ax=ax, title=title)

    def _title(self) -> str:
        return f"{self.info.get('model', 'model')}: {self.kind} curve and straight line"


def _settings(optimizer, learning_rate, momentum, alpha, batch_size, biases):
    return mlp_settings(
        optimizer=ADAM if optimizer == "adam" else MOMENTUM,
        lr=learning_rate,
        batch_size=batch_size,
        momentum=momentum if optimizer == "sgd" else 0.0,
        alpha=alpha,
        biases=biases,
    )


def connect(
    model_a: Any,
    model_b: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    curve: str = "bezier",
    data: Mapping[str, tuple[ArrayLike, ArrayLike]] | None = None,
    epochs: int = 50,
    batch_size: int | str = 128,
    optimizer: str = "sgd",
    learning_rate: float = 0.01,
    momentum: float = 0.9,
    alpha: float = 0.0,
    resolution: int | tuple[int, int] = 61,
    random_state: Seed = 0,
    backend: str | None = None,
    threads: int | None = None,
) -> Curve:
    """Train a curve of low loss between two networks (Garipov et al. 2018).

    The ends are the two models' parameters and stay fixed; the bend is trained by
    minibatch SGD (with momentum) or Adam on the expected loss over ``t ~ U(0, 1)``, one
    ``t`` per minibatch (see :mod:`fastnn.connectivity._curve`).

    Parameters
    ----------
    model_a, model_b : fitted fastnn networks of one layout
        See :func:`fastnn.linear_barrier`; align ``model_b`` first
        (:func:`fastnn.align`) to find the curve between the aligned solutions.
    X, y : array-like
        The training data (named ``"train"`` in the profiles).
    curve : {"bezier", "polychain"}, default "bezier"
    data : dict of str to (X, y), optional
        More data sets to evaluate the curve and the line on (e.g. a test set).
    epochs : int, default 50
    batch_size : int, default 128
        Capped at the number of samples.
    optimizer : {"sgd", "adam"}, default "sgd"
    learning_rate : float, default 0.01
    momentum : float, default 0.9
        SGD's momentum (ignored by Adam).
    alpha : float, default 0.0
        L2 penalty on the bend's weights, ``alpha / (2 B) ||W_bend||^2`` per batch of B.
    resolution : int, default 61
        Points of ``t`` at which the trained curve and the line are evaluated.
    random_state : int or Generator, default 0
        Draws the sample orders and the ``t`` of every batch.
    backend : {"numba", "numpy"}, optional
    threads : int, optional
        Threads of the line's evaluation.

    Returns
    -------
    Curve
        The bend, loss and error along the curve and the line, their barriers, the
        training history.  A diverging run stops, warns (``DivergenceWarning``) and
        keeps the bend before the last step.
    """
    check_same_function(model_a, model_b)
    kind = check_option(curve, "curve", tuple(CURVE_CODES))
    optimizer = check_option(optimizer, "optimizer", OPTIMIZERS)
    epochs = check_int(epochs, "epochs")
    learning_rate = check_positive(learning_rate, "learning_rate")
    momentum = check_open_fraction(momentum, "momentum") if momentum else 0.0
    alpha = check_nonnegative(alpha, "alpha")
    points = check_resolution(resolution, pair=False)
    rng = check_random_state(random_state)
    sets = data_sets(X, y, data)
    estimator_a, estimator_b = estimator_of(model_a), estimator_of(model_b)
    backend = backend or estimator_a.backend
    X_train, y_train = sets["train"]
    model = as_loss_model(model_a, X_train, y_train, backend=backend)
    n = model.X.shape[0]
    batch = check_batch_size(batch_size, n)
    settings = _settings(optimizer, learning_rate, momentum, alpha, batch, model.biases)
    theta_a, theta_b = model.theta.copy(), estimator_b.theta_.copy()
    bend = 0.5 * (theta_a + theta_b)
    state = mlp_state(bend, model.loss_at(bend))
    assert isinstance(model.layout, MLPLayout)  # checked_pair takes networks only
    sizes, activation, loss = model.layout.sizes, model.activation, model.loss
    code = CURVE_CODES[kind]
    n_batches = -(-n // batch)
    order_rng, t_rng = rng.spawn(2)
    impl = backend_module(backend)

    def run_epochs(order, loss_curve, rows):
        ts = t_rng.random((order.shape[0], n_batches))
        return impl.curve_train(
            model.X, model.target, theta_a, bend, theta_b, sizes, activation, loss, code,
            settings, order, ts, state, loss_curve,
        )  # fmt: skip

    with blas_threads(mlp_blas_threads(sizes, batch)):
        run = train(
            run_epochs, n_epochs=epochs, n_samples=n, n_params=bend.size, record_every=0,
            rng=order_rng, steps_per_epoch=n_batches,
        )  # fmt: skip
    if run.reason == DIVERGED:
        warnings.warn(
            f"connect: training the bend diverged at epoch {run.n_iter} (optimizer="
            f"{optimizer!r}, learning_rate={learning_rate}): the loss became non-finite or "
            f"rose above {DIVERGENCE_RATIO:g} times its first value. The bend is the one "
            "before the last step; lower learning_rate.",
            DivergenceWarning,
            stacklevel=2,
        )
    t = np.linspace(0.0, 1.0, points)
    profile = profile_points(
        model_a, sets, t, curve_points(theta_a, bend, theta_b, t, kind), kind, backend
    )
    line = profile_line(model_a, model_b, sets, points, backend, threads)
    info = {**profile.info, "optimizer": optimizer, "epochs": epochs, "batch_size": batch}
    return Curve(
        kind, theta_a, bend, theta_b, profile, line, run.loss_curve, run.n_iter,
        run.reason == DIVERGED, info,
    )  # fmt: skip
