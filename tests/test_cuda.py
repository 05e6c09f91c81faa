"""GPU surfaces (``device="cuda"``) against the CPU kernels, on numba-cuda's simulator.

``tests/conftest.py`` sets ``NUMBA_ENABLE_CUDASIM=1`` unless the environment chose
otherwise, so these run without a GPU (slowly: the simulator runs every CUDA thread as
a Python thread, hence the tiny sizes) and on a real GPU with ``NUMBA_ENABLE_CUDASIM=0``.
float64 values must equal the CPU kernels' to 1e-12 relative; float32 values the float64
ones to 1e-4 (the CPU float32 path's tolerance).
"""

import pickle
import subprocess
import sys

import numpy as np
import pytest

import fastnn
import fastnn.kernels
from fastnn._codes import ACCURACY, LOG_LOSS, SOFTMAX_LOG_LOSS, SQUARED_ERROR
from fastnn.cases import CASES
from fastnn.layout import MLPLayout
from tests.conftest import table

# numba still ships its deprecated built-in numba.cuda, which imports but is not what
# fastnn's GPU path runs on: without NVIDIA's numba-cuda these tests are skipped.
pytest.importorskip("numba_cuda", reason="the GPU tests need numba-cuda: pip install -e '.[cuda]'")
cuda_surface = pytest.importorskip("fastnn.cuda.surface", exc_type=ImportError)
from fastnn.cuda import immutable  # noqa: E402
from fastnn.surface._kinds import prepare  # noqa: E402

RTOL = 1e-12


def _compare(name, arguments, rtol=RTOL, atol=1e-15):
    case = CASES[name]
    got = case.run(cuda_surface, [a.copy() if isinstance(a, np.ndarray) else a for a in arguments])
    expected = case.run(fastnn.kernels, arguments)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
    return got


@pytest.mark.parametrize("seed", range(2))
def test_bce_surface_equals_the_cpu_kernel_on_the_case_table(seed):
    _compare("bce_surface", CASES["bce_surface"].arguments("small", seed))


@pytest.mark.parametrize("seed", range(5))
def test_mlp_surface_equals_the_cpu_kernel_on_the_case_table(seed):
    # the case draws activation, loss (and accuracy) and a 3-layer network; fewer samples
    arguments = CASES["mlp_surface"].build(
        np.random.default_rng(seed), n=24, g=3, sizes=(3, 6, 4, 3)
    )
    _compare("mlp_surface", arguments)


def _network(rng, sizes, loss, n=16):
    layout = MLPLayout(sizes)
    X = rng.normal(size=(n, sizes[0]))
    if loss == SQUARED_ERROR:
        Y = rng.normal(size=(n, sizes[-1]))
    else:
        labels = rng.integers(0, max(sizes[-1], 2), size=n)
        Y = (
            (labels[:, None] == np.arange(sizes[-1])).astype(float)
            if sizes[-1] > 1
            else labels[:, None] * 1.0
        )
    theta = rng.normal(size=layout.n_params) * 0.7
    return X, Y, theta, layout


# The kernel's activation and its loss are separate pieces: every activation and every
# output (loss, accuracy of one or several outputs) appears at least once.
@pytest.mark.parametrize(
    "activation, loss, outputs, hidden",
    [
        ("sigmoid", SQUARED_ERROR, 2, (5,)),
        ("tanh", LOG_LOSS, 1, (5,)),
        ("relu", SOFTMAX_LOG_LOSS, 3, (5,)),
        ("sigmoid", ACCURACY, 1, (5,)),
        ("tanh", ACCURACY, 3, (5,)),
        ("relu", LOG_LOSS, 1, (5,)),
        ("identity", SOFTMAX_LOG_LOSS, 3, (5,)),
        (("leaky_relu", 0.2), SQUARED_ERROR, 2, (5,)),
        ("gelu", LOG_LOSS, 1, (5,)),
        ("silu", SOFTMAX_LOG_LOSS, 3, (5,)),
        (("elu", 1.3), ACCURACY, 3, (5,)),
        (("softplus", 0.5), SQUARED_ERROR, 1, (5,)),
        # a layer after the one the kernel streams: its own activation
        (("tanh", "gelu"), SOFTMAX_LOG_LOSS, 3, (5, 4)),
        (("silu", ("leaky_relu", 0.1)), SQUARED_ERROR, 2, (5, 4)),
    ],
)
def test_every_activation_and_output(activation, loss, outputs, hidden):
    rng = np.random.default_rng(len(str(activation)) * 10 + loss + outputs)
    X, Y, theta, layout = _network(rng, (3, *hidden, outputs), loss)
    u, v = rng.normal(size=(2, theta.size))
    a, b = np.linspace(-1, 1, 2), np.linspace(-0.5, 1.0, 3)
    activation = table(activation, layout.sizes)
    arguments = (X, Y, theta, u, v, layout.sizes, activation, loss, a, b, np.full((2, 3), np.nan))
    _compare("mlp_surface", arguments)


