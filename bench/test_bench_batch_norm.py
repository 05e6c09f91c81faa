"""Planes through BatchNorm parameters (``from_torch(..., batch_norm="parameters")``).

A torch module ``d -> h (BatchNorm1d) -> ReLU -> k``, evaluated (running statistics from a
few training batches), softmax cross-entropy; one plane per workload, the same for every
variant:
- ``gamma-moves``: random directions through every parameter, ``gamma`` included
  (fastnn's shared-products path: ``plane_layer`` per point, ``mlp_logits`` after it);
- ``gamma-fixed``: the same directions with gamma's and beta's entries zeroed (Li et al.'s
  ``--xignore biasbn``): the folded network's plane, fastnn's network plane kernel.
Variants: ``fastnn-numba``; ``fastnn-numpy`` (the numpy twins on the same path);
``torch-per-point`` (the module's parameters set to each point, one forward pass: what a
user of torch writes).  Each is checked against fastnn-numba's values before it is timed.
The MNIST-sized workload is marked ``slow``.
"""

import numpy as np
import pytest

import fastnn

SLOW = pytest.mark.slow

WORKLOADS = {
    "mnist-784-128bn-10": dict(d=784, h=128, k=10, n=10_000, grid=21),
    "small-32-64bn-4": dict(d=32, h=64, k=4, n=2000, grid=11),
}


def _problem(name):
    torch = pytest.importorskip("torch")
    spec = WORKLOADS[name]
    torch.manual_seed(0)
    nn = torch.nn
    net = nn.Sequential(
        nn.Linear(spec["d"], spec["h"]), nn.BatchNorm1d(spec["h"]), nn.ReLU(),
        nn.Linear(spec["h"], spec["k"]),
    ).double()  # fmt: skip
    with torch.no_grad():
        for _ in range(3):
            net(torch.rand(256, spec["d"], dtype=torch.float64))
    net.eval()
    rng = np.random.default_rng(0)
    X = rng.random((spec["n"], spec["d"]))
    y = rng.integers(0, spec["k"], spec["n"]) * 1.0
    model = fastnn.from_torch(net, "cross_entropy", batch_norm="parameters")
    return torch, net, X, y, model


def _directions(model, kind):
    u, v = np.random.default_rng(1).standard_normal((2, model.theta_.size))
    u *= 0.5 * np.linalg.norm(model.theta_) / np.linalg.norm(u)
    v *= 0.5 * np.linalg.norm(model.theta_) / np.linalg.norm(v)
    fixed = np.zeros(model.theta_.size, bool)  # the biases the module lacks: none here
    if kind == "gamma-fixed":
        for norm in model.layout_.norms(fixed):
            if norm is not None:
                norm[0][...] = norm[1][...] = True
    u[fixed], v[fixed] = 0.0, 0.0
    return u, v


def _fastnn(X, y, model, u, v, grid, backend):
    def run():
        surface = fastnn.loss_surface(
            model, X, y, directions=(u, v), span=1.0, resolution=grid, backend=backend,
            progress=False,
        )  # fmt: skip
        return surface.values

    return run


def _torch(torch, net, X, y, model, u, v, grid):
    a = b = np.linspace(-1.0, 1.0, grid)
    vectors = [fastnn.to_torch(w, net, vector=True) for w in (model.theta_, u, v)]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))

    def run():
        out = np.empty((grid, grid))
        with torch.no_grad():
            for i in range(grid):
                for j in range(grid):
                    point = vectors[0] + a[i] * vectors[1] + b[j] * vectors[2]
                    torch.nn.utils.vector_to_parameters(point, net.parameters())
                    out[i, j] = torch.nn.functional.cross_entropy(net(Xt), yt).item()
            torch.nn.utils.vector_to_parameters(vectors[0], net.parameters())
        return out

    return run


VARIANTS = ["fastnn-numba", "fastnn-numpy", "torch-per-point"]


def _params():
    for name in WORKLOADS:
        for plane in ("gamma-moves", "gamma-fixed"):
            for variant in VARIANTS:
                marks = (SLOW,) if name.startswith("mnist") or variant != "fastnn-numba" else ()
                yield pytest.param(name, plane, variant, id=f"{name}-{plane}-{variant}",
                                   marks=marks)  # fmt: skip


@pytest.mark.parametrize(("name", "plane", "variant"), list(_params()))
def test_batch_norm_plane(benchmark, name, plane, variant):
    torch, net, X, y, model = _problem(name)
    grid = WORKLOADS[name]["grid"]
    u, v = _directions(model, plane)
    benchmark.group = f"batch-norm-{name}-{plane}-G{grid}"
    expected = _fastnn(X, y, model, u, v, grid, "numba")()
    if variant == "torch-per-point":
        run = _torch(torch, net, X, y, model, u, v, grid)
    else:
        run = _fastnn(X, y, model, u, v, grid, variant.removeprefix("fastnn-"))
    np.testing.assert_allclose(run(), expected, rtol=1e-10)
    benchmark.extra_info["grid_points"] = grid * grid
    benchmark.extra_info["samples"] = X.shape[0]
    benchmark.pedantic(run, rounds=1 if name.startswith("mnist") else 3)
