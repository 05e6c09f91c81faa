"""The scripts under scripts/ run and report what they promise."""

import importlib.util
import pathlib
import re

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
