"""Models trained by scikit-learn, imported with fastnn.from_sklearn.

Their loss at the imported weights is scikit-learn's own metric (``log_loss`` of
``predict_proba``, ``mean_squared_error`` of ``predict``) to 1e-12, their predictions are
scikit-learn's, and the engines treat them as native models.
"""

import copy
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import data
from fastnn.exceptions import FastnnWarning

sklearn = pytest.importorskip("sklearn")
from sklearn import linear_model, neural_network  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import log_loss, mean_squared_error  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.fixture(scope="module")
def problems():
    X2, y2 = data.donut(300, seed=0)
    X3, y3 = make_classification(
        300, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    target = X2[:, 0] * X2[:, 1] + 0.1 * np.sin(3 * X2[:, 0])
    return {"binary": (X2, y2), "three": (X3, y3), "regression": (X2, target)}


def _mlp(kind, **kw):
    cls = neural_network.MLPClassifier if kind == "c" else neural_network.MLPRegressor
    return cls(hidden_layer_sizes=kw.pop("hidden", (7,)), max_iter=200, random_state=0, **kw)


CLASSIFIERS = {
    "mlp-binary-tanh": (lambda: _mlp("c", activation="tanh"), "binary"),
    "mlp-three-relu-2-layers": (lambda: _mlp("c", hidden=(7, 5)), "three"),
    "mlp-three-logistic": (lambda: _mlp("c", activation="logistic"), "three"),
    "mlp-binary-identity": (lambda: _mlp("c", activation="identity", hidden=(4, 3)), "binary"),
    "logistic-binary": (lambda: linear_model.LogisticRegression(), "binary"),
    "logistic-multinomial": (lambda: linear_model.LogisticRegression(), "three"),
    "pipeline": (lambda: make_pipeline(StandardScaler(), _mlp("c")), "three"),
}
REGRESSORS = {
    "mlp-regressor": lambda: _mlp("r"),
    "mlp-regressor-identity": lambda: _mlp("r", activation="identity"),
    "linear": lambda: linear_model.LinearRegression(),
    "pipeline": lambda: make_pipeline(StandardScaler(), _mlp("r", activation="tanh")),
}


def _loss(imported, X, y):
    model = imported.loss_model(X, y)
    return model.loss_at(model.theta)


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_imported_classifiers_give_scikit_learns_log_loss_and_predictions(problems, name):
    build, problem = CLASSIFIERS[name]
    X, y = problems[problem]
    theirs = _fit(build(), X, y)
    ours = fastnn.from_sklearn(theirs)
    assert _loss(ours, X, y) == pytest.approx(log_loss(y, theirs.predict_proba(X)), rel=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)
    assert ours.score(X, y) == theirs.score(X, y)


@pytest.mark.parametrize("name", list(REGRESSORS))
def test_imported_regressors_give_scikit_learns_squared_error(problems, name):
    X, y = problems["regression"]
    theirs = _fit(REGRESSORS[name](), X, y)
    ours = fastnn.from_sklearn(theirs)
    expected = mean_squared_error(y, theirs.predict(X))
    assert _loss(ours, X, y) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12, atol=1e-14)


def test_scikit_learns_loss_attribute_is_half_the_error_plus_the_penalty(problems):
    X, y = problems["regression"]
    theirs = _fit(_mlp("r", alpha=1e-3, solver="lbfgs"), X, y)  # loss_ at the final weights
    ours = fastnn.from_sklearn(theirs)
    penalty = theirs.alpha / (2 * X.shape[0]) * sum(np.sum(w**2) for w in theirs.coefs_)
    assert theirs.loss_ == pytest.approx(_loss(ours, X, y) / 2 + penalty, rel=1e-9)
    # the penalty carries over as fastnn's alpha: twice scikit-learn's for regressors
    assert ours.alpha == 2 * theirs.alpha
    squares = sum(np.sum(w**2) for w in ours.coefs_)
    objective = _loss(ours, X, y) + ours.alpha / (2 * X.shape[0]) * squares
    assert objective == pytest.approx(2 * theirs.loss_, rel=1e-9)


@pytest.mark.parametrize("problem", ["binary", "three"])
def test_logistic_penalties_import_as_alpha(problems, problem):
    X, y = problems[problem]
    for options, alpha in (({"C": 4.0}, 0.25), ({"C": np.inf}, 0.0)):
        theirs = _fit(linear_model.LogisticRegression(**options), X, y)
        assert fastnn.from_sklearn(theirs).alpha == alpha
    theirs = _fit(linear_model.LogisticRegression(C=0.5, max_iter=1000), X, y)
    ours = fastnn.from_sklearn(theirs)
    assert ours.alpha == 2.0
    if problem == "binary":  # a warm restart from scikit-learn's optimum stays there
        ours.set_params(learning_rate_init=0.5, max_iter=200)
        start = ours.theta_.copy()
        ours.fit(X, y, theta0=start)
        np.testing.assert_allclose(ours.theta_, start, rtol=1e-3, atol=1e-4)
    classifier = _fit(_mlp("c", alpha=0.02), X, y)
    assert fastnn.from_sklearn(classifier).alpha == 0.02


def test_an_imported_model_maps_like_a_native_one(problems):
    X, y = problems["three"]
    theirs = _fit(make_pipeline(StandardScaler(), _mlp("c")), X, y)
    ours = fastnn.from_sklearn(theirs)
    surface = fastnn.loss_surface(ours, X, y, resolution=9, random_state=0)
    assert surface.info["model"] == "MLPClassifier (from scikit-learn Pipeline)"
    assert surface.values[4, 4] == pytest.approx(log_loss(y, theirs.predict_proba(X)), rel=1e-12)
    # the same surface from the native estimator on the transformed data
    native = ours.estimator
    direct = fastnn.loss_surface(native, theirs[:-1].transform(X), y, resolution=9, random_state=0)
    np.testing.assert_array_equal(surface.values, direct.values)
    line = fastnn.loss_line(ours, X, y, direction="random", random_state=0)
    assert line.values[50] == pytest.approx(surface.center_loss, rel=1e-12)
    assert fastnn.gradcheck(native, theirs[:-1].transform(X), y) < 1e-6


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: neural_network.MLPClassifier(), "is not fitted"),
        (
            lambda: _fit(linear_model.LinearRegression(), np.eye(3), np.eye(3)),
            "has 3 targets",
        ),
        (
            lambda: _fit(_mlp("r", loss="poisson"), np.eye(3), np.ones(3)),
            "loss='poisson'",
        ),
    ],
)
def test_models_fastnn_cannot_represent_are_refused_with_the_reason(build, message):
    with pytest.raises(ValueError, match=message):
        fastnn.from_sklearn(build())


