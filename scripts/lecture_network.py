"""Train the lecture's neural network on the donut data and report how well it does.

The lecture's network -- 2 inputs, 10 sigmoid hidden units, 1 sigmoid output, weights
drawn from N(0, 1), full-batch gradient descent for 1000 iterations on 2000 training
samples -- with the mistakes of its code corrected: the hidden layer has a bias, the
gradients are means over the samples, and the learning rate suits mean gradients (the
notebook's 0.005 multiplied a sum over 2000 samples, an effective step of about 10).

The classes overlap, so no classifier is perfect; the report compares the network with
the best radius threshold fitted on the training set (the shape of the Bayes rule).

Usage: python scripts/lecture_network.py [--seed N] [--lr LR] [--iterations N] [--backend B]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fastnn import lecture


def radius_threshold(X, y):
    """The radius that best separates the blob (inside) from the ring, on (X, y)."""
    radius = np.hypot(X[:, 0], X[:, 1])
    candidates = np.sort(radius)
    accuracy = [np.mean((radius > c) == (y == 1)) for c in candidates]
    return candidates[int(np.argmax(accuracy))]


def threshold_accuracy(threshold, X, y) -> float:
    return float(np.mean((np.hypot(X[:, 0], X[:, 1]) > threshold) == (y == 1)))


def train(seed: int = 0, lr: float = 1.0, iterations: int = 1000, backend: str = "numba"):
    """Train the corrected lecture network; return the model, the data and the timing."""
    X, y = lecture.network_data(seed)
    X_test, y_test = lecture.network_data(seed, test=True)
    model = lecture.network_model(
        learning_rate_init=lr, max_iter=iterations, random_state=seed, backend=backend
    )
    start = time.perf_counter()
    model.fit(X, y)
    elapsed = time.perf_counter() - start
    return model, (X, y, X_test, y_test), elapsed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1.0, help="learning rate (default 1.0)")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--backend", choices=("numba", "numpy"), default="numba")
    args = parser.parse_args(argv)

    model, (X, y, X_test, y_test), elapsed = train(
        args.seed, args.lr, args.iterations, args.backend
    )
    threshold = radius_threshold(X, y)
    curve = model.loss_curve_
    marks = sorted({0, len(curve) // 10, len(curve) // 2, len(curve) - 1})
    print(
        "The lecture's network: 2 -> 10 sigmoid -> 1 sigmoid, full-batch GD, "
        f"lr {args.lr}, {args.iterations} iterations, N = {len(y)} donut samples"
    )
    print("loss curve (mean BCE): " + ", ".join(f"[{t}] {curve[t]:.4f}" for t in marks))
    print(
        f"train accuracy {model.score(X, y):.3f}   test accuracy {model.score(X_test, y_test):.3f}"
    )
    print(
        f"radius threshold {threshold:.3f} (fitted on train): train "
        f"{threshold_accuracy(threshold, X, y):.3f}   test "
        f"{threshold_accuracy(threshold, X_test, y_test):.3f}"
    )
    print(
        f"training time {elapsed:.3f} s ({args.backend}; the first numba run includes "
        "loading or compiling the kernels)"
    )


if __name__ == "__main__":
    main()
