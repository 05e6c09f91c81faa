"""Curvature of the loss: exact Hessian-vector products, the Hessian, its spectrum.

Everything here is built on one operation, the exact product of the Hessian of the mean
loss with a block of vectors (:meth:`fastnn.model.LossModel.hvp`: closed forms for linear
and logistic regression, Pearlmutter's R-operator for networks; one pass over the data
per block).  On it:

* :func:`hvp` and :func:`hessian` (the dense matrix, by blocks of unit vectors);
* :func:`hessian_eigs`: extreme eigenpairs by Lanczos -- ``scipy.sparse.linalg.eigsh``
  (ARPACK) on a ``LinearOperator`` whose ``matmat`` is the block kernel -- or by dense
  ``numpy.linalg.eigh`` for small models;
* :func:`hessian_trace`: Hutchinson's estimator with seeded Rademacher vectors, a block
  of them per data pass, with its standard error;
* :func:`hessian_density`: the spectral density by stochastic Lanczos quadrature
  (Ghorbani et al. 2019; PyHessian's method), several Lanczos runs in lock step so that
  each step is one block product;
* :func:`curvature_surface`: the extreme eigenvalues at every point of a plane (Li et
  al.'s convexity maps), through :func:`fastnn.loss_surface`'s tile engine.

The model arguments are those of :func:`fastnn.loss_surface`: a fitted estimator (or an
imported one), the data, and ``center=`` (default: the fitted ``theta_``).  The
Hessian is that of the data term, the mean loss the surfaces map; ``penalty=True``
adds the estimator's L2 term ``alpha / (2 n) ||W||^2`` (``alpha / n`` on the weights'
diagonal).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fastnn._spectrum import (
    DENSE_MAX_PARAMS,  # models of up to this many parameters get the dense Hessian
    WHICH,
    HessianOperator,
    auto_method,
    dense_hessian,
    eigenpairs,
    hvp_held,
)
from fastnn._validation import check_allocation, check_int, check_random_state
from fastnn.model import LossModel, as_loss_model
from fastnn.surface import Surface

if TYPE_CHECKING:
    import os
    from typing import Any

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fastnn._typing import ArrayLike, Seed
    from fastnn.surface._result import Surface


__all__ = [
    "DENSE_MAX_PARAMS",
    "CurvatureSurface",
    "HessianEigs",
    "SpectralDensity",
    "curvature_surface",
    "hessian",
    "hessian_density",
    "hessian_eigs",
    "hessian_trace",
    "hvp",
]


def _loss_model(model, X, y, center, backend) -> LossModel:
    if isinstance(model, LossModel):
        return model
    return as_loss_model(model, X, y, center=center, backend=backend)


def _block(v, n_params: int, name: str = "v") -> tuple[np.ndarray, bool]:
    """``v`` as a C-contiguous (k, n_params) float64 block, and whether it was one vector."""
    try:
        arr = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers (a vector or a block of them): {exc}") from None
    single = arr.ndim == 1
    block = arr[None, :] if single else arr
    if block.ndim != 2 or block.shape[1] != n_params or block.shape[0] == 0:
        raise ValueError(
            f"{name} must be a vector of {n_params} entries (the model's parameters) or a "
            f"(k, {n_params}) block of them; got shape {arr.shape}"
        )
    if not np.all(np.isfinite(block)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return np.ascontiguousarray(block), single


def hvp(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    v: ArrayLike,
    *,
    center: ArrayLike | None = None,
    penalty: bool = False,
    backend: str | None = None,
) -> np.ndarray:
    """Exact Hessian-vector product(s) of the mean loss.

    Parameters
    ----------
    model : fastnn estimator or LossModel
        Fitted, imported, or unfitted with ``center=``.
    X, y : array-like
        The data the loss is averaged over.
    v : array-like of shape (n_params,) or (k, n_params)
        One direction or a block of k (one pass over the data for the block).
    center : array-like of shape (n_params,), optional
        Where the Hessian is taken; default the fitted ``theta_``.
    penalty : bool, default False
        Include the estimator's L2 term (``alpha``).
    backend : {"numba", "numpy"}, optional

    Returns
    -------
    ndarray of the shape of ``v``
        ``H v`` (each row of a block times ``H``).

    Examples
    --------
    >>> import fastnn
    >>> X, y = fastnn.data.linear(50, seed=0)
    >>> model = fastnn.LinearRegression().fit(X, y)
    >>> fastnn.hvp(model, X, y, [1.0, 0.0]).shape
    (2,)
    """
    lm = _loss_model(model, X, y, center, backend)
    block, single = _block(v, lm.n_params)
    lm.check_free(block, "v")
    out = hvp_held(lm, lm.theta, block, penalty)
    if lm.fixed is not None:  # the Hessian over the model's parameters: none on absent biases
        out[:, lm.fixed] = 0.0
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"v: H v overflows float64 here (|v| up to {np.max(np.abs(block)):.3g}, |center| "
            f"up to {np.max(np.abs(lm.theta)):.3g}); scale v down (H v is linear in v)"
        )
    return out[0] if single else out


def hessian(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    center: ArrayLike | None = None,
    penalty: bool = False,
    backend: str | None = None,
) -> np.ndarray:
    """The dense Hessian of the mean loss, (n_params, n_params), symmetric.

    Its columns are HVPs of unit vectors, a block of them per pass over the data; the
    result is symmetrised (``(H + H^T) / 2``), removing rounding-level asymmetry.  For a
    network without biases (``biases=False``) it is over the weights alone, in
    ``theta``'s order: (n_weights, n_weights); with some layers' biases (one flag per
    layer), over the weights and those biases.

    Raises
    ------
    ValueError
        The matrix would not fit in memory (use :func:`hessian_eigs` or :func:`hvp`).
    """
    lm = _loss_model(model, X, y, center, backend)
    n = lm.n_free
    check_allocation(16 * n * n, "model", f"the dense Hessian of {n} parameters")
    return dense_hessian(lm, penalty)


@dataclass(frozen=True)
class HessianEigs:
    """Extreme eigenpairs of the Hessian.

    Attributes
    ----------
    values : ndarray of shape (k,)
        In the order ``which`` asks for: largest first, most negative first, or largest
        magnitude first.
    vectors : ndarray of shape (k, n_params)
        Unit eigenvectors, one per row (sign: largest entry positive).
    method : {"dense", "lanczos"}
    n_hvp : int
        Hessian-vector products computed.
    """

    values: np.ndarray
    vectors: np.ndarray
    method: str
    n_hvp: int

    def __iter__(self):
        return iter((self.values, self.vectors))


def hessian_eigs(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    k: int = 2,
    *,
    which: str = "largest",
    center: ArrayLike | None = None,
    penalty: bool = False,
    method: str = "auto",
    tol: float = 0.0,
    random_state: Seed | None = None,
    backend: str | None = None,
) -> HessianEigs:
    """The ``k`` extreme eigenvalues and eigenvectors of the Hessian of the mean loss.

    Parameters
    ----------
    model, X, y, center, penalty, backend
        As :func:`hvp`.
    k : int, default 2
    which : {"largest", "smallest", "magnitude"}, default "largest"
        Algebraically largest (the sharpest directions), smallest (the most negative
        curvature), or largest in magnitude.
    method : {"auto", "dense", "lanczos"}, default "auto"
        "dense": the whole Hessian and ``numpy.linalg.eigh``; "lanczos":
        ``scipy.sparse.linalg.eigsh`` on the HVP operator; "auto": dense up to
        :data:`DENSE_MAX_PARAMS` parameters.
    tol : float, default 0
        eigsh's relative accuracy (0: machine precision).
    random_state : None, int or numpy.random.Generator
        Seeds eigsh's starting vector (repeatable results).

    Returns
    -------
    HessianEigs
        ``values, vectors = hessian_eigs(...)`` unpacks too.
    """
    if which not in WHICH:
        raise ValueError(f"which must be one of {', '.join(map(repr, WHICH))}; got {which!r}")
    if method not in ("auto", "dense", "lanczos"):
        raise ValueError(f"method must be 'auto', 'dense' or 'lanczos'; got {method!r}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0; got {tol!r}")
    lm = _loss_model(model, X, y, center, backend)
    n = lm.n_free
    k = check_int(k, "k", maximum=n)
    if method == "auto":
        method = auto_method(n, k)
    if method == "lanczos" and k >= n:
        raise ValueError(f"k must be below the {n} parameters for method='lanczos'; got {k}")
    if method == "dense":
        check_allocation(16 * n * n, "model", f"the dense Hessian of {n} parameters")
    rng = None if method == "dense" else check_random_state(random_state)
    values, vectors, products = eigenpairs(lm, k, which, method, tol, rng, penalty)
    return HessianEigs(values, vectors, method, products)


def hessian_trace(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_vectors: int = 100,
    block: int = 16,
    center: ArrayLike | None = None,
    penalty: bool = False,
    random_state: Seed | None = None,
    backend: str | None = None,
) -> tuple[float, float]:
    """Hutchinson's estimate of the Hessian's trace, and its standard error.

    ``tr H = E[v^T H v]`` for Rademacher ``v`` (entries +-1): the mean of ``n_vectors``
    draws, computed ``block`` vectors per pass over the data.

    Returns
    -------
    trace, standard_error : float
    """
    lm = _loss_model(model, X, y, center, backend)
    n_vectors = check_int(n_vectors, "n_vectors", minimum=2)
    block = check_int(block, "block")
    check_allocation(8 * n_vectors, "n_vectors", f"{n_vectors} Hutchinson samples")
    # a block of vectors, its products and the kernel's per-vector work space
    width = min(block, n_vectors)
    check_allocation(24 * width * lm.n_params, "block", f"blocks of {width} vectors")
    rng = check_random_state(random_state)
    samples = np.empty(n_vectors)
    product = HessianOperator(lm, penalty)
    for start in range(0, n_vectors, block):
        stop = min(n_vectors, start + block)
        V = rng.choice(np.array([-1.0, 1.0]), size=(stop - start, product.size))
        samples[start:stop] = np.einsum("ij,ij->i", V, product(V))
    return float(samples.mean()), float(samples.std(ddof=1) / np.sqrt(n_vectors))


@dataclass(frozen=True)
class SpectralDensity:
    """A smoothed eigenvalue density of the Hessian (stochastic Lanczos quadrature).

    Attributes
    ----------
    grid : ndarray
        Eigenvalue axis.
    density : ndarray
        Density on ``grid`` (integrates to about 1).
    nodes, weights : ndarray of shape (n_vectors, steps)
        Each Lanczos run's Ritz values and their quadrature weights (sum 1 per run).
    """

    grid: np.ndarray
    density: np.ndarray
    nodes: np.ndarray
    weights: np.ndarray

    def plot(self, ax: Axes | None = None, *, log: bool = True) -> Axes:
        """The density over the eigenvalues (matplotlib Axes), on a log scale by default."""
        import matplotlib.pyplot as plt

        if ax is None:  # pyplot's: the Axes returned, a notebook shows its figure itself
            _, ax = plt.subplots(figsize=(6, 4))
        # six decades below the peak: the gaps between eigenvalue groups stay readable
        floor = 1e-6 * max(float(self.density.max()), 1e-300)
        ax.plot(self.grid, np.maximum(self.density, floor) if log else self.density)
        if log:
            ax.set_yscale("log")
            ax.set_ylim(floor, 3.0 * float(self.density.max()))
        ax.set_xlabel("eigenvalue of the Hessian")
        ax.set_ylabel("density")
        ax.set_title("Hessian spectral density (stochastic Lanczos quadrature)")
        return ax


def _lanczos_block(product: HessianOperator, starts: np.ndarray, steps: int):
    """Lanczos on each row of ``starts`` in lock step (one block HVP per step).

    Full reorthogonalisation against the run's earlier vectors (a few dozen steps: cheap
    next to the HVPs, and it keeps the Ritz values free of ghost copies).  Returns the
    tridiagonals' diagonals and off-diagonals, shape (runs, steps) and (runs, steps - 1);
    a run that finds an invariant subspace early is cut there (its later entries NaN).
    """
    runs, n = starts.shape
    check_allocation(8 * runs * steps * n, "steps", f"{runs} Lanczos bases of {steps} vectors")
    Q = np.zeros((runs, steps, n))
    alpha = np.full((runs, steps), np.nan)
    beta = np.full((runs, max(steps - 1, 0)), np.nan)
    q = starts / np.linalg.norm(starts, axis=1, keepdims=True)
    active = np.ones(runs, dtype=bool)
    for j in range(steps):
        Q[:, j] = q
        w = product(q)
        alpha[active, j] = np.einsum("ij,ij->i", w, q)[active]
        # w -= Q_j (Q_j^T w), twice (classical Gram-Schmidt, repeated for stability)
        for _ in range(2):
            w -= np.einsum("rjn,rj->rn", Q[:, : j + 1], np.einsum("rjn,rn->rj", Q[:, : j + 1], w))
        if j == steps - 1:
            break
        norms = np.linalg.norm(w, axis=1)
        scale = np.maximum(np.abs(alpha[:, j]), 1.0)
        done = norms <= 1e-10 * np.where(np.isnan(scale), 1.0, scale)
        active &= ~done
        beta[active, j] = norms[active]
        q = np.where(active[:, None], w / np.where(norms > 0, norms, 1.0)[:, None], 0.0)
        if not active.any():
            break
    return alpha, beta


def hessian_density(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_vectors: int = 8,
    steps: int | None = None,
    width: float | None = None,
    grid_size: int = 1000,
    center: ArrayLike | None = None,
    penalty: bool = False,
    random_state: Seed | None = None,
    backend: str | None = None,
) -> SpectralDensity:
    """The Hessian's eigenvalue density by stochastic Lanczos quadrature.

    ``n_vectors`` Lanczos runs of ``steps`` steps (default 60, at most the number of
    parameters, where each run has found the whole spectrum) from seeded Gaussian vectors, run
    together (one block HVP per step); each run's tridiagonal gives Ritz values and
    weights (squared first components of its eigenvectors), and the density is their
    average smoothed by a Gaussian of standard deviation ``width`` (default 1% of the
    spectrum's span).

    Returns
    -------
    SpectralDensity
    """
    from scipy.linalg import eigh_tridiagonal

    lm = _loss_model(model, X, y, center, backend)
    n_vectors = check_int(n_vectors, "n_vectors")
    steps = min(60, lm.n_free) if steps is None else steps
    steps = check_int(steps, "steps", maximum=lm.n_free)
    grid_size = check_int(grid_size, "grid_size", minimum=2)
    rng = check_random_state(random_state)
    starts = rng.normal(size=(n_vectors, lm.n_free))
    diagonal, off = _lanczos_block(HessianOperator(lm, penalty), starts, steps)
    nodes = np.full((n_vectors, steps), np.nan)
    weights = np.zeros((n_vectors, steps))
    for r in range(n_vectors):
        m = int(np.sum(~np.isnan(diagonal[r])))
        if m == 1:
            nodes[r, 0], weights[r, 0] = diagonal[r, 0], 1.0
            continue
        theta, S = eigh_tridiagonal(diagonal[r, :m], off[r, : m - 1])
        nodes[r, :m], weights[r, :m] = theta, S[0] ** 2
    found = nodes[~np.isnan(nodes)]
    low, high = float(found.min()), float(found.max())
    span = max(high - low, 1e-12 * max(abs(low), abs(high), 1.0))
    if width is None:
        width = 0.01 * span
    elif isinstance(width, bool) or not isinstance(width, numbers.Real) or not width > 0:
        raise ValueError(f"width must be a number > 0; got {width!r}")
    grid = np.linspace(low - 3 * width, high + 3 * width, grid_size)
    density = np.zeros(grid_size)
    for r in range(n_vectors):
        keep = ~np.isnan(nodes[r])
        gaussians = np.exp(-0.5 * ((grid[:, None] - nodes[r, keep]) / width) ** 2)
        density += gaussians @ weights[r, keep]
    density /= n_vectors * width * np.sqrt(2 * np.pi)
    return SpectralDensity(grid, density, nodes, weights)


@dataclass(frozen=True)
class CurvatureSurface:
    """Extreme Hessian eigenvalues over a plane (:func:`curvature_surface`).

    Attributes
    ----------
    max, min : Surface
        The largest and the smallest eigenvalue at every grid point (same grid).
    """

    max: Surface
    min: Surface

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, verify: bool = False) -> CurvatureSurface:
        """A finished curvature map from one ``.zarr`` store (``curvature_surface(out=...)``).

        Values stay on disk; the axes, centre and directions are checked against the
        SHA-256 the store recorded, and ``verify=True`` reads every tile and checks it.
        """
        from fastnn.grid import open_finished, recorded_argmin

        group, attrs = open_finished(path, verify)
        if attrs.get("map") != "curvature":
            raise ValueError(f"{path} holds a {attrs.get('map', 'surface')} map, not curvature")
        parts = {}
        for k, name in enumerate(("max_eigenvalue", "min_eigenvalue")):
            info = {**attrs["info"], "metric": name, "store": str(path), "field": name}
            info["method"] = name.replace("_", "-")
            argmin = recorded_argmin(group, attrs, name) if k == 0 else None
            if argmin is not None:  # the store's minimum is its first field's
                info["argmin"] = argmin
            params = attrs.get("params")
            parts[name] = Surface(
                a=group["a"][...], b=group["b"][...], values=group[name],
                center=group["center"][...], directions=group["directions"][...],
                center_loss=attrs["center_values"][name],
                params=tuple(params) if params is not None else None,
                labels=tuple(attrs["labels"]), info=info,
            )  # fmt: skip
        return cls(parts["max_eigenvalue"], parts["min_eigenvalue"])

    @property
    def max_eigenvalue(self) -> np.ndarray:
        """The largest eigenvalue at every grid point, shape (len(a), len(b))."""
        return np.asarray(self.max.values)

    @property
    def min_eigenvalue(self) -> np.ndarray:
        """The smallest eigenvalue at every grid point."""
        return np.asarray(self.min.values)

    @property
    def ratio(self) -> np.ndarray:
        """``min_eigenvalue / max_eigenvalue``: negative where the loss is not locally convex.

        Li et al. (2018) colour planes by its absolute value where it is negative; NaN
        where the largest eigenvalue is 0.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self.min_eigenvalue / self.max_eigenvalue
        return np.where(self.max_eigenvalue == 0.0, np.nan, ratio)

    @property
    def a(self) -> np.ndarray:
        """First axis of the grid."""
        return self.max.a

    @property
    def b(self) -> np.ndarray:
        """Second axis of the grid."""
        return self.max.b

    def plot(
        self,
        ax: Axes | None = None,
        *,
        loss: Surface | None = None,
        levels: int = 15,
        title: str | None = None,
    ) -> Figure:
        """Convexity map: the ratio as a heat map (diverging colours, 0 white).

        Blue: locally convex (both eigenvalues positive); red: negative curvature, as
        strong as the positive one at -1.  The scale stops at [-1, 1]: where points lie
        beyond, the colour bar has an arrow and its label the share clipped.  ``loss``
        (a Surface on the same grid, e.g. from ``loss_surface(..., directions=self.max)``)
        adds its contours.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.colors import TwoSlopeNorm

        from fastnn.plot import new_figure

        fig, ax = new_figure(ax, figsize=(6, 5))
        below, above = np.nanmean(self.ratio < -1.0), np.nanmean(self.ratio > 1.0)
        ratio = np.clip(self.ratio, -1.0, 1.0)
        B, A = np.meshgrid(self.b, self.a)
        mesh = ax.pcolormesh(
            A, B, ratio, cmap="RdBu", norm=TwoSlopeNorm(vmin=-1.0, vcenter=0.0, vmax=1.0),
            shading="auto",
        )  # fmt: skip
        # The scale stops at -1 and 1: an arrow, and the share beyond, where points lie
        # outside (negative curvature stronger than the positive one, below -1).
        extend = {(False, False): "neither", (True, False): "min", (False, True): "max",
                  (True, True): "both"}[(bool(below > 0), bool(above > 0))]  # fmt: skip
        beyond = [f"{100 * share:.0f}% {side}" for share, side in
                  ((below, "below -1"), (above, "above 1")) if share > 0]  # fmt: skip
        label = "min / max eigenvalue of the Hessian" + (
            f" ({', '.join(beyond)}: clipped)" if beyond else ""
        )
        fig.colorbar(mesh, ax=ax, extend=extend, label=label)
        if loss is not None:
            if loss.values.shape != ratio.shape or not np.array_equal(loss.a, self.a):
                raise ValueError("loss must be a Surface on the same grid as the curvature")
            values = np.asarray(loss.values)
            if np.ndim(levels) == 0:  # rings that resolve the basin (fastnn.plot.basin_levels)
                from fastnn.plot import basin_depth, basin_levels

                low, high = np.nanmin(values), np.nanmax(values)
                levels = basin_levels(low, high, levels, basin_depth(values, low, high))
            lines = ax.contour(A, B, values, levels=levels, colors="k", linewidths=0.7)
            ax.clabel(
                lines, np.asarray(lines.levels)[::3], fontsize="x-small"
            )  # the basin's rings crowd
        from fastnn.plot import axis_titles

        x_title, y_title = axis_titles(self.max)
        ax.set_xlabel(x_title)
        ax.set_ylabel(y_title)
        model = self.max.info.get("model", "model")
        ax.set_title(title or f"{model}: convexity (min / max Hessian eigenvalue)")
        return fig


def curvature_surface(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    out: str | os.PathLike[str] | np.ndarray | None = None,
    resume: bool = False,
    overwrite: bool = False,
    curvature_tol: float = 0.0,
    **options: Any,
) -> CurvatureSurface:
    """The Hessian's extreme eigenvalues at every point of a plane: a convexity map.

    Every grid point gets the largest and the smallest eigenvalue of the Hessian of the
    mean loss there, in one pass (one dense Hessian and ``eigvalsh`` per point for models
    of up to :data:`DENSE_MAX_PARAMS` parameters, exact; two Lanczos runs sharing the
    point's HVP cache for larger ones): the values of
    ``loss_surface(metric="max_eigenvalue")`` and ``(metric="min_eigenvalue")`` bit for
    bit, at the cost of one.  Tiles, threads, progress, Dask and stores as
    :func:`fastnn.loss_surface` (each point's values depend on its coordinates only).

    Parameters
    ----------
    model, X, y
        As :func:`fastnn.loss_surface`.
    out : str or path ending in .zarr, or pair of (str or path), optional
        One Zarr store holding both fields (``max_eigenvalue``, ``min_eigenvalue``;
        :meth:`CurvatureSurface.load` reads it), or a pair of outputs (``.npy`` files or
        ``.zarr`` stores) for the largest and the smallest eigenvalues, each a complete
        surface of its metric.  All checked before anything is computed.
    resume, overwrite : bool, default False
        As for ``loss_surface``.  With a pair, ``resume`` also starts an output that
        was never created, and either output may come from a ``loss_surface`` run of
        its metric (the values are the same).
    curvature_tol : float, default 0
        Lanczos' relative tolerance for large models.
    **options
        :func:`fastnn.loss_surface`'s plane and run arguments (``plane``,
        ``directions``, ``params``, ``span``, ``resolution``, ``threads``, ``progress``,
        ...).

    Returns
    -------
    CurvatureSurface
    """
    import os

    from fastnn.grid import is_store_path, real_path

    taken = sorted({"metric", "dtype"} & set(options))
    if taken:
        raise ValueError(f"{taken[0]}= does not apply: curvature_surface maps two eigenvalues")
    per_field_resume = None
    if isinstance(out, (tuple, list)) and len(out) == 2:
        paths = [o for o in out if isinstance(o, (str, os.PathLike))]
        if len(paths) == 2 and real_path(paths[0]) == real_path(paths[1]):
            raise ValueError(f"out: both eigenvalues would go to {paths[0]}; give two paths")
        # one interrupted pass may have created one output and not the other: resume
        # starts the missing one (and refuses when neither exists)
        exists = [not isinstance(o, (str, os.PathLike)) or os.path.exists(o) for o in out]
        per_field_resume = [resume and (e or not any(exists)) for e in exists]
    elif out is not None and not (isinstance(out, (str, os.PathLike)) and is_store_path(out)):
        raise ValueError(
            "out must be a pair of paths: (largest eigenvalues, smallest eigenvalues), e.g. "
            "('max.npy', 'min.npy'), or one .zarr store for both"
        )
    from fastnn.surface import curvature_map

    maps = curvature_map(
        model, X, y, out=out, resume=resume, overwrite=overwrite, curvature_tol=curvature_tol,
        per_field_resume=per_field_resume, **options,
    )  # fmt: skip
    return CurvatureSurface(maps["max_eigenvalue"], maps["min_eigenvalue"])
