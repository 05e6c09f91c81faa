"""``fastnn trainability``: a trainability map from the command line."""

from __future__ import annotations

import os
import time

from fastnn._codes import ACTIVATION_CODES
from fastnn.cli._common import (
    CommandError,
    activation_argument,
    check_new_output,
    load_data,
    require_interactive,
    seed,
    standardized,
    write_atomically,
)

DEFAULT_PARAMS = ["learning_rate_init[0]", "learning_rate_init[1]"]
DEFAULT_RANGES = [1e-3, 100.0, 1e-3, 100.0]


def add_parser(sub) -> None:
    """The subcommand's options (the ``surface`` ones where they apply)."""
    parser = sub.add_parser(
        "trainability", help="train a network at every point of a hyperparameter grid"
    )
    parser.add_argument(
        "--data",
        metavar="FILE",
        help="CSV or .npz (X and labels or targets); default: the lecture's donut",
    )
    parser.add_argument("--regression", action="store_true", help="targets are values")
    parser.add_argument(
        "--standardize", action="store_true",
        help="train on standardized features (zero mean, unit variance)",
    )  # fmt: skip
    parser.add_argument(
        "--params", nargs=2, default=DEFAULT_PARAMS, metavar="NAME",
        help="two of learning_rate_init, learning_rate_init[k], momentum, init_scale "
        "(default: the two layers' rates)",
    )  # fmt: skip
    parser.add_argument(
        "--ranges", nargs=4, type=float, default=DEFAULT_RANGES, metavar="X",
        help="a_low a_high b_low b_high (default 1e-3 100 1e-3 100)",
    )  # fmt: skip
    parser.add_argument(
        "--scale", choices=("log", "linear"), default="log",
        help="spacing of the grid's points along both axes (default log)",
    )  # fmt: skip
    parser.add_argument(
        "--resolution", type=int, nargs="+", default=[51], metavar="G",
        help="grid points per axis: one for both, or two (default 51; with --refine the "
        "coarse grid)",
    )  # fmt: skip
    parser.add_argument("--hidden", type=int, nargs="+", default=[10], help="hidden units")
    parser.add_argument(
        "--activation",
        nargs="+",
        choices=tuple(ACTIVATION_CODES),
        metavar="NAME",
        default=["sigmoid"],
        help=f"hidden activation, one of {', '.join(ACTIVATION_CODES)}: one for every hidden "
        "layer, or one per hidden layer",
    )
    parser.add_argument(
        "--output-activation",
        choices=tuple(ACTIVATION_CODES),
        metavar="NAME",
        help="with --regression: the outputs' activation (the squared error of f(z))",
    )
    parser.add_argument(
        "--solver", choices=("gd", "sgd", "minibatch", "momentum"), default="gd",
        help="every run's training algorithm (default gd)",
    )  # fmt: skip
    parser.add_argument("--iterations", type=int, default=300, help="epochs of every run")
    parser.add_argument("--lr", type=float, default=0.5, help="the rate of an axis-free layer")
    parser.add_argument(
        "--seed", type=seed, default=0,
        help="seed of the data, the initial weights and the sample orders (default 0)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int, default=None,
        help="numba threads (default: numba's, every core unless NUMBA_NUM_THREADS)",
    )  # fmt: skip
    parser.add_argument(
        "--out", metavar="FILE",
        help="FILE.zarr: a store written tile by tile (--resume continues it; "
        "fastnn.TrainabilityMap.load, xarray.open_zarr); FILE.npz: the finished map",
    )  # fmt: skip
    parser.add_argument(
        "--refine", type=int, default=0, metavar="L",
        help="L rounds of boundary refinement: --resolution is the coarse grid, the map "
        "(resolution - 1) * 2^L + 1 a side, trained only where the boundary crosses",
    )  # fmt: skip
    parser.add_argument(
        "--outcome", choices=("fastnn", "paper"), default="fastnn",
        help="the rule a run's outcome is read by (--refine's splits, --dimension): fastnn's "
        "divergence rule, or the paper's (the last 20 losses' mean below the first)",
    )  # fmt: skip
    parser.add_argument(
        "--dimension", action="store_true",
        help="print the box-counting dimension of the boundary (diverged / converged)",
    )  # fmt: skip
    parser.add_argument(
        "--zoom", type=int, default=0, metavar="FRAMES",
        help="zoom into the boundary: FRAMES refined maps, each --zoom-factor times narrower "
        "around a boundary point of the last (needs --refine)",
    )  # fmt: skip
    parser.add_argument(
        "--zoom-factor", type=float, default=4.0, metavar="F",
        help="with --zoom: each box this many times narrower than the last (default 4)",
    )  # fmt: skip
    parser.add_argument("--gif", metavar="FILE.gif", help="with --zoom: the frames as a movie")
    parser.add_argument("--png", metavar="FILE.png", help="write the map")
    parser.add_argument(
        "--html",
        metavar="FILE.html",
        help="write the map as an interactive heat map (each run's outcome on hover; one "
        "self-contained file; needs the interactive extra)",
    )
    parser.add_argument("--force", action="store_true", help="replace --out / --png / --html")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted .zarr")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args) -> int:
    """Build the estimator, map it, print one line; write --out / --png."""
    import numpy as np

    import fastnn
    from fastnn import lecture

    store = args.out is not None and args.out.rstrip("/").endswith(".zarr")
    if args.resume and args.force:
        raise CommandError("pass either --resume (continue --out) or --force (replace), not both")
    if args.resume and not store:
        raise CommandError("--resume continues an --out FILE.zarr; give that store")
    if args.resume and not os.path.exists(args.out):
        raise CommandError(f"--resume: {args.out} does not exist")
    if args.out is not None:
        check_new_output("--out", args.out, (".npz", ".zarr"), replace=args.force or args.resume)
    if args.png is not None:
        check_new_output("--png", args.png, (".png",), replace=args.force)
    if args.html is not None:
        if args.refine or args.zoom:
            raise CommandError("--html draws a plain map: not with --refine or --zoom (--png)")
        check_new_output("--html", args.html, (".html",), replace=args.force)
        require_interactive()
    if args.data:
        X, y = load_data(args.data)
    else:
        X, y = lecture.network_data(args.seed)
    if args.standardize:
        X = standardized(X)
    kind = fastnn.MLPRegressor if args.regression else fastnn.MLPClassifier
    if args.output_activation is not None and not args.regression:
        raise CommandError(
            "--output-activation applies to --regression (a classifier's output function is "
            "its loss's)"
        )
    output = {} if args.output_activation is None else {"output_activation": args.output_activation}
    resolution = args.resolution[0] if len(args.resolution) == 1 else tuple(args.resolution)
    ranges = ((args.ranges[0], args.ranges[1]), (args.ranges[2], args.ranges[3]))
    estimator = kind(
        tuple(args.hidden), activation_argument(args.activation), solver=args.solver,
        max_iter=args.iterations, learning_rate_init=args.lr, tol=None, init="normal",
        random_state=args.seed, **output,
    )  # fmt: skip
    if args.zoom:
        return _zoom(estimator, X, y, ranges, resolution, args)
    if args.gif:
        raise CommandError("--gif writes the frames of --zoom; give --zoom FRAMES")
    start = time.perf_counter()
    try:
        tmap = fastnn.trainability(
            estimator, X, y, params=tuple(args.params), ranges=ranges, scale=args.scale,
            resolution=resolution, threads=args.threads, progress=not args.no_progress,
            out=args.out if store else None, resume=args.resume, overwrite=args.force,
            refine=args.refine, outcome=args.outcome,
        )  # fmt: skip
    except (ValueError, TypeError, ImportError) as exc:
        raise CommandError(str(exc)) from None
    elapsed = time.perf_counter() - start
    if args.refine:
        return _report_refined(tmap, args, elapsed)
    ga, gb = tmap.shape
    stable = np.where(tmap.diverged, np.inf, tmap.values)
    i, j = np.unravel_index(np.argmin(stable), stable.shape)
    sizes = "-".join(str(s) for s in tmap.info["sizes"])
    best = (
        f"lowest final loss {tmap.values[i, j]:.6g} at ({args.params[0]} = {tmap.a[i]:.4g}, "
        f"{args.params[1]} = {tmap.b[j]:.4g})"
        if np.isfinite(stable[i, j])
        else "every run diverged"
    )
    runs = tmap.info.get("points_computed", ga * gb)  # a resumed map's own runs
    resumed = f" ({ga * gb - runs} read back from --out)" if runs < ga * gb else ""
    rate = f"{elapsed / runs * 1e3:.3g} ms per run" if runs else "nothing left to run"
    print(
        f"trainability {ga} x {gb} ({tmap.info['model']} {sizes}, {args.solver}, "
        f"{args.iterations} epochs): {runs} runs in {elapsed:.3g} s{resumed} "
        f"({rate}); {100 * tmap.diverged.mean():.1f}% diverged; {best}"
    )
    if args.dimension:
        _print_dimension(tmap, args.outcome)
    if args.out and not store:
        write_atomically(
            args.out,
            lambda tmp: np.savez(
                tmp, a=tmap.a, b=tmap.b, values=tmap.values, convergence=tmap.convergence,
                divergence_epoch=tmap.divergence_epoch, last_losses=tmap.last_losses,
                labels=np.array(tmap.labels),
            ),
        )  # fmt: skip
    _write_figures(tmap, args)
    return 0


