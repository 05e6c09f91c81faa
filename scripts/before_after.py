"""Time the same workloads on two checkouts of fastnn, alternating, in one session.

An issue's "no existing workload slows" needs before and after measured side by side on
the same (noisy) machine.  Make the old tree with ``git worktree add /tmp/old <commit>``;
this script runs each workload in a fresh process of this interpreter, with
``PYTHONPATH=<old>`` for the old tree and without for the checkout it belongs to, old and
new alternating ``--runs`` times, each process timing its workload ``--repeats`` times
after one warm-up (which also compiles, in each tree's own cache).  It prints a markdown
table: each side's best time per run, and new / old of the medians.

Usage: python scripts/before_after.py --old /tmp/old [--runs 3] [--repeats 5]
       [--workloads train surface ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time, warnings
import numpy as np
import fastnn
from fastnn import lecture
warnings.simplefilter("ignore")
name, repeats = sys.argv[1], int(sys.argv[2])
X, y = lecture.network_data()
if name == "train":  # the lecture network, 1000 full-batch GD iterations
    def work():
        lecture.network_model(max_iter=1000, random_state=0).fit(X, y)
elif name == "surface":  # its filter-normalised surface, 101 x 101
    model = lecture.network_model(max_iter=300, random_state=0).fit(X, y)
    def work():
        fastnn.loss_surface(model, X, y, resolution=101, random_state=0)
elif name == "trainability":  # its per-layer learning rates, 24 x 24, 100 epochs
    network = lecture.network_model(max_iter=100, tol=None, random_state=0)
    def work():
        fastnn.trainability(network, X, y, ranges=((1e-2, 1e3), (1e-2, 1e3)), resolution=24)
elif name == "relu-surface":  # 20-64-32-1 relu, 4000 samples, 41 x 41
    rng = np.random.default_rng(0)
    X2 = rng.normal(size=(4000, 20)); y2 = (X2[:, 0] > 0) * 1.0
    deep = fastnn.MLPClassifier((64, 32), "relu", max_iter=3, random_state=0).fit(X2, y2)
    def work():
        fastnn.loss_surface(deep, X2, y2, resolution=41, random_state=0)
elif name == "curvature":  # the lecture network's convexity map, 21 x 21
    model = lecture.network_model(max_iter=300, random_state=0).fit(X, y)
    def work():
        fastnn.curvature_surface(model, X, y, directions="hessian", resolution=21)
elif name in ("mnist-hvp", "mnist-train"):  # 784-128-10 relu, 10,000 MNIST-sized samples
    rng = np.random.default_rng(0)
    X3 = rng.random((10_000, 784)); y3 = rng.integers(0, 10, 10_000)
    mnist = fastnn.MLPClassifier((128,), "relu", max_iter=1, random_state=0).fit(X3, y3)
    v = rng.normal(size=mnist.theta_.size)
    if name == "mnist-hvp":  # one exact Hessian-vector product
        def work():
            fastnn.hvp(mnist, X3, y3, v)
    else:  # two epochs of Adam, minibatches of 200
        def work():
            mnist.set_params(max_iter=2, tol=None).fit(X3, y3)
else:
    raise SystemExit(f"unknown workload {name}")
work()
times = []
for _ in range(repeats):
    start = time.perf_counter(); work(); times.append(time.perf_counter() - start)
print(json.dumps(min(times)))
"""

WORKLOADS = (
    "train",
    "surface",
    "trainability",
    "relu-surface",
    "curvature",
    "mnist-hvp",
    "mnist-train",
)


def best_time(name: str, repeats: int, old: str | None) -> float:
    """Seconds of the best repeat of ``name`` in a new process (``old``: that tree)."""
    env = dict(os.environ)
    if old is not None:
        env["PYTHONPATH"] = old
    else:
        env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, name, str(repeats)],
        env=env, capture_output=True, text=True, check=True, cwd="/",
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="the old tree (git worktree)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    args = parser.parse_args(argv)
    print("| workload | old, best per run | new, best per run | new / old (medians) |")
    print("|---|---|---|---|")
    for name in args.workloads:
        old, new = [], []
        for _ in range(args.runs):
            old.append(best_time(name, args.repeats, args.old))
            new.append(best_time(name, args.repeats, None))
        ratio = statistics.median(new) / statistics.median(old)
        print(
            f"| {name} | {', '.join(f'{t:.3g} s' for t in old)} | "
            f"{', '.join(f'{t:.3g} s' for t in new)} | {ratio:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
