"""The plane of a loss surface: an origin, two directions and the grid axes along them.

Every grid point is ``theta = origin + a[i] * u + b[j] * v``, formed afresh per point
(no stepping, so no drift).  For two named parameters the origin is the centre with
those two entries set to 0 and ``u``, ``v`` are unit vectors: the axes then hold the
parameter values themselves, and a grid point sets them exactly.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from fastnn._validation import (
    check_option,
    check_paths,
    check_random_state,
    check_resolution,
    check_vector,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from fastnn._typing import ArrayLike, Seed
    from fastnn.surface._result import Surface


DIRECTION_KINDS = ("random", "filter", "pca", "hessian", "hessian-extremes")


class PlaneParameters(NamedTuple):
    """A plane's origin and directions in another library's parameter format."""

    origin: object
    u: object
    v: object


BIAS_OPTIONS = ("zero", "keep")


@dataclass(eq=False)
class Plane:
    """A plane of parameter space and its grid: ``theta = origin + a[i] u + b[j] v``.

    A value: build it once (:meth:`build`, :meth:`from_surface`, :meth:`from_vectors`)
    and pass it as ``plane=`` to :func:`fastnn.loss_surface`,
    :func:`fastnn.loss_surfaces` or :func:`fastnn.curvature_surface` -- with other data,
    other metrics, or another model of the same number of parameters -- to get values at
    exactly the same points.  Every surface keeps its plane (:attr:`Surface.plane`).

    Attributes
    ----------
    origin : ndarray of shape (n_params,)
        The centre, with the two parameters of a ``params`` plane set to 0 (the axes then
        hold their values).
    u, v : ndarray of shape (n_params,)
        The directions (unit vectors along the two parameters of a ``params`` plane).
    a, b : ndarray
        The grid axes.
    mode : {"params", "directions", "line"}
    kind : str
        How the directions were made: "params", "random", "filter", "pca", "hessian",
        "hessian-extremes", "vectors".
    params : pair of int or None
        The two parameter positions of a ``params`` plane.
    info : dict
        What a figure and a result record about it (cos(u, v), explained variance, ...).
    center : ndarray or None
        The model's parameters at the centre (default: ``origin``).
    labels : pair of str or None
        Axis labels (parameter names, or "alpha" / "beta").
    """

    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray
    a: np.ndarray
    b: np.ndarray
    mode: str  # "params", "directions" or "line"
    kind: str  # "params", "random", "filter", "pca", "vectors", "line", ...
    params: tuple[int, int] | None = None
    info: dict = field(default_factory=dict)
    center: np.ndarray | None = None
    labels: tuple[str, str] | None = None

    def __post_init__(self):
        if self.center is None:
            self.center = self.origin
        if self.labels is None:
            if self.params is not None:
                first, second = self.params
                self.labels = (f"theta[{first}]", f"theta[{second}]")
            else:
                self.labels = ("alpha", "beta")

    @property
    def directions(self) -> np.ndarray:
        """``u`` and ``v`` as a (2, n_params) array."""
        return np.stack([self.u, self.v])

    @property
    def shape(self) -> tuple[int, int]:
        """Grid points along each axis."""
        return self.a.size, self.b.size

    @property
    def n_params(self) -> int:
        return self.origin.size

    def theta(self, i: int, j: int) -> np.ndarray:
        """The parameters at grid point ``(i, j)``."""
        return self.origin + self.a[i] * self.u + self.b[j] * self.v

    def to_torch(self, module: Any, *, vector: bool = False) -> PlaneParameters:
        """The origin and directions as a torch module's own parameters.

        Parameters
        ----------
        module : torch.nn.Sequential
            The module the surface's model was imported from (:func:`fastnn.from_torch`).
        vector : bool, default False
            Flat tensors in ``torch.nn.utils.parameters_to_vector``'s order instead of
            one tensor per parameter.

        Returns
        -------
        PlaneParameters
            ``(origin, u, v)``, each as :func:`fastnn.interop.to_torch` returns it: grid
            point ``(i, j)`` is ``origin + a[i] * u + b[j] * v``, tensor by tensor.
        """
        from fastnn.interop import to_torch

        return PlaneParameters(
            to_torch(self.origin, module, vector=vector),
            *(to_torch(d, module, vector=vector, direction=True) for d in (self.u, self.v)),
        )

    def to_sklearn(self, estimator: Any) -> PlaneParameters:
        """The origin and directions as a scikit-learn model's attributes.

        Parameters
        ----------
        estimator : scikit-learn estimator
            The model the surface's model was imported from (:func:`fastnn.from_sklearn`).

        Returns
        -------
        PlaneParameters
            ``(origin, u, v)``, each a dict as :func:`fastnn.interop.to_sklearn` returns
            it (``coefs_`` / ``intercepts_`` lists, or ``coef_`` / ``intercept_``): grid
            point ``(i, j)`` is ``origin + a[i] * u + b[j] * v``, array by array.
        """
        from fastnn.interop import to_sklearn

        return PlaneParameters(*(to_sklearn(x, estimator) for x in (self.origin, self.u, self.v)))

    def __repr__(self) -> str:
        axes = describe_axes(self.labels or ("alpha", "beta"), self.a, self.b)
        return f"Plane({self.kind}, {axes}, {self.n_params} parameters)"

    @classmethod
    def build(
        cls,
        model: Any,
        X: ArrayLike,
        y: ArrayLike,
        *,
        params: Sequence[int | str] | None = None,
        directions: str | ArrayLike | Surface | None = None,
        span: float | Sequence[float] | Sequence[tuple[float, float]] | None = None,
        resolution: int | tuple[int, int] = 51,
        center: ArrayLike | None = None,
        random_state: Seed | None = None,
        bias: str = "zero",
        orthogonalize: bool = False,
        trajectory: ArrayLike | Mapping[str, ArrayLike] | None = None,
        backend: str | None = None,
    ) -> Plane:
        """The plane :func:`fastnn.loss_surface` would build from these arguments.

        The arguments are ``loss_surface``'s (``directions`` a string or vectors, not a
        Surface: use :meth:`from_surface`).  ``X``, ``y`` are needed by Hessian
        directions and define the model's encoding of the targets; the plane itself
        never depends on the data, so it can be evaluated on any data set.
        """
        from fastnn.model import as_loss_model

        loss_model = as_loss_model(model, X, y, center=center, backend=backend)
        if isinstance(directions, str) and directions == "pca" and trajectory is None:
            trajectory = getattr(model, "trajectory_", None)
        return model_plane(
            loss_model, params, directions, span, resolution, random_state, bias,
            orthogonalize, trajectory,
        )  # fmt: skip

    @classmethod
    def from_surface(cls, surface: Surface) -> Plane:
        """The plane and grid of a :class:`~fastnn.Surface`, exactly (centre, directions, axes)."""
        a, b = np.array(surface.a, dtype=np.float64), np.array(surface.b, dtype=np.float64)
        u, v = (np.array(d, dtype=np.float64) for d in surface.directions)
        center = np.array(surface.center, dtype=np.float64)
        origin = center.copy()
        labels = (str(surface.labels[0]), str(surface.labels[1]))
        if surface.params is not None:
            params = (int(surface.params[0]), int(surface.params[1]))
            origin[list(params)] = 0.0
            return cls(origin, u, v, a, b, "params", "params", params, {}, center, labels)
        kind = surface.info.get("directions", "vectors")
        kept = ("cos_uv", "explained_variance_ratio")
        info = {k: surface.info[k] for k in kept if k in surface.info}
        info["directions"] = kind
        return cls(origin, u, v, a, b, "directions", kind, None, info, center, labels)

    @classmethod
    def from_vectors(
        cls,
        center: ArrayLike,
        u: ArrayLike,
        v: ArrayLike,
        span: float | Sequence[float] | Sequence[tuple[float, float]] = 1.0,
        resolution: int | tuple[int, int] = 51,
    ) -> Plane:
        """The plane ``center + a u + b v`` of explicit vectors (no model needed).

        ``span`` and ``resolution`` as in :func:`fastnn.loss_surface`.
        """
        center = check_vector(center, "center")
        u = check_vector(u, "directions[0] (u)", size=center.size).copy()
        v = check_vector(v, "directions[1] (v)", size=center.size).copy()
        _unit(u, "u")
        _unit(v, "v")
        info = {"cos_uv": check_not_parallel(u, v), "directions": "vectors"}
        a, b = make_axes(span, resolution)
        return cls(center.copy(), u, v, a, b, "directions", "vectors", None, info, center.copy())


def describe_axes(labels: Sequence[str], a: np.ndarray, b: np.ndarray) -> str:
    """``"Ga x Gb, label in [lo, hi], label in [lo, hi]"``: a grid in a result's repr."""
    return (
        f"{a.size} x {b.size}, {labels[0]} in [{a[0]:.4g}, {a[-1]:.4g}], "
        f"{labels[1]} in [{b[0]:.4g}, {b[-1]:.4g}]"
    )


