"""matplotlib figures of fastnn's results.  Nothing here computes a model.

Every function draws on ``ax`` when given (and returns its Figure), or on a new
Figure; none calls ``plt.show()``, so all work headless (Agg).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from fastnn._validation import check_option

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Mapping, Sequence

    from matplotlib.animation import FuncAnimation
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fastnn._typing import ArrayLike
    from fastnn.connectivity._curve import Curve
    from fastnn.connectivity._path import PathProfile
    from fastnn.surface._result import LossLine, Surface
    from fastnn.surface._topology import Topology


SURFACE_KINDS = ("contour", "filled", "3d")


def detached_figure(figsize: tuple[float, float] = (6.4, 4.8)) -> Figure:
    """A new Figure with constrained layout, not pyplot's, that a notebook shows once.

    Not pyplot's: a notebook shows the Figure a ``plot()`` returns once (a pyplot figure is
    also shown when its cell ends: twice), and scripts and servers need no backend.
    IPython shows a bare Figure as a picture only once matplotlib's inline backend has
    registered its formatter, which happens on the first pyplot figure or
    ``%matplotlib inline``; in a kernel running that backend this registers it, so that
    the first figure of a fresh notebook is a picture, not ``<Figure size 640x480>``.
    """
    import sys

    from matplotlib.figure import Figure

    if "ipykernel" in sys.modules:
        import matplotlib

        if matplotlib.get_backend() in ("inline", "module://matplotlib_inline.backend_inline"):
            # Importing the backend module hooks its formatter into the running kernel.
            import matplotlib_inline.backend_inline  # noqa: F401
    return Figure(figsize=figsize, layout="constrained")


def new_figure(
    ax: Axes | None = None,
    *,
    figsize: tuple[float, float] = (6.4, 4.8),
    projection: str | None = None,
) -> tuple[Figure, Axes]:
    """``(figure, axes)``: ``ax``'s, or a new Figure with constrained layout.

    The new Figure is :func:`detached_figure`'s: shown once in a notebook, no backend
    needed.  Constrained layout keeps colour bars and their labels inside the saved image.
    """
    if ax is not None:
        return cast("Figure", ax.figure), ax
    fig = detached_figure(figsize)
    return fig, fig.add_subplot(projection=projection)


def _figure(ax, projection=None):
    return new_figure(ax, projection=projection)


# A figure draws at most this many grid points per axis (every k-th row and column).
MAX_DRAWN_POINTS = 2001


def surface_grid(
    surface: Surface, max_points: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, B, Z)`` for matplotlib: ``Z[j, i]`` is the loss at ``(a[i], b[j])``.

    matplotlib draws ``Z[row, col]`` at ``(x[col], y[row])``; the surface stores
    rows along ``a`` (the horizontal axis), hence the transpose -- done here once,
    so no figure shows a transposed surface (the lecture's mistake 8).  Axes longer
    than ``max_points`` are drawn at every k-th point (a store's values are read in
    that stride, never whole into memory).
    """
    max_points = max_points or MAX_DRAWN_POINTS
    step_a = -(-surface.a.size // max_points)
    step_b = -(-surface.b.size // max_points)
    A, B = np.meshgrid(surface.a[::step_a], surface.b[::step_b])
    return A, B, np.asarray(surface.values[::step_a, ::step_b]).T


# Default contour levels: this many, offset from the minimum by geometric steps from this
# fraction of the value range to all of it (see basin_levels).
DEFAULT_LEVELS = 30
BASIN_DEPTH = 1e-3
# The share of a grid's points inside the lowest ring at most (see basin_depth).
NEAR_MINIMUM_SHARE = 2e-3


def basin_levels(
    low: float, high: float, n: int = DEFAULT_LEVELS, depth: float = BASIN_DEPTH
) -> np.ndarray:
    """Contour levels that resolve a minimum's basin: ``low + (high - low) * geomspace(depth, 1)``.

    Near a minimum a loss grows about quadratically with the distance, so levels whose
    heights above the minimum grow geometrically draw rings at geometrically growing
    distances: the basin is as readable as the rim.  Evenly spaced levels leave the
    lowest tenth of the range with two or three rings; quantiles depend on how far the
    grid extends.  With the defaults, two thirds of the levels lie in the lowest tenth.
    """
    return low + (high - low) * np.geomspace(depth, 1.0, n)


def basin_depth(
    values: np.ndarray,
    low: float,
    high: float,
    depth: float = BASIN_DEPTH,
    share: float = NEAR_MINIMUM_SHARE,
) -> float:
    """The first ring's height over the range for :func:`basin_levels`.

    ``depth``, or less where the minimum lies deeper than that: then the first ring is
    at the height above the minimum below which ``share`` of the grid's points lie, so
    that even a deep, narrow minimum is ringed (a fixed 1e-3 of a range of 76 left a
    minimum of 2.7e-4 inside a blank region 0.076 deep).
    """
    heights = np.asarray(values, dtype=np.float64)
    heights = heights[np.isfinite(heights)] - low
    heights = heights[heights > 0]
    if heights.size == 0 or not high > low:
        return depth
    near = float(np.quantile(heights, share))
    return min(depth, max(near / (high - low), np.finfo(np.float64).eps))


def round_ticks(low: float, high: float, log: bool = False, most: int = 7) -> np.ndarray:
    """Tick values with short labels between ``low`` and ``high``.

    On a log scale 1, 2, 5 x 10^k (every digit where that leaves fewer than three),
    else matplotlib's nice steps.
    """
    from matplotlib.ticker import MaxNLocator

    if not log:
        ticks = np.asarray(MaxNLocator(most - 1).tick_values(low, high))
        return ticks[(ticks >= low) & (ticks <= high)]
    decades = np.arange(np.floor(np.log10(low)), np.ceil(np.log10(high)) + 1)
    digits: tuple[float, ...]
    for digits in ((1.0,), (1.0, 2.0, 5.0), tuple(range(1, 10))):
        ticks = np.array([d * 10.0**k for k in decades for d in digits])
        ticks = ticks[(ticks >= low) & (ticks <= high)]
        if 3 <= ticks.size <= most or digits[-1] == 9:
            return ticks[:: -(-ticks.size // most)]
    return ticks


def _tick_label(value) -> str:
    return f"{value:.3g}"


def plot_surface(
    surface: Surface,
    kind: str = "contour",
    trajectory: ArrayLike | Mapping[str, ArrayLike] | None = None,
    ax: Axes | None = None,
    levels: int | Sequence[float] | None = None,
    log: bool = False,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    title: str | None = None,
    markers: bool = True,
) -> Figure:
    """Draw a :class:`fastnn.surface.Surface` as contour lines, filled contours or a 3-D surface.

    Parameters
    ----------
    surface : Surface
    kind : {"contour", "filled", "3d"}, default "contour"
    trajectory : array-like of shape (n_steps, n_params), optional
        An optimiser path (e.g. ``model.trajectory_``), projected onto the plane
        with :meth:`Surface.project` and drawn on top, start and end marked.
    ax : matplotlib Axes, optional
        Axes to draw on (a 3-D Axes for ``kind="3d"``).
    levels : int or sequence of float, optional
        Contour levels: how many, or the values.  By default a loss gets
        :data:`DEFAULT_LEVELS` levels from :func:`basin_levels` (geometric steps above
        its minimum, so that the basin shows rings, not only the rim); other metrics
        (accuracy, eigenvalues) evenly spaced ones.
    log : bool, default False
        Logarithmic colour scale and levels (for losses spanning decades).
    vmin, vmax : float, optional
        The value range drawn (default: the surface's); values outside it are not
        contoured.
    title : str, optional
    markers : bool, default True
        Mark the plane's centre (the parameters the surface was computed around) and the
        grid's best point (its minimum; its maximum for an accuracy surface).

    Returns
    -------
    matplotlib.figure.Figure
    """
    kind = check_option(kind, "kind", SURFACE_KINDS)
    fig, ax = _figure(ax, "3d" if kind == "3d" else None)
    A, B, Z = surface_grid(surface)
    finite = Z[np.isfinite(Z)]
    low = float(finite.min()) if vmin is None else float(vmin)
    high = float(finite.max()) if vmax is None else float(vmax)
    if not low < high:
        raise ValueError(f"vmin must be below vmax; got {low!r} and {high!r}")
    metric = surface.info.get("metric", "loss")
    from matplotlib.colors import Normalize

    norm: Normalize | None = None
    ticks = None
    # A count or the values until here, then the values drawn.
    levels = cast(Any, levels)
    if np.ndim(levels) == 0 and levels is not None:
        if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
            raise ValueError(f"levels must be an int >= 2 or a sequence of values; got {levels!r}")
    elif levels is not None and len(levels) < 1:
        raise ValueError("levels must be an int >= 2 or a sequence of values; got an empty one")
    count = DEFAULT_LEVELS if levels is None or np.ndim(levels) == 0 else None
    if log:
        from matplotlib.colors import LogNorm

        positive = finite[finite > 0]
        if positive.size:
            low = max(low, float(positive.min()))
            norm = LogNorm(vmin=low, vmax=high)
            if count is not None:
                levels = np.geomspace(low, high, levels or count)
            ticks = round_ticks(low, high, log=True)
    elif count is not None and metric == "loss":
        from matplotlib.colors import BoundaryNorm

        levels = basin_levels(low, high, int(levels or count), basin_depth(finite, low, high))
        if kind == "filled":  # fill the floor of the basin too, below the first ring
            levels = np.r_[low, levels]
        norm = BoundaryNorm(levels, 256)
        ticks = levels[:: -(-levels.size // 6)]
    elif count is not None:
        levels = np.linspace(low, high, levels or count)
    quantity, shown = _quantity(surface)
    if kind == "3d":
        # Drawn in the order given (not by depth), so the path stays above the surface.
        ax.computed_zorder = False
        ax.plot_surface(A, B, np.clip(Z, low, high), cmap=cmap, norm=norm, linewidth=0,
                        antialiased=True, alpha=0.9, zorder=1)  # fmt: skip
        ax.set_zlabel(quantity)
    else:
        draw = ax.contourf if kind == "filled" else ax.contour
        contours = draw(A, B, Z, levels=levels, cmap=cmap, norm=norm)
        bar = fig.colorbar(contours, ax=ax, label=quantity)
        if ticks is not None:
            bar.set_ticks(ticks, labels=[_tick_label(t) for t in ticks])
            bar.minorticks_off()
    if markers:
        _mark_centre_and_best(ax, surface, A, B, Z, metric, kind)
    if trajectory is not None:
        _draw_paths(ax, surface, trajectory, kind)
    if markers or trajectory is not None:
        ax.legend(loc="best", fontsize="small")
    x_title, y_title = axis_titles(surface)
    ax.set_xlabel(x_title)
    ax.set_ylabel(y_title)
    ax.set_title(title or f"{surface.info.get('model', 'model')}: {shown}")
    return fig


def axis_titles(surface: Surface) -> tuple[str, str]:
    """What a surface's two axes are, in words: ``"PC1 (93.1%)"``, ``"random direction 1"``.

    A plane of named parameters keeps their names.
    """
    info = surface.info
    kind = info.get("directions")
    if kind == "pca" and "explained_variance_ratio" in info:
        first, second = info["explained_variance_ratio"][:2]
        return (f"PC1 ({100 * first:.1f}% of the path's variance)",
                f"PC2 ({100 * second:.1f}% of the path's variance)")  # fmt: skip
    if kind in ("hessian", "hessian-extremes") and "hessian_eigenvalues" in info:
        first, second = info["hessian_eigenvalues"][:2]
        return (f"Hessian eigenvector 1 (eigenvalue {first:.3g})",
                f"Hessian eigenvector 2 (eigenvalue {second:.3g})")  # fmt: skip
    named = {"random": "random direction", "filter": "filter-normalised direction",
             "vectors": "direction"}  # fmt: skip
    if kind in named:
        return f"{named[kind]} 1 ({surface.labels[0]})", f"{named[kind]} 2 ({surface.labels[1]})"
    return surface.labels[0], surface.labels[1]


# A path farther off the plane than this share of its distance from the centre is drawn
# as a projection, with a warning (on a PCA plane of a curved path the farthest step is
# typically 5-15% off; on a random plane most of the path is).
OFF_PLANE_SHARE = 0.25


def _projected_path(surface, trajectory):
    """The path's coordinates in the plane and its legend label.

    How far each step lies off the plane: its distance to the plane for directions, and
    the movement of every other parameter for a slice of two named parameters (which
    reads them as fixed).  Where the farthest step is off by more than
    :data:`OFF_PLANE_SHARE` of the path's largest distance from the centre, the label
    says so and a :class:`~fastnn.exceptions.ProjectionWarning` is issued.
    """
    import warnings

    from fastnn.exceptions import ProjectionWarning

    path = np.atleast_2d(np.asarray(trajectory, dtype=np.float64))
    coords, residual = surface.project(path, return_residual=True)
    offset = path - surface.center
    if surface.params is not None:
        others = offset.copy()
        others[:, list(surface.params)] = 0.0
        residual = np.linalg.norm(others, axis=1)
    reach = float(np.max(np.linalg.norm(offset, axis=1)))
    off = float(np.max(residual))
    if reach == 0.0 or off <= OFF_PLANE_SHARE * reach:
        return coords, "optimiser path"
    where = "the other parameters moved" if surface.params is not None else "off the plane"
    advice = (
        ""
        if surface.info.get("directions") == "pca"
        else ". A PCA plane of the path (directions='pca') or a model of two parameters "
        "shows the path itself"
    )
    warnings.warn(
        f"the optimiser path lies off this plane (up to {off:.3g} from it, while it reaches "
        f"{reach:.3g} from the centre; {where}): what is drawn is its projection, not the "
        f"path taken{advice}",
        ProjectionWarning,
        stacklevel=4,
    )
    return coords, f"optimiser path, projected ({100 * off / reach:.0f}% off the plane)"


def _draw_paths(ax, surface, trajectory, kind):
    """One optimiser path in red, or several (a list or dict of them) in one colour each."""
    from fastnn._validation import check_paths, is_several_paths

    several = is_several_paths(trajectory)
    paths = check_paths(trajectory, surface.center.size) if several else {"": trajectory}
    for k, (name, path) in enumerate(paths.items()):
        coords, label = _projected_path(surface, path)
        colour = f"C{k % 10}" if several else "r"
        label = f"{name}: {label}" if several else label
        if kind == "3d":
            values = _path_losses(surface, coords)
            ax.plot(coords[:, 0], coords[:, 1], values, ".-", color=colour, lw=1.5, ms=3,
                    label=label, zorder=3)  # fmt: skip
            continue
        ax.plot(coords[:, 0], coords[:, 1], ".-", color=colour, lw=1.5, ms=3, label=label)
        ax.plot(*coords[0], "o", color="k" if not several else colour, mec="k", ms=6,
                label="start" if not several or k == 0 else None)  # fmt: skip
        ax.plot(*coords[-1], "*", color=colour, mec="k" if several else colour, ms=12,
                label="end" if not several or k == 0 else None)  # fmt: skip


def _mark_centre_and_best(ax, surface, A, B, Z, metric, kind):
    """The plane's centre (a white-edged dot) and the grid's best point (a cross)."""
    centre = surface.project(surface.center)[0]
    best = np.nanargmax(Z) if metric == "accuracy" else np.nanargmin(Z)
    row, col = np.unravel_index(best, Z.shape)
    what = "grid maximum" if metric == "accuracy" else "grid minimum"
    if kind == "3d":
        ax.plot(*centre, surface.center_loss, "o", color="white", mec="k", ms=7, label="centre",
                zorder=4)  # fmt: skip
        ax.plot(A[row, col], B[row, col], Z[row, col], "x", color="k", ms=9, mew=2,
                label=what, zorder=4)  # fmt: skip
        return
    ax.plot(*centre, "o", color="white", mec="k", ms=7, label="centre", zorder=4)
    ax.plot(A[row, col], B[row, col], "x", color="k", ms=9, mew=2, label=what, zorder=4)


# An animation shows at most this many steps of a path (every k-th step beyond).
MAX_FRAMES = 60


def animate_path(
    surface: Surface,
    trajectory: ArrayLike | Mapping[str, ArrayLike],
    *,
    losses: ArrayLike | None = None,
    kind: str = "contour",
    interval: int = 80,
    title: str | None = None,
    **options: Any,
) -> FuncAnimation:
    """An optimiser's path drawn step by step on a surface: a matplotlib animation.

    Parameters
    ----------
    surface : Surface
    trajectory : array-like of shape (n_steps, n_params)
        The path (e.g. ``model.trajectory_``), projected onto the plane as in
        :func:`plot_surface` (a :class:`~fastnn.exceptions.ProjectionWarning` where it
        lies off the plane).
    losses : array-like of shape (n_steps,), optional
        The loss the model had at each step of the path (e.g. ``[lm.loss_at(theta) for
        theta in trajectory]`` with ``lm = model.loss_model(X, y)``), printed on each
        frame.  Without it a frame prints the surface's value at the grid point nearest
        the projected step, labelled as such (the plane's loss there, not the model's
        where the path leaves the plane).
    kind : {"contour", "filled"}, default "contour"
    interval : int, default 80
        Milliseconds per frame.
    title : str, optional
        Default: the model and what is mapped; each frame adds its step and loss.
    **options
        Passed to :func:`plot_surface` (``levels``, ``log``, ``vmin``, ``vmax``, ``cmap``).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        One frame per recorded step (every k-th past :data:`MAX_FRAMES`, the last one
        always included); ``anim.save("path.gif")`` writes it (pillow), ``.mp4`` needs
        ffmpeg.
    """
    import matplotlib
    from matplotlib.animation import FuncAnimation

    kind = check_option(kind, "kind", ("contour", "filled"))
    fig = plot_surface(surface, kind=kind, title=title, **options)
    ax = fig.axes[0]
    path = np.atleast_2d(np.asarray(trajectory, dtype=np.float64))
    coords, label = _projected_path(surface, path)
    if losses is None:
        values, what = _path_losses(surface, coords), "surface at the nearest grid point"
    else:
        values, what = np.asarray(losses, dtype=np.float64).ravel(), "loss"
        if values.size != len(coords):
            raise ValueError(
                f"losses must hold one value per step of the trajectory ({len(coords)}); "
                f"got {values.size}"
            )
    steps = np.unique(np.r_[np.arange(0, len(coords), -(-len(coords) // MAX_FRAMES)),
                            len(coords) - 1])  # fmt: skip
    (line,) = ax.plot([], [], "r.-", lw=1.5, ms=3, label=label, zorder=5)
    (head,) = ax.plot([], [], "o", color="red", mec="k", ms=8, zorder=6)
    ax.legend(loc="best", fontsize="small")
    heading = ax.get_title()

    def draw(frame):
        k = steps[frame]
        line.set_data(coords[: k + 1, 0], coords[: k + 1, 1])
        head.set_data(coords[k : k + 1, 0], coords[k : k + 1, 1])
        ax.set_title(f"{heading}\nstep {k} of {len(coords) - 1}, {what} {values[k]:.4g}")
        return line, head

    # Every frame changes only the path and the title: the layout of the last frame
    # holds for all.  Recomputing it took 40% of each frame's drawing, and any layout
    # engine (even "none"'s placeholder) makes savefig draw every frame twice.
    draw(len(steps) - 1)
    fig.canvas.draw()
    with matplotlib.rc_context(
        {"figure.autolayout": False, "figure.constrained_layout.use": False}
    ):
        fig.set_layout_engine(None)

    animation = FuncAnimation(fig, draw, frames=len(steps), interval=interval, blit=False)
    # What changes from frame to frame, for save_animation's GIF writer
    animation._fastnn_moving = (draw, len(steps), (line, head, ax.title))  # type: ignore[attr-defined]
    return animation


def save_animation(
    animation: FuncAnimation, path: str | os.PathLike[str], fps: int | None = None, dpi: int = 72
) -> None:
    """Write an animation: ``.gif`` with pillow, ``.mp4`` with ffmpeg (when installed)."""
    from matplotlib.animation import FFMpegWriter, PillowWriter

    path = check_animation_path(path)
    fps = fps or max(1, round(1000 / animation._interval))  # type: ignore[attr-defined]
    moving = getattr(animation, "_fastnn_moving", None)
    if moving is not None and path.endswith(".gif"):
        draw, n_frames, parts = moving
        _write_gif_blitted(animation._fig, draw, n_frames, parts, path, fps, dpi)  # type: ignore[attr-defined]
        return
    writer = PillowWriter(fps=fps) if path.endswith(".gif") else FFMpegWriter(fps=fps)
    animation.save(path, writer=writer, dpi=dpi)


def _write_gif_blitted(fig, draw, n_frames, moving, path, fps, dpi) -> None:
    """Write :func:`animate_path`'s frames as a GIF, drawing the still part once.

    matplotlib's writers draw the whole figure for every frame (its contours, ticks and
    colour bar: 120 ms a frame at 72 dpi); here the figure is drawn once without the
    ``moving`` artists, and each frame restores that picture and draws only them on
    top: the frames matplotlib's PillowWriter writes (a test compares them pixel for
    pixel), except where the path crosses the legend -- the legend shares the path's
    z-order and was drawn over it; here the path is drawn over the legend.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    # drawn on an Agg canvas of its own, as savefig does, then given its canvas back
    canvas_before, dpi_before = fig.canvas, fig.dpi
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    try:
        for artist in moving:
            artist.set_visible(False)
        canvas.draw()
        still = canvas.copy_from_bbox(fig.bbox)
        for artist in moving:
            artist.set_visible(True)
        frames = []
        for frame in range(n_frames):
            draw(frame)
            canvas.restore_region(still)
            for artist in moving:
                fig.draw_artist(artist)
            width, height = canvas.get_width_height(physical=True)
            image = Image.frombuffer(
                "RGBA", (width, height), bytes(canvas.buffer_rgba()), "raw", "RGBA", 0, 1
            )
            # as PillowWriter does: opaque frames as RGB, which GIF's palette holds better
            opaque = image.getchannel("A").getextrema()[0] == 255
            frames.append(image.convert("RGB") if opaque else image)
    finally:
        fig.set_dpi(dpi_before)
        fig.set_canvas(canvas_before)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=int(1000 / fps), loop=0)


def check_animation_path(path: str | os.PathLike[str]) -> str:
    """``path`` as a str, once it names a ``.gif`` (or an ``.mp4`` with ffmpeg installed)."""
    from matplotlib.animation import writers

    path = str(path)
    if path.endswith(".mp4") and not writers.is_available("ffmpeg"):
        raise ValueError(f"path: {path} needs ffmpeg, which is not installed; write a .gif")
    if not path.endswith((".gif", ".mp4")):
        raise ValueError(f"path: an animation is written as .gif or .mp4; got {path!r}")
    return path


# What a surface of each metric other than the loss holds, in words.
_METRIC_NAMES = {
    "accuracy": "accuracy",
    "max_eigenvalue": "largest Hessian eigenvalue",
    "min_eigenvalue": "smallest Hessian eigenvalue",
}


def _quantity(result):
    """What a surface's or line's values are, and the same with the data set's name.

    ``("accuracy", "accuracy (test data)")``, ``("binary cross-entropy", ...)``.
    """
    info = result.info
    metric = info.get("metric", "loss")
    quantity = _METRIC_NAMES.get(metric, info.get("loss", "loss"))
    data = info.get("data")
    return quantity, quantity if data is None else f"{quantity} ({data} data)"


def _nearest(axis, x):
    """Index of the grid point of ``axis`` (increasing) nearest each of ``x``."""
    right = np.clip(np.searchsorted(axis, x), 1, axis.size - 1)
    return np.where(np.abs(x - axis[right - 1]) <= np.abs(axis[right] - x), right - 1, right)


def _path_losses(surface, coords):
    """Loss values along a projected path, read off the grid (nearest grid point)."""
    if surface.a.size < 2 or surface.b.size < 2:
        raise ValueError("the surface needs at least 2 grid points per axis")
    i, j = _nearest(surface.a, coords[:, 0]), _nearest(surface.b, coords[:, 1])
    if isinstance(surface.values, np.ndarray):
        return surface.values[i, j]
    return np.asarray(surface.values.vindex[i, j])  # a Zarr store: only those points


def plot_loss_line(line: LossLine, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Draw a :class:`fastnn.surface.LossLine`: loss against alpha, the centre marked."""
    fig, ax = _figure(ax)
    ax.plot(line.alpha, line.values, "-", lw=1.5)
    centre = 0.0 if line.label == "alpha" else float(line.center[np.argmax(line.direction)])
    ax.plot([centre], [line.center_loss], "ko", label="center")
    ax.set_xlabel(line.label)
    quantity, shown = _quantity(line)
    ax.set_ylabel(quantity)
    ax.set_title(title or f"{line.info.get('model', 'model')}: {shown} along a line")
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_path_profile(
    profile: PathProfile, ax: Axes | None = None, title: str | None = None, style: str = "-"
) -> Figure:
    """Draw a :class:`fastnn.connectivity.PathProfile`: loss (and error, right axis) against t.

    One colour per data set; a second call with ``ax=fig.axes[0]`` and another ``style``
    adds a second path (a trained curve over its straight line) on the same axes.
    """
    fig, ax = _figure(ax)
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")
    label = {"line": "line", "bezier": "Bezier curve", "polychain": "polychain"}[profile.kind]
    for k, (name, values) in enumerate(profile.loss.items()):
        colour = colours[k % len(colours)]
        barrier = profile.loss_barrier[name]
        ax.plot(profile.t, values, style, color=colour, lw=1.5,
                label=f"{name} loss, {label} (barrier {barrier:.3g})")  # fmt: skip
    ax.set_xlabel("t")
    ax.set_ylabel(f"mean {profile.info.get('loss', 'loss')}")
    if profile.error:
        twin = next((a for a in fig.axes if a is not ax and a.bbox.bounds == ax.bbox.bounds), None)
        twin = twin or ax.twinx()
        for k, (name, values) in enumerate(profile.error.items()):
            twin.plot(profile.t, values, style, color=colours[k % len(colours)], lw=0.8,
                      alpha=0.6, label=f"{name} error, {label}")  # fmt: skip
        twin.set_ylabel("error (thin lines)")
    ax.set_title(title or f"{profile.info.get('model', 'model')}: loss along the {label}")
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_curve_on_plane(
    surface: Surface,
    curve: Curve,
    ax: Axes | None = None,
    title: str | None = None,
    points: int = 201,
) -> Figure:
    """A trained curve and the straight line on the surface of their plane (Garipov et al.).

    ``surface`` is a map of :meth:`fastnn.connectivity.Curve.plane` (or of any plane the
    curve lies in); the curve, the line from ``model_a`` to ``model_b`` and the three
    control points are drawn at their exact coordinates in it.
    """
    fig = plot_surface(surface, kind="contour", ax=ax, title=title, markers=False)
    ax = fig.axes[0]
    t = np.linspace(0.0, 1.0, points)
    drawn = surface.project(curve.points(t))
    ends = surface.project(np.stack([curve.theta_a, curve.theta_b]))
    bend = surface.project(curve.bend)[0]
    ax.plot(ends[:, 0], ends[:, 1], "--", color="k", lw=1.2, label="straight line",
            zorder=3)  # fmt: skip
    ax.plot(drawn[:, 0], drawn[:, 1], "-", color="tab:red", lw=2.0, label=f"{curve.kind} curve",
            zorder=3)  # fmt: skip
    ax.plot(*ends.T, "o", color="white", mec="k", ms=8, label="model_a, model_b", zorder=4)
    ax.plot(*bend, "s", color="tab:red", mec="k", ms=7, label="bend", zorder=4)
    for (x, y), name in zip(ends, ("a", "b"), strict=True):
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, 6), zorder=5)
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_persistence_diagram(
    topology: Topology, threshold: float, ax: Axes | None = None, title: str | None = None
) -> Figure:
    """A :class:`~fastnn.surface.Topology`'s persistence diagram: saddle against minimum.

    Basins deeper than ``threshold`` lie above the dashed line; the deepest basin (it
    never merges) is drawn at the top edge, marked "never merges".
    """
    fig, ax = _figure(ax)
    finite = np.isfinite(topology.saddle)
    low = float(topology.minimum.min())
    high = float(topology.saddle[finite].max()) if finite.any() else low + 1.0
    top = high + 0.05 * (high - low or 1.0)
    deep = topology.persistence > threshold
    shown = finite & deep
    if np.any(finite & ~deep):
        ax.plot(topology.minimum[finite & ~deep], topology.saddle[finite & ~deep], ".",
                color="0.6", ms=4, label=f"shallower than {threshold:.3g}")  # fmt: skip
    if np.any(shown):
        ax.plot(topology.minimum[shown], topology.saddle[shown], "o", color="tab:blue", ms=6,
                label=f"basins deeper than {threshold:.3g}")  # fmt: skip
    ax.plot(topology.minimum[~finite], np.full(int((~finite).sum()), top), "^",
            color="tab:red", ms=8, label="deepest basin (never merges)")  # fmt: skip
    ax.plot([low, top], [low, top], "-", color="k", lw=0.8)
    ax.plot([low, top], [low + threshold, top + threshold], "--", color="k", lw=0.8)
    ax.set_xlabel(f"minimum ({topology.quantity})")
    ax.set_ylabel(f"saddle that merges it ({topology.quantity})")
    ax.set_title(title or f"Persistence of the basins: {topology.n_basins(threshold)} deep")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_basins(
    surface: Surface,
    topology: Topology,
    threshold: float,
    ax: Axes | None = None,
    title: str | None = None,
    most: int = 20,
) -> Figure:
    """``surface``'s contours with the basins deeper than ``threshold`` outlined.

    A basin's region is the connected part of ``{values < saddle}`` that holds its minimum
    (four neighbours, as the persistence reads the grid), outlined at the drawn grid's
    resolution; minima on the grid's edge are marked with an open symbol.
    """
    from scipy import ndimage

    fig = plot_surface(surface, kind="contour", ax=ax, title=title, markers=False)
    ax = fig.axes[0]
    A, B, _ = surface_grid(surface)
    step_a = -(-surface.a.size // MAX_DRAWN_POINTS)
    step_b = -(-surface.b.size // MAX_DRAWN_POINTS)
    values = np.asarray(surface.values, dtype=np.float64)
    if topology.quantity == "error":
        values = 1.0 - values
    basins = topology.basins(threshold)[:most]
    for k, basin in enumerate(basins):
        i, j = basin["index"]
        colour = f"C{k % 10}"
        if np.isfinite(basin["saddle"]):
            labels, _ = ndimage.label(values < basin["saddle"])
            region = labels == labels[i, j]
            ax.contour(A, B, region[::step_a, ::step_b].T.astype(float), levels=[0.5],
                       colors=[colour], linewidths=1.5)  # fmt: skip
        edge = basin["on_edge"]
        depth = basin["persistence"]
        label = ("deepest" if np.isinf(depth) else f"depth {depth:.3g}") + (
            " (grid edge)" if edge else ""
        )
        ax.plot(*basin["at"], "o", mfc="none" if edge else colour, mec=colour if edge else "k",
                ms=8, zorder=4, label=label)  # fmt: skip
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title or f"{len(basins)} basins deeper than {threshold:.3g}")
    return fig


# -- the lecture's figures ----------------------------------------------------------------
_CLASS_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def plot_regression_data(
    x: ArrayLike,
    y: ArrayLike,
    intercept: float | None = None,
    slope: float | None = None,
    ax: Axes | None = None,
    title: str = "Data",
) -> Figure:
    """Scatter of ``(x, y)`` with the true line ``intercept + slope x`` dashed (when given)."""
    fig, ax = _figure(ax)
    x = np.ravel(x)
    ax.scatter(x, y, s=12, alpha=0.7, label="samples")
    if intercept is not None and slope is not None:
        grid = np.linspace(x.min(), x.max(), 2)
        ax.plot(grid, intercept + slope * grid, "k--", label=f"true: {intercept:g} + {slope:g} x")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_fitted_lines(
    x: ArrayLike,
    y: ArrayLike,
    lines: Mapping[str, tuple[float, float]],
    ax: Axes | None = None,
    title: str = "Fitted lines",
) -> Figure:
    """The data and one line per entry of ``lines``: ``{label: (intercept, slope)}``."""
    fig, ax = _figure(ax)
    x = np.ravel(x)
    ax.scatter(x, y, s=12, alpha=0.5, color="0.5", label="samples")
    grid = np.linspace(x.min(), x.max(), 2)
    for k, (label, (intercept, slope)) in enumerate(lines.items()):
        style = ("-", "--", ":", "-.")[k % 4]
        ax.plot(
            grid,
            intercept + slope * grid,
            style,
            lw=2,
            label=f"{label}: {intercept:.3f} + {slope:.3f} x",
        )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_descent_1d(
    f: Callable[..., Any],
    paths: Mapping[Any, ArrayLike],
    ax: Axes | None = None,
    title: str = "Gradient descent on f(theta)",
) -> Figure:
    """A 1-D function and the iterates of gradient descent for several learning rates.

    Parameters
    ----------
    f : callable
        Vectorised ``f(theta)``.
    paths : dict
        ``{learning rate: iterates}``; iterates outside the plotted range are clipped.
    """
    fig, ax = _figure(ax)
    finite = np.concatenate([np.asarray(p)[np.isfinite(p)] for p in paths.values()])
    lo, hi = np.percentile(finite, [2, 98]) if finite.size else (-1.0, 1.0)
    span = max(hi - lo, 1.0)
    grid = np.linspace(lo - 0.1 * span, hi + 0.1 * span, 400)
    ax.plot(grid, f(grid), "k-", lw=1, label="f")
    for lr, path in paths.items():
        path = np.clip(np.asarray(path, dtype=float), grid[0], grid[-1])
        ax.plot(path, f(path), ".-", lw=1, ms=5, label=f"lr {lr:g} ({len(path) - 1} steps)")
    ax.set_xlabel("theta")
    ax.set_ylabel("f(theta)")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_descent_2d(
    f: Callable[..., Any],
    paths: Mapping[Any, ArrayLike],
    ax: Axes | None = None,
    title: str = "Gradient descent paths",
    extent: tuple[float, float, float, float] | None = None,
) -> Figure:
    """Contours of a 2-D function and gradient-descent paths on it (``{label: (n, 2) array}``)."""
    fig, ax = _figure(ax)
    points = np.concatenate([np.asarray(p) for p in paths.values()])
    if extent is None:
        reach = np.max(np.abs(points[np.isfinite(points).all(axis=1)])) * 1.15
        extent = (-reach, reach, -reach, reach)
    t0, t1 = np.meshgrid(
        np.linspace(extent[0], extent[1], 200), np.linspace(extent[2], extent[3], 200)
    )
    ax.contour(t0, t1, f(t0, t1), levels=20, cmap="viridis", linewidths=0.8)
    for label, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], ".-", lw=1.2, ms=4, label=str(label))
    ax.plot(0, 0, "k+", ms=10)
    ax.set_xlabel("theta0")
    ax.set_ylabel("theta1")
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_loss_curve(
    curves: np.ndarray | Mapping[str, np.ndarray],
    ax: Axes | None = None,
    log: bool = False,
    title: str = "Loss per iteration",
    xlabel: str = "iteration",
) -> Figure:
    """One loss curve per entry of ``curves`` (``{label: values}``, or one array)."""
    fig, ax = _figure(ax)
    if not isinstance(curves, dict):
        curves = {"loss": curves}
    for label, values in curves.items():
        ax.plot(np.arange(len(values)), values, lw=1.5, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title(title)
    if len(curves) > 1:
        ax.legend(loc="best", fontsize="small")
    return fig


def _class_name(label) -> str:
    """A class label as the user wrote it: ``"class 1"`` for 1 or 1.0, else the label."""
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, float, np.number)):
        return str(label)
    value = float(label)
    return f"class {int(value)}" if value.is_integer() else f"class {value:g}"


def plot_classes(
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    ax: Axes | None = None,
    title: str = "Classes",
) -> Figure:
    """2-D samples coloured by class; test samples (when given) as open markers."""
    fig, ax = _figure(ax)
    for k, label in enumerate(np.unique(y)):
        colour = _CLASS_COLOURS[k % len(_CLASS_COLOURS)]
        name = _class_name(label)
        ax.scatter(*X[y == label].T[:2], s=8, color=colour, alpha=0.6, label=f"{name} (train)")
        if X_test is not None:
            ax.scatter(
                *X_test[y_test == label].T[:2],
                s=14,
                facecolors="none",
                edgecolors=colour,
                label=f"{name} (test)",
            )
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small", markerscale=1.5)
    return fig


def plot_decision(
    proba: Any,
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    title: str = "Predictions",
    resolution: int = 200,
) -> Figure:
    """Predicted probability of the second class over the plane, its 0.5 contour, and the data.

    Parameters
    ----------
    proba : fitted classifier or callable
        A model with ``predict_proba`` (two classes) or a function mapping an (n, 2)
        array to P(class 1).
    X, y : the samples to draw on top (coloured by true class).
    """
    fig, ax = _figure(ax)
    function = proba if callable(proba) and not hasattr(proba, "predict_proba") else None
    if function is None:
        function = lambda points: proba.predict_proba(points)[:, 1]  # noqa: E731
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.05 * (hi - lo)
    g0, g1 = np.meshgrid(
        np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
        np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution),
    )
    p = function(np.column_stack([g0.ravel(), g1.ravel()])).reshape(g0.shape)
    filled = ax.contourf(g0, g1, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    if p.min() < 0.5 < p.max():
        ax.contour(g0, g1, p, levels=[0.5], colors="k", linewidths=1.5)
    fig.colorbar(filled, ax=ax, label="P(class 1)")
    for k, label in enumerate(np.unique(y)):
        ax.scatter(
            *X[y == label].T, s=6, color=_CLASS_COLOURS[k % 5], alpha=0.7, label=f"class {label}"
        )
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small", markerscale=2)
    return fig
