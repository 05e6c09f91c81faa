"""Early stopping on a held-out validation split (scikit-learn's ``early_stopping``).

The networks' training kernel stops on the *training* loss (``tol``,
``n_iter_no_change``).  With ``early_stopping=True`` the estimator holds out
``validation_fraction`` of the samples (stratified by class for classifiers), trains
on the rest one epoch per kernel call with the kernel's own criterion off, scores the
held-out samples after every epoch (accuracy, or R^2 for regressors) and stops when the
score has not improved on the best by ``tol`` for more than ``n_iter_no_change`` epochs;
the parameters of the best score are kept -- scikit-learn's rule, step for step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fastnn._codes import CONVERGED, MAX_ITER

__all__ = ["EarlyStopping", "epoch_by_epoch", "validation_split"]


def validation_split(
    rng: np.random.Generator, n_samples: int, fraction: float, strata: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``(train, validation)`` sample indices, ``ceil(fraction * n)`` held out.

    With ``strata`` (one class index per sample) every class gives its share, the
    rounding remainder going to the classes with the largest fractional parts, and
    every class keeps at least one training sample.

    Raises
    ------
    ValueError
        Fewer than two samples would be held out, or none left to train on.
    """
    n_validation = int(np.ceil(fraction * n_samples))
    if n_validation < 2 or n_validation >= n_samples:
        raise ValueError(
            f"validation_fraction={fraction:g} of {n_samples} samples holds out "
            f"{n_validation}: early stopping needs at least two validation samples and one "
            "training sample (raise validation_fraction or give more samples)"
        )
    if strata is None:
        held = rng.permutation(n_samples)[:n_validation]
    else:
        classes, counts = np.unique(strata, return_counts=True)
        share = fraction * counts
        taken = np.minimum(np.floor(share).astype(np.int64), counts - 1)
        order = np.argsort(-(share - taken), kind="stable")
        for k in order[: max(0, n_validation - int(taken.sum()))]:
            taken[k] = min(taken[k] + 1, counts[k] - 1)
        if taken.sum() < 2:
            raise ValueError(
                f"validation_fraction={fraction:g}: with classes of {counts.tolist()} samples "
                "fewer than two can be held out while every class keeps one to train on; "
                "early stopping needs more samples"
            )
        held = np.concatenate(
            [
                rng.permutation(np.flatnonzero(strata == c))[:k]
                for c, k in zip(classes, taken, strict=True)
            ]
        )
    mask = np.zeros(n_samples, dtype=bool)
    mask[held] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


class EarlyStopping:
    """Validation scores after each epoch, the best parameters, and when to stop.

    Parameters
    ----------
    score : callable
        ``score(theta) -> float``, higher is better (the held-out accuracy or R^2).
    tol : float or None
        An epoch improves when its score exceeds the best so far by ``tol``; None never
        stops (``max_iter`` epochs, the best parameters kept).
    n_iter_no_change : int
        Stop after more than this many epochs without improvement.
    """

    def __init__(self, score: Callable[[np.ndarray], float], tol, n_iter_no_change: int):
        self.score = score
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.scores: list[float] = []
        self.best_score = -np.inf
        self.best_theta: np.ndarray | None = None
        self._stalled = 0

    def update(self, theta: np.ndarray) -> bool:
        """Score ``theta`` after an epoch; True when training should stop."""
        value = float(self.score(theta))
        self.scores.append(value)
        if self.tol is not None:
            self._stalled = self._stalled + 1 if value < self.best_score + self.tol else 0
        if value > self.best_score:
            self.best_score = value
            self.best_theta = theta.copy()
        return self.tol is not None and self._stalled > self.n_iter_no_change


def epoch_by_epoch(run_one, stopper: EarlyStopping, theta: np.ndarray, stride: int):
    """A ``run_epochs`` for :func:`fastnn._training.train` that scores after every epoch.

    ``run_one(order, loss_curve)`` runs the kernel for one epoch (``order`` one row, or
    none for full batch) without recording a trajectory; the trajectory rows are
    recorded here exactly as the kernels record them (theta at the start of every
    ``stride``-th epoch, then the final theta).
    """

    def run_epochs(order, loss_curve, rows):
        def record_final(done):
            if rows.shape[0]:
                rows[-(-done // stride)] = theta

        for epoch in range(loss_curve.size):
            if rows.shape[0] and epoch % stride == 0:
                rows[epoch // stride] = theta
            ran, reason = run_one(order[epoch : epoch + 1], loss_curve[epoch : epoch + 1])
            if ran == 0:  # diverged: the kernel put theta back
                record_final(epoch)
                return epoch, reason
            if stopper.update(theta):
                record_final(epoch + 1)
                return epoch + 1, CONVERGED
        record_final(loss_curve.size)
        return loss_curve.size, MAX_ITER

    return run_epochs
