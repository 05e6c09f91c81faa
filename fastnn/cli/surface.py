"""``fastnn surface``: a loss surface (or accuracy, curvature) from the command line."""

from __future__ import annotations

import contextlib
import os
import sys
import time

from fastnn._codes import ACTIVATION_CODES
from fastnn.cli._common import (
    CommandError,
    TrainingError,
    activation_argument,
    check_new_output,
    load_data,
    require_interactive,
    seed,
    standardized,
    write_atomically,
)


def add_parser(sub) -> None:
    """The subcommand's options."""
    surface = sub.add_parser("surface", help="compute a loss surface")
    surface.add_argument(
        "--model", choices=("linear", "logistic", "mlp"), required=True,
        help="the lecture's model to train and map: linear regression, logistic "
        "regression, or the network (2-10-1 sigmoid by default)",
    )  # fmt: skip
    surface.add_argument(
        "--data",
        metavar="FILE",
        help=".npz (arrays X, y) or .csv (X columns, then y); "
        "default: the lecture's data set for the model",
    )
    surface.add_argument(
        "--test-data",
        metavar="FILE",
        help="a held-out set (as --data; standardized as the training set with --standardize) "
        "mapped on the same plane: its loss, and accuracy for classifiers, printed below",
    )
    plane = surface.add_mutually_exclusive_group()
    plane.add_argument(
        "--params", nargs=2, metavar=("I", "J"), help="two parameters (index or name)"
    )
    plane.add_argument(
        "--directions", choices=("random", "filter", "pca", "hessian", "hessian-extremes"),
        help="the plane's directions (default: the two parameters of a two-parameter "
        "model, else filter-normalised random directions)",
    )  # fmt: skip
    surface.add_argument(
        "--resolution", type=int, nargs="+", default=[101], metavar="G",
        help="grid points per axis: one for both, or two (default 101)",
    )  # fmt: skip
    surface.add_argument(
        "--span", type=float, nargs="+", metavar="H",
        help="half-width of both axes, one per axis, or a_lo a_hi b_lo b_hi (default 1; "
        "pca: the path's range plus a margin)",
    )  # fmt: skip
    surface.add_argument(
        "--threads",
        type=int,
        default=None,
        help="numba threads (default: numba's, every core unless NUMBA_NUM_THREADS)",
    )
    surface.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="arithmetic of an mlp or logistic surface (float32: faster, about 1e-6 relative)",
    )
    surface.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where the tiles run: cuda = an NVIDIA GPU, mlp and logistic models "
        "(pip install 'fastnn[cuda]')",
    )
    surface.add_argument(
        "--metric",
        choices=("loss", "accuracy", "max_eigenvalue", "min_eigenvalue"),
        default="loss",
        help="what to map: the training loss, (logistic, mlp) the accuracy, or the Hessian's "
        "largest / smallest eigenvalue",
    )
    surface.add_argument(
        "--seed", type=seed, default=0,
        help="seed of the data, the network's initial weights and random directions "
        "(default 0)",
    )  # fmt: skip
    surface.add_argument("--hidden", type=int, nargs="+", default=[10], help="mlp hidden units")
    surface.add_argument(
        "--activation",
        nargs="+",
        choices=tuple(ACTIVATION_CODES),
        metavar="NAME",
        help=f"hidden activation, one of {', '.join(ACTIVATION_CODES)}: one for every hidden "
        "layer, or one per hidden layer",
    )
    surface.add_argument(
        "--solver",
        choices=("gd", "sgd", "minibatch", "momentum", "adam", "ols"),
        help="training algorithm (default gd, as the lecture; ols: --model linear's closed "
        "form, least squares)",
    )
    surface.add_argument("--lr", type=float, help="learning rate (default: the lecture's)")
    surface.add_argument(
        "--iterations", type=int, help="iterations/epochs (default: the lecture's; mlp 300)"
    )
    surface.add_argument("--batch-size", type=int, help="minibatch size (sgd: 1)")
    surface.add_argument(
        "--log",
        action="store_true",
        help="--png: a logarithmic colour scale and levels (a loss spanning decades)",
    )
    surface.add_argument(
        "--regression",
        action="store_true",
        help="--model mlp: the targets are values (squared error), not class labels",
    )
    surface.add_argument(
        "--standardize",
        action="store_true",
        help="train and map on standardized features (zero mean, unit variance)",
    )
    surface.add_argument(
        "--out",
        metavar="FILE",
        help="FILE.zarr: a self-describing Zarr store written tile by tile (big grids; "
        "Surface.load, xarray.open_zarr, --resume); FILE.npz: the Surface (Surface.load); "
        "FILE.npy: the values as a memmap, with a completion record FILE.npy.tiles",
    )
    surface.add_argument(
        "--resume", action="store_true", help="continue an interrupted .zarr or .npy"
    )
    surface.add_argument(
        "--force", action="store_true", help="replace an existing --out / --png / --html file"
    )
    surface.add_argument("--workers", type=int, help="run tiles on a local Dask cluster of N")
    surface.add_argument("--scheduler", metavar="ADDRESS", help="run tiles on this Dask scheduler")
    surface.add_argument("--png", metavar="FILE.png", help="write a contour plot")
    surface.add_argument(
        "--html",
        metavar="FILE.html",
        help="write an interactive figure (3-D and contour, values on hover; one self-contained "
        "file; needs the interactive extra)",
    )
    surface.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    surface.set_defaults(run=run)


