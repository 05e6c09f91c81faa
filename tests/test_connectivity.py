"""Barriers, permutation alignment, curves of low loss and the plane through three models."""

import itertools
import warnings

import numpy as np
import pytest

import fastnn
from fastnn.connectivity._align import _permuted_copy, flat_index
from fastnn.reference.mlp import _forward, mlp_loss_grad


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, (X[:, 0] * X[:, 1] + 0.3 * X[:, 2] > 0).astype(int)


def _pair(hidden=(5,), activation="tanh", regression=False, **options):
    X, y = _data()
    kind = fastnn.MLPRegressor if regression else fastnn.MLPClassifier
    target = X @ np.array([1.0, -2.0, 0.5]) if regression else y
    settings = dict(solver="adam", learning_rate_init=0.05, max_iter=60, tol=None, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        a = kind(hidden, activation, random_state=0, **settings).fit(X, target)
        b = kind(hidden, activation, random_state=1, **settings).fit(X, target)
    return a, b, X, target


@pytest.fixture(scope="module")
def pair():
    return _pair()


def _permuted(model, seed):
    """``model`` with every hidden layer's units shuffled (the same function)."""
    rng = np.random.default_rng(seed)
    sizes = model.layout_.sizes
    perms = [rng.permutation(int(s)) for s in sizes[1:-1]]
    return _permuted_copy(model, flat_index(sizes, perms))


# -- barriers ---------------------------------------------------------------------------------
def test_the_line_and_its_barrier_equal_a_direct_numpy_evaluation(pair):
    a, b, X, y = pair
    X_test, y_test = _data(n=60, seed=5)
    profile = fastnn.linear_barrier(a, b, X, y, data={"test": (X_test, y_test)}, resolution=11)
    assert profile.kind == "line" and list(profile.loss) == ["train", "test"]
    np.testing.assert_array_equal(profile.t, np.linspace(0.0, 1.0, 11))
    for name, (Xs, ys) in {"train": (X, y), "test": (X_test, y_test)}.items():
        Y = ys[:, None].astype(float)
        expected, errors = [], []
        for t in profile.t:
            theta = (1 - t) * a.theta_ + t * b.theta_
            expected.append(mlp_loss_grad(Xs, Y, theta, a.layout_.sizes, a._activation_table,
                                          a._loss_code, np.empty(theta.size)))  # fmt: skip
            logits = _forward(Xs, theta, a.layout_.sizes, a._activation_table)[-1][:, 0]
            errors.append(np.mean((logits > 0) != (ys == 1)))
        np.testing.assert_allclose(profile.loss[name], expected, rtol=1e-12)
        np.testing.assert_allclose(profile.error[name], errors, atol=1e-15)
        chord = (1 - profile.t) * expected[0] + profile.t * expected[-1]
        assert profile.loss_barrier[name] == pytest.approx(max(expected - chord), rel=1e-12)
    assert "loss barrier" in repr(profile)


def test_a_barrier_is_never_negative_and_zero_for_a_convex_loss():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        a = fastnn.LogisticRegression(solver="gd", max_iter=5).fit(X, y)
        b = fastnn.LogisticRegression(solver="gd", max_iter=200).fit(X, y)
    profile = fastnn.linear_barrier(a, b, X, y, resolution=21)
    assert profile.loss_barrier["train"] == pytest.approx(0.0, abs=1e-15)


def test_regressors_have_a_loss_barrier_and_no_error():
    a, b, X, y = _pair(regression=True)
    profile = fastnn.linear_barrier(a, b, X, y, resolution=7)
    assert profile.error == {} and profile.error_barrier == {}
    assert profile.loss_barrier["train"] >= 0.0


# -- alignment --------------------------------------------------------------------------------
@pytest.mark.parametrize("hidden", [(6,), (5, 4), (4, 3, 5)])
@pytest.mark.parametrize("activation", ["relu", ("tanh", "gelu", "silu")])
def test_a_shuffled_copy_is_aligned_back_exactly(hidden, activation):
    activation = activation if isinstance(activation, str) else activation[: len(hidden)]
    a, _, X, y = _pair(hidden, activation)
    shuffled = _permuted(a, seed=3)
    assert not np.array_equal(shuffled.theta_, a.theta_)
    np.testing.assert_allclose(shuffled.predict_proba(X), a.predict_proba(X), rtol=1e-12)
    aligned = fastnn.align(a, shuffled)
    np.testing.assert_array_equal(aligned.theta_, a.theta_)
    barrier = fastnn.linear_barrier(a, aligned, X, y, resolution=5).loss_barrier["train"]
    assert barrier == pytest.approx(0.0, abs=1e-14)
    # activations: units whose activations on X are equal (dead ReLUs) may trade places
    aligned = fastnn.align(a, shuffled, method="activations", X=X)
    for mine, theirs in zip(*(_forward(X, m.theta_, m.layout_.sizes, m._activation_table)
                              for m in (a, aligned)), strict=True):  # fmt: skip
        np.testing.assert_array_equal(theirs, mine)


@pytest.mark.parametrize("method", ["weights", "activations"])
def test_the_aligned_copy_computes_the_same_function(pair, method):
    a, b, X, y = pair
    aligned, alignment = fastnn.align(a, b, method=method, X=X if method == "activations"
                                      else None, return_alignment=True)  # fmt: skip
    assert aligned is not b and type(aligned) is type(b)
    np.testing.assert_allclose(aligned.predict_proba(X), b.predict_proba(X), rtol=1e-12)
    assert aligned.loss_grad(X, y)[0] == pytest.approx(b.loss_grad(X, y)[0], rel=1e-12)
    np.testing.assert_array_equal(aligned.theta_, b.theta_[alignment.index])
    np.testing.assert_array_equal(aligned.coefs_[0], aligned.theta_[:15].reshape(3, 5))
    assert not np.shares_memory(aligned.theta_, b.theta_)
    assert alignment.method == method and len(alignment.permutations) == 1


def _brute_force_weights(a, b):
    sizes = [int(s) for s in a.layout_.sizes]
    best = -np.inf
    for combo in itertools.product(*(itertools.permutations(range(s)) for s in sizes[1:-1])):
        perms = [np.array(p) for p in combo]
        best = max(best, a.theta_ @ b.theta_[flat_index(sizes, perms)])
    return best


def test_weight_matching_of_one_hidden_layer_is_the_brute_force_optimum():
    a, trained, _, _ = _pair((5,))
    for seed in range(4):
        b = _permuted(trained, seed)
        aligned, alignment = fastnn.align(a, b, return_alignment=True, random_state=seed)
        assert alignment.converged
        assert a.theta_ @ aligned.theta_ == pytest.approx(_brute_force_weights(a, b), rel=1e-12)
        assert alignment.objective == pytest.approx(a.theta_ @ aligned.theta_, rel=1e-12)


def test_weight_matching_of_two_layers_is_a_local_optimum_no_worse_than_the_identity():
    a, b, _, _ = _pair((4, 4))
    aligned, alignment = fastnn.align(a, b, return_alignment=True)
    reached = a.theta_ @ aligned.theta_
    assert alignment.converged and reached >= alignment.objective_before
    assert reached <= _brute_force_weights(a, b) + 1e-12
    sizes = [int(s) for s in a.layout_.sizes]
    for h in range(2):  # no single layer's permutation improves it
        for perm in itertools.permutations(range(4)):
            perms = [p.copy() for p in alignment.permutations]
            perms[h] = np.array(perm)
            assert a.theta_ @ b.theta_[flat_index(sizes, perms)] <= reached + 1e-12


def test_activation_matching_is_the_brute_force_optimum_of_the_activations(pair):
    a, b, X, _ = pair
    aligned = fastnn.align(a, b, method="activations", X=X)
    hidden = [_forward(X, m.theta_, m.layout_.sizes, m._activation_table)[1] for m in (a, aligned)]
    reached = np.sum(hidden[0] * hidden[1])
    H_b = _forward(X, b.theta_, b.layout_.sizes, b._activation_table)[1]
    best = max(np.sum(hidden[0] * H_b[:, list(p)]) for p in itertools.permutations(range(5)))
    assert reached == pytest.approx(best, rel=1e-12)


def test_alignment_permutes_the_optimiser_state_and_the_trajectory():
    X, y = _data()
    model = fastnn.MLPClassifier((4,), solver="adam", max_iter=3, tol=None, random_state=0,
                                 record_trajectory=1)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        model.fit(X, y)
        shuffled = _permuted(model, 0)
        aligned = fastnn.align(model, shuffled)
    assert not np.array_equal(shuffled.trajectory_, model.trajectory_)
    np.testing.assert_array_equal(aligned.trajectory_, model.trajectory_)
    np.testing.assert_array_equal(aligned._optimizer.state, model._optimizer.state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        model.partial_fit(X, y)
        aligned.partial_fit(X, y)  # continues the shuffled model's own optimiser, aligned
    np.testing.assert_allclose(aligned.theta_, model.theta_, rtol=1e-12)


# -- curves -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def curve(pair):
    a, b, X, y = pair
    X_test, y_test = _data(n=60, seed=5)
    return fastnn.connect(a, fastnn.align(a, b), X, y, data={"test": (X_test, y_test)},
                          epochs=30, batch_size=20, learning_rate=0.05)  # fmt: skip


def test_a_trained_bezier_curve_lowers_the_barrier_of_the_line(curve):
    train = curve.profile.loss_barrier["train"]
    assert train < curve.line.loss_barrier["train"]
    assert curve.n_iter == 30 and curve.loss_curve.shape == (30,) and not curve.diverged
    np.testing.assert_array_equal(curve.points([0.0, 1.0]), [curve.theta_a, curve.theta_b])
    assert set(curve.profile.loss) == {"train", "test"} and "Curve(bezier" in repr(curve)


@pytest.mark.parametrize("kind", ["bezier", "polychain"])
def test_curve_points_follow_their_formulas(curve, kind):
    a, m, b = curve.theta_a, curve.bend, curve.theta_b
    other = fastnn.Curve(kind, a, m, b, curve.profile, curve.line, curve.loss_curve, 1)
    for t in (0.0, 0.2, 0.5, 0.8, 1.0):
        if kind == "bezier":
            expected = (1 - t) ** 2 * a + 2 * t * (1 - t) * m + t**2 * b
        else:
            expected = (1 - 2 * t) * a + 2 * t * m if t < 0.5 else (2 - 2 * t) * m + (2 * t - 1) * b
        np.testing.assert_allclose(other.points(t)[0], expected, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("kind", ["bezier", "polychain"])
@pytest.mark.parametrize("t", [0.3, 0.5, 0.9])
def test_the_bends_gradient_is_the_expected_losss_at_fixed_t(pair, kind, t):
    """One full-batch step at a fixed t moves the bend by -lr dL(theta(t))/d bend."""
    from fastnn._codes import CURVE_CODES, MOMENTUM
    from fastnn._training import mlp_settings, mlp_state
    from fastnn.kernels import curve_train
    from fastnn.reference.train_curve import _curve_weights

    a, b, X, y = pair
    Y = y[:, None].astype(float)
    sizes, table, loss = a.layout_.sizes, a._activation_table, a._loss_code
    theta_a, theta_b = a.theta_, b.theta_
    bend = 0.5 * (theta_a + theta_b) + np.random.default_rng(0).normal(
        scale=0.3, size=a.theta_.size
    )
    lr = 1e-3
    settings = mlp_settings(optimizer=MOMENTUM, lr=lr, batch_size=X.shape[0])
    moved = bend.copy()
    curve_train(X, Y, theta_a, moved, theta_b, sizes, table, loss, CURVE_CODES[kind], settings,
                np.arange(X.shape[0])[None, :], np.array([[t]]), mlp_state(bend),
                np.empty(1))  # fmt: skip
    gradient = (bend - moved) / lr
    wa, wm, wb = _curve_weights(t, CURVE_CODES[kind])

    def expected_loss(m):
        theta = wa * theta_a + wm * m + wb * theta_b
        return mlp_loss_grad(X, Y, theta, sizes, table, loss, np.empty(theta.size))

    rng = np.random.default_rng(1)
    for direction in rng.normal(size=(3, bend.size)):
        h = 1e-5
        numeric = (expected_loss(bend + h * direction) - expected_loss(bend - h * direction)) / (
            2 * h
        )
        assert gradient @ direction == pytest.approx(numeric, rel=1e-7, abs=1e-10)


def test_curve_training_is_the_same_on_both_backends(pair):
    a, b, X, y = pair
    runs = [fastnn.connect(a, b, X, y, epochs=4, batch_size=30, optimizer="adam",
                           learning_rate=0.01, backend=backend, resolution=5)
            for backend in ("numba", "numpy")]  # fmt: skip
    np.testing.assert_allclose(runs[0].bend, runs[1].bend, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(runs[0].loss_curve, runs[1].loss_curve, rtol=1e-10)


def test_curve_training_is_reproducible_and_takes_the_seed(pair):
    a, b, X, y = pair
    runs = [fastnn.connect(a, b, X, y, epochs=3, batch_size=25, random_state=seed, resolution=3)
            for seed in (7, 7, 8)]  # fmt: skip
    np.testing.assert_array_equal(runs[0].bend, runs[1].bend)
    assert not np.array_equal(runs[0].bend, runs[2].bend)


def test_a_diverging_curve_stops_and_says_so(pair):
    a, b, X, y = pair
    with pytest.warns(fastnn.DivergenceWarning, match="diverged at epoch"):
        result = fastnn.connect(a, b, X, y, epochs=20, batch_size=10, learning_rate=1e6,
                                momentum=0.0, resolution=3)  # fmt: skip
    assert result.diverged and result.n_iter < 20 and np.all(np.isfinite(result.bend))


# -- the plane through three models -----------------------------------------------------------
def test_the_curve_and_the_line_lie_in_the_plane_through_its_control_points(curve, pair):
    a, _, X, y = pair
    plane = curve.plane(resolution=9)
    assert plane.kind == "through"
    # orthogonal to rounding: a dot product's error bound, n eps |u| |v| (1.5e-15 seen here)
    bound = plane.u.size * np.finfo(float).eps * np.linalg.norm(plane.u) * np.linalg.norm(plane.v)
    assert abs(plane.u @ plane.v) <= bound
    surface = fastnn.loss_surface(a, X, y, plane=plane)
    t = np.linspace(0.0, 1.0, 41)
    for path in (curve.points(t), (1 - t)[:, None] * curve.theta_a + t[:, None] * curve.theta_b):
        _, residual = surface.project(path, return_residual=True)
        assert residual.max() <= 1e-12 * np.linalg.norm(curve.theta_b - curve.theta_a)
    coords = surface.project(np.stack([curve.theta_a, curve.bend, curve.theta_b]))
    np.testing.assert_allclose(coords, list(plane.info["points"].values()), atol=1e-12)
    for k, (lo, hi) in enumerate(((plane.a[0], plane.a[-1]), (plane.b[0], plane.b[-1]))):
        assert lo < coords[:, k].min() and coords[:, k].max() < hi
    fig = curve.plot_plane(surface)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert {"straight line", "bezier curve", "bend"} <= set(labels)
    assert len(curve.plot().axes) == 2


def test_plane_through_refuses_points_on_one_line():
    a = np.zeros(4)
    b = np.ones(4)
    with pytest.raises(ValueError, match="spans no plane|span no plane"):
        fastnn.plane_through(a, 0.5 * b, b)
    with pytest.raises(ValueError, match="theta_a equals theta_b"):
        fastnn.plane_through(a, b, a)
    with pytest.raises(ValueError, match="margin"):
        fastnn.plane_through(a, np.r_[1.0, 0, 0, 0], b, margin=-1)


# -- refusals ---------------------------------------------------------------------------------
def test_models_that_do_not_share_a_layout_are_refused_in_one_line(pair):
    a, b, X, y = pair
    wider, _, _, _ = _pair((6,))
    other_activation, _, _, _ = _pair((5,), "relu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        relabelled = fastnn.MLPClassifier((5,), "tanh", max_iter=3).fit(X, y + 5)
    cases = [
        (wider, "layer widths"),
        (other_activation, "activations"),
        (relabelled, "classes"),
        (_pair(regression=True)[0], "same kind of model"),
    ]
    for other, message in cases:
        for call, options in (
            (fastnn.linear_barrier, {"X": X, "y": y}),
            (fastnn.align, {}),
            (fastnn.connect, {"X": X, "y": y, "epochs": 1}),
        ):
            with pytest.raises(ValueError, match=message) as info:
                call(a, other, **options)
            assert "\n" not in str(info.value)
    with pytest.raises(fastnn.NotFittedError, match="model_b"):
        fastnn.linear_barrier(a, fastnn.MLPClassifier((5,)), X, y)
    with pytest.raises(ValueError, match="X has 2 features"):
        fastnn.linear_barrier(a, b, X[:, :2], y)
    with pytest.raises(ValueError, match="needs a network"):
        fastnn.align(fastnn.LogisticRegression().fit(X, y), fastnn.LogisticRegression().fit(X, y))
    with pytest.raises(TypeError, match="model_a must be a fitted fastnn model"):
        fastnn.linear_barrier("a", b, X, y)


def test_bad_options_are_refused_in_one_line(pair):
    a, b, X, y = pair
    for call, message in (
        (lambda: fastnn.align(a, b, method="mean"), "method"),
        (lambda: fastnn.align(a, b, method="activations"), "X is required"),
        (lambda: fastnn.align(a, b, X=X), "weight matching uses no data"),
        (lambda: fastnn.align(a, b, max_iter=0), "max_iter"),
        (lambda: fastnn.connect(a, b, X, y, curve="spline"), "curve"),
        (lambda: fastnn.connect(a, b, X, y, optimizer="lbfgs"), "optimizer"),
        (lambda: fastnn.connect(a, b, X, y, learning_rate=-1), "learning_rate"),
        (lambda: fastnn.connect(a, b, X, y, epochs=0), "epochs"),
        (lambda: fastnn.connect(a, b, X, y, momentum=1.5), "momentum"),
        (lambda: fastnn.linear_barrier(a, b, X, y, resolution=2), "resolution"),
        (lambda: fastnn.linear_barrier(a, b), "no data"),
        (lambda: fastnn.linear_barrier(a, b, X, y, data={"train": (X, y)}), "given twice"),
        (lambda: fastnn.linear_barrier(a, b, data={"test": X}), "pair"),
    ):
        with pytest.raises(ValueError, match=message) as info:
            call()
        assert "\n" not in str(info.value)


# -- several optimisers' paths on one plane ---------------------------------------------------
def test_a_pca_plane_over_several_paths_is_the_pca_of_their_union():
    from fastnn.surface._plane import pca_directions

    X, y = _data()
    paths = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        for solver in ("gd", "momentum", "adam"):
            model = fastnn.MLPClassifier((4,), "tanh", solver=solver, max_iter=20, tol=None,
                                         learning_rate_init=0.1, random_state=0,
                                         record_trajectory=2).fit(X, y)  # fmt: skip
            paths[solver] = model.trajectory_
    surface = fastnn.loss_surface(model, X, y, directions="pca", trajectory=paths, resolution=7)
    u, v, ratios, _ = pca_directions(np.vstack(list(paths.values())), model.theta_)
    np.testing.assert_array_equal(surface.directions, [u, v])
    as_list = fastnn.loss_surface(model, X, y, directions="pca", trajectory=list(paths.values()),
                                  resolution=7)  # fmt: skip
    np.testing.assert_array_equal(as_list.values, surface.values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.ProjectionWarning)
        labels = surface.plot(trajectory=paths).axes[0].get_legend_handles_labels()[1]
        listed = surface.plot(trajectory=list(paths.values())).axes[0]
    for solver in paths:
        assert any(label.startswith(f"{solver}: optimiser path") for label in labels)
    assert any(label.startswith("path 3: ") for label in listed.get_legend_handles_labels()[1])
    with pytest.raises(ValueError, match="trajectory 'adam': trajectory must have shape"):
        fastnn.loss_surface(model, X, y, directions="pca",
                            trajectory={**paths, "adam": paths["adam"][:, :3]})  # fmt: skip
