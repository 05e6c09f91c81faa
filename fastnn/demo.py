"""The whole lecture, in order: a printed report, every figure as PNG, and an index.html.

``fastnn demo`` runs it (see :mod:`fastnn.cli`).  Sections: linear regression (closed
form, OLS), gradient descent (1-D, 2-D, on the linear model with its loss surface and
path), logistic regression (with its surface), the neural network (with a
filter-normalised surface, its Hessian spectrum and a convexity map).  The lecture's
settings are used with its mistakes corrected (README, "Differences from the lecture's
code").
"""

from __future__ import annotations

import copy
import html
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import fastnn
from fastnn import lecture
from fastnn.plot import (
    plot_classes,
    plot_decision,
    plot_descent_1d,
    plot_descent_2d,
    plot_fitted_lines,
    plot_loss_curve,
    plot_regression_data,
    save_animation,
)

FIGURE_DPI = 100


@dataclass
class Section:
    """One part of the lecture as computed: its title, report lines, figures and numbers.

    Computing a section writes nothing; :class:`ReportWriter` prints and saves it.
    """

    title: str
    lines: list[str] = field(default_factory=list)
    figures: list[tuple[Any, str, str]] = field(default_factory=list)  # (figure, name, caption)
    animations: list[tuple[Any, str, str]] = field(default_factory=list)  # the same, GIFs
    pages: list[tuple[Any, str, str]] = field(default_factory=list)  # Plotly figures, HTML
    results: dict = field(default_factory=dict)

    def say(self, text: str) -> None:
        """Add a line to the report."""
        self.lines.append(text)

    def figure(self, fig, name: str, caption: str) -> None:
        """Add a matplotlib figure, saved later as ``<name>.png``."""
        self.figures.append((fig, name, caption))

    def animation(self, animation, name: str, caption: str) -> None:
        """Add a matplotlib animation, saved later as ``<name>.gif``."""
        self.animations.append((animation, name, caption))

    def interactive(self, figure, name: str, caption: str) -> None:
        """Add a Plotly figure, saved later as ``<name>.html`` (self-contained)."""
        self.pages.append((figure, name, caption))


def _descent_panels(f, paths):
    """One panel per path, on the same contours and the same box."""
    from fastnn.plot import detached_figure

    fig = detached_figure(figsize=(10, 7))
    axes = fig.subplots(2, 2, sharex=True, sharey=True).ravel()
    for ax, (label, path) in zip(axes, paths.items(), strict=True):
        plot_descent_2d(f, {label: path}, ax=ax, title=label, extent=(-4.5, 4.5, -2.5, 2.5))
        ax.set_xlim(-4.5, 4.5)
        ax.set_ylim(-2.5, 2.5)
    return fig


def _compiled_kernels() -> int:
    """How many of fastnn's kernels this process compiled (instead of loading them)."""
    import sys

    from numba.core.registry import CPUDispatcher

    compiled = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("fastnn.kernels") or module is None:
            continue
        for obj in vars(module).values():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == name:
                compiled += sum(obj.stats.cache_misses.values())
    return compiled


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _with_theta(model, theta):
    """A shallow copy of a fitted model that predicts with other parameters."""
    other = copy.copy(model)
    other.theta_ = np.asarray(theta, dtype=np.float64)
    return other


def linear_regression(seed: int, quick: bool) -> Section:
    """Section 1: the closed form and OLS on the lecture's line data."""
    section = Section("1. Linear regression: y = 3 + 2.5 x + 5 N(0, 1), 100 points on [-4, 6]")
    X, y = lecture.ols_data(seed)
    (intercept, slope), t_closed = _timed(lambda: fastnn.linear_fit_1d(X[:, 0], y))
    ols, t_ols = _timed(lambda: fastnn.LinearRegression().fit(X, y))
    section.say("true       intercept 3.000  slope 2.500")
    section.say(
        f"closed     intercept {intercept:.3f}  slope {slope:.3f}   ({t_closed * 1e3:.2f} ms)"
    )
    section.say(
        f"OLS        intercept {ols.intercept_:.3f}  slope {ols.coef_[0]:.3f}   "
        f"MSE {ols.loss_:.3f}   ({t_ols * 1e3:.2f} ms)"
    )
    section.results["linear"] = {"intercept": ols.intercept_, "slope": float(ols.coef_[0])}
    section.figure(
        plot_regression_data(X, y, 3.0, 2.5, title="Linear regression data (true line dashed)"),
        "linear_data",
        "The data: y = 3 + 2.5 x + 5 N(0, 1), the true line dashed.",
    )
    section.figure(
        plot_fitted_lines(
            X,
            y,
            {"closed form": (intercept, slope), "OLS": (ols.intercept_, ols.coef_[0])},
            title="Fitted lines",
        ),
        "linear_fit",
        f"Closed form and least squares agree: intercept {ols.intercept_:.3f}, "
        f"slope {ols.coef_[0]:.3f}.",
    )
    return section


