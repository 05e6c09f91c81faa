"""Linear and logistic regression estimators, and the lecture's 1-D closed form.

Both estimators keep one flat parameter vector ``theta_ = [intercept, w_1..w_d]``
(``coef_`` and ``intercept_`` are views of it) and train it with the kernels
of :mod:`fastnn.kernels.train_linear` (or their numpy twins, ``backend="numpy"``).
Logistic regression on more than two classes is a softmax over linear logits: a
network without hidden layers, trained and evaluated by the MLP kernels.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import TYPE_CHECKING

import numpy as np

from fastnn._activations import NO_HIDDEN
from fastnn._base import BACKENDS, BaseEstimator, backend_module, r2_score
from fastnn._builds import linear_threaded, training_loop
from fastnn._codes import DIVERGED, LOSS_CODES, MAX_ITER
from fastnn._training import linear_state, train, warn_outcome
from fastnn._validation import (
    check_batch_size,
    check_batch_size_setting,
    check_binary_labels,
    check_bool,
    check_int,
    check_labels,
    check_nonnegative,
    check_positive,
    check_record_every,
    check_target,
    check_vector,
    check_X,
    one_of,
    seed,
    validate_params,
)
from fastnn.exceptions import OverflowWarning
from fastnn.layout import LinearLayout
from fastnn.model import LINEAR

if TYPE_CHECKING:
    from collections.abc import Sequence

    from typing_extensions import Self

    from fastnn._typing import ArrayLike, Seed
    from fastnn.model import LossModel


__all__ = ["LinearRegression", "LogisticRegression", "linear_fit_1d"]


def linear_fit_1d(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """Closed-form least-squares line through 1-D data: ``(intercept, slope)``.

    ``slope = sum((x - mean x)(y - mean y)) / sum((x - mean x)^2)``: the
    covariance over the variance with the *same* normalisation (the lecture's
    ``np.cov(x, y)[0, 1] / np.var(x)`` mixes ddof=1 with ddof=0 and is off by
    N/(N-1)).  Centring first keeps full accuracy far from the origin.

    Parameters
    ----------
    x, y : array-like of shape (n,)
        At least two samples; ``x`` not constant.

    Returns
    -------
    intercept, slope : float
    """
    x = check_vector(x, "x")
    y = check_vector(y, "y", size=x.size)
    dx = x - x.mean()
    if not np.any(dx):
        raise ValueError("x is constant: the slope of a line through it is undefined")
    with np.errstate(over="ignore", under="ignore"):
        sxx = dx @ dx
    if 1e-280 < sxx < np.inf:
        slope = float(dx @ (y - y.mean()) / sxx)
    else:  # x so large or so small that its squares leave the float range: scale it first
        scale = np.max(np.abs(dx))
        scaled = dx / scale
        slope = float(scaled @ (y - y.mean()) / (scaled @ scaled) / scale)
    return float(y.mean() - slope * x.mean()), slope


def _ols(X, y, fit_intercept):
    """Least squares on centred data (as scikit-learn): minimum-norm when rank-deficient."""
    if fit_intercept:
        x_mean, y_mean = X.mean(axis=0), y.mean()
        w, _, rank, singular = np.linalg.lstsq(X - x_mean, y - y_mean, rcond=None)
        intercept = y_mean - x_mean @ w
    else:
        w, _, rank, singular = np.linalg.lstsq(X, y, rcond=None)
        intercept = 0.0
    return np.concatenate([[intercept], w]), int(rank), singular


class _LinearModel(BaseEstimator):
    """Shared training of the linear models; subclasses set the loss and the target."""

    _loss: str
    fit_intercept: bool
    _parameter_constraints = {
        "fit_intercept": check_bool,
        "learning_rate_init": check_positive,
        "max_iter": check_int,
        "batch_size": check_batch_size_setting,
        "random_state": seed,
        "backend": one_of(*BACKENDS),
        "record_trajectory": check_record_every,
    }

    def _restore_views(self) -> None:
        if not hasattr(self, "theta_"):
            return
        net = getattr(self, "_softmax", None)
        if net is None:
            self._set_theta(self.theta_, self.fit_intercept, self.n_features_in_)
        else:  # the multinomial model's attributes are its network's
            self._adopt_softmax(net)

    def _encode_target(self, y, n_samples):
        raise NotImplementedError

    def _set_theta(self, theta, fit_intercept, n_features):
        """Keep ``theta`` and the views of it (``coef_``, ``intercept_``)."""
        raise NotImplementedError

    def _adopt_softmax(self, net):
        """Become the multinomial model of ``net`` (LogisticRegression only)."""
        raise NotImplementedError

    def _fit_target(self, y, n_samples):
        return self._encode_target(y, n_samples)

    def fit(self, X: ArrayLike, y: ArrayLike, theta0: ArrayLike | None = None) -> Self:
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, without a column of ones.
        y : array-like of shape (n_samples,)
            Targets.
        theta0 : array-like of shape (n_features + 1,), optional
            Starting parameters ``[intercept, w_1..w_d]`` of the iterative
            solvers (default zeros), e.g. the lecture's ``[-3, 1]``.

        Returns
        -------
        self

        Warns
        -----
        DivergenceWarning
            When the loss becomes non-finite or rises above 1e4 times its first value
            (:data:`fastnn._codes.DIVERGENCE_RATIO`): training stops there, keeping
            the loss curve so far and the parameters before the last step.
        """
        params = validate_params(self)
        solver = params["solver"]
        impl = backend_module(params["backend"])
        fit_intercept = params["fit_intercept"]
        self._record_feature_names(X)
        X = check_X(X)
        target = self._fit_target(y, X.shape[0])
        n_features = X.shape[1]
        if solver == "ols":
            theta, self.rank_, self.singular_ = _ols(X, target, fit_intercept)
            self._set_theta(theta, fit_intercept, n_features)
            self.loss_curve_ = np.empty(0)
            self.n_iter_ = 1  # one direct solve (scikit-learn expects n_iter_ >= 1)
        else:
            theta = self._initial_theta(theta0, n_features, fit_intercept)
            run = train(
                self._epoch_runner(impl, solver, params, X, target, theta),
                n_epochs=params["max_iter"],
                n_samples=X.shape[0],
                n_params=theta.size,
                record_every=params["record_trajectory"],
                rng=None if solver == "gd" else params["random_state"],
            )
            self._set_theta(theta, fit_intercept, n_features)
            self.loss_curve_ = run.loss_curve
            self.n_iter_ = run.n_iter
            if run.trajectory is not None:
                self.trajectory_ = run.trajectory
            warn_outcome(
                self,
                run,
                solver=solver,
                lr=params["learning_rate_init"],
                max_iter=params["max_iter"],
                tol=None,
                unit="iteration" if solver == "gd" else "epoch",
            )
        self.loss_ = self._objective(impl, X, target, self.theta_, params.get("alpha", 0.0))
        if not np.isfinite(self.loss_):  # finite data whose loss overflows float64
            warnings.warn(
                f"{type(self).__name__}: loss_ is {self.loss_}: float64 overflowed (|y| up "
                f"to {np.max(np.abs(target)):.3g}, |X| up to {np.max(np.abs(X)):.3g}); scale "
                "y (and X) down",
                OverflowWarning,
                stacklevel=2,
            )
        return self

    def _objective(self, impl, X, target, theta, alpha):
        """Mean loss over (X, target), plus the L2 penalty ``alpha / (2 n) ||w||^2``."""
        loss = impl.mse_loss if self._loss == "squared_error" else impl.bce_loss
        value = float(loss(X, target, theta))
        if alpha > 0.0:
            value += 0.5 * alpha / X.shape[0] * float(theta[1:] @ theta[1:])
        return value

    def _epoch_runner(self, impl, solver, params, X, target, theta):
        """``run_epochs(order, loss_curve, trajectory) -> (epochs, reason)`` of ``solver``."""
        n_samples, n_features = X.shape
        code = LOSS_CODES[self._loss]
        lr, fit_intercept = params["learning_rate_init"], params["fit_intercept"]
        alpha = params.get("alpha", 0.0)
        stride = max(params["record_trajectory"], 1)
        # carried from call to call; the divergence limit comes from the loss at the start
        state = linear_state(theta, self._objective(impl, X, target, theta, alpha))

        def outcome(done, curve):
            return done, MAX_ITER if done == curve.size else DIVERGED

        if solver == "gd":
            gd = training_loop(impl, "linear_gd", linear_threaded(n_samples, n_features))
            return lambda order, curve, rows: outcome(
                gd(X, target, theta, code, lr, alpha, fit_intercept, curve, rows, stride, state),
                curve,
            )
        if solver == "sgd":
            return lambda order, curve, rows: outcome(
                impl.linear_sgd(
                    X,
                    target,
                    theta,
                    code,
                    lr,
                    alpha,
                    fit_intercept,
                    order,
                    curve,
                    rows,
                    stride,
                    state,
                ),
                curve,
            )
        batch_size = check_batch_size(params["batch_size"], n_samples)
        minibatch = training_loop(impl, "linear_minibatch", linear_threaded(batch_size, n_features))
        return lambda order, curve, rows: outcome(
            minibatch(
                X,
                target,
                theta,
                code,
                lr,
                alpha,
                fit_intercept,
                order,
                batch_size,
                curve,
                rows,
                stride,
                state,
            ),
            curve,
        )

    def _loss_parts(self, X, y, fitted):
        if fitted:
            target = self._encode_target(y, X.shape[0])
        else:  # learn the encoding on a copy: the user's instance stays unfitted
            target = type(self)(**self.get_params())._fit_target(y, X.shape[0])
        names = getattr(self, "feature_names_in_", None) if fitted else None
        layout = LinearLayout(X.shape[1], names)
        return LINEAR, target, layout, LOSS_CODES[self._loss], NO_HIDDEN

    @staticmethod
    def _initial_theta(theta0, n_features, fit_intercept):
        if theta0 is None:
            return np.zeros(n_features + 1)
        theta = check_vector(theta0, "theta0", size=n_features + 1).copy()
        if not fit_intercept and theta[0] != 0.0:
            raise ValueError("theta0[0] (the intercept) must be 0 when fit_intercept=False")
        return theta

    def _loss_grad(self, impl, X, target, theta):
        grad = np.empty(theta.size)
        kernel = impl.mse_loss_grad if self._loss == "squared_error" else impl.bce_loss_grad
        return kernel(X, target, theta, grad), grad

    def loss_grad(
        self, X: ArrayLike, y: ArrayLike, theta: ArrayLike | None = None
    ) -> tuple[float, np.ndarray]:
        """Mean training loss and its gradient with respect to ``theta``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        theta : array-like of shape (n_features + 1,), optional
            ``[intercept, w_1..w_d]``; default the fitted ``theta_``.

        Returns
        -------
        loss : float
        grad : ndarray of shape (n_features + 1,)
        """
        if theta is None:
            self._check_fitted()
        n_features = getattr(self, "n_features_in_", None)
        names = getattr(self, "feature_names_in_", None)
        X = check_X(X, n_features=n_features, estimator=type(self).__name__, feature_names=names)
        target = self._encode_target(y, X.shape[0])
        theta = self.theta_ if theta is None else check_vector(theta, "theta", size=X.shape[1] + 1)
        loss, grad = self._loss_grad(backend_module(self.backend), X, target, theta)
        return float(loss), grad

    def _logits(self, X):
        self._check_fitted()
        X = check_X(
            X,
            n_features=self.n_features_in_,
            estimator=type(self).__name__,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        impl = backend_module(self.backend)
        return impl.linear_logits(X, self.theta_, np.empty(X.shape[0]))


class LinearRegression(_LinearModel):
    """Least-squares linear regression, solved in closed form or by gradient descent.

    Parameters
    ----------
    solver : {"ols", "gd", "sgd", "minibatch"}, default "ols"
        ``"ols"``: least squares on centred data (``numpy.linalg.lstsq``,
        minimum-norm when ``X`` is rank-deficient, accurate far from the
        origin).  ``"gd"``: full-batch gradient descent; ``"sgd"``: one sample
        per step; ``"minibatch"``: ``batch_size`` samples per step -- all on
        the mean squared error, ``max_iter`` iterations (gd) or epochs.
    fit_intercept : bool, default True
    learning_rate_init : float, default 0.01
        Step size of the iterative solvers.
    max_iter : int, default 1000
        Iterations (gd) or epochs (sgd, minibatch).
    batch_size : int or "auto", default "auto"
        Minibatch size; "auto" is ``min(200, n_samples)``.
    random_state : None, int or numpy.random.Generator
        Seeds the sample order of sgd and minibatch.
    backend : {"numba", "numpy"}, default "numba"
        The compiled kernels or their numpy reference.
    record_trajectory : bool or int, default False
        Keep theta every iteration/epoch (True) or every k-th (int k) in
        ``trajectory_``.

    Attributes
    ----------
    theta_ : ndarray of shape (n_features + 1,)
        ``[intercept, w_1..w_d]``.
    coef_ : ndarray of shape (n_features,)
        View of ``theta_[1:]``.
    intercept_ : float
    loss_ : float
        Mean squared error at ``theta_``.
    loss_curve_ : ndarray of shape ``(n_iter_,)``
        Loss per iteration (before its update) or per epoch; empty for "ols".
    n_iter_ : int
        Iterations/epochs run (1 for "ols"; fewer than ``max_iter`` after divergence).
    trajectory_ : ndarray of shape (n_rows, n_features + 1)
        Only with ``record_trajectory``: theta at the recorded iterations, then the final theta.
    rank_, singular_ : int, ndarray
        Rank and singular values of the (centred) ``X``; "ols" only.
    n_features_in_ : int
    feature_names_in_ : ndarray of str, shape ``(n_features_in_,)``
        Only when ``X`` had string column names (a pandas DataFrame): the features'
        names, which then also name the weights in loss surfaces (``params=("x", ...)``).
    """

    _estimator_type = "regressor"
    _loss = "squared_error"
    _parameter_constraints = {
        "solver": one_of("ols", "gd", "sgd", "minibatch"),
        **_LinearModel._parameter_constraints,
    }

    def __init__(
        self,
        *,
        solver: str = "ols",
        fit_intercept: bool = True,
        learning_rate_init: float | Sequence[float] = 0.01,
        max_iter: int = 1000,
        batch_size: int | str = "auto",
        random_state: Seed | None = None,
        backend: str = "numba",
        record_trajectory: bool | int = False,
    ) -> None:
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_state = random_state
        self.backend = backend
        self.record_trajectory = record_trajectory

    def _encode_target(self, y, n_samples):
        return check_target(y, n_samples)

    def _set_theta(self, theta, fit_intercept, n_features):
        self.theta_ = theta
        self.coef_ = theta[1:]
        self.intercept_ = float(theta[0])
        self.n_features_in_ = n_features

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted targets ``intercept_ + X @ coef_``, shape (n_samples,)."""
        return self._logits(X)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Coefficient of determination R^2 of the predictions."""
        y_pred = self.predict(X)
        return r2_score(check_target(y, y_pred.size), y_pred)


class LogisticRegression(_LinearModel):
    """Logistic regression: sigmoid (or softmax) of a linear model, mean cross-entropy.

    Takes any labels (sorted into ``classes_``).  Two classes: one logit, the second
    class is the positive one, trained by the linear kernels.  More: multinomial (a
    softmax over one logit per class, as scikit-learn's default), trained and mapped
    by the MLP kernels as a network without hidden layers; ``theta_`` is then in that
    network's layout (``layout_``: the weights ``W0[j, k]``, then the intercepts).
    The loss is computed from the logits, so it is exact and finite for any
    parameters.

    Parameters
    ----------
    solver : {"gd", "sgd", "minibatch"}, default "gd"
    alpha : float, default 0.0
        L2 penalty on the weights (not the intercepts), the MLPs' form: each batch of
        B samples adds ``alpha / (2 B) * ||w||^2`` to its mean loss.  Full-batch, the
        objective is scikit-learn's ``LogisticRegression(C=1 / alpha)`` divided by
        ``C n``, so both have the same minimum.  The default, 0, is the lecture's (no
        penalty); scikit-learn's default is ``C=1``.
    max_iter : int, default 1000
        Iterations (gd) or epochs (sgd, minibatch).
    batch_size : int or "auto", default "auto"
        ``min(200, n_samples)`` for "auto".
    random_state : None, int or numpy.random.Generator
    backend : {"numba", "numpy"}, default "numba"
    record_trajectory : bool or int, default False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    theta_ : ndarray of shape (n_features + 1,) or ((n_features + 1) * n_classes,)
        Two classes: ``[intercept, w_1..w_d]``; more: the weights (n_features x
        n_classes, row-major), then one intercept per class.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        A view of ``theta_`` (scikit-learn's shape).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        A view of ``theta_``.
    layout_ : MLPLayout
        More than two classes only: the layout of ``theta_``.
    loss_, loss_curve_, n_iter_, trajectory_, n_features_in_, feature_names_in_
        As in :class:`LinearRegression`, for the cross-entropy; ``loss_`` and the
        loss curve include the penalty when ``alpha > 0`` (loss surfaces and lines map
        the data term only).
    """

    _estimator_type = "classifier"
    _loss = "log_loss"
    _parameter_constraints = {
        "solver": one_of("gd", "sgd", "minibatch"),
        "alpha": check_nonnegative,
        **_LinearModel._parameter_constraints,
    }

    def __init__(
        self,
        *,
        solver: str = "gd",
        alpha: float = 0.0,
        fit_intercept: bool = True,
        learning_rate_init: float | Sequence[float] = 0.1,
        max_iter: int = 1000,
        batch_size: int | str = "auto",
        random_state: Seed | None = None,
        backend: str = "numba",
        record_trajectory: bool | int = False,
    ) -> None:
        self.solver = solver
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_state = random_state
        self.backend = backend
        self.record_trajectory = record_trajectory

    def fit(self, X: ArrayLike, y: ArrayLike, theta0: ArrayLike | None = None) -> Self:
        """Fit the model (see :meth:`LinearRegression.fit`).

        With more than two classes ``theta0`` is in the layout of ``layout_``
        (default zeros, as for two classes); ``fit_intercept=False`` is then refused.
        """
        X_checked = check_X(X)
        labels = check_labels(y, X_checked.shape[0])
        if np.unique(labels).size <= 2:
            self._softmax = None
            if hasattr(self, "layout_"):  # of an earlier multinomial fit
                del self.layout_
            return super().fit(X, y, theta0)
        from fastnn.mlp import MLPClassifier

        params = validate_params(self)
        if not params["fit_intercept"]:
            raise ValueError(
                "fit_intercept=False is implemented for two classes; with "
                f"{np.unique(labels).size} classes every class keeps its intercept"
            )
        net = MLPClassifier(
            (),
            solver=params["solver"],
            alpha=params["alpha"],
            learning_rate_init=params["learning_rate_init"],
            max_iter=params["max_iter"],
            batch_size=params["batch_size"],
            tol=None,
            random_state=params["random_state"],
            backend=params["backend"],
            record_trajectory=params["record_trajectory"],
        )
        n_params = (X_checked.shape[1] + 1) * np.unique(labels).size
        start = np.zeros(n_params) if theta0 is None else theta0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net.fit(X, y, theta0=start)
        for warning in caught:  # the warnings name this estimator, not its network
            text = str(warning.message).replace("MLPClassifier", "LogisticRegression")
            warnings.warn(text, warning.category, stacklevel=2)
        self._adopt_softmax(net)
        for name in ("loss_", "loss_curve_", "n_iter_", "trajectory_", "feature_names_in_"):
            if hasattr(net, name):
                setattr(self, name, getattr(net, name))
            elif hasattr(self, name):
                delattr(self, name)
        return self

    def _adopt_softmax(self, net):
        """Become the multinomial model of ``net``, a fitted MLPClassifier without hidden layers."""
        self._softmax = net
        self.classes_ = net.classes_
        self.theta_ = net.theta_
        self.layout_ = net.layout_
        self.coef_ = net.coefs_[0].T
        self.intercept_ = net.intercepts_[0]
        self.n_features_in_ = net.n_features_in_

    @property
    def _multinomial(self):
        """The fitted softmax network of a model of more than two classes, else None.

        It checks X's feature names against this model's (set by ``fit`` on a DataFrame
        or by ``from_sklearn``), which it shares.
        """
        net = getattr(self, "_softmax", None)
        if net is not None:
            names = getattr(self, "feature_names_in_", None)
            if names is not None:
                net.feature_names_in_ = names
            elif hasattr(net, "feature_names_in_"):
                del net.feature_names_in_
        return net

    def loss_model(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        center: ArrayLike | None = None,
        backend: str | None = None,
    ) -> LossModel:
        """As :meth:`fastnn.LinearRegression.loss_model`; a network's for more than two classes."""
        if self._multinomial is None:
            return super().loss_model(X, y, center=center, backend=backend)
        model = self._multinomial.loss_model(X, y, center=center, backend=backend)
        source = getattr(self, "imported_from_", None)
        origin = "" if source is None else f", from {source}"
        return dataclasses.replace(model, name=f"LogisticRegression (multinomial{origin})")

    def loss_grad(
        self, X: ArrayLike, y: ArrayLike, theta: ArrayLike | None = None
    ) -> tuple[float, np.ndarray]:
        """As :meth:`LinearRegression.loss_grad`; more than two classes: in ``layout_``."""
        if self._multinomial is not None:
            return self._multinomial.loss_grad(X, y, theta)
        return super().loss_grad(X, y, theta)

    def _fit_target(self, y, n_samples):
        self.classes_, y01 = check_binary_labels(y, n_samples, "LogisticRegression")
        return y01

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags

    def _encode_target(self, y, n_samples):
        classes = getattr(self, "classes_", None)
        if classes is None:
            return check_binary_labels(y, n_samples, "LogisticRegression")[1]
        labels = check_labels(y, n_samples)
        unknown = ~np.isin(labels, classes)
        if unknown.any():
            raise ValueError(
                f"y contains labels not seen in fit: {labels[unknown][:5].tolist()}; "
                f"classes_ are {classes.tolist()}"
            )
        return (labels == classes[1]).astype(np.float64)

    def _set_theta(self, theta, fit_intercept, n_features):
        self.theta_ = theta
        self.coef_ = theta[1:][None, :]
        self.intercept_ = theta[:1]
        self.n_features_in_ = n_features

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Logits ``intercept_ + X @ coef_.T``: shape (n_samples,), or (n_samples, n_classes)."""
        if self._multinomial is not None:
            return self._multinomial.decision_function(X)
        return self._logits(X)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        if self._multinomial is not None:
            return self._multinomial.predict_proba(X)
        z = self._logits(X)
        impl = backend_module(self.backend)
        proba = np.empty((z.size, 2))
        # Each column from its own logit: no 1 - p cancellation for confident predictions.
        proba[:, 1] = impl.sigmoid(z, np.empty(z.size))
        proba[:, 0] = impl.sigmoid(-z, np.empty(z.size))
        return proba

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed stably from the logits."""
        if self._multinomial is not None:
            return self._multinomial.predict_log_proba(X)
        z = self._logits(X)
        impl = backend_module(self.backend)
        return np.column_stack(
            [impl.log_sigmoid(-z, np.empty(z.size)), impl.log_sigmoid(z, np.empty(z.size))]
        )

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted labels: ``classes_[1]`` where the logit is positive.

        More than two classes: the class of the largest logit.
        """
        if self._multinomial is not None:
            return self._multinomial.predict(X)
        positive = self._logits(X) > 0.0  # first: it says "not fitted" when it is not
        return self.classes_[positive.astype(np.intp)]

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Mean accuracy of :meth:`predict` on ``(X, y)``."""
        y_pred = self.predict(X)
        return float(np.mean(y_pred == check_labels(y, y_pred.size)))
