"""Exact Hessian-vector products: fastnn's R-operator kernel, its numpy twin, PyTorch.

MNIST-sized network (784-128-10 ReLU, softmax cross-entropy, N = 10,000 float64 samples
of random pixels).  PyTorch computes the same product by double backward
(``autograd.grad`` of the gradient, ``create_graph=True``); every variant is checked
against fastnn's numpy twin before it is timed.  ``scripts/hessian_vs_torch.py`` times
the top-2 eigenpairs and the lecture network's convexity map too.
"""

import numpy as np
import pytest

from fastnn import kernels, reference
from fastnn._codes import RELU, SOFTMAX_LOG_LOSS
from fastnn.layout import MLPLayout

from .conftest import check_then_time

SIZES = (784, 128, 10)


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    layout = MLPLayout(SIZES)
    n = 10_000
    X = rng.random((n, 784))
    labels = rng.integers(0, 10, n)
    theta = layout.initial_theta(rng)
    v = rng.normal(size=(1, layout.n_params))
    return layout, X, labels, theta, v


def _fastnn(impl, layout, X, labels, theta, v, cache=None, cached=False):
    cache = np.empty((0, 0)) if cache is None else cache
    Y = np.eye(10)[labels]
    out = np.empty_like(v)
    relu = np.array([[RELU, 0.0]])
    impl.mlp_hvp(X, Y, theta, layout.sizes, relu, SOFTMAX_LOG_LOSS, 0.0, v, out, cache, cached)
    return out[0]


def _torch_hvp(layout, X, labels, theta, v):
    import torch

    def tensors(w):
        return [
            torch.tensor(layout.coefs(w)[0].T.copy()),
            torch.tensor(layout.intercepts(w)[0].copy()),
            torch.tensor(layout.coefs(w)[1].T.copy()),
            torch.tensor(layout.intercepts(w)[1].copy()),
        ]

    params = [p.requires_grad_() for p in tensors(theta)]
    directions = tensors(v[0])
    Xt, yt = torch.from_numpy(X), torch.from_numpy(labels)

    def run():
        W0, b0, W1, b1 = params
        loss = torch.nn.functional.cross_entropy(torch.relu(Xt @ W0.T + b0) @ W1.T + b1, yt)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        parts = torch.autograd.grad(grads, params, grad_outputs=directions)
        out = np.empty(layout.n_params)
        layout.coefs(out)[0][...] = parts[0].numpy().T
        layout.intercepts(out)[0][...] = parts[1].numpy()
        layout.coefs(out)[1][...] = parts[2].numpy().T
        layout.intercepts(out)[1][...] = parts[3].numpy()
        return out

    return run


@pytest.mark.parametrize(
    "variant", ["fastnn-numba", "fastnn-numba-cached", "fastnn-numpy", "torch-cpu"]
)
def test_mnist_sized_hvp(benchmark, problem, variant):
    layout, X, labels, theta, v = problem
    benchmark.group = "hvp-784-128-10-N10000"
    expected = _fastnn(reference, *problem)
    if variant == "torch-cpu":
        torch = pytest.importorskip("torch")
        torch.set_num_threads(2)
        run = _torch_hvp(*problem)
    elif variant == "fastnn-numba-cached":
        cache = np.empty((3 * (sum(SIZES) - SIZES[0]), X.shape[0]))
        _fastnn(kernels, *problem, cache=cache)  # fills the cache

        def run():
            return _fastnn(kernels, *problem, cache=cache, cached=True)

    else:
        impl = kernels if variant == "fastnn-numba" else reference

        def run():
            return _fastnn(impl, *problem)

    check_then_time(benchmark, run, expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())