def test_other_estimators_are_type_errors():
    from sklearn.tree import DecisionTreeClassifier

    with pytest.raises(TypeError, match="got DecisionTreeClassifier"):
        fastnn.from_sklearn(DecisionTreeClassifier())
    with pytest.raises(TypeError, match="takes a scikit-learn estimator"):
        fastnn.from_sklearn(fastnn.MLPClassifier())


# -- PyTorch ----------------------------------------------------------------------------------
def _torch_objective(torch, net, loss, X, y):
    """torch's own loss of the module on (X, y), as a tensor (in the autograd graph)."""
    logits = net(torch.from_numpy(X))
    functional = torch.nn.functional
    if loss == "cross_entropy":
        return functional.cross_entropy(logits, torch.from_numpy(y.astype(np.int64)))
    if loss == "bce_with_logits":
        return functional.binary_cross_entropy_with_logits(logits[:, 0], torch.from_numpy(y))
    return functional.mse_loss(logits, torch.from_numpy(y))


def _torch_loss(torch, net, loss, X, y):
    return _torch_objective(torch, net, loss, X, y).item()


def _torch_layer(torch, spec):
    """A torch activation module written as it is constructed: ``"ELU(alpha=1.3)"``."""
    return eval(f"nn.{spec}", {"nn": torch.nn})  # noqa: S307 (the tests' own strings)


