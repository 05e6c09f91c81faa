"""What each hidden activation costs: a surface, training and an HVP, per activation.

A 20-64-32-1 classifier on 4000 samples (the ``relu-surface`` workload of
``scripts/before_after.py``) with the same weights under every activation, and with one
activation per layer: a 41 x 41 random-plane loss surface, 10 epochs of minibatch Adam,
and 8 exact Hessian-vector products.  Each is timed ``--repeats`` times after a warm-up
(which compiles); the best time is reported, with its ratio to relu's.  Runs ``--runs``
times in one process, alternating the activations, and prints the range over runs.

``--outputs``: the same regressor (relu hidden layers, the squared error) under each
output activation instead, with its ratio to the identity output's.

Usage: python scripts/activation_cost.py [--runs 3] [--repeats 3] [--outputs]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import fastnn

ACTIVATIONS = [
    "relu",
    "sigmoid",
    "tanh",
    "identity",
    "leaky_relu",
    "gelu",
    "silu",
    "elu",
    "softplus",
    ("relu", "gelu"),
    ("gelu", "relu"),
]


def _best(work, repeats: int) -> float:
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


OUTPUTS = ["identity", "sigmoid", "tanh", "gelu", "softplus"]


def _network(settings, **options):
    """A classifier with hidden ``activation``, or (``output``) a relu regressor."""
    if "output" in settings:
        return fastnn.MLPRegressor(
            (64, 32), "relu", output_activation=settings["output"], **options
        )
    return fastnn.MLPClassifier((64, 32), settings["activation"], **options)


def _workloads(settings, X, y, theta):
    model = _network(settings, max_iter=1, random_state=0).fit(X, y)
    model.theta_[:] = theta
    V = np.random.default_rng(1).normal(size=(8, theta.size))
    trainer = _network(settings, max_iter=10, tol=None, random_state=0, batch_size=200)
    return {
        "surface 41x41": lambda: fastnn.loss_surface(model, X, y, resolution=41, random_state=0),
        "train 10 epochs": lambda: trainer.fit(X, y),
        "8 HVPs": lambda: fastnn.hvp(model, X, y, V),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--outputs", action="store_true", help="output activations instead")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 20))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 > 0.5) * 1.0
    key, variants = ("output", OUTPUTS) if args.outputs else ("activation", ACTIVATIONS)
    theta = _network({key: variants[0]}, max_iter=1, random_state=0).fit(X, y).theta_.copy()
    times: dict = {}
    for _ in range(args.runs):
        for activation in variants:
            for name, work in _workloads({key: activation}, X, y, theta).items():
                times.setdefault((name, str(activation)), []).append(_best(work, args.repeats))
    names = list(_workloads({key: variants[0]}, X, y, theta))
    print(f"| {key} | " + " | ".join(f"{n} (x {variants[0]})" for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for activation in variants:
        cells = []
        for name in names:
            ours = times[(name, str(activation))]
            relu = times[(name, str(variants[0]))]
            ratios = [a / b for a, b in zip(ours, relu, strict=True)]
            cells.append(
                f"{min(ours) * 1e3:.0f}-{max(ours) * 1e3:.0f} ms "
                f"({min(ratios):.2f}-{max(ratios):.2f})"
            )
        label = activation if isinstance(activation, str) else ", ".join(activation)
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
