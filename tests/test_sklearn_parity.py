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


# -- early stopping ---------------------------------------------------------------------


def _sklearn_with_split(monkeypatch, kind, X, y, model, start, train_rows, held_out, alpha=0.0):
    """scikit-learn's early stopping from ``start`` on fastnn's train/validation split.

    Its ``train_test_split`` is replaced by one returning fastnn's split, so that both
    see the same samples; everything after the split is scikit-learn's own code.
    """
    from sklearn.neural_network import _multilayer_perceptron as skmlp

    def same_split(X, y, **_):
        return X[train_rows], X[held_out], y[train_rows], y[held_out]

    monkeypatch.setattr(skmlp, "train_test_split", same_split)
    net, _ = _sklearn_gd(kind, X, y, model, 1, alpha=alpha)
    scale = 2.0 if kind == "MLPRegressor" else 1.0
    net.set_params(
        early_stopping=True,
        batch_size=train_rows.size,
        tol=model.tol,
        n_iter_no_change=model.n_iter_no_change,
        max_iter=model.max_iter,
        learning_rate_init=scale * model.learning_rate_init,
    )
    net.coefs_ = [w.copy() for w in model.layout_.coefs(start)]
    net.intercepts_ = [b.copy() for b in model.layout_.intercepts(start)]
    net.validation_scores_, net.best_validation_score_ = [], -np.inf
    net._no_improvement_count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, y)
    return net


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
def test_early_stopping_stops_where_scikit_learns_does(monkeypatch, kind):
    from fastnn._early_stopping import validation_split

    X, y = data.donut(200, radius_std=2.5, seed=5)
    if kind == "MLPRegressor":
        y = np.sin(2 * X[:, 0]) + np.random.default_rng(1).normal(0, 0.5, X.shape[0])
    model = getattr(fastnn, kind)(
        (6,), "tanh", solver="gd", learning_rate_init=0.3, max_iter=400, tol=1e-3,
        n_iter_no_change=4, early_stopping=True, validation_fraction=0.2, random_state=11,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.exceptions.ConvergenceWarning)
        model.fit(X, y)  # sets up the layout
    start = model.layout_.initial_theta(np.random.default_rng(7), model.init)
    strata = (y == 1).astype(float) if kind == "MLPClassifier" else None
    train_rows, held_out = validation_split(np.random.default_rng(11), 200, 0.2, strata)
    model.fit(X, y, theta0=start)
    net = _sklearn_with_split(monkeypatch, kind, X, y, model, start, train_rows, held_out)
    assert 3 < model.n_iter_ < 400  # it stopped early
    assert model.n_iter_ == net.n_iter_
    np.testing.assert_allclose(model.validation_scores_, net.validation_scores_, rtol=1e-10)
    assert model.best_validation_score_ == pytest.approx(net.best_validation_score_, rel=1e-10)
    theirs = np.concatenate(
        [np.r_[w.ravel(), b] for w, b in zip(net.coefs_, net.intercepts_, strict=True)]
    )
    np.testing.assert_allclose(model.theta_, theirs, rtol=1e-10, atol=1e-12)  # the best epoch's
    best = int(np.argmax(model.validation_scores_))
    assert best < model.n_iter_ - 1  # so restoring it mattered
    assert model.score(X[held_out], y[held_out]) == pytest.approx(model.best_validation_score_)


def test_early_stopping_keeps_the_best_epoch_and_its_trajectory():
    from fastnn._early_stopping import validation_split

    X, y = data.donut(150, radius_std=2.5, seed=2)
    options = dict(solver="adam", learning_rate_init=0.05, max_iter=40, tol=None)
    stopped = fastnn.MLPClassifier(
        (5,), early_stopping=True, record_trajectory=3, random_state=3, **options
    ).fit(X, y)
    assert stopped.n_iter_ == 40  # tol=None: every epoch, the best kept
    # the same generator's draws: initial weights, then the split, then the orders
    rng = np.random.default_rng(3)
    start = stopped.layout_.initial_theta(rng, "xavier")
    train_rows, held_out = validation_split(rng, 150, 0.1, (y == 1).astype(float))
    plain = fastnn.MLPClassifier((5,), record_trajectory=1, random_state=rng, **options)
    plain.fit(X[train_rows], y[train_rows], theta0=start)
    # one kernel call per epoch takes the steps of one call, bit for bit, and records
    # the trajectory rows the kernel records
    np.testing.assert_array_equal(stopped.loss_curve_, plain.loss_curve_)
    np.testing.assert_array_equal(stopped.trajectory_[:-1], plain.trajectory_[:-1:3])
    np.testing.assert_array_equal(stopped.trajectory_[-1], plain.trajectory_[-1])
    # each score is the held-out accuracy after its epoch; theta_ is the best epoch's
    for epoch in range(40):
        plain.theta_[:] = plain.trajectory_[epoch + 1]
        assert plain.score(X[held_out], y[held_out]) == stopped.validation_scores_[epoch]
    best = int(np.argmax(stopped.validation_scores_))
    np.testing.assert_array_equal(stopped.theta_, plain.trajectory_[best + 1])
    assert best < 39 and stopped.best_validation_score_ == stopped.validation_scores_[best]


