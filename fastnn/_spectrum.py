"""The Hessian's spectrum of a :class:`~fastnn.model.LossModel`: the shared numerics.

The operator that multiplies blocks by the Hessian (caching what does not depend on
the vectors), the dense Hessian, eigenpairs by ``eigh`` or Lanczos (``eigsh``) and the
extreme eigenvalues at a point.  :mod:`fastnn.curvature` (the public functions), the
model's ``metric_at``, the Hessian planes and the curvature tiles all use these; this
module imports no other part of fastnn, so none of them import each other for it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fastnn._interrupts import deferred_interrupts

# Models with at most this many parameters get the dense Hessian and eigh: n HVPs in
# blocks cost less than the Lanczos iterations of eigsh, and every eigenvalue is exact.
DENSE_MAX_PARAMS = 512
# Vectors per kernel call when the dense Hessian is assembled.
_BLOCK = 64

WHICH = {"largest": "LA", "smallest": "SA", "magnitude": "LM"}


# The forward quantities an operator keeps between products (per sample: activations,
# deltas) are kept when they take at most this many bytes.
CACHE_BYTES = 1 << 30


class HessianOperator:
    """``H @ block`` at the model's centre, keeping the direction-free quantities.

    The Hessian is over the model's parameters: all of ``theta``, or, for a network without
    biases, its weights (``lm.free``); blocks then have ``size`` columns, the weights in
    ``theta``'s order.  The first product fills the model's HVP cache (when it has one,
    ``keep`` is set and it fits in :data:`CACHE_BYTES`); later ones read it, skipping the
    forward pass and the deltas' backward pass.  Counts the products.
    """

    def __init__(self, lm, penalty: bool, keep: bool = True):
        self.lm, self.penalty = lm, penalty
        self.free = lm.free
        self.size = lm.n_free
        rows, columns = lm.hvp_cache_shape
        self.cache = None
        if keep and rows and 8 * rows * columns <= CACHE_BYTES:
            self.cache = np.empty((rows, columns))
        self.filled = False
        self.count = 0

    def __call__(self, block: np.ndarray) -> np.ndarray:
        if self.free is not None:  # the weights, embedded in theta (the biases stay 0)
            full = np.zeros((block.shape[0], self.lm.n_params))
            full[:, self.free] = block
            block = full
        out = hvp_held(self.lm, self.lm.theta, block, self.penalty, self.cache, self.filled)
        self.filled = self.cache is not None
        self.count += block.shape[0]
        return out if self.free is None else np.ascontiguousarray(out[:, self.free])

    def embed(self, vectors: np.ndarray) -> np.ndarray:
        """Rows of ``size`` entries as rows of ``theta``'s length (0 where fixed)."""
        if self.free is None:
            return vectors
        full = np.zeros((vectors.shape[0], self.lm.n_params))
        full[:, self.free] = vectors
        return full


def hvp_held(lm, theta, block, *args):
    """``lm.hvp(theta, block, *args)`` with Ctrl-C held until it returns, then raised.

    A KeyboardInterrupt inside a parallel numba kernel surfaces as a SystemError; every
    product runs as one bounded kernel call, so Ctrl-C waits at most one product.
    """
    with deferred_interrupts() as interrupted:
        out = lm.hvp(theta, block, *args)
    if interrupted():
        raise KeyboardInterrupt
    return out


def dense_hessian(lm, penalty: bool = False) -> np.ndarray:
    """The dense Hessian at ``lm.theta``: HVPs of unit vectors by blocks, symmetrised.

    Over the model's parameters (``lm.n_free`` of them: a network without biases, its
    weights).
    """
    product = HessianOperator(lm, penalty)
    n = product.size
    H = np.empty((n, n))
    for start in range(0, n, _BLOCK):
        stop = min(n, start + _BLOCK)
        units = np.zeros((stop - start, n))
        units[np.arange(stop - start), np.arange(start, stop)] = 1.0
        H[start:stop] = product(units)
    return 0.5 * (H + H.T)