@pytest.mark.parametrize(
    "moved, what",
    [
        (["W2[0,0]", "b2[1]"], "the output layer only: its pre-activations are the logits"),
        (["W1[1,0]", "b1[2]"], "a middle layer: layer 0 runs once with the centre's weights"),
        (["W0[0,0]", "b2[0]"], "layer 0 and the output layer"),
    ],
)
def test_planes_that_move_later_layers_only(moved, what):
    rng = np.random.default_rng(7)
    X, Y, theta, layout = _network(rng, (2, 4, 3, 2), SOFTMAX_LOG_LOSS)
    u, v = np.zeros((2, theta.size))
    u[layout.param_index(moved[0])] = 1.0
    v[layout.param_index(moved[1])] = 1.0
    a, b = np.linspace(-2, 2, 3), np.linspace(-1, 1, 2)
    arguments = (
        X,
        Y,
        theta,
        u,
        v,
        layout.sizes,
        table("tanh", layout.sizes),
        SOFTMAX_LOG_LOSS,
        a,
        b,
        np.empty((3, 2)),
    )
    _compare("mlp_surface", arguments)


def _classifier(n=20, hidden=(5,), classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (classes > 2) * (X[:, 2] > 0.5)
    model = fastnn.MLPClassifier(hidden, max_iter=40, tol=None, random_state=seed).fit(X, y)
    return model, X, y


@pytest.fixture(scope="module")
def classifier():
    return _classifier()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_loss_surface_on_the_gpu_equals_the_cpu(classifier, dtype):
    model, X, y = classifier
    options = {"resolution": 3, "random_state": 1, "dtype": dtype}
    gpu = fastnn.loss_surface(model, X, y, device="cuda", **options)
    cpu = fastnn.loss_surface(model, X, y, **options)
    assert gpu.info["device"] == "cuda" and cpu.info["device"] == "cpu"
    assert gpu.info["gpu"]
    np.testing.assert_allclose(gpu.values, cpu.values, rtol=RTOL if dtype == "float64" else 1e-5)
    if dtype == "float32":
        exact = fastnn.loss_surface(model, X, y, device="cuda", **{**options, "dtype": "float64"})
        np.testing.assert_allclose(gpu.values, exact.values, rtol=1e-4)


def test_logistic_surface_tiles_do_not_change_a_bit():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] - X[:, 1] + rng.normal(size=40) > 0).astype(int)
    model = fastnn.LogisticRegression().fit(X, y)
    plane = {"resolution": (3, 5), "random_state": 4}
    whole = fastnn.loss_surface(model, X, y, device="cuda", **plane)
    rows = fastnn.loss_surface(model, X, y, device="cuda", tile_rows=1, **plane)
    assert rows.info["tiles"] == 3 and whole.info["tiles"] == 1
    np.testing.assert_array_equal(whole.values, rows.values)
    cpu = fastnn.loss_surface(model, X, y, **plane)
    np.testing.assert_allclose(whole.values, cpu.values, rtol=RTOL)
    single = fastnn.loss_surface(model, X, y, device="cuda", dtype="float32", **plane)
    cpu_single = fastnn.loss_surface(model, X, y, dtype="float32", **plane)
    np.testing.assert_allclose(single.values, cpu_single.values, rtol=1e-5)
    np.testing.assert_allclose(single.values, cpu.values, rtol=1e-4)


def test_network_tiles_keep_the_data_on_the_gpu_and_do_not_change_a_bit(classifier, monkeypatch):
    model, X, y = classifier
    builds = []
    original = cuda_surface._network_data
    monkeypatch.setattr(
        cuda_surface, "_network_data", lambda *args: builds.append(1) or original(*args)
    )
    one = fastnn.loss_surface(model, X, y, resolution=3, random_state=2, device="cuda")
    rows = fastnn.loss_surface(
        model, X, y, resolution=3, random_state=2, device="cuda", tile_rows=1
    )
    assert rows.info["tiles"] == 3
    assert len(builds) == 2  # once per surface, not per tile
    np.testing.assert_array_equal(one.values, rows.values)


