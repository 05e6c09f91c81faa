"""Sohl-Dickstein's tanh experiment: the boundary of trainability over per-layer learning rates.

"The boundary of neural network trainability is fractal" (2024), as its code sets it up
(github.com/Sohl-Dickstein/fractal, the lr_vs_lr tanh condition):

* a network with one hidden layer of n = 16 tanh units, one output and no biases, in the
  mean-field parameterisation ``y = a1 W1 tanh(a0 W0 x)`` with ``a0 = sqrt(2 / n)`` and
  ``a1 = 1 / n``, every raw weight drawn from N(0, 1);
* as many training examples as parameters (272), inputs and targets N(0, 1);
* the mean squared error, 500 steps of full-batch gradient descent with one learning rate
  per layer (eta0 for W0, eta1 for W1).

In fastnn this network is ``MLPRegressor((16,), "tanh", init="normal", init_scale=(a0,
a1), biases=False)``: its weights are ``a_l W_l``, and a GD step of ``eta_l`` on ``W_l`` is
a step of ``eta_l a_l**2`` on them.  The maps below are computed at fastnn's rates and
drawn at the paper's (the axes divided by ``a_l**2``).

What differs: the outcome rule.  The paper calls a run converged when its last 20 losses
average below the first; fastnn's maps use its estimators' divergence rule (a loss above
1e4 times the first, or not finite), and colour converged runs by the mean loss over the
first.  The data and initial weights are drawn by numpy, not JAX, so this is the same
experiment, not the same pixels.

Draws a map of the whole box and two zooms (each 1/8 the width, in log units, centred on a
point of the boundary), and prints the time of each.

Usage: python scripts/fractal_trainability.py [--resolution 96] [--zoom-resolution 64]
       [--steps 500] [--png fractal_trainability.png]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

WIDTH = 16
BOX = ((1e-1, 1e4), (1e0, 1e4))  # eta0, eta1 in the paper's units
ZOOM = 8.0


def paper_problem(width: int = WIDTH, seed: int = 0):
    """(X, y, estimator, scales): the paper's data, network and mean-field scales."""
    import fastnn

    rng = np.random.default_rng(seed)
    n_params = width * width + width
    X = rng.normal(size=(n_params, width))
    y = rng.normal(size=n_params)
    scales = (np.sqrt(2.0 / width), 1.0 / width)
    estimator = fastnn.MLPRegressor(
        (width,), "tanh", solver="gd", tol=None, random_state=seed, init="normal",
        init_scale=scales, biases=False,
    )  # fmt: skip
    return X, y, estimator, scales


def boundary_box(tmap, previous_box, zoom: float):
    """A box ``zoom`` times narrower (log units) centred on a boundary cell near the middle."""
    d = tmap.diverged
    edge = np.zeros_like(d)
    edge[:-1, :] |= d[:-1, :] != d[1:, :]
    edge[:, :-1] |= d[:, :-1] != d[:, 1:]
    cells = np.argwhere(edge)
    if cells.size == 0:
        raise RuntimeError("no boundary in the map: widen the box")
    middle = np.array(d.shape) / 2
    i, j = cells[np.argmin(((cells - middle) ** 2).sum(axis=1))]
    box = []
    for (lo, hi), centre in zip(previous_box, (tmap.a[i], tmap.b[j]), strict=True):
        half = (np.log10(hi) - np.log10(lo)) / zoom / 2
        box.append((10 ** (np.log10(centre) - half), 10 ** (np.log10(centre) + half)))
    return tuple(box)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=96)
    parser.add_argument("--zoom-resolution", type=int, default=64)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--png", default="fractal_trainability.png")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import fastnn
    from fastnn.trainability import plot_zoom

    X, y, estimator, (a0, a1) = paper_problem()
    estimator.set_params(max_iter=args.steps)
    factors = (a0**2, a1**2)
    box, maps, results = BOX, [], {}
    for k, resolution in enumerate((args.resolution, args.zoom_resolution, args.zoom_resolution)):
        ranges = tuple((lo * f, hi * f) for (lo, hi), f in zip(box, factors, strict=True))
        start = time.perf_counter()
        tmap = fastnn.trainability(estimator, X, y, ranges=ranges, resolution=resolution,
                                   progress=False)  # fmt: skip
        seconds = time.perf_counter() - start
        results[f"map {k}"] = seconds
        print(
            f"map {k}: eta0 in [{box[0][0]:.6g}, {box[0][1]:.6g}], eta1 in [{box[1][0]:.6g}, "
            f"{box[1][1]:.6g}], {resolution} x {resolution} trainings of {args.steps} steps: "
            f"{seconds:.1f} s ({seconds / resolution**2 * 1e3:.2f} ms per training), "
            f"{100 * tmap.diverged.mean():.1f}% diverged",
            flush=True,
        )
        maps.append(
            dataclasses.replace(
                tmap, a=tmap.a / factors[0], b=tmap.b / factors[1],
                labels=("input-layer learning rate eta0", "output-layer learning rate eta1"),
            )
        )  # fmt: skip
        if k < 2:
            box = boundary_box(maps[-1], box, ZOOM)
    fig = plot_zoom(maps)
    fig.suptitle(
        f"tanh network 16-16-1 without biases, mean-field scales, {X.shape[0]} examples, "
        f"{args.steps} full-batch GD steps (Sohl-Dickstein 2024)",
        y=1.02,
    )
    fig.savefig(args.png, dpi=110, bbox_inches="tight")
    print(f"wrote {args.png}; total {sum(results.values()):.1f} s")
    results["maps"] = maps
    return results


if __name__ == "__main__":
    main()
