"""Warnings and errors that fastnn raises (besides ``ValueError`` for bad input)."""

from __future__ import annotations


class FastnnWarning(UserWarning):
    """Base class of every warning fastnn emits."""


class DivergenceWarning(FastnnWarning, RuntimeWarning):
    """An optimiser diverged: its loss (or iterate) became non-finite or kept growing.

    Training stops at that point and keeps the history up to it; the message
    names the iteration and the learning rate.
    """


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit``.

    A ``ValueError`` and an ``AttributeError``, as in scikit-learn.
    """


class ProjectionWarning(FastnnWarning):
    """A path drawn on a plane lies far off it: what is drawn is its projection.

    On a random or filter-normalised plane, or on a slice of two named parameters while
    the others moved, the projection of an optimiser's path is not the path it took.
    """


class ConvergenceWarning(FastnnWarning):
    """An iterative solver used all of ``max_iter`` without meeting its ``tol`` criterion."""


class OverflowWarning(FastnnWarning, RuntimeWarning):
    """A result holds infinite or NaN values where the inputs were finite.

    float64 overflowed (a loss surface spanning huge parameters, targets of 1e200); the
    message names the argument to scale down.
    """
