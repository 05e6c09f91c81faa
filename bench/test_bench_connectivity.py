"""Connectivity: training a curve's bend (Garipov et al.) against PyTorch; weight matching.

Curve training: the same procedure in every variant -- the same two end networks, the
bend starting at their midpoint, the same sample orders and the same ``t`` for every
minibatch, SGD with momentum 0.9 -- on the lecture network (2-10-1 sigmoid, N = 2000) and
an MNIST-shaped one (784-128-10 ReLU, softmax, N = 10,000 random pixels).  PyTorch runs
Garipov's procedure as ``dnn-mode-connectivity`` does (the bend an ``nn.Parameter``, each
batch's weights formed from the three control points, ``backward``, ``optim.SGD``), in
float64 with the same thread count; every variant's bend is checked against fastnn's numpy
twin before it is timed.

Weight matching: two random 784-512-512-10 networks, :func:`fastnn.align` end to end.
"""

import time

import numpy as np
import pytest

from fastnn import kernels, reference
from fastnn._codes import BEZIER, LOG_LOSS, MOMENTUM, RELU, SIGMOID, SOFTMAX_LOG_LOSS
from fastnn._training import mlp_settings, mlp_state
from fastnn.layout import MLPLayout
from fastnn.optim import sample_orders

from .conftest import check_then_time

PROBLEMS = {
    # name: sizes, activation, loss, samples, epochs, batch size, learning rate
    "lecture-2-10-1-N2000": ((2, 10, 1), SIGMOID, LOG_LOSS, 2000, 20, 32, 0.05),
    "mnist-784-128-10-N10000": ((784, 128, 10), RELU, SOFTMAX_LOG_LOSS, 10_000, 2, 128, 0.01),
}


