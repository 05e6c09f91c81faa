"""``fastnn connect``: are two trained networks connected?  Barriers, alignment, a curve."""

from __future__ import annotations

import os
import time

from fastnn._codes import ACTIVATION_CODES, CURVE_CODES
from fastnn.cli._common import (
    CommandError,
    TrainingError,
    activation_argument,
    check_new_output,
    load_data,
    seed,
    write_atomically,
)


def add_parser(sub) -> None:
    """The subcommand's options."""
    parser = sub.add_parser(
        "connect",
        help="barriers between two networks, before and after alignment, and a trained curve",
    )
    parser.add_argument(
        "--data", metavar="FILE",
        help="CSV or .npz (X and labels or targets); default: the lecture's donut (and its "
        "test set)",
    )  # fmt: skip
    parser.add_argument("--regression", action="store_true", help="targets are values")
    parser.add_argument(
        "--models", nargs=2, metavar="FILE",
        help="two fitted fastnn models saved with joblib or pickle (instead of training two)",
    )  # fmt: skip
    parser.add_argument("--seeds", nargs=2, type=seed, default=[0, 1], metavar="S",
                        help="the two networks' seeds (default 0 1)")  # fmt: skip
    parser.add_argument("--hidden", type=int, nargs="+", default=[10], help="hidden units")
    parser.add_argument(
        "--activation", nargs="+", choices=tuple(ACTIVATION_CODES), metavar="NAME",
        default=["sigmoid"], help="hidden activation(s), as for fastnn trainability",
    )  # fmt: skip
    parser.add_argument("--solver", choices=("gd", "sgd", "minibatch", "momentum", "adam"),
                        default="gd", help="the two networks' training (default gd)")  # fmt: skip
    parser.add_argument("--iterations", type=int, default=1000, help="epochs of each network")
    parser.add_argument("--lr", type=float, default=1.0, help="the networks' learning rate")
    parser.add_argument(
        "--align", choices=("weights", "activations", "none"), default="weights",
        help="permutation alignment before the curve (default weights)",
    )  # fmt: skip
    parser.add_argument(
        "--curve", choices=tuple(CURVE_CODES), default="bezier",
        help="the path's shape: a quadratic Bezier curve or a two-segment chain (default "
        "bezier)",
    )  # fmt: skip
    parser.add_argument("--epochs", type=int, default=100, help="epochs of the curve's bend")
    parser.add_argument("--batch-size", type=int, default=32, help="the curve's minibatch")
    parser.add_argument("--curve-lr", type=float, default=0.05, help="the bend's learning rate")
    parser.add_argument(
        "--optimizer", choices=("sgd", "adam"), default="sgd",
        help="the bend's optimiser (default sgd, with momentum 0.9)",
    )  # fmt: skip
    parser.add_argument("--points", type=int, default=25, help="points of t on line and curve")
    parser.add_argument("--resolution", type=int, default=61, help="the plane's grid (--png)")
    parser.add_argument("--seed", type=seed, default=0, help="the curve's sampling")
    parser.add_argument("--png", metavar="FILE.png", help="the plane through the three points")
    parser.add_argument("--force", action="store_true", help="replace --png")
    parser.set_defaults(run=run)


def _load(path: str, kind):
    import joblib

    if not os.path.isfile(path):
        raise CommandError(f"--models: {path} does not exist")
    try:
        model = joblib.load(path)
    except Exception as exc:  # a file that is no pickle: any unpickling error
        raise CommandError(f"--models: {path} is not a saved model ({exc})") from None
    if not isinstance(getattr(model, "estimator", model), kind):  # an imported pipeline's
        raise CommandError(
            f"--models: {path} holds a {type(model).__name__}, not a fastnn {kind.__name__}"
        )
    return model


def _train(kind, X, y, random_state, args):
    import warnings

    from fastnn.exceptions import ConvergenceWarning, DivergenceWarning

    model = kind(
        tuple(args.hidden), activation_argument(args.activation), solver=args.solver,
        max_iter=args.iterations, learning_rate_init=args.lr, tol=None, init="normal",
        random_state=random_state,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            return model.fit(X, y)
        except DivergenceWarning:
            raise TrainingError(
                f"the network of seed {random_state} diverged: lower --lr"
            ) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None


def _barriers(profile) -> str:
    parts = []
    for name in profile.loss:
        text = f"{name} {profile.loss_barrier[name]:.4g}"
        if name in profile.error:
            text += f" (error {profile.error_barrier[name]:.3g})"
        parts.append(text)
    return ", ".join(parts)


def run(args) -> int:
    """Train or load two networks; print their barriers; train a curve; write --png."""
    import warnings

    import fastnn
    from fastnn import lecture
    from fastnn.exceptions import DivergenceWarning

    if args.png is not None:
        check_new_output("--png", args.png, (".png",), replace=args.force)
    for option, value in (("--epochs", args.epochs), ("--points", args.points),
                          ("--iterations", args.iterations)):  # fmt: skip
        if value < 1:
            raise CommandError(f"{option} must be >= 1; got {value}")
    data = {}
    if args.data:
        X, y = load_data(args.data)
    else:
        X, y = lecture.network_data(args.seed)
        data["test"] = lecture.network_data(args.seed, test=True)
    kind = fastnn.MLPRegressor if args.regression else fastnn.MLPClassifier
    start = time.perf_counter()
    if args.models:
        model_a, model_b = (_load(path, kind) for path in args.models)
    else:
        model_a, model_b = (_train(kind, X, y, s, args) for s in args.seeds)
    trained = time.perf_counter() - start
    try:
        line = fastnn.linear_barrier(model_a, model_b, X, y, data=data or None,
                                     resolution=args.points)  # fmt: skip
        aligned = model_b
        if args.align != "none":
            aligned = fastnn.align(model_a, model_b, method=args.align,
                                   X=X if args.align == "activations" else None)  # fmt: skip
        aligned_line = fastnn.linear_barrier(model_a, aligned, X, y, data=data or None,
                                             resolution=args.points)  # fmt: skip
        start = time.perf_counter()
        with warnings.catch_warnings():  # a diverged curve is the one line below, exit 3
            warnings.simplefilter("ignore", DivergenceWarning)
            curve = fastnn.connect(
                model_a, aligned, X, y, curve=args.curve, data=data or None,
                epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                learning_rate=args.curve_lr, resolution=args.points, random_state=args.seed,
            )  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise CommandError(str(exc)) from None
    if curve.diverged:
        raise TrainingError(
            f"training the curve diverged at epoch {curve.n_iter}: lower --curve-lr"
        )
    curved = time.perf_counter() - start
    source = "loaded" if args.models else f"seeds {args.seeds[0]} and {args.seeds[1]}"
    print(f"two networks ({source}, {trained:.3g} s); loss barriers (max over t of the rise "
          "above the chord):")  # fmt: skip
    rows = [("straight line", line)]
    if args.align != "none":
        rows.append((f"line, {args.align} aligned", aligned_line))
    rows.append((f"{args.curve} curve ({args.epochs} epochs, {curved:.2g} s)", curve.profile))
    width = max(len(name) for name, _ in rows) + 1
    for name, profile in rows:
        print(f"  {name + ':':<{width}} {_barriers(profile)}")
    if args.png:
        surface = fastnn.loss_surface(model_a, X, y, plane=curve.plane(resolution=args.resolution))
        fig = curve.plot_plane(surface)
        write_atomically(args.png, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    return 0
