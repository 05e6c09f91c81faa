"""The one training driver of every estimator: epochs in bounded chunks, history, warnings.

An estimator hands :func:`train` a function that runs some epochs of its kernel
(``run_epochs(order, loss_curve, trajectory_rows) -> (epochs done, reason)``); the driver
allocates the loss curve and trajectory and calls it on chunks of epochs of bounded work
(about 0.1 s; Ctrl-C is honoured between chunks) and bounded sample-order memory (the
same draws as all at once: one permutation per epoch from the same generator).  The
kernels carry their state from call to call, so the chunks never change a result.  It
stops at the first chunk that ends early and returns a :class:`TrainingRun`.
:func:`warn_outcome` turns a divergence, or ``max_iter`` reached with ``tol`` set, into
the warning the user sees.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from fastnn import _codes as codes
from fastnn._codes import DIVERGED, MAX_ITER
from fastnn._interrupts import deferred_interrupts
from fastnn._validation import check_allocation
from fastnn.exceptions import ConvergenceWarning, DivergenceWarning
from fastnn.optim import sample_orders

# Sample orders are drawn this many bytes at a time, so that many epochs over a large
# data set never hold every order at once.
ORDER_BYTES = 64 * 2**20
# One call of a training kernel does at most about this many (sample x parameter)
# products (about 0.1 s here), unless one epoch is more.
CALL_WORK = 1 << 26
# What one optimiser step costs beyond its samples' products, in the same units: about
# 3 us a step (a minibatch of one sample of the lecture network, measured), plus a few
# passes over the parameters.  Without it, 818 epochs of 2000 one-sample steps made one
# chunk of 5 s and Ctrl-C waited for it.
STEP_WORK = 1 << 11


@dataclass
class TrainingRun:
    """What a training run produced.

    ``trajectory`` is None unless recorded; ``reason`` is a code from :mod:`fastnn._codes`
    (``MAX_ITER``, ``CONVERGED`` or ``DIVERGED``).
    """

    loss_curve: np.ndarray
    trajectory: np.ndarray | None
    n_iter: int
    reason: int


def train(
    run_epochs, *, n_epochs, n_samples, n_params, record_every, rng=None, steps_per_epoch=1
) -> TrainingRun:
    """Run ``n_epochs`` epochs through ``run_epochs``, a bounded chunk of epochs per call.

    Parameters
    ----------
    run_epochs : callable
        ``run_epochs(order, loss_curve, trajectory) -> (epochs done, reason)`` runs
        ``loss_curve.size`` epochs with the sample orders ``order`` (one row per epoch;
        no rows for full-batch training) and writes the epochs' losses and the trajectory
        rows they own.
    n_epochs, n_samples, n_params : int
    record_every : int
        0: no trajectory; k: theta every k-th epoch and at the end.
    rng : numpy.random.Generator, optional
        Draws one sample order per epoch; None for full-batch training.
    steps_per_epoch : int, default 1
        Optimiser steps per epoch (minibatches): each adds :data:`STEP_WORK` and four
        passes over the parameters to an epoch's work when the chunks are sized.

    Returns
    -------
    TrainingRun

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C, at the end of the running chunk.
    """
    stride = max(record_every, 1)
    n_rows = -(-n_epochs // stride) + 1 if record_every else 0
    history = 8 * (n_epochs + n_rows * n_params)
    check_allocation(history, "max_iter", f"the loss curve and trajectory of {n_epochs} epochs")
    trajectory = np.empty((n_rows, n_params))
    loss_curve = np.empty(n_epochs)
    epoch_work = n_samples * n_params + steps_per_epoch * (STEP_WORK + 4 * n_params)
    chunk = max(1, CALL_WORK // max(1, epoch_work))
    if rng is not None:
        chunk = min(chunk, max(1, ORDER_BYTES // (8 * n_samples)))
    # Chunks hold whole strides (a chunk's last trajectory row is the next one's first),
    # or, where one stride is more than a chunk, parts of one stride: Ctrl-C then waits
    # for a chunk, not for a stride (16.6 s at a stride of 10^7 iterations).
    within_stride = chunk < stride
    if not within_stride:
        chunk = chunk // stride * stride
    full_batch = np.empty((0, n_samples), np.int64)
    done, reason = 0, MAX_ITER
    with deferred_interrupts() as interrupted:
        while done < n_epochs:
            k = min(chunk, n_epochs - done)
            if within_stride:
                k = min(k, (done // stride + 1) * stride - done)  # never across a boundary
                rows = _scratch_rows(trajectory, n_params)
            else:
                first_row = done // stride
                rows = trajectory[first_row : first_row + (-(-k // stride)) + 1]
            ran, reason = run_epochs(
                full_batch if rng is None else sample_orders(rng, n_samples, k),
                loss_curve[done : done + k],
                rows,
            )
            if within_stride and trajectory.shape[0]:
                _place_rows(trajectory, rows, done, int(ran), stride)
            done += int(ran)
            if ran < k or reason != MAX_ITER:
                break
            if interrupted():
                raise KeyboardInterrupt
    done = int(done)
    return TrainingRun(
        loss_curve=loss_curve[:done].copy(),
        trajectory=trajectory[: -(-done // stride) + 1].copy() if record_every else None,
        n_iter=done,
        reason=int(reason),
    )


def _scratch_rows(trajectory, n_params: int) -> np.ndarray:
    """Rows for a chunk inside one stride: its start and its end (none without a trajectory)."""
    return np.empty((2 if trajectory.shape[0] else 0, n_params))


def _place_rows(trajectory, rows, start: int, ran: int, stride: int) -> None:
    """A part-of-a-stride chunk's rows where a whole-run call would have written them.

    Its start is a trajectory row when it lies on a stride boundary; its end is the
    latest "final" row, overwritten by later chunks as a whole run's final row would be.
    """
    if start % stride == 0:
        trajectory[start // stride] = rows[0]
    end = start + ran
    trajectory[-(-end // stride)] = rows[-(-ran // stride)]


def warn_outcome(estimator, run: TrainingRun, *, solver, lr, max_iter, tol, unit="epoch"):
    """Warn about a diverged run, or (with ``tol`` set) one that hit ``max_iter``."""
    name = type(estimator).__name__
    if run.reason == DIVERGED:
        warnings.warn(
            f"{name} diverged at {unit} {run.n_iter} (solver={solver!r}, learning_rate_init="
            f"{_rates_text(lr)}): the loss became non-finite or rose above "
            f"{codes.DIVERGENCE_RATIO:g} "
            f"times its first value. Training stopped; loss_curve_ keeps the {run.n_iter} "
            "losses before it and theta_ the parameters before the last step. "
            "Lower learning_rate_init.",
            DivergenceWarning,
            stacklevel=3,
        )
    elif run.reason == MAX_ITER and tol is not None:
        warnings.warn(
            f"{name}: max_iter={max_iter} epochs reached and the loss is still improving by "
            f"more than tol={tol:g}; raise max_iter or tol (tol=None trains exactly "
            "max_iter epochs without this check).",
            ConvergenceWarning,
            stacklevel=3,
        )


def _rates_text(lr) -> str:
    """A learning rate, or per-layer rates, for messages: ``0.1`` or ``(0.1, 0.01)``."""
    if np.ndim(lr) == 0:
        return f"{float(lr):g}"
    return "(" + ", ".join(f"{float(r):g}" for r in np.ravel(lr)) + ")"


def mlp_settings(
    *,
    optimizer: int,
    lr,
    batch_size: int,
    momentum: float = 0.0,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
    tol: float | None = None,
    n_iter_no_change: int = 10,
    alpha: float = 0.0,
    biases: bool | tuple[bool, ...] = True,
) -> np.ndarray:
    """The MLP training kernel's ``settings`` array (positions ``SETTING_*``, fastnn._codes).

    ``tol=None`` turns early stopping off.  ``biases=False``: no bias is trained (a
    network without biases, whose caller starts them at 0); one flag per layer: those
    layers' biases only.  ``lr`` is one learning
    rate, or a sequence of one per layer (appended from ``SETTING_LAYER_RATES``; not with
    Adam).
    """
    rates = np.atleast_1d(np.asarray(lr, dtype=np.float64))
    per_layer = np.ndim(lr) > 0
    settings = np.empty(codes.N_SETTINGS + (rates.size if per_layer else 0))
    settings[codes.SETTING_OPTIMIZER] = optimizer
    settings[codes.SETTING_LEARNING_RATE] = rates[0]
    if per_layer:
        settings[codes.SETTING_LAYER_RATES :] = rates
    settings[codes.SETTING_MOMENTUM] = momentum
    settings[codes.SETTING_BETA_1] = beta_1
    settings[codes.SETTING_BETA_2] = beta_2
    settings[codes.SETTING_EPSILON] = epsilon
    settings[codes.SETTING_BATCH_SIZE] = batch_size
    settings[codes.SETTING_TOL] = -1.0 if tol is None else tol
    settings[codes.SETTING_N_ITER_NO_CHANGE] = n_iter_no_change
    settings[codes.SETTING_ALPHA] = alpha
    settings[codes.SETTING_BIASES] = codes.bias_setting(biases)
    return settings


def divergence_limit(initial_loss: float) -> float:
    """The loss above which a run has diverged, from its loss at the initial parameters.

    The kernels apply the same rule to a run's first loss when no limit was set; the
    estimators set it from the loss of the whole data set at the starting point, so
    that a first epoch of many steps cannot raise it.
    """
    return codes.DIVERGENCE_RATIO * max(float(initial_loss), codes.DIVERGENCE_FLOOR)


def linear_state(theta: np.ndarray, initial_loss: float = np.nan) -> np.ndarray:
    """A new run's linear training state: the divergence limit, previous = theta.

    Without ``initial_loss`` the limit is NaN: the run's first loss sets it.
    """
    return np.concatenate([[divergence_limit(initial_loss)], theta])


def mlp_state(theta: np.ndarray, initial_loss: float = np.nan) -> np.ndarray:
    """A new run's MLP training state.

    Step 0, best loss +inf, the divergence limit (NaN without ``initial_loss``: the
    run's first epoch sets it), zero moments, previous = theta.
    """
    state = np.zeros(codes.STATE_VECTORS + 3 * theta.size)
    state[codes.STATE_BEST_LOSS] = np.inf
    state[codes.STATE_LIMIT] = divergence_limit(initial_loss)
    state[codes.STATE_VECTORS + 2 * theta.size :] = theta
    return state
