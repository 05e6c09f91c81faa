"""The boundary's dimension under the six conditions of Sohl-Dickstein (2024), by refined maps.

"The boundary of neural network trainability is fractal" maps one network under six
conditions and estimates each boundary's box-counting dimension (between 1.17 and 1.98
over the six, in its summary).  Here each condition is a refined trainability map
(``fastnn.trainability(..., refine=L, outcome="paper")``: the paper's rule, the last 20
epoch losses' mean below the first epoch's loss) and its
:meth:`~fastnn.trainability.RefinedTrainabilityMap.boundary_dimension`, a fitted slope
with its standard error over the refinement's box sizes.

The network is the paper's (``scripts/fractal_trainability.py``: one hidden layer of 16
units, no biases, mean-field scales, N(0, 1) weights and data, full-batch gradient
descent, 500 steps, one learning rate per layer), and the conditions:

* ``tanh``, ``relu``: as many examples as parameters (272);
* ``identity``: a linear network on 16 examples (the paper's size for it; its scales
  ``1/sqrt(n)`` and ``1/n``);
* ``minibatch``: tanh, batches of 16 in a fixed order (the paper draws each batch at
  random), 30 epochs of 17 steps (510 steps);
* ``single``: tanh, one training example;
* ``init-lr``: tanh, a multiplier of the initial weights against one learning rate for
  both layers (fastnn's ``init_scale`` axis; the paper's condition shifts the first
  layer's initial mean instead, so this is fastnn's analogue, not its experiment).

The axes are the paper's learning rates (fastnn's rate on a layer is the paper's times
``a_l**2``); the boxes were chosen by a coarse map of each condition to contain its
boundary.

Each condition is a zoom (:func:`fastnn.zoom.trainability_zoom`): ``--frames`` refined
maps, each box ``--factor`` times narrower around a boundary point, and the dimension is
the median over the frames -- as the paper's notebook takes the median of box-counting
slopes over its zoom frames (there porespy's local slopes of dense images).

Usage: python scripts/paper_conditions.py [--coarse 33] [--levels 3] [--frames 4]
       [--factor 4] [--only tanh,relu] [--json out.json] [--png-dir DIR]
       python scripts/paper_conditions.py --table out.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import time

import numpy as np

LAYER_RATES = ("learning_rate_init[0]", "learning_rate_init[1]")

# name: (activation, examples, scales, batch_size, epochs, params, box in the paper's units)
CONDITIONS = {
    "tanh": ("tanh", "params", "mean-field", None, 500, LAYER_RATES, ((1e-1, 1e4), (1e0, 1e4))),
    "relu": ("relu", "params", "mean-field", None, 500, LAYER_RATES, ((1e-1, 1e4), (1e0, 1e4))),
    "identity": ("identity", 16, "linear", None, 500, LAYER_RATES, ((1e-1, 1e4), (1e0, 1e4))),
    "minibatch": ("tanh", "params", "mean-field", 16, 30, LAYER_RATES,
                  ((1e-1, 1e4), (1e0, 1e4))),
    "single": ("tanh", 1, "mean-field", None, 500, LAYER_RATES, ((1e-1, 1e4), (1e0, 1e4))),
    "init-lr": ("tanh", "params", "mean-field", None, 500,
                ("init_scale", "learning_rate_init"), ((1e-1, 1e1), (1e-2, 1e2))),
}  # fmt: skip


def _paper():
    path = pathlib.Path(__file__).resolve().parent / "fractal_trainability.py"
    spec = importlib.util.spec_from_file_location("fractal_trainability", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def condition_problem(name: str, width: int = 16, seed: int = 0):
    """(X, y, estimator, params, ranges in fastnn's units) of one condition."""
    paper = _paper()
    activation, examples, scaling, batch, epochs, params, box = CONDITIONS[name]
    X, y, estimator, scales = paper.paper_problem(width=width, seed=seed)
    if examples != "params":
        X, y = X[:examples], y[:examples]
    if scaling == "linear":
        scales = (1.0 / np.sqrt(width), 1.0 / width)
    estimator.set_params(
        activation=activation, init_scale=scales, max_iter=epochs,
        solver="gd" if batch is None else "minibatch", batch_size=batch or "auto",
    )  # fmt: skip
    if params == LAYER_RATES:
        ranges = tuple((lo * s**2, hi * s**2) for (lo, hi), s in zip(box, scales, strict=True))
    else:
        ranges = box
    return X, y, estimator, params, ranges


def markdown_table(rows: dict) -> str:
    """The run's table: each condition's median dimension, per-frame values and cost."""
    lines = [
        "| condition | dimension (median over frames) | per frame (first to deepest) | "
        "points trained | time |",
        "|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        frames = ", ".join(f"{f['dimension']:.2f}" for f in row["frames"])
        trained = sum(f["trained"] for f in row["frames"])
        lines.append(
            f"| {name} | **{row['median']:.2f}** ({row['low']:.2f}-{row['high']:.2f}) | "
            f"{frames} | {trained:,} | {row['seconds']:.0f} s |"
        )
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coarse", type=int, default=33)
    parser.add_argument("--levels", type=int, default=3, help="rounds of refinement, >= 1")
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--factor", type=float, default=4.0)
    parser.add_argument("--only", default=",".join(CONDITIONS))
    parser.add_argument("--json", default=None)
    parser.add_argument("--png-dir", default=None)
    parser.add_argument("--table", metavar="JSON", help="print the table of a saved run")
    args = parser.parse_args(argv)
    if args.table:
        rows = json.loads(pathlib.Path(args.table).read_text())
        print(markdown_table(rows))
        return rows

    from fastnn.zoom import trainability_zoom

    rows = {}
    for name in args.only.split(","):
        X, y, estimator, params, ranges = condition_problem(name)
        start = time.perf_counter()
        maps = trainability_zoom(
            estimator, X, y, params=params, ranges=ranges, frames=args.frames,
            factor=args.factor, resolution=args.coarse, refine=args.levels, outcome="paper",
            progress=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        frames = []
        for refined in maps:
            fit = refined.boundary_dimension()
            frames.append(dict(
                dimension=fit.dimension, stderr=fit.stderr, trained=int(refined.n_trained),
                box_sizes=[int(fit.box_sizes[0]), int(fit.box_sizes[-1])],
                untrainable=float((~refined.trainable()).mean()),
                ranges=[[float(axis[0]), float(axis[-1])] for axis in (refined.a, refined.b)],
            ))  # fmt: skip
        dimensions = np.array([frame["dimension"] for frame in frames])
        rows[name] = dict(
            median=float(np.median(dimensions)), low=float(dimensions.min()),
            high=float(dimensions.max()), seconds=seconds, frames=frames,
            shape=list(maps[0].shape),
        )  # fmt: skip
        per_frame = ", ".join(f"{f['dimension']:.2f}+-{f['stderr']:.2f}" for f in frames)
        print(
            f"{name:>10}: median {np.median(dimensions):.3f} over {len(frames)} frames "
            f"({per_frame}); {maps[0].shape[0]} x {maps[0].shape[1]} a frame, "
            f"{sum(f['trained'] for f in frames)} points trained, {seconds:.0f} s",
            flush=True,
        )
        if args.png_dir:
            import matplotlib

            matplotlib.use("Agg")
            folder = pathlib.Path(args.png_dir)
            folder.mkdir(parents=True, exist_ok=True)
            for k, refined in enumerate(maps):
                refined.plot().savefig(folder / f"{name}-{k}.png", dpi=80)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1))
    print(markdown_table(rows))
    return rows


if __name__ == "__main__":
    main()
