"""Threads that behave on a busy machine: OpenMP's wait policy and BLAS threads in training.

Their speed is a benchmark (``bench/test_bench_busy.py``); here, the choices themselves:
the policy fastnn sets, that it leaves a user's own choice and other libraries alone, and
which training runs get one BLAS thread.  The policy is fixed when OpenMP loads, so each
case runs in a fresh process.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from fastnn._builds import MLP_BLAS_THREADS_MIN_PRODUCT, blas_threads, mlp_blas_threads

PROBE = """
import json, os
import fastnn
from fastnn._backends import backend_module
from numba.np.ufunc import parallel
imported = bool(parallel._is_initialized)
backend_module("numba")
print(json.dumps({
    "at_import": imported,
    "started": fastnn._numba.start_threads(),
    "initialized": bool(parallel._is_initialized),
    "policy": os.environ.get("OMP_WAIT_POLICY"),
}))
"""


def _probe(**env):
    chosen = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "FASTNN_SPINNING_THREADS")
    clean = {k: v for k, v in os.environ.items() if k not in chosen}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_threads_start_passive_and_the_variable_is_removed():
    # started with the first work, not at import; later libraries never see the variable
    got = _probe()
    assert got == {"at_import": False, "started": True, "initialized": True, "policy": None}


@pytest.mark.parametrize(
    "env", [{"OMP_WAIT_POLICY": "active"}, {"GOMP_SPINCOUNT": "1000"}, {"KMP_BLOCKTIME": "0"}]
)
def test_a_users_choice_is_kept(env):
    got = _probe(**env)
    assert got["started"] is False
    assert got["policy"] == env.get("OMP_WAIT_POLICY")


def test_spinning_threads_on_request():
    got = _probe(FASTNN_SPINNING_THREADS="1")
    assert got == {"at_import": False, "started": False, "initialized": False, "policy": None}


FORK = """
import os
import fastnn
from fastnn import lecture
X, y = lecture.network_data()
net = lecture.network_model(max_iter=5)  # built, not trained: nothing computed yet
pid = os.fork()
if pid == 0:
    net.fit(X, y)
    fastnn.loss_surface(net, X, y, resolution=5, random_state=0, progress=False)
    os._exit(0)
print(os.waitpid(pid, 0)[1])
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_process_that_forks_before_computing_keeps_working():
    # GNU OpenMP started before a fork ends the child's first parallel kernel
    done = subprocess.run(
        [sys.executable, "-c", FORK], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip().splitlines()[-1] == "0", done.stdout + done.stderr


def test_training_blas_threads():
    # lecture-sized layers never call BLAS; minibatches of wide layers run on one thread
    assert mlp_blas_threads((2, 10, 1), 200) is None
    assert mlp_blas_threads((784, 128, 10), 200) == 1
    assert mlp_blas_threads((784, 128, 10), 2000) == 1
    large = -(-MLP_BLAS_THREADS_MIN_PRODUCT // (784 * 128))
    assert mlp_blas_threads((784, 128, 10), large) is None
    assert mlp_blas_threads((784, 128, 10), large - 1) == 1


def test_blas_threads_restores_the_limits():
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    with blas_threads(1):
        inside = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
        assert inside and set(inside) == {1}
    with blas_threads(None):
        unchanged = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert after == before == unchanged


def test_minibatch_training_runs_blas_on_one_thread(monkeypatch):
    import fastnn
    import fastnn.mlp

    seen = []
    real_train = fastnn.mlp.train

    def spy(*args, **kwargs):
        seen.append({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})
        return real_train(*args, **kwargs)

    monkeypatch.setattr(fastnn.mlp, "train", spy)
    rng = np.random.default_rng(0)
    X, y = rng.random((300, 100)), rng.integers(0, 3, 300)
    fastnn.MLPClassifier((64,), max_iter=2, tol=None, random_state=0).fit(X, y)
    assert seen == [{1}]
