"""The one place that decides how fastnn compiles its numba kernels.

Every kernel is compiled with the same options, so that a change of policy
(caching, fast-math flags, the error model) is made here once:

* ``cache=True`` -- a new process loads compiled code from ``__pycache__``
  instead of paying seconds of LLVM time on its first call;
* ``error_model="numpy"`` -- the default "python" model adds a zero-division
  check to every ``/``, which blocks vectorisation;
* ``fastmath`` restricted to :data:`FASTMATH_FLAGS` -- never ``nnan`` or
  ``ninf``, so NaN and inf keep their IEEE meaning (see stumpy#219).

A constant argument is a compile-time literal to numba: ``helper(X, 0, n)`` compiles
``helper`` once more, specialised for ``lo = 0``, beside the ``helper(X, lo, n)`` of the
loop next to it (5 s of a cold ``fastnn demo --quick`` went to such copies).  Where one
copy serves, the constant is passed as ``np.int64(0)``, which numba types as int64.

Kernels that rely on exact floating-point compensation (the elementary
functions in :mod:`fastnn.kernels._math`) use :data:`EXACT_FLAGS` instead:
``reassoc`` would let LLVM fold ``(x + C) - C`` into ``x`` and delete the
rounding step they depend on.  Fast-math flags are attached per instruction,
so those helpers stay exact even after LLVM inlines them into a loop compiled
with :data:`FASTMATH_FLAGS`.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import sys
import threading
import warnings

WIDE_VECTORS_ENV = "FASTNN_WIDE_VECTORS"


def _enable_wide_vectors() -> str | None:
    """Let LLVM use 512-bit vectors on AVX-512 CPUs, when FASTNN_WIDE_VECTORS=1 asks for it.

    LLVM prefers 256-bit vectors on AVX-512 hardware (to avoid frequency drops on
    older Xeons); with 512-bit ones the lecture's network trained about 20% faster
    here (an exp-bound loss-surface prototype gained up to 1.5x).  numba takes its
    target features from ``NUMBA_CPU_FEATURES`` when it starts, so this runs before
    numba is imported:
    the host's features plus ``-prefer-256-bit``.  Opt-in, because the speed-up
    depends on the CPU; numba's cache keeps separate code for each feature set.
    Returns the features set, or None.
    """
    if os.environ.get(WIDE_VECTORS_ENV, "").lower() not in ("1", "true", "yes", "on"):
        return None
    if "numba" in sys.modules:
        warnings.warn(
            f"{WIDE_VECTORS_ENV} has no effect: numba was imported before fastnn; set it "
            "before the first import of numba",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    if os.environ.get("NUMBA_CPU_FEATURES"):
        return None  # the user chose the features explicitly
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    if not features.get("avx512f", False):
        return None
    os.environ["NUMBA_CPU_FEATURES"] = features.flatten() + ",-prefer-256-bit"
    os.environ.setdefault("NUMBA_CPU_NAME", llvm.get_host_cpu_name())
    return os.environ["NUMBA_CPU_FEATURES"]


WIDE_VECTOR_FEATURES = _enable_wide_vectors()


import numba  # noqa: E402  (after the vector-width choice above)

# Environment variables by which a user (or another library) has already chosen how
# OpenMP threads wait; fastnn then leaves the choice alone.
_WAIT_CHOICES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
SPINNING_THREADS_ENV = "FASTNN_SPINNING_THREADS"


def available_cpus() -> int:
    """CPUs this process may run on (its affinity where the OS says, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_threads_started: bool | None = None
# Dask runs tasks on several threads of one process: the first two could both start.
_start_lock = threading.Lock()


def start_threads() -> bool:
    """Start numba's threading layer with OpenMP threads that sleep, not spin, when idle.

    numba's threading layer here is OpenMP (libgomp), whose idle threads busy-wait
    after each ``prange`` section.  On a busy machine -- two other CPU-bound processes
    on these 2 cores -- a thread that spins while its partner waits for a core turned a
    21 x 21 curvature map (one short parallel section per Hessian-vector product) from
    2.5 s into 9.2 s; with ``OMP_WAIT_POLICY=passive`` every map stayed within 3x of
    its idle time, and idle times did not change beyond the noise
    (``bench/test_bench_busy.py``, ``bench/RESULTS.md``).

    OpenMP reads the policy once, when its runtime loads, so the layer is loaded here
    (about 30 ms) with the variable set, and the variable is removed again: libraries
    imported later (PyTorch's own OpenMP) keep their defaults.  It runs when fastnn first
    hands work to its kernels (:func:`fastnn._backends.backend_module`), not at import: a
    process that imports fastnn and forks before computing anything must not have
    started GNU OpenMP, or the child's first parallel kernel terminates it (numba's
    check).  Nothing is done when the layer is already running, when the user chose a
    policy (:data:`_WAIT_CHOICES`), or when ``FASTNN_SPINNING_THREADS=1`` asks for
    OpenMP's default.  Returns whether the layer runs with passive threads because of
    this call or an earlier one.
    """
    global _threads_started
    if _threads_started is not None:
        return _threads_started
    with _start_lock:
        if _threads_started is None:
            _threads_started = _load_passive_layer()
    return _threads_started


def _load_passive_layer() -> bool:
    """:func:`start_threads`'s work, once: whether the layer now runs with passive threads."""
    from numba.np.ufunc import parallel

    if os.environ.get(SPINNING_THREADS_ENV, "").lower() in ("1", "true", "yes", "on"):
        return False
    if parallel._is_initialized or any(name in os.environ for name in _WAIT_CHOICES):
        return False
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        numba.get_num_threads()  # loads the threading layer
    except ValueError:  # no threading layer loads here: the first parallel kernel says so
        return False
    finally:
        os.environ.pop("OMP_WAIT_POLICY", None)
    return True


# parallel=True would also turn array expressions (np.zeros, a[:] = 0, ...) into
# thread-launching parfors, costly inside small training loops: only prange runs
# in parallel.
_PRANGE_ONLY = {
    "prange": True,
    "comprehension": False,
    "reduction": False,
    "inplace_binop": False,
    "setitem": False,
    "numpy": False,
    "stencil": False,
    "fusion": False,
}

FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})
EXACT_FLAGS = frozenset({"nsz", "contract"})


