"""numpy twins of :mod:`fastnn.kernels.mlp` (the correctness oracle).

Same layout of theta, same losses; written sample-major with matrix products, the
way a textbook writes backpropagation.
"""

from __future__ import annotations

import numpy as np

from fastnn._codes import IDENTITY, LOG_LOSS, SIGMOID, SQUARED_ERROR, TANH


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


def _activate(z, activation):
    if activation == SIGMOID:
        return _sigmoid(z)
    if activation == TANH:
        return np.tanh(z)
    if activation == IDENTITY:
        return z.copy()
    return np.maximum(z, 0.0)


def _derivative_from_output(a, activation):
    if activation == SIGMOID:
        return a * (1.0 - a)
    if activation == TANH:
        return 1.0 - a * a
    if activation == IDENTITY:
        return np.ones_like(a)
    return (a > 0.0).astype(a.dtype)


def _forward(X, theta, sizes, activation):
    """Activations of every layer (input first); the last entry holds the logits."""
    layers = _layers(theta, sizes)
    outputs = [X]
    for l, (W, b) in enumerate(layers):
        z = outputs[-1] @ W + b
        outputs.append(z if l == len(layers) - 1 else _activate(z, activation))
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


def mlp_logits(X, theta, sizes, activation, out):
    """Output-layer pre-activations of every sample, shape (N, sizes[-1]), into ``out``."""
    out[...] = _forward(X, theta, sizes, activation)[-1]
    return out


def output_loss(Z, Y, loss):
    """Mean loss of targets Y (N, K) given output logits Z (N, K)."""
    return np.mean(_loss_terms_and_delta(Z, Y, loss)[0])


def mlp_loss_grad(X, Y, theta, sizes, activation, loss, grad):
    """Mean loss of the network at theta on (X, Y); its gradient is written into ``grad``."""
    outputs = _forward(X, theta, sizes, activation)
    terms, delta = _loss_terms_and_delta(outputs[-1], Y, loss)
    delta = delta / X.shape[0]
    gradients = []
    layers = _layers(theta, sizes)
    for l in range(len(layers) - 1, -1, -1):
        W, _ = layers[l]
        gradients.append(np.concatenate([(outputs[l].T @ delta).ravel(), delta.sum(axis=0)]))
        if l > 0:
            delta = (delta @ W.T) * _derivative_from_output(outputs[l], activation)
    grad[:] = np.concatenate(gradients[::-1])
    return np.mean(terms)
