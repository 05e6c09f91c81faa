"""Running a grid's tiles as tasks on a Dask cluster (``client=`` of every map function).

The :class:`~fastnn.grid.Evaluation` (data and plane) is scattered to every
worker once; each task is :func:`tile_task`, the same pure
:func:`~fastnn.grid.evaluate_tile` the local loop runs, so the values are
identical bit for bit.  Tasks are retried on failure, and a tile reaches ``out`` only
whole: the client writes each finished tile in one assignment, or, for a Zarr store,
the worker writes the tile's own chunk (chunks are tiles, so writers never overlap).

Threads: every task sets numba's thread count to the host's cores divided by the Dask
threads on that host (at least 1), so Dask threads x numba threads never exceed the
cores; e.g. 2 single-threaded workers on 2 cores run 1 numba thread each.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import numba

from fastnn._numba import available_cpus, thread_pool_size
from fastnn.grid._evaluation import compute_tile

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType
    from typing import Any


RETRIES = 3


def require_dask() -> ModuleType:
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "client= runs tiles on a Dask cluster and needs dask.distributed: "
            'pip install "fastnn[dask]" (or pip install "dask[distributed]")'
        ) from None
    return distributed


def _host(address: str) -> str:
    return urlparse(address).hostname or address


def dask_threads_per_host(client) -> dict[str, int]:
    """Dask worker threads per host, from the scheduler."""
    threads: dict[str, int] = {}
    for address, info in client.scheduler_info()["workers"].items():
        host = _host(address)
        threads[host] = threads.get(host, 0) + int(info.get("nthreads", 1))
    return threads


def numba_threads_for(dask_threads_on_host: int) -> int:
    """Numba threads per task so that Dask threads x numba threads <= the host's cores."""
    cores = available_cpus()
    return max(1, min(thread_pool_size(), cores // max(dask_threads_on_host, 1)))


def tile_task(evaluation, rows, cols, threads_per_host, writer=None):
    """One tile on a worker, with numba's threads fitted to the worker's host.

    With a ``writer`` (a Zarr store's) the worker writes the tile's chunk itself and
    returns only the writer's summary, so values never travel through the client.
    """
    from distributed import get_worker

    host = _host(get_worker().address)
    previous = numba.get_num_threads()
    numba.set_num_threads(numba_threads_for(threads_per_host.get(host, 1)))
    try:
        return compute_tile(evaluation, rows, cols, writer=writer)
    finally:
        numba.set_num_threads(previous)


def on_cluster(client, task=tile_task):
    """The executor that runs tiles as tasks on the Dask cluster of ``client``.

    See :func:`fastnn.grid.run`; ``task`` is the function each task runs
    (replaced in tests to inject failures).
    """
    distributed = require_dask()
    return lambda evaluation, tiles, todo, finish, writer=None: run_on_cluster(
        client, evaluation, tiles, todo, finish, task, distributed, writer
    )


def run_on_cluster(client, evaluation, tiles, todo, finish, task, distributed, writer=None):
    """Submit the tiles ``todo`` as tasks; ``finish(k, result)`` each as it completes."""
    shared = client.scatter(evaluation, broadcast=True, hash=False)
    threads = dask_threads_per_host(client)
    futures = {
        client.submit(task, shared, *tiles[k], threads, writer, retries=RETRIES, pure=False): k
        for k in todo
    }
    try:
        for future in distributed.as_completed(futures):
            finish(futures[future], future.result())
    finally:
        for future in futures:
            future.cancel()


@contextlib.contextmanager
def _sigint_ignored():
    """SIGINT ignored for the duration (processes started meanwhile inherit that)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client for the surface engine; closes the client and any cluster it started.

    ``workers``: a local cluster of that many single-threaded worker processes;
    ``scheduler``: connect to the scheduler at that address (5 s timeout).

    Raises
    ------
    ImportError
        Without dask.distributed (``pip install "fastnn[dask]"``).
    ConnectionError
        When the cluster cannot be started or reached.
    """
    distributed = require_dask()
    cluster = client = None
    try:
        try:
            if workers is not None:
                # The workers inherit an ignored SIGINT: Ctrl-C reaches this process only,
                # which closes the cluster (each worker used to print a traceback).
                with _sigint_ignored():
                    cluster = distributed.LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                        # A cancelled task's warning is not news after Ctrl-C, nor is a
                        # worker's "failed to communicate with scheduler during heartbeat"
                        # (logged at ERROR when the scheduler closes first: a race that
                        # broke the one-line Ctrl-C message once in CI).  Task errors
                        # still reach the client as exceptions.
                        silence_logs=logging.CRITICAL,
                    )
                client = distributed.Client(cluster)
            else:
                client = distributed.Client(scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConnectionError(
                f"cannot connect to {scheduler or 'a local cluster'}: {exc}"
            ) from None
        yield client
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
