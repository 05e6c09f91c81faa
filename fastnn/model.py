"""The model interface: a model's loss as a function of one flat parameter vector.

Every engine that evaluates a model away from its fitted parameters -- loss surfaces and
lines today -- sees a model only as a :class:`LossModel`: the data and encoded targets,
the centre ``theta``, the parameter layout, the loss and activation codes the kernels
understand, and the backend.  Each fastnn estimator builds one with its
:meth:`loss_model` method; :func:`as_loss_model` accepts what users pass to the engines
(a fitted estimator, or an estimator class or unfitted instance plus a centre).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fastnn._activations import needs_pre_activations
from fastnn._backends import backend_module
from fastnn._codes import LOG_LOSS, SOFTMAX_LOG_LOSS, SQUARED_ERROR
from fastnn.layout import BatchNormLayout, LinearLayout, MLPLayout

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType
    from typing import Any

    from fastnn._typing import ArrayLike


LINEAR, NETWORK = "linear", "mlp"
# A network with batch normalisation's gamma and beta among its parameters
# (:class:`~fastnn.layout.BatchNormLayout`): evaluated through its fold.
NORMED_NETWORK = "mlp-batchnorm"

LOSS_NAMES = {
    SQUARED_ERROR: "mean squared error",
    LOG_LOSS: "binary cross-entropy",
    SOFTMAX_LOG_LOSS: "cross-entropy",
}


def _linear_loss_grad(impl, model, theta, grad):
    kernel = impl.mse_loss_grad if model.loss == SQUARED_ERROR else impl.bce_loss_grad
    return kernel(model.X, model.target, theta, grad)


def _network_loss_grad(impl, model, theta, grad):
    return impl.mlp_loss_grad(
        model.X, model.target, theta, model.layout.sizes, model.activation, model.loss, grad
    )


def _normed_loss_grad(impl, model, theta, grad):
    from fastnn._batch_norm import pull_back

    layout = model.layout
    folded_gradient = np.empty(layout.folded.n_params)
    value = impl.mlp_loss_grad(
        model.X, model.target, layout.fold(theta), layout.sizes, model.activation, model.loss,
        folded_gradient,
    )  # fmt: skip
    grad[:] = pull_back(layout, theta, folded_gradient)
    return value


# One entry per model family: the kernel giving the mean loss and its gradient.
_LOSS_GRAD = {
    LINEAR: _linear_loss_grad,
    NETWORK: _network_loss_grad,
    NORMED_NETWORK: _normed_loss_grad,
}


def _linear_logits(impl, model, theta):
    return impl.linear_logits(model.X, theta, np.empty(model.X.shape[0]))[:, None]


def _network_logits(impl, model, theta):
    out = np.empty((model.X.shape[0], model.layout.sizes[-1]))
    return impl.mlp_logits(model.X, theta, model.layout.sizes, model.activation, out)


def _normed_logits(impl, model, theta):
    return _network_logits(impl, model, model.layout.fold(theta))


# The logits (n_samples, n_outputs) at theta, for predictions.
_LOGITS = {LINEAR: _linear_logits, NETWORK: _network_logits, NORMED_NETWORK: _normed_logits}


def _linear_hvp(impl, model, theta, alpha, V, out, cache, cached):
    return impl.linear_hvp(model.X, model.target, theta, model.loss, alpha, V, out)


def _network_hvp(impl, model, theta, alpha, V, out, cache, cached):
    sizes = model.layout.sizes
    return impl.mlp_hvp(
        model.X, model.target, theta, sizes, model.activation, model.loss, alpha, V, out,
        cache, cached,
    )  # fmt: skip


def _normed_hvp(impl, model, theta, alpha, V, out, cache, cached):
    """``J^T H' (J v) + K(v)`` per row (:mod:`fastnn._batch_norm`).

    The folded network's R-operator and its gradient: one pass each.
    """
    from fastnn._batch_norm import fold_curvature, pull_back, push_forward

    if alpha != 0.0:
        raise ValueError("penalty: a network with batch normalisation has no L2 penalty here")
    layout = model.layout
    folded = layout.fold(theta)
    pushed = np.stack([push_forward(layout, theta, v) for v in V])
    products = _network_hvp(impl, model, folded, 0.0, pushed, np.empty_like(pushed), cache, cached)
    folded_gradient = np.empty(folded.size)
    impl.mlp_loss_grad(
        model.X, model.target, folded, layout.sizes, model.activation, model.loss,
        folded_gradient,
    )  # fmt: skip
    for k, v in enumerate(V):
        out[k] = pull_back(layout, theta, products[k]) + fold_curvature(
            layout, theta, folded_gradient, v
        )
    return out


def hvp_cache_rows(sizes: Sequence[int], activation: np.ndarray) -> int:
    """Rows of ``mlp_hvp``'s cache for a network of ``sizes`` and activation table.

    The outputs, deltas and ``W delta`` of every unit past the inputs, and their
    pre-activations too where an activation's derivatives need them.
    """
    blocks = 4 if needs_pre_activations(activation) else 3
    return blocks * (int(np.sum(sizes)) - int(sizes[0]))


def _network_cache_rows(model) -> int:
    return hvp_cache_rows(model.layout.sizes, model.activation)


# Rows (one per sample column) of what an HVP does not recompute at the same theta
# (0: nothing).
_HVP_CACHE_ROWS = {
    LINEAR: lambda model: 0,
    NETWORK: _network_cache_rows,
    NORMED_NETWORK: _network_cache_rows,  # the folded network's, at the folded theta
}


# Hessian-vector products of the mean loss (one data pass for a block of vectors).
_HVP = {LINEAR: _linear_hvp, NETWORK: _network_hvp, NORMED_NETWORK: _normed_hvp}


@dataclass(frozen=True, eq=False)
class LossModel:
    """One model's loss on one data set, as a function of its flat parameter vector.

    Attributes
    ----------
    family : {"linear", "mlp", "mlp-batchnorm"}
        ``"linear"``: ``theta = [intercept, w]``, logits ``intercept + X w``;
        ``"mlp"``: a network in :class:`~fastnn.layout.MLPLayout`; ``"mlp-batchnorm"``:
        one in :class:`~fastnn.layout.BatchNormLayout` (batch normalisation's ``gamma``
        and ``beta`` among its parameters), evaluated through its fold.
    X : ndarray of shape (n_samples, n_features)
        The data, float64, C-contiguous and finite.
    target : ndarray
        Targets encoded as the kernels take them: 1-D (0/1 labels or values) for linear
        models, ``(n_samples, n_outputs)`` for networks.
    theta : ndarray of shape (n_params,)
        The centre: the fitted parameters, or the ones the caller gave.
    layout : LinearLayout, MLPLayout or BatchNormLayout
        Views, filters and names of the parameters.
    loss : int
        Loss code (:mod:`fastnn._codes`): squared error, log loss or softmax log loss.
    activation : ndarray of shape (n_hidden, 2)
        The hidden layers' activation table (:mod:`fastnn._activations`): a code and a
        parameter per hidden layer (no rows for linear models).
    backend : {"numba", "numpy"}
    name : str
        The model's class name, for reports.
    alpha : float
        The estimator's L2 penalty (``alpha / (2 n) ||W||^2`` over the weights): the
        engines map the data term; curvature includes the penalty when asked.
    biases : bool or tuple of bool
        False: a network without biases.  Its biases' entries of ``theta`` stay 0 and are
        not parameters of the model (:attr:`fixed`): planes do not move them, and the
        Hessian is over the weights alone.  One bool per layer (the input side first, not
        all alike): the layers flagged False have no biases, as above.
    """

    family: str
    X: np.ndarray
    target: np.ndarray
    theta: np.ndarray
    layout: LinearLayout | MLPLayout | BatchNormLayout
    loss: int
    activation: np.ndarray
    backend: str
    name: str
    alpha: float = 0.0
    biases: bool | tuple[bool, ...] = True

    @property
    def n_params(self) -> int:
        """Length of ``theta``."""
        return self.layout.n_params

    @property
    def fixed(self) -> np.ndarray | None:
        """Mask of the entries of ``theta`` that are not parameters (None: every one is)."""
        if self.biases is True or isinstance(self.layout, LinearLayout):
            return None
        return self.layout.bias_mask(True) & ~self.layout.bias_mask(self.biases)

    @property
    def free(self) -> np.ndarray | None:
        """Indices of the entries of ``theta`` that are parameters (None: every one)."""
        fixed = self.fixed
        return None if fixed is None else np.flatnonzero(~fixed)

    @property
    def n_free(self) -> int:
        """Number of parameters: ``n_params`` less the :attr:`fixed` entries."""
        free = self.free
        return self.n_params if free is None else int(free.size)

    def check_free(self, vectors: np.ndarray, name: str) -> None:
        """Refuse vectors that move a :attr:`fixed` entry (a bias the network lacks)."""
        fixed = self.fixed
        if fixed is not None and np.any(np.asarray(vectors)[..., fixed]):
            if self.biases is False:
                raise ValueError(
                    f"{name} moves the biases of a network without biases (biases=False): "
                    "they are not parameters of this model; give them 0"
                )
            assert not isinstance(self.layout, LinearLayout)  # networks have fixed entries
            entries = np.asarray(vectors).reshape(-1, self.n_params)
            first = int(np.flatnonzero(np.any(entries != 0, axis=0) & fixed)[0])
            layer = int(np.searchsorted(self.layout.weight_start, first, side="right") - 1)
            raise ValueError(
                f"{name} moves the biases of layer {layer}, which has none (biases="
                f"{self.biases}): they are not parameters of this model; give them 0"
            )

    @property
    def impl(self) -> ModuleType:
        """The kernels of ``backend``: :mod:`fastnn.kernels` or :mod:`fastnn.reference`."""
        return backend_module(self.backend)

    @property
    def is_classifier(self) -> bool:
        """Whether the loss is a cross-entropy (the model predicts classes)."""
        return self.loss != SQUARED_ERROR

    @property
    def loss_name(self) -> str:
        """The loss in words, e.g. ``"binary cross-entropy"``."""
        return LOSS_NAMES[self.loss]

    def loss_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean loss over the samples at ``theta`` and its gradient."""
        grad = np.empty(theta.size)
        value = _LOSS_GRAD[self.family](self.impl, self, theta, grad)
        return float(value), grad

    def loss_at(self, theta: np.ndarray) -> float:
        """Mean loss over the samples at ``theta``."""
        return self.loss_grad(theta)[0]

    def logits_at(self, theta: np.ndarray) -> np.ndarray:
        """The model's outputs (n_samples, n_outputs) at ``theta``: a forward pass.

        Logits; or a regressor's predictions, its output activation applied.
        """
        return _LOGITS[self.family](self.impl, self, theta)

    def forward_loss_at(self, theta: np.ndarray) -> float:
        """Mean loss over the samples at ``theta`` from a forward pass alone.

        The kernels' ``output_loss`` of :meth:`logits_at`: the estimators' ``loss_``;
        :meth:`loss_at` (the gradient kernel's value) agrees to rounding.
        """
        return float(self.impl.output_loss(self.logits_at(theta), self.target, self.loss))

    def accuracy_at(self, theta: np.ndarray) -> float:
        """Fraction of samples classified as their target at ``theta`` (as ``score``).

        One output: logit > 0 is the second class; several: the first arg-max.
        """
        return correct_predictions(self.logits_at(theta), self.target) / self.target.shape[0]

    def hvp(
        self,
        theta: np.ndarray,
        V: np.ndarray,
        penalty: bool = False,
        cache: np.ndarray | None = None,
        cached: bool = False,
    ) -> np.ndarray:
        """Hessian of the mean loss at ``theta`` times each row of ``V`` (k, n_params).

        Exact (closed form or the R-operator), one pass over the data for the block;
        ``penalty`` adds the L2 term's ``alpha / n`` on the weights.  ``cache``
        (:attr:`hvp_cache_shape`) keeps what does not depend on the direction:
        ``cached=False`` fills it, ``cached=True`` reads it (same ``theta`` only).
        """
        V = np.ascontiguousarray(V, dtype=np.float64)
        out = np.empty_like(V)
        alpha = self.alpha if penalty else 0.0
        if cache is None:
            cache, cached = np.empty((0, 0)), False
        return _HVP[self.family](self.impl, self, theta, alpha, V, out, cache, cached)

    @property
    def hvp_cache_shape(self) -> tuple[int, int]:
        """Shape of the cache :meth:`hvp` fills: a row per kept unit, a column per sample.

        No rows: nothing worth keeping.
        """
        return _HVP_CACHE_ROWS[self.family](self), self.X.shape[0]

    def metric_at(self, theta: np.ndarray, metric: str, tol: float = 0.0) -> float:
        """The value of ``metric`` at ``theta``.

        ``"loss"``, ``"accuracy"``, or ``"max_eigenvalue"`` / ``"min_eigenvalue"`` of the
        Hessian (:func:`fastnn._spectrum.extreme_eigenvalues`, Lanczos tolerance ``tol``).
        """
        if metric in ("max_eigenvalue", "min_eigenvalue"):
            from fastnn._spectrum import extreme_eigenvalues

            which = "largest" if metric == "max_eigenvalue" else "smallest"
            return extreme_eigenvalues(self, theta, (which,), tol)[0]
        return self.accuracy_at(theta) if metric == "accuracy" else self.loss_at(theta)