def _torch_problem(torch, seed, activation, loss, hidden, outputs):
    """A float64 module 3 -> hidden -> hidden -> outputs, and 50 samples for ``loss``.

    ``activation``: one layer spec for both hidden layers, or a pair (one per layer).
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 3))
    if loss == "mse":
        y = rng.normal(size=(50, outputs))
    elif loss == "bce_with_logits":
        y = rng.integers(0, 2, 50) * 1.0
    else:
        y = rng.integers(0, outputs, 50) * 1.0
    first, second = (activation, activation) if isinstance(activation, str) else activation
    layers = [torch.nn.Linear(3, hidden), _torch_layer(torch, first)]
    layers += [torch.nn.Linear(hidden, hidden), _torch_layer(torch, second)]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(hidden, outputs)).double()
    return net, X, y


# Every activation torch modules bring, with parameters away from the defaults, and pairs
# of different ones (one activation per layer).
TORCH_ACTIVATIONS = [
    ("LeakyReLU(0.2)", "mse"),
    ("GELU()", "cross_entropy"),
    ("SiLU()", "bce_with_logits"),
    ("ELU(alpha=1.3)", "mse"),
    ("Softplus(threshold=0.8)", "cross_entropy"),
    (("Tanh()", "GELU()"), "cross_entropy"),
    (("ReLU()", "ELU()"), "mse"),
    (("Softplus()", "LeakyReLU()"), "bce_with_logits"),
]


def _load(torch, net, layout, theta):
    linear = [layer for layer in net if isinstance(layer, torch.nn.Linear)]
    with torch.no_grad():
        for layer, w, b in zip(linear, layout.coefs(theta), layout.intercepts(theta), strict=True):
            layer.weight.copy_(torch.from_numpy(w.T.copy()))
            layer.bias.copy_(torch.from_numpy(b.copy()))


@pytest.mark.parametrize(
    ("loss", "activation", "outputs"),
    [
        ("bce_with_logits", "Tanh", 1),
        ("cross_entropy", "ReLU", 3),
        ("cross_entropy", "Tanh", 2),
        ("mse", "Sigmoid", 2),
        ("mse", "Identity", 2),  # nothing between the Linear layers: linear layers
        *(
            (loss, activation, {"bce_with_logits": 1, "mse": 2, "cross_entropy": 3}[loss])
            for activation, loss in TORCH_ACTIVATIONS
        ),
    ],
)
def test_imported_torch_networks_map_torchs_own_loss_at_every_point(loss, activation, outputs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = {
        "bce_with_logits": (X[:, 0] > 0) * 1.0,
        "cross_entropy": rng.integers(0, outputs, 120) * 1.0,
        "mse": X[:, :2] ** 2,
    }[loss]
    first, second = (activation, activation) if isinstance(activation, str) else activation
    first, second = (spec if "(" in spec else f"{spec}()" for spec in (first, second))
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 6), _torch_layer(torch, first), torch.nn.Linear(6, 5),
        _torch_layer(torch, second), torch.nn.Linear(5, outputs),
    ).double()  # fmt: skip
    model = fastnn.from_torch(net, loss)
    surface = fastnn.loss_surface(model, X, y, resolution=4, random_state=0)
    for i in range(4):
        for j in range(4):
            _load(torch, net, model.layout_, surface.theta(i, j))
            with torch.no_grad():
                expected = _torch_loss(torch, net, loss, X, y)
            assert surface.values[i, j] == pytest.approx(expected, rel=1e-12)
    if loss == "cross_entropy":  # accuracy of torch's arg-max, a two-way softmax too
        accuracy = fastnn.loss_surface(model, X, y, directions=surface, metric="accuracy")
        _load(torch, net, model.layout_, surface.theta(1, 2))
        with torch.no_grad():
            predicted = net(torch.from_numpy(X)).argmax(dim=1).numpy()
        assert accuracy.values[1, 2] == np.mean(predicted == y)
        model.theta_[:] = surface.theta(1, 2)
        np.testing.assert_array_equal(model.predict(X), predicted)


def test_torch_layers_fastnn_lacks_are_named():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    with pytest.raises(ValueError, match=r"layer 2 \(BatchNorm1d\) is mapped as evaluated"):
        layers = [nn.Linear(2, 3), nn.Dropout(), nn.BatchNorm1d(3), nn.Linear(3, 1)]
        fastnn.from_torch(nn.Sequential(*layers), "mse")
    with pytest.raises(ValueError, match=r"layer 1 \(LayerNorm\) has no fastnn counterpart"):
        fastnn.from_torch(nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3), nn.Linear(3, 1)), "mse")
    with pytest.raises(ValueError, match=r"layer 1 \(GELU\) uses approximate='tanh'"):
        layers = [nn.Linear(2, 3), nn.GELU(approximate="tanh"), nn.Linear(3, 1)]
        fastnn.from_torch(nn.Sequential(*layers), "mse")
    with pytest.raises(ValueError, match=r"layer 3 \(Softplus\) has beta=2"):
        layers = [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 3), nn.Softplus(beta=2)]
        fastnn.from_torch(nn.Sequential(*layers, nn.Linear(3, 1)), "mse")
    with pytest.raises(ValueError, match=r"layer 1 \(Hardtanh\) has no fastnn counterpart"):
        fastnn.from_torch(nn.Sequential(nn.Linear(2, 3), nn.Hardtanh(), nn.Linear(3, 1)), "mse")
    with pytest.raises(ValueError, match=r"layer 1 \(Sigmoid\) follows the last Linear layer"):
        fastnn.from_torch(nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()), "bce_with_logits")
    with pytest.raises(ValueError, match="ending in a Linear layer"):
        fastnn.from_torch(nn.Sequential(nn.Linear(2, 1), nn.Tanh(), nn.Sigmoid()), "mse")
    with pytest.raises(ValueError, match="loss must be one of"):
        fastnn.from_torch(nn.Sequential(nn.Linear(2, 1)), "hinge")


def test_a_two_way_softmax_network_stays_one(problems):
    # what from_torch makes of cross_entropy over two outputs (tested here without torch)
    from fastnn._codes import SOFTMAX_LOG_LOSS
    from fastnn.interop import _network
    from fastnn.layout import MLPLayout

    X, y = problems["binary"]
    labels = np.where(y > 0, "ring", "blob")
    layout = MLPLayout((2, 4, 2))
    theta = layout.initial_theta(np.random.default_rng(0), "normal")
    model = _network("MLPClassifier", (4,), "tanh", layout, theta, SOFTMAX_LOG_LOSS, None)
    model.classes_ = np.array(["blob", "ring"])
    z = model._logits(X)
    proba = np.exp(z - z.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), proba, rtol=1e-14)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-12)
    np.testing.assert_array_equal(model.decision_function(X), z[:, 1] - z[:, 0])
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(z, axis=1)])
    assert _loss(model, X, labels) == pytest.approx(log_loss(labels, proba), rel=1e-12)
    accuracy = fastnn.loss_surface(model, X, labels, resolution=3, metric="accuracy")
    assert accuracy.values[1, 1] == model.score(X, labels)
    # trained by fastnn, two classes become one logit again
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.exceptions.ConvergenceWarning)
        model.set_params(max_iter=3).fit(X, labels)
    assert model.n_outputs_ == 1 and model.predict(X[:2]).dtype.kind == "U"


def test_torch_weights_that_cannot_be_imported_are_one_line_errors():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    with pytest.raises(ValueError, match=r"layer 2 \(Linear\) takes 4 inputs, but layer 0 gives 5"):
        fastnn.from_torch(nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(4, 1)), "mse")
    with pytest.raises(ValueError, match=r"layer 0 \(LazyLinear\) has no weights yet"):
        fastnn.from_torch(nn.Sequential(nn.LazyLinear(3), nn.ReLU(), nn.Linear(3, 1)), "mse")
    meta = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).to("meta")
    with pytest.raises(ValueError, match="on device meta hold no values"):
        fastnn.from_torch(meta, "mse")
    broken = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        broken[2].weight[0, 1] = float("inf")
    with pytest.raises(ValueError, match=r"layer 2 \(Linear\)'s weight holds infinite values"):
        fastnn.from_torch(broken, "mse")


def test_dropout_identity_flatten_are_passed_through_and_the_plane_goes_back():
    """An evaluated module with Dropout/Identity/Flatten: every surface point, through to_torch."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(80, 3)), rng.integers(0, 3, 80) * 1.0
    net = nn.Sequential(
        nn.Flatten(), nn.Linear(3, 6), nn.Dropout(0.5), nn.Tanh(), nn.Identity(),
        nn.Linear(6, 4), nn.Tanh(), nn.Dropout(0.2), nn.Linear(4, 3),
    ).double().eval()  # fmt: skip
    model = fastnn.from_torch(net, "cross_entropy")
    assert model.layout_.sizes.tolist() == [3, 6, 4, 3]
    with pytest.warns(fastnn.FastnnWarning, match=r"layer 2 \(Dropout\) is in training mode"):
        fastnn.from_torch(net.train(), "cross_entropy")
    net.eval()
    surface = fastnn.loss_surface(model, X, y, directions="filter", resolution=3, random_state=1)
    origin, u, v = surface.to_torch(net)
    flat = surface.to_torch(net, vector=True)
    for i in range(3):
        for j in range(3):
            point = [
                o + surface.a[i] * du + surface.b[j] * dv
                for o, du, dv in zip(origin, u, v, strict=True)
            ]
            with torch.no_grad():
                for parameter, value in zip(net.parameters(), point, strict=True):
                    parameter.copy_(value)
                expected = _torch_loss(torch, net, "cross_entropy", X, y)
                assert torch.equal(
                    torch.nn.utils.parameters_to_vector(net.parameters()),
                    flat.origin + surface.a[i] * flat.u + surface.b[j] * flat.v,
                )
            assert surface.values[i, j] == pytest.approx(expected, rel=1e-12)


def test_to_torch_round_trips_a_modules_parameters_exactly():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)).double()
    back = fastnn.to_torch(fastnn.from_torch(net, "mse").theta_, net)
    assert [p.shape for p in back] == [p.shape for p in net.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(back, net.parameters(), strict=True))
    vector = fastnn.to_torch(fastnn.from_torch(net, "mse").theta_, net, vector=True)
    assert torch.equal(vector, torch.nn.utils.parameters_to_vector(net.parameters()))
    # a float32 module gets float32 tensors (its values, rounded once each way)
    net32 = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    back32 = fastnn.to_torch(fastnn.from_torch(net32, "mse").theta_, net32)
    assert all(torch.equal(a, b) for a, b in zip(back32, net32.parameters(), strict=True))
    with pytest.raises(ValueError, match=r"theta: 37 values"):
        fastnn.to_torch(np.zeros(3), net)


