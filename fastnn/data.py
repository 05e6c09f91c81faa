"""The lecture's data sets, seeded and exact in their class counts.

Every generator takes the number of samples first and the lecture's settings
as keyword defaults, and returns ``(X, y)`` with ``X`` of shape
``(n, n_features)`` *without* a column of ones (fastnn handles the
intercept).  Classification sets return ``y`` as float 0.0/1.0 with exactly
``n // 2`` samples of class 1 and ``n - n // 2`` of class 0, for any ``n``.
"""

from __future__ import annotations

import numpy as np

from fastnn._validation import check_int, check_random_state

__all__ = ["blobs", "donut", "linear"]


def linear(
    n: int = 100,
    *,
    seed=None,
    intercept: float = 3.0,
    slope: float = 2.5,
    noise: float = 5.0,
    x_range: tuple[float, float] = (-4.0, 6.0),
):
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
    x = np.linspace(x_range[0], x_range[1], n)
    y = intercept + slope * x + noise * rng.standard_normal(n)
    return x[:, None], y


def _labels(n: int) -> np.ndarray:
    return np.concatenate([np.zeros(n - n // 2), np.ones(n // 2)])


def _shuffled(rng, X, y):
    perm = rng.permutation(y.size)
    return np.ascontiguousarray(X[perm]), y[perm]


def blobs(
    n: int = 1000,
    *,
    seed=None,
    means=((0.0, 0.0), (-1.0, 5.0)),
    cov=((1.0, 0.7), (0.7, 1.0)),
):
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
    y = _labels(n)
    counts = (n - n // 2, n // 2)
    X = np.concatenate([rng.multivariate_normal(means[c], cov, size=counts[c]) for c in (0, 1)])
    return _shuffled(rng, X, y)


def donut(
    n: int = 2000,
    *,
    seed=None,
    inner_variance: float = 2.0,
    radius: float = 5.0,
    radius_std: float = 1.0,
    n_angles: int = 100,
):
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
