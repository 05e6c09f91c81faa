"""The grid engine under every map: surfaces, curvature maps, trainability maps.

A grid job (:class:`GridJob`) is axes plus an evaluation with named fields, run tile by
tile by an executor (in process, or Dask) into a sink (memory, a ``.npy`` memmap with
its completion record, a Zarr store), with a progress bar and Ctrl-C held to the end of
the running tile.  A map function is a thin front door on it: it checks its own
arguments, builds its :class:`Evaluation` (a registered :class:`TileKernel` and its
inputs), hands the job to :func:`run_job` and wraps the result.  ``docs/ARCHITECTURE.md``
("The grid engine") says how a new kind of map is added.

Modules: ``_evaluation`` (evaluations, the kernel registry, a tile), ``_tiles`` (tile
plans sized by cost), ``_run`` (executors and sinks), ``_record`` (``.npy`` outputs,
locks), ``_store`` (Zarr stores of any set of fields), ``_distributed`` (Dask),
``_job`` (the pipeline).  Zarr and Dask are imported only where used.
"""

from fastnn.grid._distributed import dask_client, require_dask
from fastnn.grid._evaluation import (
    TILE_KERNELS,
    Evaluation,
    TileKernel,
    compute_tile,
    evaluate_tile,
    register_kind,
)
from fastnn.grid._job import (
    GridJob,
    GridResult,
    check_outputs,
    execution_settings,
    executor_for,
    run_job,
)
from fastnn.grid._record import real_path, writer_lock
from fastnn.grid._run import ArraySink, check_fits_in_memory, in_process, run
from fastnn.grid._store import (
    axis_dimensions,
    is_store_path,
    load_store,
    open_finished,
    recorded_argmin,
    require_zarr,
    store_format,
)
from fastnn.grid._tiles import TilePlan, default_progress, plan_tiles

__all__ = [
    "TILE_KERNELS",
    "ArraySink",
    "axis_dimensions",
    "Evaluation",
    "GridJob",
    "GridResult",
    "TileKernel",
    "TilePlan",
    "check_fits_in_memory",
    "check_outputs",
    "compute_tile",
    "dask_client",
    "default_progress",
    "evaluate_tile",
    "execution_settings",
    "executor_for",
    "in_process",
    "is_store_path",
    "load_store",
    "open_finished",
    "plan_tiles",
    "real_path",
    "recorded_argmin",
    "require_zarr",
    "store_format",
    "writer_lock",
    "register_kind",
    "require_dask",
    "run",
    "run_job",
]
