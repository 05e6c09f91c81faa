"""Sohl-Dickstein's map refined at its boundary: cost, correctness and the boundary's dimension.

The paper's tanh network (``scripts/fractal_trainability.py``: 16 hidden units, no biases,
mean-field scales, 272 examples, 500 full-batch GD steps, one learning rate per layer) on
the paper's box of the two rates:

1. a refined map, ``--coarse`` points a side and ``--levels`` rounds, timed, with the points
   it trained against the dense grid's;
2. with ``--compare L``: a dense map at the resolution of ``L`` rounds and the refined map
   of ``L`` rounds on it -- trained points equal bit for bit, and the share of the inferred
   points whose outcome the dense map contradicts;
3. the box-counting dimension of the refined boundary.

Usage: python scripts/refined_trainability.py [--coarse 65] [--levels 8] [--compare 4]
       [--steps 500] [--samples N] [--png refined.png]
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import time

import numpy as np

PARAMS = ("learning_rate_init[0]", "learning_rate_init[1]")


def _paper():
    path = pathlib.Path(__file__).resolve().parent / "fractal_trainability.py"
    spec = importlib.util.spec_from_file_location("fractal_trainability", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coarse", type=int, default=65)
    parser.add_argument("--levels", type=int, default=8)
    parser.add_argument("--compare", type=int, default=0, help="rounds of the dense check")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument(
        "--samples", type=int, default=None,
        help="training examples (default: as many as parameters, 272, the script's paper "
        "setup; the README's trainability example uses 16)",
    )  # fmt: skip
    parser.add_argument("--png", default=None)
    args = parser.parse_args(argv)

    import fastnn

    paper = _paper()
    X, y, estimator, scales = paper.paper_problem(width=args.width)
    if args.samples is not None:
        X, y = X[: args.samples], y[: args.samples]
    estimator.set_params(max_iter=args.steps)
    ranges = tuple((lo * s**2, hi * s**2) for (lo, hi), s in zip(paper.BOX, scales, strict=True))
    options = dict(params=PARAMS, ranges=ranges, progress=False)
    result = {}
    start = time.perf_counter()
    refined = fastnn.trainability(
        estimator, X, y, resolution=args.coarse, refine=args.levels, **options
    )
    seconds = time.perf_counter() - start
    dense = refined.info["dense"]
    print(
        f"refined {refined.shape[0]} x {refined.shape[1]} from {args.coarse} x {args.coarse}, "
        f"{args.levels} rounds, {args.steps} steps: {refined.n_trained} points trained of "
        f"{dense:.3g} ({100 * refined.n_trained / dense:.3g}%) in {seconds:.1f} s; per round "
        f"{refined.info['trained_per_round']}"
    )
    fit = refined.boundary_dimension()
    print(f"boundary dimension {fit.dimension:.3f} +- {fit.stderr:.3f} over boxes of "
          f"{fit.box_sizes[0]}-{fit.box_sizes[-1]} cells")  # fmt: skip
    result.update(refined=refined, seconds=seconds, dimension=fit)
    if args.compare:
        start = time.perf_counter()
        small = fastnn.trainability(
            estimator, X, y, resolution=args.coarse, refine=args.compare, **options
        )
        refined_seconds = time.perf_counter() - start
        start = time.perf_counter()
        full = fastnn.trainability(estimator, X, y, resolution=small.shape, **options)
        dense_seconds = time.perf_counter() - start
        trained = small.trained
        fields = small.dense_fields()
        equal = all(
            np.array_equal(getattr(fields, name)[trained], getattr(full, name)[trained],
                           equal_nan=True)
            for name in ("values", "convergence", "divergence_epoch")
        )  # fmt: skip
        wrong = int(np.sum(small.diverged != full.diverged))
        inferred = int((~trained).sum())
        print(
            f"dense {full.shape[0]} x {full.shape[1]}: {dense_seconds:.1f} s; refined "
            f"({args.compare} rounds) {refined_seconds:.1f} s, {small.n_trained} points; trained "
            f"points equal bit for bit: {equal}; inferred outcomes wrong: {wrong} of "
            f"{inferred} ({100 * wrong / max(inferred, 1):.3g}%)"
        )
        result.update(compare=(equal, wrong, inferred, dense_seconds, refined_seconds))
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        refined.plot().savefig(args.png, dpi=100)
    return result


if __name__ == "__main__":
    main()