def test_to_torch_refuses_biases_a_module_does_not_have():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    net = nn.Sequential(nn.Linear(2, 3, bias=False), nn.Tanh(), nn.Linear(3, 1)).double()
    theta = np.linspace(-1.0, 1.0, 13)  # fastnn's layout of 2-3-1: W0, b0, W1, b1
    theta[6:9] = 0.0  # the biases the first layer lacks
    assert len(fastnn.to_torch(theta, net)) == 3  # weight, weight, bias
    theta[6] = 0.5  # the first layer's first bias (after its 2 x 3 weights)
    with pytest.raises(ValueError, match=r"biases of layer 0 \(Linear\).*bias=False"):
        fastnn.to_torch(theta, net)


def test_to_sklearn_gives_each_models_own_attributes(problems):
    X, y = problems["binary"]
    rng = np.random.default_rng(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = [
            neural_network.MLPClassifier((5, 4), max_iter=30, random_state=0).fit(X, y),
            linear_model.LogisticRegression().fit(X, y),
            linear_model.LogisticRegression().fit(X, rng.integers(0, 3, y.size)),
            linear_model.LinearRegression().fit(X, X[:, 0] + rng.normal(size=y.size)),
        ]
    for theirs in models:
        ours = fastnn.from_sklearn(theirs)
        attributes = fastnn.to_sklearn(ours.theta_, theirs)
        for name, value in attributes.items():  # round trip: the estimator's own arrays
            own = getattr(theirs, name)
            for a, b in zip(
                *((v if isinstance(v, list) else [v]) for v in (value, own)), strict=True
            ):
                assert np.shape(a) == np.shape(b)
                np.testing.assert_array_equal(a, b)
    pipeline = _fit(make_pipeline(StandardScaler(), _mlp("c")), X, y)
    imported = fastnn.from_sklearn(pipeline)
    coefs = fastnn.to_sklearn(imported.theta_, pipeline)["coefs_"]
    assert all(np.array_equal(a, b) for a, b in zip(coefs, pipeline[-1].coefs_, strict=True))
    from sklearn.tree import DecisionTreeClassifier

    with pytest.raises(TypeError, match="no fastnn counterpart for DecisionTreeClassifier"):
        fastnn.to_sklearn(imported.theta_, DecisionTreeClassifier())
    # a point of a plane, set on the estimator: scikit-learn's own loss equals the surface
    classifier = models[0]
    surface = fastnn.loss_surface(
        fastnn.from_sklearn(classifier), X, y, resolution=3, random_state=0
    )
    origin, u, v = surface.to_sklearn(classifier)
    moved = copy.deepcopy(classifier)
    for name in ("coefs_", "intercepts_"):
        parts = zip(origin[name], u[name], v[name], strict=True)
        setattr(moved, name, [o + surface.a[2] * du + surface.b[0] * dv for o, du, dv in parts])
    expected = log_loss(y, moved.predict_proba(X))
    assert surface.values[2, 0] == pytest.approx(expected, rel=1e-12)


def test_log_softmax_with_nll_loss_is_the_cross_entropy():
    torch = pytest.importorskip("torch")
    nn, functional = torch.nn, torch.nn.functional
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(60, 3)), rng.integers(0, 4, 60)
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4), nn.LogSoftmax(dim=1))
    net = net.double()
    model = fastnn.from_torch(net, "nll_loss")
    surface = fastnn.loss_surface(model, X, y * 1.0, resolution=3, random_state=2)
    origin, u, v = surface.to_torch(net)
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        with torch.no_grad():
            for parameter, o, du, dv in zip(net.parameters(), origin, u, v, strict=True):
                parameter.copy_(o + surface.a[i] * du + surface.b[j] * dv)
            expected = functional.nll_loss(net(torch.from_numpy(X)), torch.from_numpy(y)).item()
        assert surface.values[i, j] == pytest.approx(expected, rel=1e-12)
    body = [nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4)]
    with pytest.raises(ValueError, match=r"nll_loss takes log-probabilities"):
        fastnn.from_torch(nn.Sequential(*body), "nll_loss")
    with pytest.raises(ValueError, match=r"layer 3 \(LogSoftmax\) gives log-probabilities"):
        fastnn.from_torch(nn.Sequential(*body, nn.LogSoftmax(dim=1)), "cross_entropy")
    with pytest.raises(ValueError, match=r"normalises over dim 0"):
        fastnn.from_torch(nn.Sequential(*body, nn.LogSoftmax(dim=0)), "nll_loss")
    middle = [nn.Linear(3, 5), nn.LogSoftmax(dim=1), nn.Linear(5, 4), nn.LogSoftmax(dim=1)]
    with pytest.raises(ValueError, match=r"layer 1 \(LogSoftmax\) has no fastnn counterpart"):
        fastnn.from_torch(nn.Sequential(*middle), "nll_loss")


def _assert_surface_is_torchs(torch, net, surface, loss, X, y):
    """Every point of ``surface``, taken back to ``net``, is torch's own loss (1e-12); the
    module's parameters are restored after."""
    own = torch.nn.utils.parameters_to_vector(net.parameters()).detach().clone()
    centre, u, v = surface.to_torch(net, vector=True)
    for i in range(surface.a.size):
        for j in range(surface.b.size):
            torch.nn.utils.vector_to_parameters(
                centre + surface.a[i] * u + surface.b[j] * v, net.parameters()
            )
            with torch.no_grad():
                expected = _torch_loss(torch, net, loss, X, y)
            assert surface.values[i, j] == pytest.approx(expected, rel=1e-12), (i, j)
    torch.nn.utils.vector_to_parameters(own, net.parameters())


def _assert_hvp_is_torchs(torch, net, model, loss, X, y, v):
    """fastnn's H v equals torch's double backward of its own loss (1e-10)."""
    ours = fastnn.hvp(model, X, y, v)
    params = list(net.parameters())
    grads = torch.autograd.grad(_torch_objective(torch, net, loss, X, y), params, create_graph=True)
    theirs = torch.autograd.grad(grads, params, grad_outputs=fastnn.to_torch(v, net))
    expected = torch.cat([t.reshape(-1) for t in theirs]).numpy()
    np.testing.assert_allclose(
        fastnn.to_torch(ours, net, vector=True).numpy(), expected, rtol=1e-10, atol=1e-12
    )


