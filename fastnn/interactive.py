"""Interactive figures: Plotly surfaces and trainability maps, and self-contained HTML files.

The ``interactive`` extra (``pip install "fastnn[interactive]"``) brings Plotly; it is
imported when a figure is asked for, never by ``import fastnn``.

The figures say the same things as their matplotlib twins in :mod:`fastnn.plot` -- the same
orientation (``values[i, j]`` at ``(a[i], b[j])``), axis titles, centre and grid-minimum
markers, and optimiser paths drawn only as what they are (a path off the plane is labelled
a projection, with a :class:`~fastnn.exceptions.ProjectionWarning`) -- and add what a static
figure cannot: the value under the pointer, rotation, zoom. :mod:`fastnn.widgets` builds
notebook widgets on them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from fastnn.plot import _path_losses, _projected_path, _quantity, axis_titles, surface_grid

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import ModuleType

    import plotly.graph_objects as go

    from fastnn._typing import ArrayLike
    from fastnn.surface import Surface
    from fastnn.trainability import TrainabilityMap

__all__ = [
    "require_plotly",
    "surface_figure",
    "trainability_figure",
    "write_html",
]

# Points a side drawn at most: a Plotly surface ships every value to the browser.
MAX_INTERACTIVE_POINTS = 201

_PATH_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def require_plotly() -> tuple[ModuleType, Callable[..., Any]]:
    """``(plotly.graph_objects, plotly.subplots.make_subplots)``, or a one-line ImportError."""
    try:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots
    except ImportError:
        raise ImportError(
            'interactive figures need Plotly: pip install "fastnn[interactive]"'
        ) from None
    return go, make_subplots


def surface_figure(
    surface: Surface,
    trajectory: ArrayLike | Mapping[str, ArrayLike] | None = None,
    *,
    losses: ArrayLike | None = None,
    log: bool = False,
    title: str | None = None,
    max_points: int = MAX_INTERACTIVE_POINTS,
) -> go.Figure:
    """A surface as an interactive Plotly figure: a 3-D surface beside its contour map.

    Parameters
    ----------
    surface : Surface
    trajectory : array-like of shape (n_steps, n_params), or a list or dict of them, optional
        Optimiser paths (e.g. ``model.trajectory_``), projected onto the plane as in
        :func:`fastnn.plot.plot_surface` and drawn on both panels, start and end marked.
    losses : array-like of shape (n_steps,), optional
        The loss the model had at each step of a single path (its height on the 3-D panel
        and its hover value). Without it, a step's height is the grid's value at the grid
        point nearest its projection, and the hover text says so.
    log : bool, default False
        Colour by ``log10`` of the values (losses spanning decades); hover shows the values.
    title : str, optional
    max_points : int, default 201
        Axes longer than this are drawn at every k-th point.

    Returns
    -------
    plotly.graph_objects.Figure
        Shown inline in a notebook; :func:`write_html` writes it as one self-contained file.
    """
    from fastnn._validation import check_int, check_paths, is_several_paths

    go, make_subplots = require_plotly()
    max_points = check_int(max_points, "max_points", minimum=2)
    A, B, Z = surface_grid(surface, max_points)
    x, y = A[0], B[:, 0]
    quantity, shown = _quantity(surface)
    x_title, y_title = axis_titles(surface)
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("surface: no finite value to draw")
    if log:
        if not (finite > 0).any():
            raise ValueError("log=True needs positive values; this surface has none")
        with np.errstate(divide="ignore", invalid="ignore"):
            colour = np.where(Z > 0, np.log10(np.where(Z > 0, Z, 1.0)), np.nan)
        bar_title = f"log10 {quantity}"
    else:
        colour = Z
        bar_title = quantity
    hover = (
        f"{x_title}: %{{x:.4g}}<br>{y_title}: %{{y:.4g}}<br>{quantity}: %{{customdata:.6g}}"
        "<extra></extra>"
    )
    fig = make_subplots(
        rows=1, cols=2, specs=[[{"type": "scene"}, {"type": "xy"}]],
        column_widths=[0.55, 0.45], horizontal_spacing=0.08,
    )  # fmt: skip
    fig.add_trace(
        go.Surface(x=x, y=y, z=Z, surfacecolor=colour, customdata=Z, colorscale="Viridis",
                   colorbar={"title": {"text": bar_title}, "x": 1.02}, hovertemplate=hover,
                   name=quantity, showlegend=False),
        row=1, col=1,
    )  # fmt: skip
    fig.add_trace(
        go.Contour(x=x, y=y, z=colour, customdata=Z, colorscale="Viridis", showscale=False,
                   ncontours=30, contours={"coloring": "heatmap", "showlines": True},
                   line={"width": 0.5}, hovertemplate=hover, name=quantity, showlegend=False),
        row=1, col=2,
    )  # fmt: skip
    metric = surface.info.get("metric", "loss")
    centre = surface.project(surface.center)[0]
    row, col = np.unravel_index(
        np.nanargmax(Z) if metric == "accuracy" else np.nanargmin(Z), Z.shape
    )
    best = "grid maximum" if metric == "accuracy" else "grid minimum"
    marks: tuple[tuple[str, float, float, float, dict[str, Any]], ...] = (
        ("centre", centre[0], centre[1], surface.center_loss,
         {"color": "white", "size": 9, "line": {"color": "black", "width": 1.5}}),
        (best, A[row, col], B[row, col], Z[row, col],
         {"color": "black", "size": 9, "symbol": "x"}),
    )  # fmt: skip
    for name, mx, my, mz, style in marks:
        text = f"{name}<br>{quantity}: {mz:.6g}<extra></extra>"
        fig.add_trace(
            go.Scatter3d(x=[mx], y=[my], z=[mz], mode="markers", name=name, legendgroup=name,
                         marker={**style, "size": style["size"] / 1.5}, hovertemplate=text,
                         showlegend=False),
            row=1, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=[mx], y=[my], mode="markers", name=name, legendgroup=name,
                       marker=style, hovertemplate=text),
            row=1, col=2,
        )  # fmt: skip
    if trajectory is not None:
        several = is_several_paths(trajectory)
        paths = check_paths(trajectory, surface.center.size) if several else {"": trajectory}
        if losses is not None and several:
            raise ValueError("losses: give them for a single path, not for several")
        for k, (name, path) in enumerate(paths.items()):
            coords, label = _projected_path(surface, path)
            heights, where = _path_heights(surface, coords, losses)
            label = f"{name}: {label}" if several else label
            _add_path(fig, go, coords, heights, label, where, quantity,
                      _PATH_COLOURS[k % len(_PATH_COLOURS)])  # fmt: skip
    fig.update_layout(
        title={"text": title or f"{surface.info.get('model', 'model')}: {shown}"},
        # The 3-D panel has no room for long titles: the plane's own labels (alpha, beta or
        # the parameters' names); the contour panel beside it says what they are.
        scene={"xaxis_title": surface.labels[0], "yaxis_title": surface.labels[1],
               "zaxis_title": quantity,
               "aspectmode": "cube"},
        legend={"orientation": "h", "y": -0.12},
        margin={"l": 10, "r": 10, "t": 60, "b": 10}, height=560,
    )  # fmt: skip
    fig.update_xaxes(title_text=x_title, row=1, col=2)
    fig.update_yaxes(title_text=y_title, row=1, col=2)
    return fig


def _path_heights(surface, coords, losses):
    """Each step's height: the model's own loss when given, else the nearest grid value."""
    if losses is None:
        return _path_losses(surface, coords), "nearest grid point"
    heights = np.asarray(losses, dtype=np.float64)
    if heights.shape != (coords.shape[0],):
        raise ValueError(
            f"losses: expected one per step of the path, shape ({coords.shape[0]},); got "
            f"shape {heights.shape}"
        )
    return heights, "the model's loss"


def _add_path(fig, go, coords, heights, label, where, quantity, colour):
    text = f"step %{{customdata}}<br>{quantity} ({where}): %{{z:.6g}}<extra>{label}</extra>"
    steps = np.arange(coords.shape[0])
    fig.add_trace(
        go.Scatter3d(x=coords[:, 0], y=coords[:, 1], z=heights, mode="lines+markers",
                     line={"color": colour, "width": 5}, marker={"size": 2, "color": colour},
                     customdata=steps, hovertemplate=text, name=label, legendgroup=label,
                     showlegend=False),
        row=1, col=1,
    )  # fmt: skip
    flat = text.replace("%{z:.6g}", "%{text}")
    fig.add_trace(
        go.Scatter(x=coords[:, 0], y=coords[:, 1], mode="lines+markers", name=label,
                   legendgroup=label, line={"color": colour, "width": 2},
                   marker={"size": 4, "color": colour}, customdata=steps,
                   text=[f"{h:.6g}" for h in heights], hovertemplate=flat),
        row=1, col=2,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=coords[[0, -1], 0], y=coords[[0, -1], 1], mode="markers",
                   marker={"color": colour, "size": [9, 14], "symbol": ["circle", "star"],
                           "line": {"color": "black", "width": 1}},
                   text=["start", "end"], hovertemplate="%{text}<extra></extra>",
                   legendgroup=label, showlegend=False),
        row=1, col=2,
    )  # fmt: skip


def trainability_figure(tmap: TrainabilityMap, *, title: str | None = None) -> go.Figure:
    """A trainability map as an interactive heat map.

    Converged runs in blues by their convergence (the mean epoch loss over the first
    epoch's), diverged ones in reds by the epoch they diverged at, as
    :meth:`TrainabilityMap.plot` draws them; the pointer shows both numbers and the final
    loss of every run. Logarithmic axes for a ``"log"`` map.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    go, _ = require_plotly()
    diverged = tmap.diverged
    convergence = np.where(diverged, np.nan, np.asarray(tmap.convergence, dtype=np.float64))
    epochs = np.where(diverged, np.asarray(tmap.divergence_epoch, dtype=np.float64), np.nan)
    values = np.asarray(tmap.values, dtype=np.float64)
    first, second = tmap.labels
    # values[i, j] is at (a[i], b[j]): Plotly draws z[row][col] at (x[col], y[row]).
    custom = values.T[..., None]
    hover = f"{first}: %{{x:.4g}}<br>{second}: %{{y:.4g}}<br>final loss: %{{customdata[0]:.4g}}"
    fig = go.Figure()
    positive = convergence[np.isfinite(convergence) & (convergence > 0)]
    if positive.size:
        with np.errstate(divide="ignore", invalid="ignore"):
            shown = np.log10(np.where(convergence > 0, convergence, np.nan))
        fig.add_trace(go.Heatmap(
            x=tmap.a, y=tmap.b, z=shown.T, customdata=custom, colorscale="Blues_r",
            colorbar={"title": {"text": "log10 convergence"}, "x": 1.0},
            hovertemplate=hover + "<br>converged, log10 convergence %{z:.3f}<extra></extra>",
            name="converged",
        ))  # fmt: skip
    if diverged.any():
        fig.add_trace(go.Heatmap(
            x=tmap.a, y=tmap.b, z=epochs.T, customdata=custom, colorscale="Reds_r",
            colorbar={"title": {"text": "epoch of divergence"}, "x": 1.12},
            hovertemplate=hover + "<br>diverged at epoch %{z:.0f}<extra></extra>",
            name="diverged",
        ))  # fmt: skip
    axis_type = "log" if tmap.scale == "log" else "linear"
    epochs_run = tmap.info.get("epochs", "")
    fig.update_layout(
        title={"text": title or f"{tmap.info.get('model', 'model')}: trainability, "
               f"{epochs_run} epochs"},
        xaxis={"title": {"text": first}, "type": axis_type},
        yaxis={"title": {"text": second}, "type": axis_type},
        height=520, margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )  # fmt: skip
    return fig


def write_html(fig: go.Figure, path: str | os.PathLike, *, overwrite: bool = False) -> str:
    """Write a Plotly figure as one self-contained HTML file (Plotly's script inside it).

    The file opens in any browser without a network. An existing file is replaced only
    with ``overwrite=True``; the name must end in ``.html``.

    Returns
    -------
    str
        The path written.
    """
    path = os.fspath(path)
    if not path.lower().endswith((".html", ".htm")):
        raise ValueError(f"path: an interactive figure is written as .html; got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"path: the folder {folder} does not exist")
    if os.path.lexists(path) and not overwrite:
        raise ValueError(f"path: {path} exists; pass overwrite=True to replace it")
    fig.write_html(path, include_plotlyjs=True, full_html=True)
    return path
