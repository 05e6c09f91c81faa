"""The kernel / reference contract: same modules, names and signatures, and the same numbers.

Every public kernel needs an entry in the case table (:mod:`fastnn.cases`); its outputs
(return value and every array argument after the call) are compared with the numpy
twin's on several seeds.
"""

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import fastnn.kernels
import fastnn.reference
from fastnn.cases import CASES


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


def _annotations(package, module, name):
    func = getattr(importlib.import_module(f"{package.__name__}.{module}"), name)
    return getattr(func, "py_func", func).__annotations__


@pytest.mark.parametrize("key", sorted(KERNELS))
def test_kernels_and_twins_are_annotated_alike(key):
    """Every argument and the result typed (numba ignores annotations), the same in both."""
    kernel = _annotations(fastnn.kernels, *key)
    twin = _annotations(fastnn.reference, *key)
    assert set(kernel) == {*KERNELS[key], "return"}, key
    assert kernel == twin


def test_packages_export_the_same_names():
    assert fastnn.kernels.__all__ == fastnn.reference.__all__
    exported = {name for _, name in KERNELS}
    assert set(fastnn.kernels.__all__) == exported


def test_kernels_are_compiled_and_cached():
    for module, name in KERNELS:
        kernel = getattr(fastnn.kernels, name)
        assert hasattr(kernel, "py_func"), f"{module}.{name} is not a numba dispatcher"
        assert kernel._cache.__class__.__name__ == "FunctionCache", f"{name} is not cache=True"


def test_every_public_kernel_has_a_case():
    assert sorted(CASES) == sorted(fastnn.kernels.__all__)
    for name, case in CASES.items():
        assert case.kernel == name


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_matches_reference(name, seed):
    case = CASES[name]
    arguments = case.arguments("small", seed)
    got = case.run(fastnn.kernels, arguments)
    expected = case.run(fastnn.reference, arguments)
    # every output buffer was written (they start as NaN)
    assert all(np.isfinite(e).any() for e in expected if e.size)
    case.compare(got, expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_case_fails_on_a_wrong_answer(name):
    # The comparison is not vacuous: a perturbed output of the reference is caught.
    case = CASES[name]
    expected = case.run(fastnn.reference, case.arguments("small", 0))
    wrong = [e.copy() for e in expected]
    target = next(w for w in wrong if w.dtype.kind == "f" and np.isfinite(w).any())
    flat = target.reshape(-1)
    k = int(np.flatnonzero(np.isfinite(flat))[-1])
    flat[k] = flat[k] * (1 + 1e-6) + 1e-6
    with pytest.raises(AssertionError):
        case.compare(wrong, expected)


def test_the_seeds_give_every_network_kernel_every_activation():
    from fastnn._codes import ACTIVATION_CODES
    from fastnn.cases import _network

    drawn = {
        int(code)
        for seed in range(5)
        for code in _network(np.random.default_rng(seed), 4, (2, 3, 3, 2))[4][:, 0]
    }
    assert drawn == set(ACTIVATION_CODES.values())


NETWORK_KERNELS = ("mlp_logits", "mlp_loss_grad", "mlp_hvp", "mlp_surface", "mlp_train",
                   "mlp_trainability")  # fmt: skip
OUTPUTS = ("sigmoid", "tanh", "relu", ("leaky_relu", 0.15), "gelu", "silu", ("elu", 1.3),
           ("softplus", 0.75))  # fmt: skip


@pytest.mark.parametrize(
    ("output", "depth"),
    [*((output, "hidden") for output in OUTPUTS), ("sigmoid", "none"), ("gelu", "none")],
    ids=str,
)
@pytest.mark.parametrize("name", NETWORK_KERNELS)
def test_network_kernels_match_the_twins_with_an_output_activation(
    name, output, depth, monkeypatch
):
    """The squared error of activated outputs (a table's output row), in every network
    kernel: the case table's networks (``depth="none"``: without their hidden layers), made
    regressors with ``output`` on their outputs."""
    import fastnn.cases as cases
    from fastnn._activations import activation_table
    from fastnn._codes import SQUARED_ERROR

    drawn, made = cases._network, []

    def regression(rng, n, sizes):
        sizes = sizes if depth == "hidden" else (sizes[0], sizes[-1])
        X, _, theta, sizes, hidden, _ = drawn(rng, n, sizes)
        row = activation_table("relu", 0, output=output)
        made.append(np.vstack([hidden, row]))
        return X, rng.normal(size=(n, sizes[-1])), theta, sizes, made[-1], SQUARED_ERROR

    monkeypatch.setattr(cases, "_network", regression)
    case = CASES[name]
    arguments = case.arguments("small", OUTPUTS.index(output))
    assert made and any(a is made[0] for a in arguments)  # the kernels read the output row
    got = case.run(fastnn.kernels, arguments)
    expected = case.run(fastnn.reference, arguments)
    assert all(np.isfinite(e).any() for e in expected if e.size)
    case.compare(got, expected)


TRAINING_KERNELS = ("mlp_train", "curve_train", "mlp_trainability")
BIAS_KINDS = {
    "all": True, "none": False, "some": (False, True, False), "first": (True, False, False),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BIAS_KINDS))
@pytest.mark.parametrize("name", TRAINING_KERNELS)
def test_training_kernels_match_the_twins_whichever_layers_have_biases(name, kind, monkeypatch):
    """Every layer's biases trained, none, or some layers' (``SETTING_BIASES``'s bit mask),
    in every training kernel: the case table's draws, with ``biases`` set."""
    import fastnn.cases as cases

    monkeypatch.setattr(cases, "_draw_biases", lambda rng, n_layers: BIAS_KINDS[kind])
    case = CASES[name]
    for seed in range(2):
        arguments = case.arguments("small", seed)
        got = case.run(fastnn.kernels, arguments)
        expected = case.run(fastnn.reference, arguments)
        assert all(np.isfinite(e).any() for e in expected if e.size)
        case.compare(got, expected)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity", ("leaky_relu", 0.2),
                                  "gelu", "silu", ("elu", 1.3), ("softplus", 0.5), None],
                         ids=str)  # fmt: skip
def test_plane_layer_matches_its_twin_for_every_activation(name):
    """Every activation after the per-unit affine map (None: a layer without a row)."""
    from fastnn._activations import activation_table

    case = CASES["plane_layer"]
    arguments = list(case.arguments("small", 0))
    arguments[5] = activation_table("relu" if name is None else name, 1)
    arguments[6] = 1 if name is None else 0
    got = case.run(fastnn.kernels, tuple(arguments))
    expected = case.run(fastnn.reference, tuple(arguments))
    case.compare(got, expected)
