"""Two fitted models that can be joined: the checks every connectivity function makes.

Two models can be joined by a path of parameters when they are the same function of
their parameters: the same kind of estimator, layer widths, activations, loss, classes,
biases and preprocessing.  Anything else is a one-line ``ValueError`` naming what
differs (a model that is not fitted: :class:`~fastnn.exceptions.NotFittedError`).
"""

from __future__ import annotations

import pickle

import numpy as np

from fastnn._validation import check_biases
from fastnn.exceptions import NotFittedError
from fastnn.layout import BatchNormLayout


def estimator_of(model):
    """The fastnn estimator of ``model`` (the last step of an imported pipeline)."""
    return getattr(model, "estimator", model)


def check_fitted_network(model, name: str, networks_only: bool = True):
    """The fitted fastnn estimator behind ``model``; refuse anything else in one line."""
    estimator = estimator_of(model)
    if not callable(getattr(estimator, "loss_model", None)):
        raise TypeError(
            f"{name} must be a fitted fastnn model (an estimator, or one imported by "
            f"from_sklearn / from_torch); got {type(model).__name__}"
        )
    if not hasattr(estimator, "theta_"):
        raise NotFittedError(f"{name} ({type(estimator).__name__}) is not fitted: fit it first")
    if networks_only and isinstance(getattr(estimator, "layout_", None), BatchNormLayout):
        raise ValueError(
            f"{name} has BatchNorm parameters (from_torch(..., batch_norm='parameters')): "
            "aligning and connecting them is not implemented; import it with "
            "batch_norm='fold' (or compare the two with linear_barrier)"
        )
    if networks_only and not hasattr(estimator, "coefs_"):
        raise ValueError(
            f"{name} is a {type(estimator).__name__}: this needs a network "
            "(MLPClassifier or MLPRegressor, native or imported)"
        )
    return estimator


def _preprocessing(model):
    transform = getattr(model, "transform", None)
    return None if transform is None else pickle.dumps(transform)


def check_same_function(model_a, model_b, networks_only: bool = True) -> None:
    """Refuse two models whose parameters do not mean the same thing (one line each)."""
    a = check_fitted_network(model_a, "model_a", networks_only)
    b = check_fitted_network(model_b, "model_b", networks_only)
    if type(a) is not type(b):
        raise ValueError(
            f"model_a is a {type(a).__name__} and model_b a {type(b).__name__}: "
            "they must be the same kind of model"
        )
    sizes_a = tuple(int(s) for s in a.layout_.sizes) if hasattr(a, "coefs_") else None
    sizes_b = tuple(int(s) for s in b.layout_.sizes) if hasattr(b, "coefs_") else None
    if sizes_a != sizes_b or a.theta_.size != b.theta_.size:
        raise ValueError(
            f"model_a's layer widths are {sizes_a or a.theta_.size} and model_b's "
            f"{sizes_b or b.theta_.size}: the two models must share a layout"
        )
    if hasattr(a, "_activation_table") and not np.array_equal(
        a._activation_table, b._activation_table
    ):
        raise ValueError(
            f"model_a's activations are {a.activation!r} (output {a.out_activation_}) and "
            f"model_b's {b.activation!r} (output {b.out_activation_}): they must be the same"
        )
    if getattr(a, "_loss_code", None) != getattr(b, "_loss_code", None):
        raise ValueError("model_a and model_b have different losses: they must be the same")
    classes_a, classes_b = getattr(a, "classes_", None), getattr(b, "classes_", None)
    if classes_a is not None and classes_b is not None and not np.array_equal(classes_a, classes_b):
        raise ValueError(
            f"model_a's classes are {list(classes_a)} and model_b's {list(classes_b)}: "
            "they must be the same"
        )
    if _bias_flags(a) != _bias_flags(b):
        raise ValueError(
            f"model_a has biases={getattr(a, 'biases', True)} and model_b "
            f"biases={getattr(b, 'biases', True)}: they must be the same"
        )
    if isinstance(getattr(a, "layout_", None), BatchNormLayout):  # statistics: the function's
        check_same_function(a.network, b.network, networks_only)
        if not all(
            x is y is None or (x is not None and y is not None and np.array_equal(x, y))
            for x, y in zip(
                a.layout_.means + a.layout_.scales, b.layout_.means + b.layout_.scales,
                strict=True,
            )
        ):  # fmt: skip
            raise ValueError(
                "model_a's and model_b's BatchNorm running statistics differ: the same "
                "parameters compute different functions in them"
            )
    if _preprocessing(model_a) != _preprocessing(model_b):
        raise ValueError(
            "model_a and model_b preprocess their inputs differently (their pipelines' "
            "steps before the model differ): their parameters mean different things"
        )


def _bias_flags(estimator) -> tuple[bool, ...]:
    """Which layers of an estimator have biases (a linear model: its intercept, always)."""
    if not hasattr(estimator, "coefs_"):
        return (True,)
    return estimator.layout_.bias_flags(check_biases(getattr(estimator, "biases", True)))


def data_sets(X, y, data) -> dict:
    """``{name: (X, y)}`` from ``X, y`` (named "train") and/or ``data``."""
    sets = {}
    if X is not None or y is not None:
        if X is None or y is None:
            raise ValueError("pass X and y together (or data={name: (X, y)})")
        sets["train"] = (X, y)
    if data is not None:
        if not isinstance(data, dict) or not data:
            raise ValueError(
                f"data must be a non-empty dict {{name: (X, y)}}; got {type(data).__name__}"
            )
        for name, pair in data.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"data: every name must be a non-empty string; got {name!r}")
            if name in sets:
                raise ValueError(f"data: {name!r} is given twice (X, y are named 'train')")
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"data[{name!r}] must be a pair (X, y)")
            sets[name] = tuple(pair)
    if not sets:
        raise ValueError("no data: pass X and y, or data={name: (X, y)}")
    return sets
