"""The boundary of trainability: boundary-adaptive maps and its box-counting dimension.

**Refinement** (:func:`refine_map`, behind ``fastnn.trainability(..., refine=L)``).  A
coarse grid is trained everywhere; then, ``L`` times, every cell whose four corners
disagree (one run diverged, another did not) is split in four, and only the new points
-- its edges' midpoints and its centre -- are trained.  A cell whose corners agree is
never split: its inside is *inferred* to share their outcome.  After ``L`` rounds the
map has the resolution of a dense grid ``2^L`` times finer, ``(n - 1) 2^L + 1`` points a
side, and every point it trained equals that dense grid's point bit for bit (a point's
numbers depend on its hyperparameters only; the refined axes are the dense grid's).  The
inference is wrong where the boundary makes an island smaller than a cell: the tests and
``bench/RESULTS.md`` count such points against dense maps.  Only the outcome (diverged or
not) drives the splits: the convergence measure varies smoothly inside the trainable
region and would split cells far from the boundary.

**Box counting** (:func:`box_counting_dimension`).  The boundary cells of an outcome grid
(2 x 2 points holding both outcomes) are covered by boxes of ``k x k`` cells for ``k =
1, 2, 4, ...``; the number of boxes that hold a boundary cell, ``N(k)``, scales as
``k^-D`` for a boundary of dimension ``D``.  ``D`` is the slope of ``log N`` against
``-log k`` by least squares over the scales used, with its standard error from the
residuals.  That error is the fit's only: box counting on a finite grid also has a bias.
On sets of known dimension (``tests/test_boundary.py``) it gave 0.999 for a straight line
and 1.21 for a Koch snowflake rasterised at 2048 x 2048 (log 4 / log 3 = 1.262; 1.244
with boxes of powers of three, the snowflake's own scales): expect a fractal boundary's
estimate to run about 0.05 low.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Box counting stops at boxes this many times smaller than the grid (at most): larger
# boxes are too few for their count to mean anything.
MIN_BOXES_ACROSS = 4


@dataclass(eq=False)
class BoundaryDimension:
    """A box-counting dimension: the fit and what it was fitted on.

    Attributes
    ----------
    dimension : float
        The fitted slope ``D``.
    stderr : float
        Its standard error (least squares, from the residuals; 0 with two scales).
    box_sizes : ndarray of int
        The box sizes ``k`` used, in cells of the grid.
    counts : ndarray of int
        ``N(k)``: boxes holding a boundary cell.
    cell : tuple of float
        The grid's cell (a step of each axis, in the map's units: log10 on a log map).
    """

    dimension: float
    stderr: float
    box_sizes: np.ndarray
    counts: np.ndarray
    cell: tuple = (1.0, 1.0)
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"BoundaryDimension({self.dimension:.3f} +- {self.stderr:.3f} over boxes of "
            f"{self.box_sizes[0]}-{self.box_sizes[-1]} cells)"
        )

    def plot(self, ax=None, title=None):
        """``log N(k)`` against ``log k`` with the fitted line; returns the Figure."""
        from fastnn.plot import _figure

        fig, ax = _figure(ax)
        ax.loglog(self.box_sizes, self.counts, "o", label="boxes holding the boundary")
        fitted = self.counts[0] * (self.box_sizes / self.box_sizes[0]) ** -self.dimension
        ax.loglog(self.box_sizes, fitted, "-", lw=1,
                  label=f"slope -{self.dimension:.3f} +- {self.stderr:.3f}")  # fmt: skip
        ax.set_xlabel("box size k (cells)")
        ax.set_ylabel("N(k)")
        ax.set_title(title or "Box counting of the boundary")
        ax.legend(loc="best", fontsize="small")
        return fig


def boundary_cells(outcome: np.ndarray) -> np.ndarray:
    """Cells (2 x 2 points) of a boolean grid whose corners disagree."""
    outcome = np.asarray(outcome, dtype=bool)
    top, bottom = outcome[:-1], outcome[1:]
    low = top[:, :-1] & top[:, 1:] & bottom[:, :-1] & bottom[:, 1:]
    high = top[:, :-1] | top[:, 1:] | bottom[:, :-1] | bottom[:, 1:]
    return high & ~low


def box_counting_dimension(outcome, *, smallest=1, largest=None) -> BoundaryDimension:
    """The box-counting dimension of the boundary of a boolean grid (see the module).

    Parameters
    ----------
    outcome : array-like of bool, shape (n, m)
        E.g. which runs diverged.
    smallest, largest : int, optional
        The box sizes (in cells) to fit over, powers of two from ``smallest`` up to
        ``largest`` (default: a quarter of the grid's shorter side, ``MIN_BOXES_ACROSS``
        boxes across).

    Returns
    -------
    BoundaryDimension
    """
    cells = boundary_cells(outcome)
    if not cells.any():
        raise ValueError("the grid has no boundary: every point has the same outcome")
    side = min(cells.shape)
    largest = side // MIN_BOXES_ACROSS if largest is None else int(largest)
    sizes = []
    k = max(1, int(smallest))
    while k <= largest:
        sizes.append(k)
        k *= 2
    if len(sizes) < 2:
        raise ValueError(
            f"box counting needs two box sizes at least; a grid of {side} cells a side gives "
            f"{len(sizes)} between {smallest} and {largest}: use a finer map"
        )
    counts = np.array([_boxes_hit(cells, k) for k in sizes], dtype=np.int64)
    x, y = -np.log(np.array(sizes, dtype=np.float64)), np.log(counts.astype(np.float64))
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    if len(sizes) > 2:
        stderr = float(
            np.sqrt(residual @ residual / (len(sizes) - 2) / np.sum((x - x.mean()) ** 2))
        )
    else:
        stderr = 0.0
    return BoundaryDimension(float(slope), stderr, np.array(sizes), counts)


def _boxes_hit(cells: np.ndarray, k: int) -> int:
    """Boxes of ``k x k`` cells (partial ones at the far edges too) holding a True cell."""
    rows, cols = -(-cells.shape[0] // k), -(-cells.shape[1] // k)
    padded = np.zeros((rows * k, cols * k), dtype=bool)
    padded[: cells.shape[0], : cells.shape[1]] = cells
    return int(padded.reshape(rows, k, cols, k).any(axis=(1, 3)).sum())


@dataclass(eq=False)
class Refinement:
    """What a refined map trained, level by level, on its finest grid.

    Attributes
    ----------
    failed : ndarray of bool, shape (Na, Nb)
        Whether training failed (by the map's outcome rule) at every point of the finest
        grid: trained, or inferred from the corners of the unsplit cell around it.
    points : ndarray of int, shape (k, 2)
        The finest-grid indices of every trained point, level by level.
    fields : ndarray of shape (k, 3)
        Their final loss, convergence measure and divergence epoch (as a dense map's).
    level : ndarray of int, shape (k,)
        The round that trained each point (0: the coarse grid).
    """

    failed: np.ndarray
    points: np.ndarray
    fields: np.ndarray
    level: np.ndarray

    @property
    def trained(self) -> np.ndarray:
        """Boolean finest grid: the points that were trained."""
        mask = np.zeros(self.failed.shape, dtype=bool)
        mask[self.points[:, 0], self.points[:, 1]] = True
        return mask

    def field(self, k: int) -> np.ndarray:
        """Field ``k`` on the finest grid: trained points' values, NaN elsewhere."""
        grid = np.full(self.failed.shape, np.nan)
        grid[self.points[:, 0], self.points[:, 1]] = self.fields[:, k]
        return grid


def _diverged(fields: np.ndarray) -> np.ndarray:
    """The default rule: a run failed where it diverged (its divergence epoch is a number)."""
    return ~np.isnan(fields[:, 2])


def refine_map(shape, levels: int, train_points, failed=_diverged) -> Refinement:
    """Train a coarse grid, then only the cells the boundary crosses (see the module).

    Parameters
    ----------
    shape : (int, int)
        The coarse grid's points per axis.
    levels : int
        Rounds of splitting.
    train_points : callable
        ``train_points(i, j, level) -> (k, fields)`` trains the finest-grid points
        ``(i[k], j[k])`` of a round and returns their numbers.
    failed : callable, optional
        ``failed(numbers) -> bool array``: the outcome rule (default: diverged).

    Returns
    -------
    Refinement
    """
    step = 2**levels
    na, nb = ((n - 1) * step + 1 for n in shape)
    known = np.full((na, nb), -1, dtype=np.int8)  # -1 not yet known, 0 trained, 1 failed
    i, j = np.meshgrid(np.arange(shape[0]) * step, np.arange(shape[1]) * step, indexing="ij")
    new = np.stack([i.ravel(), j.ravel()], axis=1)
    all_points, all_fields, all_levels = [], [], []
    cells = new[(new[:, 0] < na - 1) & (new[:, 1] < nb - 1)]  # lower-left corners
    uniform_cells = []
    for level in range(levels + 1):
        fields = np.asarray(train_points(new[:, 0], new[:, 1], level), dtype=np.float64)
        known[new[:, 0], new[:, 1]] = failed(fields)
        all_points.append(new)
        all_fields.append(fields)
        all_levels.append(np.full(new.shape[0], level))
        size = step >> level
        corners = np.stack(
            [known[cells[:, 0] + di, cells[:, 1] + dj] for di in (0, size) for dj in (0, size)]
        )
        mixed = corners.min(axis=0) != corners.max(axis=0)
        uniform_cells.append((cells[~mixed], size, corners[0, ~mixed]))
        if level == levels or not mixed.any():
            break
        half = size // 2
        split = cells[mixed]
        # the four sub-cells' lower-left corners, and the five new points of each cell
        cells = np.concatenate([split + (di, dj) for di in (0, half) for dj in (0, half)])
        offsets = ((half, 0), (0, half), (half, half), (size, half), (half, size))
        candidates = np.unique(np.concatenate([split + o for o in offsets]), axis=0)
        new = candidates[known[candidates[:, 0], candidates[:, 1]] < 0]
    for corner_cells, size, outcome in uniform_cells:  # fill what no round trained
        for (ci, cj), value in zip(corner_cells, outcome, strict=True):
            block = known[ci : ci + size + 1, cj : cj + size + 1]
            block[block < 0] = value
    if (known < 0).any():  # cells still mixed at the last round: single cells, all corners known
        raise AssertionError("refinement left a point neither trained nor inferred")
    return Refinement(
        known.astype(bool),
        np.concatenate(all_points),
        np.concatenate(all_fields),
        np.concatenate(all_levels),
    )