def correct_predictions(logits: np.ndarray, target: np.ndarray) -> int:
    """How many samples the logits classify as their (encoded) target.

    One output: logit > 0 is the second class; several: the first arg-max.
    """
    if logits.shape[1] == 1:
        correct = (logits[:, 0] > 0.0) == (target.reshape(-1) >= 0.5)
    else:
        predicted = np.argmax(logits, axis=1)
        correct = target[np.arange(target.shape[0]), predicted] >= 0.5
    return int(np.count_nonzero(correct))


def as_loss_model(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    center: ArrayLike | None = None,
    backend: str | None = None,
) -> LossModel:
    """The :class:`LossModel` of what a user passes to an engine.

    Parameters
    ----------
    model : fastnn estimator (fitted or not) or estimator class
        A class gets its default settings; a model that is not fitted needs ``center``.
    X, y : array-like
        Data and targets, as for the model's ``fit``.
    center : array-like of shape (n_params,), optional
        Default: the fitted ``theta_``.
    backend : {"numba", "numpy"}, optional
        Default: the model's backend.

    Returns
    -------
    LossModel
    """
    if isinstance(model, type) and callable(getattr(model, "loss_model", None)):
        model = model()
    if not callable(getattr(model, "loss_model", None)):
        raise TypeError(
            "model must be a fastnn LinearRegression, LogisticRegression, MLPClassifier or "
            f"MLPRegressor (fitted, or a class / unfitted instance with center=); got {model!r}"
        )
    return model.loss_model(X, y, center=center, backend=backend)
