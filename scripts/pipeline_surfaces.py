"""A scikit-learn Pipeline trained elsewhere: its loss and accuracy surfaces on train and test.

The README's "your own model" example at a chosen resolution, timed (``--repeats`` runs of
``fastnn.loss_surfaces``), against what a user would otherwise write: a loop that sets
the scikit-learn model's weights at each grid point and calls ``predict_proba``,
``log_loss`` and ``score`` (timed on ``--loop-points`` points, extrapolated to the grid).

Usage: python scripts/pipeline_surfaces.py [--resolution 201] [--repeats 3] [--loop-points 2000]
"""

from __future__ import annotations

import argparse
import time
import warnings


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=201)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--loop-points", type=int, default=2000)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import fastnn

    X_all, y_all = fastnn.data.donut(1500, seed=3)
    X_train, X_test, y_train, y_test = train_test_split(X_all, y_all, random_state=0)
    pipe = make_pipeline(StandardScaler(), MLPClassifier((16,), max_iter=500, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X_train, y_train)
    imported = fastnn.from_sklearn(pipe)
    data = {"train": (X_train, y_train), "test": (X_test, y_test)}
    G = args.resolution
    fastnn.loss_surfaces(imported, data, metrics=("loss", "accuracy"), resolution=3)  # compile
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        surfaces = fastnn.loss_surfaces(
            imported, data, metrics=("loss", "accuracy"), resolution=G, random_state=0
        )
        times.append(time.perf_counter() - start)
    per_surface = {key: s.info["seconds"] for key, s in surfaces.items()}
    print(
        f"fastnn.loss_surfaces, {G} x {G}, train and test x loss and accuracy: "
        f"{min(times):.3f}-{max(times):.3f} s over {args.repeats} runs; last run per surface: "
        + ", ".join(f"{name} {metric} {t:.3f} s" for (name, metric), t in per_surface.items())
    )
    train_loss = surfaces["train", "loss"]
    net, scaled = pipe[-1], pipe[0].transform(X_train)
    layout = imported.layout_
    rng = np.random.default_rng(0)
    points = rng.integers(0, G, size=(args.loop_points, 2))
    start = time.perf_counter()
    worst = 0.0
    for i, j in points:
        theta = train_loss.theta(i, j)
        net.coefs_ = [w.copy() for w in layout.coefs(theta)]
        net.intercepts_ = [b.copy() for b in layout.intercepts(theta)]
        value = log_loss(y_train, net.predict_proba(scaled))
        net.score(scaled, y_train)
        worst = max(worst, abs(value - train_loss.values[i, j]) / train_loss.values[i, j])
    loop = (time.perf_counter() - start) / args.loop_points * G * G
    fastnn_pair = per_surface["train", "loss"] + per_surface["train", "accuracy"]
    print(
        f"scikit-learn per-point loop (predict_proba + log_loss + score), train loss and "
        f"accuracy: {loop:.1f} s for {G} x {G} (from {args.loop_points} points); fastnn "
        f"{fastnn_pair:.3f} s: {loop / fastnn_pair:.0f}x. Largest relative difference of its "
        f"log_loss (probabilities clipped at 2.2e-16) from fastnn's exact values: {worst:.2g}"
    )
    return {"times": times, "per_surface": per_surface, "loop_seconds": loop}


if __name__ == "__main__":
    main()
