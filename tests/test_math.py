"""fastnn's vectorisable exp and log1p against numpy, in ulp, over the whole double range."""

import numba
import numpy as np
import pytest

from fastnn.kernels._math import (
    _erfc,
    _exp,
    _exp_nonpositive_f32,
    _exp_normal_range,
    _exp_term,
    _expm1_nonpositive,
    _log1p,
    _log1p_unit,
    _tanh,
)


def _elementwise(scalar):
    # Not cached: test modules are not a stable home for numba's on-disk cache.
    @numba.njit(error_model="numpy")
    def apply(x, out):
        for i in range(x.size):
            out[i] = scalar(x[i])
        return out

    return apply


_exp_array = _elementwise(_exp)
_log1p_array = _elementwise(_log1p)
_exp_normal_range_array = _elementwise(_exp_normal_range)
_log1p_unit_array = _elementwise(_log1p_unit)
_exp_f32_array = _elementwise(_exp_nonpositive_f32)
_exp_term_array = _elementwise(_exp_term)
_expm1_array = _elementwise(_expm1_nonpositive)
_tanh_array = _elementwise(_tanh)
_erfc_array = _elementwise(_erfc)


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


def test_exp_normal_range_within_2_ulp_and_flushes_below_the_normal_range():
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [
            rng.uniform(-708.0, 709.7, 200_000),
            np.linspace(-0.35, 0.35, 10_001),
            -(10.0 ** rng.uniform(-20, 0, 10_000)),
        ]
    )
    got = _exp_normal_range_array(x, np.empty_like(x))
    assert _ulp_error(got, np.exp(x)).max() <= 2.0
    below = np.array([-708.01, -720.0, -745.5, -1e4, -np.inf])
    np.testing.assert_array_equal(_exp_normal_range_array(below, np.empty(5)), 0.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_exp_normal_range_special_values():
    x = np.array([np.inf, np.nan, 0.0, 709.78, 709.79, 1e4])
    got = _exp_normal_range_array(x, np.empty_like(x))
    np.testing.assert_array_equal(got, np.exp(x))


def test_log1p_unit_within_1_ulp_on_the_unit_interval():
    rng = np.random.default_rng(3)
    e = np.concatenate(
        [
            rng.uniform(0.0, 1.0, 300_000),
            10.0 ** rng.uniform(-300, 0, 20_000),
            np.array([0.0, 1.0, np.nextafter(1.0, 0.0), 5e-324]),
        ]
    )
    got = _log1p_unit_array(e, np.empty_like(e))
    assert _ulp_error(got[e > 0], np.log1p(e[e > 0])).max() <= 1.0
    assert got[e == 0.0].tolist() == [0.0]


def test_float32_exp_within_2_ulp_of_float32_on_its_domain():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            np.linspace(-87.0, 0.0, 1_000_001),
            -(10.0 ** rng.uniform(-30, np.log10(87.0), 100_000)),
            np.linspace(-0.35, 0.0, 10_001),
        ]
    ).astype(np.float32)
    got = _exp_f32_array(x, np.empty_like(x))
    assert got.dtype == np.float32
    expected = np.exp(x.astype(np.float64))
    ulp = np.spacing(expected.astype(np.float32)).astype(np.float64)
    assert (np.abs(got - expected) / ulp).max() <= 2.0


def test_float32_exp_flushes_below_the_normal_range_and_keeps_nan():
    x = np.array([np.nan, -np.inf, -87.5, -1e4, 0.0, -0.0], np.float32)
    got = _exp_f32_array(x, np.empty_like(x))
    np.testing.assert_array_equal(got, [np.nan, 0.0, 0.0, 0.0, 1.0, 1.0])


def test_exp_term_keeps_the_precision_of_its_argument():
    x = np.linspace(-50.0, 0.0, 1001)
    np.testing.assert_array_equal(
        _exp_term_array(x, np.empty_like(x)), _exp_normal_range_array(x, np.empty_like(x))
    )
    x32 = x.astype(np.float32)
    np.testing.assert_array_equal(
        _exp_term_array(x32, np.empty_like(x32)), _exp_f32_array(x32, np.empty_like(x32))
    )


def test_expm1_of_nonpositive_arguments_within_1_ulp():
    rng = np.random.default_rng(7)
    y = -np.concatenate([10.0 ** rng.uniform(-300, 3, 200_000), rng.uniform(0, 1, 100_000)])
    y = np.r_[y, 0.0, -5e-324, -40.0, -745.0, -np.inf]
    out = _expm1_array(y, np.empty_like(y))
    assert _ulp_error(out, np.expm1(y)).max() <= 1.0
    assert np.isnan(_expm1_array(np.array([np.nan]), np.empty(1))[0])


def test_tanh_within_3_ulp_of_numpy_everywhere():
    """numpy's tanh is within 1 ulp itself; 0 and -0, inf and NaN map as numpy's."""
    rng = np.random.default_rng(8)
    x = np.concatenate([
        rng.uniform(-1e-8, 1e-8, 50_000), rng.uniform(-0.6, 0.6, 100_000),
        rng.uniform(-25.0, 25.0, 100_000),
        10.0 ** rng.uniform(-300, 2, 100_000) * rng.choice([-1.0, 1.0], 100_000),
    ])  # fmt: skip
    out = _tanh_array(x, np.empty_like(x))
    assert _ulp_error(out, np.tanh(x)).max() <= 3.0
    special = np.array([0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, 19.1, -1e300])
    out = _tanh_array(special, np.empty(8))
    np.testing.assert_array_equal(out, np.tanh(special))
    np.testing.assert_array_equal(np.signbit(out), np.signbit(np.tanh(special)))
    assert np.isnan(_tanh_array(np.array([np.nan, -np.nan]), np.empty(2))).all()


def test_erfc_against_scipy_over_its_whole_range():
    from scipy.special import erfc

    rng = np.random.default_rng(3)
    x = np.concatenate(
        [
            rng.uniform(-30.0, 30.0, 200_000),
            rng.normal(size=100_000),
            10.0 ** rng.uniform(-300, 1.43, 10_000),
            -(10.0 ** rng.uniform(-300, 1.43, 10_000)),
        ]
    )
    got, expected = _erfc_array(x, np.empty_like(x)), erfc(x)
    middle = np.abs(x) <= 5.0  # where erfc is above 1e-12: GELU's working range
    relative = np.abs(got / np.where(expected > 0, expected, 1.0) - 1.0)
    assert relative[middle].max() <= 4e-15
    tail = (x > 5.0) & (expected > 0)
    assert relative[tail].max() <= 1e-13  # exp(-x^2) erfcx: t's rounding grows with x
    below = x < 0
    # 2 - a tail: the tail's relative error times at most 1, plus the subtraction's rounding
    assert np.abs(got[below] - expected[below]).max() <= 1e-15
    specials = np.array([0.0, -0.0, 27.29, 27.31, 40.0, -40.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(_erfc_array(specials, np.empty_like(specials)), erfc(specials))
