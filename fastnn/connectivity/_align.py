r"""Permutation alignment of two networks' hidden units (Ainsworth et al. 2023, Git Re-Basin).

Permuting the units of a hidden layer (the columns of the weights into it and its
biases, the rows of the weights out of it) leaves the function a network computes
unchanged, for any activation: each unit's activation is applied to that unit alone.
Two networks trained from different seeds are often far apart only up to such
permutations; aligning one to the other before interpolating removes that part of the
barrier between them (Entezari et al. 2022).

**Weight matching** maximises, over one permutation per hidden layer of ``model_b``,

.. math:: \sum_l \langle W^a_l, W'^b_l \rangle_F + \langle b^a_l, b'^b_l \rangle,

the inner product of the two networks' parameters (``W'`` the permuted weights; equally:
minimises ``||theta_a - theta_b'||^2``).  Holding the other layers' permutations fixed,
one layer's best permutation is a linear assignment problem, solved exactly by
``scipy.optimize.linear_sum_assignment``; coordinate descent visits the hidden layers in
a random order (``random_state``) per sweep, keeps a layer's new permutation only when it
raises the objective by more than ``1e-12`` relative, and stops after the first sweep that
changes nothing (``max_iter`` sweeps at most).  With one hidden layer the first sweep's
assignment is the global optimum and the second confirms it.

**Activation matching** maximises, per hidden layer and independently, the inner product
of the two networks' activations of that layer on data ``X``: ``sum_j <A^a_j, A^b_pi(j)>``
(one assignment per layer; a unit's activations do not depend on the other layers'
permutations).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fastnn._backends import backend_module
from fastnn._validation import check_int, check_option, check_random_state, check_X
from fastnn.connectivity._pair import check_same_function, estimator_of
from fastnn.exceptions import ConvergenceWarning

if TYPE_CHECKING:
    from typing import Any

    from fastnn._typing import ArrayLike, Seed


METHODS = ("weights", "activations")


@dataclass(eq=False)
class Alignment:
    """How :func:`fastnn.align` permuted ``model_b``.

    Attributes
    ----------
    permutations : list of ndarray
        One per hidden layer: unit ``j`` of the aligned network is unit
        ``permutations[h][j]`` of ``model_b``.
    index : ndarray of shape (n_params,)
        The same as one gather of the flat parameters: ``theta_aligned = theta_b[index]``.
    method : {"weights", "activations"}
    sweeps : int
        Coordinate-descent sweeps over the hidden layers (weight matching; 1 for
        activations).
    converged : bool
        Whether the last sweep changed no permutation (weight matching).
    objective : float
        The matched inner product at the end (of the parameters for weight matching, of
        the activations summed over the layers for activation matching).
    objective_before : float
        The same for ``model_b`` as it was (the identity permutations).
    """

    permutations: list
    index: np.ndarray
    method: str
    sweeps: int
    converged: bool
    objective: float = 0.0
    objective_before: float = 0.0

    def __repr__(self) -> str:
        moved = sum(int(np.sum(p != np.arange(p.size))) for p in self.permutations)
        return (
            f"Alignment({self.method}, {len(self.permutations)} hidden layers, {moved} units "
            f"moved, {self.sweeps} sweeps, converged={self.converged})"
        )


def _solver():
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment


def flat_index(sizes, permutations) -> np.ndarray:
    """The gather ``theta[index]`` that permutes every hidden layer's units."""
    sizes = [int(s) for s in sizes]
    perms = [np.arange(sizes[0]), *permutations, np.arange(sizes[-1])]
    parts, start = [], 0
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        rows, cols = perms[l], perms[l + 1]
        parts.append(start + (rows[:, None] * fan_out + cols[None, :]).ravel())
        start += fan_in * fan_out
        parts.append(start + cols)
        start += fan_out
    return np.concatenate(parts)


def _layer_scores(coefs_a, biases_a, coefs_b, biases_b, perms, h, fixed):
    """Score ``S[j, k]`` of putting ``model_b``'s unit k at unit j of hidden layer h.

    ``fixed`` caches the terms that no permutation changes: the weights from the inputs
    (hidden layer 1) and to the outputs (the last hidden layer).
    """
    hidden = len(perms) - 2
    if h == 1:
        if "in" not in fixed:
            fixed["in"] = coefs_a[0].T @ coefs_b[0]
        into = fixed["in"]
    else:
        into = coefs_a[h - 1].T @ coefs_b[h - 1][perms[h - 1], :]
    if h == hidden:
        if "out" not in fixed:
            fixed["out"] = coefs_a[h] @ coefs_b[h].T
        out = fixed["out"]
    else:
        out = coefs_a[h] @ coefs_b[h][:, perms[h + 1]].T
    return into + np.outer(biases_a[h - 1], biases_b[h - 1]) + out


