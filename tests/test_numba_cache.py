"""Cached parallel kernels load and run in new processes (cold cache, warm cache, other threads).

numba has had crashes when cached code involving parallel kernels is loaded again
(numba#8578, #7518); fastnn's kernels avoid those patterns, and this test runs the
parallel path in fresh processes to prove it, with a private cache directory.
"""

import os
import subprocess
import sys

import numpy as np

SCRIPT = """
import numpy as np
from fastnn import kernels
from fastnn._builds import training_loop
rng = np.random.default_rng(0)
X = rng.normal(size=(40_000, 4))  # large enough for the parallel path
y = X @ [1.0, -2.0, 0.5, 3.0] + 0.1 * rng.normal(size=40_000)
theta = np.zeros(5)
curve = np.empty(3)
gd = training_loop(kernels, "linear_gd", threaded=True)
gd(X, y, theta, 0, 0.1, 0.0, True, curve, np.empty((0, 5)), 1, np.concatenate([[np.nan], theta]))
grad = np.empty(5)
loss = kernels.mse_loss_grad(X, y, theta, grad)
# the surface kernels: parallel, calling cached serial helpers from their prange bodies
z = [kernels.linear_logits(X[:, :2], w, np.empty(40_000)) for w in np.eye(3)]
a = np.linspace(-1, 1, 9)
bce = kernels.bce_surface(*z, (y > 0) * 1.0, a, a, np.empty((9, 9)))
stats = kernels.mse_surface_stats(*z, y, np.empty(9))
mse = kernels.mse_surface_quadratic(stats, a, a, np.empty((9, 9)))
sizes = np.array([4, 3, 1])
net = kernels.mlp_surface(X[:500], y[:500, None], np.ones(19), np.eye(19)[0], np.eye(19)[1],
                          sizes, np.array([[0, 0.0]]), 0, a, a, np.empty((9, 9)))
print(repr([float(loss), *grad.tolist(), *curve.tolist(), *bce.ravel(), *mse.ravel(),
            *net.ravel()]))
"""


def _run(cache_dir, threads):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "NUMBA_NUM_THREADS": str(threads)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_parallel_kernels_survive_the_cache(tmp_path):
    cold = _run(tmp_path, threads=2)
    assert any(tmp_path.rglob("*.nbi")), "nothing was cached"
    warm = _run(tmp_path, threads=2)
    assert cold == warm  # bit for bit
    # The row chunks do not depend on the thread count; code compiled under another
    # NUMBA_NUM_THREADS may still round the last bit differently.
    one_thread = eval(_run(tmp_path, threads=1))
    np.testing.assert_allclose(one_thread, eval(cold), rtol=1e-14)


def test_stale_kernel_cache_is_dropped_when_any_kernel_source_changes(tmp_path):
    from fastnn._numba import _drop_stale_cache

    (tmp_path / "helpers.py").write_text("x = 1\n")
    (tmp_path / "kernel.py").write_text("y = 2\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()

    def cached_files():
        return sorted(p.name for p in cache.iterdir() if p.suffix in (".nbi", ".nbc"))

    _drop_stale_cache(tmp_path)  # first look: records the fingerprint
    (cache / "kernel.f-1.py311.nbi").write_text("index")
    (cache / "kernel.f-1.py311.1.nbc").write_text("code")
    _drop_stale_cache(tmp_path)  # nothing changed: the cache stays
    assert cached_files() == ["kernel.f-1.py311.1.nbc", "kernel.f-1.py311.nbi"]
    (tmp_path / "helpers.py").write_text("x = 10\n")  # a helper the kernel calls changed
    _drop_stale_cache(tmp_path)
    assert cached_files() == []
