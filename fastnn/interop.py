"""Models trained elsewhere, as fastnn estimators: :func:`from_sklearn`, :func:`from_torch`.

An imported model is an ordinary fitted fastnn estimator (same layout, kernels and
engines), so ``loss_surface``, ``loss_line``, its plots and ``gradcheck`` work on it as on
a native one.  Its loss is the *metric* scikit-learn users compute:
``sklearn.metrics.log_loss(y, predict_proba(X))`` for classifiers,
``mean_squared_error(y, predict(X))`` for regressors (tested to 1e-12).  scikit-learn's
own ``loss_`` attribute of its MLPs differs by convention: half the squared error for
regressors, and the L2 penalty ``alpha / (2 n) * ||W||^2`` added for both; fastnn's
surfaces show the data term only.  The penalty carries over as the imported model's
``alpha`` (what a warm-started ``fit`` or ``partial_fit`` minimises): an MLPClassifier's
``alpha``, twice an MLPRegressor's (fastnn's regressors minimise the whole squared
error), and ``1 / C`` for an L2-penalised LogisticRegression (0 without a penalty;
fastnn has no L1 penalty, so an L1 or elastic-net model imports with ``alpha=0``).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import TYPE_CHECKING

import numpy as np

from fastnn._activations import activation_table, describe
from fastnn._batch_norm_network import BatchNormNetwork
from fastnn._codes import LOG_LOSS, SOFTMAX_LOG_LOSS, SQUARED_ERROR
from fastnn.exceptions import FastnnWarning
from fastnn.layout import BatchNormLayout, MLPLayout

if TYPE_CHECKING:
    from typing import Any

    from fastnn._typing import ArrayLike
    from fastnn.layout import LinearLayout
    from fastnn.mlp import MLPClassifier, MLPRegressor
    from fastnn.model import LossModel


__all__ = ["ImportedPipeline", "from_sklearn", "from_torch", "to_sklearn", "to_torch"]

# scikit-learn's hidden activations -> fastnn's
_ACTIVATIONS = {"logistic": "sigmoid", "tanh": "tanh", "relu": "relu", "identity": "identity"}


def from_sklearn(estimator: Any) -> Any:
    """A fitted scikit-learn model as a fitted fastnn estimator.

    Parameters
    ----------
    estimator : fitted scikit-learn estimator
        ``LinearRegression`` (one target), ``LogisticRegression`` (binary, or
        multinomial: a fastnn LogisticRegression whose softmax over linear logits is
        a network without hidden layers), ``MLPClassifier`` (binary or multiclass),
        ``MLPRegressor``, or a ``Pipeline`` whose last step is one of these (its other
        steps are applied to ``X`` first: :class:`ImportedPipeline`).

    Returns
    -------
    fastnn estimator or ImportedPipeline
        Fitted, with the same parameters (``theta_``), classes and predictions;
        ``imported_from_`` says where it came from.  It carries no training history
        (``loss_curve_``, ``trajectory_``).

    Raises
    ------
    ValueError
        An unfitted estimator, or one fastnn cannot represent (the message says why:
        an ``identity`` hidden activation, several regression targets, multilabel
        outputs, one-vs-rest logistic regression).
    TypeError
        Any other kind of estimator.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> import fastnn
    >>> X, y = fastnn.data.donut(200, seed=0)
    >>> net = MLPClassifier((5,), max_iter=300, random_state=0).fit(X, y)  # doctest: +SKIP
    >>> surface = fastnn.loss_surface(fastnn.from_sklearn(net), X, y)  # doctest: +SKIP
    """
    kind = type(estimator).__name__
    module = type(estimator).__module__
    if not module.startswith("sklearn."):
        raise TypeError(f"from_sklearn takes a scikit-learn estimator; got {kind} from {module}")
    if kind == "Pipeline":
        return _pipeline(estimator)
    importers = {
        "LinearRegression": _linear_regression,
        "LogisticRegression": _logistic_regression,
        "MLPClassifier": _mlp,
        "MLPRegressor": _mlp,
    }
    if kind not in importers:
        raise TypeError(
            f"from_sklearn imports LinearRegression, LogisticRegression, MLPClassifier, "
            f"MLPRegressor and Pipelines ending in one; got {kind}"
        )
    _check_fitted(estimator)
    model = importers[kind](estimator)
    model.imported_from_ = f"scikit-learn {kind}"
    if hasattr(estimator, "feature_names_in_"):  # fitted on a DataFrame: the names carry over
        model.feature_names_in_ = np.asarray(estimator.feature_names_in_, dtype=object)
    return model


def _finite(values, source: str, where: str) -> np.ndarray:
    """``values`` as float64, or a one-line ValueError naming where NaN or inf sits."""
    array = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        bad = "NaN" if np.isnan(array).any() else "infinite"
        raise ValueError(
            f"{source}: {where} holds {bad} values; a model with them predicts nothing "
            "meaningful (retrain it, or fix the weights)"
        )
    return array


def _check_fitted(estimator) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        raise ValueError(
            f"from_sklearn: this {type(estimator).__name__} is not fitted; fit it first"
        ) from None


def _linear_regression(estimator):
    from fastnn.linear_model import LinearRegression

    coef = _finite(estimator.coef_, "from_sklearn", "coef_")
    _finite(estimator.intercept_, "from_sklearn", "intercept_")
    if coef.ndim != 1:
        raise ValueError(
            f"from_sklearn: this LinearRegression has {coef.shape[0]} targets; fastnn's has one"
        )
    theta = np.concatenate([[float(estimator.intercept_)], coef])
    model = LinearRegression(fit_intercept=bool(estimator.fit_intercept))
    model._set_theta(theta, model.fit_intercept, coef.size)
    return model


def _logistic_regression(estimator):
    from fastnn.linear_model import LogisticRegression

    classes = np.asarray(estimator.classes_)
    if getattr(estimator, "multi_class", "auto") == "ovr" and classes.size > 2:
        raise ValueError(
            "from_sklearn: a one-vs-rest LogisticRegression (multi_class='ovr') normalises "
            "its classes' sigmoids, not a softmax; refit it multinomial to import it"
        )
    coef = _finite(estimator.coef_, "from_sklearn", "coef_")
    intercept = _finite(estimator.intercept_, "from_sklearn", "intercept_")
    alpha = 1.0 / float(estimator.C) if _pure_l2(estimator) else 0.0
    if classes.size == 2:
        model = LogisticRegression(alpha=alpha, fit_intercept=bool(estimator.fit_intercept))
        model.classes_ = classes
        theta = np.concatenate([intercept[:1], coef[0]])
        model._set_theta(theta, model.fit_intercept, coef.shape[1])
        return model
    # multinomial: a softmax over linear logits is a network without hidden layers
    layout = MLPLayout((coef.shape[1], classes.size))
    theta = np.concatenate([coef.T.ravel(), intercept])
    model = LogisticRegression(alpha=alpha)
    model._adopt_softmax(
        _network("MLPClassifier", (), "relu", layout, theta, SOFTMAX_LOG_LOSS, classes, alpha)
    )
    return model


def _pure_l2(estimator) -> bool:
    """Whether a scikit-learn LogisticRegression's penalty is L2 alone (any version).

    scikit-learn 1.8 deprecated ``penalty`` in favour of ``l1_ratio`` (0: L2).
    """
    penalty = getattr(estimator, "penalty", "l2")
    l1_ratio = getattr(estimator, "l1_ratio", None) or 0.0
    return penalty == "l2" or (penalty in ("deprecated", "elasticnet") and l1_ratio == 0.0)


def _mlp(estimator):
    kind = type(estimator).__name__
    if estimator.activation not in _ACTIVATIONS:
        raise ValueError(
            f"from_sklearn: activation={estimator.activation!r} has no fastnn counterpart "
            f"(fastnn's: {', '.join(repr(a) for a in _ACTIVATIONS)})"
        )
    sizes = [estimator.coefs_[0].shape[0], *(w.shape[1] for w in estimator.coefs_)]
    layout = MLPLayout(sizes)
    theta = np.empty(layout.n_params)
    for k, (target, source) in enumerate(zip(layout.coefs(theta), estimator.coefs_, strict=True)):
        target[...] = _finite(source, "from_sklearn", f"coefs_[{k}] (layer {k})")
    pairs = zip(layout.intercepts(theta), estimator.intercepts_, strict=True)
    for k, (target, source) in enumerate(pairs):
        target[...] = _finite(source, "from_sklearn", f"intercepts_[{k}] (layer {k})")
    classes = None
    if kind == "MLPClassifier":
        classes = np.asarray(estimator.classes_)
        if estimator.out_activation_ == "logistic" and estimator.n_outputs_ > 1:
            raise ValueError("from_sklearn: multilabel MLPClassifiers have no fastnn counterpart")
        loss = LOG_LOSS if estimator.n_outputs_ == 1 else SOFTMAX_LOG_LOSS
    else:
        if getattr(estimator, "loss", "squared_error") != "squared_error":
            raise ValueError(
                f"from_sklearn: loss={estimator.loss!r} has no fastnn counterpart "
                "(MLPRegressor's is 'squared_error')"
            )
        loss = SQUARED_ERROR
    hidden = tuple(int(s) for s in sizes[1:-1])
    # scikit-learn's regressors minimise half the squared error: twice its penalty is ours
    alpha = float(estimator.alpha) * (2.0 if loss == SQUARED_ERROR else 1.0)
    activation = _ACTIVATIONS[estimator.activation]
    return _network(kind, hidden, activation, layout, theta, loss, classes, alpha)


def _network(kind, hidden, activation, layout, theta, loss, classes, alpha=0.0, output=None):
    """A fitted estimator of ``theta``; ``output``: a regressor's output activation."""
    from fastnn.mlp import MLPClassifier, MLPRegressor

    table = activation_table(
        activation if hidden else "relu", len(hidden), output=output or "identity"
    )
    settings = {"output_activation": output} if output else {}
    model = (MLPClassifier if kind == "MLPClassifier" else MLPRegressor)(
        hidden_layer_sizes=hidden,
        activation=describe(table[: len(hidden)]) if hidden else "relu",
        alpha=alpha,
        **settings,
    )
    if classes is not None:
        model.classes_ = classes
    else:
        model._y_ndim = 1 if layout.sizes[-1] == 1 else 2  # type: ignore[union-attr]
    model._set_network(layout, theta, table, loss)
    return model