def _lecture_data(model: str, seed: int):
    from fastnn import lecture

    if model == "linear":
        return lecture.gd_data(seed)
    if model == "logistic":
        return lecture.logistic_data(seed)
    return lecture.network_data(seed)


def _settings(model: str, args) -> dict:
    """The training settings given on the command line (the lecture's for the others)."""
    settings = {}
    if args.solver is not None:
        settings["solver"] = args.solver
    if args.lr is not None:
        settings["learning_rate_init"] = args.lr
    if args.iterations is not None:
        settings["max_iter"] = args.iterations
    elif model == "mlp":
        settings["max_iter"] = 300  # the command's default: a third of the lecture's run
    if args.batch_size is not None:
        settings["batch_size"] = args.batch_size
    if model == "mlp":
        settings["hidden_layer_sizes"] = tuple(args.hidden)
        settings["random_state"] = args.seed
        if args.activation is not None:
            settings["activation"] = activation_argument(args.activation)
    elif args.activation is not None or args.hidden != [10]:
        raise CommandError("--activation and --hidden apply to --model mlp only")
    if settings.get("solver") == "ols":
        if model != "linear":
            raise CommandError("--solver ols is the closed form of --model linear")
        given = [
            name
            for name, value in (
                ("--lr", args.lr),
                ("--iterations", args.iterations),
                ("--batch-size", args.batch_size),
            )
            if value is not None
        ]
        if given:
            raise CommandError(
                f"--solver ols solves in closed form: {', '.join(given)} do not apply"
            )
    if settings.get("solver", "gd") == "adam" and model != "mlp":
        raise CommandError("--solver adam: the linear models train with gd, sgd or minibatch")
    return settings


