"""Grids stored as Zarr (``out="map.zarr"``): one chunk per tile and field, self-describing.

A store is a Zarr v3 group (a directory) that ``xarray.open_zarr`` reads as a Dataset
with one variable per field:

one array per field
    A (a, b) float64 grid -- ``values`` for a surface, ``max_eigenvalue`` and
    ``min_eigenvalue`` for a curvature map, ``final_loss``, ``convergence`` and
    ``divergence_epoch`` for a trainability map -- whose chunks are exactly the engine's
    tiles, encoded as raw bytes, zstd, then a CRC-32C checksum (Zarr's ``crc32c`` codec).
the coordinates
    ``a``, ``b`` (the axes) and whatever else the map records (a surface's ``center``
    and ``directions``); the SHA-256 of each is in the attributes (``protected``).
``checks/tiles``
    One CRC-32 per tile binding the tile's values (every field) to its index and to the
    store's fingerprint, written after the tile's value chunks: it is the tile's
    completion mark.  A subgroup, so xarray does not list it.
the group's attributes
    ``format``, ``map`` (what kind of map), ``fields``, ``fingerprint`` (grid, tile plan,
    kernel revision, a hash of everything the values depend on), the map's own
    description (labels, info, ...) and, once every tile is written, ``complete`` and
    the first field's minimum (``argmin``).

Resume reads back every tile: one whose chunks fail their checksum (torn by a kill,
damaged later), do not match their binding (chunks swapped between tiles or stores) or
lack one is computed again, one never finished is computed; nothing is ever read as a
fill value.  A coordinate array whose content no longer matches its recorded hash is
rewritten on resume (the run has the true one) and refused by :func:`load_store`.
Zarr and numcodecs are imported only here (``pip install "fastnn[zarr]"``).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import shutil
import warnings
import zlib
from typing import TYPE_CHECKING

import numpy as np

from fastnn._disk import full_disk_is
from fastnn.grid._record import check_output_place, real_path
from fastnn.grid._run import check_free_space

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import ModuleType
    from typing import Any


FORMAT = "fastnn.GridStore/1"
# Surfaces written before stores held any map: read (never resumed) as they are.
LEGACY_FORMAT = "fastnn.SurfaceStore/1"
_CHECKSUM_ERRORS = (ValueError, RuntimeError, OSError)
_CHECKS = "checks/tiles"


def is_store_path(path: str | os.PathLike[str]) -> bool:
    """Whether an ``out=`` path names a Zarr store (it ends in ``.zarr``)."""
    return os.fspath(path).rstrip("/").endswith(".zarr")


# Names a store gives its own arrays and dimensions: an axis label equal to one of them
# (a CSV header can name a feature "param") cannot name an axis's dimension.
_RESERVED_NAMES = frozenset(
    {"a", "b", "center", "directions", "param", "direction", "tile", "checks", "values",
     "final_loss", "convergence", "divergence_epoch", "last_losses", "max_eigenvalue",
     "min_eigenvalue"}
)  # fmt: skip


def axis_dimensions(labels: Sequence[str]) -> tuple[str, str]:
    """The dimension names of a map's two axes in a store: its axis labels.

    So ``xarray.open_zarr`` names them as :meth:`fastnn.Surface.to_xarray` and the command's
    summary do (``alpha``/``beta``, or the parameters' names), with the axes' values as
    the coordinates ``a`` and ``b``.  ``("a", "b")`` where the labels cannot be
    dimensions: the same label twice, or a name the store uses for something else.
    """
    first, second = (str(label) for label in labels)
    if first == second or {first, second} & _RESERVED_NAMES or "/" in first + second:
        return "a", "b"
    return first, second


def require_zarr() -> ModuleType:
    try:
        import zarr
    except ImportError:
        raise ImportError(
            'a .zarr surface store needs zarr-python 3: pip install "fastnn[zarr]"'
        ) from None
    return zarr


def store_format(path: str | os.PathLike[str]) -> str | None:
    """The fastnn format of the store at ``path``, or None for anything else."""
    import json

    try:
        with open(os.path.join(path, "zarr.json"), encoding="utf-8") as handle:
            attrs = json.load(handle).get("attributes", {})
    except (OSError, ValueError, AttributeError):
        return None
    found = attrs.get("format") if isinstance(attrs, dict) else None
    return found if found in (FORMAT, LEGACY_FORMAT) else None


def check_store_path(path, resume: bool, overwrite: bool) -> str:
    """Checks of a ``.zarr`` output that touch nothing; returns the path as a str.

    ``overwrite`` replaces only a fastnn store: any other directory or file of that name
    is refused, whatever the flag.
    """
    require_zarr()
    path = os.fspath(path).rstrip("/")
    exists = check_output_place(path, resume, overwrite)
    if resume and not os.path.isfile(os.path.join(path, "zarr.json")):
        raise ValueError(f"out: {path} is not a Zarr store; it cannot be resumed")
    if exists and not resume and store_format(real_path(path)) is None:
        raise ValueError(
            f"out: {path} exists and is not a fastnn store; fastnn replaces only what it "
            "wrote: move it away or choose another name"
        )
    directory = os.path.dirname(os.path.abspath(path))
    if not os.access(directory, os.W_OK):
        raise ValueError(f"out: the directory {directory} is not writable")
    return path


def _codecs():
    from zarr.codecs import BytesCodec, Crc32cCodec, ZstdCodec

    return {"serializer": BytesCodec(), "compressors": [ZstdCodec(level=1), Crc32cCodec()]}


def array_digest(values) -> str:
    """SHA-256 of an array's float64 bytes and shape (what ``protected`` records)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    digest = hashlib.sha256(f"{values.shape}".encode())
    digest.update(values.tobytes())
    return digest.hexdigest()


def create_store(path: str, tiles, description: dict, fingerprint: dict):
    """A new store at ``path`` (an existing fastnn store is replaced: the caller checked).

    ``description`` holds ``fields`` (names), ``coords`` ({name: (array, dims)}) and
    ``attrs`` (what the map is).
    """
    zarr = require_zarr()
    ga, gb = tiles.shape
    fields = list(description["fields"])
    check_free_space(path, ga * gb * 8 * len(fields) + 8 * len(tiles))
    real = real_path(path)
    if os.path.isdir(real):
        shutil.rmtree(real)  # a fastnn store (check_store_path refused anything else)
    try:
        group = zarr.open_group(real, mode="w-", zarr_format=3)
        coords = description["coords"]
        extra = " ".join(name for name, (_, dims) in coords.items() if dims != (name,))
        axes = (coords["a"][1][0], coords["b"][1][0])  # the dimensions the axes name
        for name in fields:
            array = group.create_array(
                name,
                shape=(ga, gb),
                chunks=(tiles.tile_rows, tiles.cols),
                dtype="float64",
                fill_value=np.nan,
                dimension_names=axes,
                config={"write_empty_chunks": True},
                **_codecs(),
            )
            if extra:  # xarray reads them as coordinates, not as variables
                array.attrs["coordinates"] = extra
        for name, (values, dims) in coords.items():
            _small_array(group, name, values, dims)
        checks = group.create_group("checks")
        checks.create_array(
            "tiles", shape=(len(tiles),), chunks=(1,), dtype="uint32", fill_value=0,
            dimension_names=("tile",), config={"write_empty_chunks": True}, **_codecs(),
        )  # fmt: skip
        group.attrs.update(
            {
                "format": FORMAT,
                "fields": fields,
                "fingerprint": fingerprint,
                "protected": {name: array_digest(v) for name, (v, _) in coords.items()},
                "complete": False,
                **description["attrs"],
            }
        )
        _consolidate(real)
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
    if attrs.get("format") not in (FORMAT, LEGACY_FORMAT):
        raise ValueError(f"{path}: not a fastnn surface store (format {attrs.get('format')!r})")
    return group


def fields_of(attrs) -> list[str]:
    """The store's field names (a legacy surface store has one, ``values``)."""
    return list(attrs.get("fields", ["values"]))


def _read_coordinate(group, name):
    """A coordinate array's values, or None when they cannot be read (checksum, missing)."""
    try:
        return group[name][...]
    except (*_CHECKSUM_ERRORS, KeyError):
        return None


def check_coordinates(group, path: str, description: dict | None = None) -> int:
    """Coordinate arrays checked against their recorded SHA-256; returns how many were repaired.

    With the run's ``description`` (resume) a damaged or lost one is rewritten from it;
    without (load) it is a ValueError naming it.
    """
    protected = dict(group.attrs).get("protected", {})
    repaired = 0
    for name, digest in protected.items():
        values = _read_coordinate(group, name)
        if values is not None and array_digest(values) == digest:
            continue
        if description is None:
            raise ValueError(
                f"{path}: the coordinate array {name!r} is damaged or missing (its content "
                "does not match the store's record); resume the run to repair it"
            )
        true_values, dims = description["coords"][name]
        if name in group:
            del group[name]
        _small_array(group, name, true_values, dims)
        repaired += 1
    if repaired:
        _consolidate(path)
    return repaired


def resume_store(path: str, fingerprint: dict, description: dict):
    """The store at ``path`` opened to continue its run: (group, coordinate arrays repaired)."""
    group = open_store(real_path(path), mode="r+")
    attrs = dict(group.attrs)
    if attrs.get("format") != FORMAT:
        raise ValueError(
            f"resume: {path} was written by an older fastnn ({attrs.get('format')}), whose "
            "tiles carry no binding to the store; start afresh without resume"
        )
    stored = attrs.get("fingerprint") or {}
    for key, value in fingerprint.items():
        if stored.get(key) != value:
            raise ValueError(
                f"resume: the store {path} belongs to another surface ({key} differs: "
                f"{stored.get(key)!r} vs {value!r}); start afresh without resume"
            )
    _check_arrays([*fields_of(attrs), _CHECKS], path, "resume: ")
    expected = {name: array_digest(v) for name, (v, _) in description["coords"].items()}
    if fields_of(attrs) != list(description["fields"]) or attrs.get("protected") != expected:
        raise ValueError(
            f"resume: the store {path} belongs to another surface (its fields or "
            "coordinates differ); start afresh without resume"
        )
    return group, check_coordinates(group, real_path(path), description)


def _check_arrays(names, path: str, prefix: str = "") -> None:
    """A one-line ValueError when one of the store's arrays is gone or unreadable."""
    zarr = require_zarr()
    for name in names:
        try:  # from its own metadata, as a writer opens it (not the consolidated copy)
            zarr.open_array(os.path.join(real_path(path), *name.split("/")), mode="r")
        except Exception as exc:  # KeyError, FileNotFoundError, zarr's metadata errors
            raise ValueError(
                f"{prefix}{path} is damaged: its {name!r} array is missing or unreadable "
                f"({type(exc).__name__}); start afresh with overwrite=True (--force)"
            ) from None


def tile_binding(fingerprint: dict, k: int, values) -> int:
    """CRC-32 binding tile ``k``'s values (every field) to its index and the store's data."""
    crc = zlib.crc32(f"{fingerprint['data']}|{k}|".encode())
    for field in values:
        crc = zlib.crc32(np.ascontiguousarray(field, dtype=np.float64).tobytes(), crc)
    return crc


def _chunk_file(path: str, array, name: str, index) -> str:
    key = array.metadata.encode_chunk_key(index)
    return os.path.join(path, *name.split("/"), *key.split("/"))


def tile_summary(rows, cols, values) -> tuple[float, int, int] | None:
    """The smallest value of a tile and its grid indices (None when all NaN)."""
    if np.isnan(values).all():
        return None
    i, j = np.unravel_index(int(np.nanargmin(values)), values.shape)
    return float(values[i, j]), rows[0] + int(i), cols[0] + int(j)


def _fields_last(values, n_fields: int):
    """A tile's values as a list of (rows, cols) arrays, one per field."""
    if n_fields == 1 and values.ndim == 2:
        return [values]
    return [values[:, :, k] for k in range(n_fields)]


class ChunkWriter:
    """Writes one tile's chunks, then its binding, wherever the tile was computed (picklable)."""

    def __init__(self, path: str, fields, fingerprint: dict, tiles):
        self.path = path
        self.fields = list(fields)
        self.fingerprint = fingerprint
        self.tiles = tiles
        self._arrays: list | None = None

    def __getstate__(self):
        return {**self.__dict__, "_arrays": None}

    def _open(self):
        if self._arrays is None:
            zarr = require_zarr()
            # write_empty_chunks is a setting of the open array, not of the store: a tile
            # all NaN (a trainability map where nothing diverged) must still be written
            self._arrays = [
                zarr.open_array(os.path.join(self.path, name), mode="r+").with_config(
                    {"write_empty_chunks": True}
                )
                for name in [*self.fields, _CHECKS]
            ]
        return self._arrays

    def __call__(self, rows, cols, values):
        *arrays, checks = self._open()
        parts = _fields_last(values, len(self.fields))
        k = self.tiles.index(rows, cols)
        with full_disk_is(
            ValueError,
            f"out: the disk holding {self.path} is full; the tiles written so far are kept: "
            "free some space and run again with resume=True (--resume)",
        ):
            for array, part in zip(arrays, parts, strict=True):
                array[rows[0] : rows[1], cols[0] : cols[1]] = part
            checks[k : k + 1] = np.array([tile_binding(self.fingerprint, k, parts)], np.uint32)
        return tile_summary(rows, cols, parts[0])


class StoreSink:
    """Tiles of a run into a store (see :func:`fastnn.grid._run.run`)."""

    def __init__(self, path: str, group, resume: bool, tiles, fingerprint: dict):
        self.path = real_path(path)
        self.group = group
        self.resume = resume
        self.fields = fields_of(dict(group.attrs))
        self.fingerprint = fingerprint
        self.writer = ChunkWriter(self.path, self.fields, fingerprint, tiles)
        self.damaged = 0
        self.repaired = 0  # coordinate arrays rewritten on resume (set by the job)
        self.best = None

    def _discard(self, files) -> None:
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                os.remove(name)

    def pending(self, tiles) -> list[int]:
        """Tiles without verified, bound chunks; damaged ones are deleted (and counted)."""
        if not self.resume:
            return list(range(len(tiles)))
        arrays = [self.group[name] for name in self.fields]
        checks = self.group[_CHECKS]
        todo = []
        for k in range(len(tiles)):
            block = divmod(k, tiles.grid[1])
            chunks = [
                _chunk_file(self.path, a, n, block)
                for a, n in zip(arrays, self.fields, strict=True)
            ]
            mark = _chunk_file(self.path, checks, _CHECKS, (k,))
            if not os.path.exists(mark) or not all(os.path.exists(c) for c in chunks):
                self._discard([mark])  # never finished (or a chunk lost): computed again
                todo.append(k)
                continue
            (r0, r1), (c0, c1) = bounds = tiles[k]
            try:
                parts = [a[r0:r1, c0:c1] for a in arrays]
                bound = int(checks[k])
            except _CHECKSUM_ERRORS:
                parts = None
            if parts is None or bound != tile_binding(self.fingerprint, k, parts):
                self._discard([mark, *chunks])
                self.damaged += 1
                todo.append(k)
                continue
            self.finish(k, bounds, tile_summary((r0, r1), (c0, c1), parts[0]))
        check_free_space(self.path, sum(tiles.points(k) for k in todo) * 8 * len(self.fields))
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
            attrs["minimum"] = self.best[0]
        with full_disk_is(
            ValueError,
            f"out: the disk holding {self.path} is full; every tile is written: free some "
            "space and run again with resume=True (--resume) to finish the store",
        ):
            self.group.attrs.update(attrs)
            _consolidate(self.path)


def verify_tiles(group, path: str) -> None:
    """Read every tile of a finished store and check it against its binding (ValueError)."""
    from fastnn.grid._tiles import TilePlan

    attrs = dict(group.attrs)
    if attrs.get("format") != FORMAT:
        raise ValueError(f"{path}: a store of {attrs.get('format')} has no tile bindings")
    fields = fields_of(attrs)
    plan = attrs["fingerprint"]["tiles"]
    tiles = TilePlan(tuple(plan["shape"]), plan["tile_rows"], plan["cols"])
    arrays = [group[name] for name in fields]
    checks = group[_CHECKS]
    for k in range(len(tiles)):
        (r0, r1), (c0, c1) = tiles[k]
        try:
            parts = [a[r0:r1, c0:c1] for a in arrays]
            bound = int(checks[k])
        except _CHECKSUM_ERRORS as exc:
            raise ValueError(f"{path}: tile {k} is damaged ({exc})") from None
        if bound != tile_binding(attrs["fingerprint"], k, parts):
            raise ValueError(
                f"{path}: tile {k} does not hold its own values (chunks moved or replaced); "
                "resume the run to recompute it"
            )


def open_finished(path: str | os.PathLike[str], verify: bool = False) -> tuple[Any, dict]:
    """A finished store's group and attributes, its coordinates checked; values stay lazy.

    ``verify`` also reads every tile and checks it against its binding.
    """
    path = os.fspath(path).rstrip("/")
    group = open_store(path)
    attrs = dict(group.attrs)
    fields = fields_of(attrs)
    _check_arrays(fields + ([_CHECKS] if attrs.get("format") == FORMAT else []), path)
    arrays = [group[name] for name in fields]
    expected = math.prod(arrays[0].cdata_shape)
    written = min(a.nchunks_initialized for a in arrays)
    if attrs.get("format") == FORMAT:  # every tile's binding too
        written = min(written, group[_CHECKS].nchunks_initialized)
    if not attrs.get("complete") or written != expected:
        raise ValueError(
            f"{path} is an unfinished surface ({written} of {expected} "
            "tiles written); continue it with loss_surface(..., out=path, resume=True) "
            "(fastnn surface ... --out PATH --resume)"
        )
    check_coordinates(group, path)
    if verify:
        verify_tiles(group, path)
    return group, attrs


def recorded_argmin(group: Any, attrs: Mapping[str, Any], field: str) -> tuple | None:
    """The recorded place of ``field``'s minimum, where it holds; None otherwise.

    It holds when it lies inside the grid and the value there is the recorded minimum
    (one point read).  None makes the caller find it by reading the values: an edited
    attribute is never trusted.
    """
    place = attrs.get("argmin")
    array = group[field]
    if not (isinstance(place, list) and len(place) == 2):
        return None
    i, j = place
    if not all(isinstance(k, int) and 0 <= k < n for k, n in zip(place, array.shape, strict=True)):
        return None
    if "minimum" in attrs:  # read without __getitem__: a lazy surface reads its minimum once
        try:
            if float(array.get_basic_selection((i, j))) != attrs["minimum"]:
                return None
        except _CHECKSUM_ERRORS:
            return None
    return i, j


def _check_attributes(attrs, path: str) -> None:
    """A one-line ValueError naming the first attribute of a surface store that is damaged."""
    params = attrs.get("params")
    checks = {
        "center_loss": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "labels": lambda v: isinstance(v, list) and len(v) == 2,
        "info": lambda v: isinstance(v, dict),
        "params": lambda v: v is None or (
            isinstance(v, list) and len(v) == 2 and all(isinstance(p, int) for p in v)
        ),
    }  # fmt: skip
    for name, fine in checks.items():
        value = attrs.get(name) if name != "params" else params
        if (name not in attrs and name != "params") or not fine(value):
            raise ValueError(
                f"{path}: the store's attribute {name!r} is damaged ({value!r}); recompute "
                "the surface (overwrite=True)"
            )


def _named(array, path: str):
    """``array`` as a zarr.Array whose damaged chunks are errors naming the store and tile."""
    zarr = require_zarr()

    class StoredValues(zarr.Array):  # type: ignore[name-defined]  # zarr imported on demand
        """A store's values: a read that fails its checksum names the store and the tile."""

        def __getitem__(self, selection):
            try:
                return super().__getitem__(selection)
            except _CHECKSUM_ERRORS as exc:
                raise ValueError(
                    f"{path}: a tile of its values is damaged (checksum: {exc}); resume the "
                    "run (resume=True, --resume) to compute it again"
                ) from None

    return StoredValues(array.async_array)


def load_store(path: str | os.PathLike[str], verify: bool = False) -> dict:
    """The parts of a :class:`~fastnn.surface.Surface` from a finished store; values lazy."""
    path = os.fspath(path).rstrip("/")
    group, attrs = open_finished(path, verify)
    fields = fields_of(attrs)
    if fields != ["values"]:
        raise ValueError(
            f"{path} holds a {attrs.get('map', 'grid')} map ({', '.join(fields)}), not a "
            "surface; load it with its own class"
        )
    _check_attributes(attrs, path)
    info = dict(attrs["info"])
    argmin = recorded_argmin(group, attrs, "values")
    if argmin is not None:
        info["argmin"] = argmin
    info["store"] = path
    params = attrs.get("params")
    return {
        "a": group["a"][...],
        "b": group["b"][...],
        "values": _named(group["values"], path),
        "center": group["center"][...],
        "directions": group["directions"][...],
        "center_loss": attrs["center_loss"],
        "params": tuple(params) if params is not None else None,
        "labels": tuple(attrs["labels"]),
        "info": info,
    }
