"""Trainability maps: fastnn against the numpy twin and a JAX jit+vmap program, one run.

The paper-sized problem of issue 16 (16-16-1 tanh with biases, N(0, 1) weights, 16
examples, 500 full-batch GD steps), the two layers' learning rates on a 16 x 16 grid over
[1e-3, 10]^2, where about a third of the runs diverge.  JAX trains one run per grid point
under ``jit(vmap(...))`` over a grid row with ``lax.fori_loop`` (it cannot stop a run
inside vmap).  JAX runs that program on one core, fastnn on every thread numba has:
``jax-rows-in-flight`` gives JAX the same cores (as many grid rows in flight as fastnn has
threads, one Python thread each; a jitted call releases the GIL).  Every variant is first
checked against the twin on the runs with both rates
<= 0.05 (further out, training is chaotic and amplifies rounding differences without
bound); the twin is timed on a 4 x 4 corner of the grid (its time per point is what
compares).  ``scripts/trainability_vs_jax.py`` measures the same at 64 x 64.
"""

import concurrent.futures

import numba
import numpy as np
import pytest

import fastnn

STEPS = 500
GRID = 16


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 16)), rng.normal(size=16)
    estimator = fastnn.MLPRegressor(
        (16,), "tanh", solver="gd", max_iter=STEPS, tol=None, random_state=0, init="normal"
    )
    tmap = fastnn.trainability(estimator, X, y, ranges=((1e-3, 10.0), (1e-3, 10.0)),
                               resolution=GRID, progress=False)  # fmt: skip
    calm_a, calm_b = np.flatnonzero(tmap.a <= 0.05), np.flatnonzero(tmap.b <= 0.05)
    return X, y, estimator, tmap, calm_a, calm_b


def _twin(problem, rows, cols):
    """The numpy twin's final losses on grid points (rows x cols), through the same path."""
    X, y, estimator, tmap, _, _ = problem
    twin = fastnn.MLPRegressor(**{**estimator.get_params(), "backend": "numpy"})
    ranges = ((tmap.a[rows[0]], tmap.a[rows[-1]]), (tmap.b[cols[0]], tmap.b[cols[-1]]))
    return fastnn.trainability(twin, X, y, ranges=ranges, resolution=(len(rows), len(cols)),
                               progress=False)  # fmt: skip


def _jax_map(problem, threads=1):
    """JAX's map, one grid row per jitted call, ``threads`` rows in flight."""
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    X, y, _, tmap, _, _ = problem
    layout = fastnn.MLPLayout((16, 16, 1))
    theta0 = layout.initial_theta(np.random.default_rng(0), "normal")
    params0 = tuple(jnp.asarray(p) for p in (*layout.coefs(theta0), *layout.intercepts(theta0)))
    Xj, yj = jnp.asarray(X), jnp.asarray(y)[:, None]

    def loss_fn(params):
        W0, W1, b0, b1 = params
        return jnp.mean((jnp.tanh(Xj @ W0 + b0) @ W1 + b1 - yj) ** 2)

    grad_fn = jax.grad(loss_fn)

    def train(lr0, lr1):
        def step(_, params):
            g0, g1, gb0, gb1 = grad_fn(params)
            W0, W1, b0, b1 = params
            return (W0 - lr0 * g0, W1 - lr1 * g1, b0 - lr0 * gb0, b1 - lr1 * gb1)

        return loss_fn(jax.lax.fori_loop(0, STEPS, step, params0))

    row = jax.jit(jax.vmap(train, in_axes=(None, 0)))
    a, b = jnp.asarray(tmap.a), jnp.asarray(tmap.b)
    if threads == 1:
        return lambda: np.stack([np.asarray(row(a[i], b)) for i in range(GRID)])

    def in_flight():
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            return np.stack(list(pool.map(lambda i: np.asarray(row(a[i], b)), range(GRID))))

    return in_flight


@pytest.mark.parametrize("variant", ["fastnn-numba", "jax", "jax-rows-in-flight", "numpy-twin-4x4"])
def test_trainability_map(benchmark, problem, variant):
    X, y, estimator, tmap, calm_a, calm_b = problem
    benchmark.group = f"trainability-16-16-1-tanh-{STEPS}-steps"
    corner = np.arange(4)
    if variant == "numpy-twin-4x4":
        twin = _twin(problem, corner, corner)
        np.testing.assert_allclose(twin.values, tmap.values[:4, :4], rtol=1e-8)
        benchmark.extra_info["points"] = 16
        benchmark.pedantic(lambda: _twin(problem, corner, corner), rounds=1, iterations=1)
        return
    expected = _twin(problem, calm_a, calm_b).values
    if variant == "jax":
        run = _jax_map(problem)
    elif variant == "jax-rows-in-flight":
        run = _jax_map(problem, threads=numba.get_num_threads())
        benchmark.extra_info["threads"] = numba.get_num_threads()
    else:
        ranges = ((tmap.a[0], tmap.a[-1]), (tmap.b[0], tmap.b[-1]))

        def run():
            return fastnn.trainability(estimator, X, y, ranges=ranges, resolution=GRID,
                                       progress=False).values  # fmt: skip

    values = run()
    np.testing.assert_allclose(values[np.ix_(calm_a, calm_b)], expected, rtol=1e-8, atol=1e-14)
    benchmark.extra_info["points"] = GRID * GRID
    benchmark.pedantic(run, rounds=3, iterations=1)