def njit(
    *, parallel: bool = False, exact: bool = False, strict: bool = False, inline: bool = False
):
    """Return fastnn's ``numba.njit`` decorator.

    Parameters
    ----------
    parallel : bool, default False
        Compile so that ``numba.prange`` loops run on threads (and nothing
        else is parallelised).  Only top-level kernels -- the ones Python
        calls -- are parallel; a helper that holds a ``prange`` is
        ``inline=True`` and called only from such kernels.  A cached serial
        function that calls a parallel one can crash when loaded from the
        cache (numba#8578), so that pattern is never used.
    exact : bool, default False
        Use :data:`EXACT_FLAGS` (no reassociation) instead of
        :data:`FASTMATH_FLAGS`.
    strict : bool, default False
        No fast-math flags at all, not even FMA contraction: every operation rounds
        as written, so a vectorised loop and its scalar remainder give the same bits.
    inline : bool, default False
        Inline into callers at numba's IR level (``inline="always"``).  Use it
        for small scalar helpers whose callees are large (LLVM would otherwise
        keep them as calls and the caller's loop would not vectorise).  The
        inlined code takes the *caller's* fast-math flags, so never set it on
        a function that relies on exact rounding.
    """
    if inline and (exact or strict):
        raise ValueError("an exact function must not be inlined at numba's IR level")
    # numba's stubs do not know fastmath flag sets
    return numba.njit(  # type: ignore[call-overload]
        cache=True,
        parallel=_PRANGE_ONLY if parallel else False,
        error_model="numpy",
        fastmath=False if strict else set(EXACT_FLAGS if exact else FASTMATH_FLAGS),
        inline="always" if inline else "never",
    )


def _drop_stale_cache(package_dir: pathlib.Path) -> None:
    """Delete numba's cache of fastnn's kernels when any kernel source changed.

    numba keys a cached function on the file it is defined in, not on the files of
    the functions it calls or inlines: after an edit to a helper module, callers in
    other files would load stale machine code.  A fingerprint of every kernel source
    (name, size, mtime) is kept beside the cache; when it differs, the cache goes.
    Nothing happens where the package is read-only or numba caches elsewhere.
    """
    cache_dir = package_dir / "__pycache__"
    # The kernels also compile in constants from outside their package: the integer codes
    # of fastnn/_codes.py and the parallel thresholds of fastnn/_builds.py.
    constants = [package_dir.parent / name for name in ("_codes.py", "_builds.py")]
    sources = [*sorted(package_dir.glob("*.py")), *(p for p in constants if p.exists())]
    stamp = hashlib.sha256(
        "".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns};" for p in sources).encode()
    ).hexdigest()
    marker = cache_dir / "fastnn-kernels.fingerprint"
    try:
        if marker.exists() and marker.read_text() == stamp:
            return
        for pattern in ("*.nbi", "*.nbc"):
            for stale in cache_dir.glob(pattern):
                stale.unlink(missing_ok=True)
        cache_dir.mkdir(exist_ok=True)
        marker.write_text(stamp)
    except OSError:
        pass


def thread_pool_size() -> int:
    """Numba's thread pool size (``NUMBA_NUM_THREADS``), as numba read it at import."""
    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]  # set at runtime
