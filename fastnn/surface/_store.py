"""Surfaces stored as Zarr (``out="surface.zarr"``): one chunk per tile, self-describing.

A store is a Zarr v3 group (a directory) that ``xarray.open_zarr`` reads as it is:

``values``
    The (a, b) float64 grid; its chunks are exactly the engine's tiles, encoded as
    raw bytes, zstd, then a CRC-32C checksum (Zarr's ``crc32c`` codec).
``a``, ``b``
    The axes (dimension coordinates); ``center`` (param) and ``directions``
    (direction, param) the plane.
the group's attributes
    ``format``, ``labels``, ``params``, ``center_loss``, ``info`` (model, loss, how it
    was made), ``fingerprint`` (grid, tile plan, kernel revision, a hash of the data,
    centre and directions) and, once every tile is written, ``complete`` and the grid's
    minimum.

A chunk is its own completion mark: it is written whole by the process that computed
its tile (a Dask worker writes its own chunks; chunks never overlap), and a chunk on
disk whose CRC-32C verifies holds that tile's values.  Resume reads back every chunk
present: one that fails its checksum (torn by a kill, damaged later) is deleted and
computed again, one that is missing is computed; nothing is ever read as a fill value.
Zarr and numcodecs are imported only here (``pip install "fastnn[zarr]"``).
"""

from __future__ import annotations

import errno
import math
import os
import shutil
import warnings

import numpy as np

from fastnn.surface._engine import check_free_space
from fastnn.surface._record import check_output_place

FORMAT = "fastnn.SurfaceStore/1"
_CHECKSUM_ERRORS = (ValueError, RuntimeError, OSError)


def is_store_path(path) -> bool:
    """Whether an ``out=`` path names a Zarr store (it ends in ``.zarr``)."""
    return os.fspath(path).rstrip("/").endswith(".zarr")


def require_zarr():
    try:
        import zarr
    except ImportError:
        raise ImportError(
            'a .zarr surface store needs zarr-python 3: pip install "fastnn[zarr]"'
        ) from None
    return zarr


def check_store_path(path, resume: bool, overwrite: bool) -> str:
    """Checks of a ``.zarr`` output that touch nothing; returns the path as a str."""
    require_zarr()
    path = os.fspath(path).rstrip("/")
    check_output_place(path, resume, overwrite)
    if resume and not os.path.isfile(os.path.join(path, "zarr.json")):
        raise ValueError(f"out: {path} is not a Zarr store; it cannot be resumed")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.access(directory, os.W_OK):
        raise ValueError(f"out: the directory {directory} is not writable")
    return path


def _codecs():
    from zarr.codecs import BytesCodec, Crc32cCodec, ZstdCodec

    return {"serializer": BytesCodec(), "compressors": [ZstdCodec(level=1), Crc32cCodec()]}


def create_store(path: str, tiles, description: dict, fingerprint: dict):
    """A new store at ``path`` (an existing one is removed first: the caller checked).

    ``description`` holds the plane's arrays (``a``, ``b``, ``center``, ``directions``)
    and the attributes that say what the surface is.
    """
    zarr = require_zarr()
    ga, gb = tiles.shape
    check_free_space(path, ga * gb * 8 + 4 * len(tiles))
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
    try:
        group = zarr.open_group(path, mode="w-", zarr_format=3)
        group.create_array(
            "values",
            shape=(ga, gb),
            chunks=(tiles.tile_rows, tiles.cols),
            dtype="float64",
            fill_value=np.nan,
            dimension_names=("a", "b"),
            config={"write_empty_chunks": True},
            **_codecs(),
        )
        for name, dims in (("a", ("a",)), ("b", ("b",)), ("center", ("param",))):
            _small_array(group, name, description[name], dims)
        _small_array(group, "directions", description["directions"], ("direction", "param"))
        group.attrs.update(
            {
                "format": FORMAT,
                "fingerprint": fingerprint,
                "complete": False,
                **{k: description[k] for k in ("labels", "params", "center_loss", "info")},
            }
        )
        _consolidate(path)
    except OSError as exc:
        raise ValueError(f"out: cannot create {path}: {exc.strerror or exc}") from None
    return group


def _consolidate(path: str) -> None:
    """One metadata document for the store (xarray opens a store by it without a warning)."""
    zarr = require_zarr()
    with warnings.catch_warnings():
        # "not part of the Zarr format 3 specification": xarray and zarr-python read it
        warnings.simplefilter("ignore", category=zarr.errors.ZarrUserWarning)
        zarr.consolidate_metadata(path)


def _small_array(group, name, values, dims):
    values = np.ascontiguousarray(values, dtype=np.float64)
    array = group.create_array(
        name, shape=values.shape, dtype="float64", dimension_names=dims, **_codecs()
    )
    array[...] = values