def _assert_gd_takes_torchs_steps(torch, net, model, loss, X, y, lr, steps):
    """``steps`` full-batch GD steps of the imported model equal torch's SGD (1e-12)."""
    model.set_params(warm_start=True, solver="gd", learning_rate_init=lr, max_iter=steps, tol=None)
    model.fit(X, y)
    optimiser = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(steps):
        optimiser.zero_grad()
        _torch_objective(torch, net, loss, X, y).backward()
        optimiser.step()
    ours = fastnn.to_torch(model.theta_, net, vector=True).numpy()
    theirs = torch.nn.utils.parameters_to_vector(net.parameters()).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("activation", "loss"), [("Identity()", "mse"), ("Tanh()", "cross_entropy"), *TORCH_ACTIVATIONS]
)
def test_hessian_vector_products_equal_torchs_double_backward(activation, loss):
    """fastnn's R-operator against autograd of autograd, on an imported module (1e-10)."""
    torch = pytest.importorskip("torch")
    outputs = 1 if loss == "bce_with_logits" else 2
    net, X, y = _torch_problem(torch, 6, activation, loss, hidden=4, outputs=outputs)
    model = fastnn.from_torch(net, loss)
    v = np.random.default_rng(0).normal(size=model.theta_.size)
    _assert_hvp_is_torchs(torch, net, model, loss, X, y, v)


@pytest.mark.parametrize(
    ("activation", "loss"), [("Identity()", "mse"), ("ReLU()", "cross_entropy"), *TORCH_ACTIVATIONS]
)
def test_training_an_imported_module_takes_torchs_steps(activation, loss):
    """Full-batch GD from the module's weights: the parameters of torch's SGD (1e-12)."""
    torch = pytest.importorskip("torch")
    outputs = 1 if loss == "bce_with_logits" else 3
    net, X, y = _torch_problem(torch, 7, activation, loss, hidden=5, outputs=outputs)
    model = fastnn.from_torch(net, loss)
    _assert_gd_takes_torchs_steps(torch, net, model, loss, X, y, lr=0.05, steps=6)


# Output activations under MSELoss, each after hidden layers of another activation.
TORCH_OUTPUTS = [
    ("Sigmoid()", "Tanh()"),
    ("Tanh()", "ReLU()"),
    ("ReLU()", "Tanh()"),
    ("LeakyReLU(0.2)", "GELU()"),
    ("GELU()", "SiLU()"),
    ("SiLU()", "Sigmoid()"),
    ("ELU(alpha=1.3)", "Tanh()"),
    ("Softplus(threshold=0.8)", "ELU()"),
]


@pytest.mark.parametrize(("output", "hidden"), TORCH_OUTPUTS)
def test_an_output_activation_under_mse_is_torchs_loss_hessian_and_steps(output, hidden):
    """``Linear -> f`` trained with MSELoss: loss at every point of a plane (1e-12), HVP
    (1e-10), GD steps (1e-12) and the plane taken back, all as torch has them."""
    torch = pytest.importorskip("torch")
    net, X, y = _torch_problem(torch, 8, hidden, "mse", hidden=5, outputs=2)
    net = torch.nn.Sequential(*net, _torch_layer(torch, output)).double()
    model = fastnn.from_torch(net, "mse")
    assert model.out_activation_ == model.output_activation != "identity"
    with torch.no_grad():
        np.testing.assert_allclose(model.predict(X), net(torch.from_numpy(X)).numpy(), rtol=1e-13)
    surface = fastnn.loss_surface(model, X, y, resolution=4, random_state=1)
    centre, u, v = (
        fastnn.to_torch(w, net, vector=True) for w in (surface.center, surface.u, surface.v)
    )
    for i in range(4):
        for j in range(4):
            point = centre + surface.a[i] * u + surface.b[j] * v
            torch.nn.utils.vector_to_parameters(point, net.parameters())
            with torch.no_grad():
                expected = _torch_loss(torch, net, "mse", X, y)
            assert surface.values[i, j] == pytest.approx(expected, rel=1e-12)
    torch.nn.utils.vector_to_parameters(centre, net.parameters())
    v = np.random.default_rng(3).normal(size=model.theta_.size)
    _assert_hvp_is_torchs(torch, net, model, "mse", X, y, v)
    _assert_gd_takes_torchs_steps(torch, net, model, "mse", X, y, lr=0.1, steps=5)


def test_a_module_without_biases_is_mapped_over_its_own_parameters():
    """bias=False on every Linear layer: no invented biases in planes, Hessians or training."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 3, 40) * 1.0
    net = nn.Sequential(
        nn.Linear(3, 5, bias=False), nn.GELU(), nn.Linear(5, 3, bias=False)
    ).double()
    model = fastnn.from_torch(net, "cross_entropy")
    assert model.biases is False
    surface = fastnn.loss_surface(model, X, y, resolution=3, random_state=0)
    origin, u, v = surface.to_torch(net)  # refuses planes that move a bias: none here
    assert [t.shape for t in origin] == [p.shape for p in net.parameters()]
    with torch.no_grad():
        for parameter, o, du, dv in zip(net.parameters(), origin, u, v, strict=True):
            parameter.copy_(o + surface.a[2] * du + surface.b[0] * dv)
        expected = _torch_loss(torch, net, "cross_entropy", X, y)
    assert surface.values[2, 0] == pytest.approx(expected, rel=1e-12)
    # the Hessian over the module's parameters: torch's double backward
    model = fastnn.from_torch(net, "cross_entropy")
    _assert_hvp_is_torchs(torch, net, model, "cross_entropy", X, y, surface.directions[0])
    assert fastnn.hessian(model, X, y).shape == (3 * 5 + 5 * 3,) * 2
    # training: torch's SGD on the weights alone
    _assert_gd_takes_torchs_steps(torch, net, model, "cross_entropy", X, y, lr=0.1, steps=4)


def test_a_module_with_some_bias_free_layers_is_mapped_over_its_own_parameters():
    """bias=False on some Linear layers: the estimator's biases are one flag per layer, and
    planes, Hessians and training are over the module's parameters (torch's to 1e-12)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(5)
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 3, 40) * 1.0
    net = nn.Sequential(
        nn.Linear(3, 5, bias=False), nn.Tanh(), nn.Linear(5, 4), nn.ReLU(),
        nn.Linear(4, 3, bias=False),
    ).double()  # fmt: skip
    model = fastnn.from_torch(net, "cross_entropy")
    assert model.biases == (False, True, False)
    lm = model.loss_model(X, y)
    assert lm.n_free == sum(p.numel() for p in net.parameters())
    for directions in ("random", "filter"):
        surface = fastnn.loss_surface(model, X, y, directions=directions, resolution=3,
                                      random_state=0, bias="keep")  # fmt: skip
        _assert_surface_is_torchs(torch, net, surface, "cross_entropy", X, y)
    v = np.zeros(model.theta_.size)
    v[lm.free] = rng.normal(size=lm.n_free)
    _assert_hvp_is_torchs(torch, net, model, "cross_entropy", X, y, v)
    assert fastnn.hessian(model, X, y).shape == (lm.n_free,) * 2
    _assert_gd_takes_torchs_steps(torch, net, model, "cross_entropy", X, y, lr=0.1, steps=4)
    moving = np.zeros(model.theta_.size)
    moving[model.layout_.param_index("b2[1]")] = 1.0
    with pytest.raises(ValueError, match=r"v moves the biases of layer 2, which has none"):
        fastnn.hvp(model, X, y, moving)


