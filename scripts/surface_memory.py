"""Peak memory of a large logistic loss surface, against the result and the data it needs.

Runs the lecture's logistic model on N samples and computes a G x G surface in a fresh
process; reports the process's peak resident memory above what it held before the call,
as a multiple of (result array + data).  Default G = 4000, N = 10,000.

Usage: python scripts/surface_memory.py [--grid G] [--samples N] [--threads T]
"""

from __future__ import annotations

import argparse
import resource
import time


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        import os

        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=4000)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    import fastnn
    from fastnn import data

    X, y = data.blobs(args.samples, seed=0)
    model = fastnn.LogisticRegression(solver="gd", max_iter=100).fit(X, y)
    kw = dict(directions="random", random_state=0, span=2.0, threads=args.threads)
    fastnn.loss_surface(model, X, y, resolution=8, **kw)  # JIT loading, outside the measure
    before = _resident_bytes()
    start = time.perf_counter()
    surface = fastnn.loss_surface(model, X, y, resolution=args.grid, progress=False, **kw)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    needed = surface.values.nbytes + X.nbytes + y.nbytes
    report = {
        "grid": args.grid,
        "samples": args.samples,
        "seconds": elapsed,
        "evaluations_per_second": args.grid**2 * args.samples / elapsed,
        "result_plus_data_MB": needed / 2**20,
        "peak_above_start_MB": (peak - before) / 2**20,
        "ratio": (peak - before) / needed,
    }
    for key, value in report.items():
        print(f"{key:>24}: {value:.4g}" if isinstance(value, float) else f"{key:>24}: {value}")
    return report


if __name__ == "__main__":
    main()