def linear_operator(product: HessianOperator):
    from scipy.sparse.linalg import LinearOperator

    n = product.size

    def matmat(V):
        V = np.asarray(V, dtype=np.float64)
        return product(np.ascontiguousarray(V.reshape(n, -1).T)).T

    def matvec(v):
        return matmat(np.reshape(v, (-1, 1)))[:, 0]

    return LinearOperator(
        (n, n), matvec=matvec, matmat=matmat, rmatvec=matvec, rmatmat=matmat, dtype=np.float64
    )


def order(values, which: str) -> np.ndarray:
    if which == "largest":
        return np.argsort(-values, kind="stable")
    if which == "smallest":
        return np.argsort(values, kind="stable")
    return np.argsort(-np.abs(values), kind="stable")


def canonical_signs(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled by the sign of its largest-magnitude entry (eigenvectors' sign is free)."""
    rows = np.arange(vectors.shape[0])
    signs = np.sign(vectors[rows, np.argmax(np.abs(vectors), axis=1)])
    return vectors * np.where(signs == 0, 1.0, signs)[:, None]


def auto_method(n: int, k: int) -> str:
    """``method="auto"``: dense up to :data:`DENSE_MAX_PARAMS` parameters (or nearly all pairs)."""
    return "dense" if n <= DENSE_MAX_PARAMS or k >= n - 1 else "lanczos"


def eigenpairs(lm, k: int, which: str, method: str, tol: float, rng, penalty: bool = False):
    """``k`` extreme eigenpairs at ``lm.theta``: (values, unit vectors as rows, products).

    ``method`` "dense" (``eigh``) or "lanczos" (``eigsh`` from ``rng``'s normal vector).
    Over the model's parameters (a network without biases: its weights); the vectors
    have ``theta``'s length (0 on the biases of such a network).
    """
    product = HessianOperator(lm, penalty)
    n = product.size
    if method == "dense":
        values, vectors = np.linalg.eigh(dense_hessian(lm, penalty))
        pick = order(values, which)[:k]
        return values[pick], product.embed(canonical_signs(vectors[:, pick].T)), n
    from scipy.sparse.linalg import eigsh

    start = rng.normal(size=n)
    values, vectors = eigsh(linear_operator(product), k=k, which=WHICH[which], tol=tol, v0=start)
    pick = order(values, which)
    return values[pick], product.embed(canonical_signs(vectors[:, pick].T)), product.count


def extreme_eigenvalues(lm, theta: np.ndarray, which=("largest",), tol: float = 0.0) -> tuple:
    """The largest and/or smallest eigenvalue of the Hessian (data term) at ``theta``.

    One value per entry of ``which`` ("largest" or "smallest").  Models of at most
    :data:`DENSE_MAX_PARAMS` parameters: the dense Hessian (one pass over the data for
    all its columns) and one ``eigvalsh`` for every end asked, exact.  Larger ones: one
    eigsh run per end (Lanczos, relative tolerance ``tol``, a fixed starting vector so that
    a point's value depends on its parameters only), the direction-free quantities
    cached across the products of both runs.
    """
    at = dataclasses.replace(lm, theta=np.ascontiguousarray(theta, dtype=np.float64))
    n = lm.n_free
    if n <= DENSE_MAX_PARAMS:
        H = HessianOperator(at, False, keep=False)(np.eye(n))
        values = np.linalg.eigvalsh(0.5 * (H + H.T))
        return tuple(float(values[-1] if end == "largest" else values[0]) for end in which)
    from scipy.sparse.linalg import eigsh

    operator = linear_operator(HessianOperator(at, False))
    found = []
    for end in which:
        start = np.random.default_rng(0).normal(size=n)
        value = eigsh(operator, k=1, which=WHICH[end], tol=tol, v0=start,
                      return_eigenvectors=False)  # fmt: skip
        found.append(float(value[0]))
    return tuple(found)
