"""Which build of a training loop runs (serial or threaded), its BLAS threads, and why.

Each training loop (linear GD, linear minibatch, the MLP loop) is one ``inline=True``
body compiled twice: serially (the public kernel, e.g. ``linear_gd``) and as a private
``parallel=True`` build (``_linear_gd_threaded``) whose row chunks run on all threads.  A
parallel build pays on every step even when its parallel section is skipped (small
linear minibatch steps ran 100x slower, MLP minibatch steps 2.4x), so the threaded build
runs only for batches large enough to use it.  Both add the same chunk sums in the
same order and agree to rounding; the numpy reference has one build.

The thresholds are also the kernels' own (a batch below them runs serially inside a
threaded build); numba's stale-cache guard (``fastnn._numba._drop_stale_cache``) watches
this file with the kernel sources.  Plain Python, no kernels here: the builds it picks
live in ``fastnn/kernels/train_*.py``.
"""

from __future__ import annotations

import contextlib

# Linear models: below this many data values (rows x (features + 1)) a batch runs serially.
LINEAR_PARALLEL_MIN_WORK = 1 << 17
# MLPs: samples per chunk (activations stay in L1/L2), and the (sample x parameter)
# products above which a batch of at least two chunks runs in parallel.
MLP_CHUNK = 256
MLP_PARALLEL_MIN_WORK = 1 << 21
# A layer with this many weights or more uses BLAS, which threads itself: serial build.
MLP_BLAS_MIN_WEIGHTS = 4096
# Trainability maps: grid points trained together, one per SIMD lane, in boxes of this
# many grid rows (kernels/_lane_network.py; the tile planner makes tiles of whole boxes).
# 64 lanes, not 32: loops of 32 values spent as much in start-up as in work (1.10x on the
# paper's network; 128 gave about 1.02x more: bench/RESULTS.md, issue 33 part 3).
TRAINABILITY_LANES = 64
TRAINABILITY_BOX_ROWS = 8


def linear_threaded(batch_rows: int, n_features: int) -> bool:
    """Whether a linear model's batch of ``batch_rows`` rows is worth the threaded build."""
    return batch_rows * (n_features + 1) >= LINEAR_PARALLEL_MIN_WORK


def mlp_threaded(sizes, batch_rows: int) -> bool:
    """Whether a network's batch of ``batch_rows`` samples is worth the threaded build."""
    fan_in, fan_out = list(sizes[:-1]), list(sizes[1:])
    blas = any(a * b >= MLP_BLAS_MIN_WEIGHTS for a, b in zip(fan_in, fan_out, strict=True))
    n_params = sum(a * b + b for a, b in zip(fan_in, fan_out, strict=True))
    n_chunks = -(-batch_rows // MLP_CHUNK)
    return not blas and n_chunks >= 2 and batch_rows * n_params >= MLP_PARALLEL_MIN_WORK


# Below this many multiply-adds per layer product, a training step's BLAS calls run on
# one thread.  Threaded BLAS gained 0-15% on such products on an idle machine and lost
# 2-7x on a busy one (its threads wait for each other at every call: a 784-128-10 Adam
# epoch, batches of 200, took 6.9x its idle time beside two busy processes, 1.3x on one
# BLAS thread; bench/test_bench_busy.py).  Full batches of 10,000 samples keep the threads.
MLP_BLAS_THREADS_MIN_PRODUCT = 1 << 28


def mlp_blas_threads(sizes, batch_rows: int) -> int | None:
    """BLAS threads for training on batches of ``batch_rows``: 1, or None (BLAS's own)."""
    largest = max(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    if largest < MLP_BLAS_MIN_WEIGHTS or batch_rows * largest >= MLP_BLAS_THREADS_MIN_PRODUCT:
        return None
    return 1


@contextlib.contextmanager
def blas_threads(limit: int | None):
    """Run the block with BLAS limited to ``limit`` threads (None: leave BLAS alone).

    numba's ``np.dot`` calls the BLAS that scipy loads; threadpoolctl limits every BLAS
    in the process (and restores them afterwards).
    """
    if limit is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=limit, user_api="blas"):
        yield


def training_loop(impl, name: str, threaded: bool):
    """``impl.<name>``, or its threaded build when ``threaded`` and ``impl`` has one.

    The numba kernels list their threaded builds in ``THREADED_BUILDS``; the numpy
    reference has one build of each loop.
    """
    builds = getattr(impl, "THREADED_BUILDS", {}) if threaded else {}
    return builds.get(name) or getattr(impl, name)
