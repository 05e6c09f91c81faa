import os

# The GPU kernels' tests (tests/test_cuda.py) run on numba-cuda's simulator unless the
# environment says otherwise (NUMBA_ENABLE_CUDASIM=0 on a machine with an NVIDIA GPU).
# pytest's warning filters import fastnn, and with it numba, before this file: numba read
# its environment then, so it reads it again (numba.cuda itself is not imported yet).
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numba.core.config

numba.core.config.reload_config()

import numpy as np
import pytest

SEEDS = [0, 1, 2]
# (n_samples, n_features): a single sample, a single feature, ordinary sizes and one that
# spans several of the kernels' 512-row blocks with a partial last one.
SHAPES = [(1, 1), (1, 3), (7, 1), (50, 2), (257, 5), (1100, 2)]


@pytest.fixture(params=SEEDS)
def rng(request):
    return np.random.default_rng(request.param)


def assert_close(actual, expected, rtol=1e-12, atol=0.0, err_msg=""):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=err_msg)


def table(activation, sizes):
    """The activation table of a network of ``sizes`` (a name, pair or per-layer sequence)."""
    from fastnn._activations import activation_table

    if isinstance(activation, np.ndarray):  # already a table
        return activation
    return activation_table(activation, len(sizes) - 2)