def _batch_norm_module(torch, affine_second=False, seed=4):
    """3 -> 6 (BatchNorm) -> ReLU -> 5 (BatchNorm) -> Tanh -> 2, evaluated, with running
    statistics from a few training batches and gamma, beta away from 1, 0.

    The second BatchNorm: with ``affine_second``, gamma and beta after a bias-free Linear
    layer (beta takes the folded bias); without, none, after a Linear layer with a bias.
    """
    nn = torch.nn
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Linear(3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(6, 5, bias=not affine_second), nn.BatchNorm1d(5, affine=affine_second),
        nn.Tanh(), nn.Linear(5, 2),
    ).double()  # fmt: skip
    with torch.no_grad():
        for _ in range(5):
            net(torch.randn(32, 3, dtype=torch.float64) * 2 + 1)
        net[1].weight.uniform_(-1.5, 1.5)  # negative gammas too
        net[1].bias.normal_()
        if affine_second:
            net[5].weight.uniform_(0.5, 2.0)
            net[5].bias.normal_()
    return net.eval()


@pytest.mark.parametrize("affine_second", [False, True])
def test_batch_norm_folded_into_its_linear_layer_is_torchs_function(affine_second):
    """batch_norm='fold': predictions, the loss at every point of a plane taken back to the
    module (1e-12), and Li et al.'s plane of the weights (filter norms kept, in the module's
    own coordinates; biases and BatchNorm parameters fixed)."""
    torch = pytest.importorskip("torch")
    net = _batch_norm_module(torch, affine_second)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)) * 2 + 1, rng.integers(0, 2, 60) * 1.0
    model = fastnn.from_torch(net, "cross_entropy", batch_norm="fold")
    with torch.no_grad():
        logits = net(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model._logits(X), logits, rtol=1e-12, atol=1e-13)
    own = torch.nn.utils.parameters_to_vector(net.parameters()).detach().clone()
    np.testing.assert_allclose(fastnn.to_torch(model.theta_, net, vector=True), own, rtol=1e-14)
    for bias in ("keep", "zero"):
        surface = fastnn.loss_surface(
            model, X, y, resolution=3, directions="filter", bias=bias, random_state=2
        )
        _assert_surface_is_torchs(torch, net, surface, "cross_entropy", X, y)
    # bias="zero": in the module's coordinates u moves the weights alone, each filter (a
    # unit's incoming weights) by the norm of the module's own filter
    moved = fastnn.to_torch(surface.u, net, direction=True)
    parameters = list(net.parameters())
    for tensor, parameter in zip(moved, parameters, strict=True):
        if parameter.ndim == 1:
            assert not np.any(tensor.numpy())
    surface = fastnn.loss_surface(model, X, y, resolution=3, directions="filter", random_state=2)
    moved = fastnn.to_torch(surface.u, net, direction=True)
    for tensor, parameter in zip(moved, parameters, strict=True):
        if parameter.ndim == 2:
            np.testing.assert_allclose(
                np.linalg.norm(tensor.numpy(), axis=1),
                np.linalg.norm(parameter.detach().numpy(), axis=1),
                rtol=1e-12,
            )


def test_batch_norm_that_cannot_be_folded_is_refused_in_one_line():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    net = _batch_norm_module(torch)
    with pytest.raises(
        ValueError, match=r"layer 1 \(BatchNorm1d\) is mapped as evaluated.*='fold' or 'param"
    ):
        fastnn.from_torch(net, "cross_entropy")
    with pytest.raises(ValueError, match="batch_norm must be None, 'fold' or 'parameters'"):
        fastnn.from_torch(net, "cross_entropy", batch_norm="keep")
    after = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Linear(3, 1)).eval()
    with pytest.raises(ValueError, match=r"layer 2 \(BatchNorm1d\) does not follow a Linear"):
        fastnn.from_torch(after, "mse", batch_norm="fold")
    stateless = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, track_running_stats=False))
    with pytest.raises(ValueError, match=r"layer 1 \(BatchNorm1d\) keeps no running statistics"):
        fastnn.from_torch(
            nn.Sequential(*stateless, nn.Linear(3, 1)).eval(), "mse", batch_norm="fold"
        )
    training = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1)).double()
    with pytest.warns(FastnnWarning, match=r"layer 1 \(BatchNorm1d\) is in training mode"):
        fastnn.from_torch(training, "mse", batch_norm="fold")
    # a plane moving the bias of a bias-free Linear layer whose BatchNorm has no shift
    shiftless = nn.Sequential(nn.Linear(2, 3, bias=False), nn.BatchNorm1d(3, affine=False))
    shiftless = nn.Sequential(*shiftless, nn.Linear(3, 1)).double().eval()
    model = fastnn.from_torch(shiftless, "mse", batch_norm="fold")
    fastnn.to_torch(model.theta_, shiftless)  # its own point: nothing moved that bias
    with pytest.raises(ValueError, match=r"moves the biases of layer 0 \(Linear\)"):
        fastnn.to_torch(np.ones(model.theta_.size), shiftless, direction=True)