def gradient_descent(seed: int, quick: bool) -> Section:
    """Section 2: gradient descent in 1-D, 2-D and on the linear model, with its surface."""
    section = Section("2. Gradient descent on f(theta) = (theta + 5)^2 from theta = 1")
    f = lambda theta: (theta + 5.0) ** 2  # noqa: E731
    grad = lambda theta: 2.0 * theta + 10.0  # noqa: E731
    paths = {}
    for lr in (0.005, 0.4, 0.8, 1.01):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", fastnn.DivergenceWarning)
            path = fastnn.gradient_descent(grad, theta0=1.0, lr=lr, n_iter=20)
        paths[lr] = path
        note = "  <- diverging" if caught else ""
        head = ", ".join(f"{v:.4g}" for v in path[:5])
        section.say(f"lr {lr:<5}  {head}, ... -> {path[-1]:.4g}{note}")
    section.figure(
        plot_descent_1d(f, paths, title="GD on (theta + 5)^2: learning rates"),
        "gd_1d",
        "Gradient descent on (theta + 5)^2 from theta = 1: lr 0.005 crawls, 0.4 converges, "
        "0.8 oscillates, 1.01 diverges.",
    )
    paths_2d = {
        f"lr {lr}": fastnn.gradient_descent(lambda t: 2 * t, theta0=[3.0, 4.0], lr=lr, n_iter=20)
        for lr in (0.05, 0.1, 0.5, 0.9)
    }
    end = paths_2d["lr 0.1"][-1]
    section.say(f"2-D paraboloid, lr 0.1: [3, 4] -> [{end[0]:.4f}, {end[1]:.4f}]")
    # On a round bowl every rate moves along one ray; an elongated one shows what a rate
    # does: curvatures 2 and 20, so GD is stable below 2 / 20 = 0.1.
    bowl = lambda a, b: a**2 + 10.0 * b**2  # noqa: E731
    elongated = {}
    for lr, what in ((0.01, "creeps"), (0.05, "converges"), (0.095, "zig-zags"),
                     (0.104, "diverges")):  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fastnn.DivergenceWarning)
            path = fastnn.gradient_descent(
                lambda t: np.array([2.0 * t[0], 20.0 * t[1]]), theta0=[-4.0, 1.5], lr=lr,
                n_iter=30,
            )  # fmt: skip
        elongated[f"lr {lr}: {what}"] = path
        section.say(
            f"bowl theta0^2 + 10 theta1^2, lr {lr:<5}: [-4, 1.5] -> "
            f"[{path[-1][0]:.3g}, {path[-1][1]:.3g}] after 30 steps ({what})"
        )
    section.figure(
        _descent_panels(bowl, elongated),
        "gd_2d",
        "Gradient descent on the elongated bowl theta0^2 + 10 theta1^2 from [-4, 1.5], 30 "
        "steps: a small rate creeps along the shallow direction, a rate near 2 / 20 = 0.1 "
        "zig-zags across the steep one, and above it the zig-zag grows.",
    )

    section.say("Linear model by GD: true [0, 4], sigma 2, start [-3, 1], lr 0.05, 100 iterations")
    X, y = lecture.gd_data(seed)
    model, elapsed = _timed(
        lambda: lecture.linear_gd_model().fit(X, y, theta0=lecture.LINEAR_GD_START)
    )
    ols = fastnn.LinearRegression().fit(X, y)
    section.say(
        f"GD   theta [{model.theta_[0]:.3f}, {model.theta_[1]:.3f}]  "
        f"loss {model.loss_curve_[0]:.2f} -> {model.loss_:.3f}   ({elapsed * 1e3:.2f} ms)"
    )
    section.say(f"OLS  theta [{ols.theta_[0]:.3f}, {ols.theta_[1]:.3f}]  loss {ols.loss_:.3f}")
    surface, elapsed = _timed(
        lambda: fastnn.loss_surface(
            model, X, y, params=("intercept", "w1"), span=((-3, 3), (1, 7)), resolution=100
        )
    )
    i, j = surface.argmin()
    section.say(
        f"loss surface 100 x 100 (intercept x slope): min {surface.values[i, j]:.3f} at "
        f"[{surface.a[i]:.3f}, {surface.b[j]:.3f}]   ({elapsed * 1e3:.1f} ms)"
    )
    section.results["gd"] = {"theta": model.theta_.tolist(), "loss": model.loss_}
    caption = "intercept x slope (the parameter w1), 100 x 100, the GD path from [-3, 1] on top"
    section.figure(
        surface.plot("3d", trajectory=model.trajectory_, title="MSE surface (3-D)"),
        "linear_surface_3d",
        f"The mean squared error over {caption}.",
    )
    section.figure(
        surface.plot("contour", trajectory=model.trajectory_, title="MSE surface (contour)"),
        "linear_surface_contour",
        f"Contours of the same surface ({caption}).",
    )
    section.figure(
        plot_loss_curve(model.loss_curve_, log=True, title="GD on the linear model: MSE"),
        "linear_gd_loss",
        f"MSE per iteration: {model.loss_curve_[0]:.1f} -> {model.loss_:.3f} "
        f"(OLS: {ols.loss_:.3f}).",
    )
    section.figure(
        plot_fitted_lines(
            X,
            y,
            {"GD": tuple(model.theta_), "OLS": tuple(ols.theta_)},
            title="GD fit vs least squares",
        ),
        "linear_gd_fit",
        "The line found by gradient descent next to the least-squares line.",
    )
    _learning_rate_line(section, X, y, quick)
    return section


