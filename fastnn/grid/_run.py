"""Running tiles: the in-process executor, the array sink, and the guards around them.

:func:`run` asks a sink which tiles it still needs, hands them to an executor and gives
every finished tile back to the sink.  Executors: :func:`in_process` here (tiles one
after another, Ctrl-C held to the end of the running tile), or
:func:`fastnn.grid._distributed.on_cluster` (tiles as Dask tasks).  Sinks:
:class:`ArraySink` (an array or ``.npy`` memmap written by this process),
:class:`fastnn.grid._store.StoreSink` (a Zarr store whose chunks are written where each
tile was computed) and :class:`FieldSinks` (one output per field).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numba
import numpy as np

from fastnn._interrupts import deferred_interrupts
from fastnn._validation import available_memory, format_bytes
from fastnn.grid._evaluation import compute_tile

if TYPE_CHECKING:
    from typing import Any

    from fastnn.grid._evaluation import Evaluation
    from fastnn.grid._record import TileRecord
    from fastnn.grid._tiles import TilePlan


def check_fits_in_memory(shape: tuple[int, ...], remedy: str, fields: int = 1) -> None:
    """ValueError when a float64 grid of ``shape`` (x ``fields``) would not fit in memory.

    ``remedy`` says, in the caller's terms, how to stream it to disk instead.
    """
    needed = shape[0] * shape[1] * fields * 8
    available = available_memory()
    if available is not None and needed > 0.8 * available:
        raise ValueError(
            f"a {shape[0]} x {shape[1]} float64 surface needs {format_bytes(needed)}, and "
            f"{format_bytes(available)} of memory are available: {remedy}, or lower the "
            "resolution"
        )


def check_free_space(path: str, needed: int, option: str = "out") -> None:
    """ValueError when the file system of ``path`` has less than ``needed`` bytes free."""
    import shutil

    directory = os.path.dirname(os.path.abspath(path))
    free = shutil.disk_usage(directory).free
    if needed > free:
        raise ValueError(
            f"{option}: {path} needs {format_bytes(needed)} and {directory} has "
            f"{format_bytes(free)} free; free some space or lower the resolution"
        )


class ArraySink:
    """Tiles written into ``out`` (an array or memmap) by the caller's process.

    With a completion ``record`` (memmap outputs) the tiles it lists are skipped, and
    each new tile is written, flushed to disk, and only then marked.
    """

    writer = None  # values travel back to this process, which writes them

    def __init__(self, out: np.ndarray, record: TileRecord | None = None) -> None:
        self.out = out
        self.record = record
        self.non_finite = 0  # values written that are inf or NaN (overflow)

    @property
    def damaged(self) -> int:
        """Marked tiles whose values failed their CRC on resume (computed again)."""
        return getattr(self.record, "damaged", 0)

    def pending(self, tiles: TilePlan) -> list[int]:
        done = set() if self.record is None else self.record.done
        return [k for k in range(len(tiles)) if k not in done]

    def finish(
        self, k: int, bounds: tuple[tuple[int, int], tuple[int, int]], values: np.ndarray
    ) -> None:
        (r0, r1), (c0, c1) = bounds
        self.out[r0:r1, c0:c1] = values
        self.non_finite += int(values.size - np.count_nonzero(np.isfinite(values)))
        if self.record is not None:
            self.out.flush()  # type: ignore[attr-defined]  # a memmap when there is a record
            self.record.mark(k, self.out, bounds)

    def close(self) -> None:
        if isinstance(self.out, np.memmap):
            self.out.flush()


class _FieldWriter:
    """Writes each field of a tile with its own output's writer (picklable).

    Returns, per output, its writer's summary, or the field's values for an output
    written by the caller's process.
    """

    def __init__(self, writers):
        self.writers = writers

    def __call__(self, rows, cols, values):
        return tuple(
            values[:, :, k].copy() if writer is None else writer(rows, cols, values[:, :, k])
            for k, writer in enumerate(self.writers)
        )


class FieldSinks:
    """One sink per field of a multi-field evaluation (``out=(a.npy, b.zarr)``).

    A tile is pending while any field's sink lacks it; each field goes to its own sink,
    and only to a sink that lacked the tile (a finished tile is never marked twice).
    """

    def __init__(self, sinks):
        self.sinks = list(sinks)
        writers = [sink.writer for sink in self.sinks]
        self.writer = None if all(w is None for w in writers) else _FieldWriter(writers)
        self.todo: list[set] = [set() for _ in self.sinks]

    @property
    def damaged(self) -> int:
        return sum(sink.damaged for sink in self.sinks)

    def pending(self, tiles) -> list[int]:
        self.todo = [set(sink.pending(tiles)) for sink in self.sinks]
        return sorted(set().union(*self.todo))

    def finish(self, k: int, bounds, result) -> None:
        for field, sink in enumerate(self.sinks):
            if k in self.todo[field]:
                part = result[:, :, field] if self.writer is None else result[field]
                sink.finish(k, bounds, part)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


def progress_bar_class():
    """The bar: tqdm's notebook bar in a Jupyter kernel with ipywidgets, else its console bar.

    Not ``tqdm.auto``: in a notebook without ipywidgets it warns ("IProgress not found")
    when imported, and with them it warns that it chose the notebook bar.
    """
    import sys

    if "ipykernel.zmqshell" in sys.modules:
        from tqdm import notebook

        if notebook.IProgress is not None:
            return notebook.tqdm
    from tqdm import tqdm

    return tqdm


def run(
    evaluation: Evaluation,
    sink: Any,
    tiles: TilePlan,
    progress: bool,
    executor: Any,
    desc: str = "loss surface",
) -> tuple[int, int]:
    """Compute the tiles ``sink`` still needs, with a progress bar.

    Returns how many tiles, and how many points they hold (a resumed run's own work).

    ``executor(evaluation, tiles, todo, finish, writer)`` computes the tiles ``todo``
    (writing each with ``sink.writer`` where the tile was computed, when there is one)
    and hands each result to ``finish(k, result)``.
    """
    todo = sink.pending(tiles)
    total = tiles.shape[0] * tiles.shape[1]
    with progress_bar_class()(
        total=total,
        initial=total - sum(tiles.points(k) for k in todo),
        disable=not progress,
        unit="pt",
        unit_scale=True,
        desc=desc,
    ) as bar:

        def finish(k, result):
            sink.finish(k, tiles[k], result)
            bar.update(tiles.points(k))

        executor(evaluation, tiles, todo, finish, sink.writer)
    sink.close()
    return len(todo), sum(tiles.points(k) for k in todo)


def in_process(threads: int | None = None) -> Any:
    """The executor that runs tiles one after another in this process on ``threads`` threads.

    numba's thread count is set for the run and restored afterwards.  Ctrl-C is held to
    the end of the running tile (whose values are written and marked), then raised.
    """

    def execute(evaluation, tiles, todo, finish, writer=None):
        previous = numba.get_num_threads()
        if threads is not None:
            numba.set_num_threads(threads)
        buffer = None
        try:
            with deferred_interrupts() as interrupted:
                for k in todo:
                    (r0, r1), (c0, c1) = tiles[k]
                    size = (r1 - r0) * (c1 - c0) * evaluation.fields
                    if buffer is None or buffer.size < size:
                        buffer = np.empty(size)
                    view = buffer[:size].reshape(evaluation.tile_shape(r1 - r0, c1 - c0))
                    finish(k, compute_tile(evaluation, (r0, r1), (c0, c1), view, writer))
                    if interrupted():
                        raise KeyboardInterrupt
        finally:
            if threads is not None:
                numba.set_num_threads(previous)

    return execute
