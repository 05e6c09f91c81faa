"""numpy twins of :mod:`fastnn.kernels.surface` (the correctness oracle and the baseline).

Grid rows are evaluated one at a time with array expressions over (samples x a block of
columns); :func:`mlp_surface` loops over the grid points in Python, one vectorised
forward pass per point -- what existing loss-landscape tools do.
"""

from __future__ import annotations

import numpy as np

from fastnn._codes import ACCURACY
from fastnn.reference.mlp import _activate, _forward, _loss_terms_and_delta

# Samples x columns evaluated at once: bounds the temporaries to about 32 MB.
_BLOCK_VALUES = 1 << 22


def _column_blocks(n_samples, n_columns):
    step = max(1, _BLOCK_VALUES // max(n_samples, 1))
    return [slice(lo, min(lo + step, n_columns)) for lo in range(0, n_columns, step)]


def _softplus(z):
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def mse_surface_stats(
    z0: np.ndarray, zu: np.ndarray, zv: np.ndarray, y: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """The nine numbers that define the squared-error surface, into ``out``."""
    r = z0 - y
    means = np.array([r.mean(), zu.mean(), zv.mean()])
    rc, uc, vc = r - means[0], zu - means[1], zv - means[2]
    out[:3] = means
    out[3:] = [
        np.mean(rc * rc),
        np.mean(rc * uc),
        np.mean(rc * vc),
        np.mean(uc * uc),
        np.mean(uc * vc),
        np.mean(vc * vc),
    ]
    return out


def mse_surface_quadratic(
    stats: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """Mean squared error at every grid point, from :func:`mse_surface_stats`."""
    mr, mu, mv, srr, sru, srv, suu, suv, svv = stats
    A = a[:, None]
    B = b[None, :]
    mean = mr + A * mu + B * mv
    quadratic = srr + 2.0 * A * sru + 2.0 * B * srv + A * A * suu + 2.0 * A * B * suv + B * B * svv
    out[...] = mean * mean + np.maximum(quadratic, 0.0)
    return out


def mse_surface_brute(
    z0: np.ndarray,
    zu: np.ndarray,
    zv: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Mean squared error at every grid point, summed over the samples."""
    for i, ai in enumerate(a):
        w = (z0 - y) + ai * zu
        for cols in _column_blocks(y.size, b.size):
            t = w[:, None] + zv[:, None] * b[None, cols]
            out[i, cols] = np.mean(t * t, axis=0)
    return out


def bce_surface(
    z0: np.ndarray,
    zu: np.ndarray,
    zv: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Mean binary cross-entropy (from the logits) at every grid point."""
    c = (y >= 0.5).astype(np.float64)
    sign = 1.0 - 2.0 * c
    f = y - c
    h0, hu, hv = np.mean(f * z0), np.mean(f * zu), np.mean(f * zv)
    zv_signed = sign * zv
    for i, ai in enumerate(a):
        w = sign * (z0 + ai * zu)
        for cols in _column_blocks(y.size, b.size):
            t = w[:, None] + zv_signed[:, None] * b[None, cols]
            out[i, cols] = np.mean(_softplus(t), axis=0) - (h0 + ai * hu + b[cols] * hv)
    return out


def accuracy_surface(
    z0: np.ndarray,
    zu: np.ndarray,
    zv: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Accuracy of a linear classifier at every grid point (logit > 0 is class 1)."""
    positive = y >= 0.5
    for i, ai in enumerate(a):
        w = z0 + z0.dtype.type(ai) * zu
        for cols in _column_blocks(y.size, b.size):
            t = w[:, None] + zv[:, None] * b[None, cols].astype(z0.dtype)
            out[i, cols] = np.mean((t > 0.0) == positive[:, None], axis=0)
    return out


def _correct(logits, Y):
    """Per-sample 1.0 where the predicted class (as ``predict``) is the target's."""
    if logits.shape[1] == 1:
        return ((logits[:, 0] > 0.0) == (Y[:, 0] >= 0.5)) * 1.0
    predicted = np.argmax(logits, axis=1)
    return (Y[np.arange(Y.shape[0]), predicted] >= 0.5) * 1.0


def mlp_surface(
    X: np.ndarray,
    Y: np.ndarray,
    origin: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    sizes: np.ndarray,
    activation: np.ndarray,
    loss: int,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Mean loss (or accuracy) of the network at every grid point, one forward pass each."""
    for i, ai in enumerate(a):
        for j, bj in enumerate(b):
            theta = origin + ai * u + bj * v
            logits = _forward(X, theta, sizes, activation)[-1]
            if loss == ACCURACY:
                out[i, j] = np.mean(_correct(logits, Y))
            else:
                out[i, j] = np.mean(_loss_terms_and_delta(logits, Y, loss)[0])
    return out


def plane_layer(
    P: np.ndarray,
    a: float,
    b: float,
    scale: np.ndarray,
    shift: np.ndarray,
    activation: np.ndarray,
    layer: int,
    out: np.ndarray,
) -> np.ndarray:
    """A layer's outputs at the point ``(a, b)`` of a plane, with a per-unit affine map."""
    z = (P[0] + a * P[1] + b * P[2]) * scale + shift
    if layer < activation.shape[0]:
        z = _activate(z, int(activation[layer, 0]), activation[layer, 1])
    out[...] = z
    return out
