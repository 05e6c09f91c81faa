"""A grid written to a ``.npy`` memmap: opening it safely, and which tiles are done.

The completion record is a small text file beside the ``.npy`` (``<name>.npy.tiles``): a
JSON header line that pins the grid, the tile plan and a fingerprint of everything the
values depend on, then one line per finished tile with the CRC-32 of its values.  A tile
is marked only after its values are written and the memmap flushed, and each mark is
flushed and fsynced.  On resume every marked tile is read back and checked against its
CRC: a tile whose values are not what was marked (a file zeroed or replaced, a record
edited, a copy-on-write map) is computed again, never trusted.  A run killed while
appending leaves at most a final line without its newline, which was never a completed
mark and is ignored; anything else that does not parse, or a header that does not match
the run, is refused.

While a run writes a file it holds a lock beside the real file -- symbolic links
resolved, so two spellings of one file share it -- ``<real name>.lock`` (created
exclusively, holding the writer's host and pid): a second writer is refused; a lock
whose process is gone (same host) is stale and taken over.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import socket
import time
import zlib
from typing import TYPE_CHECKING

import numpy as np

from fastnn._disk import full_disk_is
from fastnn._validation import format_bytes
from fastnn.grid._run import check_free_space

if TYPE_CHECKING:
    from collections.abc import Iterator


# 2: marks carry the CRC-32 of their tile's values; 3: the tile plan is pinned by its
# parameters (tile rows and columns), not a hash of every tile's bounds
FORMAT = "fastnn.tiles/3"


def record_path(out) -> str | None:
    """Where the record of a memmap ``out`` lives (None for in-memory arrays)."""
    filename = getattr(out, "filename", None)
    return None if filename is None else f"{filename}.tiles"


def fingerprint(evaluation, tiles, field: int | None = None) -> dict:
    """What a resumed run must share with the first: grid, tiles, and the data's hash.

    ``field``: the fingerprint of an output holding that field alone, which is the
    field's own kind's where the kernel names one (``TileKernel.field_kinds``).
    """
    from fastnn.grid._evaluation import tile_kernel

    kind, kernel = evaluation.kind, evaluation.kernel
    if field is not None and kernel.field_kinds:
        kind = kernel.field_kinds[field]
        kernel = tile_kernel(kind, evaluation.module)
    digest = hashlib.sha256()
    kernel = f"{kind}/{kernel.revision}|{evaluation.backend}|{evaluation.codes}"
    if evaluation.device != "cpu":  # the GPU's rounding is not the CPU's
        kernel += f"|{evaluation.device}"
    digest.update(kernel.encode())
    for array in (evaluation.a, evaluation.b, *evaluation.arrays):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return {
        "format": FORMAT,
        "shape": list(evaluation.shape),
        "n_tiles": len(tiles),
        "tiles": tiles.describe(),
        "data": digest.hexdigest(),
    }


class TileRecord:
    """Append-only record of finished tiles (see the module docstring)."""

    def __init__(self, path: str, header: dict, marks: dict[int, int]):
        self.path = path
        self.header = header
        self.marks = marks
        self.damaged = 0  # tiles found damaged when resumed (set by open_record)

    @property
    def done(self) -> set[int]:
        return set(self.marks)

    @classmethod
    def create(cls, path: str, header: dict, marks: dict[int, int] | None = None) -> TileRecord:
        """A new record (written to a temporary file, then renamed over ``path``)."""
        marks = dict(marks or {})
        temporary = f"{path}.tmp"
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(header) + "\n")
                for index, crc in marks.items():
                    handle.write(json.dumps({"done": index, "crc32": crc}) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError as exc:  # a full disk: the old record (if any) stays as it was
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise ValueError(
                f"out: cannot write the completion record {path}: {exc.strerror or exc}; "
                "free some space and run again"
            ) from None
        return cls(path, header, marks)

    @classmethod
    def resume(cls, path: str, header: dict) -> TileRecord:
        if not os.path.exists(path):
            raise ValueError(
                f"resume: no completion record at {path}; start the surface without resume"
            )
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        lines = text.split("\n")
        if not text.endswith("\n"):
            lines = lines[:-1]  # a mark torn by a kill: never completed
        lines = [line for line in lines if line]
        try:
            stored = json.loads(lines[0]) if lines else None
        except json.JSONDecodeError:
            stored = None
        if isinstance(stored, dict) and str(stored.get("format", "")).startswith("fastnn.tiles/"):
            if stored["format"] != FORMAT:
                raise ValueError(
                    f"resume: {path} was written by another version of fastnn "
                    f"({stored['format']}, this one reads {FORMAT}); start afresh without resume"
                )
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise ValueError(f"resume: {path} is not a fastnn completion record (corrupted?)")
        for key in ("shape", "n_tiles", "tiles", "data"):
            if stored.get(key) != header[key]:
                raise ValueError(
                    f"resume: the completion record {path} belongs to another surface "
                    f"({key} differs: {stored.get(key)!r} vs {header[key]!r}); start afresh "
                    "without resume"
                )
        marks = {}
        for number, line in enumerate(lines[1:], start=2):
            try:
                mark = json.loads(line)
                index, crc = mark["done"], mark["crc32"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise ValueError(
                    f"resume: {path} line {number} is corrupted: {line[:60]!r}"
                ) from None
            if not isinstance(index, int) or not 0 <= index < header["n_tiles"] or index in marks:
                raise ValueError(f"resume: {path} line {number} names an impossible tile {index!r}")
            if not isinstance(crc, int):
                raise ValueError(f"resume: {path} line {number} is corrupted: {line[:60]!r}")
            marks[index] = crc
        return cls(path, header, marks)

    def verify(self, values, tiles) -> int:
        """Drop the marks whose tile's values in ``values`` fail their CRC; returns how many.

        The record is rewritten without them (atomically), so they are computed again.
        """
        damaged = [k for k, crc in self.marks.items() if tile_crc(values, tiles[k]) != crc]
        if damaged:
            kept = {k: crc for k, crc in self.marks.items() if k not in damaged}
            self.marks = TileRecord.create(self.path, self.header, kept).marks
        return len(damaged)

    def mark(self, index: int, values, tile) -> None:
        """Record tile ``index`` as done, with the CRC of its values as they are in ``values``."""
        crc = tile_crc(values, tile)
        with full_disk_is(
            ValueError,
            f"out: the disk holding {self.path} is full; the tiles marked so far are kept: "
            "free some space and run again with resume=True (--resume)",
        ):
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"done": index, "crc32": crc}) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        self.marks[index] = crc


def tile_crc(values, tile) -> int:
    """CRC-32 of one tile's float64 values (row-major bytes)."""
    (r0, r1), (c0, c1) = tile
    return zlib.crc32(np.ascontiguousarray(values[r0:r1, c0:c1], dtype=np.float64).tobytes())


