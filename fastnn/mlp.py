"""Multilayer perceptrons trained by backpropagation: MLPClassifier and MLPRegressor.

The whole training loop -- every solver, every epoch -- runs in one numba kernel
(:func:`fastnn.kernels.mlp_train`) or its numpy twin (``backend="numpy"``).
Parameters live in one flat vector ``theta_`` (layout: :class:`fastnn.layout.MLPLayout`);
``coefs_`` and ``intercepts_`` are views of it.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from fastnn._activations import (
    activation_table,
    check_activation,
    check_output_activation,
    describe_output,
)
from fastnn._base import BACKENDS, BaseEstimator, backend_module, r2_score
from fastnn._builds import blas_threads, mlp_blas_threads, mlp_threaded, training_loop
from fastnn._codes import (
    ADAM,
    LOG_LOSS,
    MOMENTUM,
    SOFTMAX_LOG_LOSS,
    SQUARED_ERROR,
)
from fastnn._early_stopping import EarlyStopping, epoch_by_epoch, validation_split
from fastnn._training import mlp_settings, mlp_state, train, warn_outcome
from fastnn._validation import (
    check_allocation,
    check_batch_size,
    check_batch_size_setting,
    check_biases,
    check_bool,
    check_fraction,
    check_hidden_layer_sizes,
    check_int,
    check_labels,
    check_nonnegative,
    check_open_fraction,
    check_per_layer,
    check_positive,
    check_record_every,
    check_targets,
    check_tol,
    check_vector,
    check_X,
    one_of,
    seed,
    validate_params,
)
from fastnn.layout import MLPLayout
from fastnn.model import NETWORK

if TYPE_CHECKING:
    from collections.abc import Sequence

    from typing_extensions import Self

    from fastnn._typing import Activation, ArrayLike, Seed


__all__ = ["MLPClassifier", "MLPRegressor"]

SOLVERS = ("gd", "sgd", "minibatch", "momentum", "adam")
_OUT_ACTIVATION = {SQUARED_ERROR: "identity", LOG_LOSS: "logistic", SOFTMAX_LOG_LOSS: "softmax"}


def looks_like_values(n_classes: int, n_samples: int) -> bool:
    """Whether a classifier's labels look like a regression's values read as classes.

    More distinct classes than a tenth of the samples (and more than 10): one output per
    distinct value, which is rarely what was meant.
    """
    return n_classes > max(10, n_samples // 10)


class _BaseMLP(BaseEstimator):
    _parameter_constraints = {
        "hidden_layer_sizes": check_hidden_layer_sizes,
        "activation": check_activation,
        "solver": one_of(*SOLVERS),
        "alpha": check_nonnegative,
        "learning_rate_init": check_per_layer,
        "batch_size": check_batch_size_setting,
        "max_iter": check_int,
        "tol": check_tol,
        "n_iter_no_change": check_int,
        "momentum": check_fraction,
        "beta_1": check_fraction,
        "beta_2": check_fraction,
        "epsilon": check_positive,
        "init": one_of("normal", "xavier", "he"),
        "init_scale": check_per_layer,
        "biases": check_biases,
        "random_state": seed,
        "backend": one_of(*BACKENDS),
        "record_trajectory": check_record_every,
        "warm_start": check_bool,
        "early_stopping": check_bool,
        "validation_fraction": check_open_fraction,
    }

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: Activation = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0,
        learning_rate_init: float | Sequence[float] = 0.001,
        batch_size: int | str = "auto",
        max_iter: int = 200,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 10,
        momentum: float = 0.9,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        init: str = "xavier",
        init_scale: float | Sequence[float] = 1.0,
        biases: bool | Sequence[bool] = True,
        random_state: Seed | None = None,
        backend: str = "numba",
        record_trajectory: bool | int = False,
        warm_start: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
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
        self.init_scale = init_scale
        self.biases = biases
        self.random_state = random_state
        self.backend = backend
        self.record_trajectory = record_trajectory
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction

    # -- targets (subclasses) -----------------------------------------------------------
    def _fit_targets(self, y, n_samples):
        """Learn the target encoding; return (Y of shape (n, K), loss code)."""
        raise NotImplementedError

    def _partial_fit_targets(self, y, n_samples, classes, fitted):
        """The targets of one partial_fit call (learning the encoding on the first)."""
        raise NotImplementedError

    def _strata(self, Y):
        """Each sample's stratum for the validation split (its class, or one for all)."""
        raise NotImplementedError

    def _validation_score(self, impl, X, Y, layout, activation, theta):
        """The held-out score early stopping watches."""
        raise NotImplementedError

    def _encode(self, y, n_samples):
        """Encode y with the fitted encoding (or learn it when not fitted)."""
        raise NotImplementedError

    # -- training -------------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: ArrayLike, theta0: ArrayLike | None = None) -> Self:
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        theta0 : array-like of shape (n_params,), optional
            Starting parameters in the layout of ``layout_`` (default: drawn by
            ``init``, or the fitted ``theta_`` with ``warm_start=True``).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A bad parameter or input, named; with ``early_stopping``, a
            ``validation_fraction`` that holds out fewer than two samples (or all).

        Warns
        -----
        DivergenceWarning
            The loss became non-finite or rose above 1e4 times its first value
            (:data:`fastnn._codes.DIVERGENCE_RATIO`): training stopped, keeping the
            history so far.
        ConvergenceWarning
            ``max_iter`` epochs ran without meeting the ``tol`` criterion.
        """
        params = validate_params(self)
        impl = backend_module(params["backend"])
        warm = params["warm_start"] and theta0 is None and hasattr(self, "theta_")
        previous = (self.layout_, getattr(self, "classes_", None)) if warm else None
        self._record_feature_names(X)
        X = check_X(X)
        Y, loss = self._fit_targets(y, X.shape[0])
        layout = _checked_layout(params, X.shape, Y.shape[1])
        if warm:
            assert previous is not None  # set with warm
            theta = self._warm_theta(layout, *previous)
        elif theta0 is None:
            theta = initial_network(params, layout)
        else:
            theta = check_vector(theta0, "theta0", size=layout.n_params).copy()
        layout.zero_biases(theta, params["biases"])
        activation = network_table(params, layout.sizes.size - 2)
        stopper = None
        if params["early_stopping"]:
            train_rows, held_out = validation_split(
                params["random_state"],
                X.shape[0],
                params["validation_fraction"],
                self._strata(Y),
            )
            score = partial(
                self._validation_score, impl, X[held_out], Y[held_out], layout, activation
            )
            stopper = EarlyStopping(score, params["tol"], params["n_iter_no_change"])
            X, Y = X[train_rows], Y[train_rows]
        run, self._optimizer = _train_network(
            impl, params, X, Y, theta, layout, activation, loss, stopper=stopper
        )
        if stopper is not None and stopper.best_theta is not None:
            theta[:] = stopper.best_theta  # scikit-learn keeps the best validation score's
        self._set_network(layout, theta, activation, loss)
        self.loss_curve_ = run.loss_curve
        self.n_iter_ = run.n_iter
        if run.trajectory is not None:
            self.trajectory_ = run.trajectory
        self.validation_scores_ = None if stopper is None else np.array(stopper.scores)
        self.best_validation_score_ = None if stopper is None else stopper.best_score
        self.loss_ = _objective(impl, X, Y, theta, layout, activation, loss, params["alpha"])
        warn_outcome(
            self,
            run,
            solver=params["solver"],
            lr=params["learning_rate_init"],
            max_iter=params["max_iter"],
            tol=params["tol"],
        )
        return self

    def _partial_fit(self, X, y, classes):
        """One epoch over ``(X, y)`` continuing the model (see ``partial_fit``)."""
        params = validate_params(self)
        if params["early_stopping"]:
            raise ValueError(
                "early_stopping: partial_fit does not support early_stopping=True (it scores "
                "a held-out split over many epochs); use fit, or set early_stopping=False"
            )
        impl = backend_module(params["backend"])
        fitted = hasattr(self, "theta_")
        if not fitted:
            self._record_feature_names(X)
        X = check_X(
            X,
            n_features=self.n_features_in_ if fitted else None,
            estimator=type(self).__name__,
            feature_names=getattr(self, "feature_names_in_", None) if fitted else None,
        )
        Y, loss = self._partial_fit_targets(y, X.shape[0], classes, fitted)
        if fitted:
            layout, theta = self.layout_, self.theta_.copy()
            optimizer = getattr(self, "_optimizer", None)
            if optimizer is not None:
                optimizer = optimizer.copy()  # the model stays as it was if this call fails
        else:
            layout = _checked_layout(params, X.shape, Y.shape[1])
            theta = initial_network(params, layout)
            optimizer = None
        activation = network_table(params, layout.sizes.size - 2)
        params = {**params, "max_iter": 1, "tol": None, "record_trajectory": 0}
        run, optimizer = _train_network(
            impl, params, X, Y, theta, layout, activation, loss, optimizer=optimizer
        )
        self._optimizer = optimizer
        self._set_network(layout, theta, activation, loss)
        previous_curve = self.loss_curve_ if fitted else np.empty(0)
        self.loss_curve_ = np.concatenate([previous_curve, run.loss_curve])
        self.n_iter_ = (self.n_iter_ if fitted else 0) + run.n_iter
        self.loss_ = _objective(impl, X, Y, theta, layout, activation, loss, params["alpha"])
        warn_outcome(
            self, run, solver=params["solver"], lr=params["learning_rate_init"], max_iter=1,
            tol=None,
        )  # fmt: skip
        return self

    def _warm_theta(self, layout, old_layout, old_classes):
        """A copy of the fitted ``theta_`` to continue from, if the new fit has its shape."""
        classes = getattr(self, "classes_", None)
        if (
            old_classes is not None
            and classes is not None
            and not np.array_equal(classes, old_classes)
        ):
            self.classes_ = old_classes  # the fitted model stays as it was
            raise ValueError(
                "warm_start: y has classes "
                f"{classes.tolist()}, the fitted model {old_classes.tolist()}; fit a new model"
            )
        if tuple(layout.sizes) != tuple(old_layout.sizes):
            raise ValueError(
                f"warm_start: the network is now {tuple(int(s) for s in layout.sizes)}, it was "
                f"{tuple(int(s) for s in old_layout.sizes)} (hidden_layer_sizes or the data "
                "changed); fit a new model"
            )
        return self.theta_.copy()

    def _set_network(self, layout, theta, activation, loss):
        """The fitted parameters and what they mean (``fit``, and imported networks)."""
        self.layout_ = layout
        self.theta_ = theta
        self.coefs_ = layout.coefs(theta)
        self.intercepts_ = layout.intercepts(theta)
        self.n_features_in_ = int(layout.sizes[0])
        self.n_layers_ = layout.sizes.size
        self.n_outputs_ = int(layout.sizes[-1])
        self.out_activation_ = (
            _OUT_ACTIVATION[loss]
            if activation.shape[0] == layout.sizes.size - 2
            else describe_output(activation, layout.sizes.size - 2)
        )
        self._activation_table = activation
        self._loss_code = loss

    def _restore_views(self) -> None:
        if hasattr(self, "theta_"):
            self.coefs_ = self.layout_.coefs(self.theta_)
            self.intercepts_ = self.layout_.intercepts(self.theta_)

    # -- evaluation -----------------------------------------------------------------------
    def _loss_grad(self, impl, X, Y, theta):
        grad = np.empty(theta.size)
        value = impl.mlp_loss_grad(
            X, Y, theta, self.layout_.sizes, self._activation_table, self._loss_code, grad
        )
        return float(value), grad

    def _loss_parts(self, X, y, fitted):
        if fitted:
            Y = self._encode(y, X.shape[0])
            return NETWORK, Y, self.layout_, self._loss_code, self._activation_table
        # Learn the target encoding on a copy: the user's instance stays unfitted.
        Y, loss = type(self)(**self.get_params())._fit_targets(y, X.shape[0])
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        activation = network_table(self.get_params(), len(hidden))
        return NETWORK, Y, MLPLayout((X.shape[1], *hidden, Y.shape[1])), loss, activation

    def loss_grad(
        self, X: ArrayLike, y: ArrayLike, theta: ArrayLike | None = None
    ) -> tuple[float, np.ndarray]:
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
        X = check_X(
            X,
            n_features=self.n_features_in_,
            estimator=type(self).__name__,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        Y = self._encode(y, X.shape[0])
        theta = (
            self.theta_
            if theta is None
            else check_vector(theta, "theta", size=self.layout_.n_params)
        )
        return self._loss_grad(backend_module(self.backend), X, Y, theta)

    def _logits(self, X):
        self._check_fitted()
        X = check_X(
            X,
            n_features=self.n_features_in_,
            estimator=type(self).__name__,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        impl = backend_module(self.backend)
        out = np.empty((X.shape[0], self.n_outputs_))
        return impl.mlp_logits(X, self.theta_, self.layout_.sizes, self._activation_table, out)


def _objective(impl, X, Y, theta, layout, activation, loss, alpha):
    """Mean loss over all of (X, Y), plus the L2 penalty ``alpha / (2 n) ||W||^2``.

    A forward pass only (no gradient computed and thrown away).
    """
    logits = impl.mlp_logits(X, theta, layout.sizes, activation, np.empty(Y.shape))
    value = float(impl.output_loss(logits, Y, loss))
    if alpha > 0.0:
        weights = np.concatenate([w.ravel() for w in layout.coefs(theta)])
        value += 0.5 * alpha / X.shape[0] * float(weights @ weights)
    return value


def network_table(params, n_hidden: int) -> np.ndarray:
    """The activation table of settings ``params`` (with a regressor's output row).

    The output layer has a row when ``output_activation`` is not the identity.
    """
    return activation_table(
        params["activation"], n_hidden, output=params.get("output_activation", "identity")
    )


def initial_network(params, layout, scale=None) -> np.ndarray:
    """The starting parameters the settings ``params`` draw (``scale``: instead of theirs)."""
    theta = layout.initial_theta(
        params["random_state"], params["init"], params["init_scale"] if scale is None else scale
    )
    return layout.zero_biases(theta, params["biases"])


def _checked_layout(params, X_shape, n_outputs) -> MLPLayout:
    """The network's layout, once its training memory is known to fit."""
    layout = MLPLayout((X_shape[1], *params["hidden_layer_sizes"], n_outputs))
    n_layers = layout.sizes.size - 1
    for name, what in (("learning_rate_init", "rates"), ("init_scale", "factors")):
        values = params[name]
        if isinstance(values, tuple) and len(values) != n_layers:
            raise ValueError(
                f"{name} has {len(values)} {what}; the network "
                f"{tuple(int(s) for s in layout.sizes)} has {n_layers} layers (one per "
                "layer, the input side first)"
            )
    params["biases"] = layout.canonical_biases(params["biases"])  # or a ValueError
    rates = params["learning_rate_init"]
    if isinstance(rates, tuple):
        if params["solver"] == "adam":
            raise ValueError(
                "learning_rate_init: one rate per layer applies to solver 'gd', 'sgd', "
                "'minibatch' and 'momentum'; Adam takes one rate"
            )
    # parameters, gradient, optimiser state; activations and deltas of a batch
    batch = X_shape[0]
    if params["solver"] != "gd":
        batch = check_batch_size(params["batch_size"], X_shape[0])
    check_allocation(
        8 * (6 * layout.n_params + 3 * batch * sum(layout.sizes)),
        "hidden_layer_sizes",
        f"a network of {layout.n_params} parameters",
    )
    return layout


@dataclass
class _Optimizer:
    """What the next ``partial_fit`` continues: the kernel's state and the order generator."""

    state: np.ndarray
    rng: np.random.Generator

    def copy(self) -> _Optimizer:
        return _Optimizer(self.state.copy(), copy.deepcopy(self.rng))


def _train_network(
    impl, params, X, Y, theta, layout, activation, loss, *, stopper=None, optimizer=None
):
    """Train ``theta`` in place with the solver of ``params``.

    Continues ``optimizer`` (a :class:`_Optimizer`) or starts a new one; with ``stopper``
    (an :class:`fastnn._early_stopping.EarlyStopping`), one kernel call per epoch, the
    stopper deciding when to stop.  Returns ``(TrainingRun, optimizer)``.
    """
    n_samples = X.shape[0]
    solver = params["solver"]
    full_batch = solver == "gd"
    batch_size = 1 if solver == "sgd" else check_batch_size(params["batch_size"], n_samples)
    settings = mlp_settings(
        optimizer=ADAM if solver == "adam" else MOMENTUM,
        lr=params["learning_rate_init"],
        batch_size=batch_size,
        momentum=params["momentum"] if solver == "momentum" else 0.0,
        beta_1=params["beta_1"],
        beta_2=params["beta_2"],
        epsilon=params["epsilon"],
        tol=None if stopper is not None else params["tol"],
        n_iter_no_change=params["n_iter_no_change"],
        alpha=params["alpha"],
        biases=params["biases"],
    )
    if optimizer is None:
        # the limit comes from the loss at the start, before a first epoch of many steps
        initial = _objective(impl, X, Y, theta, layout, activation, loss, params["alpha"])
        optimizer = _Optimizer(mlp_state(theta, initial), params["random_state"])
    state = optimizer.state
    threaded = mlp_threaded(layout.sizes, n_samples if full_batch else batch_size)
    loop = training_loop(impl, "mlp_train", threaded)
    stride = max(params["record_trajectory"], 1)
    sizes = layout.sizes

    def run_kernel(order, curve, rows):
        return loop(
            X, Y, theta, sizes, activation, loss, settings, order, state, curve, rows, stride
        )

    run_epochs = run_kernel
    if stopper is not None:
        no_rows = np.empty((0, theta.size))

        def one_epoch(order, curve):
            return run_kernel(order, curve, no_rows)

        run_epochs = epoch_by_epoch(one_epoch, stopper, theta, stride)

    with blas_threads(mlp_blas_threads(sizes, n_samples if full_batch else batch_size)):
        run = train(
            run_epochs,
            n_epochs=params["max_iter"],
            n_samples=n_samples,
            n_params=layout.n_params,
            record_every=params["record_trajectory"],
            rng=None if full_batch else optimizer.rng,
            steps_per_epoch=1 if full_batch else -(-n_samples // batch_size),
        )
    return run, optimizer


class MLPClassifier(_BaseMLP):
    """Multilayer perceptron classifier trained by backpropagation.

    Two classes: one sigmoid output and binary cross-entropy; more: softmax and
    categorical cross-entropy -- both computed from the logits, so exact and
    finite everywhere.  Labels may be any sortable values (``classes_``).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Units of each hidden layer; ``()`` gives logistic (softmax) regression.
    activation : str, (str, float) or sequence of them, default "relu"
        Hidden-layer activation: ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"identity"``
        (linear layers, as scikit-learn's), ``"leaky_relu"`` (negative slope 0.01),
        ``"gelu"`` (exact, with erf), ``"silu"``, ``"elu"`` (alpha 1) or ``"softplus"``
        (``z`` above 20, as PyTorch's).  A ``(name, parameter)`` pair sets the slope,
        alpha or threshold: ``("leaky_relu", 0.2)``.  A sequence gives one per hidden
        layer: ``("relu", "tanh")``.
    solver : {"gd", "sgd", "minibatch", "momentum", "adam"}, default "adam"
        ``"gd"``: full-batch gradient descent (one step per epoch); ``"sgd"``: one
        sample per step; ``"minibatch"``: ``batch_size`` samples per step;
        ``"momentum"``: minibatches with heavy-ball momentum ``momentum``;
        ``"adam"``: minibatches with Adam (``beta_1``, ``beta_2``, ``epsilon``).
    alpha : float, default 0.0
        L2 penalty on the weights (not the biases), scikit-learn's form: each batch
        of B samples adds ``alpha / (2 B) * ||W||^2`` to its loss.  The default, 0,
        is the lecture's (no penalty) and the one default that differs from
        scikit-learn's (1e-4).
    learning_rate_init : float or sequence of float, default 0.001
        The step size; or one per layer (its weights and biases, the input side first)
        for ``solver`` "gd", "sgd", "minibatch" and "momentum".
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
    init_scale : float or sequence of float, default 1.0
        Multiplies the drawn initial parameters; or one factor per layer (its weights
        and biases, the input side first).  A hyperparameter of trainability maps.
    biases : bool or sequence of bool, default True
        False: a network without biases -- they are 0 and never trained (each
        layer computes ``activation(A W)``, as in Sohl-Dickstein's trainability
        experiments).  ``intercepts_`` then holds zeros.  Loss surfaces, lines and
        curvature of such a network are over its weights alone: planes keep the biases
        at 0, and the Hessian is the weights' (see :class:`fastnn.model.LossModel`).
        One bool per layer (the input side first): only those layers have biases (a
        PyTorch network with some ``bias=False`` layers); the others' are 0 and are not
        parameters, as above.
    random_state : None, int or numpy.random.Generator
        Seeds the initial parameters and the sample orders.
    backend : {"numba", "numpy"}, default "numba"
    record_trajectory : bool or int, default False
        Keep theta every epoch (True) or every k-th (int k) in ``trajectory_``.
    warm_start : bool, default False
        ``fit`` continues from the fitted ``theta_`` (same network and classes; a new
        optimiser state, as scikit-learn's) instead of drawing new weights.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the samples (stratified by class), score
        them after every epoch (accuracy) and stop when the score has not improved on
        the best by ``tol`` for more than ``n_iter_no_change`` epochs; ``theta_`` is
        then the best-scoring epoch's (scikit-learn's rule).  The training loss's own
        criterion is off; ``tol=None`` trains ``max_iter`` epochs and keeps the best.
    validation_fraction : float in (0, 1), default 0.1
        Share held out by ``early_stopping`` (``ceil(fraction * n)`` samples; the
        split is drawn from ``random_state``).

    Attributes
    ----------
    classes_ : ndarray
    theta_ : ndarray of shape (n_params,)
    coefs_, intercepts_ : lists of ndarray
        Per-layer weights (fan_in x fan_out) and biases, views of ``theta_``.
    layout_ : MLPLayout
    loss_ : float
        Mean training loss at ``theta_``, plus ``alpha / (2 n) * ||W||^2`` (the penalty
        over all n samples) when ``alpha > 0``.  Loss surfaces and lines map the data
        term only.
    loss_curve_ : ndarray of shape ``(n_iter_,)``
        Mean loss of each epoch (batch losses, each with its penalty, weighted by
        batch size).
    n_iter_ : int
    trajectory_ : ndarray of shape (n_rows, n_params)
    validation_scores_ : ndarray of shape ``(n_iter_,)`` or None
        The held-out score after each epoch (``early_stopping``; None otherwise).
    best_validation_score_ : float or None
        The best of them, the score of ``theta_``.
    n_features_in_, n_layers_, n_outputs_, out_activation_
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names (a pandas DataFrame).
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
        if looks_like_values(classes.size, n_samples):
            warnings.warn(
                f"MLPClassifier: y has {classes.size} distinct classes in {n_samples} samples "
                "(more than a tenth); if y holds values, not labels, use MLPRegressor",
                UserWarning,
                stacklevel=3,
            )
        self.classes_ = classes
        return self._encode(labels, n_samples, one_logit=classes.size == 2), (
            LOG_LOSS if classes.size == 2 else SOFTMAX_LOG_LOSS
        )

    @property
    def _one_logit(self):
        """Two classes as one sigmoid logit: fastnn's own binary networks.

        Networks imported with two softmax outputs (PyTorch's cross-entropy over two
        classes) keep them.
        """
        return self.classes_.size == 2 and getattr(self, "n_outputs_", 1) == 1

    def _encode(self, y, n_samples, one_logit=None):
        """Targets as the network's outputs: 0/1 for one logit, else one-hot."""
        labels = check_labels(y, n_samples)
        unknown = ~np.isin(labels, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y contains labels not seen in fit: {labels[unknown][:5].tolist()}; "
                f"classes_ are {self.classes_.tolist()}"
            )
        position = np.searchsorted(self.classes_, labels)
        if self._one_logit if one_logit is None else one_logit:
            return position.astype(np.float64)[:, None]
        return np.eye(self.classes_.size)[position]

    def partial_fit(self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None) -> Self:
        """One epoch of the solver over ``(X, y)``, continuing the model and its optimiser.

        The first call starts a network (drawn by ``init``); later calls, and a call on a
        model trained by :meth:`fit`, continue from ``theta_`` with the optimiser's state
        (Adam's moments, momentum, the step count, the divergence limit) and sample-order
        generator, as scikit-learn's ``partial_fit`` does.  ``tol`` and
        ``record_trajectory`` apply to :meth:`fit` only; ``early_stopping=True`` is
        refused (as scikit-learn refuses it).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        classes : array-like, optional
            Classifiers: every class the model will see, required on the first call
            (a batch need not hold them all); later calls may repeat it unchanged.

        Returns
        -------
        self

        Warns
        -----
        DivergenceWarning
            The epoch's loss became non-finite or rose above the divergence limit:
            ``theta_`` holds the parameters before the last step.
        """
        return self._partial_fit(X, y, classes)

    def _partial_fit_targets(self, y, n_samples, classes, fitted):
        given = None
        if classes is not None:
            given = np.unique(check_labels(classes, np.size(classes), name="classes"))
        if fitted:
            if given is not None and not np.array_equal(given, self.classes_):
                raise ValueError(
                    f"classes={given.tolist()} differs from the model's classes_ "
                    f"{self.classes_.tolist()}; fit a new model"
                )
            return self._encode(y, n_samples), self._loss_code
        if given is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every class the "
                "model will see (a batch need not hold them all)"
            )
        if given.size < 2:
            raise ValueError(f"classes must hold at least 2 distinct classes; got {given.tolist()}")
        self.classes_ = given
        try:
            Y = self._encode(y, n_samples, one_logit=given.size == 2)
        except ValueError:
            del self.classes_
            raise
        return Y, LOG_LOSS if given.size == 2 else SOFTMAX_LOG_LOSS

    def _strata(self, Y):
        """Each sample's class index: validation splits keep the class proportions."""
        return Y[:, 0] if Y.shape[1] == 1 else np.argmax(Y, axis=1)

    def _validation_score(self, impl, X, Y, layout, activation, theta):
        """Accuracy of ``theta`` on encoded ``(X, Y)``, predicted as :meth:`predict` does."""
        z = impl.mlp_logits(X, theta, layout.sizes, activation, np.empty(Y.shape))
        if Y.shape[1] == 1:
            return float(np.mean((z[:, 0] > 0.0) == (Y[:, 0] == 1.0)))
        return float(np.mean(np.argmax(z, axis=1) == np.argmax(Y, axis=1)))

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """The output layer's logits.

        Shape (n_samples,) for two classes (positive means ``classes_[1]``; a network
        with two softmax outputs gives the difference of its logits), else
        (n_samples, n_classes).
        """
        z = self._logits(X)
        if self.classes_.size == 2:
            return z[:, 0].copy() if self._one_logit else z[:, 1] - z[:, 0]
        return z

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed from the logits.

        Finite where a probability underflows to 0.
        """
        z = self._logits(X)
        impl = backend_module(self.backend)
        if self._one_logit:
            logit = np.ascontiguousarray(z[:, 0])
            return np.column_stack(
                [
                    impl.log_sigmoid(-logit, np.empty(z.shape[0])),
                    impl.log_sigmoid(logit, np.empty(z.shape[0])),
                ]
            )
        top = z.max(axis=1, keepdims=True)
        return z - top - np.log(np.sum(np.exp(z - top), axis=1, keepdims=True))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        z = self._logits(X)
        impl = backend_module(self.backend)
        if self._one_logit:
            proba = np.empty((z.shape[0], 2))
            proba[:, 1] = impl.sigmoid(np.ascontiguousarray(z[:, 0]), np.empty(z.shape[0]))
            proba[:, 0] = impl.sigmoid(-z[:, 0], np.empty(z.shape[0]))
            return proba
        shifted = np.exp(z - z.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable class of each sample."""
        z = self._logits(X)
        if self._one_logit:
            return self.classes_[(z[:, 0] > 0.0).astype(np.intp)]
        return self.classes_[np.argmax(z, axis=1)]

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Mean accuracy."""
        y_pred = self.predict(X)
        return float(np.mean(y_pred == check_labels(y, y_pred.size)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class MLPRegressor(_BaseMLP):
    """Multilayer perceptron regressor: mean squared error of its (activated) outputs.

    Parameters and attributes as :class:`MLPClassifier` (no ``classes_``; the
    ``early_stopping`` score is R^2 on a random split), and ``output_activation``.  ``y``
    may have several columns (one output unit each); the loss is the mean over
    samples and outputs.  scikit-learn's regressor minimises half the squared error:
    fastnn's ``(learning_rate_init, alpha)`` take its steps of ``(2 lr, alpha / 2)``,
    and its ``loss_`` is half of fastnn's (tested).

    Parameters
    ----------
    output_activation : str or (str, float), default "identity"
        The output units' activation ``f``, one of ``activation``'s names (with its
        parameter as a pair): the loss is the mean squared error of ``f(z)`` and
        ``predict`` returns ``f(z)`` -- a torch ``Linear -> Sigmoid`` module trained with
        ``MSELoss``, say.  ``"identity"`` (scikit-learn's only choice): ``z`` itself.
    """

    _estimator_type = "regressor"
    _parameter_constraints = {
        **_BaseMLP._parameter_constraints,
        "output_activation": check_output_activation,
    }

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: Activation = "relu",
        *,
        output_activation: str | tuple[str, float] = "identity",
        solver: str = "adam",
        alpha: float = 0.0,
        learning_rate_init: float | Sequence[float] = 0.001,
        batch_size: int | str = "auto",
        max_iter: int = 200,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 10,
        momentum: float = 0.9,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        init: str = "xavier",
        init_scale: float | Sequence[float] = 1.0,
        biases: bool | Sequence[bool] = True,
        random_state: Seed | None = None,
        backend: str = "numba",
        record_trajectory: bool | int = False,
        warm_start: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
    ) -> None:
        # every parameter in the signature, as scikit-learn's get_params reads it
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha,
            learning_rate_init=learning_rate_init, batch_size=batch_size, max_iter=max_iter,
            tol=tol, n_iter_no_change=n_iter_no_change, momentum=momentum, beta_1=beta_1,
            beta_2=beta_2, epsilon=epsilon, init=init, init_scale=init_scale, biases=biases,
            random_state=random_state, backend=backend, record_trajectory=record_trajectory,
            warm_start=warm_start, early_stopping=early_stopping,
            validation_fraction=validation_fraction,
        )  # fmt: skip
        self.output_activation = output_activation

    def _fit_targets(self, y, n_samples):
        Y = self._targets(y, n_samples)
        self._y_ndim = 1 if np.asarray(y).ndim == 1 else 2
        return Y, SQUARED_ERROR

    def _targets(self, y, n_samples):
        return check_targets(y, n_samples, estimator="MLPRegressor")

    def _encode(self, y, n_samples):
        return self._targets(y, n_samples)

    def partial_fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """One epoch of the solver over ``(X, y)``, continuing the model and its optimiser.

        As :meth:`MLPClassifier.partial_fit`, without classes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self
        """
        return self._partial_fit(X, y, None)

    def _partial_fit_targets(self, y, n_samples, classes, fitted):
        if not fitted:
            return self._fit_targets(y, n_samples)
        Y = self._targets(y, n_samples)
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} output(s), the model {self.n_outputs_}; fit a new model"
            )
        return Y, SQUARED_ERROR

    def _strata(self, Y):
        return None  # a regressor's validation split is a plain random one

    def _validation_score(self, impl, X, Y, layout, activation, theta):
        """R^2 of ``theta`` on ``(X, Y)``, averaged over outputs, as :meth:`score`."""
        z = impl.mlp_logits(X, theta, layout.sizes, activation, np.empty(Y.shape))
        return float(np.mean([r2_score(Y[:, k], z[:, k]) for k in range(Y.shape[1])]))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted targets, shape (n_samples,) when fitted on 1-D y."""
        z = self._logits(X)
        return z[:, 0].copy() if self._y_ndim == 1 else z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """R^2, averaged over outputs."""
        y_pred = self._logits(X)
        Y = self._targets(y, y_pred.shape[0])
        return float(np.mean([r2_score(Y[:, k], y_pred[:, k]) for k in range(Y.shape[1])]))
