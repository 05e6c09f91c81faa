"""Every public kernel from the case table (fastnn.cases): fastnn-numba vs the numpy reference.

The same inputs and tolerances as the parity test; each variant is checked against the
reference before it is timed.  Benchmark sizes carry the "slow" marker; CI times the
small ones so the suite keeps running.
"""

import pytest

from fastnn import kernels, reference
from fastnn.cases import CASES

from .conftest import check_then_time

IMPLEMENTATIONS = {"fastnn-numba": kernels, "fastnn-numpy": reference}
SIZES = ["small", pytest.param("bench", marks=pytest.mark.slow)]


@pytest.mark.parametrize("variant", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel(benchmark, name, size, variant):
    case = CASES[name]
    arguments = case.arguments(size)
    units, unit = case.work(**getattr(case, size))
    benchmark.group = f"kernel-{name}-{size}"
    benchmark.extra_info.update(units=units, unit=unit, size=getattr(case, size))
    impl = IMPLEMENTATIONS[variant]
    expected = tuple(case.run(reference, arguments))
    check_then_time(
        benchmark,
        lambda: tuple(case.run(impl, arguments)),
        expected,
        rtol=case.rtol,
        atol=case.atol,
    )
