"""Curvature timings: fastnn's exact HVPs and Hessian eigenpairs against PyTorch's.

An MNIST-sized network (784-128-10 ReLU, softmax cross-entropy, N = 10,000 float64
samples of random pixels, weights drawn as fastnn draws them):

* one Hessian-vector product: fastnn's R-operator kernel (a first product, and one at the
  same theta that reads the cached activations and deltas) against PyTorch's double
  backward (``autograd.grad`` of the gradient with ``create_graph=True``);
* the top-2 eigenpairs: ``fastnn.hessian_eigs(method="lanczos")`` against
  ``scipy.sparse.linalg.eigsh`` driven by PyTorch HVPs, same tolerance and starting
  vector (both are ARPACK; the difference is the products);
* the lecture network's convexity map (2-10-1, N = 2000), 51 x 51, exact extreme
  eigenvalues at every point.

Every comparison runs ``--repeats`` times; the median and the range are printed.
PyTorch's products are checked against fastnn's (1e-10) before anything is timed.

Usage: python scripts/hessian_vs_torch.py [--repeats 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import time


def _spread(times):
    import numpy as np

    t = np.sort(np.asarray(times))
    return float(np.median(t)), float(t[0]), float(t[-1])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--skip-map", action="store_true")
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    from scipy.sparse.linalg import LinearOperator, eigsh

    import fastnn
    from fastnn import lecture
    from fastnn.layout import MLPLayout

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    sizes = (784, 128, 10)
    layout = MLPLayout(sizes)
    X = rng.random((args.n, 784))
    labels = rng.integers(0, 10, args.n)
    model = fastnn.MLPClassifier((128,), "relu")
    model.classes_ = np.arange(10)
    theta = layout.initial_theta(rng)
    model._set_network(layout, theta, 2, 2)  # ReLU, softmax cross-entropy
    lm = model.loss_model(X, labels)

    Xt, yt = torch.from_numpy(X), torch.from_numpy(labels)
    params = [
        torch.tensor(layout.coefs(theta)[0].T.copy(), requires_grad=True),
        torch.tensor(layout.intercepts(theta)[0].copy(), requires_grad=True),
        torch.tensor(layout.coefs(theta)[1].T.copy(), requires_grad=True),
        torch.tensor(layout.intercepts(theta)[1].copy(), requires_grad=True),
    ]

    def split(v):
        return [
            torch.from_numpy(layout.coefs(v)[0].T.copy()),
            torch.from_numpy(layout.intercepts(v)[0].copy()),
            torch.from_numpy(layout.coefs(v)[1].T.copy()),
            torch.from_numpy(layout.intercepts(v)[1].copy()),
        ]

    def join(parts):
        out = np.empty(layout.n_params)
        layout.coefs(out)[0][...] = parts[0].numpy().T
        layout.intercepts(out)[0][...] = parts[1].numpy()
        layout.coefs(out)[1][...] = parts[2].numpy().T
        layout.intercepts(out)[1][...] = parts[3].numpy()
        return out

    def torch_hvp(v):
        W0, b0, W1, b1 = params
        loss = torch.nn.functional.cross_entropy(torch.relu(Xt @ W0.T + b0) @ W1.T + b1, yt)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        return join(torch.autograd.grad(grads, params, grad_outputs=split(v)))

    v = rng.normal(size=layout.n_params)
    ours = fastnn.hvp(lm, None, None, v)
    theirs = torch_hvp(v)
    np.testing.assert_allclose(theirs, ours, rtol=1e-10, atol=1e-12 * np.abs(ours).max())

    results = {}

    def timed(name, fn):
        fn()  # warm: compiled, caches filled
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        results[name] = _spread(times)
        median, low, high = results[name]
        print(f"{name:<44} median {median:.4g} s  (range {low:.4g} - {high:.4g})", flush=True)

    block = v[None, :]
    cache = np.empty(lm.hvp_cache_shape)
    lm.hvp(lm.theta, block, cache=cache)
    timed("fastnn HVP (first at this theta)", lambda: lm.hvp(lm.theta, block))
    timed(
        "fastnn HVP (cached forward quantities)",
        lambda: lm.hvp(lm.theta, block, False, cache, True),
    )
    timed("PyTorch HVP (double backward)", lambda: torch_hvp(v))

    # the starting vector hessian_eigs draws from random_state=1: both runs start alike
    start = np.random.default_rng(1).normal(size=layout.n_params)
    tol = 1e-6
    counted = [0]

    def counted_hvp(v):
        counted[0] += 1
        return torch_hvp(v)

    def fastnn_eigs():
        return fastnn.hessian_eigs(lm, None, None, k=2, method="lanczos", tol=tol, random_state=1)

    def torch_eigs():
        operator = LinearOperator(
            (layout.n_params, layout.n_params), matvec=counted_hvp, dtype=np.float64
        )
        return eigsh(operator, k=2, which="LA", tol=tol, v0=start)

    eigs = fastnn_eigs()
    values, _ = torch_eigs()
    np.testing.assert_allclose(np.sort(values)[::-1], eigs.values, rtol=1e-5)
    print(
        f"top-2 eigenvalues {eigs.values}: {eigs.n_hvp} HVPs (fastnn), {counted[0]} (PyTorch)",
        flush=True,
    )
    timed("fastnn top-2 eigenpairs (eigsh, cached HVPs)", fastnn_eigs)
    timed("eigsh on PyTorch HVPs", torch_eigs)

    if not args.skip_map:
        Xd, yd = lecture.network_data()
        net = lecture.network_model(max_iter=1000).fit(Xd, yd)
        timed(
            "lecture network convexity map 51 x 51",
            lambda: fastnn.curvature_surface(net, Xd, yd, resolution=51, random_state=0),
        )
    hvp_ratio = (
        results["PyTorch HVP (double backward)"][0] / results["fastnn HVP (first at this theta)"][0]
    )
    eig_ratio = (
        results["eigsh on PyTorch HVPs"][0]
        / results["fastnn top-2 eigenpairs (eigsh, cached HVPs)"][0]
    )
    print(f"median ratios: one HVP {hvp_ratio:.2f}x, top-2 eigenpairs {eig_ratio:.2f}x")
    return results


if __name__ == "__main__":
    main()
