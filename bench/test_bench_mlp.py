"""MLP training: fastnn-numba vs the numpy reference (and PyTorch CPU when installed).

Workloads (issue "Multilayer perceptrons"):
- the lecture's network: 2 inputs, 10 sigmoid hidden units, 1 sigmoid output, N = 2000 donut
  samples, 1000 full-batch gradient-descent iterations;
- a large batch: N = 100,000, 2 inputs, 256 sigmoid hidden units, full batch (10 iterations);
- wide layers: 64 inputs, 256-256 sigmoid hidden units, N = 20,000, full batch (5 iterations).
Every variant's loss curve is checked against the reference before it is timed.
"""

import numpy as np
import pytest

from fastnn import kernels, lecture, reference
from fastnn._codes import LOG_LOSS, SIGMOID
from fastnn.layout import MLPLayout

from .conftest import check_then_time, mlp_gd

WORKLOADS = {
    "lecture": dict(n=2000, n_in=2, hidden=(10,), n_iter=1000, lr=1.0),
    "n100k-h256": dict(n=100_000, n_in=2, hidden=(256,), n_iter=10, lr=1.0),
    "wide-64-256-256": dict(n=20_000, n_in=64, hidden=(256, 256), n_iter=5, lr=0.1),
}


def _problem(name):
    spec = WORKLOADS[name]
    rng = np.random.default_rng(0)
    if name == "lecture":
        X, y = lecture.network_data()
    else:
        X = rng.normal(size=(spec["n"], spec["n_in"]))
        y = (np.sum(X[:, :2] ** 2, axis=1) > 2.0).astype(float)
    layout = MLPLayout((spec["n_in"], *spec["hidden"], 1))
    theta0 = layout.initial_theta(rng, "normal" if name == "lecture" else "xavier")
    return X, y[:, None], layout, theta0, spec


def _fastnn_train(impl, X, Y, layout, theta0, spec):
    return mlp_gd(impl, X, Y, layout.sizes, theta0, spec["lr"], spec["n_iter"], SIGMOID, LOG_LOSS)


def _torch_train(X, Y, layout, theta0, spec):
    """Manual full-batch GD in PyTorch (float64, CPU), the same network and loss."""
    import torch

    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    params = [
        torch.from_numpy(w.copy()).requires_grad_()
        for w in layout.coefs(theta0) + layout.intercepts(theta0)
    ]
    n_layers = layout.n_layers
    weights, biases = params[:n_layers], params[n_layers:]
    curve = np.empty(spec["n_iter"])
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for t in range(spec["n_iter"]):
        h = Xt
        for layer in range(n_layers):
            h = h @ weights[layer] + biases[layer]
            if layer < n_layers - 1:
                h = torch.sigmoid(h)
        loss = loss_fn(h, Yt)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= spec["lr"] * p.grad
        curve[t] = loss.item()
    return curve


VARIANTS = ["fastnn-numba", "fastnn-numpy", "torch-cpu"]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_mlp_full_batch_training(benchmark, variant, workload):
    X, Y, layout, theta0, spec = _problem(workload)
    benchmark.group = f"mlp-train-{workload}"
    benchmark.extra_info.update(
        n_samples=X.shape[0], sizes=layout.sizes.tolist(), n_iter=spec["n_iter"]
    )
    expected = _fastnn_train(reference, X, Y, layout, theta0, spec)
    if variant == "torch-cpu":
        pytest.importorskip("torch")
        run = lambda: _torch_train(X, Y, layout, theta0, spec)  # noqa: E731
    else:
        impl = kernels if variant == "fastnn-numba" else reference
        run = lambda: _fastnn_train(impl, X, Y, layout, theta0, spec)  # noqa: E731
    # Rounding differences grow over 1000 iterations of a non-convex problem: 1e-7 there.
    check_then_time(benchmark, run, expected, rtol=1e-7 if workload == "lecture" else 1e-9)
