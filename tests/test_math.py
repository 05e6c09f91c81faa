"""fastnn's vectorisable exp and log1p against numpy, in ulp, over the whole double range."""

import numba
import numpy as np
import pytest

from fastnn.kernels._math import _exp, _log1p


# Not cached: test modules are not a stable home for numba's on-disk cache.
@numba.njit(error_model="numpy")
def _exp_array(x, out):
    for i in range(x.size):
        out[i] = _exp(x[i])
    return out


# Not cached: test modules are not a stable home for numba's on-disk cache.
@numba.njit(error_model="numpy")
def _log1p_array(x, out):
    for i in range(x.size):
        out[i] = _log1p(x[i])
    return out


def _ulp_error(actual, expected):
    return np.abs(actual - expected) / np.spacing(np.abs(expected))


def test_exp_within_2_ulp_over_the_normal_range():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.uniform(-708.0, 709.7, 200_000),
            rng.uniform(-1.0, 1.0, 100_000),
            np.linspace(-0.35, 0.35, 10_001),  # the reduced interval, densely
            -(10.0 ** rng.uniform(-20, 0, 10_000)),
            10.0 ** rng.uniform(-20, 0, 10_000),
        ]
    )
    got = _exp_array(x, np.empty_like(x))
    assert _ulp_error(got, np.exp(x)).max() <= 2.0


def test_exp_subnormal_results_are_within_one_subnormal_step():
    x = np.linspace(-745.2, -708.4, 20_001)
    got = _exp_array(x, np.empty_like(x))
    smallest_subnormal = np.nextafter(0.0, 1.0)
    assert np.abs(got - np.exp(x)).max() <= smallest_subnormal


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_exp_special_values_match_numpy():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 709.78, 709.79, -745.13, -745.14, 1e4, -1e4])
    got = _exp_array(x, np.empty_like(x))
    np.testing.assert_array_equal(got, np.exp(x))


def test_log1p_within_2_ulp():
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [
            rng.uniform(0.0, 1.0, 200_000),  # the range softplus uses
            rng.uniform(-1.0, 0.0, 100_000),
            -1.0 + 10.0 ** rng.uniform(-16, -1, 10_000),
            10.0 ** rng.uniform(-300, 300, 100_000),
            -(10.0 ** rng.uniform(-300, -1, 10_000)),
        ]
    )
    got = _log1p_array(x, np.empty_like(x))
    assert _ulp_error(got, np.log1p(x)).max() <= 2.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_log1p_special_values_match_numpy():
    x = np.array([np.inf, -1.0, -1.5, -np.inf, np.nan, 0.0, 1e-320, 1.0, 1e308])
    got = _log1p_array(x, np.empty_like(x))
    np.testing.assert_array_equal(got, np.log1p(x))
