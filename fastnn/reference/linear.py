"""numpy twins of :mod:`fastnn.kernels.linear` (the correctness oracle)."""

from __future__ import annotations

import numpy as np

from fastnn._codes import LOG_LOSS, SQUARED_ERROR


def _bce_terms(z, y):
    return (np.maximum(z, 0.0) - y * z) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0, e) / (1.0 + e)


def _loss_and_residuals(X, y, theta, loss):
    """Mean loss and r = dl_i/dz_i of the linear model at theta."""
    z = theta[0] + X @ theta[1:]
    if loss == SQUARED_ERROR:
        return np.mean((z - y) ** 2), 2.0 * (z - y)
    return np.mean(_bce_terms(z, y)), _sigmoid(z) - y


def _loss_grad(X, y, theta, loss, grad):
    value, r = _loss_and_residuals(X, y, theta, loss)
    grad[0] = np.mean(r)
    grad[1:] = X.T @ r / X.shape[0]
    return value


def linear_logits(X: np.ndarray, theta: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``theta[0] + X @ theta[1:]`` into ``out``; returns ``out``."""
    out[...] = theta[0] + X @ theta[1:]
    return out


def mse_loss(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
    """Mean squared error of the linear model at ``theta``."""
    return _loss_and_residuals(X, y, theta, SQUARED_ERROR)[0]


def mse_loss_grad(X: np.ndarray, y: np.ndarray, theta: np.ndarray, grad: np.ndarray) -> float:
    """Mean squared error at ``theta``; its gradient is written into ``grad``."""
    return _loss_grad(X, y, theta, SQUARED_ERROR, grad)


def bce_loss(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
    """Mean binary cross-entropy of the logistic model at ``theta`` (from logits)."""
    return _loss_and_residuals(X, y, theta, LOG_LOSS)[0]


def bce_loss_grad(X: np.ndarray, y: np.ndarray, theta: np.ndarray, grad: np.ndarray) -> float:
    """Mean binary cross-entropy at ``theta``; its gradient is written into ``grad``."""
    return _loss_grad(X, y, theta, LOG_LOSS, grad)


def bce_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of targets ``y`` given logits ``z``."""
    return np.mean(_bce_terms(z, y))
