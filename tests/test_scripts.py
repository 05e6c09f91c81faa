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


def test_lecture_script_reports_every_section(capsys):
    _load("lecture").main(["--seed", "1"])
    out = capsys.readouterr().out
    for heading in (
        "1. Linear regression",
        "2. Gradient descent",
        "3. Logistic regression",
        "4. Neural network",
    ):
        assert heading in out
    network_accuracy = float(re.search(r"4\. Neural.*?test accuracy (\d\.\d+)", out, re.S)[1])
    assert network_accuracy > 0.93
    assert "lr 0.4    1, -3.8, -4.76, -4.952, -4.99" in out
    assert "<- diverging" in out
    assert re.search(r"OLS\s+intercept \d+\.\d{3}\s+slope 2\.\d{3}", out)


@pytest.mark.filterwarnings("ignore::fastnn.ConvergenceWarning")
def test_lecture_network_script_reports_accuracies(capsys):
    _load("lecture_network").main(["--iterations", "200"])
    out = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    threshold_test = float(re.search(r"radius threshold .* test (\d\.\d+)", out).group(1))
    assert accuracy > 0.85 and 0.9 < threshold_test < 1.0
    assert "loss curve (mean BCE): [0]" in out
