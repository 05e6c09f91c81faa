"""Exact Hessian-vector products and what is built on them (fastnn.curvature).

HVPs against central differences of the backpropagated gradient and against the dense
Hessian; closed forms of linear and logistic regression; blocks against single vectors;
eigenpairs against numpy.linalg.eigh; Hutchinson's trace and the Lanczos density against
the exact spectrum.
"""

import warnings

import numpy as np
import pytest

import fastnn
from fastnn import data, kernels, reference
from fastnn._codes import ACTIVATION_CODES, LOG_LOSS, SOFTMAX_LOG_LOSS, SQUARED_ERROR
from fastnn.layout import MLPLayout
from fastnn.model import hvp_cache_rows
from tests.conftest import table

BACKENDS = [kernels, reference]
NO_CACHE = np.empty((0, 0))
LOSSES = [SQUARED_ERROR, LOG_LOSS, SOFTMAX_LOG_LOSS]


def _network_problem(rng, loss, sizes=(3, 5, 4, 3), n=400):
    sizes = (*sizes[:-1], 1 if loss == LOG_LOSS else sizes[-1])
    layout = MLPLayout(sizes)
    X = rng.normal(size=(n, sizes[0]))
    if loss == SQUARED_ERROR:
        Y = rng.normal(size=(n, sizes[-1]))
    elif loss == LOG_LOSS:
        Y = (rng.random((n, 1)) < 0.5) * 1.0
    else:
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    return X, Y, layout, rng.normal(size=layout.n_params) * 0.7


def _penalised_grad(backend, X, Y, layout, activation, loss, alpha, theta):
    grad = np.empty(theta.size)
    backend.mlp_loss_grad(X, Y, theta, layout.sizes, activation, loss, grad)
    for g, w in zip(layout.coefs(grad), layout.coefs(theta), strict=True):
        g += alpha / X.shape[0] * w
    return grad


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", list(ACTIVATION_CODES))
def test_network_hvp_is_the_derivative_of_the_gradient(rng, backend, loss, activation):
    X, Y, layout, theta = _network_problem(rng, loss)
    activation = table(activation, layout.sizes)
    alpha = 0.3
    V = rng.normal(size=(3, layout.n_params))
    out = backend.mlp_hvp(
        X, Y, theta, layout.sizes, activation, loss, alpha, V, np.empty(V.shape), NO_CACHE, False
    )
    eps = 1e-5
    for v, hv in zip(V, out, strict=True):
        plus = _penalised_grad(backend, X, Y, layout, activation, loss, alpha, theta + eps * v)
        minus = _penalised_grad(backend, X, Y, layout, activation, loss, alpha, theta - eps * v)
        difference = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(hv, difference, rtol=0, atol=1e-7 * np.abs(difference).max())


@pytest.mark.parametrize("loss", [SQUARED_ERROR, LOG_LOSS])
def test_linear_hvp_is_the_derivative_of_the_gradient(rng, loss):
    X = rng.normal(size=(300, 4))
    y = X @ rng.normal(size=4) + rng.normal(size=300)
    if loss == LOG_LOSS:
        y = (y > 0) * 1.0
    theta = rng.normal(size=5)
    V = rng.normal(size=(2, 5))
    out = kernels.linear_hvp(X, y, theta, loss, 0.0, V, np.empty(V.shape))
    grad = kernels.mse_loss_grad if loss == SQUARED_ERROR else kernels.bce_loss_grad
    for v, hv in zip(V, out, strict=True):
        plus, minus = np.empty(5), np.empty(5)
        grad(X, y, theta + 1e-5 * v, plus)
        grad(X, y, theta - 1e-5 * v, minus)
        np.testing.assert_allclose(hv, (plus - minus) / 2e-5, rtol=1e-7, atol=1e-9)


def test_linear_regressions_hessian_is_two_x_tilde_squared():
    X, y = data.linear(200, seed=1)
    X = np.c_[X, np.sin(X[:, 0])]
    model = fastnn.LinearRegression().fit(X, y)
    X1 = np.c_[np.ones(200), X]
    np.testing.assert_allclose(fastnn.hessian(model, X, y), 2 / 200 * X1.T @ X1, rtol=1e-14)


