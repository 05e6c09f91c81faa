"""fastnn's estimator options against their scikit-learn counterparts on the same data.

scikit-learn's plain SGD (no momentum, constant step, no shuffling, one batch of all
samples) is fastnn's full-batch ``solver="gd"``; started from the same weights (set on
a scikit-learn model through ``warm_start``), the two take the same steps.
"""

import warnings

import numpy as np
import pytest

import fastnn
from fastnn import data

pytest.importorskip("sklearn")
from sklearn import neural_network  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402


def _sklearn_gd(kind, X, y, model, steps, alpha=0.0):
    """scikit-learn's MLP doing ``steps`` full-batch GD steps from ``model``'s start.

    Its regressors minimise half the squared error (plus the same penalty): fastnn's
    ``(lr, alpha)`` are its ``(2 lr, alpha / 2)``.
    """
    scale = 2.0 if kind == "MLPRegressor" else 1.0
    net = getattr(neural_network, kind)(
        hidden_layer_sizes=model.hidden_layer_sizes,
        activation={"sigmoid": "logistic"}.get(model.activation, model.activation),
        solver="sgd",
        batch_size=X.shape[0],
        momentum=0.0,
        nesterovs_momentum=False,
        learning_rate="constant",
        learning_rate_init=scale * model.learning_rate_init,
        alpha=alpha / scale,
        shuffle=False,
        max_iter=1,
        n_iter_no_change=10**6,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, y)  # sets up the label binariser and the layers
        start = model.layout_.initial_theta(np.random.default_rng(7), model.init)
        net.coefs_ = [w.copy() for w in model.layout_.coefs(start)]
        net.intercepts_ = [b.copy() for b in model.layout_.intercepts(start)]
        net.set_params(warm_start=True, max_iter=steps)
        net.fit(X, y)
    return net, start


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_alpha_takes_scikit_learns_steps(kind, alpha):
    X, y = data.donut(120, seed=3)
    if kind == "MLPRegressor":
        y = np.sin(X[:, 0]) + 0.1 * X[:, 1]
    model = getattr(fastnn, kind)(
        (5,), "tanh", solver="gd", alpha=alpha, learning_rate_init=0.1, max_iter=1, tol=None,
        random_state=0,
    )  # fmt: skip
    model.fit(X, y)
    net, start = _sklearn_gd(kind, X, y, model, 25, alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.exceptions.ConvergenceWarning)
        model.set_params(max_iter=25).fit(X, y, theta0=start)
    pairs = zip(net.coefs_, net.intercepts_, strict=True)
    theirs = np.concatenate([np.r_[w.ravel(), b] for w, b in pairs])
    np.testing.assert_allclose(model.theta_, theirs, rtol=1e-11, atol=1e-13)
    # scikit-learn's loss curve (after the first fit's one entry): half the squared error
    # for regressors, the penalty included
    half = 0.5 if kind == "MLPRegressor" else 1.0
    np.testing.assert_allclose(half * model.loss_curve_, net.loss_curve_[1:], rtol=1e-11)
    if alpha:  # the penalty changed the steps
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fastnn.exceptions.ConvergenceWarning)
            plain = type(model)(**{**model.get_params(), "alpha": 0.0}).fit(X, y, theta0=start)
        assert np.abs(plain.theta_ - model.theta_).max() > 1e-3


def test_alpha_is_checked():
    X, y = data.donut(40, seed=0)
    for bad in (-1.0, float("nan"), "big"):
        with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
            fastnn.MLPClassifier(alpha=bad).fit(X, y)


def test_classifier_log_proba_and_decision_function_match_scikit_learn():
    X, y = data.donut(150, seed=1)
    labels = np.array(["a", "b", "c"])[(np.arange(150) % 3)]
    for target in (y, labels):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net = neural_network.MLPClassifier((4,), max_iter=50, random_state=0).fit(X, target)
        model = fastnn.from_sklearn(net)
        np.testing.assert_allclose(
            model.predict_log_proba(X), net.predict_log_proba(X), rtol=1e-12, atol=1e-14
        )
        logits = model.decision_function(X)
        assert logits.shape == ((150,) if target is y else (150, 3))
        proba = model.predict_proba(X)
        predicted = np.argmax(proba, axis=1)
        decided = (logits > 0).astype(int) if logits.ndim == 1 else np.argmax(logits, axis=1)
        np.testing.assert_array_equal(decided, predicted)
