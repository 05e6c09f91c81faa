"""What every fastnn estimator shares: scikit-learn's parameter protocol and backends."""

from __future__ import annotations

import inspect

import numpy as np

from fastnn import kernels, reference
from fastnn._validation import check_option
from fastnn.exceptions import NotFittedError

BACKENDS = ("numba", "numpy")


def backend_module(backend: str):
    """The implementation behind ``backend``: :mod:`fastnn.kernels` or :mod:`fastnn.reference`."""
    check_option(backend, "backend", BACKENDS)
    return kernels if backend == "numba" else reference


class BaseEstimator:
    """``get_params`` / ``set_params`` / ``repr`` from the constructor signature.

    As in scikit-learn, ``__init__`` only stores its arguments; they are
    validated in ``fit``.
    """

    _estimator_type: str = ""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.name != "self"]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor parameters and their current values."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
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

    def _check_fitted(self) -> None:
        if not hasattr(self, "theta_"):
            raise NotFittedError(
                f"this {type(self).__name__} instance is not fitted yet; call fit(X, y) first"
            )

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