def test_gpu_tiles_are_large_enough_to_fill_a_gpu():
    """A CPU tile of the issue's BCE surface (N = 100,000) would be 671 points: one launch of
    671 threads.  GPU tiles hold about 2^36 terms (2^20 points at most): 171 whole rows."""
    from fastnn.grid import Evaluation, plan_tiles

    logits = np.zeros((4, 100_000))
    axis = np.zeros(4000)
    cpu = plan_tiles(Evaluation("bce", "numba", axis, axis, tuple(logits)))
    gpu = plan_tiles(Evaluation("bce", "numba", axis, axis, tuple(logits), device="cuda"))
    assert cpu.points(0) == 671
    assert (gpu.tile_rows, gpu.cols) == ((1 << 36) // 100_000 // 4000, 4000)
    assert gpu.points(0) <= 1 << 20 and len(gpu) == 24


def test_points_in_several_launches_give_the_same_bits(monkeypatch):
    """A launch holds the later-layer weights of at most TAIL_BYTES worth of points."""
    rng = np.random.default_rng(11)
    X, Y, theta, layout = _network(rng, (3, 4, 3, 2), SOFTMAX_LOG_LOSS)
    u, v = rng.normal(size=(2, theta.size))
    a, b = np.linspace(-1, 1, 3), np.linspace(-1, 1, 3)
    arguments = (
        X,
        Y,
        theta,
        u,
        v,
        layout.sizes,
        table("tanh", layout.sizes),
        SOFTMAX_LOG_LOSS,
        a,
        b,
    )
    whole = cuda_surface.mlp_surface(*arguments, np.empty((3, 3)))
    n_tail = 4 * 3 + 3 + 3 * 2 + 2  # the layers after layer 0, with their biases
    monkeypatch.setattr(cuda_surface, "TAIL_BYTES", 2 * n_tail * 8)  # two points a launch
    launches = []
    original = cuda_surface._launch
    monkeypatch.setattr(
        cuda_surface, "_launch", lambda *args: launches.append(args[0]) or original(*args)
    )
    pieces = cuda_surface.mlp_surface(*arguments, np.empty((3, 3)))
    assert launches.count(cuda_surface._kernels.tails_kernel) == 5  # 9 points, two a launch
    np.testing.assert_array_equal(pieces, whole)


def test_arrays_that_may_change_are_uploaded_again():
    """A direct call with writeable arrays keeps nothing: changed data gives new values."""
    arguments = list(CASES["bce_surface"].arguments("small", 0))
    first = cuda_surface.bce_surface(*arguments[:6], np.empty_like(arguments[6])).copy()
    arguments[0] += 1.0  # z0 changed in place
    second = cuda_surface.bce_surface(*arguments[:6], np.empty_like(arguments[6]))
    expected = fastnn.kernels.bce_surface(*arguments[:6], np.empty_like(arguments[6]))
    assert not np.allclose(first, second)
    np.testing.assert_allclose(second, expected, rtol=RTOL)


def test_gpu_evaluations_hold_immutable_arrays_also_after_pickling(classifier):
    model, X, y = classifier
    loss_model = fastnn.model.as_loss_model(model, X, y)
    plane = fastnn.surface._plane.directions_plane(
        loss_model, "random", None, 3, 0, "zero", False, None
    )
    evaluation = prepare(loss_model, plane, device="cuda")
    assert all(immutable(x) for x in evaluation.arrays)
    assert not immutable(loss_model.X)  # copies: the caller's arrays are left as they were
    copy = pickle.loads(pickle.dumps(evaluation))
    assert copy.device == "cuda" and all(immutable(x) for x in copy.arrays)


def test_a_resumed_run_refuses_tiles_of_the_other_device(tmp_path, classifier):
    model, X, y = classifier
    out = tmp_path / "s.npy"
    fastnn.loss_surface(model, X, y, resolution=3, random_state=1, out=out, tile_rows=1)
    with pytest.raises(ValueError, match="record"):
        fastnn.loss_surface(
            model, X, y, resolution=3, random_state=1, out=out, tile_rows=1, resume=True,
            device="cuda",
        )  # fmt: skip


def test_a_zarr_store_written_on_the_gpu(tmp_path, classifier):
    pytest.importorskip("zarr")
    model, X, y = classifier
    stored = fastnn.loss_surface(
        model, X, y, resolution=3, random_state=1, out=tmp_path / "s.zarr", device="cuda",
        tile_rows=1,
    )  # fmt: skip
    loaded = fastnn.Surface.load(tmp_path / "s.zarr")
    cpu = fastnn.loss_surface(model, X, y, resolution=3, random_state=1)
    np.testing.assert_allclose(np.asarray(loaded.values), cpu.values, rtol=RTOL)
    assert stored.info["device"] == "cuda"


@pytest.mark.parametrize(
    "model, options, message",
    [
        ("linear", {}, "squared-error surfaces"),
        ("logistic", {"metric": "accuracy"}, "accuracy"),
        ("network", {"backend": "numpy"}, "backend='numpy'"),
        ("network", {"metric": "max_eigenvalue"}, "curvature maps"),
        ("network", {"device": "gpu"}, "device must be one of"),
    ],
)
def test_what_the_gpu_does_not_compute_is_refused_in_one_line(tmp_path, model, options, message):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = (X[:, 0] > 0).astype(int)
    fitted = {
        "linear": fastnn.LinearRegression(),
        "logistic": fastnn.LogisticRegression(),
        "network": fastnn.MLPClassifier((3,), max_iter=5, tol=None),
    }[model].fit(X, y)
    out = tmp_path / "s.npy"
    with pytest.raises(ValueError, match=message) as error:
        fastnn.loss_surface(fitted, X, y, resolution=2, out=out, **{"device": "cuda", **options})
    assert "\n" not in str(error.value)
    assert not out.exists()  # refused before any file


def test_later_layers_wider_than_the_threads_arrays_are_refused():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 2))
    y = np.array([0, 1, 0, 1])
    center = rng.normal(size=MLPLayout((2, 2, 1100, 1)).n_params)
    model = fastnn.MLPClassifier((2, 1100))
    with pytest.raises(ValueError, match="at most 1024 units"):
        fastnn.loss_surface(model, X, y, center=center, resolution=2, device="cuda")