def check_reachable(plane: Plane, name: str) -> None:
    """ValueError naming ``name`` when the grid's corners leave float64's range.

    Parameters are affine in the coordinates, so the corners bound every grid point.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        corners = [
            plane.origin + a * plane.u + b * plane.v
            for a in (plane.a[0], plane.a[-1])
            for b in (plane.b[0], plane.b[-1])
        ]
    if not (np.all(np.isfinite(plane.a)) and np.all(np.isfinite(plane.b))) or not all(
        np.all(np.isfinite(c)) for c in corners
    ):
        raise ValueError(
            f"{name}: the grid reaches parameters beyond the float64 range (axes "
            f"[{plane.a[0]:.3g}, {plane.a[-1]:.3g}] x [{plane.b[0]:.3g}, {plane.b[-1]:.3g}]); "
            "use a smaller span"
        )


# -- axes ---------------------------------------------------------------------------------
def _symmetric_offsets(half_width: float, n: int) -> np.ndarray:
    """``half_width * linspace(-1, 1, n)``, exactly antisymmetric (0 itself in the middle)."""
    t = np.linspace(-1.0, 1.0, n)
    with np.errstate(over="ignore"):  # an axis beyond float64: check_reachable says so
        return half_width * (t - t[::-1]) / 2.0


def make_axis(spec, centre: float, n: int, name: str) -> np.ndarray:
    """One axis: ``centre + h * linspace(-1, 1, n)`` (half-width h) or ``linspace(lo, hi, n)``."""
    if isinstance(spec, (tuple, list, np.ndarray)):
        if len(spec) != 2:
            raise ValueError(f"span for {name} must be a half-width or a (low, high) range")
        lo, hi = (float(x) for x in spec)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(
                f"span for {name}: the range ({lo}, {hi}) must be finite with low < high"
            )
        return np.linspace(lo, hi, n)
    if isinstance(spec, bool) or not isinstance(spec, numbers.Real):
        raise ValueError(f"span must be a number, a pair, or a pair of ranges; got {spec!r}")
    h = float(spec)
    if not np.isfinite(h) or h <= 0.0:
        raise ValueError(
            f"span for {name} must be a positive, finite half-width; got {spec!r} "
            "(a zero-length span has no surface)"
        )
    return centre + _symmetric_offsets(h, n)


def make_axes(span, resolution, centres=(0.0, 0.0), names=("a", "b")):
    """Grid axes from ``span`` (h, (ha, hb) or ((lo, hi), (lo, hi))) and ``resolution``."""
    ga, gb = check_resolution(resolution)
    if isinstance(span, (tuple, list)) and len(span) == 2:
        spec_a, spec_b = span
    elif isinstance(span, (tuple, list)):
        raise ValueError(f"span must be one half-width or a pair; got {span!r}")
    else:
        spec_a = spec_b = span
    return make_axis(spec_a, centres[0], ga, names[0]), make_axis(spec_b, centres[1], gb, names[1])


# -- directions ---------------------------------------------------------------------------
def _unit(w: np.ndarray, name: str) -> np.ndarray:
    norm = np.linalg.norm(w)
    if norm == 0.0:
        raise ValueError(f"direction {name} is zero: it spans no axis of the plane")
    return w / norm


def check_not_parallel(u: np.ndarray, v: np.ndarray) -> float:
    """cos(u, v); raises when the two directions are (numerically) parallel."""
    cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    if abs(cos) > 1.0 - 1e-12:
        raise ValueError(
            f"directions u and v are parallel (cos = {cos:.15f}): they span a line, not a plane"
        )
    return cos


def filter_normalize(
    direction: np.ndarray, theta: np.ndarray, filters: Any, bias: str
) -> np.ndarray:
    """Rescale each filter of ``direction`` to the norm of the same filter of ``theta``.

    A filter is the incoming weights of one unit (a column of a layer's weight
    matrix), as in Li et al. (2018).  ``filters(vector)`` gives the (weights, biases)
    views per layer.  Biases: ``"zero"`` sets them to 0 in the direction; ``"keep"``
    rescales each layer's bias vector, as one filter, to the norm of theta's.
    """
    d = direction.copy()
    for (w_d, b_d), (w_t, b_t) in zip(filters(d), filters(theta), strict=True):
        norms_d = np.linalg.norm(w_d, axis=0)
        norms_t = np.linalg.norm(w_t, axis=0)
        w_d *= np.divide(norms_t, norms_d, out=np.zeros_like(norms_t), where=norms_d > 0)
        if bias == "zero":
            b_d[...] = 0.0
        else:
            nd, nt = np.linalg.norm(b_d), np.linalg.norm(b_t)
            b_d *= nt / nd if nd > 0 else 0.0
    return d


def gram_schmidt(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """V made orthogonal to u, keeping v's norm."""
    w = v - (np.dot(u, v) / np.dot(u, u)) * u
    norm = np.linalg.norm(w)
    if norm == 0.0:
        raise ValueError("directions u and v are parallel: nothing is left of v after Gram-Schmidt")
    return w * (np.linalg.norm(v) / norm)