def _norm_problem(torch):
    """_batch_norm_module with both BatchNorms affine (the second after a bias-free Linear
    layer), 60 samples, and the imported network with gamma and beta as parameters."""
    net = _batch_norm_module(torch, affine_second=True)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)) * 2 + 1, rng.integers(0, 2, 60) * 1.0
    return net, X, y, fastnn.from_torch(net, "cross_entropy", batch_norm="parameters")


def test_batch_norm_parameters_are_the_modules_own():
    """batch_norm='parameters': theta_ is the module's parameters, gamma and beta included
    (to_torch round-trips exactly), the bias-free layer has no biases, and predictions are
    torch's."""
    torch = pytest.importorskip("torch")
    net, X, y, model = _norm_problem(torch)
    own = torch.nn.utils.parameters_to_vector(net.parameters()).detach()
    np.testing.assert_array_equal(fastnn.to_torch(model.theta_, net, vector=True), own)
    assert model.theta_.size == own.numel() + 5  # the second Linear layer's absent biases
    assert model.biases == (True, False, True)
    assert model.layout_.param_name(model.layout_.param_index("gamma1[4]")) == "gamma1[4]"
    with torch.no_grad():
        logits = net(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], torch.softmax(
        torch.from_numpy(logits), 1).numpy()[:, 1], rtol=1e-12)  # fmt: skip
    assert model.score(X, y) == np.mean(logits.argmax(1) == y)
    lm = model.loss_model(X, y)
    assert lm.n_free == own.numel()
    value, grad = lm.loss_grad(lm.theta)
    grad[lm.fixed] = 0.0  # the gradient of the biases the module lacks (not parameters)
    objective = _torch_objective(torch, net, "cross_entropy", X, y)
    expected = torch.autograd.grad(objective, list(net.parameters()))
    assert value == pytest.approx(objective.item(), rel=1e-12)
    np.testing.assert_allclose(
        fastnn.to_torch(grad, net, vector=True).numpy(),
        torch.cat([g.reshape(-1) for g in expected]).numpy(), rtol=1e-12, atol=1e-14,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("directions", "bias"),
    [("random", "keep"), ("filter", "keep"), ("filter", "zero"), ("hessian", "keep")],
)
def test_batch_norm_parameters_on_the_plane_are_torchs_function(directions, bias):
    """The loss at every point of a plane over weights, biases, gamma and beta equals
    torch's own loss of the module set to that point (1e-12); filter normalisation treats
    gamma and beta as biases (bias='zero': Li et al.'s --xignore biasbn)."""
    torch = pytest.importorskip("torch")
    net, X, y, model = _norm_problem(torch)
    own = torch.nn.utils.parameters_to_vector(net.parameters()).detach().clone()
    surface = fastnn.loss_surface(model, X, y, resolution=(3, 4), directions=directions,
                                  bias=bias, random_state=2)  # fmt: skip
    norm_entries = np.zeros(model.theta_.size, bool)
    for norm in model.layout_.norms(norm_entries):
        for values in norm or ():
            values[...] = True
    moved = np.any(surface.directions[:, norm_entries] != 0)
    assert moved == (bias == "keep"), (directions, bias)
    _assert_surface_is_torchs(torch, net, surface, "cross_entropy", X, y)
    centre, u, v = surface.to_torch(net, vector=True)
    accuracy = fastnn.loss_surface(model, X, y, directions=surface, metric="accuracy")
    torch.nn.utils.vector_to_parameters(centre + surface.a[2] * u + surface.b[1] * v,
                                        net.parameters())  # fmt: skip
    with torch.no_grad():
        predicted = net(torch.from_numpy(X)).argmax(1).numpy()
    assert accuracy.values[2, 1] == np.mean(predicted == y)
    torch.nn.utils.vector_to_parameters(own, net.parameters())


def test_batch_norm_parameters_curvature_is_torchs_double_backward():
    """H v over the module's parameters (gamma and beta included): torch's double backward
    (1e-10); the dense Hessian, a curvature map's point and a line agree with it."""
    torch = pytest.importorskip("torch")
    net, X, y, model = _norm_problem(torch)
    lm = model.loss_model(X, y)
    rng = np.random.default_rng(4)
    v = np.zeros(model.theta_.size)
    v[lm.free] = rng.normal(size=lm.n_free)
    _assert_hvp_is_torchs(torch, net, model, "cross_entropy", X, y, v)
    H = fastnn.hessian(model, X, y)
    assert H.shape == (lm.n_free,) * 2
    np.testing.assert_allclose(H[:, :3] @ np.ones(3), fastnn.hvp(
        model, X, y, np.r_[np.ones(3), np.zeros(model.theta_.size - 3)])[lm.free],
        rtol=1e-10, atol=1e-12)  # fmt: skip
    curvature = fastnn.curvature_surface(model, X, y, resolution=3, random_state=0,
                                         directions="random")  # fmt: skip
    at = fastnn.hessian(model, X, y, center=curvature.max.theta(0, 2))
    eigenvalues = np.linalg.eigvalsh(at)
    assert curvature.max.values[0, 2] == pytest.approx(eigenvalues[-1], rel=1e-9)
    assert curvature.min.values[0, 2] == pytest.approx(eigenvalues[0], rel=1e-9)
    line = fastnn.loss_line(model, X, y, direction="random", resolution=5, random_state=1)
    for k in (0, 4):
        theta = line.center + line.alpha[k] * line.direction
        assert line.values[k] == pytest.approx(lm.loss_at(theta), rel=1e-12)


