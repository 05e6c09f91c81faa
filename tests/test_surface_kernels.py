"""Surface kernels against their numpy twins, and the exact quadratic path against brute force."""

import numpy as np
import pytest

from fastnn import kernels, reference
from fastnn._codes import LOG_LOSS, SOFTMAX_LOG_LOSS, SQUARED_ERROR
from fastnn.layout import MLPLayout
from tests.conftest import SEEDS, assert_close, table

GRIDS = [(1, 1), (2, 3), (7, 5)]
# float32 surfaces: relative error of the mean loss against the float64 reference.
FLOAT32_RTOL = 1e-4
SAMPLES = [1, 7, 300, 1100]


def _plane_logits(rng, n, scale=1.0):
    return tuple(scale * rng.standard_normal(n) for _ in range(3))


def _axes(rng, shape):
    return np.sort(rng.uniform(-3, 3, shape[0])), np.sort(rng.uniform(-3, 3, shape[1]))


def _both(name, *args, shape):
    ours = getattr(kernels, name)(*args, np.empty(shape))
    theirs = getattr(reference, name)(*args, np.empty(shape))
    return ours, theirs


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SAMPLES)
@pytest.mark.parametrize("grid", GRIDS)
def test_mse_kernels_match_reference(seed, n, grid):
    rng = np.random.default_rng(seed)
    z0, zu, zv = _plane_logits(rng, n)
    y = rng.standard_normal(n)
    a, b = _axes(rng, grid)
    stats, stats_ref = _both("mse_surface_stats", z0, zu, zv, y, shape=9)
    assert_close(stats, stats_ref, atol=1e-15)
    assert_close(*_both("mse_surface_quadratic", stats, a, b, shape=grid))
    assert_close(*_both("mse_surface_brute", z0, zu, zv, y, a, b, shape=grid))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SAMPLES)
@pytest.mark.parametrize("grid", GRIDS)
def test_exact_quadratic_path_equals_brute_force(seed, n, grid):
    rng = np.random.default_rng(seed)
    z0, zu, zv = _plane_logits(rng, n)
    y = rng.standard_normal(n)
    a, b = _axes(rng, grid)
    stats = kernels.mse_surface_stats(z0, zu, zv, y, np.empty(9))
    exact = kernels.mse_surface_quadratic(stats, a, b, np.empty(grid))
    brute = kernels.mse_surface_brute(z0, zu, zv, y, a, b, np.empty(grid))
    assert_close(exact, brute, rtol=1e-11)


@pytest.mark.parametrize("seed", SEEDS)
def test_exact_path_keeps_its_digits_far_from_the_origin(seed):
    """x offset by 1e6, across the valley where the loss is a small difference: rtol 1e-9."""
    rng = np.random.default_rng(seed)
    n = 2000
    x = 1e6 + rng.uniform(-5, 5, n)
    y = 3.0 + 2.0 * (x - 1e6) + rng.standard_normal(n)
    X = x[:, None]
    center = np.array([3.0 - 2.0e6, 2.0])  # intercept and slope of the true line
    u, v = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    z0, zu, zv = (kernels.linear_logits(X, w, np.empty(n)) for w in (center, u, v))
    # Slope steps of up to 3e-3 move z by 3000; intercepts of +-3000 bring it back: the
    # grid crosses the narrow valley a + 1e6 b = 0, where the loss is a small difference.
    a = np.linspace(-3000, 3000, 41)
    b = np.linspace(-3e-3, 3e-3, 37)
    stats = kernels.mse_surface_stats(z0, zu, zv, y, np.empty(9))
    exact = kernels.mse_surface_quadratic(stats, a, b, np.empty((41, 37)))
    brute = reference.mse_surface_brute(z0, zu, zv, y, a, b, np.empty((41, 37)))
    assert exact.min() < 1e-3 * exact.max()  # the valley is on the grid
    assert_close(exact, brute, rtol=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SAMPLES)
@pytest.mark.parametrize("grid", GRIDS)
def test_bce_kernel_matches_reference(seed, n, grid):
    rng = np.random.default_rng(seed)
    z0, zu, zv = _plane_logits(rng, n, scale=3.0)
    y = (rng.random(n) < 0.5).astype(float)
    a, b = _axes(rng, grid)
    assert_close(*_both("bce_surface", z0, zu, zv, y, a, b, shape=grid))