def test_logistic_hessian_is_x_tilde_weighted_by_p_one_minus_p():
    X, y = data.blobs(300, seed=2)
    model = fastnn.LogisticRegression(max_iter=200).fit(X, y)
    proba = model.predict_proba(X)  # p (1 - p) without cancellation: both columns
    X1 = np.c_[np.ones(300), X]
    expected = X1.T @ ((proba[:, 0] * proba[:, 1])[:, None] * X1) / 300
    np.testing.assert_allclose(fastnn.hessian(model, X, y), expected, rtol=1e-13)
    alpha = fastnn.LogisticRegression(alpha=2.0, max_iter=200).fit(X, y)
    proba = alpha.predict_proba(X)
    expected = X1.T @ ((proba[:, 0] * proba[:, 1])[:, None] * X1) / 300
    expected += np.diag([0, 2.0, 2.0]) / 300
    np.testing.assert_allclose(fastnn.hessian(alpha, X, y, penalty=True), expected, rtol=1e-13)


@pytest.fixture(scope="module")
def network():
    X, y = data.donut(300, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.ConvergenceWarning)
        model = fastnn.MLPClassifier((6,), "tanh", solver="gd", learning_rate_init=0.5,
                                     max_iter=300, random_state=0, alpha=0.1).fit(X, y)  # fmt: skip
    return model, X, y


def test_dense_hessian_is_symmetric_and_made_of_hvps(network):
    model, X, y = network
    H = fastnn.hessian(model, X, y)
    raw = np.stack([fastnn.hvp(model, X, y, e) for e in np.eye(model.layout_.n_params)])
    assert np.abs(raw - raw.T).max() < 1e-13 * np.abs(raw).max()  # exact up to rounding
    np.testing.assert_allclose(H, (raw + raw.T) / 2, rtol=0, atol=0)
    np.testing.assert_array_equal(H, H.T)
    v = np.random.default_rng(1).normal(size=(4, H.shape[0]))
    np.testing.assert_allclose(fastnn.hvp(model, X, y, v), v @ H, rtol=1e-12, atol=1e-14)
    penalised = fastnn.hessian(model, X, y, penalty=True)
    mask = np.zeros(H.shape[0])
    for w in model.layout_.coefs(mask):
        w[...] = 0.1 / 300
    np.testing.assert_allclose(penalised - H, np.diag(mask), atol=1e-15)


def test_a_block_is_its_vectors_one_by_one_bit_for_bit(network):
    model, X, y = network
    V = np.random.default_rng(2).normal(size=(5, model.layout_.n_params))
    block = fastnn.hvp(model, X, y, V)
    for v, hv in zip(V, block, strict=True):
        np.testing.assert_array_equal(fastnn.hvp(model, X, y, v), hv)
    np.testing.assert_allclose(
        block, fastnn.hvp(model, X, y, V, backend="numpy"), rtol=1e-12, atol=1e-15
    )


def test_hvp_at_another_center_and_bad_vectors(network):
    model, X, y = network
    center = model.theta_ + 0.1
    v = np.ones(model.layout_.n_params)
    moved = fastnn.hvp(model, X, y, v, center=center)
    assert not np.allclose(moved, fastnn.hvp(model, X, y, v))
    unfitted = fastnn.MLPClassifier((6,), "tanh")
    np.testing.assert_array_equal(fastnn.hvp(unfitted, X, y, v, center=center), moved)
    with pytest.raises(ValueError, match=r"v must be a vector of 25 entries"):
        fastnn.hvp(model, X, y, np.ones(24))
    with pytest.raises(ValueError, match="v holds NaN"):
        fastnn.hvp(model, X, y, np.full(25, np.nan))


