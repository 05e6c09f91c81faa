"""Shared pieces of the benchmark suite.

Every benchmark checks its variant against the numpy reference *before* timing
it: a fast wrong answer fails the benchmark instead of winning it.
"""

import numpy as np
import pytest


def check_then_time(benchmark, run, expected, rtol=1e-10, atol=0.0):
    """Run once (compiling if needed), compare with ``expected``, then time ``run``."""
    got = run()
    got, expected = (x if isinstance(x, tuple) else (x,) for x in (got, expected))
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
    benchmark(run)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def mlp_gd(impl, X, Y, sizes, theta0, lr, n_iter, activation, loss):
    """Full-batch GD of an MLP through its training kernel (the build MLPClassifier picks).

    ``activation``: one activation code for every hidden layer.  Returns the loss curve.
    """
    from fastnn._builds import mlp_threaded, training_loop
    from fastnn._codes import MOMENTUM
    from fastnn._training import mlp_settings, mlp_state

    theta = theta0.copy()
    curve = np.empty(n_iter)
    train = training_loop(impl, "mlp_train", mlp_threaded(sizes, X.shape[0]))
    train(
        X,
        Y,
        theta,
        sizes,
        np.array([[activation, 0.0]] * (len(sizes) - 2)).reshape(-1, 2),
        loss,
        mlp_settings(optimizer=MOMENTUM, lr=lr, batch_size=X.shape[0]),
        np.empty((0, X.shape[0]), dtype=np.int64),
        mlp_state(theta),
        curve,
        np.empty((0, theta.size)),
        1,
    )
    return curve
