"""Loss surfaces through Dask: 2 local worker processes vs in-process, same cores.

Both variants compute the same logistic surface (N = 1000 blobs, random plane); the
cluster's result must equal the in-process one bit for bit before it is timed.  The
ratio measures the engine's cost (scatter, task scheduling, shipping tiles back), not a
speed-up: the two workers use the same two cores numba's threads use in-process.
Skipped without dask.distributed.
"""

import numpy as np
import pytest

import fastnn
from fastnn import data

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize(
    "grid", [pytest.param(2000, marks=pytest.mark.slow, id="G2000"), pytest.param(60, id="G60")]
)
@pytest.mark.parametrize("variant", ["in-process", "dask-2-workers"])
def test_logistic_surface_through_dask(benchmark, client, variant, grid):
    X, y = data.blobs(1000, seed=0)
    model = fastnn.LogisticRegression(solver="gd", max_iter=100).fit(X, y)
    kw = dict(directions="random", random_state=0, resolution=grid, progress=False)
    benchmark.group = f"surface-bce-dask-N1000-G{grid}"
    expected = fastnn.loss_surface(model, X, y, **kw).values
    extra = dict(client=client) if variant == "dask-2-workers" else {}
    run = lambda: fastnn.loss_surface(model, X, y, **kw, **extra).values  # noqa: E731
    np.testing.assert_array_equal(run(), expected)
    benchmark.pedantic(run, rounds=3, iterations=1)