def _learning_rate_line(section, X, y, quick):
    """The lecture's learning-rate lesson at scale: final loss against the rate, 2 / lambda_max."""
    import matplotlib.pyplot as plt

    ols = fastnn.LinearRegression().fit(X, y)
    top = float(fastnn.hessian_eigs(ols, X, y, k=1).values[0])  # MSE: H is constant
    threshold = 2.0 / top
    rates = np.geomspace(threshold / 1000, 3 * threshold, 40 if quick else 120)
    final_losses, stopped = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.DivergenceWarning)
        for lr in rates:
            fit = lecture.linear_gd_model(learning_rate_init=lr, record_trajectory=False)
            fit.fit(X, y, theta0=lecture.LINEAR_GD_START)
            final_losses.append(fit.loss_)
            stopped.append(fit.n_iter_ < 100)
    finals, diverged = np.array(final_losses), np.array(stopped)
    first = rates[np.argmax(diverged)] if diverged.any() else np.nan
    section.say(
        f"100 GD iterations at {rates.size} learning rates: the Hessian's largest eigenvalue "
        f"{top:.4g} puts the stability limit at 2 / lambda_max = {threshold:.4g}; the first "
        f"rate stopped as diverging: {first:.4g}"
    )
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.loglog(rates[~diverged], finals[~diverged], ".-", label="final MSE after 100 iterations")
    if diverged.any():
        ax.loglog(rates[diverged], finals[diverged], "rx", label="diverged (stopped)")
    ax.axvline(threshold, color="k", ls="--", lw=1, label="2 / largest Hessian eigenvalue")
    ax.axhline(ols.loss_, color="C2", lw=1, label="least squares")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("mean squared error")
    ax.set_title("Final loss against the learning rate")
    ax.legend(fontsize="small")
    section.figure(
        fig,
        "linear_learning_rates",
        "Final MSE of 100 GD iterations from [-3, 1] for each learning rate: too small "
        "creeps, beyond 2 / lambda_max (dashed) the iteration grows.",
    )


