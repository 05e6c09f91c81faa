"""A fitted (or given) model and its data, reduced to what the surface kernels need."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from fastnn._base import BACKENDS, backend_module
from fastnn._codes import ACTIVATION_CODES, LOG_LOSS, SOFTMAX_LOG_LOSS, SQUARED_ERROR
from fastnn._validation import check_option, check_vector, check_X
from fastnn.layout import MLPLayout
from fastnn.linear_model import LinearRegression, LogisticRegression
from fastnn.mlp import MLPClassifier, MLPRegressor, _BaseMLP, _check_hidden_layer_sizes

MSE, BCE, NETWORK = "mse", "bce", "mlp"
_LOSS_NAMES = {
    SQUARED_ERROR: "mean squared error",
    LOG_LOSS: "binary cross-entropy",
    SOFTMAX_LOG_LOSS: "cross-entropy",
}
_MODELS = (LinearRegression, LogisticRegression, MLPClassifier, MLPRegressor)


@dataclass
class LossProblem:
    """The loss of one model on one data set, as a function of its flat parameter vector.

    ``kind`` is ``"mse"`` or ``"bce"`` (linear models, ``target`` 1-D) or ``"mlp"``
    (``target`` 2-D, encoded as the network's ``fit`` encodes it).
    """

    kind: str
    X: np.ndarray
    target: np.ndarray
    center: np.ndarray
    backend: str
    loss_name: str
    model_name: str
    sizes: np.ndarray | None = None
    activation: int = 0
    loss_code: int = SQUARED_ERROR
    layout: MLPLayout | None = field(default=None, repr=False)

    @property
    def n_params(self) -> int:
        return self.center.size

    @property
    def impl(self):
        return backend_module(self.backend)

    def loss(self, theta: np.ndarray) -> float:
        """Mean loss at ``theta`` (the estimators' own loss kernels)."""
        grad = np.empty(theta.size)
        if self.kind == NETWORK:
            return float(
                self.impl.mlp_loss_grad(
                    self.X, self.target, theta, self.sizes, self.activation, self.loss_code, grad
                )
            )
        kernel = self.impl.mse_loss_grad if self.kind == MSE else self.impl.bce_loss_grad
        return float(kernel(self.X, self.target, theta, grad))

    def filters(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(weights, biases) views of ``theta`` per layer; column k of weights = unit k's inputs."""
        if self.kind == NETWORK:
            return list(zip(self.layout.coefs(theta), self.layout.intercepts(theta), strict=True))
        return [(theta[1:, None], theta[:1])]

    def param_index(self, name) -> int:
        """The position in theta of a parameter given by index or by name."""
        if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
            index = int(name)
            if not -self.n_params <= index < self.n_params:
                raise ValueError(
                    f"params: index {index} is out of range for a model with "
                    f"{self.n_params} parameters"
                )
            return index % self.n_params
        if not isinstance(name, str):
            raise ValueError(f"params must hold parameter indices or names; got {name!r}")
        index = self._index_of_name(name.strip())
        if index is None:
            raise ValueError(f"params: unknown parameter name {name!r}; {self._name_help()}")
        return index

    def param_name(self, index: int) -> str:
        if self.kind != NETWORK:
            return "intercept" if index == 0 else f"w{index}"
        layout = self.layout
        for l in range(layout.n_layers - 1, -1, -1):
            if index >= layout.bias_start[l]:
                return f"b{l}[{index - layout.bias_start[l]}]"
            if index >= layout.weight_start[l]:
                j, k = divmod(index - layout.weight_start[l], int(layout.sizes[l + 1]))
                return f"W{l}[{j},{k}]"
        raise AssertionError(index)

    def _index_of_name(self, name: str) -> int | None:
        if self.kind != NETWORK:
            if name in ("intercept", "bias", "theta0"):
                return 0
            match = re.fullmatch(r"(?:w|theta)(\d+)", name)
            if match and 1 <= int(match.group(1)) < self.n_params:
                return int(match.group(1))
            return None
        layout = self.layout
        match = re.fullmatch(r"W(\d+)\[(\d+),\s*(\d+)\]", name)
        if match:
            l, j, k = (int(g) for g in match.groups())
            if l < layout.n_layers and j < layout.sizes[l] and k < layout.sizes[l + 1]:
                return int(layout.weight_start[l] + j * layout.sizes[l + 1] + k)
            return None
        match = re.fullmatch(r"b(\d+)\[(\d+)\]", name)
        if match:
            l, k = (int(g) for g in match.groups())
            if l < layout.n_layers and k < layout.sizes[l + 1]:
                return int(layout.bias_start[l] + k)
        return None

    def _name_help(self) -> str:
        if self.kind != NETWORK:
            return f"use 'intercept' or 'w1'..'w{self.n_params - 1}' (or an index)"
        return "use 'W<layer>[<input>,<unit>]' or 'b<layer>[<unit>]' (as coefs_/intercepts_)"


def _estimator(model):
    """An estimator instance (a class gets its defaults) and whether it is fitted."""
    if isinstance(model, type) and issubclass(model, _MODELS):
        return model(), False
    if not isinstance(model, _MODELS):
        raise TypeError(
            "model must be a fastnn LinearRegression, LogisticRegression, MLPClassifier or "
            f"MLPRegressor (fitted, or a class / unfitted instance with center=); got {model!r}"
        )
    return model, hasattr(model, "theta_")


def make_problem(model, X, y, center=None, backend=None) -> LossProblem:
    """The loss of ``model`` on ``(X, y)`` around ``center`` (default: the fitted ``theta_``)."""
    estimator, fitted = _estimator(model)
    name = type(estimator).__name__
    if not fitted and center is None:
        raise ValueError(
            f"{name} is not fitted: fit it first, or pass center= (the parameters at the "
            "centre of the surface)"
        )
    backend = check_option(backend or estimator.backend, "backend", BACKENDS)
    n_features = estimator.n_features_in_ if fitted else None
    X = check_X(X, n_features=n_features, estimator=name)
    if isinstance(estimator, _BaseMLP):
        if fitted:
            Y = estimator._encode(y, X.shape[0])
            sizes, loss = estimator.layout_.sizes, estimator._loss_code
            activation = estimator._activation_code
        else:
            scratch = type(estimator)(
                **estimator.get_params()
            )  # the user's instance stays unfitted
            Y, loss = scratch._fit_targets(y, X.shape[0])
            hidden = _check_hidden_layer_sizes(estimator.hidden_layer_sizes)
            sizes = np.array((X.shape[1], *hidden, Y.shape[1]), dtype=np.int64)
            activation = ACTIVATION_CODES[
                check_option(estimator.activation, "activation", tuple(ACTIVATION_CODES))
            ]
        layout = MLPLayout(sizes)
        theta = estimator.theta_ if center is None else center
        theta = check_vector(theta, "center", size=layout.n_params)
        return LossProblem(
            NETWORK,
            X,
            np.ascontiguousarray(Y, dtype=np.float64),
            theta.copy(),
            backend,
            _LOSS_NAMES[loss],
            name,
            sizes=np.ascontiguousarray(sizes, dtype=np.int64),
            activation=activation,
            loss_code=loss,
            layout=layout,
        )
    if fitted:
        target = estimator._encode_target(y, X.shape[0])
    else:
        target = type(estimator)(**estimator.get_params())._fit_target(y, X.shape[0])
    theta = estimator.theta_ if center is None else center
    theta = check_vector(theta, "center", size=X.shape[1] + 1)
    is_mse = isinstance(estimator, LinearRegression)
    return LossProblem(
        MSE if is_mse else BCE,
        X,
        np.ascontiguousarray(target, dtype=np.float64),
        theta.copy(),
        backend,
        _LOSS_NAMES[SQUARED_ERROR if is_mse else LOG_LOSS],
        name,
    )
