"""Loss surfaces: fastnn-numba vs the numpy reference (and PyTorch CPU when installed).

Workloads (issue "Loss surfaces on large grids"):
- logistic BCE surface, N = 10,000 samples: G = 1000 (the target size; fastnn float64
  and float32, JAX) and G = 200 for the ratio against the reference, PyTorch and JAX
  (``jax.jit`` of ``lax.map`` over the grid rows, float64; same grid, same run);
- linear MSE surface, N = 100,000 with x offset by 1e6: the exact quadratic path at
  G = 2000 (after its O(N d) precomputation, timed separately) and brute force at G = 200;
- the lecture's network (2-10-1 sigmoid, N = 2000 donut samples), filter-normalised
  plane, G = 101, against a per-grid-point numpy loop (what loss-landscape tools do).
Each variant is checked against the reference before it is timed; ``extra_info`` holds
the grid evaluations per second.  Full sizes are marked ``slow`` (CI runs the small ones).
"""

import numpy as np
import pytest

import fastnn
from fastnn import data, kernels, reference

from .conftest import check_then_time

SLOW = pytest.mark.slow


def _bce_plane(n, seed=0):
    X, y = data.blobs(n, seed=seed)
    model = fastnn.LogisticRegression(solver="gd", max_iter=200).fit(X, y)
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal((2, 3))
    z = [kernels.linear_logits(X, w, np.empty(n)) for w in (model.theta_, u, v)]
    return (*z, (y == model.classes_[1]).astype(float))


def _axes(g, h=2.0):
    return np.linspace(-h, h, g), np.linspace(-h, h, g)


def _record(benchmark, grid, n, per_sample=True):
    """Throughput in extra_info: (grid point x sample) evaluations/s, or points/s."""
    benchmark.extra_info["grid_points"] = grid * grid
    benchmark.extra_info["samples"] = n
    stats = benchmark.stats.stats if benchmark.stats else None
    if stats is not None:
        key = "evaluations_per_second" if per_sample else "points_per_second"
        benchmark.extra_info[key] = grid * grid * (n if per_sample else 1) / stats.median


def _torch_bce_surface(z0, zu, zv, y, a, b):
    import torch

    z0, zu, zv, y, bt = (torch.from_numpy(x) for x in (z0, zu, zv, y, b))
    out = torch.empty(a.size, b.size, dtype=torch.float64)
    for i, ai in enumerate(a):
        t = (z0 + float(ai) * zu)[None, :] + bt[:, None] * zv[None, :]
        # logaddexp(0, t) is softplus without torch's threshold approximation
        out[i] = torch.mean(torch.logaddexp(torch.zeros((), dtype=t.dtype), t) - y * t, dim=1)
    return out.numpy()


def _jax_bce_surface(z0, zu, zv, y, a, b, dtype="float64"):
    """JAX's best here (of lax.map, vmap and batched map over rows; logaddexp or softplus)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    z0, zu, zv, y, bj = (jnp.asarray(x, dtype) for x in (z0, zu, zv, y, b))

    def row(ai):
        t = (z0 + ai * zu)[None, :] + bj[:, None] * zv[None, :]
        return jnp.mean(jnp.logaddexp(0.0, t) - y * t, axis=1)

    grid = jax.jit(lambda a: jax.lax.map(row, a))
    return lambda: np.asarray(grid(jnp.asarray(a, dtype)).block_until_ready(), np.float64)


def _lecture_loop_bce_surface(z0, zu, zv, y, a, b):
    """The lecture's way: a Python double loop over the grid, numpy over the samples."""
    out = np.empty((a.size, b.size))
    for i in range(a.size):
        for j in range(b.size):
            z = z0 + a[i] * zu + b[j] * zv
            out[i, j] = np.mean(np.logaddexp(0.0, z) - y * z)
    return out


BCE_CASES = [
    pytest.param("fastnn-numba", 1000, marks=SLOW, id="fastnn-numba-G1000"),
    pytest.param("fastnn-numba-float32", 1000, marks=SLOW, id="fastnn-numba-float32-G1000"),
    pytest.param("jax-cpu", 1000, marks=SLOW, id="jax-cpu-G1000"),
    pytest.param("fastnn-numba", 200, marks=SLOW, id="fastnn-numba-G200"),
    pytest.param("fastnn-numba-float32", 200, marks=SLOW, id="fastnn-numba-float32-G200"),
    pytest.param("fastnn-numpy", 200, marks=SLOW, id="fastnn-numpy-G200"),
    pytest.param("torch-cpu", 200, marks=SLOW, id="torch-cpu-G200"),
    pytest.param("jax-cpu", 200, marks=SLOW, id="jax-cpu-G200"),
    # JAX's default dtype: what a JAX user gets without jax_enable_x64
    pytest.param("jax-cpu-float32", 200, marks=SLOW, id="jax-cpu-float32-G200"),
    pytest.param("fastnn-numba", 20, id="fastnn-numba-G20"),
    pytest.param("fastnn-numba-float32", 20, id="fastnn-numba-float32-G20"),
    pytest.param("fastnn-numpy", 20, id="fastnn-numpy-G20"),
    pytest.param("torch-cpu", 20, id="torch-cpu-G20"),
    pytest.param("lecture-loop", 20, id="lecture-loop-G20"),
]


