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


def test_surfaces_of_a_bias_free_network_are_refused(problem):
    X, y = problem
    model = fastnn.MLPRegressor((4,), solver="gd", max_iter=3, tol=None, biases=False,
                                random_state=0).fit(X, y)  # fmt: skip
    with pytest.raises(ValueError, match="biases=False: loss surfaces"):
        fastnn.loss_surface(model, X, y, resolution=5)


def test_a_trainability_map_of_a_bias_free_network(problem):
    X, y = problem
    estimator = fastnn.MLPRegressor((6,), "tanh", solver="gd", max_iter=40, tol=None,
                                    random_state=2, init="normal", init_scale=(0.5, 1 / 6),
                                    biases=False)  # fmt: skip
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