def test_bce_kernel_soft_targets_and_extreme_logits():
    rng = np.random.default_rng(5)
    n = 257
    z0 = rng.choice([-800.0, 800.0, -30.0, 30.0, 0.0], n)
    zu, zv = rng.standard_normal(n), rng.standard_normal(n)
    y = rng.random(n)  # probabilities, not labels: the hoisted linear term is used
    a, b = np.array([-2.0, 0.0, 1.0]), np.array([-1.0, 0.5])
    ours, theirs = _both("bce_surface", z0, zu, zv, y, a, b, shape=(3, 2))
    assert np.all(np.isfinite(ours))
    assert_close(ours, theirs)


def test_bce_kernel_is_accurate_where_the_loss_is_tiny():
    """Confident, right answers: every term is tiny and nothing may cancel."""
    n = 500
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.5).astype(float)
    z0 = np.where(y == 1.0, 1.0, -1.0) * rng.uniform(20, 40, n)
    zu = np.where(y == 1.0, 1.0, -1.0)
    zv = rng.standard_normal(n) * 0.1
    a, b = np.array([0.0, 5.0]), np.array([0.0, 1.0])
    ours = kernels.bce_surface(z0, zu, zv, y, a, b, np.empty((2, 2)))
    exact = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            z = z0 + a[i] * zu + b[j] * zv
            exact[i, j] = np.mean(np.log1p(np.exp(-np.where(y == 1.0, z, -z))))
    assert ours.max() < 1e-8
    assert_close(ours, exact, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_kernel_value_does_not_depend_on_the_columns_beside_it(dtype):
    """A column's bits are the same wherever it sits in a task of 64 columns (tiles split
    long rows into column ranges) and whatever the other columns of its task are."""
    rng = np.random.default_rng(3)
    n = 1000
    z0, zu, zv = (x.astype(dtype) for x in _plane_logits(rng, n, scale=3.0))
    y = (rng.random(n) < 0.5).astype(dtype)
    a, b = _axes(rng, (3, 150))
    whole = kernels.bce_surface(z0, zu, zv, y, a, b, np.empty((3, 150)))
    for lo, hi in [(37, 150), (64, 65), (1, 100), (149, 150)]:
        part = kernels.bce_surface(z0, zu, zv, y, a, b[lo:hi], np.empty((3, hi - lo)))
        np.testing.assert_array_equal(part, whole[:, lo:hi])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SAMPLES)
