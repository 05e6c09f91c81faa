"""The two implementations of fastnn's numerical core, chosen by ``backend=``."""

from __future__ import annotations

from fastnn import kernels, reference
from fastnn._numba import start_threads
from fastnn._validation import check_option

BACKENDS = ("numba", "numpy")


def backend_module(backend: str):
    """The implementation behind ``backend``: :mod:`fastnn.kernels` or :mod:`fastnn.reference`."""
    check_option(backend, "backend", BACKENDS)
    if backend == "numba":
        start_threads()  # numba's threads, waiting passively (see fastnn._numba)
        return kernels
    return reference
