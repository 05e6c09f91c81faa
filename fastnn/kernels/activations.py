"""Stable sigmoid, log-sigmoid and softplus, and their derivatives (numba).

Each public kernel maps a contiguous 1-D float64 array ``z`` into ``out``
(which may be ``z`` itself) and returns ``out``.  The private scalar forms
(``_sigmoid``, ``_softplus``, ...) are the building blocks other kernels call
inside their own loops.

All of them are written around ``e = exp(-|z|)``, which lies in ``[0, 1]`` for
every finite ``z``: nothing overflows, and no difference of nearly equal
numbers is formed, so the results are accurate to a few ulp for any logit
(``+-800`` included).  Reference: :mod:`fastnn.reference.activations`.
"""

from __future__ import annotations

import numpy as np

from fastnn._numba import njit
from fastnn.kernels._math import _exp, _log1p_unit


@njit(inline=True)
def _sigmoid(z):
    e = _exp(-abs(z))
    s = 1.0 / (1.0 + e)
    return s if z >= 0.0 else e * s


@njit(inline=True)
def _softplus(z):
    """log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)) (division-free: exp(-|z|) is in [0, 1])."""
    return max(z, 0.0) + _log1p_unit(_exp(-abs(z)))


@njit(inline=True)
def _sigmoid_derivative(z):
    """sigma(z) (1 - sigma(z)) = e / (1 + e)^2 with e = exp(-|z|) (even in z)."""
    e = _exp(-abs(z))
    s = 1.0 / (1.0 + e)
    return e * s * s


@njit()
def sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, elementwise."""
    for i in range(z.size):
        out[i] = _sigmoid(z[i])
    return out


@njit()
def sigmoid_derivative(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``sigma(z) * (1 - sigma(z))``, elementwise."""
    for i in range(z.size):
        out[i] = _sigmoid_derivative(z[i])
    return out


@njit()
def softplus(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))``, elementwise."""
    for i in range(z.size):
        out[i] = _softplus(z[i])
    return out


@njit()
def softplus_derivative(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``d softplus / dz = sigma(z)``, elementwise."""
    for i in range(z.size):
        out[i] = _sigmoid(z[i])
    return out


@njit()
def log_sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``log sigma(z) = -softplus(-z)``, elementwise."""
    for i in range(z.size):
        out[i] = -_softplus(-z[i])
    return out


@njit()
def log_sigmoid_derivative(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``d log sigma(z) / dz = sigma(-z)``, elementwise."""
    for i in range(z.size):
        out[i] = _sigmoid(-z[i])
    return out