@pytest.mark.parametrize("which", ["largest", "smallest", "magnitude"])
def test_hessian_eigs_dense_and_lanczos_agree_with_eigh(network, which):
    model, X, y = network
    values, vectors = np.linalg.eigh(fastnn.hessian(model, X, y))
    order = {"largest": -values, "smallest": values, "magnitude": -np.abs(values)}[which]
    expected = values[np.argsort(order)][:3]
    for method in ("dense", "lanczos"):
        eigs = fastnn.hessian_eigs(model, X, y, k=3, which=which, method=method, random_state=0)
        assert eigs.method == method
        np.testing.assert_allclose(eigs.values, expected, rtol=1e-9, atol=1e-12)
        H = fastnn.hessian(model, X, y)
        residual = eigs.vectors @ H - eigs.values[:, None] * eigs.vectors
        assert np.abs(residual).max() < 1e-8 * np.abs(values).max()
        np.testing.assert_allclose(np.linalg.norm(eigs.vectors, axis=1), 1.0, rtol=1e-12)
    assert values.min() < 0 < values.max()  # an indefinite Hessian: which= matters


def test_hessian_eigs_checks_its_arguments(network):
    model, X, y = network
    with pytest.raises(ValueError, match="which must be one of"):
        fastnn.hessian_eigs(model, X, y, which="top")
    with pytest.raises(ValueError, match="k must be an integer"):
        fastnn.hessian_eigs(model, X, y, k=0)
    with pytest.raises(ValueError, match="below the 25 parameters"):
        fastnn.hessian_eigs(model, X, y, k=25, method="lanczos")


def test_hutchinson_trace_is_unbiased_around_the_exact_trace(network):
    model, X, y = network
    exact = np.trace(fastnn.hessian(model, X, y))
    estimate, error = fastnn.hessian_trace(model, X, y, n_vectors=400, random_state=0)
    assert abs(estimate - exact) < 4 * error
    assert 0 < error < 0.5 * abs(exact)
    again = fastnn.hessian_trace(model, X, y, n_vectors=400, random_state=0)
    assert again == (estimate, error)


def test_lanczos_density_finds_the_spectrum(network):
    model, X, y = network
    values = np.linalg.eigvalsh(fastnn.hessian(model, X, y))
    # as many steps as parameters: every run recovers the whole spectrum
    density = fastnn.hessian_density(model, X, y, n_vectors=3, steps=25, random_state=0)
    for run in range(3):
        nodes = np.sort(density.nodes[run][~np.isnan(density.nodes[run])])
        assert nodes[0] == pytest.approx(values[0], abs=1e-8 * np.abs(values).max())
        assert nodes[-1] == pytest.approx(values[-1], rel=1e-8)
        assert density.weights[run].sum() == pytest.approx(1.0, rel=1e-12)
    area = np.trapezoid(density.density, density.grid)
    assert area == pytest.approx(1.0, rel=1e-3)
    ax = density.plot()
    assert "density" in ax.get_title()


