"""matplotlib figures of fastnn's results.  Nothing here computes a model.

Every function draws on ``ax`` when given (and returns its Figure), or on a new
Figure; none calls ``plt.show()``, so all work headless (Agg).
"""

from __future__ import annotations

import numpy as np

from fastnn._validation import check_option

SURFACE_KINDS = ("contour", "filled", "3d")


def _figure(ax, projection=None):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    return fig, fig.add_subplot(projection=projection)


def surface_grid(surface):
    """``(A, B, Z)`` for matplotlib: ``Z[j, i]`` is the loss at ``(a[i], b[j])``.

    matplotlib draws ``Z[row, col]`` at ``(x[col], y[row])``; the surface stores
    rows along ``a`` (the horizontal axis), hence the transpose -- done here once,
    so no figure shows a transposed surface (the lecture's mistake 8).
    """
    A, B = np.meshgrid(surface.a, surface.b)
    return A, B, np.asarray(surface.values).T


def plot_surface(
    surface,
    kind="contour",
    trajectory=None,
    ax=None,
    levels=30,
    log=False,
    cmap="viridis",
    title=None,
):
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
    levels : int, default 30
        Contour levels.
    log : bool, default False
        Logarithmic colour scale / levels (for losses spanning decades).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    kind = check_option(kind, "kind", SURFACE_KINDS)
    fig, ax = _figure(ax, "3d" if kind == "3d" else None)
    A, B, Z = surface_grid(surface)
    norm = None
    if log:
        from matplotlib.colors import LogNorm

        positive = Z[Z > 0]
        if positive.size:
            norm = LogNorm(vmin=positive.min(), vmax=Z.max())
            levels = np.geomspace(positive.min(), Z.max(), levels)
    if kind == "3d":
        ax.plot_surface(A, B, Z, cmap=cmap, norm=norm, linewidth=0, antialiased=True, alpha=0.9)
        ax.set_zlabel("loss")
    elif kind == "filled":
        filled = ax.contourf(A, B, Z, levels=levels, cmap=cmap, norm=norm)
        fig.colorbar(filled, ax=ax, label="loss")
    else:
        lines = ax.contour(A, B, Z, levels=levels, cmap=cmap, norm=norm)
        fig.colorbar(lines, ax=ax, label="loss")
    if trajectory is not None:
        coords = surface.project(trajectory)
        if kind == "3d":
            values = _path_losses(surface, coords)
            ax.plot(coords[:, 0], coords[:, 1], values, "r.-", lw=1.5, ms=3, label="optimiser path")
        else:
            ax.plot(coords[:, 0], coords[:, 1], "r.-", lw=1.5, ms=3, label="optimiser path")
            ax.plot(*coords[0], "ko", ms=6, label="start")
            ax.plot(*coords[-1], "r*", ms=12, label="end")
        ax.legend(loc="best", fontsize="small")
    ax.set_xlabel(surface.labels[0])
    ax.set_ylabel(surface.labels[1])
    loss = surface.info.get("loss", "loss")
    ax.set_title(title or f"{surface.info.get('model', 'model')}: {loss}")
    return fig


def _path_losses(surface, coords):
    """Loss values along a projected path, read off the grid (nearest grid point)."""
    i = np.clip(np.searchsorted(surface.a, coords[:, 0]), 0, surface.a.size - 1)
    j = np.clip(np.searchsorted(surface.b, coords[:, 1]), 0, surface.b.size - 1)
    return np.asarray(surface.values)[i, j]


def plot_loss_line(line, ax=None, title=None):
    """Draw a :class:`fastnn.surface.LossLine`: loss against alpha, the centre marked."""
    fig, ax = _figure(ax)
    ax.plot(line.alpha, line.values, "-", lw=1.5)
    centre = 0.0 if line.label == "alpha" else float(line.center[np.argmax(line.direction)])
    ax.plot([centre], [line.center_loss], "ko", label="center")
    ax.set_xlabel(line.label)
    ax.set_ylabel(line.info.get("loss", "loss"))
    ax.set_title(title or f"{line.info.get('model', 'model')}: loss along a line")
    ax.legend(loc="best", fontsize="small")
    return fig