def pca_directions(
    trajectory: np.ndarray, center: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Top-2 principal directions of the trajectory's offsets from the centre.

    The SVD of ``M = trajectory - center`` (no further centring), so that projecting
    the path onto the plane leaves exactly the discarded singular values as residual.
    Returns (u, v, explained variance ratios of all components, singular values).
    """
    offsets = trajectory - center
    _, s, vt = np.linalg.svd(offsets, full_matrices=False)
    if s.size < 2 or s[1] <= s[0] * 1e-12:
        raise ValueError(
            "directions='pca': the trajectory spans fewer than 2 dimensions around the centre "
            f"(singular values {np.round(s[:3], 12).tolist()}); record more steps or pick "
            "other directions"
        )
    u, v = vt[0].copy(), vt[1].copy()
    for w in (u, v):  # a deterministic sign: largest component positive
        if w[np.argmax(np.abs(w))] < 0:
            w *= -1.0
    return u, v, s**2 / np.sum(s**2), s


def draw_directions(kind, model, random_state, bias, trajectory):
    """(u, v, info) for ``directions=kind`` around ``model.theta`` (``model``: a LossModel)."""
    center = model.theta
    n = model.n_params
    fixed = model.fixed  # the biases a network lacks are not parameters
    if isinstance(kind, str):
        if kind == "pca":
            u, v, ratios, singular = pca_directions(trajectory, center)
            if fixed is not None:  # the path keeps them at 0; rounding-level residue off
                u[fixed], v[fixed] = 0.0, 0.0
            return u, v, {"explained_variance_ratio": ratios[:2].tolist()}
        if kind in ("hessian", "hessian-extremes"):
            return hessian_directions(model, kind, random_state)
        rng = check_random_state(random_state)
        u, v = rng.standard_normal(n), rng.standard_normal(n)
        if fixed is not None:
            u[fixed], v[fixed] = 0.0, 0.0
        if kind == "random":
            return _unit(u, "u"), _unit(v, "v"), {}
        u = filter_normalize(u, center, model.layout.filters, bias)
        v = filter_normalize(v, center, model.layout.filters, bias)
        if not np.any(u) or not np.any(v):
            raise ValueError(
                "directions='filter': every filter of the centre has norm 0, so the "
                "filter-normalised directions are zero; use directions='random'"
            )
        return u, v, {}
    if isinstance(kind, np.ndarray) and kind.ndim == 2:
        kind = tuple(kind)  # a Surface's (2, n_params) directions
    if not isinstance(kind, (tuple, list)) or len(kind) != 2:
        raise ValueError(
            "directions must be 'random', 'filter', 'pca', a pair of vectors (u, v), a "
            f"(2, n_params) array or a Surface; got {kind!r}"
        )
    u = check_vector(kind[0], "directions[0] (u)", size=n)
    v = check_vector(kind[1], "directions[1] (v)", size=n)
    model.check_free(u, "directions[0] (u)")
    model.check_free(v, "directions[1] (v)")
    _unit(u, "u")
    _unit(v, "v")
    return u.copy(), v.copy(), {}


def hessian_directions(model, kind, random_state):
    """Eigenvectors of the Hessian at the centre (data term): (u, v, info).

    ``"hessian"``: the two largest eigenvalues' (the sharpest directions);
    ``"hessian-extremes"``: the largest and the smallest (most negative) one's.
    """
    from fastnn._spectrum import auto_method, eigenpairs

    if model.n_params < 2:
        raise ValueError(f"directions={kind!r} needs a model of at least 2 parameters")

    def top(k, which):
        method = auto_method(model.n_params, k)
        rng = None if method == "dense" else check_random_state(random_state)
        return eigenpairs(model, k, which, method, 0.0, rng)[:2]

    if kind == "hessian":
        values, (u, v) = top(2, "largest")
    else:
        (high, (u,)), (low, (v,)) = top(1, "largest"), top(1, "smallest")
        values = np.r_[high, low]
    return u.copy(), v.copy(), {"hessian_eigenvalues": [float(x) for x in values]}


def project(path, center, directions, params=None):
    """Coordinates ``(n_steps, 2)`` of parameter vectors in a plane, and their residuals.

    For ``params`` the two parameters' values (residual 0: the other parameters are read
    as fixed); for directions ``(u, v)`` the least-squares solution of
    ``theta - center = a u + b v`` and the norm of what lies off the plane.
    """
    if params is not None:
        return path[:, list(params)].copy(), np.zeros(path.shape[0])
    basis = directions.T
    offsets = (path - center).T
    coords = np.linalg.lstsq(basis, offsets, rcond=None)[0].T
    return coords, np.linalg.norm(offsets - basis @ coords.T, axis=0)


# -- planes of loss_surface ------------------------------------------------------------------
def params_plane(loss_model, params, span, resolution) -> Plane:
    """The plane of two named parameters (see the module docstring)."""
    if not isinstance(params, (tuple, list)) or len(params) != 2:
        raise ValueError(f"params must be a pair of parameter indices or names; got {params!r}")
    i, j = (loss_model.layout.param_index(p) for p in params)
    if i == j:
        raise ValueError(f"params must name two different parameters; both are {i}")
    fixed = loss_model.fixed
    for k in (i, j):
        if fixed is not None and fixed[k]:
            raise ValueError(
                f"params: {loss_model.layout.param_name(k)} is a bias of a layer without "
                f"biases (biases={loss_model.biases}): not a parameter of this model; name "
                "another"
            )
    center = loss_model.theta
    a, b = make_axes(
        1.0 if span is None else span,
        resolution,
        centres=(center[i], center[j]),
        names=(loss_model.layout.param_name(i), loss_model.layout.param_name(j)),
    )
    origin = center.copy()
    origin[[i, j]] = 0.0
    u = np.zeros(loss_model.n_params)
    v = np.zeros(loss_model.n_params)
    u[i] = 1.0
    v[j] = 1.0
    labels = (loss_model.layout.param_name(i), loss_model.layout.param_name(j))
    return Plane(origin, u, v, a, b, "params", "params", (i, j), {}, center.copy(), labels)


def directions_plane(
    loss_model, directions, span, resolution, random_state, bias, orthogonalize, trajectory
) -> Plane:
    """The plane ``center + a u + b v`` of ``directions`` (see :func:`fastnn.loss_surface`)."""
    bias = check_option(bias, "bias", BIAS_OPTIONS)
    name = directions if isinstance(directions, str) else None
    if name is not None:
        check_option(directions, "directions", DIRECTION_KINDS)
    if name == "pca":
        if trajectory is None:
            raise ValueError(
                "directions='pca' needs an optimiser trajectory: fit the model with "
                "record_trajectory=True (it then has trajectory_) or pass trajectory="
            )
        # several paths: the principal directions of their union
        trajectory = np.vstack(list(check_paths(trajectory, loss_model.n_params).values()))
    u, v, info = draw_directions(directions, loss_model, random_state, bias, trajectory)
    if orthogonalize:
        v = gram_schmidt(u, v)
    try:
        info["cos_uv"] = check_not_parallel(u, v)
    except ValueError as exc:
        if name != "filter":
            raise
        raise ValueError(
            f"{exc}. Filter normalisation leaves too few dimensions for this model (one "
            "weight per filter and the biases zeroed): try bias='keep' or directions='random'"
        ) from None
    info["directions"] = name or "vectors"
    if span is None and name == "pca":
        # Cover the projected path, with a margin of a quarter of its extent.
        coords = project(trajectory, loss_model.theta, np.stack([u, v]))[0]
        span = []
        for c in coords.T:
            lo, hi = min(c.min(), 0.0), max(c.max(), 0.0)
            margin = 0.25 * (hi - lo) if hi > lo else 1.0
            span.append((lo - margin, hi + margin))
    a, b = make_axes(1.0 if span is None else span, resolution)
    return Plane(loss_model.theta.copy(), u, v, a, b, "directions", name or "vectors", info=info)


def model_plane(
    loss_model, params, directions, span, resolution, random_state, bias, orthogonalize,
    trajectory,
) -> Plane:  # fmt: skip
    """The plane of :func:`fastnn.loss_surface`'s plane arguments around ``loss_model.theta``.

    Default: the two parameters of a model that has two, else filter-normalised
    directions.  Refused when the grid leaves float64's range.
    """
    if params is not None and directions is not None:
        raise ValueError("pass either params= or directions=, not both")
    if params is None and directions is None:
        if loss_model.n_params == 2:
            params = (0, 1)
        else:
            directions = "filter"
    if params is not None:
        plane = params_plane(loss_model, params, span, resolution)
    else:
        plane = directions_plane(
            loss_model, directions, span, resolution, random_state, bias, orthogonalize, trajectory
        )
    check_reachable(plane, "span")
    return plane


def check_plane(plane, loss_model, name: str = "plane") -> Plane:
    """``plane`` checked against the model it is evaluated for (same number of parameters)."""
    if not isinstance(plane, Plane):
        raise ValueError(f"{name} must be a fastnn.Plane; got {type(plane).__name__}")
    if plane.n_params != loss_model.n_params:
        raise ValueError(
            f"{name}: the plane is a plane of {plane.n_params} parameters; this model has "
            f"{loss_model.n_params}"
        )
    return plane


def _parameters_of(point, name: str, size: int | None = None) -> np.ndarray:
    """A model's fitted parameters, or a parameter vector."""
    theta = getattr(getattr(point, "estimator", point), "theta_", None)
    return check_vector(point if theta is None else theta, name, size=size)


