"""``fastnn bench``: numba vs the numpy reference on the main workloads, as one table.

For users who want the numbers without the pytest-benchmark suite (``bench/``).  Two
parts: end-to-end workloads through the public API (``backend="numba"`` and
``backend="numpy"``), then every public kernel of the case table (:mod:`fastnn.cases`)
at its benchmark size (``--quick``: its quick size).  The two results are compared (the
"agree" column: largest relative difference) and the best of three runs is timed after
one untimed run (JIT loading); the numpy reference at full size runs once.
"""

from __future__ import annotations

import platform
import sys
import time
import warnings

import numpy as np

import fastnn
from fastnn import data, kernels, lecture, reference
from fastnn.cases import CASES


def _best_time(fn, repeats):
    fn()  # JIT loading / compiling, not timed
    best = np.inf
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _workloads(quick: bool):
    """(name, work unit, units of work, function of backend -> array)."""
    n_big = 20_000 if quick else 100_000
    rng = np.random.default_rng(0)
    X_big = rng.standard_normal((n_big, 10))
    y_big = X_big @ rng.standard_normal(10) + rng.standard_normal(n_big)
    Xb, yb = data.blobs(10_000, seed=0)
    Xd, yd = lecture.network_data()
    Xl, yl = data.linear(100_000, seed=0)
    logistic = fastnn.LogisticRegression(solver="gd", max_iter=100).fit(Xb, yb)
    linear = fastnn.LinearRegression().fit(Xl, yl)
    iterations = 100 if quick else 500
    net = lecture.network_model(max_iter=200).fit(Xd, yd)
    g_bce = 60 if quick else 150
    g_mlp = 11 if quick else 31

    def linear_gd(backend):
        model = fastnn.LinearRegression(
            solver="gd", learning_rate_init=0.1, max_iter=100, backend=backend
        )
        return model.fit(X_big, y_big).theta_

    def network(backend):
        model = lecture.network_model(max_iter=iterations, backend=backend)
        return model.fit(Xd, yd).loss_curve_

    def bce_surface(backend):
        return fastnn.loss_surface(
            logistic,
            Xb,
            yb,
            directions="random",
            random_state=0,
            resolution=g_bce,
            backend=backend,
        ).values

    def mse_surface(backend):
        return fastnn.loss_surface(
            linear, Xl, yl, params=(0, 1), span=3.0, resolution=1000, backend=backend
        ).values

    def mlp_surface(backend):
        return fastnn.loss_surface(
            net, Xd, yd, directions="filter", random_state=0, resolution=g_mlp, backend=backend
        ).values

    return [
        *_kernel_workloads(quick),
        (f"linear GD, N={n_big}, d=10, 100 it.", "it/s", 100, linear_gd),
        (f"lecture MLP 2-10-1, N=2000, {iterations} GD it.", "it/s", iterations, network),
        (f"logistic BCE surface {g_bce}^2, N=10000", "eval/s", g_bce**2 * 10_000, bce_surface),
        ("linear MSE surface 1000^2, N=1e5 (exact)", "points/s", 10**6, mse_surface),
        (f"lecture MLP filter surface {g_mlp}^2", "points/s", g_mlp**2, mlp_surface),
    ]


def _largest_relative_difference(ours, theirs) -> float:
    """The largest |ours - theirs| / |theirs|; NaN in both agrees, NaN in one is inf.

    (A trainability map holds NaN where a run did not diverge.)  Equal values agree,
    infinities too (a training state's best loss is +inf until early stopping reads it).
    """
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    scale = np.maximum(np.abs(theirs), np.finfo(float).tiny)
    with np.errstate(invalid="ignore"):
        difference = np.abs(ours - theirs) / scale
    difference = np.where((np.isnan(ours) & np.isnan(theirs)) | (ours == theirs), 0.0, difference)
    return float(np.max(np.where(np.isnan(difference), np.inf, difference)))


def _kernel_workloads(quick: bool):
    """One workload per public kernel, from the case table."""
    size = "quick" if quick else "bench"
    implementations = {"numba": kernels, "numpy": reference}
    workloads = []
    for name, case in CASES.items():
        arguments = case.arguments(size)
        units, unit = case.work(**getattr(case, size))

        def run(backend, case=case, arguments=arguments):
            outputs = case.run(implementations[backend], arguments)
            return np.concatenate([o.ravel() for o in outputs if o.dtype.kind == "f"])

        workloads.append((f"kernel {name}", unit[:6] + "/s", units, run))
    return workloads


def run_quick_bench(quick: bool = False, stream=None) -> list[dict]:
    """Print the table; return its rows."""
    stream = stream if stream is not None else sys.stdout
    # Best of three after an untimed run, also for --quick: one run on a noisy machine
    # can show numba slower than numpy.  The numpy reference at full size runs once.
    repeats, numpy_repeats = 3, 3 if quick else 1
    print(
        f"fastnn {fastnn.__version__} bench ({'quick' if quick else 'full'}; best of "
        f"{repeats} after a warm-up run, numpy best of {numpy_repeats}) "
        f"on {platform.processor() or platform.machine()}, numba threads "
        f"{__import__('numba').get_num_threads()}",
        file=stream,
    )
    header = (
        f"{'workload':<46} {'numba s':>9} {'numpy s':>9} {'ratio':>7} {'numba rate':>14} "
        f"{'agree':>8}"
    )
    print(header, file=stream)
    print("-" * len(header), file=stream)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.ConvergenceWarning)
        for name, unit, units, fn in _workloads(quick):
            t_numba, ours = _best_time(lambda f=fn: f("numba"), repeats)
            t_numpy, theirs = _best_time(lambda f=fn: f("numpy"), numpy_repeats)
            agree = _largest_relative_difference(ours, theirs)
            row = dict(
                workload=name,
                numba=t_numba,
                numpy=t_numpy,
                ratio=t_numpy / t_numba,
                rate=units / t_numba,
                unit=unit,
                agree=agree,
            )
            rows.append(row)
            print(
                f"{name:<46} {t_numba:>9.4f} {t_numpy:>9.4f} {row['ratio']:>6.1f}x "
                f"{row['rate']:>9.3g} {unit:<4} {agree:>8.1e}",
                file=stream,
            )
    return rows
