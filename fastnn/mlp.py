"""Multilayer perceptrons trained by backpropagation: MLPClassifier and MLPRegressor.

The whole training loop -- every solver, every epoch -- runs in one numba kernel
(:func:`fastnn.kernels.mlp_train`) or its numpy twin (``backend="numpy"``).
Parameters live in one flat vector ``theta_`` (layout: :class:`fastnn.layout.MLPLayout`);
``coefs_`` and ``intercepts_`` are views of it.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from fastnn._base import BaseEstimator, backend_module, r2_score
from fastnn._codes import (
    ACTIVATION_CODES,
    ADAM,
    CONVERGED,
    DIVERGED,
    LOG_LOSS,
    MOMENTUM,
    SOFTMAX_LOG_LOSS,
    SQUARED_ERROR,
)
from fastnn._validation import (
    check_batch_size,
    check_int,
    check_labels,
    check_option,
    check_positive,
    check_random_state,
    check_record_every,
    check_vector,
    check_X,
)
from fastnn.exceptions import ConvergenceWarning, DivergenceWarning
from fastnn.kernels.mlp import _parallel_worthwhile
from fastnn.layout import MLPLayout
from fastnn.optim import sample_orders

__all__ = ["MLPClassifier", "MLPRegressor"]

SOLVERS = ("gd", "sgd", "minibatch", "momentum", "adam")
_OUT_ACTIVATION = {SQUARED_ERROR: "identity", LOG_LOSS: "logistic", SOFTMAX_LOG_LOSS: "softmax"}


def _check_hidden_layer_sizes(value) -> tuple[int, ...]:
    sizes = (value,) if isinstance(value, numbers.Integral) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = None
    if sizes is None or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
    ):
        raise ValueError(
            "hidden_layer_sizes must be a positive int or a sequence of positive ints "
            f"(units per hidden layer); got {value!r}"
        )
    return tuple(int(s) for s in sizes)


def _check_fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
    return float(value)


class _BaseMLP(BaseEstimator):
    _loss_for_fit: int

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        learning_rate_init=0.001,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        init="xavier",
        random_state=None,
        backend="numba",
        record_trajectory=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.init = init
        self.random_state = random_state
        self.backend = backend
        self.record_trajectory = record_trajectory

    # -- targets (subclasses) -----------------------------------------------------------
    def _fit_targets(self, y, n_samples):
        """Learn the target encoding; return (Y of shape (n, K), loss code)."""
        raise NotImplementedError

    def _encode(self, y, n_samples):
        """Encode y with the fitted encoding (or learn it when not fitted)."""
        raise NotImplementedError

    # -- training -------------------------------------------------------------------------
    def fit(self, X, y, theta0=None):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        theta0 : array-like of shape (n_params,), optional
            Starting parameters in the layout of ``layout_`` (default: drawn by ``init``).

        Returns
        -------
        self

        Warns
        -----
        DivergenceWarning
            The loss became non-finite: training stopped, keeping the history so far.
        ConvergenceWarning
            ``max_iter`` epochs ran without meeting the ``tol`` criterion.
        """
        hidden = _check_hidden_layer_sizes(self.hidden_layer_sizes)
        activation = ACTIVATION_CODES[
            check_option(self.activation, "activation", tuple(ACTIVATION_CODES))
        ]
        solver = check_option(self.solver, "solver", SOLVERS)
        impl = backend_module(self.backend)
        lr = check_positive(self.learning_rate_init, "learning_rate_init")
        max_iter = check_int(self.max_iter, "max_iter")
        tol = -1.0 if self.tol is None else self._check_tol()
        n_iter_no_change = check_int(self.n_iter_no_change, "n_iter_no_change")
        momentum = _check_fraction(self.momentum, "momentum") if solver == "momentum" else 0.0
        beta_1 = _check_fraction(self.beta_1, "beta_1")
        beta_2 = _check_fraction(self.beta_2, "beta_2")
        epsilon = check_positive(self.epsilon, "epsilon")
        check_option(self.init, "init", ("normal", "xavier", "he"))
        every = check_record_every(self.record_trajectory)
        rng = check_random_state(self.random_state)

        X = check_X(X)
        n_samples = X.shape[0]
        batch_size = 1 if solver == "sgd" else check_batch_size(self.batch_size, n_samples)
        Y, loss = self._fit_targets(y, n_samples)
        layout = MLPLayout((X.shape[1], *hidden, Y.shape[1]))
        if theta0 is None:
            theta = layout.initial_theta(rng, self.init)
        else:
            theta = check_vector(theta0, "theta0", size=layout.n_params).copy()

        if solver == "gd":
            order = np.empty((0, n_samples), dtype=np.int64)
        else:
            order = sample_orders(rng, n_samples, max_iter)
        stride = max(every, 1)
        trajectory = np.empty((-(-max_iter // stride) + 1 if every else 0, layout.n_params))
        loss_curve = np.empty(max_iter)
        optimizer = ADAM if solver == "adam" else MOMENTUM
        rows_per_step = n_samples if solver == "gd" else batch_size
        train = (
            impl.mlp_train_parallel
            if _parallel_worthwhile(layout.sizes, rows_per_step, layout.n_params)
            else impl.mlp_train
        )
        n_done, reason = train(
            X,
            Y,
            theta,
            layout.sizes,
            activation,
            loss,
            optimizer,
            lr,
            momentum,
            beta_1,
            beta_2,
            epsilon,
            order,
            batch_size,
            tol,
            n_iter_no_change,
            loss_curve,
            trajectory,
            stride,
        )
        n_done = int(n_done)
        self.layout_ = layout
        self.theta_ = theta
        self.coefs_ = layout.coefs(theta)
        self.intercepts_ = layout.intercepts(theta)
        self.n_features_in_ = X.shape[1]
        self.n_layers_ = layout.sizes.size
        self.n_outputs_ = int(Y.shape[1])
        self.out_activation_ = _OUT_ACTIVATION[loss]
        self._activation_code = activation
        self._loss_code = loss
        self.loss_curve_ = loss_curve[:n_done].copy()
        self.n_iter_ = n_done
        if every:
            self.trajectory_ = trajectory[: -(-n_done // stride) + 1].copy()
        self.loss_ = self._loss_grad(impl, X, Y, theta)[0]
        self._warn(int(reason), n_done, solver, lr, max_iter)
        return self

    def _check_tol(self) -> float:
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
            raise ValueError(f"tol must be None or a number >= 0; got {tol!r}")
        return float(tol)

    def _warn(self, reason, n_done, solver, lr, max_iter):
        name = type(self).__name__
        if reason == DIVERGED:
            warnings.warn(
                f"{name} diverged at epoch {n_done} (solver={solver!r}, learning_rate_init="
                f"{lr:g}): the loss became non-finite. Training stopped; loss_curve_ keeps the "
                f"{n_done} finite losses and theta_ the last parameters with a finite loss. "
                "Lower learning_rate_init.",
                DivergenceWarning,
                stacklevel=3,
            )
        elif reason != CONVERGED and self.tol is not None:
            warnings.warn(
                f"{name}: max_iter={max_iter} epochs reached and the loss is still improving by "
                f"more than tol={self.tol:g}; raise max_iter or tol (tol=None trains exactly "
                "max_iter epochs without this check).",
                ConvergenceWarning,
                stacklevel=3,
            )

    # -- evaluation -----------------------------------------------------------------------
    def _loss_grad(self, impl, X, Y, theta):
        grad = np.empty(theta.size)
        value = impl.mlp_loss_grad(
            X, Y, theta, self.layout_.sizes, self._activation_code, self._loss_code, grad
        )
        return float(value), grad

    def loss_grad(self, X, y, theta=None):
        """Mean training loss and its gradient (by backpropagation) at ``theta``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like
            Targets, encoded as in ``fit``.
        theta : array-like of shape (n_params,), optional
            Default: the fitted ``theta_``.

        Returns
        -------
        loss : float
        grad : ndarray of shape (n_params,)
        """
        self._check_fitted()
        X = check_X(X, n_features=self.n_features_in_, estimator=type(self).__name__)
        Y = self._encode(y, X.shape[0])
        theta = (
            self.theta_
            if theta is None
            else check_vector(theta, "theta", size=self.layout_.n_params)
        )
        return self._loss_grad(backend_module(self.backend), X, Y, theta)

    def _logits(self, X):
        self._check_fitted()
        X = check_X(X, n_features=self.n_features_in_, estimator=type(self).__name__)
        impl = backend_module(self.backend)
        out = np.empty((X.shape[0], self.n_outputs_))
        return impl.mlp_logits(X, self.theta_, self.layout_.sizes, self._activation_code, out)


class MLPClassifier(_BaseMLP):
    """Multilayer perceptron classifier trained by backpropagation.

    Two classes: one sigmoid output and binary cross-entropy; more: softmax and
    categorical cross-entropy -- both computed from the logits, so exact and
    finite everywhere.  Labels may be any sortable values (``classes_``).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Units of each hidden layer; ``()`` gives logistic (softmax) regression.
    activation : {"sigmoid", "tanh", "relu"}, default "relu"
        Hidden-layer activation.
    solver : {"gd", "sgd", "minibatch", "momentum", "adam"}, default "adam"
        ``"gd"``: full-batch gradient descent (one step per epoch); ``"sgd"``: one
        sample per step; ``"minibatch"``: ``batch_size`` samples per step;
        ``"momentum"``: minibatches with heavy-ball momentum ``momentum``;
        ``"adam"``: minibatches with Adam (``beta_1``, ``beta_2``, ``epsilon``).
    learning_rate_init : float, default 0.001
    batch_size : int or "auto", default "auto"
        ``min(200, n_samples)`` for "auto" (scikit-learn's rule).
    max_iter : int, default 200
        Epochs (for "gd": iterations).
    tol : float or None, default 1e-4
        Stop when the epoch loss has not improved by ``tol`` for more than
        ``n_iter_no_change`` epochs; None trains exactly ``max_iter`` epochs.
    n_iter_no_change : int, default 10
    momentum : float, default 0.9
        Used by ``solver="momentum"`` only.
    beta_1, beta_2, epsilon : float
        Adam's parameters (scikit-learn's defaults).
    init : {"normal", "xavier", "he"}, default "xavier"
        ``"normal"`` draws every weight and bias from N(0, 1), as the lecture does.
    random_state : None, int or numpy.random.Generator
        Seeds the initial parameters and the sample orders.
    backend : {"numba", "numpy"}, default "numba"
    record_trajectory : bool or int, default False
        Keep theta every epoch (True) or every k-th (int k) in ``trajectory_``.

    Attributes
    ----------
    classes_ : ndarray
    theta_ : ndarray of shape (n_params,)
    coefs_, intercepts_ : lists of ndarray
        Per-layer weights (fan_in x fan_out) and biases, views of ``theta_``.
    layout_ : MLPLayout
    loss_ : float
        Mean training loss at ``theta_``.
    loss_curve_ : ndarray of shape (n_iter_,)
        Mean loss of each epoch (batch losses weighted by batch size).
    n_iter_ : int
    trajectory_ : ndarray of shape (n_rows, n_params)
    n_features_in_, n_layers_, n_outputs_, out_activation_
    """

    _estimator_type = "classifier"

    def _fit_targets(self, y, n_samples):
        labels = check_labels(y, n_samples, estimator="MLPClassifier")
        classes = np.unique(labels)
        if classes.size < 2:
            raise ValueError(
                f"MLPClassifier needs at least 2 distinct classes in y; got {classes.size}: "
                f"{classes.tolist()[:10]}. There is only 1 class: nothing to separate."
            )
        self.classes_ = classes
        return self._encode(labels, n_samples), (
            LOG_LOSS if classes.size == 2 else SOFTMAX_LOG_LOSS
        )

    def _encode(self, y, n_samples):
        labels = check_labels(y, n_samples)
        unknown = ~np.isin(labels, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y contains labels not seen in fit: {labels[unknown][:5].tolist()}; "
                f"classes_ are {self.classes_.tolist()}"
            )
        position = np.searchsorted(self.classes_, labels)
        if self.classes_.size == 2:
            return position.astype(np.float64)[:, None]
        return np.eye(self.classes_.size)[position]

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        z = self._logits(X)
        impl = backend_module(self.backend)
        if self.classes_.size == 2:
            proba = np.empty((z.shape[0], 2))
            proba[:, 1] = impl.sigmoid(np.ascontiguousarray(z[:, 0]), np.empty(z.shape[0]))
            proba[:, 0] = impl.sigmoid(-z[:, 0], np.empty(z.shape[0]))
            return proba
        shifted = np.exp(z - z.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each sample."""
        z = self._logits(X)
        if self.classes_.size == 2:
            return self.classes_[(z[:, 0] > 0.0).astype(np.intp)]
        return self.classes_[np.argmax(z, axis=1)]

    def score(self, X, y):
        """Mean accuracy."""
        y_pred = self.predict(X)
        return float(np.mean(y_pred == check_labels(y, y_pred.size)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class MLPRegressor(_BaseMLP):
    """Multilayer perceptron regressor: identity output, mean squared error.

    Parameters and attributes as :class:`MLPClassifier` (no ``classes_``).  ``y``
    may have several columns (one output unit each); the loss is the mean over
    samples and outputs.
    """

    _estimator_type = "regressor"

    def _fit_targets(self, y, n_samples):
        Y = self._targets(y, n_samples)
        self._y_ndim = 1 if np.asarray(y).ndim == 1 else 2
        return Y, SQUARED_ERROR

    def _targets(self, y, n_samples):
        if y is None:
            raise ValueError("MLPRegressor requires y to be passed, but the target y is None")
        arr = np.asarray(y, dtype=np.float64) if not hasattr(y, "toarray") else None
        if arr is None:
            raise TypeError("y is a sparse matrix; pass y.toarray()")
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[0] != n_samples or arr.shape[1] == 0:
            raise ValueError(
                f"y must have shape (n_samples,) or (n_samples, n_outputs) with n_samples = "
                f"{n_samples}; got shape {np.shape(y)}"
            )
        return check_X(np.ascontiguousarray(arr), name="y")

    def _encode(self, y, n_samples):
        return self._targets(y, n_samples)

    def predict(self, X):
        """Predicted targets, shape (n_samples,) when fitted on 1-D y."""
        z = self._logits(X)
        return z[:, 0].copy() if self._y_ndim == 1 else z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def score(self, X, y):
        """R^2, averaged over outputs."""
        y_pred = self._logits(X)
        Y = self._targets(y, y_pred.shape[0])
        return float(np.mean([r2_score(Y[:, k], y_pred[:, k]) for k in range(Y.shape[1])]))