@pytest.mark.parametrize(("variant", "grid"), BCE_CASES)
def test_logistic_bce_surface(benchmark, variant, grid):
    n = 10_000
    z0, zu, zv, y = _bce_plane(n)
    a, b = _axes(grid)
    benchmark.group = f"surface-bce-N{n}-G{grid}"
    check_rows = slice(0, min(grid, 20))  # the reference on a few rows is enough to check
    expected = reference.bce_surface(
        z0, zu, zv, y, a[check_rows], b, np.empty((a[check_rows].size, grid))
    )
    rtol = 1e-11
    if variant == "torch-cpu":
        pytest.importorskip("torch")
        run = lambda: _torch_bce_surface(z0, zu, zv, y, a, b)  # noqa: E731
    elif variant.startswith("jax-cpu"):
        pytest.importorskip("jax")
        dtype = "float32" if variant.endswith("float32") else "float64"
        run = _jax_bce_surface(z0, zu, zv, y, a, b, dtype)
        rtol = 1e-4 if dtype == "float32" else rtol
    elif variant == "lecture-loop":
        run = lambda: _lecture_loop_bce_surface(z0, zu, zv, y, a, b)  # noqa: E731
    elif variant == "fastnn-numba-float32":
        single = tuple(x.astype(np.float32) for x in (z0, zu, zv, y))
        out = np.empty((grid, grid))
        run = lambda: kernels.bce_surface(*single, a, b, out)  # noqa: E731
        rtol = 1e-4  # the documented float32 tolerance
    else:
        impl = kernels if variant == "fastnn-numba" else reference
        out = np.empty((grid, grid))
        run = lambda: impl.bce_surface(z0, zu, zv, y, a, b, out)  # noqa: E731
    got = run()[check_rows]
    np.testing.assert_allclose(got, expected, rtol=rtol)
    benchmark.pedantic(run, rounds=3 if grid >= 200 else 10, iterations=1, warmup_rounds=0)
    _record(benchmark, grid, n)


def _mse_plane(n):
    rng = np.random.default_rng(0)
    x = 1e6 + rng.uniform(-5, 5, n)
    y = 3.0 + 2.0 * (x - 1e6) + rng.standard_normal(n)
    X = x[:, None]
    center = np.array([3.0 - 2.0e6, 2.0])
    directions = (np.array([1.0, 0.0]), np.array([0.0, 1e-6]))
    z = [kernels.linear_logits(X, w, np.empty(n)) for w in (center, *directions)]
    return X, y, (*z, y)


MSE_CASES = [
    pytest.param("exact", "fastnn-numba", 2000, 100_000, marks=SLOW, id="exact-numba-G2000"),
    pytest.param("exact", "fastnn-numpy", 2000, 100_000, marks=SLOW, id="exact-numpy-G2000"),
    pytest.param("brute", "fastnn-numba", 200, 100_000, marks=SLOW, id="brute-numba-G200"),
    pytest.param("brute", "fastnn-numpy", 200, 100_000, marks=SLOW, id="brute-numpy-G200"),
    pytest.param("exact", "fastnn-numba", 50, 2000, id="exact-numba-G50"),
    pytest.param("brute", "fastnn-numba", 50, 2000, id="brute-numba-G50"),
    pytest.param("brute", "fastnn-numpy", 50, 2000, id="brute-numpy-G50"),
]


@pytest.mark.parametrize(("method", "variant", "grid", "n"), MSE_CASES)
def test_linear_mse_surface(benchmark, method, variant, grid, n):
    _, _, (z0, zu, zv, y) = _mse_plane(n)
    a, b = _axes(grid, 3.0)
    impl = kernels if variant == "fastnn-numba" else reference
    benchmark.group = f"surface-mse-{method}-N{n}-G{grid}"
    rows = slice(0, min(grid, 10))
    expected = reference.mse_surface_brute(
        z0, zu, zv, y, a[rows], b, np.empty((a[rows].size, grid))
    )
    out = np.empty((grid, grid))
    if method == "exact":
        stats = impl.mse_surface_stats(z0, zu, zv, y, np.empty(9))
        run = lambda: impl.mse_surface_quadratic(stats, a, b, out)  # noqa: E731
    else:
        run = lambda: impl.mse_surface_brute(z0, zu, zv, y, a, b, out)  # noqa: E731
    np.testing.assert_allclose(run()[rows], expected, rtol=1e-9)
    benchmark.pedantic(run, rounds=20 if method == "exact" else 3, iterations=1)
    _record(benchmark, grid, n, per_sample=method == "brute")