def _fit(model: str, X, y, args):
    """The model the surface is drawn for, trained as in the lecture unless told otherwise.

    Its path is recorded (PCA planes, --png).  A run that diverges or does not converge
    is a TrainingError (exit 3): its surface would show a model nobody wanted.
    """
    import warnings

    from fastnn import lecture
    from fastnn.exceptions import ConvergenceWarning, DivergenceWarning

    settings = _settings(model, args)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            if model == "linear":
                theta0 = list(lecture.LINEAR_GD_START) + [0.0] * (X.shape[1] - 1)
                return lecture.linear_gd_model(**settings).fit(X, y, theta0=theta0)
            if model == "logistic":
                return lecture.logistic_gd_model(**settings).fit(X, y)
            iterations = settings.get("max_iter", 1000)
            settings["record_trajectory"] = max(1, iterations // 100)
            if args.regression:
                return lecture.network_regressor(**settings).fit(X, y)
            _hint_regression(y)
            warnings.filterwarnings("ignore", message="MLPClassifier: y has", category=UserWarning)
            return lecture.network_model(**settings).fit(X, y)
        except DivergenceWarning as exc:
            advice = str(exc).replace("Lower learning_rate_init.", "Lower --lr")
            if not args.standardize:
                advice += ", or --standardize the data"
            raise TrainingError(f"training diverged, no surface computed: {advice}") from None
        except ConvergenceWarning as exc:
            raise TrainingError(f"training did not converge, no surface computed: {exc}") from None


def _hint_regression(y) -> None:
    """Say so where --model mlp reads what look like values as class labels."""
    import numpy as np

    from fastnn.mlp import looks_like_values

    n_classes = np.unique(y).size
    if looks_like_values(n_classes, len(y)):
        print(
            f"fastnn surface: the targets hold {n_classes} distinct values in {len(y)} samples, "
            f"trained as {n_classes} classes; pass --regression if they are values",
            file=sys.stderr,
        )


def _span(values):
    if values is None:
        return None
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return tuple(values)
    if len(values) == 4:
        return ((values[0], values[1]), (values[2], values[3]))
    raise CommandError(
        "--span takes 1 value (half-width), 2 (one per axis) or 4 (a_lo a_hi b_lo b_hi)"
    )


def _param(text: str):
    return int(text) if text.lstrip("-").isdigit() else text


def _path_in_plane(surface, trajectory):
    """The optimiser's path where it lies in the plane, else None (and a note saying so)."""
    import warnings

    from fastnn.exceptions import ProjectionWarning
    from fastnn.plot import _projected_path

    if trajectory is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProjectionWarning)
        try:
            _projected_path(surface, trajectory)
        except ProjectionWarning:
            print(
                "note: the optimiser's path is not drawn: it lies off this plane "
                "(--directions pca draws it)",
                file=sys.stderr,
            )
            return None
    return trajectory


def run(args) -> int:
    """Fit the model, compute its surface, print one line; write --out / --png."""
    if args.out is not None and not args.out.rstrip("/").endswith((".npz", ".npy", ".zarr")):
        raise CommandError(
            f"--out {args.out}: write the surface as .zarr (a self-describing store written "
            "tile by tile, for big grids), .npz (a Surface) or .npy (the values as a memmap)"
        )
    if args.resume and args.force:
        raise CommandError("pass either --resume (continue --out) or --force (replace), not both")
    streamed = args.out is not None and args.out.rstrip("/").endswith((".npy", ".zarr"))
    if args.resume and not streamed:
        raise CommandError("--resume continues an --out FILE.zarr or FILE.npy; give that file")
    if args.resume and args.out.endswith(".npy") and not os.path.exists(f"{args.out}.tiles"):
        raise CommandError(f"--resume: no completion record {args.out}.tiles to continue from")
    if args.resume and not os.path.exists(args.out):
        raise CommandError(f"--resume: {args.out} does not exist")
    if args.png is not None and not args.png.endswith(".png"):
        raise CommandError(f"--png {args.png}: the plot is written as PNG; name it FILE.png")
    if args.out is not None:
        check_new_output("--out", args.out, replace=args.force or args.resume,
                         hint=" or --resume to continue it")  # fmt: skip
    if args.png is not None:
        check_new_output("--png", args.png, replace=args.force)
    if args.html is not None:
        check_new_output("--html", args.html, (".html",), replace=args.force)
        require_interactive()
    cores = os.cpu_count() or 1
    if args.workers is not None and args.workers < 1:
        raise CommandError(f"--workers must be at least 1; got {args.workers}")
    if args.workers is not None and args.workers > cores:
        raise CommandError(
            f"--workers {args.workers}: this machine has {cores} cores, and more worker "
            "processes than cores only compete for them (--scheduler runs on a cluster)"
        )
    if args.workers is not None and args.scheduler is not None:
        raise CommandError("pass either --workers (a local cluster) or --scheduler, not both")
    if args.params is not None and args.directions is not None:
        raise CommandError("pass either --params or --directions, not both")
    names = None
    if args.data:
        X, y, names = load_data(args.data, return_names=True)
    else:
        X, y = _lecture_data(args.model, args.seed)
    test = None
    if args.test_data is not None:
        X_test, y_test = load_data(args.test_data, option="--test-data")
        if X_test.shape[1] != X.shape[1]:
            raise CommandError(
                f"--test-data {args.test_data}: {X_test.shape[1]} feature columns, the training "
                f"data {X.shape[1]}"
            )
        test = (standardized(X_test, X) if args.standardize else X_test, y_test)
    if args.standardize:
        X = standardized(X)
    _check_surface_options(args)  # before a cluster starts (seconds) or a model is fitted
    with _cluster(args) as client:
        return _compute_surface(args, X, y, client, names, test)


