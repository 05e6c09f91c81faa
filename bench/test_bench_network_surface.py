"""Network loss surfaces: fastnn against the loops a loss-landscape user would write.

Workloads (float64 unless the variant says float32; a random plane through a random
centre of the network's usual initial scale; one run, same directions for everyone):
- MNIST-sized: synthetic data with MNIST's shape (784 inputs in [0, 1], 10 classes,
  N = 10,000; no download), relu hidden units, softmax cross-entropy: 784-128-10 on a
  51 x 51 grid and 784-256-128-10 on a 25 x 25 grid;
- the lecture's network: 2-10-1 sigmoid, BCE, N = 2000 donut samples, 101 x 101.
Peers, each checked against fastnn's values before it is timed:
- ``torch-per-point``: set the parameters, one forward pass per grid point (what
  loss-landscapes and Goldstein's loss-landscape do);
- ``torch-row``: a grid row's networks as one batched product (``torch.matmul`` over a
  stack of weight matrices);
- ``jax-vmap``: ``jax.jit(jax.vmap(loss))`` over a grid row's parameter vectors.
A peer that is not installed (``pip install "fastnn[peers]"``) is skipped.  Every
benchmark here takes seconds to minutes per round: all are marked ``slow`` except the
lecture network's fastnn variants; ``pytest bench/test_bench_network_surface.py -m slow
--benchmark-only`` runs them (one round each).
"""

import numpy as np
import pytest

from fastnn import data
from fastnn._codes import LOG_LOSS, RELU, SIGMOID, SOFTMAX_LOG_LOSS
from fastnn.layout import MLPLayout

SLOW = pytest.mark.slow

WORKLOADS = {
    "mnist-784-128-10": dict(sizes=(784, 128, 10), n=10_000, grid=51),
    "mnist-784-256-128-10": dict(sizes=(784, 256, 128, 10), n=10_000, grid=25),
    "lecture-2-10-1": dict(sizes=(2, 10, 1), n=2000, grid=101),
}


def _problem(name):
    spec = WORKLOADS[name]
    sizes, n, grid = spec["sizes"], spec["n"], spec["grid"]
    rng = np.random.default_rng(0)
    layout = MLPLayout(sizes)
    if name.startswith("lecture"):
        X, y = data.donut(n, seed=0)
        Y = y[:, None].astype(float)
        activation, loss = SIGMOID, LOG_LOSS
    else:
        X = rng.random((n, sizes[0]))
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
        activation, loss = RELU, SOFTMAX_LOG_LOSS
    center = layout.initial_theta(rng, "normal")
    u, v = rng.standard_normal((2, layout.n_params))
    u *= np.linalg.norm(center) / np.linalg.norm(u) * 0.5
    v *= np.linalg.norm(center) / np.linalg.norm(v) * 0.5
    a = np.linspace(-1.0, 1.0, grid)
    b = np.linspace(-1.0, 1.0, grid)
    return X, Y, layout, activation, loss, center, u, v, a, b


def _fastnn(problem, dtype):
    X, Y, layout, activation, loss, center, u, v, a, b = problem
    from fastnn.grid import Evaluation, evaluate_tile

    arrays = (X, Y, center, u, v)
    if dtype == "float32":
        arrays = tuple(np.asarray(x, np.float32) for x in arrays)
    evaluation = Evaluation("network", "numba", a, b, (*arrays, layout.sizes), (activation, loss))
    return lambda: evaluate_tile(evaluation, (0, a.size), (0, b.size))


def _torch_layers(torch, theta, sizes):
    layers, position = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = theta[..., position : position + fan_in * fan_out]
        W = W.reshape(*theta.shape[:-1], fan_in, fan_out)
        position += fan_in * fan_out
        layers.append((W, theta[..., position : position + fan_out]))
        position += fan_out
    return layers


