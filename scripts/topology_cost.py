"""The topology of a large surface against the cost of computing the surface.

Stage "surface": the lecture network (2-10-1 sigmoid, trained by full-batch GD) and its
G x G filter-normalised loss surface, written to a Zarr store; stage "topology": the
store opened lazily and :meth:`Surface.topology` computed.  Each stage runs in a fresh
process; each reports its time and its peak resident memory above what the process held
before (the surface's values are G^2 x 8 bytes).

Usage: python scripts/topology_cost.py [--grid G] [--store PATH] [--threads T]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _surface(grid: int, store: str, threads) -> dict:
    import fastnn
    from fastnn import lecture

    X, y = lecture.network_data(0)
    model = lecture.network_model(max_iter=1000, random_state=0).fit(X, y)
    kw = dict(directions="filter", random_state=0, span=3.0, threads=threads, progress=False)
    fastnn.loss_surface(model, X, y, resolution=8, **kw)  # JIT loading, outside the measure
    before = _resident_bytes()
    start = time.perf_counter()
    fastnn.loss_surface(model, X, y, resolution=grid, out=store, **kw)
    return {"seconds": time.perf_counter() - start, "peak_above": _peak_bytes() - before}


def _topology(store: str, threads) -> dict:
    import fastnn

    surface = fastnn.Surface.load(store)
    import cripser  # noqa: F401  (imported before the measure, as numba's kernels are)

    before = _resident_bytes()
    start = time.perf_counter()
    topology = surface.topology(threads=threads or 1)
    return {
        "seconds": time.perf_counter() - start,
        "peak_above": _peak_bytes() - before,
        "basins": topology.n_basins(),
        "pairs": int(topology.minimum.size),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=2001)
    parser.add_argument("--store", default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--stage", choices=("surface", "topology"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage == "surface":
        result = _surface(args.grid, args.store, args.threads)
    elif args.stage == "topology":
        result = _topology(args.store, args.threads)
    else:
        with tempfile.TemporaryDirectory() as directory:
            store = args.store or os.path.join(directory, "surface.zarr")
            result = {}
            for stage in ("surface", "topology"):
                command = [sys.executable, __file__, "--stage", stage, "--grid", str(args.grid),
                           "--store", store]  # fmt: skip
                if args.threads:
                    command += ["--threads", str(args.threads)]
                output = subprocess.run(command, check=True, capture_output=True, text=True)
                result[stage] = json.loads(output.stdout.strip().splitlines()[-1])
        values = args.grid**2 * 8
        for stage, numbers in result.items():
            print(
                f"{stage:>8}: {numbers['seconds']:7.2f} s, peak memory "
                f"{numbers['peak_above'] / 2**20:7.0f} MiB above the start "
                f"({numbers['peak_above'] / values:.1f}x the values' {values / 2**20:.0f} MiB)"
                + (
                    f"; {numbers['basins']} basins of {numbers['pairs']}"
                    if "basins" in numbers
                    else ""
                )  # fmt: skip
            )
        return result
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
