"""A grid job run end to end: outputs checked, locked, opened; tiles run; the result back.

Every map function builds a :class:`GridJob` (an evaluation with named fields, and
what its outputs record) and calls :func:`run_job`.  The order here is what keeps files
safe: every output is checked without touching it (and two outputs that are one file
are refused), then each is locked by its real file, then opened or created, then the
tiles run; Ctrl-C while outputs are opened or finished is held to the end of that step.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fastnn._config import ExecutionSettings
from fastnn._interrupts import deferred_interrupts
from fastnn._numba import thread_pool_size
from fastnn._validation import check_out_array, check_threads
from fastnn.grid._evaluation import Evaluation
from fastnn.grid._record import (
    check_memmap_output,
    check_result_file,
    completion_record,
    fingerprint,
    open_result_file,
    real_path,
    writer_lock,
)
from fastnn.grid._run import ArraySink, FieldSinks, check_fits_in_memory, in_process, run
from fastnn.grid._store import (
    StoreSink,
    check_store_path,
    create_store,
    is_store_path,
    resume_store,
)
from fastnn.grid._tiles import TilePlan, default_progress, plan_tiles

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass
class GridJob:
    """An evaluation over a grid, with names for its values and what its outputs record.

    Attributes
    ----------
    evaluation : Evaluation
        Axes, arrays and the tile kernel (``evaluation.fields`` values per point).
    fields : tuple of str
        A name per value of a point (a store's array names).
    map : str
        What kind of map this is (``"surface"``, ``"curvature"``, ``"trainability"``):
        the progress bar's label and a store's ``map`` attribute.
    coords : dict
        ``{name: (array, dims)}``: the coordinates a store keeps beside the values
        (``a`` and ``b`` at least).
    attrs : dict
        What a store records about the map (labels, info, ...).
    field_attrs : dict
        For outputs of one field each (``out=(p, q)``): ``{field: attrs}`` of the
        single-field store that holds it (its array is then named ``values``).
    tile_rows : int or None
        Grid rows per tile (None: sized by cost).
    samples : int or None
        Samples each point's value is a mean over (``evaluations_per_second``).
    """

    evaluation: Evaluation
    fields: tuple
    map: str = "surface"
    coords: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)
    field_attrs: dict = field(default_factory=dict)
    tile_rows: int | None = None
    # Samples per point, for ``evaluations_per_second`` (None: not a pass over data).
    samples: int | None = None
    _tiles: TilePlan | None = field(default=None, repr=False)

    def __post_init__(self):
        if len(self.fields) != self.evaluation.fields:
            raise ValueError(
                f"a job of {len(self.fields)} field names for a kernel of "
                f"{self.evaluation.fields} values per point"
            )

    @property
    def tiles(self) -> TilePlan:
        if self._tiles is None:
            self._tiles = plan_tiles(self.evaluation, self.tile_rows)
        return self._tiles

    @property
    def shape(self) -> tuple:
        """Shape of all the values in one array: (Ga, Gb) or (Ga, Gb, fields)."""
        ga, gb = self.evaluation.shape
        return self.evaluation.tile_shape(ga, gb)


@dataclass
class GridResult:
    """What a run produced: each field's values (arrays, memmaps or lazy Zarr arrays)."""

    fields: dict
    info: dict
    # {field or None (one output): (path, (minimum, i, j) of its first field or None)}
    stores: dict = field(default_factory=dict)
    # {field: facts of its own output} (one output per field)
    field_info: dict = field(default_factory=dict)


@dataclass
class _Output:
    kind: str  # "memory", "array", "npy", "store"
    target: Any  # the path (str) or the array
    resume: bool
    fields: tuple  # the job's fields it holds

    @property
    def path(self) -> str | None:
        if self.kind in ("npy", "store"):
            return self.target
        return getattr(self.target, "filename", None)


def _output(out, resume: bool, overwrite: bool, fields) -> _Output:
    """One output checked without touching it."""
    if out is None:
        return _Output("memory", None, resume, fields)
    if isinstance(out, (str, os.PathLike)):
        if is_store_path(out):
            return _Output("store", check_store_path(out, resume, overwrite), resume, fields)
        return _Output("npy", check_result_file(out, resume, overwrite), resume, fields)
    check_memmap_output(out)
    record = getattr(out, "filename", None)
    if record is not None and os.path.exists(f"{record}.tiles") and not (resume or overwrite):
        raise ValueError(
            f"out: {record}.tiles records another run's tiles in this memmap; pass "
            "resume=True to continue that run or overwrite=True to start afresh"
        )
    return _Output("array", out, resume, fields)


def check_outputs(
    out: Any,
    job_fields: Sequence[str],
    resume: bool,
    overwrite: bool,
    per_field_resume: Sequence[bool] | None = None,
) -> Any:
    """``out`` checked, touching nothing: one output for all fields, or one per field.

    ``per_field_resume`` (one flag per field) overrides ``resume`` for per-field
    outputs.  Two outputs that are one file (a path and a symbolic link to it, the same
    array) are refused.
    """
    if isinstance(out, (tuple, list)) and len(job_fields) > 1:
        if len(out) != len(job_fields):
            raise ValueError(
                f"out: one output for all fields, or one per field ({', '.join(job_fields)}); "
                f"got {len(out)}"
            )
        flags = per_field_resume or [resume] * len(out)
        outputs = [
            _output(o, r, overwrite, (name,))
            for o, r, name in zip(out, flags, job_fields, strict=True)
        ]
    else:
        outputs = [_output(out, resume, overwrite, tuple(job_fields))]
    seen: dict = {}
    for output in outputs:
        if output.path is not None:
            real = real_path(output.path)
            if real in seen:
                raise ValueError(
                    f"out: {seen[real]} and {output.path} are the same file; give each "
                    "field its own output"
                )
            seen[real] = output.path
        elif output.kind == "array":
            for other in outputs:
                if other is not output and other.kind == "array":
                    if np.shares_memory(output.target, other.target):
                        raise ValueError("out: two fields would go to the same array")
    return outputs


def _resume_without_file(output: _Output) -> None:
    if output.resume and output.kind == "memory":
        raise ValueError(
            "resume=True needs out= a file-backed numpy.memmap (its completion record lives "
            "beside the file), a .npy file or a .zarr store"
        )


def _open_sink(job: GridJob, output: _Output, per_field: bool):
    """The sink of one output (created, or reopened to resume); its values."""
    evaluation, tiles = job.evaluation, job.tiles
    ga, gb = evaluation.shape
    single = len(output.fields) == 1
    shape = (ga, gb) if single else (ga, gb, len(output.fields))
    field = job.fields.index(output.fields[0]) if per_field else None
    if output.kind == "store":
        description = _store_description(job, output.fields, per_field)
        header = {**fingerprint(evaluation, tiles, field), "fields": description["fields"]}
        repaired = 0
        if output.resume:
            group, repaired = resume_store(output.target, header, description)
        else:
            group = create_store(output.target, tiles, description, header)
        sink = StoreSink(output.target, group, output.resume, tiles, header)
        sink.repaired = repaired
        names = description["fields"]
        values = {n: group[s] for n, s in zip(output.fields, names, strict=True)}
        return sink, values
    array: np.ndarray
    if output.kind == "npy":
        array = open_result_file(output.target, shape, output.resume)
    elif output.kind == "array":
        array = check_out_array(output.target, shape)
    else:
        _resume_without_file(output)
        check_fits_in_memory(
            (ga, gb), "pass out='surface.zarr' to stream it to disk", len(output.fields)
        )
        array = np.empty(shape)
    record = None
    if output.kind != "memory":
        record = completion_record(array, evaluation, tiles, output.resume, field)
    values = {output.fields[0]: array} if single else {
        name: array[:, :, k] for k, name in enumerate(output.fields)
    }  # fmt: skip
    return ArraySink(array, record), values


def _store_description(job: GridJob, fields, per_field: bool) -> dict:
    """What a store of ``fields`` records (a single field of a split output: a surface)."""
    if per_field:
        (name,) = fields
        return {"fields": ["values"], "coords": job.coords, "attrs": job.field_attrs[name]}
    return {
        "fields": list(fields),
        "coords": job.coords,
        "attrs": {"map": job.map, **job.attrs},
    }


def execution_settings(**per_call: Any) -> ExecutionSettings:
    """One call's settings (its arguments over :func:`fastnn.config_context`'s), checked.

    ``threads`` an int in numba's pool, ``client`` a Dask client (dask.distributed
    installed), ``device`` "cpu" or "cuda".
    """
    from fastnn._config import resolve
    from fastnn.cuda import check_device

    settings = resolve(**per_call)
    check_threads(settings.threads, thread_pool_size())
    device = check_device(settings.device or "cpu")
    if settings.client is not None:
        from fastnn.grid._distributed import require_dask

        require_dask()
        if not all(hasattr(settings.client, a) for a in ("submit", "scatter")):
            raise ValueError(
                f"client must be a dask.distributed.Client; got {type(settings.client).__name__}"
            )
    return settings.merged(device=device)


def executor_for(settings: ExecutionSettings) -> Any:
    """The executor of the settings: a Dask cluster's (``client``) or this process's."""
    if settings.client is not None:
        from fastnn.grid._distributed import on_cluster

        return on_cluster(settings.client)
    threads = check_threads(settings.threads, thread_pool_size())
    return in_process(threads)


def run_job(
    job: GridJob,
    settings: ExecutionSettings,
    out: Any | None = None,
    resume: bool = False,
    overwrite: bool = False,
    outputs: Any | None = None,
) -> GridResult:
    """Run ``job`` into ``out`` (None, an array, a ``.npy`` or ``.zarr`` path, or one per field).

    ``outputs`` (from :func:`check_outputs`) when the caller checked ``out`` already.
    Returns every field's values and the run's facts (tiles, tiles computed and damaged,
    seconds, the store).
    """
    if outputs is None:
        outputs = check_outputs(out, job.fields, resume, overwrite)
    executor = executor_for(settings)
    progress = settings.progress
    if progress is None:
        progress = default_progress(job.evaluation)
    per_field = len(outputs) > 1
    with contextlib.ExitStack() as locks:
        for output in outputs:
            locks.enter_context(writer_lock(output.path))
        # Opening outputs removes, creates and fills files: Ctrl-C waits for it to end.
        with deferred_interrupts() as interrupted:
            opened = [_open_sink(job, output, per_field) for output in outputs]
        if interrupted():
            raise KeyboardInterrupt
        sinks = [sink for sink, _ in opened]
        sink = sinks[0] if len(sinks) == 1 else FieldSinks(sinks)
        start = time.perf_counter()
        computed, points = run(
            job.evaluation, sink, job.tiles, bool(progress), executor, desc=job.map
        )
        elapsed = time.perf_counter() - start
        values = {}
        for _, part in opened:
            values.update(part)
        # The rates are this run's: a resumed run computes only the tiles still missing.
        facts = {
            "points_computed": points,
            "seconds": elapsed,
            "points_per_second": points / elapsed if elapsed > 0 else None,
        }
        if job.samples is not None:
            facts["evaluations_per_second"] = (
                points * job.samples / elapsed if elapsed > 0 else None
            )
        facts.update({"tiles_computed": computed, "tiles_damaged": sink.damaged})
        field_facts = {}
        if per_field:  # each output's own count: a resumed one may have had all its tiles
            for name, part, todo in zip(job.fields, sinks, sink.todo, strict=True):
                field_facts[name] = {"tiles_computed": len(todo), "tiles_damaged": part.damaged}
        repaired = sum(getattr(s, "repaired", 0) for s in sinks)
        if repaired:
            facts["arrays_repaired"] = repaired
        # inf or NaN values written by this process (arrays and .npy; a store's are not
        # counted, its values being written where each tile is computed)
        non_finite = sum(getattr(s, "non_finite", 0) for s in sinks)
        if non_finite:
            facts["non_finite"] = non_finite
        stores = {}
        # Finishing a store rewrites its metadata: Ctrl-C waits for it too.
        with deferred_interrupts() as interrupted:
            for part, output in zip(sinks, outputs, strict=True):
                if output.kind != "store":
                    continue
                name = output.fields[0] if per_field else None
                base = job.field_attrs[name]["info"] if per_field else job.attrs.get("info", {})
                part.complete({**base, **facts, **field_facts.get(name, {})})
                stores[name] = (output.target, part.best)
        if interrupted():
            raise KeyboardInterrupt
    return GridResult(values, facts, stores, field_facts)
