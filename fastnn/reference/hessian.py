r"""numpy twins of :mod:`fastnn.kernels.hessian` (the correctness oracle).

Exact Hessian-vector products of the mean loss, written the way a textbook writes them:
linear models in closed form, networks by Pearlmutter's R-operator over whole-batch,
sample-major arrays.
"""

from __future__ import annotations

import numpy as np

from fastnn._codes import LEAKY_RELU, LOG_LOSS, SQUARED_ERROR
from fastnn.reference.mlp import (
    _derivatives,
    _forward,
    _layers,
    _loss_terms_and_delta,
)


def _curvature_weights(z, y, loss):
    """d^2 loss_i / dz_i^2 of a linear model's logit: 2 (squared error) or s (1 - s)."""
    if loss == SQUARED_ERROR:
        return np.full(z.shape, 2.0)
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def linear_hvp(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    loss: int,
    alpha: float,
    V: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Hessian of the mean loss at ``theta`` times each row of ``V``, into ``out``.

    ``H = [1 X]^T diag(h) [1 X] / N`` with ``h`` = 2 (squared error) or ``s (1 - s)``
    (cross-entropy), plus ``alpha / N`` on the weights (the L2 penalty
    ``alpha / (2 N) ||w||^2``).  ``V`` and ``out`` have shape (k, n_features + 1).
    """
    n = X.shape[0]
    h = _curvature_weights(theta[0] + X @ theta[1:], y, loss)
    u = V[:, :1].T + X @ V[:, 1:].T  # (n, k): the direction's change of every logit
    t = h[:, None] * u
    out[:, 0] = t.sum(axis=0) / n
    out[:, 1:] = (X.T @ t).T / n + alpha / n * V[:, 1:]
    return out


def _output_curvature_times(Z, RZ, loss):
    """(d^2 loss_i / dz^2) RZ_i for every sample: the R-operator of the output delta."""
    if loss == SQUARED_ERROR:
        return 2.0 / Z.shape[1] * RZ
    if loss == LOG_LOSS:
        e = np.exp(-np.abs(Z))
        return e / (1.0 + e) ** 2 * RZ
    p = np.exp(Z - Z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return p * (RZ - np.sum(p * RZ, axis=1, keepdims=True))


def _cache_blocks(cache, sizes):
    """Sample-major views of the cache's rows of each layer 1..L.

    (outputs, deltas, E), and the pre-activations where the cache has a fourth block.
    """
    block = int(np.sum(sizes)) - int(sizes[0])
    parts = cache.shape[0] // block
    bounds = np.cumsum([0, *sizes[1:]])
    return [
        tuple(cache[part * block + lo : part * block + hi].T for part in range(parts))
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def mlp_hvp(
    X: np.ndarray,
    Y: np.ndarray,
    theta: np.ndarray,
    sizes: np.ndarray,
    activation: np.ndarray,
    loss: int,
    alpha: float,
    V: np.ndarray,
    out: np.ndarray,
    cache: np.ndarray,
    cached: bool,
) -> np.ndarray:
    """Hessian of the network's mean loss at ``theta`` times each row of ``V``, into ``out``.

    Pearlmutter's R-operator: a forward pass of the directional derivative of every
    pre-activation, then a backward pass of the directional derivative of every delta.
    ``alpha / N`` is added on the weights (the L2 penalty ``alpha / (2 N) ||W||^2``).
    ``cache`` and ``cached`` as in the kernel: the outputs, deltas and ``delta W^T`` of
    layers 1..L (and their pre-activations, for activations whose derivatives need them),
    a row per unit, read instead of computed when ``cached``.  An output row in the
    activation table (the squared error of ``f(z)``): ``delta_L = f' E_L`` with ``E_L =
    2 (a - y) / K``, and ``R{delta_L} = (f'' E_L + 2 f'^2 / K) R{z_L}``.
    """
    n = X.shape[0]
    layers = _layers(theta, sizes)
    L = len(layers)
    keeps_pre = bool(np.any(activation[:, 0] >= LEAKY_RELU))

    def derivatives(l):  # f', f'' of layer l's outputs (hidden layer l - 1)
        return _derivatives(Z[l], A[l], int(activation[l - 1, 0]), activation[l - 1, 1])

    if cached:
        blocks = _cache_blocks(cache, sizes)
        A = [X] + [block[0] for block in blocks]
        delta = [None] + [block[1] for block in blocks]
        E = [None] + [block[2] for block in blocks]
        Z = [None] + [block[3] if keeps_pre else None for block in blocks]
    else:
        Z = []
        A = _forward(X, theta, sizes, activation, Z)  # A[l]: layer l's outputs (A[L]: logits)
        delta = [None] * (L + 1)
        E = [None] * L + [np.zeros_like(A[L])]  # E[l] = delta[l + 1] W_l^T: delta before f'
        delta[L] = _loss_terms_and_delta(A[L], Y, loss)[1]
        if activation.shape[0] == L:  # an activated output under the squared error
            E[L] = delta[L]
            delta[L] = E[L] * derivatives(L)[0]
        for l in range(L - 1, 0, -1):
            E[l] = delta[l + 1] @ layers[l][0].T
            delta[l] = E[l] * derivatives(l)[0]
        if cache.shape[0]:
            for l, block in enumerate(_cache_blocks(cache, sizes), 1):
                block[0][...], block[1][...], block[2][...] = A[l], delta[l], E[l]
                if keeps_pre:  # (the kernel keeps only the layers whose derivatives need it)
                    needs = l <= activation.shape[0] and activation[l - 1, 0] >= LEAKY_RELU
                    block[3][...] = Z[l] if needs else 0.0
    for r in range(V.shape[0]):
        directions = _layers(V[r], sizes)
        RA = [np.zeros_like(X)]
        RZ = [None]
        for l, ((W, _), (VW, Vb)) in enumerate(zip(layers, directions, strict=True)):
            rz = A[l] @ VW + Vb + RA[l] @ W
            RZ.append(rz)
            if l < L - 1:
                RA.append(derivatives(l + 1)[0] * rz)
        if activation.shape[0] == L:
            first, second = derivatives(L)
            RD = (second * E[L] + 2.0 / A[L].shape[1] * first * first) * RZ[L]
        else:
            RD = _output_curvature_times(A[L], RZ[L], loss)
        parts = []
        for l in range(L - 1, -1, -1):
            W, VW = layers[l][0], directions[l][0]
            parts.append(np.r_[(RA[l].T @ delta[l + 1] + A[l].T @ RD).ravel(), RD.sum(axis=0)])
            if l > 0:
                first, second = derivatives(l)
                RD = second * RZ[l] * E[l] + first * (delta[l + 1] @ VW.T + RD @ W.T)
        out[r] = np.concatenate(parts[::-1]) / n
        for (VW, _), (gW, _) in zip(directions, _layers(out[r], sizes), strict=True):
            gW += alpha / n * VW
    return out
