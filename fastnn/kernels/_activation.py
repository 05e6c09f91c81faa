r"""Hidden-layer activations and their derivatives, shared by every CPU network kernel.

A network's hidden activations reach the kernels as an *activation table*: a float64
``(n_hidden, 2)`` array whose row ``l`` holds hidden layer ``l``'s code
(:mod:`fastnn._codes`) and its parameter -- leaky_relu's negative slope, elu's alpha,
softplus's threshold (above it softplus is ``z``, as PyTorch's); 0 for the others.  Made
by :func:`fastnn._activations.activation_table`.  A regression network with an output
activation (the squared error of ``f(z)``, as a torch ``Linear -> Sigmoid`` trained with
``MSELoss``) has one more row, the output layer's: layer ``l`` is activated when the
table has a row ``l`` (:func:`_activated`).

Sigmoid, tanh, relu and identity write their derivatives with the layer's output
``a = f(z)``, as they always have (the bits of those networks are unchanged).  The
others need the pre-activation ``z`` itself: a kernel keeps a layer's pre-activations
(:func:`_needs_pre`) before activating it in place, and hands both to the derivatives.

With the normal CDF Phi and density phi:

* leaky_relu (slope s): f = z (z > 0) or s z; f' = 1 or s; f'' = 0.
* gelu: f = z Phi(z); f' = Phi + z phi; f'' = phi (2 - z^2).
* silu: f = z sigma(z); f' = sigma (1 + z (1 - sigma));
  f'' = sigma (1 - sigma) (2 + z (1 - 2 sigma)).
* elu (alpha): f = z (z > 0) or alpha expm1(z); f' = 1 or alpha e^z; f'' = 0 or alpha e^z.
* softplus (threshold t): f = z (z > t) or log(1 + e^z); f' = 1 or sigma;
  f'' = 0 or sigma (1 - sigma).

``Phi(z) = erfc(-z / sqrt 2) / 2`` (no cancellation for negative z), with fastnn's
vectorisable erfc (:func:`fastnn.kernels._math._erfc`: 5 ns an element where libm's
erfc took 25-34 ns, not vectorised).  Float32 arrays
(float32 surfaces) are activated in float64 and rounded once, except the four original
activations, which keep their float32 formulas.
"""

from __future__ import annotations

import math

from fastnn._codes import ELU, GELU, IDENTITY, LEAKY_RELU, RELU, SIGMOID, SILU, TANH
from fastnn._numba import njit
from fastnn.kernels._math import (
    _cast_like,
    _erfc,
    _exp,
    _exp_term,
    _expm1_nonpositive,
    _tanh,
)
from fastnn.kernels.activations import _sigmoid, _softplus

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(inline=True)
def _layer(activation, l):
    """(code, parameter) of hidden layer ``l`` in an activation table."""
    return int(activation[l, 0]), activation[l, 1]


@njit(inline=True)
def _activated(activation, l):
    """Whether layer ``l``'s outputs are activated (hidden layers; an output row's layer)."""
    return l < activation.shape[0]


@njit(inline=True)
def _needs_pre(code):
    """Whether the derivatives of ``code`` need the pre-activations (not only the output)."""
    return code >= LEAKY_RELU


@njit()
def _any_needs_pre(activation):
    for l in range(activation.shape[0]):
        if _needs_pre(int(activation[l, 0])):
            return True
    return False


@njit(inline=True)
def _hidden_sigmoid(z):
    """Sigmoid of a hidden unit: exp without subnormals (below 3e-308 an output is 0).

    A hidden activation of 1e-308 and one of 0 feed the next layer the same way; the
    cheaper exp made the lecture network's training and loss surfaces faster.  A float32
    ``z`` (float32 loss surfaces) is computed in float32 throughout.
    """
    e = _exp_term(-abs(z))
    one = _cast_like(1.0, z)
    s = one / (one + e)
    return s if z >= 0.0 else e * s