def test_batch_norm_parameters_what_fastnn_does_not_do_is_refused_in_one_line():
    torch = pytest.importorskip("torch")
    net, X, y, model = _norm_problem(torch)
    with pytest.raises(TypeError, match=r"^fit: a network with BatchNorm parameters"):
        model.fit(X, y)
    with pytest.raises(ValueError, match=r"float64 only"):
        fastnn.loss_surface(model, X, y, resolution=3, dtype="float32")
    with pytest.raises(ValueError, match=r"^model_a has BatchNorm parameters"):
        fastnn.align(model, model)
    with pytest.raises(TypeError, match=r"^estimator must be a fastnn MLPClassifier"):
        fastnn.trainability(model, X, y)
    moving = np.zeros(model.theta_.size)
    moving[model.layout_.param_index("b1[0]")] = 1.0
    with pytest.raises(ValueError, match=r"^v moves the biases of layer 1, which has none"):
        fastnn.hvp(model, X, y, moving)
    shiftless = _batch_norm_module(torch, affine_second=False)
    with pytest.raises(ValueError, match=r"^from_torch: layer 5 \(BatchNorm1d\) has no gamma"):
        fastnn.from_torch(shiftless, "cross_entropy", batch_norm="parameters")
    with pytest.raises(ValueError, match=r"^batch_norm must be None, 'fold' or 'parameters'"):
        fastnn.from_torch(net, "cross_entropy", batch_norm="params")
    plain = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    without = fastnn.from_torch(plain.double(), "cross_entropy", batch_norm="parameters")
    assert isinstance(without, fastnn.MLPClassifier)  # no BatchNorm: nothing to add


def test_the_straight_line_between_two_networks_with_batch_norm_parameters():
    """linear_barrier interpolates gamma and beta too (the module's own line); networks
    whose running statistics differ are refused in one line."""
    torch = pytest.importorskip("torch")
    net, X, y, model = _norm_problem(torch)
    with torch.no_grad():
        net[1].weight.mul_(0.5)
        net[5].bias.add_(0.3)
    other = fastnn.from_torch(net, "cross_entropy", batch_norm="parameters")
    profile = fastnn.linear_barrier(model, other, X, y, resolution=5)
    middle = 0.5 * (model.theta_ + other.theta_)
    lm = model.loss_model(X, y)
    assert profile.loss["train"][2] == pytest.approx(lm.loss_at(middle), rel=1e-12)
    with torch.no_grad():
        net[5].running_mean.add_(1.0)
    moved = fastnn.from_torch(net, "cross_entropy", batch_norm="parameters")
    with pytest.raises(ValueError, match=r"^model_a's and model_b's BatchNorm running statist"):
        fastnn.linear_barrier(model, moved, X, y, resolution=5)


def test_batch_norm_parameters_through_the_grid_engine(tmp_path):
    """The normalised network's tiles: the numpy twin's values (1e-12), the same bits
    whatever the threads and tiles, and a store on disk that resumes to them."""
    torch = pytest.importorskip("torch")
    _, X, y, model = _norm_problem(torch)
    whole = fastnn.loss_surface(model, X, y, resolution=(5, 6), random_state=3, threads=1)
    twin = fastnn.loss_surface(model, X, y, directions=whole, backend="numpy")
    np.testing.assert_allclose(twin.values, whole.values, rtol=1e-12)
    tiled = fastnn.loss_surface(model, X, y, directions=whole, threads=2, tile_rows=1)
    np.testing.assert_array_equal(tiled.values, whole.values)
    store = tmp_path / "normed.zarr"
    stored = fastnn.loss_surface(model, X, y, directions=whole, out=store, tile_rows=2)
    np.testing.assert_array_equal(stored.values, whole.values)
    again = fastnn.loss_surface(model, X, y, directions=whole, out=store, resume=True,
                                tile_rows=2)  # fmt: skip
    np.testing.assert_array_equal(again.values, whole.values)


@pytest.mark.parametrize("params", [("gamma1[2]", "beta1[0]"), ("gamma1[3]", "W2[0,1]"),
                                    ("gamma0[1]", "b2[1]"), ("W2[4,0]", "b2[0]")])  # fmt: skip
def test_batch_norm_parameters_named_on_the_axes(params):
    """A plane of two named parameters, gamma's among them: the layers before the first one
    it moves are fixed (computed once), and every point is torch's loss (1e-12)."""
    torch = pytest.importorskip("torch")
    net, X, y, model = _norm_problem(torch)
    own = torch.nn.utils.parameters_to_vector(net.parameters()).detach().clone()
    surface = fastnn.loss_surface(model, X, y, params=params, resolution=(3, 3), span=0.5)
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        torch.nn.utils.vector_to_parameters(
            fastnn.to_torch(surface.theta(i, j), net, vector=True), net.parameters()
        )
        with torch.no_grad():
            expected = _torch_loss(torch, net, "cross_entropy", X, y)
        assert surface.values[i, j] == pytest.approx(expected, rel=1e-12), (params, i, j)
    torch.nn.utils.vector_to_parameters(own, net.parameters())


def _normed_modules(nn):
    return {
        "after the output layer": (nn.Sequential(
            nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.BatchNorm1d(2)), "cross_entropy"),
        "mse, then an output activation": (nn.Sequential(
            nn.Linear(3, 4), nn.BatchNorm1d(4), nn.GELU(), nn.Linear(4, 1), nn.BatchNorm1d(1),
            nn.Sigmoid()), "mse"),
        "three layers, a bias-free one": (nn.Sequential(
            nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 4, bias=False),
            nn.BatchNorm1d(4), nn.ELU(0.7), nn.Linear(4, 2)), "cross_entropy"),
    }  # fmt: skip


@pytest.mark.parametrize("name", ["after the output layer", "mse, then an output activation",
                                  "three layers, a bias-free one"])  # fmt: skip
def test_batch_norm_parameters_wherever_the_normalisation_is(name):
    """A BatchNorm after the output layer, before an output activation under mse, and in
    two hidden layers: every point of a plane moving gamma is torch's loss (1e-12); a copy
    of the network keeps theta_ read-only."""
    import copy

    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    net, loss = _normed_modules(torch.nn)[name]
    net = net.double()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(64, 3, dtype=torch.float64))
        for layer in net:
            if isinstance(layer, torch.nn.BatchNorm1d):
                layer.weight.uniform_(-1.5, 1.5)
                layer.bias.normal_()
    net.eval()
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    y = rng.normal(size=(50, 1)) if loss == "mse" else rng.integers(0, 2, 50) * 1.0
    model = fastnn.from_torch(net, loss, batch_norm="parameters")
    surface = fastnn.loss_surface(model, X, y, resolution=3, random_state=0)
    _assert_surface_is_torchs(torch, net, surface, loss, X, y)
    copied = copy.deepcopy(model)
    with pytest.raises(ValueError, match="read-only"):
        copied.theta_[0] = 1.0
