"""Cutting a grid into tiles sized by cost (:func:`plan_tiles`), for every evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastnn.grid._evaluation import Evaluation


# A tile holds about this much work, in units of one cross-entropy sample evaluation
# (about 0.2 s here: Dask schedules a task in about 6 ms, which stays under 5% of it) ...
TILE_WORK = 1 << 26
# A GPU tile holds this many (a BCE tile of 2^36 softplus terms is 0.05-0.5 s for an
# H200's 10^11-10^12 a second, estimated: not yet measured) ...
GPU_TILE_WORK = 1 << 36
# ... and at most this many grid points (8 MB of values), on either device.
TILE_POINTS = 1 << 20
# A tile's per-point work is at least this multiple of its fixed work.
FIXED_SHARE = 16
# Grids with at least this much work show a progress bar by default.
PROGRESS_WORK = 1 << 33
# A kernel that trains boxes of points together (the trainability lanes) gets tiles of at
# least this many boxes: sized by cost alone, a tile of the paper's network held one or
# two boxes, and one of the two threads waited whenever its box stopped early (or there
# was none for it).
BOXES_PER_TILE = 8


@dataclass(frozen=True)
class TilePlan:
    """The grid cut into tiles of ``tile_rows`` x ``cols`` points, row-major (edge tiles smaller).

    A sequence of tile bounds ``((r0, r1), (c0, c1))`` computed on demand, so a grid of
    10^10 points costs nothing to plan; tiles are a regular grid, so a Zarr store's
    chunks can be exactly the tiles.
    """

    shape: tuple[int, int]
    tile_rows: int
    cols: int

    @property
    def grid(self) -> tuple[int, int]:
        """Tiles along each axis."""
        return -(-self.shape[0] // self.tile_rows), -(-self.shape[1] // self.cols)

    def __len__(self) -> int:
        rows, cols = self.grid
        return rows * cols

    def __getitem__(self, k: int):
        if not 0 <= k < len(self):
            raise IndexError(f"tile {k} of {len(self)}")
        i, j = divmod(k, self.grid[1])
        r0, c0 = i * self.tile_rows, j * self.cols
        r1, c1 = min(r0 + self.tile_rows, self.shape[0]), min(c0 + self.cols, self.shape[1])
        return (r0, r1), (c0, c1)

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def index(self, rows: tuple[int, int], cols: tuple[int, int]) -> int:
        """The number of the tile whose bounds start at ``rows[0]``, ``cols[0]``."""
        return (rows[0] // self.tile_rows) * self.grid[1] + cols[0] // self.cols

    def points(self, k: int) -> int:
        (r0, r1), (c0, c1) = self[k]
        return (r1 - r0) * (c1 - c0)

    def describe(self) -> dict:
        """What pins the plan in a completion record."""
        return {"shape": list(self.shape), "tile_rows": self.tile_rows, "cols": self.cols}


def plan_tiles(evaluation: Evaluation, tile_rows: int | None = None) -> TilePlan:
    """The :class:`TilePlan` of an :class:`~fastnn.grid.Evaluation`'s grid.

    Tiles hold about :data:`TILE_WORK` units of work by the evaluation's own cost per
    point (a trainability point costs a training run, a surface point a pass over the
    data), never more than :data:`TILE_POINTS` points, and at least :data:`FIXED_SHARE`
    times the work a tile does once.  They span whole rows unless one row is more than a
    tile; a kernel that works on boxes of several rows gets tiles of whole boxes.
    """
    ga, gb = evaluation.shape
    cost = max(evaluation.cost_per_point(), 1)
    if evaluation.device == "cuda":
        # The GPU keeps per-surface work (a network's first-layer products) between tiles.
        work = GPU_TILE_WORK
    else:
        # Work done once per tile (a network's first-layer products) stays under 1/16 of it.
        work = max(TILE_WORK, FIXED_SHARE * evaluation.cost_per_tile())
    points = max(1, min(TILE_POINTS, work // cost))
    box_rows, box_columns = evaluation.box_rows(), evaluation.box_columns()
    if tile_rows is None and box_rows * box_columns > 1:
        # Boxes of box_rows x box_columns points: a tile is whole rows of boxes, or a run
        # of boxes of one band of rows when a band is more than a tile's work.
        points = max(points, BOXES_PER_TILE * box_rows * box_columns)
        band = gb * box_rows
        if points >= band:
            rows = (points // band) * box_rows
            return TilePlan((ga, gb), min(rows, ga), gb)
        cols = max(box_columns, (points // box_rows) // box_columns * box_columns)
        return TilePlan((ga, gb), min(box_rows, ga), min(cols, gb))
    cols = gb if points >= gb else max(1, points)
    if tile_rows is None:
        tile_rows = max(1, points // gb) if cols == gb else 1
    return TilePlan((ga, gb), min(tile_rows, ga), cols)


def default_progress(evaluation: Evaluation) -> bool:
    """Whether a run shows a progress bar by default (grids of about a minute or more)."""
    ga, gb = evaluation.shape
    work = ga * gb * evaluation.cost_per_point() + evaluation.cost_per_tile()
    return work >= PROGRESS_WORK
