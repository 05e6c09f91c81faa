"""The scripts under scripts/ run and report what they promise."""

import importlib.util
import pathlib
import re

import numpy as np
import pytest

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent / "scripts"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore::fastnn.ConvergenceWarning")
def test_lecture_network_script_reports_accuracies(capsys):
    _load("lecture_network").main(["--iterations", "200"])
    out = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    threshold_test = float(re.search(r"radius threshold .* test (\d\.\d+)", out).group(1))
    assert accuracy > 0.85 and 0.9 < threshold_test < 1.0
    assert "loss curve (mean BCE): [0]" in out


@pytest.mark.filterwarnings("ignore::fastnn.ConvergenceWarning")
def test_pipeline_surfaces_script_times_both(capsys):
    pytest.importorskip("sklearn")
    result = _load("pipeline_surfaces").main(
        ["--resolution", "9", "--repeats", "1", "--loop-points", "5"]
    )
    out = capsys.readouterr().out
    assert set(result["per_surface"]) == {
        ("train", "loss"),
        ("train", "accuracy"),
        ("test", "loss"),
        ("test", "accuracy"),
    }
    assert "fastnn.loss_surfaces, 9 x 9" in out and "scikit-learn per-point loop" in out
    assert result["loop_seconds"] > 0


@pytest.mark.filterwarnings("ignore::fastnn.ConvergenceWarning")
def test_fractal_trainability_script_zooms_into_the_boundary(tmp_path):
    script = _load("fractal_trainability")
    png = tmp_path / "fractal.png"
    result = script.main(
        ["--resolution", "12", "--zoom-resolution", "8", "--steps", "60", "--png", str(png)]
    )
    maps = result["maps"]
    assert png.stat().st_size > 0 and len(maps) == 3
    for outer, inner in zip(maps, maps[1:], strict=False):
        # each zoom lies inside the box before it, on the paper's axes (rates / a_l^2)
        assert outer.a[0] <= inner.a[0] < inner.a[-1] <= outer.a[-1]
        assert outer.b[0] <= inner.b[0] < inner.b[-1] <= outer.b[-1]
    assert maps[0].diverged.any() and not maps[0].diverged.all()
    X, y, estimator, (a0, a1) = script.paper_problem()
    assert X.shape == (272, 16) and estimator.biases is False
    assert (a0, a1) == pytest.approx((np.sqrt(2 / 16), 1 / 16))


def test_gpu_surfaces_script_checks_and_reports(tmp_path, capsys):
    """The prepared GPU measurement runs end to end at tiny sizes (simulator in CI)."""
    pytest.importorskip("numba_cuda", reason="the GPU script needs numba-cuda: .[cuda]")
    pytest.importorskip("fastnn.cuda.surface", exc_type=ImportError)
    out = tmp_path / "gpu.json"
    _load("gpu_surfaces").main(["--quick", "--repeats", "1", "--only", "bce", "--json", str(out)])
    import json

    report = json.loads(out.read_text())
    assert {row["dtype"] for row in report["rows"]} == {"float32", "float64"}
    assert all(row["fastnn_cuda_s"][0] > 0 and row["cpu_s_scaled"] > 0 for row in report["rows"])
    assert "bce    float64  G=6  fastnn cuda" in capsys.readouterr().out


def _bench_json(path, benchmarks):
    import json

    rows = [
        {"name": f"test_x[{variant}]", "group": group, "params": {"variant": variant},
         "stats": {"median": median, "min": median}, "extra_info": extra}
        for group, variant, median, extra in benchmarks
    ]  # fmt: skip
    path.write_text(json.dumps({"benchmarks": rows}))
    return str(path)


def test_bench_report_combines_runs_with_their_spread(tmp_path, capsys):
    busy = {"idle_seconds": 1.0, "busy_seconds": 2.5, "busy_over_idle": 2.5, "choice": "omp"}
    runs = [
        _bench_json(
            tmp_path / f"run{i}.json",
            [
                ("g", "fastnn-numba", 1.0, {}),
                ("g", "fastnn-numpy", ref, {}),
                ("g", "torch-cpu", peer, {}),
                ("busy-w", "fastnn-numba", 1.0, busy),
            ],
        )  # fmt: skip
        for i, (ref, peer) in enumerate([(4.0, 2.0), (6.0, 3.0), (5.0, 1.5)])
    ]
    out = tmp_path / "table.md"
    assert _load("bench_report").main([*runs, "--markdown", str(out), "--variants", "^g$"]) == 0
    table = out.read_text()
    assert "| g | fastnn-numpy | 3 | 5 s | **5.00x** (4.00-6.00) |" in table
    # the median of the three runs' ratios, then their range
    assert (
        "| g | 3 | 1 s | 5 s | torch-cpu: 2 s | **5.0x** (4.0-6.0) | **2.00x** (1.50-3.00) |"
        in (table)
    )
    assert "| w | omp | 1 s | 2.5 s | **2.50x** (2.50-2.50) |" in table


def test_topology_cost_script_measures_both_stages(tmp_path, capsys):
    pytest.importorskip("cripser")
    pytest.importorskip("zarr")
    result = _load("topology_cost").main(["--grid", "41", "--store", str(tmp_path / "s.zarr")])
    assert set(result) == {"surface", "topology"}
    assert result["topology"]["basins"] >= 1 and result["surface"]["seconds"] > 0
    assert "topology:" in capsys.readouterr().out


def test_refined_trainability_script_compares_with_the_dense_map(tmp_path, capsys):
    result = _load("refined_trainability").main(
        [
            "--coarse",
            "9",
            "--levels",
            "3",
            "--compare",
            "2",
            "--steps",
            "40",
            "--width",
            "6",
            "--png",
            str(tmp_path / "r.png"),
        ]  # fmt: skip
    )
    equal, wrong, inferred, _, _ = result["compare"]
    assert equal and wrong <= 0.02 * inferred
    assert "points trained of" in capsys.readouterr().out
    assert (tmp_path / "r.png").stat().st_size > 0


@pytest.mark.filterwarnings("ignore::fastnn.ConvergenceWarning")
def test_paper_conditions_script_measures_each_condition_and_tables_a_saved_run(tmp_path, capsys):
    script = _load("paper_conditions")
    for name in script.CONDITIONS:  # every condition is a valid problem
        X, y, estimator, params, ranges = script.condition_problem(name)
        assert X.shape[0] == {"identity": 16, "single": 1}.get(name, 272)
        assert estimator.solver == ("minibatch" if name == "minibatch" else "gd")
    out = tmp_path / "conditions.json"
    rows = script.main(["--only", "identity,single", "--coarse", "9", "--levels", "1",
                        "--frames", "2", "--json", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    for name in ("identity", "single"):
        row = rows[name]
        assert len(row["frames"]) == 2 and row["low"] <= row["median"] <= row["high"]
        assert 0.9 < row["median"] < 2.0 and f"| {name} | **{row['median']:.2f}**" in printed
    table = script.markdown_table(rows)
    assert table in printed
    script.main(["--table", str(out)])  # the same table from the saved run
    assert capsys.readouterr().out.strip() == table