class ImportedPipeline:
    """A scikit-learn Pipeline's preprocessing in front of an imported fastnn estimator.

    ``X`` goes through ``transform`` (the pipeline without its last step) once per call;
    the engines then see the fastnn ``estimator``'s loss on the transformed data, so
    ``fastnn.loss_surface(imported, X, y)`` takes the raw ``X`` a user has.

    Attributes
    ----------
    transform : sklearn.pipeline.Pipeline
        The steps before the model (fitted, used as they are).
    estimator : fastnn estimator
        The imported last step.
    """

    imported_from_: str

    def __init__(self, transform: Any, estimator: Any) -> None:
        self.transform = transform
        self.estimator = estimator

    def _x(self, X):
        transformed = self.transform.transform(X)
        if hasattr(transformed, "toarray"):  # a sparse step's output (a OneHotEncoder's)
            transformed = transformed.toarray()
        return np.asarray(transformed, dtype=np.float64)

    def loss_model(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        center: ArrayLike | None = None,
        backend: str | None = None,
    ) -> LossModel:
        """The last step's :class:`~fastnn.model.LossModel` on the transformed ``X``."""
        model = self.estimator.loss_model(self._x(X), y, center=center, backend=backend)
        kind = type(self.estimator).__name__
        return dataclasses.replace(model, name=f"{kind} (from scikit-learn Pipeline)")

    def loss_grad(
        self, X: ArrayLike, y: ArrayLike, theta: ArrayLike | None = None
    ) -> tuple[float, np.ndarray]:
        """Mean loss and gradient of the last step on the transformed ``X``."""
        return self.estimator.loss_grad(self._x(X), y, theta)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The pipeline's predictions."""
        return self.estimator.predict(self._x(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities (classifiers)."""
        return self.estimator.predict_proba(self._x(X))

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy (classifiers) or R^2 (regressors) of the pipeline."""
        return self.estimator.score(self._x(X), y)

    @property
    def theta_(self) -> np.ndarray:
        """The last step's parameters."""
        return self.estimator.theta_

    @property
    def layout_(self) -> MLPLayout | LinearLayout:
        """The last step's parameter layout."""
        return self.estimator.layout_

    def __repr__(self) -> str:
        steps = " -> ".join(type(step).__name__ for _, step in self.transform.steps)
        return f"ImportedPipeline({steps} -> {self.estimator!r})"


def _pipeline(pipeline):
    final = pipeline.steps[-1][1]
    if len(pipeline.steps) < 2:
        return from_sklearn(final)
    imported = ImportedPipeline(pipeline[:-1], from_sklearn(final))
    imported.imported_from_ = "scikit-learn Pipeline"
    return imported


# torch's activation modules -> fastnn's (name, or name and parameter)
_TORCH_ACTIVATIONS = {
    "Sigmoid": lambda layer: "sigmoid",
    "Tanh": lambda layer: "tanh",
    "ReLU": lambda layer: "relu",
    "Identity": lambda layer: "identity",
    "LeakyReLU": lambda layer: ("leaky_relu", float(layer.negative_slope)),
    "GELU": lambda layer: "gelu",
    "SiLU": lambda layer: "silu",
    "ELU": lambda layer: ("elu", float(layer.alpha)),
    "Softplus": lambda layer: ("softplus", float(layer.threshold)),
}
# layers that are the identity in evaluation mode on fastnn's (samples, features) inputs
_TORCH_PASSED_THROUGH = ("Dropout", "Identity", "Flatten")
TORCH_LOSSES = ("cross_entropy", "nll_loss", "bce_with_logits", "mse")


def from_torch(
    module: Any, loss: str, *, batch_norm: str | None = None
) -> MLPClassifier | MLPRegressor | BatchNormNetwork:
    """A PyTorch ``nn.Sequential`` network as a fitted fastnn estimator.

    Parameters
    ----------
    module : torch.nn.Sequential
        ``Linear`` layers with at most one activation between two of them (``Sigmoid``,
        ``Tanh``, ``ReLU``, ``LeakyReLU`` (its slope), ``GELU`` (exact), ``SiLU``,
        ``ELU`` (its alpha), ``Softplus`` (beta 1, its threshold); none: the identity),
        each hidden layer its own, ending in a ``Linear`` layer: the output function is
        the loss's -- except with ``loss="mse"``, where one of those activations may follow
        the last ``Linear`` layer (the estimator's ``output_activation``).  ``Linear``
        layers built with ``bias=False`` have no biases in the estimator either (its
        ``biases``: False, or one flag per layer): planes, Hessians and training are over
        the module's own parameters.  ``Dropout``, ``Identity``
        and ``Flatten`` layers may stand anywhere: they are taken as evaluated
        (``module.eval()``: the identity on fastnn's two-dimensional inputs).  With
        ``loss="nll_loss"`` the module ends in ``LogSoftmax(dim=1)``.
    loss : {"cross_entropy", "nll_loss", "bce_with_logits", "mse"}
        What the network was trained with: ``nn.CrossEntropyLoss`` (targets are class
        indices 0..K-1, K >= 2 outputs; two outputs stay a two-way softmax, so the
        surface is over the module's own parameters), ``nn.NLLLoss`` of the module's
        ``LogSoftmax`` (the same loss), ``nn.BCEWithLogitsLoss`` (one output, targets
        0/1) or ``nn.MSELoss`` (mean over samples and outputs).
    batch_norm : {None, "fold", "parameters"}, default None
        How a ``BatchNorm1d`` right after a ``Linear`` layer is mapped, as evaluated (its
        running statistics fixed).  ``"fold"``: folded into the Linear layer,
        ``W' = W c`` and ``b' = (b - mean) c + beta`` per unit, ``c = gamma /
        sqrt(var + eps)``; the estimator computes the module's function exactly, over the
        folded layer's parameters ``(W', b')`` -- not over ``gamma`` and ``beta``, which
        planes leave where they are.  Filter-normalised directions with ``bias="zero"``
        then give Li et al.'s plane of the module's weights with biases and BatchNorm
        parameters fixed (their ``--xignore biasbn``): each folded filter is its filter
        times ``c``, which filter normalisation divides out (the sign of a negative
        ``gamma`` aside).  :func:`to_torch` unfolds.  ``"parameters"``: ``gamma`` and
        ``beta`` are parameters of the plane, beside the weights and biases -- the
        module's own ``parameters()``, in a
        :class:`~fastnn.layout.BatchNormLayout`; the result is a
        :class:`BatchNormNetwork` (mapped, not trained; a module without BatchNorm1d
        layers gives the estimator as without it).  Filter normalisation treats
        ``gamma`` and ``beta`` as biases: ``bias="zero"`` leaves them fixed (Li et al.'s
        ``--xignore biasbn``), ``bias="keep"`` rescales each as one filter.  A
        ``BatchNorm1d`` without ``affine`` has no parameters: use ``"fold"``.  None: a
        ``BatchNorm1d`` is refused.

    Returns
    -------
    MLPClassifier, MLPRegressor or BatchNormNetwork
        Fitted with the module's weights (converted to float64); its loss at every
        point equals torch's own loss of the float64 module (tested to 1e-12).  A
        :class:`BatchNormNetwork` with ``batch_norm="parameters"``.
        :func:`to_torch` (or ``Surface.to_torch``) takes its parameters back.

    Raises
    ------
    ValueError
        A layer fastnn does not have (named with its position), an activation setting it
        does not compute (GELU's tanh approximation, Softplus with beta != 1), a
        ``BatchNorm1d`` without ``batch_norm`` or not right after a Linear layer (or
        without ``affine`` under ``"parameters"``), or a loss fastnn does not have.

    Warns
    -----
    FastnnWarning
        A ``Dropout`` or ``BatchNorm1d`` layer in training mode: the module is mapped as
        evaluated.
    """
    if loss not in TORCH_LOSSES:
        raise ValueError(f"loss must be one of {', '.join(map(repr, TORCH_LOSSES))}; got {loss!r}")
    if batch_norm not in (None, "fold", "parameters"):
        raise ValueError(f"batch_norm must be None, 'fold' or 'parameters'; got {batch_norm!r}")
    network = _torch_network(module, "from_torch", loss, fold=batch_norm is not None)
    training = [
        k for k, layer in enumerate(module)
        if (type(layer).__name__ == "Dropout" and layer.training and layer.p > 0)
        or (type(layer).__name__ == "BatchNorm1d" and layer.training)
    ]  # fmt: skip
    if training:
        kind = type(module[training[0]]).__name__
        warnings.warn(
            f"from_torch: layer {training[0]} ({kind}) is in training mode, where torch "
            + ("drops units at random" if kind == "Dropout" else "normalises by the batch's")
            + "; fastnn maps the module as evaluated (module.eval())",
            FastnnWarning,
            stacklevel=2,
        )
    # a folded layer has a bias (BatchNorm's shift) whether or not its Linear layer has one
    has_biases = tuple(
        layer.bias is not None or network.batch_norms[id(layer)] is not None
        for layer in network.linear
    )
    layout = MLPLayout(network.sizes)
    theta = np.empty(layout.n_params)
    for layer, weights, biases in zip(
        network.linear, layout.coefs(theta), layout.intercepts(theta), strict=True
    ):
        weights[...], own = _linear_values(layer, network.positions)
        biases[...] = 0.0 if own is None else own
        norm = network.batch_norms[id(layer)]
        if norm is not None:
            scale, mean, shift = _batch_norm_fold(norm, network.positions[id(norm)])
            weights *= scale
            biases[...] = (biases - mean) * scale + shift
    sizes, activation = network.sizes, network.activation
    outputs = sizes[-1]
    hidden = tuple(int(s) for s in sizes[1:-1])
    if loss == "mse":
        model = _network(
            "MLPRegressor", hidden, activation, layout, theta, SQUARED_ERROR, None,
            output=network.output,
        )  # fmt: skip
    elif loss == "bce_with_logits":
        if outputs != 1:
            raise ValueError(
                f"from_torch: bce_with_logits needs one output; this module has {outputs}"
            )
        model = _network("MLPClassifier", hidden, activation, layout, theta, LOG_LOSS, np.arange(2))
    else:
        if outputs < 2:
            raise ValueError(
                f"from_torch: {loss} needs at least 2 outputs; this module has 1 (use "
                "bce_with_logits for one output)"
            )
        model = _network(
            "MLPClassifier", hidden, activation, layout, theta, SOFTMAX_LOG_LOSS, np.arange(outputs)
        )
    # bias=False layers: the module's parameters are the weights and the biases it has
    model.set_params(biases=layout.canonical_biases(has_biases))
    model.imported_from_ = "PyTorch"
    if batch_norm == "parameters" and any(n is not None for n in network.batch_norms.values()):
        return _with_norm_parameters(model, network)
    return model


@dataclasses.dataclass
class _TorchNetwork:
    """What fastnn reads from a torch ``nn.Sequential``: its Linear layers and sizes."""

    linear: list  # the Linear layers, input side first
    positions: dict  # id(layer) -> its position in the module
    sizes: list[int]
    activation: tuple  # one per hidden layer: a name, or a (name, parameter) pair
    output: str | tuple | None  # an activation after the last Linear layer (mse only)
    batch_norms: dict  # id(Linear layer) -> the BatchNorm1d folded into it, or None


def _torch_network(
    module, caller: str, loss: str | None = None, fold: bool = True
) -> _TorchNetwork:
    """Check ``module`` as :func:`from_torch` describes it; its Linear layers and sizes.

    A last ``LogSoftmax`` is the ``nll_loss``'s (required with it, refused with the other
    losses; ``loss=None`` takes either); an activation after the last Linear layer is an
    output activation (``mse`` or ``loss=None`` only).  ``fold``: a ``BatchNorm1d`` right
    after a Linear layer is folded into it (else refused).
    """
    import torch  # imported here only: torch stays optional

    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"{caller} takes a torch.nn.Sequential; got {type(module).__name__}")
    every = list(module)
    for k, layer in enumerate(every):
        name = type(layer).__name__
        known = isinstance(layer, (torch.nn.Linear, torch.nn.LogSoftmax))
        if name == "BatchNorm1d" and not fold:
            raise ValueError(
                f"{caller}: layer {k} (BatchNorm1d) is mapped as evaluated, with the Linear "
                "layer before it: pass batch_norm='fold' or 'parameters' (see from_torch)"
            )
        known = known or (name == "BatchNorm1d" and fold)
        if not known and name not in _TORCH_ACTIVATIONS and name not in _TORCH_PASSED_THROUGH:
            raise ValueError(
                f"{caller}: layer {k} ({name}) has no fastnn counterpart: fastnn networks "
                "are Linear layers with one of Sigmoid, Tanh, ReLU, LeakyReLU, GELU, SiLU, "
                "ELU, Softplus (or nothing) between them (Dropout, Identity and Flatten are "
                "passed through)"
            )
        _check_torch_activation(layer, k, caller)
    positions = {id(layer): k for k, layer in enumerate(every)}
    layers = [layer for layer in every if type(layer).__name__ not in _TORCH_PASSED_THROUGH]
    batch_norms = {}
    for k, layer in enumerate(layers):
        if type(layer).__name__ == "BatchNorm1d":
            before = layers[k - 1] if k > 0 else None
            if not isinstance(before, torch.nn.Linear) or id(before) in batch_norms:
                raise ValueError(
                    f"{caller}: layer {positions[id(layer)]} (BatchNorm1d) does not follow a "
                    "Linear layer; fastnn folds a BatchNorm1d into the Linear layer right "
                    "before it"
                )
            if before.out_features != layer.num_features:
                raise ValueError(
                    f"{caller}: layer {positions[id(layer)]} (BatchNorm1d) normalises "
                    f"{layer.num_features} features; the Linear layer before it gives "
                    f"{before.out_features}"
                )
            batch_norms[id(before)] = layer
    layers = [layer for layer in layers if type(layer).__name__ != "BatchNorm1d"]
    log_softmax = bool(layers) and isinstance(layers[-1], torch.nn.LogSoftmax)
    if log_softmax:
        last = layers.pop()
        if loss not in (None, "nll_loss"):
            raise ValueError(
                f"{caller}: layer {positions[id(last)]} (LogSoftmax) gives log-probabilities, "
                f"the input of nll_loss; with {loss} the module ends in its last Linear layer"
            )
        if last.dim not in (1, -1):
            raise ValueError(
                f"{caller}: layer {positions[id(last)]} (LogSoftmax) normalises over dim "
                f"{last.dim}; fastnn's softmax is over the outputs (dim=1)"
            )
    elif loss == "nll_loss":
        raise ValueError(
            f"{caller}: nll_loss takes log-probabilities: end the module in "
            "nn.LogSoftmax(dim=1) (or use cross_entropy on its logits)"
        )
    output = None
    if layers and type(layers[-1]).__name__ in _TORCH_ACTIVATIONS and not log_softmax:
        last = layers[-1]
        if loss not in (None, "mse"):
            raise ValueError(
                f"{caller}: layer {positions[id(last)]} ({type(last).__name__}) follows the "
                f"last Linear layer; with {loss} the module ends in its last Linear layer "
                "(the loss applies its own output function; an output activation goes with mse)"
            )
        output = _TORCH_ACTIVATIONS[type(last).__name__](last)
        layers.pop()
    for layer in layers:
        if isinstance(layer, torch.nn.LogSoftmax):
            raise ValueError(
                f"{caller}: layer {positions[id(layer)]} (LogSoftmax) has no fastnn "
                "counterpart before the last layer (as the last one, it is nll_loss's)"
            )
    linear_at = [k for k, layer in enumerate(layers) if isinstance(layer, torch.nn.Linear)]
    # between two Linear layers: one activation, or none (the identity)
    gaps = [layers[k + 1 : j] for k, j in zip(linear_at, linear_at[1:], strict=False)]
    if (
        not linear_at
        or linear_at[-1] != len(layers) - 1
        or linear_at[0] != 0
        or any(len(gap) > 1 for gap in gaps)
    ):
        raise ValueError(
            f"{caller}: the module must be Linear layers with at most one activation between "
            f"two of them, ending in a Linear layer (its output function is the loss's); got "
            f"{_describe(every)}"
        )
    linear = [layers[k] for k in linear_at]
    for layer in linear:
        if isinstance(layer.weight, torch.nn.parameter.UninitializedParameter):
            raise ValueError(
                f"{caller}: layer {positions[id(layer)]} ({type(layer).__name__}) has no "
                "weights yet: run one batch through the module first, so that its sizes "
                "are known"
            )
    for before, after in zip(linear, linear[1:], strict=False):
        if after.in_features != before.out_features:
            raise ValueError(
                f"{caller}: layer {positions[id(after)]} (Linear) takes {after.in_features} "
                f"inputs, but layer {positions[id(before)]} gives {before.out_features} outputs"
            )
    # torch types a module's attributes as Tensor | Module; a Linear layer's are ints.
    widths: list[Any] = [linear[0].in_features, *(layer.out_features for layer in linear)]
    return _TorchNetwork(
        linear=linear,
        positions=positions,
        sizes=[int(width) for width in widths],
        activation=tuple(
            _TORCH_ACTIVATIONS[type(gap[0]).__name__](gap[0]) if gap else "identity" for gap in gaps
        ),
        output=output,  # type: ignore[arg-type]  # checked by the caller
        batch_norms={id(layer): batch_norms.get(id(layer)) for layer in linear},
    )


def _batch_norm_statistics(norm, position: int, caller: str = "from_torch"):
    """(mean, 1 / sqrt(var + eps)) of an evaluated BatchNorm1d's running statistics."""
    where = f"layer {position} (BatchNorm1d)"
    if norm.running_mean is None or norm.running_var is None:
        raise ValueError(
            f"{caller}: {where} keeps no running statistics (track_running_stats=False): "
            "evaluated, it normalises by each batch, which no fixed network computes"
        )
    mean = _finite(_values(norm.running_mean, where), caller, f"{where}'s running_mean")
    var = _finite(_values(norm.running_var, where), caller, f"{where}'s running_var")
    return mean, 1.0 / np.sqrt(var + float(norm.eps))


def _batch_norm_fold(norm, position: int, caller: str = "from_torch"):
    """(c, mean, shift) of an evaluated BatchNorm1d: it computes ``(x - mean) c + shift``."""
    where = f"layer {position} (BatchNorm1d)"
    mean, scale = _batch_norm_statistics(norm, position, caller)
    shift = np.zeros_like(mean)
    if norm.affine:
        scale = scale * _finite(_values(norm.weight, where), caller, f"{where}'s weight")
        shift = _finite(_values(norm.bias, where), caller, f"{where}'s bias")
    return scale, mean, shift


def _linear_values(layer, positions) -> tuple[np.ndarray, np.ndarray | None]:
    """A Linear layer's weights (inputs x outputs, fastnn's layout) and biases (or None)."""
    where = f"layer {positions[id(layer)]} (Linear)"
    weights = _finite(_values(layer.weight, where), "from_torch", f"{where}'s weight").T
    if layer.bias is None:
        return weights, None
    return weights, _finite(_values(layer.bias, where), "from_torch", f"{where}'s bias")


def _parameter_layout(network) -> BatchNormLayout:
    """The :class:`BatchNormLayout` of a module's own parameters.

    Its statistics are zeros: it places the parameters, it does not compute the function.
    """
    statistics = [
        None if network.batch_norms[id(layer)] is None else np.zeros(int(layer.out_features))
        for layer in network.linear
    ]
    return BatchNormLayout(network.sizes, statistics, statistics)


def _with_norm_parameters(folded, network) -> BatchNormNetwork:
    """``batch_norm="parameters"``: the module's own parameters, gamma and beta included."""
    means, scales = [], []
    for layer in network.linear:
        norm = network.batch_norms[id(layer)]
        if norm is not None and not norm.affine:
            raise ValueError(
                f"from_torch: layer {network.positions[id(norm)]} (BatchNorm1d) has no gamma "
                "or beta (affine=False): nothing of it is a parameter; use batch_norm='fold'"
            )
        statistics = (None, None) if norm is None else _batch_norm_statistics(
            norm, network.positions[id(norm)]
        )  # fmt: skip
        means.append(statistics[0])
        scales.append(statistics[1])
    layout = BatchNormLayout(network.sizes, means, scales)
    theta = np.zeros(layout.n_params)
    parts = zip(
        network.linear, layout.coefs(theta), layout.intercepts(theta), layout.norms(theta),
        strict=True,
    )  # fmt: skip
    for layer, weights, biases, norm_parameters in parts:
        weights[...], own = _linear_values(layer, network.positions)
        if own is not None:
            biases[...] = own
        if norm_parameters is not None:  # the layer's BatchNorm1d's
            norm = network.batch_norms[id(layer)]
            where = f"layer {network.positions[id(norm)]} (BatchNorm1d)"
            for values, parameter in zip(norm_parameters, (norm.weight, norm.bias), strict=True):
                values[...] = _finite(_values(parameter, where), "from_torch", where)
    biases = layout.canonical_biases([layer.bias is not None for layer in network.linear])
    return BatchNormNetwork(folded, layout, theta, biases)


def _check_torch_activation(layer, position: int, caller: str) -> None:
    """Refuse the settings of torch's activations that fastnn does not compute."""
    name = type(layer).__name__
    if name == "GELU" and layer.approximate != "none":
        raise ValueError(
            f"{caller}: layer {position} (GELU) uses approximate={layer.approximate!r}; "
            "fastnn computes the exact GELU (approximate='none')"
        )
    if name == "Softplus" and layer.beta != 1:
        raise ValueError(
            f"{caller}: layer {position} (Softplus) has beta={layer.beta}; fastnn's softplus "
            "has beta=1"
        )
    if name == "ELU" and not layer.alpha > 0:
        raise ValueError(
            f"{caller}: layer {position} (ELU) has alpha={layer.alpha}; fastnn's elu needs "
            "alpha > 0"
        )


def to_torch(
    theta: ArrayLike, module: Any, *, vector: bool = False, direction: bool = False
) -> Any:
    """A parameter vector of fastnn's layout as ``module``'s own parameters.

    Parameters
    ----------
    theta : array-like of shape (n_params,)
        Parameters (or a direction) of the network :func:`from_torch` made of ``module``:
        weights stored (inputs, outputs), as fastnn's layout has them.  A vector of
        ``batch_norm="parameters"``'s :class:`~fastnn.layout.BatchNormLayout` (told apart
        by its length: the BatchNorm layers' ``gamma`` and ``beta`` added) maps entry for
        entry, points and directions alike.
    module : torch.nn.Sequential
        The module (as :func:`from_torch` accepts it).
    vector : bool, default False
        Return one flat tensor in ``torch.nn.utils.parameters_to_vector``'s order instead.
    direction : bool, default False
        ``theta`` is a direction (a difference of two points), not a point.  It matters
        only for a module whose ``BatchNorm1d`` layers were folded (``from_torch(...,
        batch_norm="fold")``), where a point maps affinely: a direction gets the linear
        part (zero ``gamma``; the change of a folded bias goes to the BatchNorm's ``bias``,
        or, without ``affine``, to the Linear layer's).

    Returns
    -------
    list of torch.Tensor, or torch.Tensor
        One tensor per entry of ``list(module.parameters())``, with its shape, dtype and
        device (weights (outputs, inputs)); values rounded to the module's dtype, so a
        float64 module's parameters round-trip exactly (folded layers: to rounding, their
        weights are divided by the fold's factor again; ``gamma`` is the module's own).

    Raises
    ------
    ValueError
        ``theta`` of another size, or one that moves the biases of a layer the module
        built with ``bias=False`` (or, folded, that has neither bias nor BatchNorm shift);
        a folded layer whose ``gamma`` is 0 somewhere (nothing to divide by).
    """
    import torch

    network = _torch_network(module, "to_torch")
    layout = MLPLayout(network.sizes)
    theta = np.asarray(theta, dtype=np.float64)
    normed = any(norm is not None for norm in network.batch_norms.values())
    with_norms = _parameter_layout(network)
    if normed and theta.shape == (with_norms.n_params,):  # batch_norm="parameters"'s layout
        tensors = _module_parameters(theta, network, with_norms)
        return torch.cat([t.reshape(-1) for t in tensors]) if vector else tensors
    if theta.shape != (layout.n_params,):
        also = f" (or {with_norms.n_params}, with the BatchNorm parameters)" if normed else ""
        raise ValueError(
            f"theta: {layout.n_params} values{also} for the module's {_describe(module)} "
            f"network; got shape {theta.shape}"
        )
    tensors = []
    for layer, weights, biases in zip(
        network.linear, layout.coefs(theta), layout.intercepts(theta), strict=True
    ):
        norm = network.batch_norms[id(layer)]
        unfolded = (
            [weights.T, biases]
            if norm is None
            else _unfold(layer, norm, weights, biases, network.positions, direction)
        )
        like = layer.weight
        tensors.append(torch.tensor(unfolded[0], dtype=like.dtype, device=like.device))
        if layer.bias is not None:
            tensors.append(torch.tensor(unfolded[1], dtype=like.dtype, device=like.device))
        elif unfolded[1] is not None and np.any(unfolded[1] != 0.0):
            raise ValueError(
                f"theta: moves the biases of layer {network.positions[id(layer)]} (Linear), "
                "which the module has none of (bias=False)"
            )
        tensors.extend(
            torch.tensor(values, dtype=like.dtype, device=like.device) for values in unfolded[2:]
        )
    for tensor, parameter in zip(tensors, module.parameters(), strict=True):
        assert tensor.shape == parameter.shape  # the order of parameters(): weight, bias
    return torch.cat([t.reshape(-1) for t in tensors]) if vector else tensors


def _module_parameters(theta: np.ndarray, network, layout: BatchNormLayout) -> list:
    """``theta`` in ``layout`` (:func:`_parameter_layout`) as the module's own tensors."""
    import torch

    tensors = []
    parts = zip(
        network.linear, layout.coefs(theta), layout.intercepts(theta), layout.norms(theta),
        strict=True,
    )  # fmt: skip
    for layer, weights, biases, norm_parameters in parts:
        like = layer.weight
        tensors.append(torch.tensor(weights.T, dtype=like.dtype, device=like.device))
        if layer.bias is not None:
            tensors.append(torch.tensor(biases, dtype=like.dtype, device=like.device))
        elif np.any(biases != 0.0):
            raise ValueError(
                f"theta: moves the biases of layer {network.positions[id(layer)]} (Linear), "
                "which the module has none of (bias=False)"
            )
        norm = network.batch_norms[id(layer)]
        if norm is not None and norm_parameters is not None:  # both or neither: one layout
            if not norm.affine:
                raise ValueError(
                    f"theta: has gamma and beta for layer {network.positions[id(norm)]} "
                    "(BatchNorm1d), which has none (affine=False)"
                )
            tensors.extend(
                torch.tensor(values, dtype=like.dtype, device=like.device)
                for values in norm_parameters
            )
    return tensors


def to_sklearn(theta: ArrayLike, estimator: Any) -> dict:
    """A parameter vector of fastnn's layout as a scikit-learn model's attributes.

    Parameters
    ----------
    theta : array-like of shape (n_params,)
        Parameters (or a direction) of the model :func:`from_sklearn` made of
        ``estimator``.
    estimator : sklearn MLPClassifier, MLPRegressor, LinearRegression or LogisticRegression
        The fitted model (its shapes are read); a Pipeline's parameters are its last
        step's.

    Returns
    -------
    dict
        ``{"coefs_": [...], "intercepts_": [...]}`` for the MLPs, ``{"coef_": ...,
        "intercept_": ...}`` for the linear models, each array of the estimator's own
        shape: setting them on the estimator gives it these parameters (exactly: the
        values are copied, not rounded).
    """
    theta = np.asarray(theta, dtype=np.float64)
    if type(estimator).__name__ == "Pipeline":  # the parameters are its last step's
        estimator = estimator.steps[-1][1]
    kind = type(estimator).__name__
    if kind not in ("MLPClassifier", "MLPRegressor", "LinearRegression", "LogisticRegression"):
        raise TypeError(f"to_sklearn: no fastnn counterpart for {kind}")
    _check_fitted(estimator)
    if kind in ("MLPClassifier", "MLPRegressor"):
        sizes = [estimator.coefs_[0].shape[0], *(w.shape[1] for w in estimator.coefs_)]
        layout = MLPLayout(sizes)
        _check_size(theta, layout.n_params, kind)
        return {
            "coefs_": [w.copy() for w in layout.coefs(theta)],
            "intercepts_": [b.copy() for b in layout.intercepts(theta)],
        }
    coef = np.asarray(estimator.coef_)
    if kind == "LogisticRegression" and coef.shape[0] > 1:  # multinomial: the softmax layout
        layout = MLPLayout((coef.shape[1], coef.shape[0]))
        _check_size(theta, layout.n_params, kind)
        return {
            "coef_": layout.coefs(theta)[0].T.copy(),
            "intercept_": layout.intercepts(theta)[0].copy(),
        }
    _check_size(theta, coef.size + 1, kind)  # [intercept, weights...]
    if np.ndim(estimator.intercept_) == 0:
        intercept = float(theta[0])
    else:
        intercept = np.reshape(theta[:1], np.shape(estimator.intercept_)).copy()
    return {"coef_": theta[1:].reshape(coef.shape).copy(), "intercept_": intercept}


def _unfold(layer, norm, weights, biases, positions, direction: bool) -> list:
    """A folded layer's ``[W, b, gamma, beta]``, from its folded weights and bias.

    Without ``affine`` there is no gamma or beta; b is None where the module's Linear layer
    has no bias and nothing is left for it.
    """
    scale, mean, shift = _batch_norm_fold(norm, positions[id(norm)], "to_torch")
    if np.any(scale == 0.0):
        raise ValueError(
            f"to_torch: layer {positions[id(norm)]} (BatchNorm1d) has gamma = 0 for some "
            "units: the folded weights into them cannot be unfolded"
        )
    W = weights.T / scale[:, None]
    if norm.affine:  # b' = (b - mean) c + beta: the Linear bias stays, beta takes the rest
        own = None if layer.bias is None else _values(layer.bias, "to_torch")
        if direction:
            return [W, None if own is None else np.zeros_like(own), np.zeros_like(scale), biases]
        kept = np.zeros_like(mean) if own is None else own
        gamma = _values(norm.weight, "to_torch")
        return [W, own, gamma, biases - (kept - mean) * scale]
    # no affine: b' = (b - mean) c, so the Linear layer's bias takes the change
    unfolded = biases / scale + (0.0 if direction else mean)
    if layer.bias is None and np.all(np.abs(unfolded) <= 1e-12 * (np.abs(mean) + 1.0)):
        return [W, None]  # the fold's own bias, to rounding: nothing moved it
    return [W, unfolded]


def _check_size(theta, n_params: int, kind: str) -> None:
    if theta.shape != (n_params,):
        raise ValueError(f"theta: {n_params} values for this {kind}; got shape {theta.shape}")


def _values(tensor, where: str) -> np.ndarray:
    """A copy of a tensor's values as float64, or a one-line ValueError (a "meta" tensor).

    A copy: a float64 CPU tensor's ``numpy()`` shares its memory, and the module may
    train on.
    """
    try:
        return tensor.detach().cpu().double().numpy().copy()
    except (NotImplementedError, RuntimeError) as exc:
        device = getattr(tensor, "device", "?")
        raise ValueError(
            f"from_torch: {where}'s parameters on device {device} hold no values "
            f"({type(exc).__name__}); load or initialise the weights first"
        ) from None


def _describe(layers) -> str:
    return " -> ".join(type(layer).__name__ for layer in list(layers))
