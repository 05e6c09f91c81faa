"""Networks without biases and per-layer initial scales (Sohl-Dickstein's parameterisation)."""

import warnings

import numpy as np
import pytest

import fastnn


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(4)
    return rng.normal(size=(12, 5)), rng.normal(size=12)


def _paper_gd(X, y, W0, W1, scales, rates, steps):
    """Plain numpy: ``y = a1 W1 tanh(a0 W0 x)``, full-batch GD on W0 and W1 (no biases)."""
    a0, a1 = scales
    W0, W1 = W0.copy(), W1.copy()
    n = X.shape[0]
    for _ in range(steps):
        H = np.tanh(a0 * X @ W0)
        r = a1 * H @ W1 - y[:, None]
        g1 = a1 * H.T @ (2 * r) / n
        g0 = a0 * X.T @ ((2 * r) @ (a1 * W1.T) * (1 - H**2)) / n
        W0 -= rates[0] * g0
        W1 -= rates[1] * g1
    return np.mean((a1 * np.tanh(a0 * X @ W0) @ W1 - y[:, None]) ** 2)


def test_the_papers_network_is_a_bias_free_network_with_per_layer_scales(problem):
    """W_l = a_l V_l and GD at rate eta_l on V_l: fastnn's weights W_l trained at eta_l a_l^2."""
    X, y = problem
    scales, rates = (np.sqrt(2 / 7), 1 / 7), (0.4, 0.9)
    layout = fastnn.MLPLayout((5, 7, 1))
    raw = layout.initial_theta(np.random.default_rng(0), "normal")
    expected = _paper_gd(X, y, *layout.coefs(raw), scales, rates, steps=30)
    model = fastnn.MLPRegressor(
        (7,), "tanh", solver="gd", max_iter=30, tol=None, random_state=0, init="normal",
        init_scale=scales, biases=False,
        learning_rate_init=tuple(r * s**2 for r, s in zip(rates, scales, strict=True)),
    ).fit(X, y)  # fmt: skip
    assert model.loss_ == pytest.approx(expected, rel=1e-12)
    for b in model.intercepts_:
        np.testing.assert_array_equal(b, 0.0)
    np.testing.assert_array_equal(model.coefs_[1] != 0, True)