def logistic_regression(seed: int, quick: bool) -> Section:
    """Section 3: logistic regression on two blobs, its decision line and loss surface."""
    section = Section("3. Logistic regression: blobs at [0, 0] and [-1, 5], 1000 train / 500 test")
    X, y = lecture.logistic_data(seed)
    X_test, y_test = lecture.logistic_data(seed, test=True)
    section.figure(
        plot_classes(X, y, X_test, y_test, title="Two Gaussian classes"),
        "logistic_data",
        "Training (filled) and test (open) samples of the two classes.",
    )
    theta0 = lecture.LOGISTIC_GD_START
    model, elapsed = _timed(lambda: lecture.logistic_gd_model().fit(X, y, theta0=theta0))
    theta = ", ".join(f"{v:.2f}" for v in model.theta_)
    accuracy = model.score(X_test, y_test)
    section.say(
        f"GD from [0, -10, 10]: theta [{theta}]  BCE {model.loss_curve_[0]:.3f} -> "
        f"{model.loss_:.4f}  test accuracy {accuracy:.3f}   ({elapsed * 1e3:.1f} ms)"
    )
    if not quick:
        for solver in ("sgd", "minibatch"):
            other, t = _timed(
                lambda s=solver: fastnn.LogisticRegression(
                    solver=s, max_iter=200, random_state=seed
                ).fit(X, y)
            )
            section.say(
                f"{solver:<9} (200 epochs): BCE {other.loss_:.4f}  test accuracy "
                f"{other.score(X_test, y_test):.3f}   ({t * 1e3:.1f} ms)"
            )
    section.results["logistic"] = {"theta": model.theta_.tolist(), "test_accuracy": accuracy}
    surface, elapsed = _timed(
        lambda: fastnn.loss_surface(
            fastnn.LogisticRegression,
            X,
            y,
            params=("w1", "w2"),
            span=((-10, 10), (-10, 10)),
            resolution=50,
            center=[0.0, 0.0, 0.0],
        )
    )
    i, j = surface.argmin()
    section.say(
        f"loss surface 50 x 50 (theta1 x theta2, bias 0): min BCE {surface.values[i, j]:.4f}"
        f" at [{surface.a[i]:.2f}, {surface.b[j]:.2f}]   ({elapsed * 1e3:.1f} ms)"
    )
    # GD moves the bias too, which this slice holds at 0: its path lies far off the plane
    # (76% of its reach), so it is not drawn here (fastnn warns when asked to).
    section.figure(
        surface.plot("3d", title="BCE surface, bias 0 (3-D)"),
        "logistic_surface_3d",
        "Mean cross-entropy over theta1 x theta2 in [-10, 10] with the bias at 0. The GD "
        "path is not drawn: it moves the bias too, so it does not lie in this slice.",
    )
    section.figure(
        surface.plot("contour", log=True, title="BCE surface, bias 0"),
        "logistic_surface_contour",
        "Contours of the same surface (log levels), drawn the right way round.",
    )
    section.figure(
        plot_decision(_with_theta(model, theta0), X_test, y_test, title="Before training"),
        "logistic_before",
        "Predicted P(class 1) at the starting point [0, -10, 10].",
    )
    section.figure(
        plot_loss_curve(model.loss_curve_, log=True, title="Logistic regression: BCE"),
        "logistic_loss",
        f"Mean cross-entropy per GD iteration, {model.loss_curve_[0]:.2f} -> {model.loss_:.4f}.",
    )
    section.figure(
        plot_decision(model, X_test, y_test, title="After training (test samples)"),
        "logistic_after",
        f"Predicted P(class 1) after training and the decision boundary; test accuracy "
        f"{accuracy:.3f}.",
    )
    return section


