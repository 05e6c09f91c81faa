"""What every fastnn estimator shares: scikit-learn's parameter protocol and backends."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import numpy as np

from fastnn._backends import BACKENDS, backend_module
from fastnn._validation import (
    check_biases,
    check_nonnegative,
    check_option,
    check_vector,
    check_X,
)
from fastnn.exceptions import NotFittedError
from fastnn.layout import MLPLayout
from fastnn.model import LossModel

if TYPE_CHECKING:
    from typing import Any

    from typing_extensions import Self

    from fastnn._typing import ArrayLike


__all__ = ["BACKENDS", "BaseEstimator", "backend_module", "r2_score"]


class BaseEstimator:
    """``get_params`` / ``set_params`` / ``repr`` from the constructor signature.

    As in scikit-learn, ``__init__`` only stores its arguments; they are
    validated in ``fit``.
    """

    _estimator_type: str = ""
    # Set by the subclasses' constructors (backend) and fit (the rest); declared for
    # the methods here that read them.
    backend: str
    n_features_in_: int
    theta_: np.ndarray

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.name != "self"]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor parameters and their current values."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters; returns ``self``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; "
                    f"valid parameters are {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __setstate__(self, state: dict) -> None:
        # pickle and deepcopy copy a view into a new array: rebuild the views of theta_
        # (coefs_, coef_, ...), so that the loaded model's attributes are theta_ again
        self.__dict__.update(state)
        self._restore_views()

    def _restore_views(self) -> None:
        """Make the fitted attributes that are views of ``theta_`` views again."""

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = []
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            if default is inspect.Parameter.empty or not _same(value, default):
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def _record_feature_names(self, X) -> None:
        """``feature_names_in_`` as scikit-learn sets it: X's column names, when all are str.

        A pandas DataFrame's columns, for instance; a plain array leaves none (and
        removes the names of an earlier fit).
        """
        columns = getattr(X, "columns", None)
        names = [] if columns is None else list(columns)
        if names and all(isinstance(name, str) for name in names):
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _check_fitted(self) -> None:
        if not hasattr(self, "theta_"):
            raise NotFittedError(
                f"this {type(self).__name__} instance is not fitted yet; call fit(X, y) first"
            )

    def loss_model(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        center: ArrayLike | None = None,
        backend: str | None = None,
    ) -> LossModel:
        """The model's loss on ``(X, y)`` as a function of its flat parameters.

        What the engines (loss surfaces and lines) evaluate: see :mod:`fastnn.model`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like
            Targets, as for ``fit`` (encoded as the fitted model encodes them).
        center : array-like of shape (n_params,), optional
            The parameters the engines start from; default the fitted ``theta_``.  A
            model that is not fitted needs it (its settings then define the layout).
        backend : {"numba", "numpy"}, optional
            Default: the model's ``backend``.

        Returns
        -------
        LossModel
        """
        fitted = hasattr(self, "theta_")
        name = type(self).__name__
        source = getattr(self, "imported_from_", None)
        if not fitted and center is None:
            raise ValueError(
                f"{name} is not fitted: fit it first, or pass center= (the parameters at the "
                "centre of the surface)"
            )
        backend = check_option(backend or self.backend, "backend", BACKENDS)
        X = check_X(
            X,
            n_features=self.n_features_in_ if fitted else None,
            estimator=name,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        family, target, layout, loss, activation = self._loss_parts(X, y, fitted)
        theta = check_vector(self.theta_ if center is None else center, "center", layout.n_params)
        model = LossModel(
            family,
            X,
            np.ascontiguousarray(target, dtype=np.float64),
            theta.copy(),
            layout,
            loss,
            activation,
            backend,
            name if source is None else f"{name} (from {source})",
            check_nonnegative(getattr(self, "alpha", 0.0), "alpha"),
            _biases_of(layout, getattr(self, "biases", True)),
        )
        model.check_free(theta, "center")
        return model

    def _loss_parts(self, X, y, fitted: bool):
        """``(family, encoded target, layout, loss code, activation code)`` on ``(X, y)``."""
        raise NotImplementedError

    def __sklearn_tags__(self):
        # Only scikit-learn calls this (check_estimator, clone, pipelines), so
        # scikit-learn is imported here rather than made a dependency.
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        is_classifier = self._estimator_type == "classifier"
        return Tags(
            estimator_type=self._estimator_type,
            target_tags=TargetTags(required=True),
            transformer_tags=None,
            classifier_tags=ClassifierTags(multi_class=False) if is_classifier else None,
            regressor_tags=None if is_classifier else RegressorTags(),
        )


def _same(a, b) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b


def r2_score(y, y_pred) -> float:
    """Coefficient of determination, as scikit-learn's ``score`` of regressors."""
    residual = np.sum((y - y_pred) ** 2)
    total = np.sum((y - np.mean(y)) ** 2)
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return float(1.0 - residual / total)


def _biases_of(layout, biases) -> bool | tuple[bool, ...]:
    """A model's ``biases`` as :class:`LossModel` takes them: one bool when all alike."""
    biases = check_biases(biases)
    if not isinstance(biases, tuple):
        return biases
    if not isinstance(layout, MLPLayout):
        raise ValueError("biases: one flag per layer applies to networks")
    return layout.canonical_biases(biases)
