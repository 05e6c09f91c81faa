"""GPU loss surfaces (device="cuda") against the CPU kernel and PyTorch CUDA: issue 18's table.

Workloads (a random plane, seeded; values checked against PyTorch before timing):
- ``bce``: a logistic model's cross-entropy, N = 100,000 samples, 4000 x 4000 grid;
- ``mnist``: the 784-128-10 relu softmax network on MNIST-shaped data, N = 10,000,
  201 x 201 grid (as bench/test_bench_network_surface.py, at the issue's grid).
For each, float32 and float64:
- ``fastnn-cuda``: the surface engine's tiles on the GPU, from a fresh evaluation, so
  the uploads and a network's first-layer products are included;
- ``transfer``: the same uploads and the values' copy back, timed alone (their share of
  the fastnn time is the "transfer share");
- ``torch-cuda-row``: PyTorch on the same GPU, one batched evaluation per grid row
  (``torch.matmul`` over the row's stack of weight matrices);
- ``cpu``: fastnn's CPU kernel on ``--cpu-rows`` rows, scaled to the grid (on a GPU
  machine this is its CPU, not the 2-core machine of bench/RESULTS.md: the ratio to
  that one uses the per-point times recorded there).

Usage (on a machine with an NVIDIA GPU, after ``pip install -e ".[cuda]"``):
    python scripts/gpu_surfaces.py --repeats 3 --json gpu.json
    python scripts/gpu_surfaces.py --quick        # tiny sizes: a smoke run (simulator too)
    python scripts/gpu_surfaces.py --cpu-only --cpu-rows 8   # the CPU side, on any machine
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from fastnn._codes import RELU, SOFTMAX_LOG_LOSS
from fastnn.grid import Evaluation, evaluate_tile, plan_tiles
from fastnn.layout import MLPLayout

FULL = {
    "bce": {"n": 100_000, "grid": 4000},
    "mnist": {"n": 10_000, "grid": 201, "sizes": (784, 128, 10)},
}
QUICK = {
    "bce": {"n": 64, "grid": 6},
    "mnist": {"n": 24, "grid": 3, "sizes": (12, 8, 3)},
}


def _bce_problem(n, grid):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 20))
    w = rng.normal(size=20)
    y = (X @ w + rng.normal(size=n) > 0).astype(float)
    z0, zu, zv = X @ w, X @ rng.normal(size=20), X @ rng.normal(size=20)
    axis = np.linspace(-1.0, 1.0, grid)
    return {"kind": "bce", "arrays": (z0, zu, zv, y), "codes": (), "a": axis, "b": axis}


def _mnist_problem(n, grid, sizes):
    rng = np.random.default_rng(0)
    layout = MLPLayout(sizes)
    X = rng.random((n, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    center = layout.initial_theta(rng, "normal")
    u, v = rng.standard_normal((2, layout.n_params))
    u *= np.linalg.norm(center) / np.linalg.norm(u) * 0.5
    v *= np.linalg.norm(center) / np.linalg.norm(v) * 0.5
    axis = np.linspace(-1.0, 1.0, grid)
    arrays = (X, Y, center, u, v, layout.sizes)
    return {
        "kind": "network",
        "arrays": arrays,
        "codes": (RELU, SOFTMAX_LOG_LOSS),
        "a": axis,
        "b": axis,
    }


def _evaluation(problem, dtype, device):
    arrays = problem["arrays"]
    rounded = 4 if problem["kind"] == "bce" else 5
    arrays = (*(np.asarray(x, dtype) for x in arrays[:rounded]), *arrays[rounded:])
    return Evaluation(
        problem["kind"], "numba", problem["a"], problem["b"], arrays, problem["codes"],
        device=device,
    )  # fmt: skip


def _surface(evaluation, rows=None):
    """The tiles of the evaluation's default plan, in order: all, or those that start in the
    first ``rows`` rows.  Returns (values, tiles in the plan, rows computed)."""
    tiles = plan_tiles(evaluation)
    out = np.full(evaluation.shape, np.nan)
    done = 0
    for (r0, r1), (c0, c1) in tiles:
        if rows is not None and r0 >= rows:
            break
        evaluate_tile(evaluation, (r0, r1), (c0, c1), out[r0:r1, c0:c1])
        done = r1
    return out, len(tiles), done


def _synchronized(torch):
    if torch is not None and torch.cuda.is_available():
        torch.cuda.synchronize()


def _time(run, repeats, torch=None):
    times = []
    for _ in range(repeats):
        _synchronized(torch)
        start = time.perf_counter()
        result = run()
        _synchronized(torch)
        times.append(time.perf_counter() - start)
    return times, result


def _transfer(evaluation):
    """Uploads of the evaluation's data and the grid's copy back, alone."""
    from numba import cuda

    start = time.perf_counter()
    for x in evaluation.arrays:
        cuda.to_device(np.ascontiguousarray(x))
    device_values = cuda.device_array(evaluation.shape, np.float64)
    device_values.copy_to_host()
    cuda.synchronize()
    return time.perf_counter() - start


def _torch_peer(problem, dtype):
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    device = torch.device("cuda")
    tdtype = torch.float32 if dtype == "float32" else torch.float64
    a = problem["a"]
    b = torch.tensor(problem["b"], dtype=tdtype, device=device)
    if problem["kind"] == "bce":
        z0, zu, zv, y = (torch.tensor(x, dtype=tdtype, device=device) for x in problem["arrays"])

        def run():
            out = np.empty((a.size, b.numel()))
            with torch.no_grad():
                for i, ai in enumerate(a):
                    z = (z0 + float(ai) * zu) + b[:, None] * zv
                    losses = torch.nn.functional.binary_cross_entropy_with_logits(
                        z, y.expand_as(z), reduction="none"
                    )
                    out[i] = losses.mean(-1).double().cpu().numpy()
            return out

        return run, torch
    X, Y, center, u, v, sizes = problem["arrays"]
    Xt, Yt = (torch.tensor(x, dtype=tdtype, device=device) for x in (X, Y))
    c, ut, vt = (torch.tensor(w, dtype=tdtype, device=device) for w in (center, u, v))
    sizes = [int(s) for s in sizes]

    def loss(thetas):
        h, position = Xt, 0
        for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            W = thetas[:, position : position + fan_in * fan_out].reshape(-1, fan_in, fan_out)
            position += fan_in * fan_out
            h = torch.matmul(h, W) + thetas[:, None, position : position + fan_out]
            position += fan_out
            if l < len(sizes) - 2:
                h = torch.relu(h)
        return -(torch.log_softmax(h, dim=-1) * Yt).sum(-1).mean(-1)

    def run():
        out = np.empty((a.size, b.numel()))
        with torch.no_grad():
            for i, ai in enumerate(a):
                out[i] = loss(c + float(ai) * ut + b[:, None] * vt).double().cpu().numpy()
        return out

    return run, torch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--cpu-rows", type=int, default=2, help="the CPU kernel computes the tiles of these rows"
    )
    parser.add_argument("--only", choices=("bce", "mnist"), help="one workload")
    parser.add_argument("--json", help="write the measurements to this file")
    parser.add_argument(
        "--cpu-only", action="store_true", help="time the CPU kernel only (no GPU needed)"
    )
    args = parser.parse_args(argv)

    from fastnn.cuda import require_gpu

    gpu = None if args.cpu_only else require_gpu()
    specs = QUICK if args.quick else FULL
    problems = {
        "bce": lambda: _bce_problem(**specs["bce"]),
        "mnist": lambda: _mnist_problem(**specs["mnist"]),
    }
    rows = []
    for name, build in problems.items():
        if args.only and name != args.only:
            continue
        problem = build()
        for dtype in ("float32", "float64"):
            if args.cpu_only:
                rows.append(_cpu_row(problem, name, dtype, args.cpu_rows, args.repeats))
                continue
            _surface(_evaluation(problem, dtype, "cuda"), rows=1)  # compile
            times, (values, n_tiles, _) = _time(
                lambda p=problem, d=dtype: _surface(_evaluation(p, d, "cuda")), args.repeats
            )
            transfer = _transfer(_evaluation(problem, dtype, "cpu"))
            cpu_evaluation = _evaluation(problem, dtype, "cpu")
            _surface(cpu_evaluation, rows=1)  # compile
            start = time.perf_counter()
            cpu_values, _, cpu_rows = _surface(cpu_evaluation, rows=args.cpu_rows)
            cpu_seconds = (time.perf_counter() - start) * problem["a"].size / cpu_rows
            rtol = 1e-4 if dtype == "float32" else 1e-10
            np.testing.assert_allclose(values[:cpu_rows], cpu_values[:cpu_rows], rtol=rtol)
            row = {
                "workload": name,
                "dtype": dtype,
                "grid": int(problem["a"].size),
                "tiles": n_tiles,
                "fastnn_cuda_s": times,
                "transfer_s": transfer,
                "cpu_s_scaled": cpu_seconds,
            }
            peer = _torch_peer(problem, dtype)
            if peer is not None:
                run, torch = peer
                expected = run()
                np.testing.assert_allclose(values, expected, rtol=rtol)
                row["torch_cuda_row_s"] = _time(run, args.repeats, torch)[0]
            rows.append(row)
            _print(row)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"gpu": gpu, "rows": rows}, handle, indent=1)
    print(f"GPU: {gpu}")


def _cpu_row(problem, name, dtype, cpu_rows, repeats):
    """The CPU kernel alone: the default tiles that start in the first ``cpu_rows`` rows,
    their seconds scaled to the whole grid, per repeat."""
    evaluation = _evaluation(problem, dtype, "cpu")
    _surface(evaluation, rows=1)  # compile
    times, (_, _, rows) = _time(lambda: _surface(evaluation, rows=cpu_rows), repeats)
    scale = problem["a"].size / rows
    row = {"workload": name, "dtype": dtype, "grid": int(problem["a"].size), "rows": rows,
           "cpu_s_scaled": [t * scale for t in times]}  # fmt: skip
    spread = ", ".join(f"{t:.1f}" for t in row["cpu_s_scaled"])
    print(f"{name:6s} {dtype}  G={row['grid']}  cpu ({rows} rows, scaled) {spread} s", flush=True)
    return row


def _print(row):
    best = min(row["fastnn_cuda_s"])
    spread = ", ".join(f"{t:.3f}" for t in row["fastnn_cuda_s"])
    line = (
        f"{row['workload']:6s} {row['dtype']}  G={row['grid']}  fastnn cuda {spread} s  "
        f"transfer {row['transfer_s']:.3f} s ({row['transfer_s'] / best:.0%})  "
        f"cpu {row['cpu_s_scaled']:.1f} s (x{row['cpu_s_scaled'] / best:.0f})"
    )
    if "torch_cuda_row_s" in row:
        torch_best = min(row["torch_cuda_row_s"])
        line += f"  torch row {torch_best:.3f} s (fastnn x{torch_best / best:.1f})"
    print(line, flush=True)


if __name__ == "__main__":
    main()
