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