def test_missing_gpu_or_package_is_one_clear_line(monkeypatch):
    from numba import cuda

    import fastnn.cuda

    monkeypatch.setattr(cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no usable CUDA GPU"):
        fastnn.cuda.require_gpu()
    monkeypatch.undo()
    import numba

    monkeypatch.setitem(sys.modules, "numba.cuda", None)
    monkeypatch.delattr(numba, "cuda")
    with pytest.raises(ValueError, match=r"pip install 'fastnn\[cuda\]'"):
        fastnn.cuda.require_gpu()
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "numba_cuda", None)  # only numba's built-in numba.cuda
    with pytest.raises(ValueError, match=r"pip install 'fastnn\[cuda\]' \(not installed\)"):
        fastnn.cuda.require_gpu()


def test_the_cpu_path_imports_no_cuda():
    # Modules loaded by fastnn, not at start-up (cuda-bindings' .pth file imports `cuda`).
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import numpy as np, fastnn\n"
        "X = np.random.default_rng(0).normal(size=(20, 2)); y = (X[:, 0] > 0).astype(int)\n"
        "m = fastnn.MLPClassifier((3,), max_iter=5, tol=None).fit(X, y)\n"
        "fastnn.loss_surface(m, X, y, resolution=3)\n"
        "print(sorted(n for n in set(sys.modules) - before\n"
        "             if n.split('.')[0] in ('cuda', 'numba_cuda')\n"
        "             or n.startswith('numba.cuda') or n == 'fastnn.cuda.surface'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "fastnn.cli", *args], capture_output=True, text=True, timeout=600
    )


