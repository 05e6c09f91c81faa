"""The kernel / reference contract: same modules, same names, same signatures."""

import inspect
import pkgutil

import pytest

import fastnn.kernels
import fastnn.reference


def _public_functions(package):
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = __import__(f"{package.__name__}.{info.name}", fromlist=["_"])
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            func = getattr(obj, "py_func", obj)
            if inspect.isfunction(func):
                found[(info.name, name)] = list(inspect.signature(func).parameters)
    return found


KERNELS = _public_functions(fastnn.kernels)
REFERENCE = _public_functions(fastnn.reference)


def test_the_core_is_not_empty():
    assert len(KERNELS) >= 15


def test_same_modules_and_names():
    assert sorted(KERNELS) == sorted(REFERENCE)


@pytest.mark.parametrize("key", sorted(KERNELS))
def test_same_signature(key):
    assert KERNELS[key] == REFERENCE[key]


def test_packages_export_the_same_names():
    assert fastnn.kernels.__all__ == fastnn.reference.__all__
    exported = {name for _, name in KERNELS}
    assert set(fastnn.kernels.__all__) == exported


def test_kernels_are_compiled_and_cached():
    for module, name in KERNELS:
        kernel = getattr(fastnn.kernels, name)
        assert hasattr(kernel, "py_func"), f"{module}.{name} is not a numba dispatcher"
        assert kernel._cache.__class__.__name__ == "FunctionCache", f"{name} is not cache=True"