@pytest.mark.parametrize("variant", ["fastnn-numba", "fastnn-numpy"])
def test_linear_mse_precomputation(benchmark, variant):
    """The O(N d) part of the exact path: three logit vectors and the nine statistics."""
    X, y, _ = _mse_plane(100_000)
    impl = kernels if variant == "fastnn-numba" else reference
    center, u, v = np.array([3.0 - 2.0e6, 2.0]), np.array([1.0, 0.0]), np.array([0.0, 1e-6])
    benchmark.group = "surface-mse-precompute-N100000"

    def run():
        z = [impl.linear_logits(X, w, np.empty(X.shape[0])) for w in (center, u, v)]
        return impl.mse_surface_stats(*z, y, np.empty(9))

    check_then_time(
        benchmark,
        run,
        reference.mse_surface_stats(*_mse_plane(100_000)[2], np.empty(9)),
        rtol=1e-9,
        atol=1e-12,
    )


def _lecture_network_plane(n=2000):
    X, y = data.donut(n, seed=0)
    model = fastnn.MLPClassifier(
        (10,),
        "sigmoid",
        solver="gd",
        learning_rate_init=1.0,
        max_iter=200,
        tol=None,
        init="normal",
        random_state=0,
    ).fit(X, y)
    surface = fastnn.loss_surface(model, X, y, directions="filter", random_state=0, resolution=2)
    Y = (y == model.classes_[1]).astype(float)[:, None]
    return X, Y, model, surface.u, surface.v


def _torch_mlp_surface(X, Y, origin, u, v, layout, a, b):
    """PyTorch, vectorised over a grid row: the row's networks as one batched product."""
    import torch

    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    out = np.empty((a.size, b.size))
    bt = torch.from_numpy(b)
    o, ut, vt = (torch.from_numpy(w) for w in (origin, u, v))
    for i, ai in enumerate(a):
        thetas = o + float(ai) * ut + bt[:, None] * vt  # (Gb, P)
        h = Xt.expand(b.size, *Xt.shape)
        for l in range(layout.n_layers):
            w0, b0 = int(layout.weight_start[l]), int(layout.bias_start[l])
            fan_in, fan_out = int(layout.sizes[l]), int(layout.sizes[l + 1])
            W = thetas[:, w0:b0].reshape(b.size, fan_in, fan_out)
            h = torch.baddbmm(thetas[:, b0 : b0 + fan_out][:, None, :], h, W)
            if l < layout.n_layers - 1:
                h = torch.sigmoid(h)
        z = h[..., 0]
        out[i] = torch.mean(
            torch.logaddexp(torch.zeros((), dtype=z.dtype), z) - Yt[:, 0] * z, dim=1
        ).numpy()
    return out


def _lecture_loop_mlp_surface(X, Y, origin, u, v, layout, a, b):
    """The lecture's way: a Python double loop over the grid, a numpy forward pass per point."""
    out = np.empty((a.size, b.size))
    y = Y[:, 0]
    for i in range(a.size):
        for j in range(b.size):
            theta = origin + a[i] * u + b[j] * v
            W1, W2 = layout.coefs(theta)
            b1, b2 = layout.intercepts(theta)
            h = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
            z = (h @ W2 + b2)[:, 0]
            out[i, j] = np.mean(np.logaddexp(0.0, z) - y * z)
    return out


@pytest.mark.parametrize(
    ("variant", "grid"),
    [
        pytest.param("torch-cpu", 101, marks=SLOW, id="torch-cpu-G101"),
        pytest.param("torch-cpu", 11, id="torch-cpu-G11"),
        pytest.param("lecture-loop", 11, id="lecture-loop-G11"),
        pytest.param("fastnn-numba", 101, marks=SLOW, id="fastnn-numba-G101"),
        pytest.param("fastnn-numpy", 101, marks=SLOW, id="fastnn-numpy-G101"),
        pytest.param("fastnn-numba", 11, id="fastnn-numba-G11"),
        pytest.param("fastnn-numpy", 11, id="fastnn-numpy-G11"),
    ],
)
def test_lecture_network_filter_plane(benchmark, variant, grid):
    X, Y, model, u, v = _lecture_network_plane()
    a, b = _axes(grid, 1.0)
    impl = kernels if variant == "fastnn-numba" else reference
    benchmark.group = f"surface-mlp-lecture-G{grid}"
    args = (
        X,
        Y,
        model.theta_,
        u,
        v,
        model.layout_.sizes,
        model._activation_table,
        model._loss_code,
    )
    rows = slice(0, 3)
    expected = reference.mlp_surface(*args, a[rows], b, np.empty((3, grid)))
    out = np.empty((grid, grid))
    if variant == "torch-cpu":
        pytest.importorskip("torch")
        run = lambda: _torch_mlp_surface(X, Y, model.theta_, u, v, model.layout_, a, b)  # noqa: E731
    elif variant == "lecture-loop":
        run = lambda: _lecture_loop_mlp_surface(X, Y, model.theta_, u, v, model.layout_, a, b)  # noqa: E731
    else:
        run = lambda: impl.mlp_surface(*args, a, b, out)  # noqa: E731
    np.testing.assert_allclose(run()[rows], expected, rtol=1e-11)
    benchmark.pedantic(run, rounds=3, iterations=1)
    _record(benchmark, grid, X.shape[0])