def test_the_command_runs_a_surface_on_the_gpu(tmp_path):
    out = tmp_path / "s.npz"
    common = ("surface", "--model", "logistic", "--resolution", "3", "--no-progress")
    result = _cli(*common, "--device", "cuda", "--out", str(out))
    assert result.returncode == 0, result.stderr
    cpu = _cli(*common, "--out", str(tmp_path / "c.npz"))
    assert cpu.returncode == 0, cpu.stderr
    gpu_values = np.load(out)["values"]
    np.testing.assert_allclose(gpu_values, np.load(tmp_path / "c.npz")["values"], rtol=RTOL)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--device", "tpu"), "invalid choice"),
        (("--model", "linear", "--device", "cuda"), "--device cuda: implemented for"),
    ],
)
def test_the_command_refuses_what_the_gpu_cannot_do_with_exit_2(args, message):
    result = _cli(
        "surface", "--resolution", "3", *(args if "--model" in args else ("--model", "mlp", *args))
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


_COMPILE = """
import pathlib, re, subprocess, sys, tempfile
from numba import types
from numba.cuda import compile_ptx
from fastnn.cuda import _kernels as K

try:
    for dt in (types.float32, types.float64):
        A1, A2, A3 = dt[::1], dt[:, ::1], dt[:, :, ::1]
        F1, F2, I1 = types.float64[::1], types.float64[:, ::1], types.int64[::1]
        i, flag = types.int64, types.boolean
        kernels = [
            (K.bce_kernel(dt), (A1, A1, A1, A1, A1, A1, i, i, dt, dt, F1)),
            (K.affine_kernel(dt), (A2, A1, A2, A2, i, flag, i, types.float64, dt, dt)),
            (K.tails_kernel, (A1, A1, A1, F1, F1, i, i, I1, A2)),
            (K.network_kernel(dt, 16), (A3, A2, i, A1, A1, i, i, A2, I1, i, F2, i, dt, dt, F1)),
            (K.network_kernel(dt, 16, 10), (A3, A2, i, A1, A1, i, i, A2, I1, i, F2, i, dt, dt, F1)),
        ]
        for k, (kernel, signature) in enumerate(kernels):
            ptx, _ = compile_ptx(kernel.py_func, signature, cc=(9, 0))
            if k == len(kernels) - 1:  # 784-128-10's kernel: what ptxas allocates
                import nvidia.cuda_nvcc

                ptxas = pathlib.Path(nvidia.cuda_nvcc.__path__[0]) / "bin" / "ptxas"
                with tempfile.TemporaryDirectory() as folder:
                    source = pathlib.Path(folder) / "kernel.ptx"
                    source.write_text(ptx)
                    report = subprocess.run(
                        [str(ptxas), "-arch=sm_90", "-v", str(source), "-o", f"{source}.cubin"],
                        capture_output=True, text=True, check=True,
                    ).stderr
                stack = re.search(r"(\\d+) bytes stack frame", report).group(1)
                spills = re.search(r"(\\d+) bytes spill stores", report).group(1)
                print(f"{dt} stack {stack} spills {spills}")
except Exception as error:
    if "NVVM" in str(error) or "libnvrtc" in str(error) or "libnvvm" in str(error):
        print(error)
        sys.exit(77)  # NVIDIA's compiler is not installed here (pip install 'fastnn[cuda]')
    raise
print("compiled")
"""


def test_the_kernels_compile_with_nvidias_compiler():
    """The simulator runs the kernels as Python; NVIDIA's compiler types and compiles them
    for a Hopper GPU (sm_90) as a real run would, without needing a GPU."""
    import os

    environment = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    result = subprocess.run(
        [sys.executable, "-c", _COMPILE], capture_output=True, text=True, env=environment
    )
    if result.returncode == 77:
        pytest.skip(f"NVIDIA's compiler is not installed: {result.stdout.strip()[:200]}")
    assert result.returncode == 0, result.stderr[-3000:]
    # The output layer after the varying one keeps its logits in registers: no local memory.
    assert result.stdout.split() == [
        *("float32 stack 0 spills 0".split()),
        *("float64 stack 0 spills 0".split()),
        "compiled",
    ]


def test_small_launches_do_not_warn_on_every_tile():
    """numba-cuda warns about grids under 128 blocks when a launch is configured (not in
    the simulator); a tile of a few points is such a launch on purpose."""
    import warnings

    calls = []

    class Kernel:
        def __getitem__(self, configuration):
            warnings.warn(
                "Grid size 3 will likely result in GPU under-utilization due to low occupancy.",
                RuntimeWarning,
                stacklevel=2,
            )
            return lambda *arguments: calls.append((configuration, arguments))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cuda_surface._launch(Kernel(), 3, 128, "x")
    assert calls == [((3, 128), ("x",))]
