"""Results that promise independence of the thread count, checked bit for bit on two threads.

numba's thread pool is sized when numba starts, so a machine (or CI runner) with one core
would compare one thread with itself.  These tests run in a fresh process started with
``NUMBA_NUM_THREADS=2``, so two threads really run, wherever the suite runs.
"""

import json
import os
import subprocess
import sys

import numpy as np

SCRIPT = """
import json, numba, numpy as np, fastnn
from fastnn import kernels, lecture
from fastnn._training import linear_state, mlp_settings, mlp_state
from fastnn._builds import linear_threaded, mlp_threaded, training_loop
from fastnn.layout import MLPLayout

assert numba.config.NUMBA_NUM_THREADS == 2, numba.config.NUMBA_NUM_THREADS
out = {}
# loss surfaces: every grid point's value depends on its coordinates only
X, y = lecture.logistic_data()
logistic = fastnn.LogisticRegression(max_iter=50).fit(X, y)
Xd, yd = lecture.network_data()
net = lecture.network_model(max_iter=20).fit(Xd, yd)
# a wide network: sample-major points, dot products and a BLAS later layer (70 x 70)
rng = np.random.default_rng(1)
Xw = rng.normal(size=(1300, 6))
yw = rng.integers(0, 3, 1300)
wide = fastnn.MLPClassifier((70, 70), activation="relu", max_iter=2, random_state=0).fit(Xw, yw)
models = {"logistic": (logistic, X, y), "network": (net, Xd, yd), "wide network": (wide, Xw, yw)}
for name, (model, Xs, ys) in models.items():
    for threads in (1, 2):
        s = fastnn.loss_surface(model, Xs, ys, directions="random", random_state=0,
                                resolution=(9, 8), threads=threads)
        out[f"surface {name} {threads}"] = s.values.tolist()
    assert numba.get_num_threads() == 2  # restored
for threads in (1, 2):  # a curvature map: a dense Hessian of HVPs per point
    c = fastnn.curvature_surface(net, Xd, yd, resolution=(4, 3), random_state=0, threads=threads)
    out[f"curvature {threads}"] = c.max_eigenvalue.tolist() + c.min_eigenvalue.tolist()
# the threaded training builds: fixed chunks added in a fixed order
rng = np.random.default_rng(0)
Xl = rng.normal(size=(60_000, 3))
yl = (Xl @ [1.0, -2.0, 0.5] > 0) * 1.0
assert linear_threaded(60_000, 3)
gd = training_loop(kernels, "linear_gd", threaded=True)
layout = MLPLayout((3, 40, 40, 1))
assert mlp_threaded(layout.sizes, 3000)
train = training_loop(kernels, "mlp_train", threaded=True)
theta0 = layout.initial_theta(rng)
table = np.array([[1.0, 0.0], [6.0, 0.0]])  # tanh, then silu (it keeps pre-activations)
for threads in (1, 2):
    numba.set_num_threads(threads)
    theta = np.zeros(4)
    curve = np.empty(3)
    gd(Xl, yl, theta, 1, 0.5, 0.0, True, curve, np.empty((0, 4)), 1, linear_state(theta))
    out[f"linear {threads}"] = theta.tolist() + curve.tolist()
    theta = theta0.copy()
    curve = np.empty(3)
    train(Xl[:3000], yl[:3000, None], theta, layout.sizes, table, 1,
          mlp_settings(optimizer=0, lr=0.1, batch_size=3000),
          np.empty((0, 3000), np.int64), mlp_state(theta), curve, np.empty((0, theta.size)), 1)
    out[f"mlp {threads}"] = theta.tolist() + curve.tolist()
    # Hessian-vector products: groups of chunks (network) and of samples (linear)
    V = np.random.default_rng(5).normal(size=(2, layout.n_params))
    hv = kernels.mlp_hvp(Xl[:20_000], yl[:20_000, None], theta0, layout.sizes, table, 1, 0.1,
                         V, np.empty(V.shape), np.empty((0, 0)), False)
    Vl = np.random.default_rng(6).normal(size=(3, 4))
    hl = kernels.linear_hvp(Xl, yl, np.r_[0.1, 1.0, -1.0, 0.3], 1, 0.0, Vl, np.empty(Vl.shape))
    out[f"hvp {threads}"] = hv.ravel().tolist() + hl.ravel().tolist()
print(json.dumps(out))
"""


def test_one_thread_equals_two_bit_for_bit():
    env = {**os.environ, "NUMBA_NUM_THREADS": "2"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    values = json.loads(result.stdout.strip().splitlines()[-1])
    names = (
        "surface logistic",
        "surface network",
        "surface wide network",
        "linear",
        "mlp",
        "hvp",
        "curvature",
    )
    for name in names:
        one, two = np.array(values[f"{name} 1"]), np.array(values[f"{name} 2"])
        assert np.isfinite(one).all()
        np.testing.assert_array_equal(one, two, err_msg=name)
