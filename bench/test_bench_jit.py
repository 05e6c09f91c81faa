"""Start-up cost of a new process with a warm numba cache (import + first training call).

The timed function runs scripts/jit_cost.py's child process once: import fastnn, train the
lecture's network twice. ``extra_info`` keeps the split: import, first fit (load + work),
second fit (work alone) and the overhead beyond the work.
"""

import importlib.util
import pathlib

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "jit_cost.py"


def _jit_cost():
    spec = importlib.util.spec_from_file_location("jit_cost", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_warm_cache_startup(benchmark):
    measure = _jit_cost().measure
    measure()  # populate the cache (compiles on a fresh checkout)
    benchmark.group = "jit-startup-warm-cache"
    timings = benchmark.pedantic(measure, rounds=3, iterations=1)
    benchmark.extra_info.update(timings)
    assert timings["second_fit_s"] > 0 and timings["import_s"] > 0
