"""What running a surface's tiles on Dask costs: whole-surface overhead and per-tile scheduling.

1. A G x G logistic surface (N = 1000) in-process and on a LocalCluster of 2 single-threaded
   worker processes (the same cores): the relative overhead of the engine.
2. Per-tile scheduling: many tiny tiles (an exact squared-error surface, microseconds of work
   each) on the same cluster: wall time per tile, against the default tile's compute time.

Usage: python scripts/dask_overhead.py [--grid 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import time


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    import numpy as np
    from distributed import Client, LocalCluster

    import fastnn
    from fastnn import data

    X, y = data.blobs(1000, seed=0)
    model = fastnn.LogisticRegression(solver="gd", max_iter=100).fit(X, y)
    kw = dict(directions="random", random_state=0, progress=False)
    Xl, yl = data.linear(1000, seed=0)
    linear = fastnn.LinearRegression().fit(Xl, yl)
    report = {}
    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = Client(cluster)
    try:
        fastnn.loss_surface(model, X, y, resolution=64, client=client, **kw)  # JIT on workers
        fastnn.loss_surface(model, X, y, resolution=64, **kw)
        start = time.perf_counter()
        here = fastnn.loss_surface(model, X, y, resolution=args.grid, **kw)
        t_here = time.perf_counter() - start
        start = time.perf_counter()
        there = fastnn.loss_surface(model, X, y, resolution=args.grid, client=client, **kw)
        t_there = time.perf_counter() - start
        assert np.array_equal(here.values, there.values)
        report.update(
            grid=args.grid,
            tiles=here.info["tiles"],
            in_process_s=t_here,
            dask_s=t_there,
            overhead=t_there / t_here - 1.0,
            tile_compute_s=t_here / here.info["tiles"],
        )
        n_tiles = 400
        start = time.perf_counter()
        tiny = fastnn.loss_surface(
            linear, Xl, yl, params=(0, 1), resolution=(n_tiles, 8), tile_rows=1, client=client,
            progress=False,
        )  # fmt: skip
        per_tile = (time.perf_counter() - start) / tiny.info["tiles"]
        report.update(scheduling_per_tile_s=per_tile)
        report["scheduling_share_of_default_tile"] = per_tile / report["tile_compute_s"]
    finally:
        client.close()
        cluster.close()
    import resource

    report["client_peak_rss_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for key, value in report.items():
        print(f"{key:>34}: {value:.4g}" if isinstance(value, float) else f"{key:>34}: {value}")
    return report


if __name__ == "__main__":
    main()