@contextlib.contextmanager
def _cluster(args):
    """The Dask client of --scheduler / --workers (None without them)."""
    if args.scheduler is None and args.workers is None:
        yield None
        return
    from fastnn.grid import dask_client

    try:
        with dask_client(workers=args.workers, scheduler=args.scheduler) as client:
            yield client
    except ImportError as exc:
        raise CommandError(f"--scheduler/--workers: {exc}") from None
    except ConnectionError as exc:
        raise CommandError(str(exc)) from None


def _check_gpu_surface(args) -> None:
    """--device cuda: what the GPU computes, and a GPU to compute it (before any fit)."""
    from fastnn.cuda import require_gpu

    if args.model == "linear" or args.metric.endswith("eigenvalue"):
        raise CommandError(
            "--device cuda: implemented for --model mlp (loss, accuracy) and --model logistic "
            "(loss); use --device cpu"
        )
    if args.model == "logistic" and args.metric == "accuracy":
        raise CommandError("--device cuda: --model logistic maps its loss only; use --device cpu")
    try:
        require_gpu()
    except ValueError as exc:
        raise CommandError(str(exc).replace("device='cuda'", "--device cuda")) from None


def _check_surface_options(args) -> None:
    """What the options alone decide, checked before --out is opened (a .npy is zeroed)."""
    if args.metric == "accuracy" and args.model == "linear":
        raise CommandError("--metric accuracy: --model linear is a regression; use logistic or mlp")
    if args.regression and args.model != "mlp":
        raise CommandError(
            f"--regression applies to --model mlp (--model {args.model} is a "
            f"{'regression already' if args.model == 'linear' else 'classifier'})"
        )
    if args.regression and args.metric == "accuracy":
        raise CommandError("--metric accuracy: --regression maps a squared error; use loss")
    if args.dtype == "float32" and args.model == "linear":
        raise CommandError("--dtype float32: implemented for --model mlp and logistic only")
    if args.test_data is not None and args.metric.endswith("_eigenvalue"):
        raise CommandError(
            f"--test-data maps the loss and accuracy of a held-out set; not with --metric "
            f"{args.metric}"
        )
    if args.device == "cuda":
        _check_gpu_surface(args)
    if not (args.out or "").rstrip("/").endswith((".npy", ".zarr")):
        _check_fits_in_memory(args.resolution)


def _held_out_surfaces(model, surface, test, client, args) -> dict:
    """--test-data: its loss (and a classifier's accuracy) on the training surface's plane."""
    import fastnn

    if test is None:
        return {}
    metrics = ("loss",) if args.model == "linear" or args.regression else ("loss", "accuracy")
    try:
        return fastnn.loss_surfaces(
            model, {"test": test}, metrics=metrics, plane=surface.plane, threads=args.threads,
            progress=not args.no_progress, client=client, dtype=args.dtype, device=args.device,
        )  # fmt: skip
    except (ValueError, TypeError, MemoryError) as exc:
        raise CommandError(f"--test-data: {exc}") from None


def _print_held_out(metric: str, surface) -> None:
    best = surface.argmax() if metric == "accuracy" else surface.argmin()
    i, j = best
    what = "accuracy" if metric == "accuracy" else surface.info["loss"]
    print(
        f"test data {what}: {'max' if metric == 'accuracy' else 'min'} "
        f"{surface.values[i, j]:.6g} at ({surface.labels[0]} = {surface.a[i]:.4g}, "
        f"{surface.labels[1]} = {surface.b[j]:.4g}); centre {surface.center_loss:.6g}"
    )