@pytest.mark.parametrize(
    ("sizes", "n", "path"),
    [((3, 40, 40, 1), 20_000, "groups of chunks on the threads"), ((20, 80, 70, 3), 2500, "BLAS")],
)
# the second keeps pre-activations (and caches them)
@pytest.mark.parametrize("activation", ["tanh", ("gelu", ("elu", 0.7))])
def test_parallel_and_blas_paths_match_the_reference(sizes, n, path, activation):
    from fastnn._builds import MLP_BLAS_MIN_WEIGHTS

    rng = np.random.default_rng(4)
    loss = LOG_LOSS if sizes[-1] == 1 else SOFTMAX_LOG_LOSS
    X, Y, layout, theta = _network_problem(rng, loss, sizes, n)
    uses_blas = max(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    assert (uses_blas >= MLP_BLAS_MIN_WEIGHTS) == (path == "BLAS")
    V = rng.normal(size=(2, layout.n_params))
    activation = table(activation, layout.sizes)
    args = (X, Y, theta, layout.sizes, activation, loss, 0.2, V)
    got = kernels.mlp_hvp(*args, np.empty(V.shape), NO_CACHE, False)
    expected = reference.mlp_hvp(*args, np.empty(V.shape), NO_CACHE, False)
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-13 * np.abs(expected).max())
    # the cache: filled by one call, read by the next, the same products bit for bit
    cache = np.full((hvp_cache_rows(sizes, activation), n), np.nan)
    filling = kernels.mlp_hvp(*args, np.empty(V.shape), cache, False)
    np.testing.assert_array_equal(filling, got)
    assert np.isfinite(cache).all()
    W = rng.normal(size=(3, layout.n_params))
    reading = kernels.mlp_hvp(*args[:-1], W, np.empty(W.shape), cache, True)
    np.testing.assert_array_equal(
        reading, kernels.mlp_hvp(*args[:-1], W, np.empty(W.shape), NO_CACHE, False)
    )
    twin_cache = np.full(cache.shape, np.nan)
    reference.mlp_hvp(*args, np.empty(V.shape), twin_cache, False)
    # (the deltas are sums of BLAS products: absolute tolerance on their scale, as above)
    np.testing.assert_allclose(cache, twin_cache, rtol=1e-11, atol=1e-13 * np.abs(twin_cache).max())


# -- Hessian planes and curvature maps ----------------------------------------------------


def test_hessian_directions_are_the_top_eigenvectors(network):
    model, X, y = network
    eigs = fastnn.hessian_eigs(model, X, y, k=2)
    top = fastnn.loss_surface(model, X, y, directions="hessian", resolution=3)
    np.testing.assert_array_equal(top.directions, eigs.vectors)
    np.testing.assert_array_equal(top.info["hessian_eigenvalues"], eigs.values)
    extremes = fastnn.loss_surface(model, X, y, directions="hessian-extremes", resolution=3)
    low = fastnn.hessian_eigs(model, X, y, k=1, which="smallest")
    np.testing.assert_array_equal(extremes.directions, [eigs.vectors[0], low.vectors[0]])
    assert extremes.info["hessian_eigenvalues"] == [eigs.values[0], low.values[0]]
    # the loss along u curves as the eigenvalue says: second difference / h^2
    h = 1e-3
    line = fastnn.loss_line(model, X, y, direction=top.u, span=h, resolution=3)
    curvature = (line.values[0] - 2 * line.values[1] + line.values[2]) / h**2
    assert curvature == pytest.approx(eigs.values[0], rel=1e-4)


def test_curvature_map_is_the_dense_spectrum_at_every_point(network):
    model, X, y = network
    curvature = fastnn.curvature_surface(model, X, y, resolution=(5, 4), random_state=0)
    assert curvature.max_eigenvalue.shape == (5, 4)
    for i, j in [(0, 0), (2, 1), (4, 3)]:
        values = np.linalg.eigvalsh(fastnn.hessian(model, X, y, center=curvature.max.theta(i, j)))
        assert curvature.max_eigenvalue[i, j] == pytest.approx(values[-1], rel=1e-12)
        assert curvature.min_eigenvalue[i, j] == pytest.approx(values[0], rel=1e-12, abs=1e-15)
    at_center = np.linalg.eigvalsh(fastnn.hessian(model, X, y))
    assert curvature.max.center_loss == pytest.approx(at_center[-1], rel=1e-12)
    assert curvature.min.center_loss == pytest.approx(at_center[0], rel=1e-12)
    np.testing.assert_array_equal(curvature.min.directions, curvature.max.directions)
    np.testing.assert_allclose(curvature.ratio, curvature.min_eigenvalue / curvature.max_eigenvalue)
    # tiles of one row give the same bits
    tiled = fastnn.curvature_surface(model, X, y, resolution=(5, 4), random_state=0, tile_rows=1)
    np.testing.assert_array_equal(tiled.max_eigenvalue, curvature.max_eigenvalue)
    np.testing.assert_array_equal(tiled.min_eigenvalue, curvature.min_eigenvalue)
    loss = fastnn.loss_surface(model, X, y, directions=curvature.max)
    fig = curvature.plot(loss=loss)
    assert "convexity" in fig.axes[0].get_title()
    # the scale stops at [-1, 1]; where the ratio lies beyond, the bar says so
    below = np.mean(curvature.ratio < -1.0)
    bar = fig.axes[1]
    assert bar.get_ylabel().startswith("min / max eigenvalue of the Hessian")
    assert (f"{100 * below:.0f}% below -1: clipped" in bar.get_ylabel()) == (below > 0)
    assert fig.axes[0].collections[0].colorbar.extend in (("min", "both") if below else
                                                          ("neither", "max"))  # fmt: skip
    assert repr(curvature.min).startswith("Surface(min_eigenvalue, 5 x 4")
    assert "center min eigenvalue" in repr(curvature.min)
    assert curvature.max.plot().axes[0].get_title().endswith("largest Hessian eigenvalue")