def _write_figures(tmap, args) -> None:
    """--png and --html."""
    if args.png:
        fig = tmap.plot()
        write_atomically(args.png, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    if args.html:
        page = tmap.to_plotly()
        write_atomically(args.html, lambda tmp: page.write_html(tmp, include_plotlyjs=True))


def _print_dimension(tmap, outcome: str) -> None:
    try:
        fit = tmap.boundary_dimension(outcome=outcome)
    except ValueError as exc:
        print(f"boundary dimension: none ({exc})")
        return
    print(
        f"boundary dimension {fit.dimension:.3f} +- {fit.stderr:.3f} (box counting over boxes "
        f"of {fit.box_sizes[0]}-{fit.box_sizes[-1]} cells)"
    )


def _report_refined(tmap, args, elapsed) -> int:
    ga, gb = tmap.shape
    sizes = "-".join(str(s) for s in tmap.info["sizes"])
    rounds = ", ".join(str(k) for k in tmap.info["trained_per_round"])
    print(
        f"trainability refined to {ga} x {gb} ({tmap.info['model']} {sizes}, {args.solver}, "
        f"{args.iterations} epochs): {tmap.n_trained} runs of {ga * gb} "
        f"({100 * tmap.n_trained / (ga * gb):.2g}%; per round {rounds}) in {elapsed:.3g} s; "
        f"{100 * (~tmap.trainable()).mean():.1f}% "
        + ("diverged" if args.outcome == "fastnn" else "failed by the paper's rule")
    )
    if args.dimension:
        _print_dimension(tmap, args.outcome)
    _write_figures(tmap, args)  # --png (--html is refused with --refine)
    return 0


def _zoom(estimator, X, y, ranges, resolution, args) -> int:
    """--zoom: the frames, a line each; --gif the movie, --out a directory of frames."""
    from fastnn.zoom import save_zoom_movie, trainability_zoom

    if not args.refine:
        raise CommandError("--zoom maps refined frames: give --refine L (e.g. 3)")
    if args.zoom < 1:
        raise CommandError(f"--zoom must be >= 1 frame; got {args.zoom}")
    if args.gif is not None:
        check_new_output("--gif", args.gif, (".gif",), replace=args.force)
    start = time.perf_counter()
    try:
        maps = trainability_zoom(
            estimator, X, y, params=tuple(args.params), ranges=ranges, scale=args.scale,
            frames=args.zoom, factor=args.zoom_factor, resolution=resolution,
            refine=args.refine, outcome=args.outcome, out=args.out, resume=args.resume,
            overwrite=args.force, threads=args.threads, progress=not args.no_progress,
        )  # fmt: skip
    except (ValueError, TypeError, ImportError) as exc:
        raise CommandError(str(exc)) from None
    elapsed = time.perf_counter() - start
    for tmap in maps:
        zoom = tmap.info["zoom"]
        (a0, a1), (b0, b1) = zoom["box"]
        failed = 100 * (~tmap.trainable()).mean()
        print(
            f"frame {zoom['frame']}: scale {zoom['scale']:.3g}, {args.params[0]} in "
            f"[{a0:.6g}, {a1:.6g}], {args.params[1]} in [{b0:.6g}, {b1:.6g}]: "
            f"{tmap.n_trained} runs, {failed:.1f}% failed"
        )
        if args.dimension:
            _print_dimension(tmap, args.outcome)
    print(f"{len(maps)} frames in {elapsed:.3g} s")
    if args.gif:
        write_atomically(args.gif, lambda tmp: save_zoom_movie(maps, tmp, overwrite=True))
    return 0