def plane_through(
    theta_a: ArrayLike,
    theta_bend: ArrayLike,
    theta_b: ArrayLike,
    *,
    resolution: int | tuple[int, int] = 51,
    margin: float = 0.2,
) -> Plane:
    """The plane through three points of parameter space, e.g. a curve's control points.

    Garipov et al.'s plane: origin ``theta_a``, ``u`` the unit vector towards
    ``theta_b``, ``v`` the unit vector of ``theta_bend - theta_a`` orthogonal to ``u``.
    A quadratic Bezier curve, a two-segment chain through the three points and the
    straight line from ``theta_a`` to ``theta_b`` all lie in it, so
    ``loss_surface(model, X, y, plane=plane_through(...))`` maps the landscape they cross
    and :meth:`Surface.plot` draws them exactly (pass their points as ``trajectory``).

    Parameters
    ----------
    theta_a, theta_bend, theta_b : ndarray of shape (n_params,) or fitted fastnn models
    resolution : int or pair of int, default 51
    margin : float, default 0.2
        The grid covers the three points plus this fraction of their extent on each side.

    Returns
    -------
    Plane
        ``info["points"]`` holds the three points' ``(a, b)`` coordinates.
    """
    a_point = _parameters_of(theta_a, "theta_a")
    bend = _parameters_of(theta_bend, "theta_bend", a_point.size)
    b_point = _parameters_of(theta_b, "theta_b", a_point.size)
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not float(margin) >= 0:
        raise ValueError(f"margin must be a number >= 0; got {margin!r}")
    along = b_point - a_point
    length = float(np.linalg.norm(along))
    if length == 0.0:
        raise ValueError("theta_a equals theta_b: no plane runs through the three points")
    u = along / length
    offset = bend - a_point
    across = offset - (offset @ u) * u
    height = float(np.linalg.norm(across))
    if height <= 1e-12 * max(length, float(np.linalg.norm(offset))):
        raise ValueError(
            "theta_bend lies on the line from theta_a to theta_b: the three points span no plane"
        )
    v = across / height
    coords = np.array([[0.0, 0.0], [offset @ u, offset @ v], [length, 0.0]])
    span = []
    for lo, hi in zip(coords.min(axis=0), coords.max(axis=0), strict=True):
        pad = float(margin) * (hi - lo)
        span.append((lo - pad, hi + pad))
    a, b = make_axes(span, resolution)
    info = {
        "directions": "through",
        "cos_uv": 0.0,
        "points": {"a": coords[0].tolist(), "bend": coords[1].tolist(), "b": coords[2].tolist()},
    }
    labels = ("along theta_b - theta_a", "towards the bend")
    plane = Plane(a_point.copy(), u, v, a, b, "directions", "through", None, info,
                  a_point.copy(), labels)  # fmt: skip
    check_reachable(plane, "margin")
    return plane