def test_curvature_of_a_large_model_by_lanczos():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 20))
    y = rng.integers(0, 3, 150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.ConvergenceWarning)
        model = fastnn.MLPClassifier((30,), "tanh", max_iter=20, random_state=0).fit(X, y)
    assert model.layout_.n_params > fastnn.curvature.DENSE_MAX_PARAMS
    curvature = fastnn.curvature_surface(model, X, y, resolution=2, random_state=0, span=0.5)
    for i, j in [(0, 0), (1, 1)]:
        values = np.linalg.eigvalsh(fastnn.hessian(model, X, y, center=curvature.max.theta(i, j)))
        assert curvature.max_eigenvalue[i, j] == pytest.approx(values[-1], rel=1e-9)
        assert curvature.min_eigenvalue[i, j] == pytest.approx(values[0], rel=1e-9)


def test_curvature_outputs_and_refusals(network, tmp_path):
    model, X, y = network
    paths = (tmp_path / "max.npy", tmp_path / "min.npy")
    written = fastnn.curvature_surface(model, X, y, resolution=3, random_state=0, out=paths)
    np.testing.assert_array_equal(np.load(paths[0]), written.max_eigenvalue)
    np.testing.assert_array_equal(np.load(paths[1]), written.min_eigenvalue)
    (tmp_path / "taken.npy").write_bytes(b"precious")
    with pytest.raises(ValueError, match="taken.npy exists"):
        fastnn.curvature_surface(model, X, y, out=(tmp_path / "new.npy", tmp_path / "taken.npy"))
    assert not (tmp_path / "new.npy").exists()  # nothing computed or written for the first
    assert (tmp_path / "taken.npy").read_bytes() == b"precious"
    # interrupted during the first map: resume finishes it and starts the second
    first, second = tmp_path / "r_max.npy", tmp_path / "r_min.npy"
    fastnn.loss_surface(model, X, y, metric="max_eigenvalue", resolution=3, random_state=0,
                        out=first)  # fmt: skip
    resumed = fastnn.curvature_surface(model, X, y, resolution=3, random_state=0,
                                       out=(first, second), resume=True)  # fmt: skip
    assert resumed.max.info["tiles_computed"] == 0
    np.testing.assert_array_equal(np.load(second), written.min_eigenvalue)
    with pytest.raises(ValueError, match="both eigenvalues would go to"):
        fastnn.curvature_surface(model, X, y, out=(tmp_path / "s.npy", tmp_path / "s.npy"))
    with pytest.raises(ValueError, match="out must be a pair of paths"):
        fastnn.curvature_surface(model, X, y, out=tmp_path / "one.npy")
    with pytest.raises(ValueError, match="metric= does not apply"):
        fastnn.curvature_surface(model, X, y, metric="loss")
    with pytest.raises(ValueError, match="float64 only"):
        fastnn.loss_surface(model, X, y, metric="min_eigenvalue", dtype="float32")
    with pytest.raises(ValueError, match="curvature_tol must be a number >= 0"):
        fastnn.loss_surface(model, X, y, metric="min_eigenvalue", curvature_tol=-1)
