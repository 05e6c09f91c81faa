"""Print the machine details that bench/RESULTS.md records with every run (markdown list).

Usage: python scripts/machine_info.py
"""

from __future__ import annotations

import os
import platform
import sys


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
        return f"{kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _simd() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "unknown"
    return ", ".join(f for f in ("avx2", "fma", "avx512f") if f in flags) or "none of avx2/avx512"


def machine_info() -> list[str]:
    import llvmlite
    import numba
    import numpy as np

    lines = [
        f"CPU: {_cpu_model()} ({os.cpu_count()} logical cores; SIMD: {_simd()})",
        f"Memory: {_memory_gib()}",
        f"OS: {platform.platform()}",
        f"Python {sys.version.split()[0]}, numpy {np.__version__}, numba {numba.__version__}, "
        f"llvmlite {llvmlite.__version__}",
    ]
    # A threading layer is only chosen once a parallel section has run: a batch this large
    # takes the parallel path.
    from fastnn.kernels import mse_loss_grad

    mse_loss_grad(np.ones((1 << 16, 1)), np.ones(1 << 16), np.zeros(2), np.empty(2))
    lines.append(
        f"numba threading layer: {numba.threading_layer()}, threads: {numba.get_num_threads()}"
    )
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            lines.append(
                f"{pool['user_api'].upper()}: {pool['internal_api']} {pool.get('version')} "
                f"({pool.get('architecture', '?')}, {pool['num_threads']} threads, "
                f"{pool.get('threading_layer', '?')})"
            )
    except ImportError:
        lines.append("BLAS: (install threadpoolctl to report it)")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NUMBA_NUM_THREADS", "NUMBA_CPU_FEATURES"):
        if os.environ.get(var):
            lines.append(f"{var}={os.environ[var]}")
    return lines


if __name__ == "__main__":
    print("\n".join(f"- {line}" for line in machine_info()))
