"""SHA-256 of every kind of map's values, to show that a refactoring changed no bit.

Run it on two checkouts and compare the output (``python scripts/map_digests.py > a.json``):
surfaces of every model family and plane kind, accuracy, both curvature metrics and
``curvature_surface``, a loss line and a trainability map, float64 and float32.
"""

from __future__ import annotations

import hashlib
import json
import warnings

import numpy as np

import fastnn
from fastnn import data


def _digest(values) -> str:
    return hashlib.sha256(
        np.ascontiguousarray(np.asarray(values), np.float64).tobytes()
    ).hexdigest()


def main() -> None:
    warnings.simplefilter("ignore", fastnn.FastnnWarning)
    X, y = data.blobs(300, seed=0)
    Xd, yd = data.donut(400, seed=0)
    linear = fastnn.LinearRegression(solver="gd", max_iter=30, record_trajectory=True)
    linear.fit(X[:, :1], X[:, 1])
    logistic = fastnn.LogisticRegression(solver="gd", max_iter=50).fit(X, y)
    net = fastnn.MLPClassifier((6,), solver="gd", max_iter=60, tol=None, random_state=0,
                               record_trajectory=5).fit(Xd, yd)  # fmt: skip
    digests = {}
    cases = {
        "linear-params": (linear, X[:, :1], X[:, 1], dict(params=(0, 1), resolution=41)),
        "linear-brute": (linear, X[:, :1], X[:, 1], dict(params=(0, 1), method="brute")),
        "logistic-random": (logistic, X, y, dict(directions="random", random_state=0)),
        "logistic-accuracy": (logistic, X, y, dict(directions="filter", metric="accuracy")),
        "logistic-f32": (logistic, X, y, dict(directions="random", dtype="float32")),
        "mlp-filter": (net, Xd, yd, dict(directions="filter", random_state=1, tile_rows=3)),
        "mlp-pca": (net, Xd, yd, dict(directions="pca", resolution=31)),
        "mlp-params": (net, Xd, yd, dict(params=("W1[2,0]", "b1[0]"), resolution=17)),
        "mlp-accuracy": (net, Xd, yd, dict(directions="random", metric="accuracy")),
        "mlp-f32": (net, Xd, yd, dict(directions="random", dtype="float32")),
        "mlp-hessian": (net, Xd, yd, dict(directions="hessian", resolution=11)),
        "mlp-max-eig": (net, Xd, yd, dict(metric="max_eigenvalue", resolution=(5, 4))),
        "mlp-min-eig": (net, Xd, yd, dict(metric="min_eigenvalue", resolution=(5, 4))),
    }
    for name, (model, Xs, ys, options) in cases.items():
        options.setdefault("random_state", 0)  # random and filter directions: seeded
        surface = fastnn.loss_surface(model, Xs, ys, progress=False, **options)
        digests[name] = [_digest(surface.values), _digest(surface.a), surface.center_loss]
    both = fastnn.curvature_surface(net, Xd, yd, resolution=(5, 4), random_state=0)
    digests["curvature"] = [_digest(both.max_eigenvalue), _digest(both.min_eigenvalue)]
    line = fastnn.loss_line(net, Xd, yd, to=net.trajectory_[0])
    digests["line"] = [_digest(line.values)]
    rng = np.random.default_rng(0)
    Xt, yt = rng.normal(size=(16, 5)), rng.normal(size=16)
    trainer = fastnn.MLPRegressor((6,), "tanh", solver="gd", max_iter=60, tol=None,
                                  random_state=3)  # fmt: skip
    tmap = fastnn.trainability(trainer, Xt, yt, ranges=((1e-2, 20.0), (1e-2, 20.0)),
                               resolution=(20, 12), progress=False)  # fmt: skip
    digests["trainability"] = [
        _digest(tmap.values), _digest(tmap.convergence), _digest(tmap.divergence_epoch)
    ]  # fmt: skip
    print(json.dumps(digests, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
