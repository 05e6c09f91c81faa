"""Derivatives of networks with batch normalisation's parameters, through their fold.

A normalised layer's folded parameters are ``W' = W c`` and ``b' = (b - mean) c + beta``
with ``c = gamma s`` per unit (``s = 1 / sqrt(var + eps)`` fixed): bilinear in the
module's parameters.  The network kernels compute the loss, its gradient ``g'`` and
Hessian-vector products ``H' v'`` over the folded parameters; here they come back to the
module's:

* the gradient is ``J^T g'`` (:func:`pull_back`): ``g_W = g_W' c``, ``g_b = g_b' c``,
  ``g_gamma = s (sum_i g_W'[i] * W[i] + g_b' (b - mean))``, ``g_beta = g_b'``;
* the Hessian times ``v`` is ``J^T H' (J v) + K(v)``, with ``J v`` from
  :func:`push_forward` (``dW c + W dgamma s``, ``db c + (b - mean) dgamma s + dbeta``)
  and ``K(v)`` the fold's own curvature against ``g'`` (:func:`fold_curvature`):
  ``g_W' dgamma s`` on ``W``, ``g_b' dgamma s`` on ``b``, and
  ``s (sum_i g_W'[i] * dW[i] + g_b' db)`` on ``gamma``.

Layers without normalisation map their weights and biases unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from fastnn.layout import BatchNormLayout


def _layers(layout: BatchNormLayout, theta: np.ndarray, vector: np.ndarray, folded: bool):
    """Per layer: theta's and the vector's ``(W, b, norm)`` views, mean and scale.

    ``folded``: the vector is in the folded layout (its norm None).
    """
    into = layout.folded if folded else layout
    return zip(
        layout.coefs(theta), layout.intercepts(theta), layout.norms(theta),
        into.coefs(vector), into.intercepts(vector),
        [None] * layout.n_layers if folded else layout.norms(vector),
        layout.means, layout.scales,
        strict=True,
    )  # fmt: skip


def pull_back(layout: BatchNormLayout, theta: np.ndarray, folded: np.ndarray) -> np.ndarray:
    """``J^T g'``: a folded-layout gradient (or co-vector) ``folded`` in the module's layout."""
    out = np.zeros(layout.n_params)
    out_parts = zip(layout.coefs(out), layout.intercepts(out), layout.norms(out), strict=True)
    for (W, b, norm, gW, gb, _, mean, scale), (oW, ob, onorm) in zip(
        _layers(layout, theta, folded, True), out_parts, strict=True
    ):
        if norm is None or onorm is None:  # both or neither: one layout
            oW[...], ob[...] = gW, gb
            continue
        c = norm[0] * scale
        oW[...], ob[...] = gW * c, gb * c
        onorm[0][...] = scale * (np.einsum("ij,ij->j", gW, W) + gb * (b - mean))
        onorm[1][...] = gb
    return out


def push_forward(layout: BatchNormLayout, theta: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``J v``: a module-layout direction ``vector`` as the folded parameters' change."""
    out = np.empty(layout.folded.n_params)
    out_parts = zip(layout.folded.coefs(out), layout.folded.intercepts(out), strict=True)
    for (W, b, norm, dW, db, dnorm, mean, scale), (oW, ob) in zip(
        _layers(layout, theta, vector, False), out_parts, strict=True
    ):
        if norm is None or dnorm is None:  # both or neither: one layout
            oW[...], ob[...] = dW, db
            continue
        c, dc = norm[0] * scale, dnorm[0] * scale
        oW[...] = dW * c + W * dc
        ob[...] = db * c + (b - mean) * dc + dnorm[1]
    return out


def fold_curvature(
    layout: BatchNormLayout, theta: np.ndarray, folded_gradient: np.ndarray, vector: np.ndarray
) -> np.ndarray:
    """``K(v)``: the derivative of ``J^T g'`` along ``vector`` with ``g'`` held fixed."""
    out = np.zeros(layout.n_params)
    out_parts = zip(layout.coefs(out), layout.intercepts(out), layout.norms(out), strict=True)
    gradient_parts = zip(
        layout.folded.coefs(folded_gradient), layout.folded.intercepts(folded_gradient),
        strict=True,
    )  # fmt: skip
    for (_, _, norm, dW, db, dnorm, _, scale), (gW, gb), (oW, ob, onorm) in zip(
        _layers(layout, theta, vector, False), gradient_parts, out_parts, strict=True
    ):
        if norm is None or dnorm is None or onorm is None:  # all or none: one layout
            continue
        dc = dnorm[0] * scale
        oW[...], ob[...] = gW * dc, gb * dc
        onorm[0][...] = scale * (np.einsum("ij,ij->j", gW, dW) + gb * db)
    return out
