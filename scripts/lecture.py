"""Run the lecture's sections that fastnn implements so far and print a short report.

Linear regression (closed form and OLS), gradient descent (1-D, 2-D and on the
linear model), logistic regression and the neural network, each with the
lecture's settings (its mistakes corrected), the true parameters next to the
estimated ones, accuracies and timings.

Usage: python scripts/lecture.py [--seed N] [--figures DIR]
"""

from __future__ import annotations

import argparse
import time
import warnings

import fastnn
from fastnn import data

_FIGURES: list[str] = []  # set by --figures DIR


def _save(surface, name, trajectory=None):
    """With --figures DIR: write the surface as contour and 3-D PNGs with the path on top."""
    if not _FIGURES:
        return
    import os

    for kind in ("contour", "3d"):
        fig = surface.plot(kind, trajectory=trajectory)
        fig.savefig(os.path.join(_FIGURES[0], f"{name}_{kind}.png"), dpi=100)


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def linear_regression(seed: int) -> None:
    print("1. Linear regression: y = 3 + 2.5 x + 5 N(0, 1), 100 points on [-4, 6]")
    X, y = data.linear(100, seed=seed)
    (intercept, slope), t_closed = _timed(lambda: fastnn.linear_fit_1d(X[:, 0], y))
    ols, t_ols = _timed(lambda: fastnn.LinearRegression().fit(X, y))
    print("   true       intercept 3.000  slope 2.500")
    print(f"   closed     intercept {intercept:.3f}  slope {slope:.3f}   ({t_closed * 1e3:.2f} ms)")
    print(
        f"   OLS        intercept {ols.intercept_:.3f}  slope {ols.coef_[0]:.3f}   "
        f"MSE {ols.loss_:.3f}   ({t_ols * 1e3:.2f} ms)"
    )


def gradient_descent_examples(seed: int) -> None:
    print("2. Gradient descent on f(theta) = (theta + 5)^2 from theta = 1")
    grad = lambda theta: 2 * theta + 10  # noqa: E731
    for lr in (0.005, 0.4, 0.8, 1.01):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", fastnn.DivergenceWarning)
            path = fastnn.gradient_descent(grad, theta0=1.0, lr=lr, n_iter=20)
        note = "  <- diverging" if caught else ""
        head = ", ".join(f"{v:.4g}" for v in path[:5])
        print(f"   lr {lr:<5}  {head}, ... -> {path[-1]:.4g}{note}")
    path = fastnn.gradient_descent(lambda t: 2 * t, theta0=[3.0, 4.0], lr=0.1, n_iter=20)
    print(f"   2-D paraboloid, lr 0.1: [3, 4] -> [{path[-1, 0]:.4f}, {path[-1, 1]:.4f}]")

    print("   Linear model by GD: true [0, 4], sigma 2, start [-3, 1], lr 0.05, 100 iterations")
    X, y = data.linear(100, seed=seed, intercept=0.0, slope=4.0, noise=2.0)
    model, elapsed = _timed(
        lambda: fastnn.LinearRegression(
            solver="gd", learning_rate_init=0.05, max_iter=100, record_trajectory=True
        ).fit(X, y, theta0=[-3.0, 1.0])
    )
    ols = fastnn.LinearRegression().fit(X, y)
    print(
        f"   GD   theta [{model.theta_[0]:.3f}, {model.theta_[1]:.3f}]  "
        f"loss {model.loss_curve_[0]:.2f} -> {model.loss_:.3f}   ({elapsed * 1e3:.2f} ms)"
    )
    print(f"   OLS  theta [{ols.theta_[0]:.3f}, {ols.theta_[1]:.3f}]  loss {ols.loss_:.3f}")
    # The lecture's surface: intercept and slope each +- 3 around the true [0, 4], 100 x 100.
    surface, elapsed = _timed(
        lambda: fastnn.loss_surface(
            model, X, y, params=("intercept", "w1"), span=((-3, 3), (1, 7)), resolution=100
        )
    )
    i, j = surface.argmin()
    print(
        f"   loss surface 100 x 100 (intercept x slope): min {surface.values[i, j]:.3f} at "
        f"[{surface.a[i]:.3f}, {surface.b[j]:.3f}], GD path from [-3, 1] drawn on it   "
        f"({elapsed * 1e3:.1f} ms)"
    )
    _save(surface, "linear_surface", trajectory=model.trajectory_)


def logistic_regression(seed: int) -> None:
    print("3. Logistic regression: blobs at [0, 0] and [-1, 5], 1000 train / 500 test")
    X, y = data.blobs(1000, seed=seed)
    X_test, y_test = data.blobs(500, seed=seed + 1)
    # The lecture's surface: theta1 x theta2 in [-10, 10], bias fixed at 0, 50 x 50 --
    # values[i, j] is the loss at (theta1[i], theta2[j]), plotted without a transpose.
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
    print(
        f"   loss surface 50 x 50 (theta1 x theta2, bias 0): min BCE {surface.values[i, j]:.4f}"
        f" at [{surface.a[i]:.2f}, {surface.b[j]:.2f}]   ({elapsed * 1e3:.1f} ms)"
    )
    _save(surface, "logistic_surface")
    for solver in ("gd", "sgd", "minibatch"):
        model, elapsed = _timed(
            lambda s=solver: fastnn.LogisticRegression(
                solver=s, max_iter=1000, random_state=seed
            ).fit(X, y)
        )
        theta = ", ".join(f"{v:.2f}" for v in model.theta_)
        print(
            f"   {solver:<9}  theta [{theta}]  BCE {model.loss_:.4f}  "
            f"test accuracy {model.score(X_test, y_test):.3f}   ({elapsed * 1e3:.1f} ms)"
        )


def neural_network(seed: int) -> None:
    print(
        "4. Neural network: 2 -> 10 sigmoid -> 1 sigmoid on the donut, full-batch GD, "
        "1000 iterations"
    )
    X, y = data.donut(2000, seed=seed)
    X_test, y_test = data.donut(1000, seed=seed + 1)
    # The lecture's network with a hidden bias, mean gradients and a step that suits them.
    model, elapsed = _timed(
        lambda: fastnn.MLPClassifier(
            (10,),
            "sigmoid",
            solver="gd",
            learning_rate_init=1.0,
            max_iter=1000,
            tol=None,
            init="normal",
            random_state=seed,
        ).fit(X, y)
    )
    print(
        f"   BCE {model.loss_curve_[0]:.3f} -> {model.loss_:.4f}   train accuracy "
        f"{model.score(X, y):.3f}   test accuracy {model.score(X_test, y_test):.3f}   "
        f"({elapsed * 1e3:.0f} ms)"
    )
    print(
        "   (the classes overlap: about 0.95-0.96 is the best any classifier can do; "
        "scripts/lecture_network.py compares with the best radius threshold)"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the data sets (default 0)")
    parser.add_argument("--figures", metavar="DIR", help="also write the loss surfaces as PNGs")
    args = parser.parse_args(argv)
    if args.figures:
        import os

        os.makedirs(args.figures, exist_ok=True)
        _FIGURES[:] = [args.figures]
    start = time.perf_counter()
    linear_regression(args.seed)
    gradient_descent_examples(args.seed)
    logistic_regression(args.seed)
    neural_network(args.seed)
    print(f"done in {time.perf_counter() - start:.2f} s (includes JIT loading/compiling)")


if __name__ == "__main__":
    main()
