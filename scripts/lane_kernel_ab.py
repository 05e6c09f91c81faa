"""The trainability lane kernel of a git revision against the working tree's, in one process.

A kernel change is judged by its speed before and after on the same machine at the same
moment: this noisy machine's speed drifts by 2x over minutes, so timings from separate
runs cannot show a 10-20% change.  This script loads the two versions of
``fastnn/kernels/_lane_network.py`` and ``fastnn/kernels/trainability.py`` (the revision's
from ``git show``, the working tree's as they are) as separate modules, checks that they
give the same bits on the same grid, and times them alternately, one thread, on the
paper-sized problem of ``scripts/trainability_vs_jax.py`` where no run diverges (nothing
stops early, so every point trains all its steps).

Each version is compiled once (about a minute each; not timed).  Reported: the minimum and
the quartiles of ``--repeats`` alternated calls, per point and step, and the ratio of the
minima.

Usage: python scripts/lane_kernel_ab.py [--base HEAD~1] [--resolution 16] [--repeats 9]
       [--activation tanh]
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

KERNELS = ("_lane_network", "trainability")
STEPS = 500


def _load(folder: pathlib.Path, tag: str, sources: dict):
    """Import the two kernel modules from ``sources`` under names of their own."""
    lane, train = f"lane_{tag}", f"train_{tag}"
    (folder / f"{lane}.py").write_text(sources["_lane_network"])
    (folder / f"{train}.py").write_text(
        sources["trainability"].replace(
            "from fastnn.kernels._lane_network import", f"from {lane} import"
        )
    )
    sys.path.insert(0, str(folder))
    try:
        importlib.import_module(lane)
        return importlib.import_module(train).mlp_trainability
    finally:
        sys.path.pop(0)


def _arguments(resolution: int, activation: str):
    """The kernel's arguments for the paper-sized map (as ``fastnn.trainability`` makes them)."""
    import fastnn
    import fastnn.kernels

    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 16))
    y = rng.normal(size=16)
    estimator = fastnn.MLPRegressor(
        (16,), activation, solver="gd", max_iter=STEPS, tol=None, random_state=0,
        init="normal",
    )  # fmt: skip
    captured = []
    original = fastnn.kernels.mlp_trainability

    def capture(*args):
        captured.append(args)
        return original(*args)

    fastnn.kernels.mlp_trainability = capture
    try:
        tmap = fastnn.trainability(
            estimator, X, y, ranges=((1e-3, 0.1), (1e-3, 0.1)), resolution=resolution,
            progress=False, threads=1,
        )  # fmt: skip
    finally:
        fastnn.kernels.mlp_trainability = original
    # the engine calls the kernel tile by tile: one call for the whole grid instead
    *fixed, _, _, _ = captured[-1]
    a, b = np.ascontiguousarray(tmap.a), np.ascontiguousarray(tmap.b)
    return (*fixed, a, b, np.empty((a.size, b.size, 4)))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1", help="git revision of the 'before' kernel")
    parser.add_argument("--resolution", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--activation", default="tanh")
    args = parser.parse_args(argv)

    import numba

    root = pathlib.Path(__file__).resolve().parent.parent
    versions = {
        "before": {
            name: subprocess.run(
                ["git", "show", f"{args.base}:fastnn/kernels/{name}.py"], cwd=root, check=True,
                capture_output=True, text=True,
            ).stdout
            for name in KERNELS
        },
        "after": {name: (root / f"fastnn/kernels/{name}.py").read_text() for name in KERNELS},
    }  # fmt: skip
    kernel_args = _arguments(args.resolution, args.activation)
    numba.set_num_threads(1)
    outputs, kernels = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for tag, sources in versions.items():
            kernels[tag] = _load(pathlib.Path(folder), tag, sources)
            out = kernel_args[-1].copy()
            start = time.perf_counter()
            kernels[tag](*kernel_args[:-1], out)
            seconds = time.perf_counter() - start
            print(f"{tag}: compiled and ran once in {seconds:.0f} s", flush=True)
            outputs[tag] = out
    same = np.array_equal(outputs["before"], outputs["after"], equal_nan=True)
    print(f"the same bits before and after: {same}")
    times = {tag: [] for tag in kernels}
    for _ in range(args.repeats):
        for tag, kernel in kernels.items():
            out = kernel_args[-1].copy()
            start = time.perf_counter()
            kernel(*kernel_args[:-1], out)
            times[tag].append(time.perf_counter() - start)
    work = args.resolution**2 * STEPS
    result = {"same_bits": bool(same)}
    for tag, values in times.items():
        q = np.quantile(values, [0.0, 0.25, 0.5, 0.75])
        result[tag] = (q * 1e6 / work).tolist()
        print(
            f"{tag:>7}: {q[0] * 1e6 / work:.3f} us a point and step (quartiles "
            f"{', '.join(f'{v * 1e6 / work:.3f}' for v in q[1:])}), one thread"
        )
    ratio = min(times["before"]) / min(times["after"])
    result["speedup"] = ratio
    print(f"after / before: {ratio:.3f}x faster (minima of {args.repeats} alternated calls)")
    return result


if __name__ == "__main__":
    main()