def test_float32_bce_surface_within_tolerance(seed, n):
    rng = np.random.default_rng(seed)
    z0, zu, zv = _plane_logits(rng, n, scale=3.0)
    y = (rng.random(n) < 0.5).astype(float)
    y[: n // 3] = rng.random(n // 3)  # some soft targets: the hoisted term in float32 too
    a, b = _axes(rng, (5, 70))
    single = tuple(x.astype(np.float32) for x in (z0, zu, zv, y))
    ours = kernels.bce_surface(*single, a, b, np.empty((5, 70)))
    theirs = reference.bce_surface(z0, zu, zv, y, a, b, np.empty((5, 70)))
    assert_close(ours, theirs, rtol=FLOAT32_RTOL, atol=1e-6)
    assert not np.array_equal(ours, kernels.bce_surface(z0, zu, zv, y, a, b, np.empty((5, 70))))


NETWORKS = [
    ((2, 3, 1), "sigmoid", LOG_LOSS),  # narrow: feature-major points
    ((3, 4, 2, 1), "tanh", SQUARED_ERROR),
    ((2, 5, 3), "relu", SOFTMAX_LOG_LOSS),
    ((5, 40, 3), "relu", SOFTMAX_LOG_LOSS),  # wide: sample-major points, dot products
    ((4, 24, 20, 2), "sigmoid", SQUARED_ERROR),
    ((3, 33, 1), "tanh", LOG_LOSS),
    ((6, 20, 10), "tanh", SOFTMAX_LOG_LOSS),  # dot products in two blocks of 5 outputs
    ((3, 18, 9, 4), "relu", SOFTMAX_LOG_LOSS),  # a block of 5 and a padded one, then padded
    ((2, 70, 70, 1), "tanh", LOG_LOSS),  # a 4900-weight later layer: BLAS per block
    ((3, 2), "relu", SOFTMAX_LOG_LOSS),  # no hidden layer
    ((2, 4, 3, 1), "identity", LOG_LOSS),  # linear layers: narrow
    ((4, 30, 10), "identity", SOFTMAX_LOG_LOSS),  # and wide (dot products)
    # the activations whose derivatives need pre-activations, one per layer, both paths
    ((3, 5, 4, 2), (("leaky_relu", 0.2), "gelu"), SQUARED_ERROR),  # narrow
    ((3, 4, 3, 3), ("silu", ("softplus", 0.5)), SOFTMAX_LOG_LOSS),
    ((4, 24, 20, 1), (("elu", 1.3), "relu"), LOG_LOSS),  # wide, then a relu layer
    ((4, 20, 16, 3), ("tanh", "gelu"), SOFTMAX_LOG_LOSS),  # wide, mixed
]
# Which parameters the plane moves: all, or only those from layer 1 on (the layers
# before are evaluated once per chunk), or only the output layer.
PLANES = ["all", "from-layer-1", "output"]


def _network_problem(rng, n, sizes, activation, loss, plane, dtype=np.float64):
    layout = MLPLayout(sizes)
    X = rng.standard_normal((n, sizes[0]))
    if loss == SOFTMAX_LOG_LOSS:
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    elif loss == LOG_LOSS:
        Y = (rng.random((n, 1)) < 0.5).astype(float)
    else:
        Y = rng.standard_normal((n, sizes[-1]))
    origin = layout.initial_theta(rng, "normal")
    u, v = rng.standard_normal((2, layout.n_params)) * 0.3
    n_layers = len(sizes) - 1
    moved_from = {"all": 0, "from-layer-1": min(1, n_layers - 1), "output": n_layers - 1}[plane]
    pairs = zip(sizes[:moved_from], sizes[1 : moved_from + 1], strict=True)
    start = sum(a * b + b for a, b in pairs)
    u[:start] = 0.0
    v[:start] = 0.0
    a, b = _axes(rng, (3, 4))
    arrays = tuple(np.asarray(x, dtype) for x in (X, Y, origin, u, v))
    return (*arrays, layout.sizes, table(activation, sizes), loss, a, b)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [1, 300, 1101])
@pytest.mark.parametrize("plane", PLANES)
@pytest.mark.parametrize(("sizes", "activation", "loss"), NETWORKS)
def test_mlp_surface_matches_reference(seed, n, plane, sizes, activation, loss):
    """Shared first-layer products agree with the per-point forward pass to 1e-12.

    The kernel forms a moved layer's pre-activations as P0 + a Pu + b Pv (three
    products) where the reference forms c + a u + b v first (one product): each
    pre-activation differs by a few ulp of |P0| + |a Pu| + |b Pv|, which stays within
    1e-12 of the mean loss on these data (n = 1101 spans three chunks, the last partial).
    """
    rng = np.random.default_rng(seed)
    args = _network_problem(rng, n, sizes, activation, loss, plane)
    ours, theirs = _both("mlp_surface", *args, shape=(3, 4))
    assert_close(ours, theirs, rtol=1e-12, atol=1e-15)
    # and every point is the network's loss at that theta
    X, Y, origin, u, v, sizes_, activation_table, _, a, b = args
    grad = np.empty(origin.size)
    theta = origin + a[2] * u + b[1] * v
    expected = reference.mlp_loss_grad(X, Y, theta, sizes_, activation_table, loss, grad)
    assert_close(ours[2, 1], expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("plane", PLANES)
@pytest.mark.parametrize(("sizes", "activation", "loss"), NETWORKS)
def test_float32_mlp_surface_within_tolerance(seed, plane, sizes, activation, loss):
    rng = np.random.default_rng(seed)
    args = _network_problem(rng, 700, sizes, activation, loss, plane)
    single = tuple(np.asarray(x, np.float32) for x in args[:5]) + args[5:]
    ours = kernels.mlp_surface(*single, np.empty((3, 4)))
    theirs = reference.mlp_surface(*args, np.empty((3, 4)))
    assert ours.dtype == np.float64
    assert_close(ours, theirs, rtol=FLOAT32_RTOL, atol=1e-6)
    # and float32 is really used: not bit-equal to the float64 kernel
    assert not np.array_equal(ours, kernels.mlp_surface(*args, np.empty((3, 4))))
