"""numpy twins of :mod:`fastnn.kernels.activations` (the correctness oracle).

Same names, same signatures, same formulas -- written for clarity.
"""

from __future__ import annotations

import numpy as np


def _exp_minus_abs(z):
    return np.exp(-np.abs(z))


def sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, elementwise."""
    e = _exp_minus_abs(z)
    s = 1.0 / (1.0 + e)
    out[...] = np.where(z >= 0.0, s, e * s)
    return out


def sigmoid_derivative(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``sigma(z) * (1 - sigma(z))``, elementwise."""
    e = _exp_minus_abs(z)
    out[...] = e / (1.0 + e) ** 2
    return out


def softplus(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))``, elementwise."""
    out[...] = np.maximum(z, 0.0) + np.log1p(_exp_minus_abs(z))
    return out


def softplus_derivative(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``d softplus / dz = sigma(z)``, elementwise."""
    return sigmoid(z, out)


def log_sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``log sigma(z) = -softplus(-z)``, elementwise."""
    out[...] = np.minimum(z, 0.0) - np.log1p(_exp_minus_abs(z))
    return out


def log_sigmoid_derivative(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``d log sigma(z) / dz = sigma(-z)``, elementwise."""
    return sigmoid(-z, out)
