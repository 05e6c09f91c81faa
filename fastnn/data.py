"""The lecture's data sets, seeded and exact in their class counts.

Every generator takes the number of samples first and the lecture's settings
as keyword defaults, and returns ``(X, y)`` with ``X`` of shape
``(n, n_features)`` *without* a column of ones (fastnn handles the
intercept).  Classification sets return ``y`` as float 0.0/1.0 with exactly
``n // 2`` samples of class 1 and ``n - n // 2`` of class 0, for any ``n``.
"""

from __future__ import annotations

import csv
import numbers
import os
import zipfile
from typing import TYPE_CHECKING

import numpy as np

from fastnn._validation import check_int, check_random_state

if TYPE_CHECKING:
    from fastnn._typing import ArrayLike, Seed


__all__ = ["blobs", "donut", "linear", "load"]


def linear(
    n: int = 100,
    *,
    seed: Seed | None = None,
    intercept: float = 3.0,
    slope: float = 2.5,
    noise: float = 5.0,
    x_range: tuple[float, float] = (-4.0, 6.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of a line: ``y = intercept + slope * x + noise * N(0, 1)``.

    The lecture's linear-regression example (section 1); its gradient-descent
    example uses ``intercept=0, slope=4, noise=2``.

    Parameters
    ----------
    n : int, default 100
        Number of samples; ``x`` is ``linspace(*x_range, n)``.
    seed : None, int or numpy.random.Generator
        Source of the noise.
    intercept, slope : float
        The true line.
    noise : float, default 5.0
        Standard deviation of the Gaussian noise (the lecture's ``noiseVar``).
    x_range : (float, float)
        First and last x.

    Returns
    -------
    X : ndarray of shape (n, 1)
    y : ndarray of shape (n,)
    """
    n = check_int(n, "n")
    rng = check_random_state(seed)
    for name, value in (("intercept", intercept), ("slope", slope)):
        _check_real(value, name)
    if _check_real(noise, "noise") < 0:
        raise ValueError(f"noise must be a standard deviation >= 0; got {noise!r}")
    low, high = _check_pair(x_range, "x_range")
    x = np.linspace(low, high, n)
    y = intercept + slope * x + noise * rng.standard_normal(n)
    return x[:, None], y


def _is_numeric(value) -> bool:
    try:
        np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def _short(value) -> str:
    return repr(value)[:60]


def _check_real(value, name: str) -> float:
    """A finite real number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(float(value))
    ):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


def _check_pair(value, name: str) -> tuple[float, float]:
    """Two finite numbers."""
    arr = np.asarray(value, dtype=np.float64) if _is_numeric(value) else None
    if arr is None or arr.shape != (2,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be two finite numbers; got {_short(value)}")
    return float(arr[0]), float(arr[1])


def _two(value, name: str):
    """A pair of things (the two classes' settings)."""
    try:
        items = list(value)
    except TypeError:
        items = []
    if len(items) != 2:
        raise ValueError(f"{name} must hold two entries, one per class; got {_short(value)}")
    return items


def _labels(n: int) -> np.ndarray:
    return np.concatenate([np.zeros(n - n // 2), np.ones(n // 2)])


def _shuffled(rng, X, y):
    perm = rng.permutation(y.size)
    return np.ascontiguousarray(X[perm]), y[perm]


def blobs(
    n: int = 1000,
    *,
    seed: Seed | None = None,
    means: ArrayLike = ((0.0, 0.0), (-1.0, 5.0)),
    cov: ArrayLike = ((1.0, 0.7), (0.7, 1.0)),
) -> tuple[np.ndarray, np.ndarray]:
    """Two correlated 2-D Gaussians, one per class (the lecture's logistic regression).

    Parameters
    ----------
    n : int, default 1000
        Number of samples (the lecture uses 1000 for training and 500 for testing).
    seed : None, int or numpy.random.Generator
    means : pair of 2-vectors
        Class means (class 0 first).
    cov : 2x2 array-like
        The covariance shared by both classes.

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), float 0.0/1.0, shuffled
    """
    n = check_int(n, "n")
    rng = check_random_state(seed)
    means = [_check_pair(m, f"means[{k}]") for k, m in enumerate(_two(means, "means"))]
    matrix = np.asarray(cov, dtype=np.float64) if _is_numeric(cov) else None
    if matrix is None or matrix.shape != (2, 2) or not np.all(np.isfinite(matrix)):
        raise ValueError(f"cov must be a finite 2 x 2 matrix; got {_short(cov)}")
    if matrix[0, 1] != matrix[1, 0] or np.linalg.eigvalsh(matrix)[0] < 0:
        raise ValueError(f"cov must be symmetric positive semi-definite; got {matrix.tolist()}")
    y = _labels(n)
    counts = (n - n // 2, n // 2)
    X = np.concatenate([rng.multivariate_normal(means[c], matrix, size=counts[c]) for c in (0, 1)])
    return _shuffled(rng, X, y)


def donut(
    n: int = 2000,
    *,
    seed: Seed | None = None,
    inner_variance: float = 2.0,
    radius: float = 5.0,
    radius_std: float = 1.0,
    n_angles: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian blob inside a noisy ring: not linearly separable (the lecture's network).

    Class 0 is an isotropic Gaussian at the origin with variance
    ``inner_variance``.  Class 1 lies on ``n_angles`` evenly spaced angles in
    ``[0, 2 pi)``, as evenly shared as ``n // 2`` allows; as in the lecture,
    the noisy radius ``N(radius, radius_std)`` is drawn separately for the x
    and the y coordinate of each point.  The classes overlap, so no classifier
    is perfect (about 0.95 is the best possible accuracy with the defaults).

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), float 0.0/1.0, shuffled
    """
    n = check_int(n, "n")
    n_angles = check_int(n_angles, "n_angles")
    rng = check_random_state(seed)
    n0, n1 = n - n // 2, n // 2
    inner = rng.multivariate_normal([0.0, 0.0], inner_variance * np.eye(2), size=n0)
    angles = 2.0 * np.pi * (np.arange(n1) % n_angles) / n_angles
    r_x = radius + radius_std * rng.standard_normal(n1)
    r_y = radius + radius_std * rng.standard_normal(n1)
    ring = np.column_stack([r_x * np.cos(angles), r_y * np.sin(angles)])
    return _shuffled(rng, np.concatenate([inner, ring]), _labels(n))


def load(
    path: str | os.PathLike[str], *, return_names: bool = False
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, list[str] | None]:
    r"""Read a data set from a file: ``(X, y)``, or ``(X, y, feature_names)``.

    Parameters
    ----------
    path : str or path-like
        ``.npz``: arrays named ``X`` and ``y`` (a 1-D ``X`` is one feature), and
        optionally ``feature_names`` (strings).
        ``.csv``: comma-separated numbers, the feature columns then the target; an
        optional header row is recognised by :class:`csv.Sniffer` (its cells are not
        numbers where the columns are), never by a failed parse, so a bad first data
        row is reported, not dropped.  The target may be text class labels (a last
        column in which no cell is a number: ``y`` is then an array of str).  A UTF-8
        byte-order mark is ignored.
    return_names : bool, default False
        Also return the features' names: a CSV header's feature cells, or an
        ``.npz``'s ``feature_names`` (None when the file has none).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    feature_names : list of str or None, only with ``return_names``

    Raises
    ------
    ValueError
        Naming the file and, for a CSV, the data row at fault.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = path.write_text("x1,x2,y\n1,2,0\n3,4,1\n")
    >>> X, y = load(path)
    >>> X.shape, y.tolist()
    ((2, 2), [0.0, 1.0])
    >>> load(path, return_names=True)[2]
    ['x1', 'x2']
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"{'not a file' if os.path.exists(path) else 'no such file'}: {path}")
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".npz", ".csv"):
        raise ValueError(f"{path}: expected a .npz or .csv file")
    X, y, names = (_load_npz if suffix == ".npz" else _load_csv)(path)
    if names is not None and len(names) != X.shape[1]:
        raise ValueError(f"{path}: {len(names)} feature names for {X.shape[1]} feature columns")
    return (X, y, names) if return_names else (X, y)


def _load_npz(path):
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"{path}: not a readable .npz file ({exc or type(exc).__name__})"
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{path}: holds one array, not a .npz archive "
            "(write one with numpy.savez(path, X=X, y=y))"
        )
    with archive:
        missing = {"X", "y"} - set(archive.files)
        if missing:
            raise ValueError(
                f"{path}: the .npz needs arrays 'X' and 'y'; missing {sorted(missing)} "
                f"(it has {sorted(archive.files)})"
            )
        try:
            X, y = archive["X"], archive["y"]
            names = archive["feature_names"] if "feature_names" in archive.files else None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path}: a damaged .npz file ({exc})") from None
    if X.ndim not in (1, 2):
        raise ValueError(f"{path}: X must be 1-D or 2-D (samples x features); it is {X.ndim}-D")
    if names is not None and (names.ndim != 1 or names.dtype.kind != "U"):
        raise ValueError(f"{path}: feature_names must be a 1-D array of strings")
    return (X[:, None] if X.ndim == 1 else X), y, None if names is None else names.tolist()


def _load_csv(path):
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        text = handle.read()
    rows = [row for row in csv.reader(text.splitlines()) if any(cell.strip() for cell in row)]
    if rows and len(rows[0]) < 2:
        raise ValueError(f"{path}: needs at least 2 columns (features, then y)")
    # The sniffer compares the first row's cell types with the columns below it (one row
    # says nothing); it reads the rows without blank lines, which would end its sample.
    sample = "\n".join(",".join(row) for row in rows[:100])
    try:
        header = len(rows) > 1 and csv.Sniffer().has_header(sample)
    except csv.Error:  # a sample the sniffer cannot split: no header
        header = False
    # The sniffer also says no when a later row is ragged: a first row of names over rows
    # whose feature cells are numbers is a header all the same.
    if not header and len(rows) > 1 and not all(_is_number(c) for c in rows[0][:-1]):
        header = any(r[:-1] and all(_is_number(c) for c in r[:-1]) for r in rows[1:6])
    names = [cell.strip() for cell in rows[0][:-1]] if header else None
    rows = rows[1:] if header else rows
    if not rows:
        raise ValueError(f"{path}: no data rows")
    # Class labels may be text: a last column in which no cell is a number.
    text_labels = not any(_is_number(row[-1]) for row in rows if row)
    table, labels = [], []
    for number, row in enumerate(rows, start=1):
        cells = row[:-1] if text_labels else row
        try:
            table.append([float(cell) for cell in cells])
        except ValueError:
            column = next(k for k, cell in enumerate(cells) if not _is_number(cell))
            what = "its feature columns are" if text_labels else "it is"
            raise ValueError(
                f"{path}: data row {number} is not all numbers ({what} not): column "
                f"{column + 1} holds {cells[column][:40]!r} (a decimal comma, or a quoted field?)"
            ) from None
        labels.append(row[-1].strip() if row else "")
        if len(row) != len(rows[0]):
            raise ValueError(
                f"{path}: data row {number} has {len(row)} columns, the first has {len(rows[0])}"
            )
    if len(rows[0]) < 2:
        raise ValueError(f"{path}: needs at least 2 columns (features, then y)")
    if text_labels:
        return np.array(table), np.array(labels), names
    numbers_ = np.array(table)
    return numbers_[:, :-1], numbers_[:, -1], names


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
