"""Box counting of a boundary: sets of known dimension, and the refinement's bookkeeping."""

import numpy as np
import pytest

from fastnn.boundary import boundary_cells, box_counting_dimension, refine_map


def _koch_snowflake(n, level):
    """A filled Koch snowflake rasterised on an n x n grid (boundary dimension log 4 / log 3)."""
    from PIL import Image, ImageDraw

    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, -np.sqrt(3) / 2], [0.0, 0.0]])
    turn = np.array([[0.5, -np.sqrt(3) / 2], [np.sqrt(3) / 2, 0.5]])
    for _ in range(level):
        new = []
        for p, q in zip(points[:-1], points[1:], strict=True):
            third = (q - p) / 3
            new += [p, p + third, p + third + turn @ third, p + 2 * third]
        points = np.array([*new, points[-1]])
    low, high = points.min(axis=0), points.max(axis=0)
    xy = (points - low) / (high - low).max() * (0.9 * n) + 0.05 * n
    image = Image.new("1", (n, n), 0)
    ImageDraw.Draw(image).polygon([tuple(p) for p in xy], fill=1)
    return np.array(image, dtype=bool)


def test_a_straight_boundary_has_dimension_one():
    x = np.linspace(0.0, 1.0, 1024)
    fit = box_counting_dimension((x[:, None] + 0.37 * x[None, :]) > 0.6)
    assert fit.dimension == pytest.approx(1.0, abs=0.01)
    assert list(fit.box_sizes) == [1, 2, 4, 8, 16, 32, 64, 128]  # up to 1023 cells / 4
    assert np.all(np.diff(fit.counts) < 0)


def test_a_koch_snowflake_within_the_stated_bias():
    """log 4 / log 3 = 1.262; box counting on a finite raster runs low (the module says)."""
    fit = box_counting_dimension(_koch_snowflake(1024, 6))
    assert 1.262 - 0.08 < fit.dimension < 1.262 + 0.02, fit
    assert fit.stderr < 0.03


def test_box_counts_by_hand():
    outcome = np.zeros((9, 9), dtype=bool)
    outcome[:, 4:] = True  # a vertical boundary between columns 3 and 4
    cells = boundary_cells(outcome)
    assert cells.sum() == 8 and cells[:, 3].all()
    fit = box_counting_dimension(outcome, largest=4)
    np.testing.assert_array_equal(fit.box_sizes, [1, 2, 4])
    np.testing.assert_array_equal(fit.counts, [8, 4, 2])
    assert fit.dimension == pytest.approx(1.0) and fit.stderr == pytest.approx(0.0, abs=1e-12)
    assert len(fit.plot().axes) == 1


def test_refusals():
    with pytest.raises(ValueError, match="no boundary"):
        box_counting_dimension(np.ones((40, 40), dtype=bool))
    with pytest.raises(ValueError, match="two box sizes"):
        box_counting_dimension(np.eye(5, dtype=bool))


def test_refinement_trains_only_what_the_boundary_crosses():
    """A disc of divergence: the rounds train the coarse grid, then cells on the circle."""
    n, levels = 9, 4
    size = (n - 1) * 2**levels + 1
    x = np.linspace(-1.0, 1.0, size)
    truth = (x[:, None] ** 2 + x[None, :] ** 2) < 0.5
    asked = []

    def train(i, j, level):
        asked.append((level, i.size))
        diverged = truth[i, j]
        epoch = np.where(diverged, 3.0, np.nan)
        return np.stack([np.zeros(i.size), np.ones(i.size), epoch, np.full(i.size, 0.5)], 1)

    refinement = refine_map((n, n), levels, train)
    assert asked[0] == (0, n * n) and [level for level, _ in asked] == list(range(levels + 1))
    np.testing.assert_array_equal(refinement.failed, truth)  # no island smaller than a cell
    assert refinement.points.shape[0] == sum(k for _, k in asked) < 0.25 * size * size
    assert len(np.unique(refinement.points, axis=0)) == refinement.points.shape[0]
    np.testing.assert_array_equal(refinement.trained[refinement.points[:, 0],
                                                     refinement.points[:, 1]], True)  # fmt: skip