def open_store(path: str, mode: str = "r"):
    """The fastnn store at ``path`` as a Zarr group (ValueError naming it otherwise)."""
    zarr = require_zarr()
    try:
        group = zarr.open_group(path, mode=mode, zarr_format=3)
        attrs = dict(group.attrs)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a readable fastnn surface store ({exc})") from None
    if attrs.get("format") != FORMAT:
        raise ValueError(f"{path}: not a fastnn surface store (format {attrs.get('format')!r})")
    return group


def resume_store(path: str, fingerprint: dict):
    """The store at ``path`` opened to continue the run it belongs to."""
    group = open_store(path, mode="r+")
    stored = group.attrs.get("fingerprint") or {}
    for key, value in fingerprint.items():
        if stored.get(key) != value:
            raise ValueError(
                f"resume: the store {path} belongs to another surface ({key} differs: "
                f"{stored.get(key)!r} vs {value!r}); start afresh without resume"
            )
    return group


def _chunk_file(path: str, array, tiles, k: int) -> str:
    key = array.metadata.encode_chunk_key(divmod(k, tiles.grid[1]))
    return os.path.join(path, "values", *key.split("/"))


def tile_summary(rows, cols, values) -> tuple[float, int, int] | None:
    """The smallest value of a tile and its grid indices (None when all NaN)."""
    if np.isnan(values).all():
        return None
    i, j = np.unravel_index(int(np.nanargmin(values)), values.shape)
    return float(values[i, j]), rows[0] + int(i), cols[0] + int(j)


class ChunkWriter:
    """Writes one tile as its store chunk wherever the tile was computed (picklable)."""

    def __init__(self, path: str):
        self.path = path
        self._array = None

    def __getstate__(self):
        return {"path": self.path, "_array": None}

    def __call__(self, rows, cols, values):
        if self._array is None:
            self._array = require_zarr().open_array(os.path.join(self.path, "values"), mode="r+")
        try:
            self._array[rows[0] : rows[1], cols[0] : cols[1]] = values
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ValueError(
                    f"out: the disk holding {self.path} is full; the tiles written so far are "
                    "kept: free some space and run again with resume=True (--resume)"
                ) from None
            raise
        return tile_summary(rows, cols, values)


class StoreSink:
    """Tiles of a run into a store (see :func:`fastnn.surface._engine.run`)."""

    def __init__(self, path: str, group, resume: bool):
        self.path = path
        self.group = group
        self.resume = resume
        self.writer = ChunkWriter(path)
        self.damaged = 0
        self.best = None

    def pending(self, tiles) -> list[int]:
        """Tiles without a verified chunk; damaged chunks are deleted (and counted)."""
        if not self.resume:
            return list(range(len(tiles)))
        array = self.group["values"]
        todo = []
        for k in range(len(tiles)):
            chunk = _chunk_file(self.path, array, tiles, k)
            if not os.path.exists(chunk):
                todo.append(k)
                continue
            (r0, r1), (c0, c1) = bounds = tiles[k]
            try:
                values = array[r0:r1, c0:c1]
            except _CHECKSUM_ERRORS:
                os.remove(chunk)
                self.damaged += 1
                todo.append(k)
                continue
            self.finish(k, bounds, tile_summary(*bounds, values))
        check_free_space(self.path, sum(tiles.points(k) for k in todo) * 8)
        if todo and self.group.attrs.get("complete"):
            self.group.attrs["complete"] = False  # until the recomputed tiles are back
        return todo

    def finish(self, k: int, bounds, summary) -> None:
        # (value, i, j) tuples: the smallest value, the first in row-major order on ties
        if summary is not None and (self.best is None or summary < self.best):
            self.best = summary

    def close(self) -> None:
        pass

    def complete(self, info: dict) -> None:
        """Mark the store finished: its grid minimum and how it was made."""
        attrs = {"complete": True, "info": info}
        if self.best is not None:
            attrs["argmin"] = [self.best[1], self.best[2]]
        self.group.attrs.update(attrs)
        _consolidate(self.path)


def load_store(path) -> dict:
    """The parts of a :class:`~fastnn.surface.Surface` from a finished store; values lazy."""
    path = os.fspath(path).rstrip("/")
    group = open_store(path)
    attrs = dict(group.attrs)
    values = group["values"]
    expected = math.prod(values.cdata_shape)
    if not attrs.get("complete") or values.nchunks_initialized != expected:
        raise ValueError(
            f"{path} is an unfinished surface ({values.nchunks_initialized} of {expected} "
            "tiles written); continue it with loss_surface(..., out=path, resume=True) "
            "(fastnn surface ... --out PATH --resume)"
        )
    info = dict(attrs["info"])
    if "argmin" in attrs:
        info["argmin"] = tuple(attrs["argmin"])
    info["store"] = path
    params = attrs.get("params")
    return {
        "a": group["a"][...],
        "b": group["b"][...],
        "values": values,
        "center": group["center"][...],
        "directions": group["directions"][...],
        "center_loss": attrs["center_loss"],
        "params": tuple(params) if params is not None else None,
        "labels": tuple(attrs["labels"]),
        "info": info,
    }
