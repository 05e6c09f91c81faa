"""The completion record of a surface written to a memmap: which tiles are done.

A small text file beside the ``.npy`` (``<name>.npy.tiles``): a JSON header line that
pins the grid, the tile plan and a fingerprint of everything the values depend on,
then one line per finished tile.  A tile is marked only after its values are written
and the memmap flushed, and each mark is flushed and fsynced: the record never claims
a tile the data does not hold.  A run killed while appending leaves at most a final
line without its newline, which was never a completed mark and is ignored; anything
else that does not parse, or a header that does not match the run, is refused.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from fastnn.surface._engine import TILE_KERNELS

FORMAT = "fastnn.tiles/1"


def record_path(out) -> str | None:
    """Where the record of a memmap ``out`` lives (None for in-memory arrays)."""
    filename = getattr(out, "filename", None)
    return None if filename is None else f"{filename}.tiles"


def fingerprint(evaluation, tiles) -> dict:
    """What a resumed run must share with the first: grid, tiles, and the data's hash."""
    revision = TILE_KERNELS[evaluation.kind].revision
    digest = hashlib.sha256()
    digest.update(f"{evaluation.kind}/{revision}|{evaluation.backend}|{evaluation.codes}".encode())
    for array in (evaluation.a, evaluation.b, *evaluation.arrays):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    plan = hashlib.sha256(json.dumps(tiles).encode()).hexdigest()
    return {
        "format": FORMAT,
        "shape": list(evaluation.shape),
        "n_tiles": len(tiles),
        "tiles": plan,
        "data": digest.hexdigest(),
    }


class TileRecord:
    """Append-only record of finished tiles (see the module docstring)."""

    def __init__(self, path: str, header: dict, done: set[int]):
        self.path = path
        self.header = header
        self.done = done

    @classmethod
    def create(cls, path: str, header: dict) -> TileRecord:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(header) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return cls(path, header, set())

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
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise ValueError(f"resume: {path} is not a fastnn completion record (corrupted?)")
        for key in ("shape", "n_tiles", "tiles", "data"):
            if stored.get(key) != header[key]:
                raise ValueError(
                    f"resume: the completion record {path} belongs to another surface "
                    f"({key} differs: {stored.get(key)!r} vs {header[key]!r}); start afresh "
                    "without resume"
                )
        done = set()
        for number, line in enumerate(lines[1:], start=2):
            try:
                index = json.loads(line)["done"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise ValueError(
                    f"resume: {path} line {number} is corrupted: {line[:60]!r}"
                ) from None
            if not isinstance(index, int) or not 0 <= index < header["n_tiles"] or index in done:
                raise ValueError(f"resume: {path} line {number} names an impossible tile {index!r}")
            done.add(index)
        return cls(path, header, done)

    def mark(self, index: int) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"done": index}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.done.add(index)


def completion_record(values, evaluation, tiles, resume):
    """The memmap's completion record (new, or read back to resume); None in memory."""
    path = record_path(values)
    if path is None:
        if resume:
            raise ValueError(
                "resume=True needs out= a file-backed numpy.memmap (its completion record "
                "lives beside the file)"
            )
        return None
    header = fingerprint(evaluation, tiles)
    return TileRecord.resume(path, header) if resume else TileRecord.create(path, header)
