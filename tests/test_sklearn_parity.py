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


@pytest.fixture(scope="module")
def three_classes():
    rng = np.random.default_rng(11)
    centres = np.array([[0.0, 1.5], [1.5, -1.0], [-1.5, -1.0]])
    y = rng.integers(0, 3, 300)
    return centres[y] + rng.normal(size=(300, 2)), np.array(["ant", "bee", "cat"])[y]


def test_multinomial_logistic_regression_matches_scikit_learn(three_classes):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    X, y = three_classes
    ours = fastnn.LogisticRegression(learning_rate_init=1.0, max_iter=4000).fit(X, y)
    theirs = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(X, y)
    assert ours.classes_.tolist() == ["ant", "bee", "cat"]
    assert ours.coef_.shape == (3, 2) and ours.intercept_.shape == (3,)
    # the optimum's probabilities are unique (its parameters are not: a softmax is
    # unchanged by adding one vector to every class's weights)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.loss_ == pytest.approx(log_loss(y, ours.predict_proba(X)), rel=1e-12)
    np.testing.assert_allclose(ours.predict_log_proba(X), np.log(ours.predict_proba(X)))
    logits = ours.decision_function(X)
    np.testing.assert_allclose(
        logits - logits.mean(1, keepdims=True),
        X @ ours.coef_.T
        + (ours.intercept_)
        - (X @ ours.coef_.T + ours.intercept_).mean(1, keepdims=True),
    )
    # the same steps as the softmax network without hidden layers it is
    net = fastnn.MLPClassifier((), solver="gd", learning_rate_init=1.0, max_iter=4000, tol=None)
    net.fit(X, y, theta0=np.zeros(9))
    np.testing.assert_array_equal(ours.theta_, net.theta_)


def test_multinomial_surfaces_and_imports(three_classes):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    X, y = three_classes
    ours = fastnn.LogisticRegression(max_iter=300).fit(X, y)
    s = fastnn.loss_surface(ours, X, y, resolution=5, random_state=0)
    assert s.center_loss == pytest.approx(log_loss(y, ours.predict_proba(X)), rel=1e-12)
    assert s.info["model"] == "LogisticRegression (multinomial)"
    acc = fastnn.loss_surface(ours, X, y, metric="accuracy", directions=s)
    assert acc.values[2, 2] == ours.score(X, y)
    imported = fastnn.from_sklearn(LogisticRegression().fit(X, y))
    assert isinstance(imported, fastnn.LogisticRegression)
    assert fastnn.loss_surface(imported, X, y, resolution=3).info["model"] == (
        "LogisticRegression (multinomial, from scikit-learn LogisticRegression)"
    )


def test_multinomial_refusals_warnings_and_refits(three_classes):
    X, y = three_classes
    with pytest.raises(ValueError, match="fit_intercept=False is implemented for two classes"):
        fastnn.LogisticRegression(fit_intercept=False).fit(X, y)
    with pytest.warns(fastnn.exceptions.DivergenceWarning, match="^LogisticRegression diverged"):
        fastnn.LogisticRegression(learning_rate_init=1e6, max_iter=50).fit(X * 1e3, y)
    model = fastnn.LogisticRegression(max_iter=50).fit(X, y)
    binary = y != "cat"
    model.fit(X[binary], y[binary])
    assert model.coef_.shape == (1, 2) and model.theta_.shape == (3,)
    assert not hasattr(model, "layout_")
    assert model.predict_proba(X).shape == (300, 2)


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
def test_warm_start_continues_as_scikit_learns_does(kind):
    X, y = data.donut(100, seed=4)
    if kind == "MLPRegressor":
        y = np.cos(X[:, 1])
    options = {"solver": "gd", "learning_rate_init": 0.2, "tol": None, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.exceptions.ConvergenceWarning)
        once = getattr(fastnn, kind)((4,), "tanh", max_iter=30, **options).fit(X, y)
        twice = getattr(fastnn, kind)((4,), "tanh", max_iter=15, warm_start=True, **options)
        twice.fit(X, y).fit(X, y)
    # plain full-batch steps carry no optimiser state: 15 + 15 steps are 30 steps
    np.testing.assert_array_equal(twice.theta_, once.theta_)
    net, start = _sklearn_gd(kind, X, y, once, 15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, y)  # scikit-learn's warm start: 15 more steps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.exceptions.ConvergenceWarning)
        ours = getattr(fastnn, kind)((4,), "tanh", max_iter=30, **options).fit(X, y, start)
    theirs = np.concatenate(
        [np.r_[w.ravel(), b] for w, b in zip(net.coefs_, net.intercepts_, strict=True)]
    )
    np.testing.assert_allclose(ours.theta_, theirs, rtol=1e-11, atol=1e-13)


def test_warm_start_refuses_another_network_or_other_classes():
    X, y = data.donut(60, seed=0)
    model = fastnn.MLPClassifier((3,), max_iter=5, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.exceptions.ConvergenceWarning)
        model.fit(X, y)
    fitted = model.theta_.copy()
    with pytest.raises(ValueError, match="warm_start: y has classes"):
        model.fit(X, np.where(y > 0, 5, 7))
    with pytest.raises(ValueError, match=r"warm_start: the network is now \(2, 4, 1\)"):
        model.set_params(hidden_layer_sizes=(4,)).fit(X, y)
    np.testing.assert_array_equal(model.theta_, fitted)
    assert model.classes_.tolist() == np.unique(y).tolist()