def completion_record(values, evaluation, tiles, resume, field: int | None = None):
    """The memmap's completion record (new, or read back to resume); None in memory.

    ``field``: the output holds that field alone (see :func:`fingerprint`).
    """
    path = record_path(values)
    if path is None:
        if resume:
            raise ValueError(
                "resume=True needs out= a file-backed numpy.memmap (its completion record "
                "lives beside the file)"
            )
        return None
    header = fingerprint(evaluation, tiles, field)
    if not resume:
        return TileRecord.create(path, header)
    record = TileRecord.resume(path, header)
    record.damaged = record.verify(values, tiles)
    return record


def check_memmap_output(out) -> None:
    """A memmap ``out`` must write through to its file."""
    if isinstance(out, np.memmap) and out.mode == "c":
        raise ValueError(
            "out is a copy-on-write memmap (mode 'c'): its values never reach the file; "
            "open it with mode 'r+' (or 'w+')"
        )


def check_result_file(path, resume: bool, overwrite: bool) -> str:
    """Checks of a ``.npy`` output path that touch nothing; returns the path as a str.

    An existing file is never replaced unless ``overwrite``; ``resume`` needs it.
    """
    path = os.fspath(path)
    if not path.endswith(".npy"):
        raise ValueError(f"out: a file output is a .npy file; got {path!r}")
    if check_output_place(path, resume, overwrite) and os.path.isdir(path):
        raise ValueError(f"out: {path} is a directory")
    return path


def check_output_place(path: str, resume: bool, overwrite: bool) -> bool:
    """The rules every output path follows (a file or a store); returns whether it exists.

    An existing output is never replaced unless ``overwrite``; ``resume`` needs one; its
    directory must exist.
    """
    exists = os.path.exists(path)
    if resume and not exists:
        raise ValueError(f"out: resume=True, but {path} does not exist")
    if exists and not (resume or overwrite):
        raise ValueError(
            f"out: {path} exists (a finished or partial surface); pass resume=True to "
            "continue it or overwrite=True to replace it"
        )
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(f"out: the directory {directory} does not exist")
    return exists


