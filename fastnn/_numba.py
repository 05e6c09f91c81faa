"""The one place that decides how fastnn compiles its numba kernels.

Every kernel is compiled with the same options, so that a change of policy
(caching, fast-math flags, the error model) is made here once:

* ``cache=True`` -- a new process loads compiled code from ``__pycache__``
  instead of paying seconds of LLVM time on its first call;
* ``error_model="numpy"`` -- the default "python" model adds a zero-division
  check to every ``/``, which blocks vectorisation;
* ``fastmath`` restricted to :data:`FASTMATH_FLAGS` -- never ``nnan`` or
  ``ninf``, so NaN and inf keep their IEEE meaning (see stumpy#219).

Kernels that rely on exact floating-point compensation (the elementary
functions in :mod:`fastnn.kernels._math`) use :data:`EXACT_FLAGS` instead:
``reassoc`` would let LLVM fold ``(x + C) - C`` into ``x`` and delete the
rounding step they depend on.  Fast-math flags are attached per instruction,
so those helpers stay exact even after LLVM inlines them into a loop compiled
with :data:`FASTMATH_FLAGS`.
"""

from __future__ import annotations

import hashlib
import pathlib

import numba

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


def njit(*, parallel: bool = False, exact: bool = False, inline: bool = False):
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
    inline : bool, default False
        Inline into callers at numba's IR level (``inline="always"``).  Use it
        for small scalar helpers whose callees are large (LLVM would otherwise
        keep them as calls and the caller's loop would not vectorise).  The
        inlined code takes the *caller's* fast-math flags, so never set it on
        a function that relies on exact rounding.
    """
    if inline and exact:
        raise ValueError("an exact function must not be inlined at numba's IR level")
    return numba.njit(
        cache=True,
        parallel=_PRANGE_ONLY if parallel else False,
        error_model="numpy",
        fastmath=set(EXACT_FLAGS if exact else FASTMATH_FLAGS),
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
    sources = sorted(package_dir.glob("*.py"))
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
