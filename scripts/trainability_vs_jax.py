"""A trainability map timed against JAX jit+vmap over grid points (the paper's setting).

Sohl-Dickstein (2024) trains a one-hidden-layer tanh network (16 inputs, 16 hidden units,
one output, no biases, mean-field scales), 16 examples, 500 full-batch GD steps, at every
point of a grid of the two layers' learning rates.  Here the same sizes and steps with
fastnn's parameterisation (biases included, N(0, 1) initial weights): fastnn's
``trainability`` against a JAX program written as such a map is usually written -- one
training run under ``jit(vmap(...))`` over the grid points of a row, ``lax.fori_loop``
over the steps, float64 -- checked against fastnn's final losses on the stable points
first.  JAX cannot stop a run at divergence inside vmap, so it runs every step.

fastnn stops a run where it diverges (a group of 64 runs, where all of its runs have);
``--high 0.1`` keeps every run below divergence, so that nothing stops early.

JAX runs that program on one core; fastnn uses every core numba has.  So JAX is timed twice:
as written (a row per call, one after another) and with as many rows in flight as fastnn
has threads (one Python thread per row; a jitted call releases the GIL): the second is the
comparison at equal cores.

Usage: python scripts/trainability_vs_jax.py [--resolution 64] [--repeats 3] [--high 10]
"""

from __future__ import annotations

import argparse
import time


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument(
        "--high", type=float, default=10.0,
        help="upper end of both rate axes (0.1: no run diverges, none stops early)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    import numpy as np

    import fastnn

    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 16))
    y = rng.normal(size=16)
    estimator = fastnn.MLPRegressor(
        (16,), "tanh", solver="gd", max_iter=args.steps, tol=None, random_state=0, init="normal"
    )
    box = ((1e-3, args.high), (1e-3, args.high))
    g = args.resolution
    results = {}

    def timed(name, fn):
        fn()
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - start)
        t = np.sort(times)
        results[name] = (float(np.median(t)), float(t[0]), float(t[-1]))
        print(
            f"{name:<36} median {np.median(t):.3f} s (range {t[0]:.3f}-{t[-1]:.3f}), "
            f"{np.median(t) / g**2 * 1e3:.3f} ms per point",
            flush=True,
        )
        return out

    tmap = timed("fastnn trainability", lambda: fastnn.trainability(
        estimator, X, y, ranges=box, resolution=g, progress=False))  # fmt: skip

    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    layout = fastnn.MLPLayout((16, 16, 1))
    theta0 = layout.initial_theta(np.random.default_rng(0), "normal")
    W0, W1 = (jnp.asarray(w) for w in layout.coefs(theta0))
    b0, b1 = (jnp.asarray(b) for b in layout.intercepts(theta0))
    Xj, yj = jnp.asarray(X), jnp.asarray(y)[:, None]

    def loss_fn(params):
        W0, b0, W1, b1 = params
        return jnp.mean((jnp.tanh(Xj @ W0 + b0) @ W1 + b1 - yj) ** 2)

    grad_fn = jax.value_and_grad(loss_fn)

    def train(lr0, lr1):
        def step(_, params):
            _, (g0, gb0, g1, gb1) = grad_fn(params)
            W0, b0, W1, b1 = params
            return (W0 - lr0 * g0, b0 - lr0 * gb0, W1 - lr1 * g1, b1 - lr1 * gb1)

        final = jax.lax.fori_loop(0, args.steps, step, (W0, b0, W1, b1))
        return loss_fn(final)

    row = jax.jit(jax.vmap(train, in_axes=(None, 0)))
    a, b = jnp.asarray(tmap.a), jnp.asarray(tmap.b)

    def jax_map():
        return np.stack([np.asarray(row(a[i], b)) for i in range(g)])

    losses = timed("JAX jit+vmap (a grid row per call)", jax_map)

    import concurrent.futures

    import numba

    threads = numba.get_num_threads()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:

        def jax_map_threads():
            return np.stack(list(pool.map(lambda i: np.asarray(row(a[i], b)), range(g))))

        same_cores = f"JAX, {threads} rows in flight"
        np.testing.assert_array_equal(timed(same_cores, jax_map_threads), losses)
    # Far from the edge of stability both compute the same runs; near it, training
    # amplifies rounding differences without bound (chaos), so only a share agrees there.
    # (at a first-layer rate of 0.1 the runs already oscillate: fastnn's own numba and
    # numpy fits differ by 0.7% there)
    calm = np.outer(tmap.a <= 0.05, tmap.b <= 0.05)
    np.testing.assert_allclose(losses[calm], tmap.values[calm], rtol=1e-8, atol=1e-14)
    stable = ~tmap.diverged & np.isfinite(losses)
    close = np.isclose(losses[stable], tmap.values[stable], rtol=1e-6, atol=1e-12)
    ratio = results["JAX jit+vmap (a grid row per call)"][0] / results["fastnn trainability"][0]
    equal = results[same_cores][0] / results["fastnn trainability"][0]
    print(
        f"{calm.sum()} points with both rates <= 0.05 agree to 1e-8; {100 * close.mean():.1f}% "
        f"of the {stable.sum()} stable points to 1e-6; JAX time / fastnn time: {ratio:.2f}x "
        f"(JAX as written, one core), {equal:.2f}x (both on {threads} cores)"
    )

    return results


if __name__ == "__main__":
    main()