def neural_network(seed: int, quick: bool) -> Section:
    """Section 4: the 2-10-1 network on the donut, its decision region and surfaces."""
    iterations = 300 if quick else 1000
    section = Section(
        f"4. Neural network: 2 -> 10 sigmoid -> 1 sigmoid on the donut, full-batch GD, "
        f"{iterations} iterations"
    )
    X, y = lecture.network_data(seed)
    X_test, y_test = lecture.network_data(seed, test=True)
    section.figure(
        plot_classes(X, y, X_test, y_test, title="The donut"),
        "network_data",
        "A Gaussian blob inside a noisy ring: no line separates them.",
    )
    model, elapsed = _timed(
        lambda: lecture.network_model(
            max_iter=iterations,
            random_state=seed,
            record_trajectory=max(1, iterations // 100),
        ).fit(X, y)
    )
    train_accuracy, test_accuracy = model.score(X, y), model.score(X_test, y_test)
    section.say(
        f"BCE {model.loss_curve_[0]:.3f} -> {model.loss_:.4f}   train accuracy "
        f"{train_accuracy:.3f}   test accuracy {test_accuracy:.3f}   ({elapsed * 1e3:.0f} ms)"
    )
    section.say("(the classes overlap: about 0.95-0.96 is the best any classifier can do here)")
    section.results["network"] = {"test_accuracy": test_accuracy, "loss": model.loss_}
    grid = 31 if quick else 101
    surface, elapsed = _timed(
        lambda: fastnn.loss_surface(
            model, X, y, directions="filter", random_state=seed, resolution=grid
        )
    )
    section.say(
        f"filter-normalised loss surface {grid} x {grid}: centre BCE {surface.center_loss:.4f}"
        f", min {surface.values.min():.4f}   ({elapsed * 1e3:.0f} ms)"
    )
    pca = fastnn.loss_surface(model, X, y, directions="pca", resolution=grid)
    ratio = sum(pca.info["explained_variance_ratio"])
    section.say(f"PCA plane of the GD path: {100 * ratio:.1f}% of its variance")
    section.figure(
        plot_decision(
            _with_theta(model, model.trajectory_[0]), X_test, y_test, title="Before training"
        ),
        "network_before",
        "Predicted P(class 1) with the initial weights (N(0, 1)).",
    )
    section.figure(
        plot_loss_curve(model.loss_curve_, title="The network: BCE per iteration"),
        "network_loss",
        f"Mean cross-entropy per GD iteration, {model.loss_curve_[0]:.3f} -> {model.loss_:.4f}.",
    )
    section.figure(
        plot_decision(model, X_test, y_test, title="After training (test samples)"),
        "network_after",
        f"Predicted P(class 1) after training: a closed boundary around the blob; test "
        f"accuracy {test_accuracy:.3f}.",
    )
    section.figure(
        surface.plot("filled", title="Filter-normalised plane around the trained network"),
        "network_surface",
        f"The loss in a random filter-normalised plane (Li et al. 2018) through the trained "
        f"weights, {grid} x {grid}.",
    )
    section.figure(
        pca.plot("contour", trajectory=model.trajectory_, title="PCA plane of the GD path"),
        "network_surface_pca",
        f"The loss in the plane of the path's two principal directions ({100 * ratio:.1f}% "
        "of its variance), with the path on top.",
    )
    steps = model.loss_model(X, y)
    losses = [steps.loss_at(theta) for theta in model.trajectory_]
    _interactive_surface(section, pca, model.trajectory_, losses)
    section.animation(
        pca.animate(
            model.trajectory_,
            losses=losses,
            title="Gradient descent on the lecture network",
        ),  # fmt: skip
        "network_descent",
        "The same path as it was taken, step by step (an animated GIF): the loss falls fast "
        "down the slope, then slowly along the valley towards the basin.",
    )
    _network_curvature(section, model, X, y, seed, quick)
    _network_trainability(section, X, y, seed, quick)
    return section


def _interactive_surface(section, pca, trajectory, losses):
    """The PCA plane as an interactive 3-D figure, with the interactive extra installed."""
    import importlib.util

    if importlib.util.find_spec("plotly") is None:
        section.say('(pip install "fastnn[interactive]": the page also shows this surface in 3-D)')
        return
    section.interactive(
        pca.to_plotly(trajectory, losses=losses, log=True,
                      title="The lecture network in the plane of its path"),
        "network_surface_interactive",
        "The same plane, interactive: turn the 3-D view, hover for the loss at any grid point "
        "and at each step of the path (colours: log10 of the loss).",
    )  # fmt: skip


def _network_trainability(section, X, y, seed, quick):
    """Per-layer learning rates of the lecture network: where training converges."""
    import matplotlib.pyplot as plt

    grid, epochs = (12, 100) if quick else (32, 200)
    network = lecture.network_model(max_iter=epochs, tol=None, random_state=seed)
    # One learning rate for both layers: the first column of a map whose second axis is
    # the initial scale, 1 there (grids have at least two columns)
    points = 24 if quick else 80
    line = fastnn.trainability(
        network, X, y, params=("learning_rate_init", "init_scale"),
        ranges=((1e-2, 1e4), (1.0, 2.0)), resolution=(points, 2),
    )  # fmt: skip
    # the initial weights every run starts from: fit's draw from random_state=seed
    theta0 = fastnn.MLPLayout((2, 10, 1)).initial_theta(np.random.default_rng(seed), "normal")
    top = float(fastnn.hessian_eigs(network, X, y, k=1, center=theta0).values[0])
    diverged = line.diverged[:, 0]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.loglog(line.a[~diverged], line.values[~diverged, 0], ".-",
              label=f"final cross-entropy after {epochs} epochs")  # fmt: skip
    if diverged.any():
        ax.loglog(line.a[diverged], line.values[diverged, 0], "rx", label="diverged (stopped)")
    ax.axvline(2.0 / top, color="k", ls="--", lw=1, label="2 / largest eigenvalue at the start")
    ax.set_xlabel("learning rate (both layers)")
    ax.set_ylabel("binary cross-entropy")
    ax.set_title("The network: final loss against the learning rate")
    ax.legend(fontsize="small")
    section.say(
        f"{points} learning rates for the network: 2 / lambda_max at its initial weights is "
        f"{2.0 / top:.3g}; {int(diverged.sum())} of the runs diverged"
    )
    section.figure(
        fig,
        "network_learning_rates",
        f"Final loss after {epochs} full-batch GD epochs from the same initial weights for "
        "each learning rate; dashed: 2 / the Hessian's largest eigenvalue at the start (a "
        "quadratic model's limit, which a network can pass: its curvature changes as it "
        "trains).",
    )
    tmap, elapsed = _timed(
        lambda: fastnn.trainability(
            network, X, y, ranges=((1e-2, 1e3), (1e-2, 1e3)), resolution=grid
        )
    )
    section.say(
        f"trainability {grid} x {grid} (the two layers' learning rates, {epochs} GD epochs "
        f"each): {100 * tmap.diverged.mean():.0f}% of the runs diverged   "
        f"({elapsed * 1e3:.0f} ms for {grid * grid} trainings)"
    )
    section.figure(
        tmap.plot(title="Trainability of the lecture network: per-layer learning rates"),
        "network_trainability",
        f"{grid * grid} trainings of the network from the same weights, one per pair of "
        "per-layer learning rates: blue by how fast the loss fell (mean over first), red by "
        "the epoch a run diverged.",
    )


def _network_curvature(section, model, X, y, seed, quick):
    """The trained network's Hessian: its spectrum, and a convexity map of its top plane."""
    values = np.linalg.eigvalsh(fastnn.hessian(model, X, y))
    trace, error = fastnn.hessian_trace(model, X, y, n_vectors=200, random_state=seed)
    section.say(
        f"Hessian at the trained weights ({values.size} parameters): largest eigenvalue "
        f"{values[-1]:.4g}, smallest {values[0]:.4g}; trace {values.sum():.4g} (Hutchinson, "
        f"200 vectors: {trace:.4g} +- {error:.2g})"
    )
    steps = min(30, values.size)
    density = fastnn.hessian_density(model, X, y, n_vectors=4, steps=steps, random_state=seed)
    ax = density.plot()
    ax.plot(values, np.full(values.size, density.density.max()), "|", color="C3", ms=14,
            label="exact eigenvalues")  # fmt: skip
    ax.legend(loc="lower center", fontsize="small")
    section.figure(
        ax.figure,
        "network_hessian_spectrum",
        "Eigenvalue density of the Hessian at the trained weights (stochastic Lanczos "
        f"quadrature, 4 runs of {steps} steps); ticks: the {values.size} exact eigenvalues.",
    )
    grid = 21 if quick else 51
    curvature, elapsed = _timed(
        lambda: fastnn.curvature_surface(
            model, X, y, directions="hessian", resolution=grid, span=2.0, random_state=seed
        )
    )
    loss = fastnn.loss_surface(model, X, y, directions=curvature.max)
    convex = float(np.mean(curvature.ratio > 0))
    section.say(
        f"convexity map {grid} x {grid} in the plane of the top-2 eigenvectors: "
        f"{100 * convex:.0f}% of the points locally convex   ({elapsed * 1e3:.0f} ms)"
    )
    section.figure(
        curvature.plot(loss=loss, title="Convexity in the plane of the sharpest directions"),
        "network_convexity",
        "Smallest over largest Hessian eigenvalue at every point of the plane of the top-2 "
        "eigenvectors (blue: locally convex; red: negative curvature), loss contours on top "
        "(Li et al. 2018).",
    )


def connectivity(seed: int, quick: bool) -> Section:
    """Section 5: two lecture networks, their barrier, aligned, and a curve between them."""
    iterations = 300 if quick else 1000
    section = Section(
        "5. Are two solutions connected? Two lecture networks from different seeds: the "
        "barrier between them, after aligning their hidden units, and along a trained curve"
    )
    X, y = lecture.network_data(seed)
    test = {"test": lecture.network_data(seed, test=True)}
    (a, b), elapsed = _timed(
        lambda: [
            lecture.network_model(max_iter=iterations, random_state=s).fit(X, y)
            for s in (seed, seed + 1)
        ]
    )
    points = 25 if quick else 61
    line = fastnn.linear_barrier(a, b, X, y, data=test, resolution=points)
    aligned, alignment = fastnn.align(a, b, return_alignment=True)
    moved = sum(int(np.sum(p != np.arange(p.size))) for p in alignment.permutations)
    aligned_line = fastnn.linear_barrier(a, aligned, X, y, data=test, resolution=points)
    epochs = 30 if quick else 100
    curve, curve_time = _timed(
        lambda: fastnn.connect(a, aligned, X, y, data=test, epochs=epochs, batch_size=32,
                               learning_rate=0.05, resolution=points, random_state=seed)
    )  # fmt: skip
    section.say(
        f"networks of seeds {seed} and {seed + 1}: test accuracy {a.score(*test['test']):.3f} "
        f"and {b.score(*test['test']):.3f}   ({elapsed * 1e3:.0f} ms)"
    )
    for name, profile in (
        ("straight line", line),
        (f"straight line after weight matching ({moved} of 10 units moved)", aligned_line),
        (f"Bezier curve, bend trained {epochs} epochs ({curve_time * 1e3:.0f} ms)", curve.profile),
    ):
        section.say(
            f"loss barrier, {name}: train {profile.loss_barrier['train']:.4g}, test "
            f"{profile.loss_barrier['test']:.4g} (error barrier "
            f"{profile.error_barrier['test']:.3f})"
        )
    section.results["connectivity"] = {
        "line": line.loss_barrier["train"],
        "aligned": aligned_line.loss_barrier["train"],
        "curve": curve.profile.loss_barrier["train"],
    }
    section.figure(
        curve.plot(title="Loss from one network to the other"),
        "connect_profile",
        "Cross-entropy along the straight line from one trained network to the other "
        "(aligned by weight matching; dashed) and along the trained Bezier curve (solid); "
        "thin lines: the error.",
    )
    grid = 31 if quick else 81
    plane = fastnn.loss_surface(a, X, y, plane=curve.plane(resolution=grid))
    section.figure(
        curve.plot_plane(plane, title="The plane through the two networks and the bend"),
        "connect_plane",
        "The loss in the plane of the curve's three control points (Garipov et al. 2018): "
        "the straight line crosses a ridge, the curve follows the valley around it.",
    )
    return section


SECTIONS = (
    linear_regression,
    gradient_descent,
    logistic_regression,
    neural_network,
    connectivity,
)


class Demo:
    """Runs the lecture and collects its report and figures.

    Parameters
    ----------
    out : str
        Directory for the PNGs and index.html (created when missing).
    quick : bool
        Smaller networks runs and grids (the whole demo in seconds once JIT-cached).
    seed : int
        Seed of every data set and random draw.
    stream : file
        Where the report is printed.
    """

    def __init__(self, out="fastnn-demo", quick=False, seed=0, stream=None):
        self.out = out
        self.quick = quick
        self.seed = seed
        self.stream = stream if stream is not None else sys.stdout
        self.results: dict = {}

    def run(self) -> dict:
        """Compute every section, write the report as it goes; returns the key numbers."""
        import matplotlib

        matplotlib.use("Agg")  # figures are files; never open a window
        writer = ReportWriter(self.out, self.stream)
        start = time.perf_counter()
        for compute in SECTIONS:
            section = compute(self.seed, self.quick)
            writer.write(section)
            self.results.update(section.results)
        self.results["seconds"] = time.perf_counter() - start
        index = writer.write_index(self.seed, self.quick)
        compiled = _compiled_kernels()
        note = (
            f"; {compiled} kernel{'s' if compiled != 1 else ''} compiled on this run, so the "
            "times above include compilation (the next run loads them from numba's cache)"
            if compiled
            else "; every kernel was loaded from numba's cache (no compilation in the times)"
        )
        self.results["kernels_compiled"] = compiled
        print(
            f"done in {self.results['seconds']:.2f} s: {writer.n_figures} figures and "
            f"{index}{note}",
            file=self.stream,
        )
        return self.results


class ReportWriter:
    """Prints each computed section, saves its figures as PNGs, and writes ``index.html``.

    Parameters
    ----------
    out : str
        Directory for the PNGs and index.html (created when missing).
    stream : file
        Where the report is printed.
    """

    def __init__(self, out, stream):
        self.out = out
        self.stream = stream
        self.written: list[tuple[Section, list[tuple[str, str]]]] = []
        os.makedirs(out, exist_ok=True)

    @property
    def n_figures(self) -> int:
        """Figures saved so far."""
        return sum(len(files) for _, files in self.written)

    def write(self, section: Section) -> None:
        """Print the section's report and save its figures (closing them)."""
        import matplotlib.pyplot as plt

        print(section.title, file=self.stream)
        for line in section.lines:
            print(f"   {line}", file=self.stream)
        files = []
        for fig, name, caption in section.figures:
            fig.savefig(os.path.join(self.out, f"{name}.png"), dpi=FIGURE_DPI)
            plt.close(fig)
            files.append((f"{name}.png", caption))
        for animation, name, caption in section.animations:
            save_animation(animation, os.path.join(self.out, f"{name}.gif"))
            plt.close(animation._fig)
            files.append((f"{name}.gif", caption))
        for figure, name, caption in section.pages:
            figure.write_html(os.path.join(self.out, f"{name}.html"), include_plotlyjs=True)
            files.append((f"{name}.html", caption))
        self.written.append((section, files))

    def write_index(self, seed: int, quick: bool) -> str:
        """Write ``index.html``: every section's report and figures, in lecture order."""
        parts = [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            "<title>fastnn demo: the lecture</title>",
            "<style>body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}"
            "figure{display:inline-block;margin:0.5rem;width:28rem;vertical-align:top}"
            "img{width:100%}pre{background:#f4f4f4;padding:0.5rem;overflow-x:auto}</style>",
            "</head><body>",
            "<h1>fastnn demo: the lecture, end to end</h1>",
            f"<p>seed {seed}{', quick' if quick else ''}; fastnn {fastnn.__version__}</p>",
        ]
        for section, files in self.written:
            parts.append(f"<h2>{html.escape(section.title)}</h2>")
            parts.append(f"<pre>{html.escape(chr(10).join(section.lines))}</pre>")
            for name, caption in files:
                shown = (
                    f'<iframe src="{html.escape(name)}" title="{html.escape(caption)}" '
                    'style="width:100%;height:36rem;border:0"></iframe>'
                    if name.endswith(".html")
                    else f'<img src="{html.escape(name)}" alt="{html.escape(caption)}">'
                )
                wide = ' style="width:100%"' if name.endswith(".html") else ""
                parts.append(
                    f"<figure{wide}>{shown}<figcaption>{html.escape(caption)}</figcaption></figure>"
                )
        parts.append("</body></html>")
        path = os.path.join(self.out, "index.html")
        with open(path, "w", encoding="utf-8") as index:
            index.write("\n".join(parts))
        return path
