"""The lecture's data sets and models with its settings, mistakes corrected, in one place.

``fastnn demo``, ``fastnn surface``, ``fastnn bench``, the benchmarks and the scripts use
these; keyword arguments override any model setting.  Each data function returns
``(X, y)`` for a seed; a test set is drawn with the next seed.  Gradients are means (the
lecture's code summed them), so the learning rates are the lecture's steps rescaled to
mean gradients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastnn import data
from fastnn.linear_model import LinearRegression, LogisticRegression
from fastnn.mlp import MLPClassifier, MLPRegressor

if TYPE_CHECKING:
    from typing import Any

    import numpy as np


# Where the lecture starts its gradient descents.
LINEAR_GD_START = (-3.0, 1.0)
LOGISTIC_GD_START = (0.0, -10.0, 10.0)


def ols_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """100 points of y = 3 + 2.5 x + 5 N(0, 1), x on [-4, 6]: the closed-form example."""
    return data.linear(100, seed=seed)


def gd_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """100 points of y = 4 x + 2 N(0, 1): the gradient-descent example (start [-3, 1])."""
    return data.linear(100, seed=seed, intercept=0.0, slope=4.0, noise=2.0)


def logistic_data(seed: int = 0, test: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs at [0, 0] and [-1, 5]: 1000 training points, or 500 test points."""
    return data.blobs(500, seed=seed + 1) if test else data.blobs(1000, seed=seed)


def network_data(seed: int = 0, test: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The donut: 2000 training points, or 1000 test points."""
    return data.donut(1000, seed=seed + 1) if test else data.donut(2000, seed=seed)


def linear_gd_model(**settings: Any) -> LinearRegression:
    """Linear regression by full-batch GD: lr 0.05, 100 iterations, path recorded."""
    defaults: dict[str, Any] = {
        "solver": "gd", "learning_rate_init": 0.05, "max_iter": 100, "record_trajectory": True
    }  # fmt: skip
    return LinearRegression(**(defaults | settings))


def logistic_gd_model(**settings: Any) -> LogisticRegression:
    """Logistic regression by full-batch GD, 1000 iterations, path recorded.

    lr 1.0 on the mean gradient takes the steps of the lecture's lr 1e-3 on a sum over its
    1000 samples.
    """
    defaults: dict[str, Any] = {
        "solver": "gd", "learning_rate_init": 1.0, "max_iter": 1000, "record_trajectory": True
    }  # fmt: skip
    return LogisticRegression(**(defaults | settings))


# The lecture's network and its training, shared by its classifier and regressor.
NETWORK_SETTINGS: dict[str, Any] = {
    "hidden_layer_sizes": (10,),
    "activation": "sigmoid",
    "solver": "gd",
    "learning_rate_init": 1.0,
    "max_iter": 1000,
    "tol": None,
    "init": "normal",
    "random_state": 0,
}


def network_model(**settings: Any) -> MLPClassifier:
    """2 -> 10 sigmoid -> 1 sigmoid, N(0, 1) weights, full-batch GD for 1000 iterations.

    With a hidden-layer bias and mean gradients, lr 1.0 (the lecture's 0.005 multiplied a
    sum over 2000 samples, an effective step of about 10); ``tol=None`` runs every iteration.
    """
    return MLPClassifier(**(NETWORK_SETTINGS | settings))


def network_regressor(**settings: Any) -> MLPRegressor:
    """The lecture's network and training (:func:`network_model`) on values: squared error."""
    return MLPRegressor(**(NETWORK_SETTINGS | settings))