@pytest.mark.parametrize("solver", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_biases_stay_zero_with_every_solver(problem, solver, backend):
    X, y = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        model = fastnn.MLPClassifier((4, 3), "relu", solver=solver, max_iter=5, biases=False,
                                     init="normal", random_state=1, backend=backend,
                                     batch_size=4).fit(X, y > 0)  # fmt: skip
        with_biases = fastnn.MLPClassifier((4, 3), "relu", solver=solver, max_iter=5,
                                           init="normal", random_state=1, backend=backend,
                                           batch_size=4).fit(X, y > 0)  # fmt: skip
    assert all(np.all(b == 0.0) for b in model.intercepts_)
    assert any(np.any(b != 0.0) for b in with_biases.intercepts_)
    assert not np.allclose(model.coefs_[0], with_biases.coefs_[0])


def test_per_layer_initial_scales(problem):
    X, y = problem
    layout = fastnn.MLPLayout((5, 4, 1))
    plain = layout.initial_theta(np.random.default_rng(3), "normal")
    scaled = layout.initial_theta(np.random.default_rng(3), "normal", (2.0, 0.5))
    for before, after, factor in zip(
        layout.coefs(plain), layout.coefs(scaled), (2.0, 0.5), strict=True
    ):
        np.testing.assert_array_equal(after, before * factor)
    for before, after, factor in zip(layout.intercepts(plain), layout.intercepts(scaled),
                                     (2.0, 0.5), strict=True):  # fmt: skip
        np.testing.assert_array_equal(after, before * factor)
    with pytest.raises(ValueError, match="init_scale has 3 factors; the network"):
        fastnn.MLPRegressor((4,), init_scale=(1.0, 2.0, 3.0)).fit(X, y)
    with pytest.raises(ValueError, match=r"init_scale\[1\] must be"):
        fastnn.MLPRegressor((4,), init_scale=(1.0, -2.0)).fit(X, y)


def _bias_free(problem, hidden=(4, 3)):
    X, y = problem
    model = fastnn.MLPRegressor(hidden, "tanh", solver="gd", max_iter=3, tol=None, biases=False,
                                random_state=0).fit(X, y)  # fmt: skip
    return model, X, y


def test_planes_of_a_bias_free_network_keep_its_biases_at_zero(problem):
    model, X, y = _bias_free(problem)
    biases = model.layout_.bias_mask()
    assert not np.any(model.theta_[biases])
    for directions in ("random", "filter", "hessian"):
        surface = fastnn.loss_surface(model, X, y, directions=directions, resolution=4,
                                      random_state=0, bias="keep")  # fmt: skip
        assert not np.any(surface.directions[:, biases]), directions
        theta = surface.theta(2, 1)
        assert not np.any(theta[biases])
        assert surface.values[2, 1] == pytest.approx(model.loss_grad(X, y, theta)[0], rel=1e-12)
    line = fastnn.loss_line(model, X, y, direction="random", resolution=5, random_state=1)
    assert np.isfinite(line.values).all()


def test_what_would_move_a_missing_bias_is_refused(problem):
    model, X, y = _bias_free(problem)
    n = model.theta_.size
    bias = model.layout_.param_index("b0[1]")
    u, v = np.zeros((2, n))
    u[0], v[1] = 1.0, 1.0
    v[bias] = 0.5
    message = "moves the biases of a network without biases"
    with pytest.raises(ValueError, match=r"directions\[1\] \(v\) " + message):
        fastnn.loss_surface(model, X, y, directions=(u, v), resolution=3)
    with pytest.raises(ValueError, match=r"params: b0\[1\] is a bias of a layer without"):
        fastnn.loss_surface(model, X, y, params=("W0[0,0]", "b0[1]"), resolution=3)
    with pytest.raises(ValueError, match="to " + message):
        fastnn.loss_line(model, X, y, to=model.theta_ + v)
    with pytest.raises(ValueError, match="center " + message):
        fastnn.loss_surface(model, X, y, center=model.theta_ + v, resolution=3)
    with pytest.raises(ValueError, match="v " + message):
        fastnn.hvp(model, X, y, v)


def test_the_hessian_of_a_bias_free_network_is_over_its_weights(problem):
    model, X, y = _bias_free(problem)
    weights = np.flatnonzero(~model.layout_.bias_mask())
    # the same function with biases as parameters: its Hessian's block of weights
    with_biases = fastnn.MLPRegressor((4, 3), "tanh", solver="gd", max_iter=3, tol=None,
                                      random_state=0).fit(X, y)  # fmt: skip
    full = fastnn.hessian(with_biases, X, y, center=model.theta_)
    block = full[np.ix_(weights, weights)]
    H = fastnn.hessian(model, X, y)
    np.testing.assert_allclose(H, block, rtol=1e-12, atol=1e-14)
    expected = np.linalg.eigvalsh(block)
    for method in ("dense", "lanczos"):
        eigs = fastnn.hessian_eigs(model, X, y, k=2, method=method, random_state=0)
        np.testing.assert_allclose(eigs.values, expected[::-1][:2], rtol=1e-8)
        assert not np.any(eigs.vectors[:, model.layout_.bias_mask()])
    # H v over the weights: the block times v's weights, 0 on the biases
    v = np.zeros(model.theta_.size)
    v[weights] = np.random.default_rng(0).normal(size=weights.size)
    hv = fastnn.hvp(model, X, y, v)
    np.testing.assert_allclose(hv[weights], block @ v[weights], rtol=1e-10, atol=1e-13)
    assert not np.any(hv[model.layout_.bias_mask()])
    trace = fastnn.hessian_trace(model, X, y, n_vectors=4000, random_state=0)
    assert abs(trace[0] - np.trace(block)) < 5 * trace[1]
    density = fastnn.hessian_density(model, X, y, n_vectors=2, random_state=0)
    assert density.nodes.shape[1] == min(60, weights.size)
    # a curvature map: the largest eigenvalue of the weights' block at each point
    curvature = fastnn.curvature_surface(model, X, y, resolution=3, random_state=0)
    theta = curvature.max.theta(1, 2)
    assert not np.any(theta[model.layout_.bias_mask()])
    at = fastnn.hessian(with_biases, X, y, center=theta)[np.ix_(weights, weights)]
    assert curvature.max.values[1, 2] == pytest.approx(np.linalg.eigvalsh(at)[-1], rel=1e-9)
    assert curvature.min.values[1, 2] == pytest.approx(np.linalg.eigvalsh(at)[0], rel=1e-9)


# Some layers with biases, some without (a PyTorch network with bias=False layers).
MIXED = (False, True, False)


def _mixed(problem, **settings):
    X, y = problem
    defaults = dict(solver="gd", max_iter=3, tol=None, biases=MIXED, random_state=0, init="normal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        model = fastnn.MLPRegressor((4, 3), "tanh", **{**defaults, **settings}).fit(X, y)
    return model, X, y


@pytest.mark.parametrize("solver", ["gd", "sgd", "momentum", "adam"])
def test_only_the_flagged_layers_biases_are_trained(problem, solver):
    model, X, y = _mixed(problem, solver=solver, batch_size=4)
    twin, _, _ = _mixed(problem, solver=solver, batch_size=4, backend="numpy")
    np.testing.assert_allclose(model.theta_, twin.theta_, rtol=1e-12, atol=1e-14)
    start = fastnn.MLPLayout(model.layout_.sizes).initial_theta(np.random.default_rng(0), "normal")
    for has, b, b0 in zip(MIXED, model.intercepts_, model.layout_.intercepts(start), strict=True):
        if has:
            assert np.all(b != b0)
        else:
            np.testing.assert_array_equal(b, 0.0)
    lm = model.loss_model(X, y)
    assert lm.biases == MIXED
    assert lm.fixed.sum() == 4 + 1  # b0 (4 units) and b2 (1 unit) absent
    assert lm.n_free == model.theta_.size - 5


def test_gd_on_some_layers_biases_is_gd_on_those_parameters(problem):
    """Full-batch GD with per-layer biases equals GD written out with the model's gradient,
    the absent biases' entries dropped (1e-12)."""
    model, X, y = _mixed(problem)
    lm = model.loss_model(X, y)
    theta = fastnn.MLPLayout(model.layout_.sizes).initial_theta(np.random.default_rng(0), "normal")
    theta[lm.fixed] = 0.0
    for _ in range(3):
        grad = lm.loss_grad(theta)[1]
        grad[lm.fixed] = 0.0
        theta = theta - model.learning_rate_init * grad
    np.testing.assert_allclose(model.theta_, theta, rtol=1e-12, atol=1e-15)


def test_planes_and_hessians_over_some_layers_biases(problem):
    model, X, y = _mixed(problem)
    lm = model.loss_model(X, y)
    absent = lm.fixed
    assert absent.sum() == 5 and not np.any(model.theta_[absent])
    for directions in ("random", "filter"):
        surface = fastnn.loss_surface(model, X, y, directions=directions, resolution=4,
                                      random_state=0, bias="keep")  # fmt: skip
        assert not np.any(surface.directions[:, absent]), directions
        assert np.all(surface.directions[0, model.layout_.bias_mask(MIXED)] != 0), directions
        theta = surface.theta(2, 1)
        assert surface.values[2, 1] == pytest.approx(model.loss_grad(X, y, theta)[0], rel=1e-12)
    present = np.flatnonzero(~absent)
    with_biases = fastnn.MLPRegressor((4, 3), "tanh", solver="gd", max_iter=3, tol=None,
                                      random_state=0).fit(X, y)  # fmt: skip
    block = fastnn.hessian(with_biases, X, y, center=model.theta_)[np.ix_(present, present)]
    np.testing.assert_allclose(fastnn.hessian(model, X, y), block, rtol=1e-12, atol=1e-14)
    curvature = fastnn.curvature_surface(model, X, y, resolution=3, random_state=0)
    at = fastnn.hessian(with_biases, X, y, center=curvature.max.theta(1, 2))
    expected = np.linalg.eigvalsh(at[np.ix_(present, present)])
    assert curvature.max.values[1, 2] == pytest.approx(expected[-1], rel=1e-9)
    assert curvature.min.values[1, 2] == pytest.approx(expected[0], rel=1e-9)


def test_what_would_move_an_absent_bias_is_refused_naming_its_layer(problem):
    model, X, y = _mixed(problem)
    v = np.zeros(model.theta_.size)
    v[model.layout_.param_index("b2[0]")] = 1.0
    with pytest.raises(ValueError, match=r"^v moves the biases of layer 2, which has none"):
        fastnn.hvp(model, X, y, v)
    with pytest.raises(ValueError, match=r"params: b0\[1\] is a bias of a layer without"):
        fastnn.loss_surface(model, X, y, params=("W0[0,0]", "b0[1]"), resolution=3)
    fastnn.loss_surface(model, X, y, params=("W0[0,0]", "b1[1]"), resolution=3)  # present
    X_, y_ = problem
    with pytest.raises(ValueError, match=r"^biases has 2 flags; the network \(5, 4, 3, 1\) has 3"):
        fastnn.MLPRegressor((4, 3), biases=(True, False)).fit(X_, y_)
    with pytest.raises(ValueError, match=r"^biases\[1\] must be True or False"):
        fastnn.MLPRegressor((4, 3), biases=(True, 1, False)).fit(X_, y_)


@pytest.mark.parametrize("flags", [False, (False, True), (True, False)])
def test_a_trainability_map_without_some_or_all_biases(problem, flags):
    """The lanes (their first-layer Gram path with and without the 1 1^T term) train as
    the estimator does at each point."""
    X, y = problem
    estimator = fastnn.MLPRegressor((6,), "tanh", solver="gd", max_iter=40, tol=None,
                                    random_state=2, init="normal", init_scale=(0.5, 1 / 6),
                                    biases=flags)  # fmt: skip
    tmap = fastnn.trainability(estimator, X, y, ranges=((1e-2, 30.0), (1e-2, 30.0)),
                               resolution=(5, 4), progress=False)  # fmt: skip
    assert tmap.diverged.any() and not tmap.diverged.all()
    for i, j in [(0, 0), (2, 1), (4, 3)]:
        rates = (tmap.a[i], tmap.b[j])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fastnn.FastnnWarning)
            fitted = fastnn.MLPRegressor(**{**estimator.get_params(),
                                            "learning_rate_init": rates}).fit(X, y)  # fmt: skip
        rel = 1e-9 if tmap.diverged[i, j] else 1e-12
        assert tmap.values[i, j] == pytest.approx(fitted.loss_, rel=rel)