def open_result_file(path: str, shape, resume: bool) -> np.memmap:
    """The checked ``.npy`` path as a float64 memmap of ``shape``: reopened, or created.

    Called only after every argument has been checked and the writer's lock is held.
    The file's blocks are reserved up front (``posix_fallocate``), so a full disk is a
    ValueError here and never a SIGBUS while tiles are written into the map.
    """
    if resume:
        try:
            values = np.load(path, mmap_mode="r+")
        except (OSError, ValueError) as exc:
            raise ValueError(f"out: cannot reopen {path} to resume: {exc}") from None
        if values.shape != shape or values.dtype != np.float64:
            raise ValueError(
                f"out: {path} holds a {values.shape} {values.dtype} array; this surface is "
                f"{shape} float64"
            )
        _reserve(path, values.offset + values.nbytes, created=False)
        return values
    header = 128  # a .npy header of a 2-D or 3-D float64 array (format 1.0)
    size = header + int(np.prod(shape)) * 8
    check_free_space(path, size - _allocated(path))
    try:
        values = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=shape)
    except OSError as exc:
        raise ValueError(f"out: cannot create {path}: {exc.strerror or exc}") from None
    _reserve(path, values.offset + values.nbytes, created=True)
    return values


def _allocated(path: str) -> int:
    """Bytes the file at ``path`` occupies on disk (0 when there is none)."""
    try:
        return os.stat(path).st_blocks * 512
    except (OSError, AttributeError):
        return 0


def _reserve(path: str, size: int, created: bool) -> None:
    """Allocate every block of the file (a new file is removed when the disk is too full)."""
    if not hasattr(os, "posix_fallocate"):
        check_free_space(path, size - _allocated(path))
        return
    try:
        with open(path, "r+b") as handle:
            os.posix_fallocate(handle.fileno(), 0, size)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system without it
                return
            raise ValueError(f"out: cannot allocate {path}: {exc.strerror or exc}") from None
        if created:
            os.remove(path)
        raise ValueError(
            f"out: the disk holding {path} has no room for {format_bytes(size)}; free some "
            "space or lower the resolution"
            + ("" if created else ", then run again with resume=True (--resume)")
        ) from None


def real_path(path: str | os.PathLike[str]) -> str:
    """The file a path names: absolute, every symbolic link resolved."""
    return os.path.realpath(os.fspath(path))


@contextlib.contextmanager
def writer_lock(filename: str | os.PathLike[str] | None) -> Iterator[None]:
    """Hold ``<real file>.lock`` while writing that file (nothing when ``filename`` is None).

    The lock belongs to the file, not to the spelling of its path: a symbolic link to
    it, or a relative path, takes the same lock.
    """
    if filename is None:
        yield
        return
    filename = real_path(filename)
    path = f"{filename}.lock"
    owner = {"host": socket.gethostname(), "pid": os.getpid()}
    for _ in range(2):
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except OSError as exc:
            if not isinstance(exc, FileExistsError):
                raise ValueError(f"out: cannot create the lock {path}: {exc.strerror}") from None
            holder = _lock_holder(path)
            if not _is_stale(path, holder):
                raise ValueError(
                    f"out: {filename} is being written by another fastnn run (pid "
                    f"{holder.get('pid')} on {holder.get('host')}); wait for it, or remove "
                    f"{path} if that run is gone"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # stale: its process is gone
            continue
        try:
            with os.fdopen(handle, "w") as lock:
                lock.write(json.dumps(owner))
        except OSError as exc:  # a full disk: no empty lock may stay to block the next run
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise ValueError(
                f"out: cannot write the lock {path}: {exc.strerror or exc}; free some space "
                "and run again"
            ) from None
        break
    else:
        raise ValueError(f"out: cannot take the lock {path}")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _lock_holder(path):
    try:
        with open(path, encoding="utf-8") as handle:
            holder = json.loads(handle.read() or "null")
    except (OSError, json.JSONDecodeError):
        return None  # torn or unreadable: written by a process killed while taking it
    return holder if isinstance(holder, dict) else None


def _is_stale(path, holder) -> bool:
    """Whether the lock's process is gone (only decidable on the same host).

    An unreadable lock is stale once it is a few seconds old (a writer killed between
    creating and filling it); younger, it may be a writer taking it right now.
    """
    if holder is None:
        try:
            return time.time() - os.path.getmtime(path) > 5.0
        except OSError:
            return True
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return False
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(holder["pid"])


def _is_zombie(pid: int) -> bool:
    """A killed process not yet reaped by its parent (Linux; elsewhere False)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            # "pid (command) state ...": the command may hold spaces and parentheses
            return handle.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False
