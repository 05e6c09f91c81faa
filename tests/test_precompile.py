"""Compiling the demo's kernels in parallel processes before it runs (fastnn._precompile)."""

import os
import subprocess
import sys

import pytest

from fastnn._precompile import FAMILIES, precompile

# The demo's first three sections in a new process: how many kernels it had to compile
CHECK = """
import io, warnings
import matplotlib
matplotlib.use("Agg")
from fastnn.demo import _compiled_kernels, gradient_descent, linear_regression, logistic_regression
warnings.simplefilter("ignore")
for section in (linear_regression, gradient_descent, logistic_regression):
    section(0, True)
print(_compiled_kernels())
"""


def test_unknown_family_is_refused():
    with pytest.raises(ValueError, match=r"families: unknown \['nope'\]"):
        precompile(["nope"])
    assert set(FAMILIES) == {"network", "curvature", "trainability", "linear"}


@pytest.mark.skipif(os.name != "posix", reason="the children's lock is POSIX's flock")
def test_a_compiled_family_serves_the_demo_from_the_cache(tmp_path, monkeypatch):
    """After the "linear" family's process, the demo's linear sections compile nothing."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    env = {**os.environ, "MPLBACKEND": "Agg"}

    def demo_compiles():
        result = subprocess.run(
            [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return int(result.stdout.split()[-1])

    seconds = precompile(["linear"], processes=1)
    assert set(seconds) == {"linear"}, "the family's process failed"
    assert any(tmp_path.rglob("*.nbi"))
    assert demo_compiles() == 0


@pytest.mark.skipif(os.name != "posix", reason="the children's lock is POSIX's flock")
def test_children_end_when_their_parent_is_killed(tmp_path):
    """kill -9 of the process that started a family: the child stops."""
    import signal
    import time

    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "cache.lock")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)},
    )  # fmt: skip
    child = int(parent.stdout.readline())
    time.sleep(3)  # the child has imported fastnn and is compiling
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(100):
        if not _running(child):
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the child kept running after its parent was killed")


# Starts the "linear" family's child, says its pid, and waits to be killed
PARENT = """
import sys, time
from fastnn._precompile import _start
print(_start("linear", sys.argv[1]).pid, flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (an exited child its new parent has not reaped yet does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # no /proc: the signal's answer stands
        return True