def test_early_stopping_settings_are_checked():
    X, y = data.donut(40, seed=0)
    for bad in (0, 1, 1.5, float("nan"), "a"):
        with pytest.raises(ValueError, match=r"validation_fraction must be a number in \(0, 1\)"):
            fastnn.MLPClassifier(early_stopping=True, validation_fraction=bad).fit(X, y)
    with pytest.raises(ValueError, match="holds out 1: early stopping needs at least two"):
        fastnn.MLPClassifier(early_stopping=True, validation_fraction=0.02).fit(X, y)
    model = fastnn.MLPClassifier((3,), max_iter=3, tol=None, random_state=0).fit(X, y)
    assert model.validation_scores_ is None and model.best_validation_score_ is None


def test_validation_split_is_stratified_and_seeded():
    from fastnn._early_stopping import validation_split

    strata = np.r_[np.zeros(70), np.ones(27), np.full(3, 2.0)]
    train_rows, held = validation_split(np.random.default_rng(0), 100, 0.25, strata)
    assert held.size == 25 and train_rows.size == 75
    assert np.union1d(train_rows, held).tolist() == list(range(100))
    counts = np.bincount(strata[held].astype(int), minlength=3)
    assert counts.tolist() == [18, 7, 0] or counts.tolist() == [17, 7, 1]
    for c in range(3):  # every class keeps a sample to train on
        assert np.any(strata[train_rows] == c)
    again = validation_split(np.random.default_rng(0), 100, 0.25, strata)
    np.testing.assert_array_equal(again[1], held)
    other = validation_split(np.random.default_rng(1), 100, 0.25, strata)
    assert not np.array_equal(other[1], held)
    with pytest.raises(ValueError, match="fewer than two can be held out"):
        validation_split(np.random.default_rng(0), 4, 0.5, np.r_[0.0, 1.0, 2.0, 3.0])


# -- partial_fit ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
@pytest.mark.parametrize("solver", ["adam", "momentum", "gd"])
def test_partial_fit_epochs_are_fit_epochs(kind, solver):
    X, y = data.donut(90, seed=6)
    if kind == "MLPRegressor":
        y = np.cos(X[:, 0])
    options = dict(solver=solver, learning_rate_init=0.02, batch_size=16, random_state=4)
    once = getattr(fastnn, kind)((4,), "tanh", max_iter=6, tol=None, **options).fit(X, y)
    steps = getattr(fastnn, kind)((4,), "tanh", **options)
    extra = {"classes": np.unique(y)} if kind == "MLPClassifier" else {}
    for _ in range(6):
        steps.partial_fit(X, y, **extra)
    # the optimiser's moments, step count and sample orders carry over: bit for bit
    np.testing.assert_array_equal(steps.theta_, once.theta_)
    np.testing.assert_array_equal(steps.loss_curve_, once.loss_curve_)
    assert steps.n_iter_ == 6
    # partial_fit after fit continues the fit's optimiser
    three = getattr(fastnn, kind)((4,), "tanh", max_iter=3, tol=None, **options).fit(X, y)
    for _ in range(3):
        three.partial_fit(X, y)
    np.testing.assert_array_equal(three.theta_, once.theta_)


