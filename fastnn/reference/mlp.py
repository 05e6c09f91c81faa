"""numpy twins of :mod:`fastnn.kernels.mlp` (the correctness oracle).

Same layout of theta, same losses; written sample-major with matrix products, the
way a textbook writes backpropagation.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from fastnn._codes import (
    ELU,
    GELU,
    IDENTITY,
    LEAKY_RELU,
    LOG_LOSS,
    RELU,
    SIGMOID,
    SILU,
    SQUARED_ERROR,
    TANH,
)


def _layers(theta, sizes):
    """(W_l, b_l) views of theta for every layer."""
    layers = []
    position = 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = theta[position : position + fan_in * fan_out].reshape(fan_in, fan_out)
        position += fan_in * fan_out
        layers.append((W, theta[position : position + fan_out]))
        position += fan_out
    return layers


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0, e) / (1.0 + e)


def _activate(z, code, param):
    """f(z) of one hidden layer: ``code`` and ``param`` a row of the activation table."""
    if code == SIGMOID:
        return _sigmoid(z)
    if code == TANH:
        return np.tanh(z)
    if code == IDENTITY:
        return z.copy()
    if code == RELU:
        return np.maximum(z, 0.0)
    if code == LEAKY_RELU:
        return np.where(z > 0.0, z, param * z)
    if code == GELU:
        return z * 0.5 * special.erfc(-z / np.sqrt(2.0))
    if code == SILU:
        return z * _sigmoid(z)
    if code == ELU:
        return np.where(z > 0.0, z, param * np.expm1(np.minimum(z, 0.0)))
    softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    return np.where(z > param, z, softplus)


def _derivatives(z, a, code, param):
    """(f'(z), f''(z)) of one hidden layer, from its pre-activations z and outputs a.

    Sigmoid, tanh, relu and identity are written with the outputs, as the kernels do.
    """
    if code == SIGMOID:
        return a * (1.0 - a), a * (1.0 - a) * (1.0 - 2.0 * a)
    if code == TANH:
        return 1.0 - a * a, -2.0 * a * (1.0 - a * a)
    if code == IDENTITY:
        return np.ones_like(a), np.zeros_like(a)
    if code == RELU:
        return (a > 0.0).astype(a.dtype), np.zeros_like(a)
    if code == LEAKY_RELU:
        return np.where(z > 0.0, 1.0, param), np.zeros_like(z)
    if code == GELU:
        density = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
        return 0.5 * special.erfc(-z / np.sqrt(2.0)) + z * density, density * (2.0 - z * z)
    if code == SILU:
        s = _sigmoid(z)
        return s * (1.0 + z * (1.0 - s)), s * (1.0 - s) * (2.0 + z * (1.0 - 2.0 * s))
    if code == ELU:
        e = param * np.exp(np.minimum(z, 0.0))
        return np.where(z > 0.0, 1.0, e), np.where(z > 0.0, 0.0, e)
    s = _sigmoid(z)
    return np.where(z > param, 1.0, s), np.where(z > param, 0.0, s * (1.0 - s))


def _forward(X, theta, sizes, activation, pre=None):
    """Activations of every layer (input first); the last entry holds the logits.

    ``activation``: the activation table (a row per hidden layer, and one for the output
    layer when it is activated: then the last entry holds ``f(logits)``).  ``pre``, a list,
    receives every layer's pre-activations (``pre[l]`` for layer l's outputs, ``pre[0]``
    None).
    """
    layers = _layers(theta, sizes)
    outputs = [X]
    if pre is not None:
        pre.append(None)
    for l, (W, b) in enumerate(layers):
        z = outputs[-1] @ W + b
        if pre is not None:
            pre.append(z)
        if l < activation.shape[0]:
            outputs.append(_activate(z, int(activation[l, 0]), activation[l, 1]))
        else:
            outputs.append(z)
    return outputs


def _loss_terms_and_delta(Z, Y, loss):
    """Per-sample losses and d loss_i / d z."""
    if loss == SQUARED_ERROR:
        diff = Z - Y
        return np.sum(diff**2, axis=1) / Z.shape[1], 2.0 * diff / Z.shape[1]
    if loss == LOG_LOSS:
        z, y = Z[:, 0], Y[:, 0]
        terms = (np.maximum(z, 0.0) - y * z) + np.log1p(np.exp(-np.abs(z)))
        return terms, (_sigmoid(z) - y)[:, None]
    top = Z.max(axis=1, keepdims=True)
    shifted = np.exp(Z - top)
    # leave the arg-max term (exactly 1) out of the sum: log1p of the rest
    arg = Z.argmax(axis=1)
    rest = np.sum(np.where(np.arange(Z.shape[1]) == arg[:, None], 0.0, shifted), axis=1)
    log_sum = np.log1p(rest)
    terms = (top[:, 0] - np.sum(Y * Z, axis=1)) + log_sum
    return terms, shifted / (1.0 + rest)[:, None] - Y


def mlp_logits(
    X: np.ndarray, theta: np.ndarray, sizes: np.ndarray, activation: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """Output-layer pre-activations (or activated outputs) of every sample, into ``out``."""
    out[...] = _forward(X, theta, sizes, activation)[-1]
    return out


def output_loss(Z: np.ndarray, Y: np.ndarray, loss: int) -> float:
    """Mean loss of targets Y (N, K) given output logits Z (N, K)."""
    return np.mean(_loss_terms_and_delta(Z, Y, loss)[0])


def mlp_loss_grad(
    X: np.ndarray,
    Y: np.ndarray,
    theta: np.ndarray,
    sizes: np.ndarray,
    activation: np.ndarray,
    loss: int,
    grad: np.ndarray,
) -> float:
    """Mean loss of the network at theta on (X, Y); its gradient is written into ``grad``."""
    pre: list[np.ndarray] = []
    outputs = _forward(X, theta, sizes, activation, pre)
    terms, delta = _loss_terms_and_delta(outputs[-1], Y, loss)
    delta = delta / X.shape[0]
    gradients = []
    layers = _layers(theta, sizes)
    if activation.shape[0] == len(layers):  # an activated output: d/dz = d/da f'(z)
        code, param = int(activation[-1, 0]), activation[-1, 1]
        delta = delta * _derivatives(pre[-1], outputs[-1], code, param)[0]
    for l in range(len(layers) - 1, -1, -1):
        W, _ = layers[l]
        gradients.append(np.concatenate([(outputs[l].T @ delta).ravel(), delta.sum(axis=0)]))
        if l > 0:
            code, param = int(activation[l - 1, 0]), activation[l - 1, 1]
            delta = (delta @ W.T) * _derivatives(pre[l], outputs[l], code, param)[0]
    grad[:] = np.concatenate(gradients[::-1])
    return np.mean(terms)