# One small function per activation (and per derivative pair): each loop below inlines only
# its own activation's code, where a shared function branching on a constant code put all
# five activations' code (GELU's erfc polynomial among them) into every loop for LLVM to
# prune.  (The compile time it saves was within this machine's noise: bench/RESULTS.md.)
@njit(inline=True)
def _leaky_relu(z, slope):
    return z if z > 0.0 else slope * z


@njit(inline=True)
def _gelu(z):
    return z * (0.5 * _erfc(-z * _SQRT_HALF))


@njit(inline=True)
def _silu(z):
    return z * _sigmoid(z)


@njit(inline=True)
def _elu(z, alpha):
    return z if z > 0.0 else alpha * _expm1_nonpositive(z)


@njit(inline=True)
def _softplus_above(z, threshold):
    return z if z > threshold else _softplus(z)


@njit(inline=True)
def _leaky_relu_derivatives(z, slope):
    return (1.0 if z > 0.0 else slope), 0.0


@njit(inline=True)
def _gelu_derivatives(z):
    density = _INV_SQRT_2PI * _exp(-0.5 * z * z)
    return 0.5 * _erfc(-z * _SQRT_HALF) + z * density, density * (2.0 - z * z)


@njit(inline=True)
def _silu_derivatives(z):
    s = _sigmoid(z)
    return s * (1.0 + z * (1.0 - s)), s * (1.0 - s) * (2.0 + z * (1.0 - 2.0 * s))


@njit(inline=True)
def _elu_derivatives(z, alpha):
    if z > 0.0:
        return 1.0, 0.0
    e = alpha * _exp(z)
    return e, e


@njit(inline=True)
def _softplus_derivatives(z, threshold):
    if z > threshold:
        return 1.0, 0.0
    s = _sigmoid(z)
    return s, s * (1.0 - s)


@njit(inline=True)
def _activate(Z, code, param, width):
    """Apply activation ``code`` to the first ``width`` columns of Z, in place.

    Z may be float32 (float32 surfaces): the original four keep their float32 formulas,
    the others are computed in float64 and rounded.  Inlined, with the original four's
    loops: a call per block of the trainability lanes cost them 5-7% (the activation of a
    4-sample block is a few hundred values); the others stay one call away.
    """
    if code <= IDENTITY:
        _activate_original(Z, code, width)
    else:
        _activate_with_pre(Z, code, param, width)


@njit(inline=True)
def _activate_original(Z, code, width):
    zero = _cast_like(0.0, Z)
    for k in range(Z.shape[0]):
        row = Z[k]
        if code == SIGMOID:
            for i in range(width):
                row[i] = _hidden_sigmoid(row[i])
        elif code == TANH:
            for i in range(width):
                row[i] = _tanh(row[i])
        elif code == RELU:
            for i in range(width):
                row[i] = max(row[i], zero)


@njit(inline=True)
def _activate_into(source, target, code, width):
    """target[:width] = f(source[:width]) for sigmoid, tanh, relu or identity (float64 rows).

    Separate rows, not one row in place: a loop whose two arrays may be one is compiled
    with a runtime overlap check, which an in-place call would always fail.
    """
    if code == SIGMOID:
        for i in range(width):
            target[i] = _hidden_sigmoid(source[i])
    elif code == TANH:
        for i in range(width):
            target[i] = _tanh(source[i])
    elif code == RELU:
        for i in range(width):
            target[i] = max(source[i], 0.0)
    else:
        for i in range(width):
            target[i] = source[i]


@njit()
def _activate_with_pre(Z, code, param, width):
    """The activations whose derivatives need pre-activations, each loop's code a constant."""
    for k in range(Z.shape[0]):
        row = Z[k]
        if code == LEAKY_RELU:
            for i in range(width):
                row[i] = _leaky_relu(float(row[i]), param)
        elif code == GELU:
            for i in range(width):
                row[i] = _gelu(float(row[i]))
        elif code == SILU:
            for i in range(width):
                row[i] = _silu(float(row[i]))
        elif code == ELU:
            for i in range(width):
                row[i] = _elu(float(row[i]), param)
        else:
            for i in range(width):
                row[i] = _softplus_above(float(row[i]), param)