def weight_matching(layout, theta_a, theta_b, max_iter: int, rng):
    """Coordinate descent over the hidden layers (see the module): ``Alignment``."""
    solve = _solver()
    sizes = [int(s) for s in layout.sizes]
    hidden = len(sizes) - 2
    coefs_a, biases_a = layout.coefs(theta_a), layout.intercepts(theta_a)
    coefs_b, biases_b = layout.coefs(theta_b), layout.intercepts(theta_b)
    perms = [np.arange(s) for s in sizes]  # inputs, hidden layers, outputs
    fixed: dict = {}

    def objective():
        return float(theta_a @ theta_b[flat_index(sizes, perms[1:-1])])

    before = objective()
    converged, sweeps = hidden == 0, 0
    while not converged and sweeps < max_iter:
        sweeps += 1
        changed = False
        for h in 1 + rng.permutation(hidden):
            scores = _layer_scores(coefs_a, biases_a, coefs_b, biases_b, perms, h, fixed)
            _, best = solve(scores, maximize=True)
            rows = np.arange(sizes[h])
            old, new = scores[rows, perms[h]].sum(), scores[rows, best].sum()
            if new > old + 1e-12 * max(1.0, abs(old)):
                perms[h] = best
                changed = True
        converged = not changed
    if not converged:
        warnings.warn(
            f"align: weight matching still changed a permutation after max_iter={max_iter} "
            "sweeps; raise max_iter",
            ConvergenceWarning,
            stacklevel=3,
        )
    permutations = perms[1:-1]
    index = flat_index(sizes, permutations)
    return Alignment(permutations, index, "weights", sweeps, converged, objective(), before)


def hidden_activations(estimator, X) -> list:
    """Every hidden layer's activations on ``X`` (each ``(n_samples, width)``).

    Layer h's are the outputs of the network's first h layers with layer h activated:
    the prediction kernel on that prefix of ``theta`` and of the activation table.
    """
    impl = backend_module(estimator.backend)
    sizes = estimator.layout_.sizes
    outputs = []
    for h in range(1, sizes.size - 1):
        prefix = sizes[: h + 1]
        n_params = int(estimator.layout_.bias_start[h - 1] + sizes[h])
        out = np.empty((X.shape[0], int(sizes[h])))
        table = np.ascontiguousarray(estimator._activation_table[:h])
        outputs.append(impl.mlp_logits(X, estimator.theta_[:n_params], prefix, table, out))
    return outputs


def activation_matching(estimator_a, estimator_b, X):
    """One assignment per hidden layer on the activations over ``X`` (see the module)."""
    solve = _solver()
    sizes = [int(s) for s in estimator_a.layout_.sizes]
    hidden_a, hidden_b = (hidden_activations(e, X) for e in (estimator_a, estimator_b))
    permutations, matched, before = [], 0.0, 0.0
    for A, B in zip(hidden_a, hidden_b, strict=True):
        inner = A.T @ B
        _, best = solve(inner, maximize=True)
        permutations.append(best)
        matched += float(inner[np.arange(best.size), best].sum())
        before += float(np.trace(inner))
    index = flat_index(sizes, permutations)
    return Alignment(permutations, index, "activations", 1, True, matched, before)


def _permuted_copy(model_b, index):
    """A deep copy of ``model_b`` with its parameters (and optimiser state) gathered."""
    aligned = copy.deepcopy(model_b)
    estimator = estimator_of(aligned)
    estimator.theta_[...] = estimator.theta_[index]  # coefs_ / intercepts_ are views of it
    optimizer = getattr(estimator, "_optimizer", None)
    if optimizer is not None:  # Adam's moments and the previous iterate, for partial_fit
        from fastnn._codes import STATE_VECTORS

        n = index.size
        vectors = optimizer.state[STATE_VECTORS:].reshape(3, n)
        vectors[...] = vectors[:, index]
    trajectory = getattr(estimator, "trajectory_", None)
    if trajectory is not None:
        estimator.trajectory_ = trajectory[:, index]
    return aligned


def align(
    model_a: Any,
    model_b: Any,
    *,
    method: str = "weights",
    X: ArrayLike | None = None,
    max_iter: int = 100,
    random_state: Seed = 0,
    return_alignment: bool = False,
) -> Any:
    """A copy of ``model_b`` with its hidden units permuted to match ``model_a``.

    The copy computes the same function as ``model_b`` (its predictions and losses are
    equal to rounding: a permutation only reorders sums); it is what to interpolate
    with ``model_a`` (:func:`fastnn.linear_barrier`, :func:`fastnn.connect`).

    Parameters
    ----------
    model_a, model_b : fitted fastnn networks of one layout
        See :func:`fastnn.linear_barrier`.
    method : {"weights", "activations"}, default "weights"
        Weight matching (no data) or activation matching on ``X`` (see
        :mod:`fastnn.connectivity._align` for the objectives and the stopping rule).
    X : array-like of shape (n_samples, n_features), optional
        The data of activation matching (as the models take it).
    max_iter : int, default 100
        Most sweeps of weight matching (``ConvergenceWarning`` when they are used up).
    random_state : int or Generator, default 0
        The order of the layers in each sweep.
    return_alignment : bool, default False
        Also return the :class:`Alignment` (permutations, sweeps, objective).

    Returns
    -------
    aligned : same type as model_b
    alignment : Alignment
        Only with ``return_alignment=True``.
    """
    check_same_function(model_a, model_b)
    method = check_option(method, "method", METHODS)
    estimator_a, estimator_b = estimator_of(model_a), estimator_of(model_b)
    if method == "weights":
        if X is not None:
            raise ValueError("X: weight matching uses no data; pass method='activations'")
        max_iter = check_int(max_iter, "max_iter")
        rng = check_random_state(random_state)
        alignment = weight_matching(
            estimator_a.layout_, estimator_a.theta_, estimator_b.theta_, max_iter, rng
        )
    else:
        if X is None:
            raise ValueError("X is required: activation matching compares activations on X")
        transform = getattr(model_a, "_x", None)
        X = check_X(
            X if transform is None else transform(X),
            n_features=estimator_a.n_features_in_,
            estimator=type(estimator_a).__name__,
        )
        alignment = activation_matching(estimator_a, estimator_b, X)
    aligned = _permuted_copy(model_b, alignment.index)
    return (aligned, alignment) if return_alignment else aligned
