"""The opt-in 512-bit vector setting (FASTNN_WIDE_VECTORS=1): takes effect, same numbers."""

import json
import os
import subprocess
import sys

import llvmlite.binding as llvm
import numpy as np
import pytest

import fastnn
from fastnn import data, kernels

SCRIPT = """
import json, numpy as np, fastnn, numba
from fastnn import data, kernels
from fastnn._numba import WIDE_VECTOR_FEATURES
z = np.linspace(-40, 40, 1001)
X, y = data.blobs(300, seed=0)
model = fastnn.LogisticRegression(max_iter=50).fit(X, y)
print(json.dumps({
    "features": numba.config.CPU_FEATURES,
    "enabled": WIDE_VECTOR_FEATURES is not None,
    "sigmoid": kernels.sigmoid(z, np.empty_like(z)).tolist(),
    "theta": model.theta_.tolist(),
}))
"""


def _run(env_value):
    env = {**os.environ, "FASTNN_WIDE_VECTORS": env_value}
    env.pop("NUMBA_CPU_FEATURES", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


HAS_AVX512 = bool(llvm.get_host_cpu_features().get("avx512f", False))


def test_wide_vectors_only_where_the_cpu_has_them():
    wide = _run("1")
    assert wide["enabled"] is HAS_AVX512
    assert wide["features"].endswith("-prefer-256-bit") is HAS_AVX512


@pytest.mark.skipif(not HAS_AVX512, reason="no AVX-512: the setting changes nothing to compare")
def test_wide_vectors_change_no_result():
    wide = _run("1")
    assert wide["features"].endswith("-prefer-256-bit")
    z = np.linspace(-40, 40, 1001)
    np.testing.assert_allclose(
        wide["sigmoid"], kernels.sigmoid(z, np.empty_like(z)), rtol=1e-15, atol=0
    )
    X, y = data.blobs(300, seed=0)
    here = fastnn.LogisticRegression(max_iter=50).fit(X, y)
    np.testing.assert_allclose(wide["theta"], here.theta_, rtol=1e-12)


def test_off_by_default():
    default = _run("")
    assert default["enabled"] is False


def test_too_late_is_reported(monkeypatch):
    from fastnn import _numba

    monkeypatch.setenv("FASTNN_WIDE_VECTORS", "1")
    with pytest.warns(RuntimeWarning, match="numba was imported before fastnn"):
        assert _numba._enable_wide_vectors() is None
