"""The lecture's models with its settings, mistakes corrected, in one place.

``fastnn demo``, ``fastnn surface`` and ``fastnn bench`` train these; keyword arguments
override any setting.  Gradients are means (the lecture's code summed them), so the
learning rates are the lecture's steps rescaled to mean gradients.
"""

from __future__ import annotations

from fastnn.linear_model import LinearRegression, LogisticRegression
from fastnn.mlp import MLPClassifier

# Where the lecture starts its gradient descents.
LINEAR_GD_START = (-3.0, 1.0)
LOGISTIC_GD_START = (0.0, -10.0, 10.0)


def linear_gd_model(**settings) -> LinearRegression:
    """Linear regression by full-batch GD: lr 0.05, 100 iterations, path recorded."""
    return LinearRegression(
        **{"solver": "gd", "learning_rate_init": 0.05, "max_iter": 100, "record_trajectory": True}
        | settings
    )


def logistic_gd_model(**settings) -> LogisticRegression:
    """Logistic regression by full-batch GD, 1000 iterations, path recorded.

    lr 1.0 on the mean gradient takes the steps of the lecture's lr 1e-3 on a sum over its
    1000 samples.
    """
    return LogisticRegression(
        **{"solver": "gd", "learning_rate_init": 1.0, "max_iter": 1000, "record_trajectory": True}
        | settings
    )


def network_model(**settings) -> MLPClassifier:
    """2 -> 10 sigmoid -> 1 sigmoid, N(0, 1) weights, full-batch GD for 1000 iterations.

    With a hidden-layer bias and mean gradients, lr 1.0 (the lecture's 0.005 multiplied a
    sum over 2000 samples, an effective step of about 10); ``tol=None`` runs every iteration.
    """
    return MLPClassifier(
        **{
            "hidden_layer_sizes": (10,),
            "activation": "sigmoid",
            "solver": "gd",
            "learning_rate_init": 1.0,
            "max_iter": 1000,
            "tol": None,
            "init": "normal",
            "random_state": 0,
        }
        | settings
    )
