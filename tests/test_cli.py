"""The fastnn command: demo, surface and bench end to end; bad input exits 2 in one line."""

import pathlib
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import fastnn
from fastnn import data
from fastnn.cli import load_data, main
from fastnn.surface import Surface

DEMO_FIGURES = [
    "linear_data",
    "linear_fit",
    "gd_1d",
    "gd_2d",
    "linear_surface_3d",
    "linear_surface_contour",
    "linear_gd_loss",
    "linear_gd_fit",
    "logistic_data",
    "logistic_surface_3d",
    "logistic_surface_contour",
    "logistic_before",
    "logistic_loss",
    "logistic_after",
    "network_data",
    "network_before",
    "network_loss",
    "network_after",
    "network_surface",
    "network_surface_pca",
    "network_hessian_spectrum",
    "network_convexity",
    "network_trainability",
    "network_learning_rates",
    "connect_profile",
    "connect_plane",
    "linear_learning_rates",
]


def _fastnn(*args, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "fastnn.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_demo_quick_writes_every_figure_and_the_index(tmp_path):
    out = tmp_path / "demo"
    result = _fastnn("demo", "--quick", "--out", str(out), "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "ProjectionWarning" not in result.stderr  # no path drawn on a plane it is off
    report = result.stdout
    for heading in ("1. Linear regression", "2. Gradient descent", "3. Logistic", "4. Neural"):
        assert heading in report
    # estimated parameters are printed, next to the true ones
    assert re.search(r"OLS\s+intercept \d+\.\d{3}\s+slope 2\.\d{3}", report)
    assert "lr 0.4    1, -3.8, -4.76, -4.952, -4.99" in report
    assert re.search(r"GD   theta \[-?\d\.\d{3}, [34]\.\d{3}\]", report)
    accuracy = float(re.search(r"4\. Neural.*?test accuracy (\d\.\d+)", report, re.S)[1])
    assert 0.85 < accuracy < 0.97
    # the last line says whether the times include numba's compilation
    done = report.strip().splitlines()[-1]
    assert re.search(r"\d+ kernels? compiled on this run|loaded from numba's cache", done), done
    index = (out / "index.html").read_text()
    from matplotlib.image import imread
    from PIL import Image

    # the animation of the network's descent: one frame per drawn step, in the page
    with Image.open(out / "network_descent.gif") as gif:
        assert gif.n_frames >= 20 and gif.size[0] > 200
    assert 'src="network_descent.gif"' in index
    # the interactive surface (the test extra has Plotly): a self-contained page, framed
    page = (out / "network_surface_interactive.html").read_text()
    assert "Plotly.newPlot" in page and "<script src=" not in page
    assert '<iframe src="network_surface_interactive.html"' in index

    for name in DEMO_FIGURES:
        png = out / f"{name}.png"
        assert png.exists(), name
        image = imread(png)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200
        assert image[..., :3].std() > 0.02, f"{name} is blank"
        assert f'src="{name}.png"' in index
    assert (
        index.index("linear_data.png")
        < index.index("gd_1d.png")
        < index.index("logistic_data.png")
        < index.index("network_data.png")
    )


def test_surface_command_matches_loss_surface(tmp_path):
    X, y = data.blobs(300, seed=3)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    out, png = tmp_path / "s.npz", tmp_path / "s.png"
    code = main(
        [
            "surface", "--model", "logistic", "--data", str(tmp_path / "d.npz"),
            "--params", "w1", "w2", "--resolution", "9", "7", "--span", "2", "3",
            "--out", str(out), "--png", str(png), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    surface = Surface.load(out)
    model = fastnn.LogisticRegression(
        solver="gd", learning_rate_init=1.0, max_iter=1000, record_trajectory=True
    ).fit(X, y)
    direct = fastnn.loss_surface(
        model, X, y, params=("w1", "w2"), span=(2.0, 3.0), resolution=(9, 7)
    )
    np.testing.assert_array_equal(surface.values, direct.values)
    np.testing.assert_array_equal(surface.a, direct.a)
    assert png.stat().st_size > 1000
    assert not list(tmp_path.glob(".fastnn-*"))  # no temporary files left
    logarithmic = tmp_path / "log.png"
    args = ["surface", "--model", "logistic", "--data", str(tmp_path / "d.npz"), "--resolution",
            "9", "--png", str(logarithmic), "--log", "--no-progress"]  # fmt: skip
    assert main(args) == 0 and logarithmic.stat().st_size > 1000


def test_surface_command_prints_a_summary(capsys):
    assert main(["surface", "--model", "linear", "--resolution", "21", "--no-progress"]) == 0
    line = capsys.readouterr().out.strip()
    assert re.match(r"surface 21 x 21 \(linear, params, mean squared error\): 441 points", line)
    assert "evaluations/s" in line and "min " in line and "centre " in line


def test_accuracy_surface_from_the_command_line(tmp_path, capsys):
    X, y = data.blobs(300, seed=3)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    out = tmp_path / "a.npz"
    args = ["surface", "--model", "logistic", "--data", str(tmp_path / "d.npz")]
    common = ["--resolution", "9", "--no-progress", "--params", "w1", "w2", "--span", "3"]
    assert main([*args, *common, "--metric", "accuracy", "--out", str(out)]) == 0
    line = capsys.readouterr().out
    assert "(logistic, params, accuracy)" in line and " max " in line
    surface = Surface.load(out)
    model = fastnn.LogisticRegression(solver="gd", learning_rate_init=1.0, max_iter=1000).fit(X, y)
    assert surface.metric == "accuracy" and surface.info["data"] == "d.npz"
    assert surface.center_loss == model.score(X, y)
    direct = fastnn.loss_surface(
        model, X, y, params=("w1", "w2"), span=3.0, resolution=9, metric="accuracy"
    )
    np.testing.assert_array_equal(surface.values, direct.values)


def test_curvature_from_the_command_line(tmp_path, capsys):
    X, y = data.blobs(300, seed=3)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    out = tmp_path / "c.npz"
    args = ["surface", "--model", "logistic", "--data", str(tmp_path / "d.npz")]
    common = ["--resolution", "5", "--no-progress", "--directions", "hessian"]
    assert main([*args, *common, "--metric", "max_eigenvalue", "--out", str(out)]) == 0
    line = capsys.readouterr().out
    assert "(logistic, hessian, max eigenvalue)" in line
    surface = Surface.load(out)
    model = fastnn.LogisticRegression(solver="gd", learning_rate_init=1.0, max_iter=1000).fit(X, y)
    top = fastnn.hessian_eigs(model, X, y, k=2)
    assert surface.center_loss == pytest.approx(top.values[0], rel=1e-12)
    np.testing.assert_allclose(surface.directions, top.vectors, rtol=1e-9, atol=1e-12)


def test_csv_header_names_the_weights(tmp_path, capsys):
    X, y = data.blobs(60, seed=2)
    rows = "\n".join(
        f"{a:.17g},{b:.17g},{'yes' if t else 'no'}" for (a, b), t in zip(X, y, strict=True)
    )
    (tmp_path / "d.csv").write_text("hours,sleep,passed\n" + rows + "\n")
    common = ["surface", "--model", "logistic", "--data", str(tmp_path / "d.csv"), "--no-progress"]
    named, numbered = tmp_path / "named.npz", tmp_path / "numbered.npz"
    assert main([*common, "--params", "intercept", "sleep", "--out", str(named)]) == 0
    assert main([*common, "--params", "0", "w2", "--out", str(numbered)]) == 0
    assert "sleep = " in capsys.readouterr().out
    by_name, by_number = Surface.load(named), Surface.load(numbered)
    assert by_name.labels == by_number.labels == ("intercept", "sleep")
    np.testing.assert_array_equal(by_name.values, by_number.values)
    assert main([*common, "--params", "intercept", "slep"]) == 2
    assert "a feature's name ('hours', 'sleep')" in capsys.readouterr().err


def test_csv_data(tmp_path):
    X, y = data.blobs(50, seed=0)
    rows = "\n".join(",".join(f"{v:.17g}" for v in (*x, t)) for x, t in zip(X, y, strict=True))
    (tmp_path / "d.csv").write_text("x1,x2,y\n" + rows + "\n")
    X2, y2 = load_data(str(tmp_path / "d.csv"))
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["surface", "--model", "tree"], "invalid choice: 'tree'"),
        (["surface", "--model", "linear", "--resolution", "1"], "resolution must be an int >= 2"),
        (["surface", "--model", "linear", "--data", "missing.npz"], "no such file: missing.npz"),
        (["surface", "--model", "linear", "--data", "{bad_csv}"], "row 2 is not all numbers"),
        (["surface", "--model", "linear", "--data", "{ragged_csv}"], "row 2 has 3 columns"),
        (["surface", "--model", "linear", "--data", "{npz_without_y}"], "needs arrays 'X' and 'y'"),
        (["surface", "--model", "logistic", "--params", "w1", "w9"], "unknown parameter name 'w9'"),
        (["surface", "--model", "linear", "--span", "1", "2", "3"], "--span takes 1 value"),
        (["surface", "--model", "linear", "--out", "s.txt"], "write the surface as .zarr"),
        (["surface", "--model", "linear", "--dtype", "float32"], "--model mlp and logistic only"),
        (["surface", "--model", "mlp", "--dtype", "float16"], "invalid choice: 'float16'"),
        (["surface", "--model", "linear", "--metric", "accuracy"], "linear is a regression"),
        (["surface", "--model", "mlp", "--metric", "auc"], "invalid choice: 'auc'"),
        (["demo", "--seed", "x"], "invalid int value: 'x'"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, message):
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n3,oops\n")
    (tmp_path / "ragged.csv").write_text("1,2\n3,4,5\n")
    np.savez(tmp_path / "noy.npz", X=np.zeros((3, 2)))
    files = {
        "{bad_csv}": tmp_path / "bad.csv",
        "{ragged_csv}": tmp_path / "ragged.csv",
        "{npz_without_y}": tmp_path / "noy.npz",
    }
    args = [str(files.get(a, a)) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fastnn: error: "), err
    assert re.search(re.escape(message), err), err


def test_float32_on_a_linear_model_leaves_an_existing_result_alone(tmp_path, capsys):
    out = tmp_path / "r.npy"
    args = ["surface", "--model", "linear", "--resolution", "5", "--out", str(out)]
    assert main([*args, "--no-progress"]) == 0
    before = np.load(out).copy()
    assert main([*args, "--dtype", "float32", "--force"]) == 2
    np.testing.assert_array_equal(np.load(out), before)


@pytest.mark.parametrize("model", ["logistic", "mlp"])
def test_float32_surface_from_the_command_line(tmp_path, model):
    paths = {dtype: tmp_path / f"{dtype}.npz" for dtype in ("float64", "float32")}
    for dtype, path in paths.items():
        args = ["surface", "--model", model, "--resolution", "6", "--iterations", "20"]
        assert main([*args, "--dtype", dtype, "--out", str(path), "--no-progress"]) == 0
    single, double = (fastnn.Surface.load(paths[d]) for d in ("float32", "float64"))
    assert single.info["dtype"] == "float32" and double.info["dtype"] == "float64"
    np.testing.assert_allclose(single.values, double.values, rtol=1e-4)


def test_bad_input_from_the_console_script_has_no_traceback():
    result = _fastnn("surface", "--model", "linear", "--resolution", "1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_interrupted_surface_leaves_no_output(tmp_path, monkeypatch):
    import fastnn.surface as surface_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(surface_module.Surface, "save", lambda self, path: (
        pathlib.Path(path).write_bytes(b"partial"), interrupted()))  # fmt: skip
    out = tmp_path / "s.npz"
    code = main(["surface", "--model", "linear", "--resolution", "5", "--out", str(out)])
    assert code == 130
    assert not out.exists() and not list(tmp_path.iterdir())


def test_bench_quick_prints_a_table(capsys):
    assert main(["bench", "--quick"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if re.search(r"\d\.\dx ", line)]
    from fastnn.cases import CASES

    assert len(rows) == 5 + len(CASES)  # the workloads, then every kernel of the case table
    for row in rows:
        agree = float(row.split()[-1])
        assert agree < 1e-8, row


# -- the command trains what it is given (issue 14) ------------------------------------------
def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"fastnn {fastnn.__version__}"


def test_a_diverging_training_run_exits_3_before_any_surface(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, 200)
    path = tmp_path / "mine.csv"
    np.savetxt(path, np.c_[x, 3 + 2 * x + rng.normal(size=200)], delimiter=",", header="x,y")
    out = tmp_path / "s.npz"
    args = ["surface", "--model", "linear", "--data", str(path), "--resolution", "8"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "training diverged, no surface computed" in err
    assert "Lower --lr" in err and "--standardize the data" in err and not out.exists()
    assert main([*args, "--out", str(out), "--no-progress", "--standardize"]) == 0
    # given --standardize, a divergence does not suggest it
    assert main([*args, "--no-progress", "--standardize", "--lr", "50"]) == 3
    err = capsys.readouterr().err
    assert "training diverged" in err and "--standardize" not in err


def test_training_settings_from_the_command_line(tmp_path, capsys):
    args = ["surface", "--model", "mlp", "--resolution", "6", "--no-progress"]
    settings = ["--solver", "adam", "--lr", "0.01", "--iterations", "7", "--batch-size", "50"]
    assert main([*args, *settings, "--activation", "tanh", "--hidden", "4"]) == 0
    X, y = fastnn.lecture.network_data(0)
    net = fastnn.lecture.network_model(
        solver="adam",
        learning_rate_init=0.01,
        max_iter=7,
        batch_size=50,
        activation="tanh",
        hidden_layer_sizes=(4,),
        random_state=0,
        record_trajectory=1,
    ).fit(X, y)
    centre = float(capsys.readouterr().out.rsplit("centre ", 1)[1])
    assert centre == pytest.approx(net.loss_, rel=1e-5)  # printed with 6 digits
    assert main(["surface", "--model", "linear", "--activation", "tanh"]) == 2
    assert main(["surface", "--model", "logistic", "--solver", "adam"]) == 2
    assert main(["surface", "--model", "linear", "--lr", "-1"]) == 2


def test_trainability_from_the_command_line(tmp_path, capsys):
    out, png = tmp_path / "t.npz", tmp_path / "t.png"
    args = ["trainability", "--resolution", "4", "3", "--iterations", "20", "--no-progress"]
    ranges = ["--ranges", "1e-2", "1e3", "1e-2", "1e3", "--hidden", "4"]
    assert main([*args, *ranges, "--out", str(out), "--png", str(png)]) == 0
    line = capsys.readouterr().out
    assert re.match(r"trainability 4 x 3 \(MLPClassifier 2-4-1, gd, 20 epochs\): 12 runs", line)
    saved = np.load(out)
    X, y = fastnn.lecture.network_data(0)
    settings = dict(solver="gd", max_iter=20, tol=None, init="normal", random_state=0)
    estimator = fastnn.MLPClassifier((4,), "sigmoid", learning_rate_init=0.5, **settings)
    direct = fastnn.trainability(estimator, X, y, ranges=((1e-2, 1e3), (1e-2, 1e3)),
                                 resolution=(4, 3))  # fmt: skip
    np.testing.assert_array_equal(saved["values"], direct.values)
    np.testing.assert_array_equal(saved["divergence_epoch"], direct.divergence_epoch)
    assert png.stat().st_size > 0
    assert main([*args, *ranges, "--out", str(out)]) == 2  # exists: not replaced
    assert "exists; pass --force" in capsys.readouterr().err
    assert main([*args, "--params", "momentum", "init_scale"]) == 2
    assert "solver='momentum'" in capsys.readouterr().err


def test_connect_from_the_command_line(tmp_path, capsys):
    png = tmp_path / "plane.png"
    quick = ["--iterations", "200", "--epochs", "10", "--points", "9", "--resolution", "11"]
    assert main(["connect", *quick, "--png", str(png)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("two networks (seeds 0 and 1,")
    names = ["straight line:", "line, weights aligned:", "bezier curve (10 epochs, "]
    for line, name in zip(lines[1:], names, strict=True):
        assert line.strip().startswith(name)
    X, y = fastnn.lecture.network_data(0)
    X_test, y_test = fastnn.lecture.network_data(0, test=True)
    settings = dict(solver="gd", max_iter=200, learning_rate_init=1.0, tol=None, init="normal")
    a, b = (fastnn.MLPClassifier((10,), "sigmoid", random_state=s, **settings).fit(X, y)
            for s in (0, 1))  # fmt: skip
    line = fastnn.linear_barrier(a, b, X, y, data={"test": (X_test, y_test)}, resolution=9)
    assert f"train {line.loss_barrier['train']:.4g}" in lines[1]
    assert png.stat().st_size > 0
    assert main(["connect", *quick, "--png", str(png)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err


def test_connect_loads_two_saved_models(tmp_path, capsys):
    import joblib

    X, y = fastnn.lecture.network_data(0)
    settings = dict(solver="gd", max_iter=100, learning_rate_init=1.0, tol=None, init="normal")
    for seed in (3, 4):
        model = fastnn.MLPClassifier((6,), "tanh", random_state=seed, **settings).fit(X, y)
        joblib.dump(model, tmp_path / f"m{seed}.joblib")
    files = [str(tmp_path / "m3.joblib"), str(tmp_path / "m4.joblib")]
    assert main(["connect", "--models", *files, "--epochs", "3", "--points", "5"]) == 0
    assert capsys.readouterr().out.startswith("two networks (loaded,")
    joblib.dump({"not": "a model"}, tmp_path / "dict.joblib")
    (tmp_path / "text.joblib").write_text("hello")
    for bad, message in (
        ([files[0], str(tmp_path / "dict.joblib")], "holds a dict, not a fastnn MLPClassifier"),
        ([files[0], str(tmp_path / "text.joblib")], "is not a saved model"),
        ([files[0], str(tmp_path / "missing")], "does not exist"),
    ):
        assert main(["connect", "--models", *bad, "--epochs", "1"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert main(["connect", "--models", *files, "--regression"]) == 2
    assert "not a fastnn MLPRegressor" in capsys.readouterr().err
    assert main(["connect", "--models", *files, "--curve-lr", "1e8", "--epochs", "3"]) == 3
    assert "training the curve diverged" in capsys.readouterr().err


def test_a_refined_trainability_map_from_the_command_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    path = tmp_path / "paper.npz"
    np.savez(path, X=rng.normal(size=(72, 8)), y=rng.normal(size=72))
    png = tmp_path / "refined.png"
    args = ["trainability", "--data", str(path), "--regression", "--hidden", "8", "--activation",
            "tanh", "--resolution", "9", "--iterations", "60", "--ranges", "1e-2", "1e3",
            "1e-2", "1e3", "--no-progress"]  # fmt: skip
    assert main([*args, "--refine", "3", "--dimension", "--png", str(png)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert re.match(r"trainability refined to 65 x 65 \(MLPRegressor 8-8-1, gd, 60 epochs\): "
                    r"\d+ runs of 4225 \(.*; per round 81, ", out[0])  # fmt: skip
    assert re.match(r"boundary dimension \d\.\d+ \+- \d\.\d+ \(box counting", out[1])
    assert png.stat().st_size > 0
    out = str(tmp_path / "refined.zarr")  # a directory: a manifest and a store per round
    assert main([*args, "--refine", "2", "--out", out]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert main([*args, "--refine", "2", "--out", out]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main([*args, "--refine", "2", "--out", out, "--resume"]) == 0
    again = capsys.readouterr().out.splitlines()[0]
    assert again.split(" in ")[0] == first.split(" in ")[0]
    loaded = fastnn.RefinedTrainabilityMap.load(out)
    assert loaded.shape == (33, 33) and f"{loaded.n_trained} runs of 1089" in first
    assert main([*args, "--refine", "-1"]) == 2
    assert "refine must be an integer >= 0" in capsys.readouterr().err


def test_a_zoom_from_the_command_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    path = tmp_path / "paper.npz"
    np.savez(path, X=rng.normal(size=(72, 8)), y=rng.normal(size=72))
    gif = tmp_path / "zoom.gif"
    args = ["trainability", "--data", str(path), "--regression", "--hidden", "8", "--activation",
            "tanh", "--resolution", "9", "--iterations", "60", "--ranges", "1e-2", "1e3",
            "1e-2", "1e3", "--no-progress", "--zoom", "3"]  # fmt: skip
    assert main([*args, "--refine", "2", "--gif", str(gif), "--dimension"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("frame 0: scale 1, learning_rate_init[0] in [0.01, 1000]")
    assert out[-1].startswith("3 frames in") and sum(line.startswith("frame") for line in out) == 3
    assert gif.stat().st_size > 0
    for extra, message in (([], "give --refine"), (["--refine", "2", "--gif", str(gif)], "exists")):
        assert main([*args, *extra]) == 2
        assert message in capsys.readouterr().err
    assert main([*args[:-2], "--gif", str(gif)]) == 2
    assert "--gif writes the frames of --zoom" in capsys.readouterr().err


def test_python_dash_m_fastnn_is_the_command():
    result = subprocess.run(
        [sys.executable, "-m", "fastnn", "trainability", "--help"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "--refine" in result.stdout


def test_integer_targets_of_an_mlp_surface_hint_at_regression_and_regression_maps_them(
    tmp_path, capsys
):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = np.round(40 * X[:, 0] + 10 * X[:, 1]).astype(int)  # about 100 distinct values
    rows = "\n".join(f"{a:.17g},{b:.17g},{t}" for (a, b), t in zip(X, y, strict=True))
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows + "\n")
    common = ["surface", "--model", "mlp", "--data", str(tmp_path / "d.csv"), "--no-progress",
              "--resolution", "3", "--iterations", "3", "--lr", "0.01"]  # fmt: skip
    main([*common, "--out", str(tmp_path / "classes.npz")])
    err = capsys.readouterr().err
    assert "pass --regression if they are values" in err and "UserWarning" not in err
    assert main([*common, "--regression", "--out", str(tmp_path / "values.npz")]) == 0
    assert "--regression" not in capsys.readouterr().err
    assert Surface.load(tmp_path / "values.npz").info["loss"] == "mean squared error"
    assert main([*common, "--regression", "--metric", "accuracy"]) == 2
    assert "--regression maps a squared error" in capsys.readouterr().err
    assert main(["surface", "--model", "logistic", "--regression"]) == 2


def test_every_option_of_every_command_says_what_it_does():
    import argparse

    from fastnn.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    silent = [
        f"{name} {action.option_strings[0]}"
        for name, command in commands.choices.items()
        for action in command._actions
        if action.option_strings and not action.help
    ]
    assert not silent


def test_the_linear_surface_centres_on_the_closed_form_and_trainability_standardizes(
    tmp_path, capsys
):
    out = tmp_path / "ols.npz"
    args = ["surface", "--model", "linear", "--solver", "ols", "--resolution", "5",
            "--no-progress", "--out", str(out), "--png", str(tmp_path / "ols.png")]  # fmt: skip
    assert main(args) == 0
    X, y = fastnn.lecture.gd_data(0)
    expected = np.linalg.lstsq(np.c_[np.ones(len(X)), X], y, rcond=None)[0]
    np.testing.assert_allclose(Surface.load(out).center, expected, rtol=1e-12)
    assert "below the centre" not in capsys.readouterr().err  # the exact minimum
    assert main(["surface", "--model", "mlp", "--solver", "ols", "--no-progress"]) == 2
    assert "--solver ols is the closed form of --model linear" in capsys.readouterr().err
    assert main([*args, "--lr", "0.1", "--force"]) == 2
    assert "--solver ols solves in closed form: --lr do not apply" in capsys.readouterr().err
    # trainability on standardized features: the same as on features standardized by hand
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 30.0, size=(40, 2))
    y = (X[:, 0] > 5.0).astype(int)
    np.savez(tmp_path / "raw.npz", X=X, y=y)
    scaled = (X - X.mean(axis=0)) / X.std(axis=0)
    np.savez(tmp_path / "scaled.npz", X=scaled, y=y)
    common = ["trainability", "--resolution", "3", "--iterations", "5", "--hidden", "3",
              "--no-progress"]  # fmt: skip
    assert main([*common, "--data", str(tmp_path / "raw.npz"), "--standardize",
                 "--out", str(tmp_path / "a.npz")]) == 0  # fmt: skip
    assert main([*common, "--data", str(tmp_path / "scaled.npz"),
                 "--out", str(tmp_path / "b.npz")]) == 0  # fmt: skip
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        np.testing.assert_allclose(a["values"], b["values"], rtol=1e-12)
        np.testing.assert_allclose(a["convergence"], b["convergence"], rtol=1e-12)


def test_a_resumed_surface_reports_its_own_points_and_rate(tmp_path, capsys, monkeypatch):
    original = fastnn.loss_surface  # in tiles of 4 rows (the command sizes them by cost)
    monkeypatch.setattr(fastnn, "loss_surface", lambda *a, **k: original(*a, **k, tile_rows=4))
    out = tmp_path / "s.npy"
    args = ["surface", "--model", "linear", "--resolution", "16", "--no-progress",
            "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    whole = capsys.readouterr().out
    assert whole.startswith("surface 16 x 16 (linear, params, mean squared error): 256 points")
    record = tmp_path / "s.npy.tiles"
    lines = record.read_text().splitlines(keepends=True)
    record.write_text("".join(lines[:-1]))  # the last tile not recorded: computed again
    assert main([*args, "--resume"]) == 0
    line = capsys.readouterr().out
    computed = int(re.search(r"\): (\d+) points in", line)[1])
    assert computed == 4 * 16 and "(192 read back from --out)" in line


def test_test_data_is_mapped_on_the_training_plane(tmp_path, capsys):
    """--test-data: the held-out loss and accuracy on exactly the training surface's grid."""
    from fastnn import lecture

    X, y = data.blobs(300, seed=4)
    X_test, y_test = data.blobs(120, seed=5)
    train, test, out = tmp_path / "train.csv", tmp_path / "test.csv", tmp_path / "s.npz"
    np.savetxt(train, np.c_[X, y], delimiter=",")
    np.savetxt(test, np.c_[X_test, y_test], delimiter=",")
    args = ["surface", "--model", "logistic", "--data", str(train), "--resolution", "9"]
    assert main([*args, "--test-data", str(test), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out.splitlines()
    plane = Surface.load(out).plane
    model = lecture.logistic_gd_model().fit(*load_data(str(train)))
    expected = fastnn.loss_surfaces(model, {"test": load_data(str(test))},
                                    metrics=("loss", "accuracy"), plane=plane)  # fmt: skip
    for (_, metric), surface in expected.items():
        what = "accuracy" if metric == "accuracy" else surface.info["loss"]
        (line,) = [p for p in printed if p.startswith(f"test data {what}:")]
        best = surface.values.max() if metric == "accuracy" else surface.values.min()
        assert f"{'max' if metric == 'accuracy' else 'min'} {best:.6g} at" in line, line
        assert line.endswith(f"centre {surface.center_loss:.6g}"), line
    np.savetxt(test, np.c_[X_test, X_test[:, 0], y_test], delimiter=",")
    assert main([*args, "--test-data", str(test), "--no-progress"]) == 2
    assert "3 feature columns, the training data 2" in capsys.readouterr().err
    np.savetxt(test, np.c_[X_test, y_test], delimiter=",")
    assert main([*args, "--test-data", str(test), "--metric", "min_eigenvalue"]) == 2
    assert "not with --metric min_eigenvalue" in capsys.readouterr().err
