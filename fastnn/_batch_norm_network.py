"""What ``from_torch(..., batch_norm="parameters")`` returns: :class:`BatchNormNetwork`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from typing import Any

    from fastnn._typing import ArrayLike
    from fastnn.layout import BatchNormLayout
    from fastnn.model import LossModel


class BatchNormNetwork:
    """An imported network whose batch normalisations' ``gamma`` and ``beta`` are parameters.

    What :func:`fastnn.from_torch` returns with ``batch_norm="parameters"``: ``theta_`` in
    a :class:`~fastnn.layout.BatchNormLayout` (each Linear layer's weights and biases, then
    its BatchNorm1d's ``gamma`` and ``beta``), so that planes, lines, Hessians and
    curvature maps move them too; the running statistics stay fixed (the module as
    evaluated).  The engines evaluate it through its fold, :attr:`network`.  It is mapped,
    not trained: :meth:`fit` refuses.

    Attributes
    ----------
    theta_ : ndarray of shape (n_params,)
        The module's parameters (read-only).
    layout_ : BatchNormLayout
    biases : bool or tuple of bool
        Which Linear layers have biases (``bias=False`` layers have none).
    network : MLPClassifier or MLPRegressor
        The same function with the normalisations folded into their Linear layers, at
        ``theta_``: it encodes targets and predicts.
    """

    imported_from_ = "PyTorch"

    def __init__(
        self,
        network: Any,
        layout: BatchNormLayout,
        theta: np.ndarray,
        biases: bool | tuple[bool, ...],
    ) -> None:
        self.network = network
        self.layout_ = layout
        self.theta_ = np.array(theta, dtype=np.float64)
        self.theta_.flags.writeable = False
        self.biases = biases
        self.n_features_in_ = network.n_features_in_
        self.backend = network.backend
        if hasattr(network, "classes_"):
            self.classes_ = network.classes_

    def __setstate__(self, state: dict) -> None:
        # a copy (pickle, deepcopy) stays read-only, as the original
        self.__dict__.update(state)
        self.theta_.flags.writeable = False

    def loss_model(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        center: ArrayLike | None = None,
        backend: str | None = None,
    ) -> LossModel:
        """The network's loss on ``(X, y)`` as a function of :attr:`theta_`'s layout.

        See :meth:`fastnn.mlp.MLPClassifier.loss_model`.
        """
        from fastnn._validation import check_vector
        from fastnn.model import NORMED_NETWORK, LossModel

        theta = check_vector(
            self.theta_ if center is None else center, "center", self.layout_.n_params
        ).copy()
        folded = self.network.loss_model(X, y, center=self.layout_.fold(theta), backend=backend)
        model = LossModel(
            NORMED_NETWORK, folded.X, folded.target, theta, self.layout_, folded.loss,
            folded.activation, folded.backend, f"{type(self.network).__name__} with BatchNorm "
            "parameters (from PyTorch)", 0.0, self.biases,
        )  # fmt: skip
        model.check_free(theta, "center")
        return model

    def loss_grad(
        self, X: ArrayLike, y: ArrayLike, theta: ArrayLike | None = None
    ) -> tuple[float, np.ndarray]:
        """Mean loss and its gradient over :attr:`theta_`'s layout, at ``theta``."""
        model = self.loss_model(X, y, center=theta)
        return model.loss_grad(model.theta)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The module's predictions (classes, or values)."""
        return self.network.predict(X)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities (classifiers)."""
        return self.network.predict_proba(X)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy (classifiers) or R^2 (regressors)."""
        return self.network.score(X, y)

    def fit(self, *args: Any, **kwargs: Any) -> None:
        """Refused: fastnn maps this network; it does not train batch normalisation."""
        raise TypeError(
            "fit: a network with BatchNorm parameters (from_torch(..., batch_norm="
            "'parameters')) is mapped, not trained, by fastnn; train it in PyTorch, or import "
            "it with batch_norm='fold' to train the folded network"
        )

    def __repr__(self) -> str:
        return f"BatchNormNetwork({self.network!r}, {self.layout_!r})"
