"""Notebook widgets: a learning-rate slider that retrains a model and redraws its path.

Needs the ``interactive`` extra (Plotly, ipywidgets and anywidget for Plotly's
``FigureWidget``); imported only when a widget is asked for.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from fastnn.exceptions import DivergenceWarning
from fastnn.interactive import MAX_INTERACTIVE_POINTS, require_plotly
from fastnn.plot import _quantity, axis_titles, surface_grid

if TYPE_CHECKING:
    from ipywidgets import VBox

    from fastnn._typing import ArrayLike
    from fastnn.surface import Surface

__all__ = ["learning_rate_explorer"]


def learning_rate_explorer(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    surface: Surface | None = None,
    rates: ArrayLike | None = None,
    theta0: ArrayLike | None = None,
) -> VBox:
    """A learning-rate slider that retrains ``model`` and redraws its path on a surface.

    Each move of the slider refits a copy of ``model`` (an estimator with
    ``record_trajectory``) at that ``learning_rate_init`` and draws its path on
    ``surface``, with the final loss and whether it diverged in the title. Fitting a
    lecture-sized model takes milliseconds, so the figure follows the slider.

    Parameters
    ----------
    model : estimator
        Unfitted or fitted; it is cloned, never changed.
    X, y : array-like
        Training data.
    surface : Surface, optional
        Where the paths are drawn. By default the loss over a plane of the first two
        parameters around the fit at the middle rate, wide enough for its whole path.
    rates : array-like, optional
        The slider's learning rates (default: 41 rates from 1/100 to 2 times the model's).
    theta0 : array-like, optional
        The starting point of every fit (``fit(X, y, theta0=...)``).

    Returns
    -------
    ipywidgets.VBox
        The slider above the figure (a ``plotly.graph_objects.FigureWidget``).
    """
    try:
        import ipywidgets
    except ImportError:
        raise ImportError(
            'the learning-rate explorer needs ipywidgets: pip install "fastnn[interactive]"'
        ) from None
    go, _ = require_plotly()
    base = model.get_params().get("learning_rate_init")
    if rates is None:
        if base is None:
            raise ValueError("rates: give them; the model has no learning_rate_init")
        rates = np.geomspace(base / 100, 2 * base, 41)
    rates = np.asarray(rates, dtype=np.float64)
    if rates.ndim != 1 or rates.size < 2 or not np.all(np.isfinite(rates)) or rates.min() <= 0:
        raise ValueError("rates: expected at least 2 positive finite learning rates")
    fit_args = {} if theta0 is None else {"theta0": theta0}

    def fit(rate):
        clone = type(model)(**(model.get_params() | {"learning_rate_init": float(rate),
                                                     "record_trajectory": True}))  # fmt: skip
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DivergenceWarning)
            clone.fit(X, y, **fit_args)
        return clone, any(issubclass(w.category, DivergenceWarning) for w in caught)

    if surface is None:
        from fastnn.surface import loss_surface

        middle, _ = fit(rates[rates.size // 2])
        path = middle.trajectory_
        low, high = path[:, :2].min(axis=0), path[:, :2].max(axis=0)
        pad = 0.25 * np.maximum(high - low, 1e-3)
        surface = loss_surface(middle, X, y, params=(0, 1), resolution=81,
                               span=tuple(zip(low - pad, high + pad, strict=True)))  # fmt: skip
    A, B, Z = surface_grid(surface, MAX_INTERACTIVE_POINTS)
    quantity, _ = _quantity(surface)
    x_title, y_title = axis_titles(surface)
    figure = go.FigureWidget()
    figure.add_contour(x=A[0], y=B[:, 0], z=Z, colorscale="Viridis", ncontours=30,
                       colorbar={"title": {"text": quantity}}, name=quantity,
                       hovertemplate=f"{quantity}: %{{z:.6g}}<extra></extra>")  # fmt: skip
    figure.add_scatter(x=[], y=[], mode="lines+markers", name="path",
                       line={"color": "#d62728", "width": 2}, marker={"size": 4})  # fmt: skip
    figure.update_layout(xaxis_title=x_title, yaxis_title=y_title, height=480,
                         margin={"l": 10, "r": 10, "t": 50, "b": 10})  # fmt: skip
    slider = ipywidgets.SelectionSlider(
        options=[(f"{rate:.4g}", rate) for rate in rates], value=rates[rates.size // 2],
        description="learning rate", continuous_update=True,
        layout=ipywidgets.Layout(width="90%"), style={"description_width": "initial"},
    )  # fmt: skip

    def redraw(rate):
        fitted, diverged = fit(rate)
        coords = surface.project(fitted.trajectory_)
        with figure.batch_update():
            figure.data[-1].x, figure.data[-1].y = coords[:, 0], coords[:, 1]
            state = "diverged, stopped" if diverged else f"final loss {fitted.loss_:.4g}"
            figure.layout.title.text = f"learning rate {rate:.4g}: {state}"

    slider.observe(lambda change: redraw(change["new"]), names="value")
    redraw(slider.value)
    return ipywidgets.VBox([slider, figure])