@njit(inline=True)
def _keep_and_activate(Z, P, code, param, width):
    """Copy Z's first ``width`` columns into P when ``code`` needs them, then activate Z."""
    if _needs_pre(code):
        for k in range(Z.shape[0]):
            z, p = Z[k], P[k]
            for i in range(width):
                p[i] = z[i]
    _activate(Z, code, param, width)


@njit(inline=True)
def _scale_by_derivative(D, A, P, code, param, width):
    """D[:, :width] *= f'(z), from the outputs A (or, where needed, the pre-activations P)."""
    for k in range(D.shape[0]):
        d, a = D[k], A[k]
        if code == SIGMOID:
            for i in range(width):
                d[i] *= a[i] * (1.0 - a[i])
        elif code == TANH:
            for i in range(width):
                d[i] *= 1.0 - a[i] * a[i]
        elif code == RELU:
            for i in range(width):
                d[i] = d[i] if a[i] > 0.0 else 0.0
        elif code != IDENTITY:
            _scale_by_first(d, P[k], code, param, width)


@njit()
def _scale_by_output_derivative(D, A, P, activation, l, width):
    """:func:`_scale_by_derivative` by output row ``l``'s f'.

    A call, not inlined: the loops of networks without an output row stay as they were.
    """
    code, param = _layer(activation, l)
    _scale_by_derivative(D, A, P, code, param, width)


@njit()
def _scale_by_first(d, p, code, param, width):
    """d[:width] *= f'(z) for the activations that need pre-activations, a loop per code."""
    if code == LEAKY_RELU:
        for i in range(width):
            d[i] *= _leaky_relu_derivatives(p[i], param)[0]
    elif code == GELU:
        for i in range(width):
            d[i] *= _gelu_derivatives(p[i])[0]
    elif code == SILU:
        for i in range(width):
            d[i] *= _silu_derivatives(p[i])[0]
    elif code == ELU:
        for i in range(width):
            d[i] *= _elu_derivatives(p[i], param)[0]
    else:
        for i in range(width):
            d[i] *= _softplus_derivatives(p[i], param)[0]


@njit()
def _derivative_rows(F, S, A, P, code, param, width):
    """F[:, :width] = f'(z) and S[:, :width] = f''(z) of a layer.

    From the outputs A and, where needed, the pre-activations P; one loop per activation,
    its code a constant, so that each vectorises (a per-element branch over nine
    activations kept the R-operator's loops scalar: 1.55x slower).
    """
    for k in range(F.shape[0]):
        first, second, a = F[k], S[k], A[k]
        if code == SIGMOID:
            for i in range(width):
                first[i] = a[i] * (1.0 - a[i])
                second[i] = first[i] * (1.0 - 2.0 * a[i])
        elif code == TANH:
            for i in range(width):
                first[i] = 1.0 - a[i] * a[i]
                second[i] = -2.0 * a[i] * first[i]
        elif code == IDENTITY:
            for i in range(width):
                first[i] = 1.0
                second[i] = 0.0
        elif code == RELU:
            for i in range(width):
                first[i] = 1.0 if a[i] > 0.0 else 0.0
                second[i] = 0.0
        else:
            _first_second_rows(first, second, P[k], code, param, width)


@njit()
def _first_second_rows(first, second, p, code, param, width):
    """:func:`_derivative_rows` of one unit for the activations that need pre-activations."""
    if code == LEAKY_RELU:
        for i in range(width):
            first[i], second[i] = _leaky_relu_derivatives(p[i], param)
    elif code == GELU:
        for i in range(width):
            first[i], second[i] = _gelu_derivatives(p[i])
    elif code == SILU:
        for i in range(width):
            first[i], second[i] = _silu_derivatives(p[i])
    elif code == ELU:
        for i in range(width):
            first[i], second[i] = _elu_derivatives(p[i], param)
    else:
        for i in range(width):
            first[i], second[i] = _softplus_derivatives(p[i], param)
