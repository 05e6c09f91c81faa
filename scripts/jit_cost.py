"""Measure what numba's compilation costs a new process: cold cache vs warm cache.

For each case a fresh Python process imports fastnn and trains the lecture's network
(2-10-1 sigmoid, N = 2000, 1000 full-batch iterations) twice; the first call pays for
loading (warm) or compiling (cold) the kernels, the second is the work alone.

With ``--demo`` the child runs the whole ``fastnn demo`` instead (every kernel family:
linear and logistic GD/SGD/minibatch, the MLP loop, the three surface kernels), cold then
warm: the difference is what compiling all of them costs.

With ``--kernels`` the child runs ``fastnn demo --quick`` with an empty cache and records
numba's compile events: how many functions (and signatures) were compiled, and which
top-level compilations took the time (each includes the helpers compiled inside it).

With ``--kernels --precompile`` the child first compiles the demo's kernel families in
parallel processes (:mod:`fastnn._precompile`, as ``fastnn demo`` does on a cold cache),
and the report says what the demo still had to compile.

Usage: python scripts/jit_cost.py [--cold] [--demo] [--kernels [--precompile]]
       (--cold: an empty cache too; slow)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, time
start = time.perf_counter()
import fastnn
from fastnn import data, lecture
imported = time.perf_counter()
X, y = lecture.network_data()
def fit():
    fastnn.MLPClassifier((10,), "sigmoid", solver="gd", learning_rate_init=1.0, max_iter=1000,
                         tol=None, init="normal", random_state=0).fit(X, y)
t0 = time.perf_counter(); fit(); first = time.perf_counter() - t0
t0 = time.perf_counter(); fit(); second = time.perf_counter() - t0
print(json.dumps({"import_s": imported - start, "first_fit_s": first, "second_fit_s": second}))
"""


DEMO_CHILD = r"""
import json, sys, tempfile, time, io
start = time.perf_counter()
from fastnn.demo import Demo
with tempfile.TemporaryDirectory() as out:
    Demo(out=out, stream=io.StringIO()).run()
print(json.dumps({"demo_s": time.perf_counter() - start}))
"""


KERNELS_CHILD = r"""
import io, json, tempfile, time
from numba.core import event
from fastnn.demo import Demo
import sys
records = []
precompiled = None
if "--precompile" in sys.argv:
    from fastnn._precompile import precompile
    began = time.perf_counter()
    precompiled = {"families": precompile(), "seconds": time.perf_counter() - began}
class Listener(event.Listener):
    def __init__(self):
        self.stack = []
    def on_start(self, ev):
        self.stack.append(time.perf_counter())
    def on_end(self, ev):
        began = self.stack.pop()
        dispatcher = ev.data["dispatcher"]
        name = f"{dispatcher.py_func.__module__}.{dispatcher.py_func.__qualname__}"
        records.append({"name": name, "seconds": time.perf_counter() - began,
                        "depth": len(self.stack), "signature": str(ev.data["args"])})
listener = Listener()
start = time.perf_counter()
with event.install_listener("numba:compile", listener):
    with tempfile.TemporaryDirectory() as out:
        Demo(out=out, quick=True, stream=io.StringIO()).run()
print(json.dumps({"demo_s": time.perf_counter() - start, "records": records,
                  "precompiled": precompiled}))
"""


def measure_kernels(cache_dir: str, precompile: bool = False) -> dict:
    """``fastnn demo --quick`` in a new process with its compile events (see KERNELS_CHILD).

    With ``precompile``, :func:`fastnn._precompile.precompile` runs first, as the command
    does on a cold cache; its time is included in ``demo_s``.
    """
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "MPLBACKEND": "Agg"}
    flags = ["--precompile"] if precompile else []
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", KERNELS_CHILD, *flags], env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    measured["process_s"] = time.perf_counter() - started
    return measured


def report_kernels(measured: dict, top: int = 15) -> None:
    records = measured["records"]
    functions = {r["name"] for r in records}
    outer = [r for r in records if r["depth"] == 0]
    precompiled = measured.get("precompiled")
    if precompiled:
        families = ", ".join(f"{k} {v:.1f} s" for k, v in precompiled["families"].items())
        print(f"precompiled in {precompiled['seconds']:.1f} s ({families})")
    print(
        f"fastnn demo --quick from an empty cache: {measured['demo_s']:.1f} s "
        f"({measured['process_s']:.1f} s for the whole process); "
        f"{len(records)} compilations of {len(functions)} functions, "
        f"{len(outer)} of them called from Python, "
        f"{sum(r['seconds'] for r in outer):.1f} s compiling in all"
    )
    for r in sorted(outer, key=lambda r: -r["seconds"])[:top]:
        print(f"  {r['seconds']:6.1f} s  {r['name']}  {r['signature'][:90]}")


def measure_demo(cache_dir: str) -> float:
    """Seconds of a whole ``fastnn demo`` in a new process caching in ``cache_dir``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-c", DEMO_CHILD], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])["demo_s"]


def measure(cache_dir: str | None = None) -> dict:
    """Run the child once; with ``cache_dir``, numba caches there instead of __pycache__."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    timings["overhead_s"] = timings["import_s"] + timings["first_fit_s"] - timings["second_fit_s"]
    return timings


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also measure an empty cache")
    parser.add_argument("--demo", action="store_true", help="the whole demo, cold then warm")
    parser.add_argument(
        "--kernels", action="store_true", help="which compilations a cold demo --quick pays for"
    )
    parser.add_argument(
        "--precompile", action="store_true",
        help="with --kernels: compile in parallel processes first, as `fastnn demo` does",
    )  # fmt: skip
    parser.add_argument("--save", metavar="JSON", help="with --kernels: write the compile events")
    args = parser.parse_args(argv)
    if args.kernels:
        with tempfile.TemporaryDirectory() as cache:
            cold = measure_kernels(cache, precompile=args.precompile)
            report_kernels(cold)
            if args.save:
                with open(args.save, "w") as f:
                    json.dump(cold, f)
            warm = measure_kernels(cache)
        print(
            f"fastnn demo --quick again, the cache now warm: {warm['demo_s']:.1f} s; "
            f"{len(warm['records'])} compilations"
        )
        return
    if args.demo:
        with tempfile.TemporaryDirectory() as cache:
            cold, warm = measure_demo(cache), measure_demo(cache)
        print(
            f"fastnn demo: cold cache {cold:.1f} s, warm cache {warm:.1f} s -> compiling every "
            f"kernel it uses costs {cold - warm:.1f} s"
        )
        return
    cases = {}
    if args.cold:
        with tempfile.TemporaryDirectory() as cache:
            cases["cold cache"] = measure(cache)
            cases["warm cache"] = measure(cache)
    else:
        measure()  # make sure the package cache is populated
        cases["warm cache"] = measure()
    for name, t in cases.items():
        print(
            f"{name}: import {t['import_s']:.3f} s, first fit {t['first_fit_s']:.3f} s, "
            f"second fit {t['second_fit_s']:.3f} s -> overhead beyond the work "
            f"{t['overhead_s']:.3f} s"
        )


if __name__ == "__main__":
    main()
