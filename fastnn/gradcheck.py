"""Check backpropagation against finite differences, for any fastnn estimator."""

from __future__ import annotations

import numpy as np

from fastnn._validation import check_positive, check_vector
from fastnn.exceptions import NotFittedError

__all__ = ["gradcheck"]


def gradcheck(model, X, y, theta=None, eps=1e-6, return_details=False):
    """Compare ``model.loss_grad`` with central finite differences of the loss.

    Each partial derivative is estimated as ``(L(theta + eps e_p) - L(theta - eps e_p)) /
    (2 eps)`` and compared with the analytic gradient.  The error of parameter ``p`` is
    measured against the scale of the whole gradient,
    ``|analytic_p - numeric_p| / max_q max(|analytic_q|, |numeric_q|)``: a central
    difference carries a rounding error of about ``1e-16 |L| / eps`` in every component,
    which makes a component-by-component ratio meaningless for components far smaller
    than the largest one.  The component-wise ratios are in the details.

    Parameters
    ----------
    model : fastnn estimator
        A fitted estimator, or an unfitted one with ``theta`` given (linear and
        logistic models), anything with ``loss_grad(X, y, theta)``.
    X, y : array-like
        Data the loss is computed on.
    theta : array-like, optional
        Where to check (default: the fitted ``theta_``).
    eps : float, default 1e-6
        Finite-difference step.
    return_details : bool, default False
        Also return a dict with the analytic and numeric gradients, the per-parameter
        errors (relative to the gradient's scale, and component-wise) and the worst index.

    Returns
    -------
    max_error : float
    details : dict, only when ``return_details`` is True
        ``analytic``, ``numeric``, ``error``, ``componentwise`` (arrays of shape
        (n_params,)) and ``worst`` (the index of the largest error).

    Examples
    --------
    >>> import fastnn
    >>> X, y = fastnn.data.donut(200, seed=0)
    >>> net = fastnn.MLPClassifier((5,), activation="tanh", max_iter=5, tol=None).fit(X, y)
    >>> fastnn.gradcheck(net, X, y) < 1e-6
    True
    """
    eps = check_positive(eps, "eps")
    if theta is None:
        if not hasattr(model, "theta_"):
            raise NotFittedError(
                f"gradcheck: this {type(model).__name__} is not fitted; fit it first or pass theta="
            )
        theta = np.array(model.theta_, dtype=np.float64)
    else:
        theta = check_vector(theta, "theta").copy()
    _, analytic = model.loss_grad(X, y, theta)
    numeric = np.empty_like(analytic)
    for p in range(theta.size):
        saved = theta[p]
        theta[p] = saved + eps
        above = model.loss_grad(X, y, theta)[0]
        theta[p] = saved - eps
        below = model.loss_grad(X, y, theta)[0]
        theta[p] = saved
        numeric[p] = (above - below) / (2.0 * eps)
    scale = max(np.max(np.abs(analytic), initial=0.0), np.max(np.abs(numeric), initial=0.0))
    difference = np.abs(analytic - numeric)
    max_error = float(difference.max() / scale) if scale > 0 else float(difference.max(initial=0))
    if return_details:
        componentwise = np.divide(
            difference,
            np.maximum(np.abs(analytic), np.abs(numeric)),
            out=np.zeros_like(difference),
            where=difference > 0,
        )
        details = {
            "analytic": analytic,
            "numeric": numeric,
            "error": difference / scale if scale > 0 else difference,
            "componentwise": componentwise,
            "worst": int(np.argmax(difference)) if difference.size else -1,
        }
        return max_error, details
    return max_error
