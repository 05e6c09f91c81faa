"""The lecture's data generators."""

import numpy as np
import pytest

import fastnn
from fastnn import data


@pytest.mark.parametrize("make", [data.blobs, data.donut])
@pytest.mark.parametrize("n", [1, 2, 7, 101, 1000, 2001])
def test_class_counts_are_exact_for_any_n(make, n):
    X, y = make(n, seed=0)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert X.dtype == y.dtype == np.float64
    assert set(np.unique(y)) <= {0.0, 1.0}
    assert int(y.sum()) == n // 2
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("make", [data.linear, data.blobs, data.donut])
def test_seeded_and_reproducible(make):
    a, b, c = make(seed=3), make(seed=3), make(seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1]) or not np.array_equal(a[0], c[0])


def test_linear_follows_the_line():
    X, y = data.linear(100_000, seed=0)
    assert X.shape == (100_000, 1)
    assert X[0, 0] == -4.0 and X[-1, 0] == 6.0
    residual = y - (3.0 + 2.5 * X[:, 0])
    assert abs(residual.mean()) < 0.05
    assert abs(residual.std() - 5.0) < 0.05


def test_blobs_class_statistics():
    X, y = data.blobs(100_000, seed=1)
    for label, mean in [(0.0, [0.0, 0.0]), (1.0, [-1.0, 5.0])]:
        part = X[y == label]
        np.testing.assert_allclose(part.mean(axis=0), mean, atol=0.02)
        np.testing.assert_allclose(np.cov(part.T), [[1, 0.7], [0.7, 1]], atol=0.02)


def test_blobs_are_shuffled():
    _, y = data.blobs(1000, seed=0)
    assert 0.3 < y[:500].mean() < 0.7


def test_donut_geometry():
    X, y = data.donut(100_000, seed=2)
    inner, ring = X[y == 0], X[y == 1]
    np.testing.assert_allclose(inner.mean(axis=0), [0, 0], atol=0.03)
    np.testing.assert_allclose(np.cov(inner.T), 2 * np.eye(2), atol=0.05)
    # Without radius noise the ring shows its angles: 100 distinct, evenly spaced in
    # [0, 2 pi) (the lecture's linspace repeated 0 = 2 pi), shared as evenly as n allows.
    X0, y0 = data.donut(1001, seed=2, radius_std=0.0)
    angles = np.mod(np.arctan2(X0[y0 == 1, 1], X0[y0 == 1, 0]), 2 * np.pi)
    steps = np.rint(angles / (2 * np.pi / 100)).astype(int) % 100
    np.testing.assert_allclose(angles, 2 * np.pi * steps / 100, atol=1e-12)
    counts = np.bincount(steps, minlength=100)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 500
    assert abs(np.hypot(*ring.T).mean() - 5.0) < 0.1


def test_bad_n():
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        data.blobs(0)
    with pytest.raises(ValueError, match="random_state"):
        data.linear(10, seed="x")


@pytest.mark.parametrize(
    "text, X, y",
    [
        ("x1,x2,y\n1,2,0\n3,4,1\n", [[1, 2], [3, 4]], [0, 1]),  # a header
        ("1,2,0\n3,4,1\n", [[1, 2], [3, 4]], [0, 1]),  # none: the first row is data
        ("\ufeffx,y\n1,2\n3,4\n", [[1], [3]], [2, 4]),  # byte-order mark, header
        ("\ufeff1,2\n3,4\n", [[1], [3]], [2, 4]),  # byte-order mark, no header
        ("a,b\r\n\r\n1,2\r\n3,4\r\n", [[1], [3]], [2, 4]),  # CRLF, a blank line
        ("1,2\n", [[1]], [2]),  # one row
    ],
)
def test_load_csv(tmp_path, text, X, y):
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    got_X, got_y = data.load(path)
    np.testing.assert_array_equal(got_X, np.array(X, dtype=float))
    np.testing.assert_array_equal(got_y, np.array(y, dtype=float))


@pytest.mark.parametrize(
    "text, message",
    [
        ("1,2,oops\n3,4,5\n6,7,8\n", "data row 1 is not all numbers"),  # reported, not dropped
        ("x,y\n1,2\n3,oops\n", "data row 2 is not all numbers"),
        ("1,2\n3,4,5\n", "data row 2 has 3 columns"),
        ("y\n1\n2\n", "needs at least 2 columns"),
        ("\n\n", "no data rows"),
    ],
)
def test_load_csv_errors_name_the_file_and_row(tmp_path, text, message):
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as caught:
        data.load(path)
    assert str(path) in str(caught.value)


def test_load_npz_and_bad_paths(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.arange(3.0), y=np.ones(3))
    X, y = data.load(tmp_path / "d.npz")
    assert X.shape == (3, 1) and y.tolist() == [1.0, 1.0, 1.0]
    np.savez(tmp_path / "noy.npz", X=np.zeros((3, 2)))
    for name, message in [
        ("noy.npz", "needs arrays 'X' and 'y'"),
        ("missing.csv", "no such file"),
        ("d.npz.txt", "expected a .npz or .csv"),
    ]:
        if name.endswith(".txt"):
            (tmp_path / name).write_text("1,2\n")
        with pytest.raises(ValueError, match=message):
            data.load(tmp_path / name)


def test_a_csv_with_text_labels_gives_string_labels(tmp_path):
    path = tmp_path / "pets.csv"
    path.write_text("x1,x2,kind\n0.1,0.2,cat\n1.5,1.1,dog\n0.2,0.1,cat\n")
    X, y = data.load(path)
    assert X.tolist() == [[0.1, 0.2], [1.5, 1.1], [0.2, 0.1]]
    assert y.tolist() == ["cat", "dog", "cat"]
    model = fastnn.LogisticRegression().fit(X, y)
    assert model.classes_.tolist() == ["cat", "dog"]
    # one text cell among numbers is a bad row, not a label
    path.write_text("x,y\n1,2\n3,oops\n")
    with pytest.raises(ValueError, match="data row 2 is not all numbers"):
        data.load(path)


def test_feature_names_from_a_csv_header_or_an_npz(tmp_path):
    (tmp_path / "h.csv").write_text("hours, sleep ,passed\n1,7,no\n2,6,yes\n")
    X, y, names = data.load(tmp_path / "h.csv", return_names=True)
    assert names == ["hours", "sleep"] and y.tolist() == ["no", "yes"]
    (tmp_path / "n.csv").write_text("1,7,0\n2,6,1\n")
    assert data.load(tmp_path / "n.csv", return_names=True)[2] is None
    np.savez(tmp_path / "d.npz", X=X, y=y, feature_names=np.array(["a", "b"]))
    assert data.load(tmp_path / "d.npz", return_names=True)[2] == ["a", "b"]
    np.savez(tmp_path / "bad.npz", X=X, y=y, feature_names=np.array(["a"]))
    with pytest.raises(ValueError, match="1 feature names for 2 feature columns"):
        data.load(tmp_path / "bad.npz", return_names=True)