def test_partial_fit_takes_scikit_learns_steps():
    X, y = data.donut(80, seed=8)
    model = fastnn.MLPClassifier((5,), "relu", solver="gd", learning_rate_init=0.1, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.exceptions.ConvergenceWarning)
        model.fit(X, y)
    net, start = _sklearn_gd("MLPClassifier", X, y, model, 1)
    net.coefs_ = [w.copy() for w in model.layout_.coefs(start)]
    net.intercepts_ = [b.copy() for b in model.layout_.intercepts(start)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.exceptions.ConvergenceWarning)
        model.fit(X, y, theta0=start)  # one step from start
    for _ in range(12):
        net.partial_fit(X, y)
    for _ in range(11):
        model.partial_fit(X, y)
    theirs = np.concatenate(
        [np.r_[w.ravel(), b] for w, b in zip(net.coefs_, net.intercepts_, strict=True)]
    )
    np.testing.assert_allclose(model.theta_, theirs, rtol=1e-11, atol=1e-13)
    assert model.n_iter_ == 12


def test_partial_fit_classes_and_refusals():
    X, y = data.donut(60, seed=0)
    labels = np.where(y > 0, "in", "out")
    model = fastnn.MLPClassifier((3,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, labels)
    assert not hasattr(model, "classes_")
    with pytest.raises(ValueError, match="y contains labels not seen in fit"):
        model.partial_fit(X, labels, classes=["in", "x"])
    assert not hasattr(model, "classes_") and not hasattr(model, "theta_")
    # a first batch of one class, the other one announced
    model.partial_fit(X[labels == "in"], labels[labels == "in"], classes=["out", "in"])
    assert model.classes_.tolist() == ["in", "out"]
    fitted = model.theta_.copy()
    with pytest.raises(ValueError, match=r"classes=\['a', 'in'\] differs from the model's"):
        model.partial_fit(X, labels, classes=["a", "in"])
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 2"):
        model.partial_fit(np.c_[X, X[:, :1]], labels)
    np.testing.assert_array_equal(model.theta_, fitted)
    model.partial_fit(X, labels, classes=["in", "out"])
    assert model.n_iter_ == 2 and model.predict(X[:3]).dtype.kind == "U"
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        fastnn.MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1])
    reg = fastnn.MLPRegressor((3,), random_state=0).partial_fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match=r"y has 1 output\(s\), the model 2"):
        reg.partial_fit(X, y)


def test_partial_fit_warns_on_divergence():
    X, y = data.donut(60, seed=0)
    model = fastnn.MLPRegressor((8,), solver="sgd", learning_rate_init=50.0, random_state=0)
    with pytest.warns(fastnn.exceptions.DivergenceWarning, match="diverged at epoch 0"):
        model.partial_fit(X, 100 * y)
    assert np.all(np.isfinite(model.theta_))


# -- L2 penalty of logistic regression --------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_alpha_reaches_scikit_learns_optimum(n_classes):
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    X, y = data.blobs(300, seed=2)
    if n_classes == 3:
        y = np.where(X[:, 0] > 0.5, 2, y)
    alpha = 2.0
    ours = fastnn.LogisticRegression(alpha=alpha, learning_rate_init=1.0, max_iter=6000)
    ours.fit(X, y)
    theirs = SkLogisticRegression(C=1 / alpha, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-7)
    plain = fastnn.LogisticRegression(learning_rate_init=1.0, max_iter=6000).fit(X, y)
    assert np.linalg.norm(ours.coef_) < 0.9 * np.linalg.norm(plain.coef_)
    # loss_ = data term + alpha / (2 n) ||w||^2, the objective scikit-learn minimises / (C n)
    data_term = ours.loss_grad(X, y)[0]
    assert ours.loss_ == pytest.approx(
        data_term + alpha / (2 * 300) * np.sum(ours.coef_**2), rel=1e-12
    )


@pytest.mark.parametrize("solver", ["gd", "sgd", "minibatch"])
def test_logistic_alpha_takes_the_kernels_penalised_steps(solver):
    X, y = data.blobs(60, seed=1)
    options = dict(solver=solver, learning_rate_init=0.05, max_iter=7, random_state=0)
    numba = fastnn.LogisticRegression(alpha=0.8, **options).fit(X, y)
    numpy = fastnn.LogisticRegression(alpha=0.8, backend="numpy", **options).fit(X, y)
    np.testing.assert_allclose(numba.theta_, numpy.theta_, rtol=1e-12)
    np.testing.assert_allclose(numba.loss_curve_, numpy.loss_curve_, rtol=1e-12)
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
            fastnn.LogisticRegression(alpha=bad).fit(X, y)
