"""Compile the kernels ``fastnn demo`` uses in several processes at once, before it runs.

numba compiles on one core, one kernel after another: from an empty cache a
``fastnn demo --quick`` spent about 100 of its 120 s compiling
(``scripts/jit_cost.py --kernels``), 35 s of it on the trainability kernel, 19 s on the
Hessian-vector product and 17 s on the network surface.  The kernel families do not
depend on each other, so each *family* here is compiled by a child process that calls
the public API on a few samples, with the demo's models and settings (the types of the
arguments, not their sizes, choose what numba compiles); the children write numba's
cache, and the demo that runs next loads every kernel from it.  On this 2-core machine
(with a neighbour's load near 1) the four families took 64-66 s in two processes, where
compiling them one after another took 100-114 s.

A family that misses a signature the demo needs costs only time (the demo compiles it
itself); ``scripts/jit_cost.py --kernels`` reports what the demo still compiled.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any

# About how many seconds each family takes to compile alone from an empty cache (its
# kernels' times in scripts/jit_cost.py --kernels, 2026-12-06, this 2-core machine):
# families go to processes largest first.
FAMILY_SECONDS = {"network": 35.0, "curvature": 21.0, "trainability": 35.0, "linear": 20.0}

# The demo's kernels whose cache files say whether it has been compiled on this machine
_MARKERS = ("mlp_trainability", "mlp_hvp", "mlp_surface", "mlp_train", "linear_gd")


def _linear() -> None:
    """Linear and logistic regression: closed form, GD, their surfaces and Hessians."""
    import fastnn
    from fastnn import lecture

    X, y = lecture.ols_data()
    fastnn.linear_fit_1d(X[:, 0], y)
    ols = fastnn.LinearRegression().fit(X, y)
    fastnn.hessian_eigs(ols, X, y, k=1)
    X, y = lecture.gd_data()
    model = lecture.linear_gd_model(max_iter=2).fit(X, y, theta0=lecture.LINEAR_GD_START)
    lecture.linear_gd_model(max_iter=2, record_trajectory=False).fit(
        X, y, theta0=lecture.LINEAR_GD_START
    )
    fastnn.loss_surface(model, X, y, params=("intercept", "w1"), span=1.0, resolution=3)
    X, y = lecture.logistic_data()
    model = lecture.logistic_gd_model(max_iter=2).fit(X, y, theta0=lecture.LOGISTIC_GD_START)
    model.score(X, y)
    model.predict_proba(X)
    for solver in ("sgd", "minibatch"):
        fastnn.LogisticRegression(solver=solver, max_iter=2, random_state=0).fit(X, y)
    fastnn.loss_surface(
        fastnn.LogisticRegression, X, y, params=("w1", "w2"), span=1.0, resolution=3,
        center=[0.0, 0.0, 0.0],
    )  # fmt: skip


def _network() -> None:
    """The lecture network: training, prediction and loss surfaces."""
    import fastnn
    from fastnn import lecture

    X, y = lecture.network_data()
    X, y = X[:64], y[:64]
    model = lecture.network_model(max_iter=3, random_state=0, record_trajectory=1).fit(X, y)
    model.score(X, y)
    model.predict_proba(X)
    fastnn.loss_surface(model, X, y, directions="filter", random_state=0, resolution=3)
    fastnn.loss_surface(model, X, y, directions="pca", resolution=3)


def _curvature() -> None:
    """The lecture network's Hessian: dense, eigenpairs, trace, density, convexity map.

    At the initial weights (``center``), so that training is not compiled here again.
    """
    import numpy as np

    import fastnn
    from fastnn import lecture

    X, y = lecture.network_data()
    X, y = X[:64], y[:64]
    model = lecture.network_model()
    at: dict[str, Any] = {
        "center": fastnn.MLPLayout((2, 10, 1)).initial_theta(np.random.default_rng(0))
    }
    fastnn.hessian(model, X, y, **at)
    fastnn.hessian_eigs(model, X, y, k=1, **at)
    fastnn.hessian_trace(model, X, y, n_vectors=2, random_state=0, **at)
    fastnn.hessian_density(model, X, y, n_vectors=1, steps=3, random_state=0, **at)
    fastnn.curvature_surface(model, X, y, directions="hessian", resolution=2, random_state=0, **at)


def _trainability() -> None:
    """Trainability maps of the lecture network (the lane kernel)."""
    import fastnn
    from fastnn import lecture

    X, y = lecture.network_data()
    network = lecture.network_model(max_iter=2, tol=None, random_state=0)
    fastnn.trainability(network, X[:64], y[:64], resolution=2)


FAMILIES = {
    "network": _network,
    "curvature": _curvature,
    "trainability": _trainability,
    "linear": _linear,
}


def cold_cache() -> bool:
    """Whether numba's cache lacks one of the demo's main kernels (never compiled here)."""
    from fastnn import kernels

    for name in _MARKERS:
        try:
            index = getattr(kernels, name)._cache._cache_file._index_path  # numba's own path
        except AttributeError:  # another numba: assume compiled rather than guess
            return False
        if not os.path.exists(index):
            return True
    return False


def precompile(families=None, processes=None) -> dict[str, float]:
    """Compile kernel families in child processes, at most ``processes`` at a time.

    Parameters
    ----------
    families : iterable of str, optional
        Names from :data:`FAMILIES` (default: all), handed out largest first.
    processes : int, optional
        Default: the CPUs this process may use.

    Returns
    -------
    dict
        Seconds each family's process took, by name; a family whose process failed is
        missing (its kernels are then compiled where they are first used), and so is
        every family outside POSIX systems, where nothing is started.
    """
    names = list(FAMILIES if families is None else families)
    unknown = [name for name in names if name not in FAMILIES]
    if unknown:
        raise ValueError(f"families: unknown {unknown}; choose from {sorted(FAMILIES)}")
    if os.name != "posix":  # the children's cache lock is POSIX's flock
        return {}
    names.sort(key=lambda name: -FAMILY_SECONDS[name])
    from fastnn._numba import available_cpus

    limit = processes or available_cpus()
    waiting: list[str] = list(names)
    running: dict[str, tuple[subprocess.Popen, float]] = {}
    seconds: dict[str, float] = {}
    lock_path = _lock_path()
    try:
        while waiting or running:
            while waiting and len(running) < limit:
                name = waiting.pop(0)
                running[name] = (_start(name, lock_path), time.perf_counter())
            time.sleep(0.05)
            for name, (child, started) in list(running.items()):
                if child.poll() is None:
                    continue
                del running[name]
                if child.returncode == 0:
                    seconds[name] = time.perf_counter() - started
    finally:  # Ctrl-C, or an error here: no child is left compiling
        for child, _ in running.values():
            child.kill()
            child.wait()
    return seconds


def _lock_path() -> str:
    """The one lock file of the kernels' cache, shared by every precompiling process.

    Beside numba's cache files of fastnn's kernels (one folder for all of them), so that
    two commands compiling at once on one machine take turns too; never deleted (a
    lock file removed while held would let the next process lock a new one).
    """
    from fastnn import kernels

    try:
        folder = kernels.mlp_trainability._cache._cache_path  # numba's own location
    except AttributeError:  # another numba: a path every process of this machine shares
        folder = tempfile.gettempdir()
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, "fastnn-compile.lock")


def _start(name: str, lock_path: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "fastnn._precompile", name, lock_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _serialise_cache_writes(lock_path: str) -> None:
    """Make numba's cache writes in this process wait for the other children's.

    numba saves an entry by reading a function's index, adding a data file's name and
    writing both back; two processes that save the same helper under different
    signatures at once can leave an index naming a file that holds the other's code
    (numba#10128 is the same race for gufuncs).  Every precompiling child, of this
    command or another one running at the same time, holds the cache's lock file
    (:func:`_lock_path`) for the whole read-modify-write.
    """
    import fcntl

    from numba.core.caching import IndexDataCacheFile

    save = IndexDataCacheFile.save

    def locked_save(self, key, data):
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            return save(self, key, data)

    IndexDataCacheFile.save = locked_save  # type: ignore[method-assign]  # the lock is the point


def _exit_with_parent() -> None:
    """End this child when the process that started it is gone (killed with -9).

    The parent kills its children on Ctrl-C or an error; a parent killed outright cannot,
    and its children would compile on for a minute: each polls its parent instead.
    """
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def main(argv=None) -> None:
    """A child's work: ``python -m fastnn._precompile FAMILY LOCK_FILE``."""
    name, lock_path = sys.argv[1:] if argv is None else argv
    _exit_with_parent()
    _serialise_cache_writes(lock_path)
    import matplotlib

    matplotlib.use("Agg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few iterations of training: not converged
        FAMILIES[name]()


if __name__ == "__main__":
    main()
