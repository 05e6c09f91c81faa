"""Task functions the distributed tests send to Dask workers (importable there by name)."""

import os

from fastnn.grid._distributed import tile_task


def flaky_tile_task(evaluation, rows, cols, threads_per_host, writer=None, *, marker_dir):
    """tile_task that fails the first time it sees each tile (one marker file per tile)."""
    marker = os.path.join(marker_dir, f"failed-{rows[0]}-{cols[0]}")
    if not os.path.exists(marker):
        with open(marker, "w"):
            pass
        raise RuntimeError(f"injected failure of tile {rows}, {cols}")
    return tile_task(evaluation, rows, cols, threads_per_host, writer)
