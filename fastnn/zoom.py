"""Zooming into the boundary of trainability: a sequence of refined maps, and its movie.

:func:`trainability_zoom` maps a box, then a box ``factor`` times narrower (in log units on
a log scale) around a point of the boundary, and so on: each frame a refined map
(:func:`fastnn.trainability` with ``refine=``), each centred on the boundary point of the
previous frame nearest that frame's centre, so the sequence follows the boundary down.
:func:`save_zoom_movie` writes the frames as an animated GIF, the box and the scale printed
on each, through the animation writer the surfaces use.  :func:`plot_zoom` (from
:mod:`fastnn.trainability`, re-exported here: ``fastnn.trainability`` is the function, so
the module's other names are reached as ``from fastnn.zoom import plot_zoom``) draws the
frames side by side.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from fastnn._validation import check_int, check_positive
from fastnn.boundary import boundary_cells
from fastnn.trainability import plot_zoom, trainability

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from fastnn._typing import ArrayLike


__all__ = ["plot_zoom", "save_zoom_movie", "trainability_zoom"]


def _boundary_point(tmap) -> tuple[float, float]:
    """The middle of the boundary cell nearest the map's centre (a, b)."""
    cells = np.argwhere(boundary_cells(~tmap.trainable()))
    if cells.size == 0:
        raise ValueError(
            "zoom: a frame has no boundary (every run has the same outcome): widen the box"
        )
    middle = (np.array(tmap.shape) - 1) / 2
    i, j = cells[np.argmin(((cells + 0.5 - middle) ** 2).sum(axis=1))]
    return _middle(tmap.a, i, tmap.scale), _middle(tmap.b, j, tmap.scale)


def _middle(axis, i, scale) -> float:
    if scale == "log":
        return float(np.sqrt(axis[i] * axis[i + 1]))
    return float(0.5 * (axis[i] + axis[i + 1]))


def _box(centre, previous, factor, scale):
    """``previous`` narrowed ``factor`` times around ``centre`` (log units on a log scale)."""
    box = []
    for (low, high), c in zip(previous, centre, strict=True):
        if scale == "log":
            half = (np.log10(high) - np.log10(low)) / factor / 2
            box.append((10 ** (np.log10(c) - half), 10 ** (np.log10(c) + half)))
        else:
            half = (high - low) / factor / 2
            box.append((c - half, c + half))
    return tuple(box)


def trainability_zoom(
    estimator: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    params: Sequence[int | str] = ("learning_rate_init[0]", "learning_rate_init[1]"),
    ranges: Sequence[tuple[float, float]] = ((1e-3, 10.0), (1e-3, 10.0)),
    frames: int = 4,
    factor: float = 4.0,
    resolution: int | tuple[int, int] = 33,
    refine: int = 2,
    outcome: str = "fastnn",
    scale: str = "log",
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    **options: Any,
) -> list:
    """Refined maps of boxes ever narrower around the boundary of trainability.

    Parameters
    ----------
    estimator, X, y, params, scale
        As :func:`fastnn.trainability`.
    ranges : pair of (low, high)
        The first frame's box.
    frames : int, default 4
    factor : float, default 4.0
        Each box is this many times narrower than the last (> 1).
    resolution, refine, outcome
        Every frame's coarse grid, rounds of refinement and outcome rule.
    out : path, optional
        A directory: frame ``k`` is the refined map directory ``frame-k`` in it (see
        :func:`fastnn.trainability`'s ``out``); ``resume`` / ``overwrite`` apply to each.
    **options
        More of :func:`fastnn.trainability`'s arguments (threads, progress, ...).

    Returns
    -------
    list of RefinedTrainabilityMap
        One per frame; ``info["zoom"]`` records the frame's index and its scale (its
        width over the first frame's, in log units on a log scale).
    """
    frames = check_int(frames, "frames")
    factor = check_positive(factor, "factor")
    if factor <= 1.0:
        raise ValueError(f"factor must be > 1 (each box narrower than the last); got {factor!r}")
    if out is not None:
        os.makedirs(os.fspath(out), exist_ok=True)
    maps, box = [], tuple(tuple(float(v) for v in pair) for pair in ranges)
    for k in range(frames):
        frame_out = None if out is None else os.path.join(os.fspath(out), f"frame-{k}")
        tmap = trainability(
            estimator, X, y, params=params, ranges=box, scale=scale, resolution=resolution,
            refine=refine, outcome=outcome, out=frame_out, resume=resume and
            os.path.exists(frame_out or ""), overwrite=overwrite, **options,
        )  # fmt: skip
        tmap.info["zoom"] = {"frame": k, "scale": float(factor) ** -k, "box": box}
        maps.append(tmap)
        if k + 1 < frames:
            box = _box(_boundary_point(tmap), box, factor, scale)
    return maps


def save_zoom_movie(
    maps: Sequence[Any], path: str | os.PathLike[str], *, fps: int = 2, overwrite: bool = False
) -> None:
    """The frames of :func:`trainability_zoom` as an animated GIF, box and scale on each."""
    from fastnn.plot import check_animation_path, save_animation

    path = check_animation_path(path)
    if os.path.exists(path) and not overwrite:
        raise ValueError(f"path: {path} exists; pass overwrite=True to replace it")
    maps = list(maps)
    if not maps:
        raise ValueError("maps: no frames")
    from matplotlib.animation import FuncAnimation

    from fastnn.plot import detached_figure

    fig = detached_figure(figsize=(6.4, 5.0))
    ax = fig.add_subplot()

    def draw(k):
        ax.clear()
        tmap = maps[k]
        zoom = tmap.info.get("zoom", {"frame": k, "scale": 1.0})
        (a0, a1), (b0, b1) = (tmap.a[0], tmap.a[-1]), (tmap.b[0], tmap.b[-1])
        tmap.plot(ax, title=(f"frame {zoom['frame']}: scale {zoom['scale']:.3g}; "
                             f"a in [{a0:.6g}, {a1:.6g}], b in [{b0:.6g}, {b1:.6g}]"))  # fmt: skip
        ax.title.set_fontsize("small")
        return []

    animation = FuncAnimation(fig, draw, frames=len(maps), blit=False)
    save_animation(animation, path, fps=fps)
