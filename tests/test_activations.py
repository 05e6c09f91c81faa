"""Activation kernels against their numpy twins and against independent formulas."""

import numpy as np
import pytest
from scipy import special

from fastnn import kernels, reference
from tests.conftest import assert_close

NAMES = [
    "sigmoid",
    "sigmoid_derivative",
    "softplus",
    "softplus_derivative",
    "log_sigmoid",
    "log_sigmoid_derivative",
]

# Independent oracles (scipy), computed in a different way from fastnn's formulas.
ORACLES = {
    "sigmoid": special.expit,
    "sigmoid_derivative": lambda z: special.expit(z) * special.expit(-z),
    "softplus": lambda z: np.logaddexp(0.0, z),
    "softplus_derivative": special.expit,
    "log_sigmoid": special.log_expit,
    "log_sigmoid_derivative": lambda z: special.expit(-z),
}


def _inputs(rng, size):
    edge = np.array(
        [
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            1e-8,
            -1e-8,
            36.0,
            -36.0,
            700.0,
            -700.0,
            800.0,
            -800.0,
            1e300,
            -1e300,
        ]
    )
    return np.concatenate([rng.normal(0, 5, size), rng.uniform(-800, 800, size), edge])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [1, 17, 1000])
def test_kernel_matches_reference(name, size, rng):
    z = _inputs(rng, size)
    got = getattr(kernels, name)(z, np.empty_like(z))
    expected = getattr(reference, name)(z, np.empty_like(z))
    assert np.all(np.isfinite(got))
    assert_close(got, expected, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", NAMES)
def test_kernel_matches_an_independent_oracle(name, rng):
    z = _inputs(rng, 1000)
    got = getattr(kernels, name)(z, np.empty_like(z))
    assert_close(got, ORACLES[name](z), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", NAMES)
def test_kernel_may_write_in_place(name, rng):
    z = rng.normal(0, 5, 100)
    expected = getattr(reference, name)(z, np.empty_like(z))
    out = getattr(kernels, name)(z, z)
    assert out is z
    assert_close(z, expected, rtol=1e-13)


def test_extreme_logits_are_exact():
    z = np.array([-800.0, 800.0])
    assert kernels.sigmoid(z, np.empty(2)).tolist() == [0.0, 1.0]
    assert kernels.softplus(z, np.empty(2)).tolist() == [0.0, 800.0]
    assert kernels.log_sigmoid(z, np.empty(2)).tolist() == [-800.0, 0.0]


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "log_sigmoid"])
def test_derivatives_match_central_differences(name):
    z = np.linspace(-20, 20, 81)
    f = getattr(kernels, name)
    h = 1e-6
    numeric = (f(z + h, np.empty_like(z)) - f(z - h, np.empty_like(z))) / (2 * h)
    analytic = getattr(kernels, f"{name}_derivative")(z, np.empty_like(z))
    assert_close(analytic, numeric, rtol=1e-6, atol=1e-10)


def test_nan_propagates():
    z = np.array([np.nan])
    for name in NAMES:
        assert np.isnan(getattr(kernels, name)(z, np.empty(1))[0]), name