def _torch_loss(torch, X, target, theta, sizes, sigmoid):
    """Mean loss of the network(s) theta (..., n_params) on X: softmax CE or BCE."""
    h = X
    layers = _torch_layers(torch, theta, sizes)
    for l, (W, b) in enumerate(layers):
        h = torch.matmul(h, W) + b[..., None, :]
        if l < len(layers) - 1:
            h = torch.sigmoid(h) if sigmoid else torch.relu(h)
    if sigmoid:
        z = h[..., 0]
        return torch.nn.functional.binary_cross_entropy_with_logits(
            z, target.expand_as(z), reduction="none"
        ).mean(-1)
    logp = torch.log_softmax(h, dim=-1)
    return -(logp * target).sum(-1).mean(-1)


def _torch(problem, batched):
    torch = pytest.importorskip("torch")
    X, Y, layout, activation, loss, center, u, v, a, b = problem
    sigmoid = activation == SIGMOID
    Xt = torch.from_numpy(X)
    target = torch.from_numpy(Y[:, 0] if sigmoid else Y)
    c, ut, vt = (torch.from_numpy(w) for w in (center, u, v))
    bt = torch.from_numpy(b)
    sizes = tuple(int(s) for s in layout.sizes)

    def run():
        out = np.empty((a.size, b.size))
        with torch.no_grad():
            for i, ai in enumerate(a):
                if batched:
                    thetas = c + ai * ut + bt[:, None] * vt
                    out[i] = _torch_loss(torch, Xt, target, thetas, sizes, sigmoid).numpy()
                else:
                    for j, bj in enumerate(b):
                        theta = c + ai * ut + bj * vt
                        out[i, j] = _torch_loss(torch, Xt, target, theta, sizes, sigmoid).item()
        return out

    return run


def _jax(problem):
    pytest.importorskip("jax")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    X, Y, layout, activation, loss, center, u, v, a, b = problem
    sigmoid = activation == SIGMOID
    sizes = tuple(int(s) for s in layout.sizes)
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)

    def network_loss(theta):
        h, position = Xj, 0
        for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            W = theta[position : position + fan_in * fan_out].reshape(fan_in, fan_out)
            position += fan_in * fan_out
            h = h @ W + theta[position : position + fan_out]
            position += fan_out
            if l < len(sizes) - 2:
                h = jax.nn.sigmoid(h) if sigmoid else jax.nn.relu(h)
        if sigmoid:
            z = h[:, 0]
            return jnp.mean(jnp.maximum(z, 0) - Yj[:, 0] * z + jnp.log1p(jnp.exp(-jnp.abs(z))))
        return -jnp.mean(jnp.sum(jax.nn.log_softmax(h) * Yj, axis=1))

    row_losses = jax.jit(jax.vmap(network_loss))
    c, uj, vj, bj = (jnp.asarray(w) for w in (center, u, v, b))

    def run():
        out = np.empty((a.size, b.size))
        for i, ai in enumerate(a):
            out[i] = np.asarray(row_losses(c + ai * uj + bj[:, None] * vj))
        return out

    return run


VARIANTS = ["fastnn-numba", "fastnn-numba-float32", "torch-per-point", "torch-row", "jax-vmap"]


def _params():
    for name in WORKLOADS:
        for variant in VARIANTS:
            cheap = name.startswith("lecture") and variant.startswith("fastnn")
            marks = () if cheap else (SLOW,)
            yield pytest.param(name, variant, id=f"{name}-{variant}", marks=marks)


@pytest.mark.parametrize(("name", "variant"), list(_params()))
def test_network_surface(benchmark, name, variant):
    problem = _problem(name)
    grid = WORKLOADS[name]["grid"]
    benchmark.group = f"network-surface-{name}-G{grid}"
    expected = _fastnn(problem, "float64")()
    rtol = 1e-10
    if variant == "fastnn-numba":
        run = _fastnn(problem, "float64")
    elif variant == "fastnn-numba-float32":
        run, rtol = _fastnn(problem, "float32"), 1e-4
    elif variant == "jax-vmap":
        run = _jax(problem)
    else:
        run = _torch(problem, batched=variant == "torch-row")
    got = run()
    np.testing.assert_allclose(got, expected, rtol=rtol)
    benchmark.extra_info["grid_points"] = grid * grid
    benchmark.extra_info["samples"] = problem[0].shape[0]
    benchmark.pedantic(run, rounds=1 if name.startswith("mnist") else 3)
