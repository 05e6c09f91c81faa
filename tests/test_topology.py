"""The basins of a surface: sublevel-set persistence against a hand count and a union-find."""

import warnings

import numpy as np
import pytest

import fastnn
from fastnn.surface import Surface

pytest.importorskip("cripser")


def _surface(values, metric="loss"):
    values = np.asarray(values, dtype=np.float64)
    a = np.linspace(-1.0, 1.0, values.shape[0])
    b = np.linspace(-2.0, 2.0, values.shape[1])
    return Surface(a, b, values, np.zeros(2), np.eye(2), float(values.flat[0]),
                   info={"metric": metric})  # fmt: skip


def _union_find_pairs(values):
    """0-dimensional sublevel persistence of a grid (4 neighbours), by union-find."""
    rows, cols = values.shape
    parent = {}
    birth = {}

    def root(p):
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    pairs = []
    for flat in np.argsort(values, axis=None, kind="stable"):
        p = divmod(int(flat), cols)
        parent[p], birth[p] = p, values[p]
        i, j = p
        for q in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
            if q not in parent:
                continue
            r, s = root(p), root(q)
            if r == s:
                continue
            young, old = (r, s) if birth[r] > birth[s] else (s, r)
            if birth[young] < values[p]:
                pairs.append((birth[young], values[p]))
            parent[young] = old
    pairs.append((float(values.min()), np.inf))
    return sorted(pairs)


def test_a_grid_counted_by_hand():
    # three minima in the corners below the deepest (0), each walled in by 5s
    topology = _surface([[0, 5, 1], [5, 5, 5], [2, 5, 3]]).topology()
    np.testing.assert_array_equal(topology.minimum, [0, 1, 2, 3])
    np.testing.assert_array_equal(topology.saddle, [np.inf, 5, 5, 5])
    np.testing.assert_array_equal(topology.minimum_index, [[0, 0], [0, 2], [2, 0], [2, 2]])
    np.testing.assert_array_equal(topology.saddle_index[0], [-1, -1])
    for k in range(1, 4):  # each saddle is a 5 next to its minimum
        (i, j), (si, sj) = topology.minimum_index[k], topology.saddle_index[k]
        assert abs(i - si) + abs(j - sj) == 1
    assert topology.on_edge.all()
    assert (
        topology.n_basins(threshold=0) == 4
        and topology.n_basins(threshold=3.5) == 2
        and topology.n_basins(4) == 1
    )
    basins = topology.basins(threshold=2.5)
    assert [b["minimum"] for b in basins] == [0.0, 1.0, 2.0]
    assert basins[1]["at"] == (-1.0, 2.0) and basins[0]["saddle_at"] is None


def test_diagonal_neighbours_are_not_joined():
    topology = _surface([[0.0, 5.0], [5.0, 1.0]]).topology()
    np.testing.assert_array_equal(topology.saddle, [np.inf, 5.0])


@pytest.mark.parametrize("seed", range(5))
def test_the_pairs_equal_an_independent_union_find(seed):
    rng = np.random.default_rng(seed)
    x = np.linspace(-3, 3, 37)
    smooth = np.sin(2 * x)[:, None] * np.cos(3 * x[:29])[None, :]
    values = smooth + 0.3 * rng.random((37, 29))
    topology = _surface(values).topology()
    got = sorted(zip(topology.minimum.tolist(), topology.saddle.tolist(), strict=True))
    assert got == _union_find_pairs(values)
    assert np.all(np.diff(topology.persistence) <= 0)  # deepest first
    for k in range(topology.minimum.size):  # every minimum is a local minimum of the grid
        i, j = topology.minimum_index[k]
        assert values[i, j] == topology.minimum[k]
        window = values[max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2]
        neighbours = [values[p] for p in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1))
                      if 0 <= p[0] < 37 and 0 <= p[1] < 29]  # fmt: skip
        assert all(values[i, j] < v for v in neighbours) and window.min() <= values[i, j]


def test_a_networks_surface_has_its_centre_in_the_deepest_basin():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (np.hypot(X[:, 0], X[:, 1]) > 1.0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        model = fastnn.MLPClassifier((8,), "tanh", solver="adam", learning_rate_init=0.05,
                                     max_iter=300, random_state=0).fit(X, y)  # fmt: skip
    surface = fastnn.loss_surface(model, X, y, resolution=41, span=1.0, random_state=0)
    topology = surface.topology()
    deepest = topology.basins()[0]
    assert deepest["minimum"] == surface.values.min() and np.isinf(deepest["persistence"])
    assert topology.n_basins() >= 1 and "basins deeper than" in repr(topology)
    assert topology.threshold == pytest.approx(0.01 * np.ptp(surface.values))
    accuracy = fastnn.loss_surface(model, X, y, plane=surface.plane, metric="accuracy")
    errors = accuracy.topology()
    assert errors.quantity == "error" and errors.minimum[0] == 1.0 - accuracy.values.max()


def test_a_store_backed_surface_is_read_once(tmp_path):
    pytest.importorskip("zarr")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] - X[:, 1] ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        model = fastnn.MLPRegressor((5,), "tanh", max_iter=50, random_state=0).fit(X, y)
    fastnn.loss_surface(model, X, y, resolution=(33, 27), out=tmp_path / "s.zarr")
    stored = fastnn.Surface.load(tmp_path / "s.zarr")
    in_memory = _surface(np.asarray(stored.values))

    class CountingReads:
        def __init__(self, array):
            self.array, self.reads, self.shape = array, 0, array.shape

        def __array__(self, dtype=None, copy=None):
            self.reads += 1
            return np.asarray(self.array[...], dtype=dtype)

    stored.values = CountingReads(stored.values)
    topology = stored.topology()
    assert stored.values.reads == 1
    expected = in_memory.topology()
    np.testing.assert_array_equal(topology.minimum, expected.minimum)
    np.testing.assert_array_equal(topology.saddle, expected.saddle)


def test_bad_surfaces_and_thresholds_are_refused_in_one_line():
    values = np.ones((4, 4))
    values[1, 2] = np.nan
    for surface, message in (
        (_surface(values), "1 non-finite values"),
        (_surface(np.ones((3, 3)), metric="max_eigenvalue"), "no basins of a loss"),
    ):
        with pytest.raises(ValueError, match=message) as info:
            surface.topology()
        assert "\n" not in str(info.value)
    topology = _surface([[0, 5, 1], [5, 5, 5], [2, 5, 3]]).topology()
    for threshold in (-1.0, "x", True):
        with pytest.raises(ValueError, match="threshold"):
            topology.n_basins(threshold)
    with pytest.raises(ValueError, match="threads"):
        _surface(np.ones((3, 3))).topology(threads=0)


def test_the_figures(tmp_path):
    rng = np.random.default_rng(2)
    x = np.linspace(-3, 3, 61)
    values = np.sin(2 * x)[:, None] * np.cos(x)[None, :] + 0.01 * rng.random((61, 61))
    surface = _surface(values)
    topology = surface.topology()
    diagram = topology.plot_diagram()
    assert "deepest basin (never merges)" in diagram.axes[0].get_legend_handles_labels()[1]
    basins = topology.plot(surface)
    labels = basins.axes[0].get_legend_handles_labels()[1]
    assert labels[0].startswith("deepest") and len(labels) == topology.n_basins()
    basins.savefig(tmp_path / "basins.png")