def _problem(name):
    sizes, activation, loss, n, epochs, batch, lr = PROBLEMS[name]
    rng = np.random.default_rng(0)
    layout = MLPLayout(sizes)
    if sizes[0] == 2:
        X = rng.normal(size=(n, 2)) * 3
        Y = (np.hypot(X[:, 0], X[:, 1]) > 3).astype(float)[:, None]
    else:
        X = rng.random((n, sizes[0]))
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    theta_a, theta_b = (layout.initial_theta(rng) for _ in range(2))
    order = sample_orders(rng, n, epochs)
    ts = rng.random((epochs, -(-n // batch)))
    table = np.array([[activation, 0.0]])
    settings = mlp_settings(optimizer=MOMENTUM, lr=lr, batch_size=batch, momentum=0.9)
    return layout, X, Y, theta_a, theta_b, table, loss, settings, order, ts, epochs


def _fastnn(impl, layout, X, Y, theta_a, theta_b, table, loss, settings, order, ts, epochs):
    def run():
        bend = 0.5 * (theta_a + theta_b)
        impl.curve_train(X, Y, theta_a, bend, theta_b, layout.sizes, table, loss, BEZIER,
                         settings, order, ts, mlp_state(bend), np.empty(epochs))  # fmt: skip
        return bend

    return run


def _torch(layout, X, Y, theta_a, theta_b, table, loss, settings, order, ts, epochs):
    import torch

    def tensors(theta):
        parts = []
        for W, b in zip(layout.coefs(theta), layout.intercepts(theta), strict=True):
            parts += [torch.tensor(W.T.copy()), torch.tensor(b.copy())]
        return parts

    ends_a, ends_b = tensors(theta_a), tensors(theta_b)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    targets = Yt.argmax(1) if loss == SOFTMAX_LOG_LOSS else Yt
    act = torch.relu if table[0, 0] == RELU else torch.sigmoid
    batch = int(settings[6])

    def run():
        bend = [torch.nn.Parameter(0.5 * (a + b)) for a, b in zip(ends_a, ends_b, strict=True)]
        optimizer = torch.optim.SGD(bend, lr=float(settings[1]), momentum=0.9)
        for epoch in range(epochs):
            for k, lo in enumerate(range(0, X.shape[0], batch)):
                rows = torch.from_numpy(order[epoch, lo : lo + batch])
                t = float(ts[epoch, k])
                wa, wm, wb = (1 - t) * (1 - t), 2 * t * (1 - t), t * t
                controls = zip(ends_a, bend, ends_b, strict=True)
                W0, b0, W1, b1 = (wa * a + wm * m + wb * b for a, m, b in controls)
                logits = act(Xt[rows] @ W0.T + b0) @ W1.T + b1
                if loss == SOFTMAX_LOG_LOSS:
                    value = torch.nn.functional.cross_entropy(logits, targets[rows])
                else:
                    value = torch.nn.functional.binary_cross_entropy_with_logits(
                        logits, targets[rows]
                    )
                optimizer.zero_grad()
                value.backward()
                optimizer.step()
        out = np.empty(layout.n_params)
        for l, (W, b) in enumerate(zip(layout.coefs(out), layout.intercepts(out), strict=True)):
            W[...] = bend[2 * l].detach().numpy().T
            b[...] = bend[2 * l + 1].detach().numpy()
        return out

    return run


@pytest.mark.parametrize("variant", ["fastnn-numba", "fastnn-numpy", "torch-cpu"])
@pytest.mark.parametrize(
    "name",
    ["lecture-2-10-1-N2000", pytest.param("mnist-784-128-10-N10000", marks=pytest.mark.slow)],
)
def test_curve_training(benchmark, name, variant):
    problem = _problem(name)
    benchmark.group = f"curve-bezier-{name}"
    expected = _fastnn(reference, *problem)()
    if variant == "torch-cpu":
        torch = pytest.importorskip("torch")
        torch.set_num_threads(2)
        run = _torch(*problem)
    else:
        run = _fastnn(kernels if variant == "fastnn-numba" else reference, *problem)
    benchmark.extra_info["epochs"] = problem[-1]
    check_then_time(benchmark, run, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("variant", ["fastnn-numba"])  # scipy's solver under fastnn's loop
@pytest.mark.parametrize(
    "sizes", [(20, 16, 16, 4), pytest.param((784, 512, 512, 10), marks=pytest.mark.slow)]
)
def test_weight_matching(benchmark, sizes, variant):
    """``align`` end to end; the time inside scipy's assignment solver is recorded too."""
    import scipy.optimize

    import fastnn
    from fastnn.connectivity import _align

    rng = np.random.default_rng(0)
    layout = MLPLayout(sizes)
    X = rng.normal(size=(4, sizes[0]))
    models = []
    for _ in range(2):
        model = fastnn.MLPClassifier(sizes[1:-1], max_iter=1, random_state=0)
        model._set_network(layout, layout.initial_theta(rng), np.array([[RELU, 0.0]] * 2),
                           SOFTMAX_LOG_LOSS)  # fmt: skip
        model.classes_ = np.arange(sizes[-1])
        model.n_features_in_ = X.shape[1]
        models.append(model)
    benchmark.group = f"weight-matching-{'-'.join(map(str, sizes))}"
    solver_time = []
    solve = scipy.optimize.linear_sum_assignment

    def timed(*args, **kwargs):
        start = time.perf_counter()
        result = solve(*args, **kwargs)
        solver_time.append(time.perf_counter() - start)
        return result

    original = _align._solver
    _align._solver = lambda: timed
    try:
        aligned, alignment = fastnn.align(*models, return_alignment=True)
        np.testing.assert_allclose(aligned.predict_proba(X), models[1].predict_proba(X),
                                   rtol=1e-12)  # fmt: skip
        solver_time.clear()
        start = time.perf_counter()
        benchmark.pedantic(lambda: fastnn.align(*models), rounds=3, iterations=1)
        total = time.perf_counter() - start
    finally:
        _align._solver = original
    benchmark.extra_info["sweeps"] = alignment.sweeps
    benchmark.extra_info["solver_share"] = sum(solver_time) / total
