"""Interactive figures (Plotly) and the learning-rate widget: what they draw is the data."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("plotly")

import fastnn
from fastnn import interactive, lecture
from fastnn.cli import main
from fastnn.exceptions import ProjectionWarning


@pytest.fixture(scope="module")
def linear():
    X, y = lecture.gd_data(0)
    gd = lecture.linear_gd_model().fit(X, y, theta0=lecture.LINEAR_GD_START)
    # An uneven grid (13 x 17) so that a transposed drawing could not pass.
    surface = fastnn.loss_surface(
        gd, X, y, params=("intercept", "w1"), span=((-3, 3), (1, 7)), resolution=(13, 17)
    )
    return X, y, gd, surface


def _traces(fig, kind, name=None):
    return [t for t in fig.data if t.type == kind and (name is None or t.name == name)]


def test_values_are_drawn_where_they_belong(linear):
    _, _, _, surface = linear
    fig = surface.to_plotly()
    (surf,) = _traces(fig, "surface")
    (contour,) = _traces(fig, "contour")
    # Plotly draws z[row][col] at (x[col], y[row]): rows follow b.
    np.testing.assert_array_equal(surf.x, surface.a)
    np.testing.assert_array_equal(surf.y, surface.b)
    np.testing.assert_array_equal(np.asarray(surf.z), surface.values.T)
    np.testing.assert_array_equal(np.asarray(contour.z), surface.values.T)
    np.testing.assert_array_equal(np.asarray(contour.customdata), surface.values.T)
    i, j = surface.argmin()
    (best,) = _traces(fig, "scatter", "grid minimum")
    assert (best.x[0], best.y[0]) == (surface.a[i], surface.b[j])
    (centre,) = _traces(fig, "scatter", "centre")
    np.testing.assert_allclose([centre.x[0], centre.y[0]], surface.center[:2], rtol=0, atol=0)
    assert fig.layout.xaxis.title.text == "intercept"
    assert fig.layout.scene.zaxis.title.text == "mean squared error"


def test_a_path_is_its_projection_and_its_heights_the_given_losses(linear):
    X, y, gd, surface = linear
    losses = np.r_[gd.loss_curve_, gd.loss_]
    fig = surface.to_plotly(gd.trajectory_, losses=losses)
    (path,) = _traces(fig, "scatter", "optimiser path")
    np.testing.assert_array_equal(np.c_[path.x, path.y], surface.project(gd.trajectory_))
    (path3d,) = [t for t in _traces(fig, "scatter3d") if t.name == "optimiser path"]
    np.testing.assert_array_equal(path3d.z, losses)
    assert "the model's loss" in path3d.hovertemplate
    nearest = surface.to_plotly(gd.trajectory_)
    (path3d,) = [t for t in _traces(nearest, "scatter3d") if t.name == "optimiser path"]
    assert "nearest grid point" in path3d.hovertemplate
    with pytest.raises(ValueError, match="losses: expected one per step"):
        surface.to_plotly(gd.trajectory_, losses=losses[:-1])


def test_a_path_off_the_plane_is_labelled_a_projection():
    X, y = lecture.network_data(0)
    net = lecture.network_model(max_iter=50, record_trajectory=5).fit(X[:300], y[:300])
    plane = fastnn.loss_surface(net, X[:300], y[:300], directions="random", resolution=9)
    with pytest.warns(ProjectionWarning):
        fig = plane.to_plotly(net.trajectory_)
    assert any("projected" in (t.name or "") for t in fig.data)


def test_several_paths_each_get_a_trace(linear):
    X, y, gd, surface = linear
    slow = lecture.linear_gd_model(learning_rate_init=0.01).fit(
        X, y, theta0=lecture.LINEAR_GD_START
    )
    fig = surface.to_plotly({"lr 0.05": gd.trajectory_, "lr 0.01": slow.trajectory_})
    names = {t.name for t in _traces(fig, "scatter")}
    assert {"lr 0.05: optimiser path", "lr 0.01: optimiser path"} <= names
    with pytest.raises(ValueError, match="single path"):
        surface.to_plotly([gd.trajectory_, slow.trajectory_], losses=gd.loss_curve_)


def test_log_colours_need_positive_values(linear):
    _, _, _, surface = linear
    fig = surface.to_plotly(log=True)
    (contour,) = _traces(fig, "contour")
    np.testing.assert_allclose(np.asarray(contour.z), np.log10(surface.values.T), rtol=1e-15)
    negative = fastnn.Surface(surface.a, surface.b, -surface.values, surface.center,
                              surface.directions, 0.0, surface.params)  # fmt: skip
    with pytest.raises(ValueError, match="log=True needs positive values"):
        negative.to_plotly(log=True)


def test_big_grids_are_drawn_at_a_stride(linear):
    _, _, _, surface = linear
    fig = surface.to_plotly(max_points=5)
    (surf,) = _traces(fig, "surface")
    np.testing.assert_array_equal(np.asarray(surf.z), surface.values[::3, ::4].T)


def test_write_html_is_self_contained_and_never_replaces_by_surprise(linear, tmp_path):
    _, _, _, surface = linear
    fig = surface.to_plotly()
    path = tmp_path / "surface.html"
    assert interactive.write_html(fig, path) == str(path)
    page = path.read_text()
    assert "<script src=" not in page  # Plotly's script is inside, no network needed
    assert "Plotly.newPlot" in page
    path.write_text("mine")
    with pytest.raises(ValueError, match="exists; pass overwrite=True"):
        interactive.write_html(fig, path)
    assert path.read_text() == "mine"
    interactive.write_html(fig, path, overwrite=True)
    assert "Plotly.newPlot" in path.read_text()
    with pytest.raises(ValueError, match="written as .html"):
        interactive.write_html(fig, tmp_path / "surface.png")
    with pytest.raises(ValueError, match="does not exist"):
        interactive.write_html(fig, tmp_path / "missing" / "s.html")


def test_trainability_map_shows_converged_and_diverged_runs():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(8, 6)), rng.normal(size=8)
    model = fastnn.MLPRegressor((7,), "tanh", solver="gd", max_iter=60, tol=None,
                                random_state=0)  # fmt: skip
    tmap = fastnn.trainability(model, X, y, resolution=(6, 5),
                               ranges=((1e-2, 50.0), (1e-2, 50.0)))  # fmt: skip
    assert tmap.diverged.any() and (~tmap.diverged).any()
    fig = tmap.to_plotly()
    blue, red = _traces(fig, "heatmap")
    z_blue, z_red = np.asarray(blue.z, dtype=float), np.asarray(red.z, dtype=float)
    diverged = tmap.diverged.T
    assert np.isnan(z_blue[diverged]).all() and np.isnan(z_red[~diverged]).all()
    np.testing.assert_allclose(z_red[diverged], tmap.divergence_epoch.T[diverged])
    np.testing.assert_allclose(10 ** z_blue[~diverged], tmap.convergence.T[~diverged])
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.title.text == tmap.labels[0]


def test_missing_plotly_is_one_line_saying_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    with pytest.raises(ImportError, match=r'pip install "fastnn\[interactive\]"'):
        interactive.require_plotly()


def test_import_fastnn_loads_no_plotly():
    code = "import sys, fastnn; print('plotly' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_the_commands_write_html(tmp_path, capsys):
    page = tmp_path / "s.html"
    args = ["surface", "--model", "linear", "--resolution", "11", "--no-progress"]
    assert main([*args, "--html", str(page)]) == 0
    assert "Plotly.newPlot" in page.read_text()
    capsys.readouterr()
    assert main([*args, "--html", str(page)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main([*args, "--html", str(tmp_path / "s.png")]) == 2
    assert "name it FILE.html" in capsys.readouterr().err
    tmap = tmp_path / "t.html"
    common = ["trainability", "--resolution", "4", "--iterations", "5", "--no-progress"]
    assert main([*common, "--html", str(tmap)]) == 0
    assert "Plotly.newPlot" in tmap.read_text()
    assert main([*common, "--refine", "1", "--html", str(tmp_path / "r.html")]) == 2
    assert "not with --refine" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_the_html_option_needs_plotly_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    page = tmp_path / "s.html"
    assert main(["surface", "--model", "linear", "--html", str(page)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "fastnn[interactive]"' in err
    assert not page.exists()


def test_the_learning_rate_slider_retrains_and_redraws(linear):
    pytest.importorskip("ipywidgets")
    pytest.importorskip("anywidget")
    from fastnn.widgets import learning_rate_explorer

    X, y, _, surface = linear
    model = lecture.linear_gd_model()
    box = learning_rate_explorer(model, X, y, surface=surface, theta0=lecture.LINEAR_GD_START,
                                 rates=[0.01, 0.05, 0.5])  # fmt: skip
    slider, figure = box.children
    for rate in (0.01, 0.5, 0.05):
        slider.value = rate
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fastnn.DivergenceWarning)
            fit = lecture.linear_gd_model(learning_rate_init=rate).fit(
                X, y, theta0=lecture.LINEAR_GD_START
            )
        path = figure.data[-1]
        np.testing.assert_array_equal(np.c_[path.x, path.y], surface.project(fit.trajectory_))
        title = figure.layout.title.text
        assert ("diverged" in title) == (fit.n_iter_ < 100), title
    assert model.get_params()["learning_rate_init"] == 0.05  # the model itself is untouched
    with pytest.raises(ValueError, match="rates: expected at least 2"):
        learning_rate_explorer(model, X, y, surface=surface, rates=[0.1])