def _compute_surface(args, X, y, client, feature_names=None, test=None) -> int:
    import numpy as np

    import fastnn

    try:
        model = _fit(args.model, X, y, args)
        if feature_names is not None and args.model != "mlp" and _usable(feature_names):
            # As fitting on a DataFrame with these columns would: the header names the
            # weights (--params intercept x).
            model.feature_names_in_ = np.asarray(feature_names, dtype=object)
        params = None if args.params is None else tuple(_param(p) for p in args.params)
        directions = args.directions
        if params is None and directions is None:
            directions = None  # loss_surface's default: two parameters, or filter directions
        resolution = args.resolution[0] if len(args.resolution) == 1 else tuple(args.resolution)
        streamed = args.out is not None and args.out.rstrip("/").endswith((".npy", ".zarr"))
        start = time.perf_counter()
        surface = fastnn.loss_surface(
            model,
            X,
            y,
            params=params,
            directions=directions,
            span=_span(args.span),
            resolution=resolution,
            random_state=args.seed,
            threads=args.threads,
            progress=not args.no_progress,
            out=args.out if streamed else None,
            resume=args.resume,
            overwrite=args.force,
            client=client,
            dtype=args.dtype,
            device=args.device,
            metric=args.metric,
            data_name=os.path.basename(args.data) if args.data else "lecture",
        )
        elapsed = time.perf_counter() - start
    except (ValueError, TypeError, MemoryError, ImportError) as exc:
        raise CommandError(str(exc)) from None
    if args.out and not streamed:
        write_atomically(args.out, surface.save)
    if args.png or args.html:
        path = _path_in_plane(surface, getattr(model, "trajectory_", None))
    if args.png:
        fig = surface.plot("contour", trajectory=path, log=args.log)
        write_atomically(args.png, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    if args.html:
        page = surface.to_plotly(path, log=args.log)
        write_atomically(args.html, lambda tmp: page.write_html(tmp, include_plotlyjs=True))
    held_out = _held_out_surfaces(model, surface, test, client, args)
    ga, gb = surface.shape
    accuracy = args.metric == "accuracy"
    curvature = args.metric.endswith("_eigenvalue")
    if accuracy:
        i, j = surface.argmax()
    else:
        i, j = surface.argmin()
    plane = surface.info.get("directions", "params")
    quantity = args.metric.replace("_", " ") if accuracy or curvature else surface.info["loss"]
    points = surface.info.get("points_computed", ga * gb)  # a resumed run's own points
    resumed = f" ({ga * gb - points} read back from --out)" if points < ga * gb else ""
    print(
        f"surface {ga} x {gb} ({args.model}, {plane}, {quantity}): "
        f"{points} points in {elapsed:.3g} s{resumed} ({points / elapsed:.3g} points/s, "
        f"{points * X.shape[0] / elapsed:.3g} evaluations/s); {'max' if accuracy else 'min'} "
        f"{surface.values[i, j]:.6g} at "
        f"({surface.labels[0]} = {surface.a[i]:.4g}, {surface.labels[1]} = {surface.b[j]:.4g}); "
        f"centre {surface.center_loss:.6g}"
    )
    for (_, metric), other in held_out.items():
        _print_held_out(metric, other)
    if accuracy or curvature:
        return 0
    if surface.values[i, j] < surface.center_loss - 1e-3 * abs(surface.center_loss):
        print(
            "fastnn: note: grid points lie below the centre's loss: training stopped short of "
            "the minimum (raise --iterations or --lr"
            + (")" if args.standardize else ", or --standardize)"),
            file=sys.stderr,
        )
    return 0


def _usable(names) -> bool:
    """Whether a header's names can name weights (distinct, non-empty, not "intercept")."""
    from fastnn.layout import LinearLayout

    try:
        LinearLayout(len(names), names)
    except ValueError:
        return False
    return True


def _check_fits_in_memory(resolution) -> None:
    """A grid held in memory (no --out, or .npz) must fit; the remedy is a store."""
    from fastnn.grid import check_fits_in_memory

    shape = (resolution[0], resolution[-1])
    if min(shape) >= 2:  # smaller ones are refused with their own message
        try:
            check_fits_in_memory(shape, "write it to disk with --out surface.zarr")
        except ValueError as exc:
            raise CommandError(f"--resolution: {exc}") from None
