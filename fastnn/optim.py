"""Optimiser helpers: gradient descent on user callables, and the sample orders.

:func:`gradient_descent` is the lecture's 1-D and 2-D example generalised: it
runs plain gradient descent on any gradient function and returns every
iterate.  The estimators' own training loops live in the kernels; what they
share with Python is here: the sample orders of SGD and minibatch epochs,
drawn from a seeded ``numpy.random.Generator`` so both backends see the same
draws.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from fastnn._validation import check_int, check_positive
from fastnn.exceptions import DivergenceWarning

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from fastnn._typing import ArrayLike


__all__ = ["gradient_descent"]

# A run is reported as diverging when the step length grew at each of its last
# _GROWTH_WINDOW steps (or at all of them, for shorter runs) and ended larger
# than it started: lr 0.8 on (theta + 5)^2 shrinks by 0.6 a step, lr 1 keeps
# it constant, any lr > 1 grows it geometrically.
_GROWTH_WINDOW = 5


def gradient_descent(
    grad: Callable[[Any], ArrayLike], theta0: ArrayLike, lr: float, n_iter: int
) -> np.ndarray:
    """Gradient descent ``theta <- theta - lr * grad(theta)`` on a user function.

    Parameters
    ----------
    grad : callable
        ``grad(theta)`` returns the gradient at ``theta``: a number when
        ``theta0`` is a number, an array of ``theta0``'s shape otherwise.
    theta0 : float or array-like
        Starting point.
    lr : float
        Learning rate, > 0.
    n_iter : int
        Number of steps, >= 1.

    Returns
    -------
    iterates : ndarray of shape ``(n_iter + 1,)`` or ``(n_iter + 1, *theta0.shape)``
        ``theta0`` first, then each iterate.  If an iterate or a gradient
        becomes non-finite, the run stops there and only the finite iterates
        are returned.

    Warns
    -----
    DivergenceWarning
        When the iteration blows up (a non-finite gradient or iterate) or the
        step length grows at every one of the last steps: the learning rate is
        too large for this function.  The warning names the iteration and
        ``lr``.

    Examples
    --------
    The lecture's example, f(theta) = (theta + 5)^2:

    >>> gradient_descent(lambda t: 2 * t + 10, theta0=1.0, lr=0.4, n_iter=4)
    array([ 1.    , -3.8   , -4.76  , -4.952 , -4.9904])
    """
    if not callable(grad):
        raise ValueError(f"grad must be a callable returning the gradient; got {grad!r}")
    lr = check_positive(lr, "lr")
    n_iter = check_int(n_iter, "n_iter")
    theta = np.array(theta0, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"theta0 must be finite; got {theta0!r}")
    scalar = theta.ndim == 0
    iterates = np.empty((n_iter + 1,) + theta.shape)
    iterates[0] = theta
    steps = np.empty(n_iter)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_iter):
            g = np.asarray(grad(float(theta) if scalar else theta.copy()), dtype=np.float64)
            if g.shape != theta.shape:
                raise ValueError(
                    f"grad(theta) returned shape {g.shape}; expected theta's shape {theta.shape}"
                )
            new = theta - lr * g
            if not (np.all(np.isfinite(g)) and np.all(np.isfinite(new))):
                warnings.warn(
                    f"gradient descent diverged at iteration {t + 1} (lr={lr:g}): the "
                    f"gradient or iterate became non-finite; returning the {t + 1} finite "
                    "iterates. Lower the learning rate.",
                    DivergenceWarning,
                    stacklevel=2,
                )
                return iterates[: t + 1]
            steps[t] = float(np.linalg.norm(new - theta))
            theta = new
            iterates[t + 1] = theta
    _warn_if_growing(steps, lr)
    return iterates


def _warn_if_growing(steps: np.ndarray, lr: float) -> None:
    tail = steps[-(_GROWTH_WINDOW + 1) :]
    if tail.size >= 2 and np.all(np.diff(tail) > 0.0) and tail[-1] > steps[0]:
        warnings.warn(
            f"gradient descent is diverging (lr={lr:g}): the step length grew at every one "
            f"of the last {tail.size - 1} iterations, from {tail[0]:.3g} to {tail[-1]:.3g} "
            f"by iteration {steps.size}. Lower the learning rate.",
            DivergenceWarning,
            stacklevel=3,
        )


def sample_orders(rng: np.random.Generator, n_samples: int, n_epochs: int) -> np.ndarray:
    """One permutation of ``range(n_samples)`` per epoch, shape ``(n_epochs, n_samples)``."""
    orders = [rng.permutation(n_samples) for _ in range(n_epochs)]
    return np.array(orders, dtype=np.int64).reshape(n_epochs, n_samples)
