"""Trainability maps: every grid point is a separate fit with its hyperparameters."""

import json
import os
import socket
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import data


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 5))
    return X, rng.normal(size=16)


def _fit(estimator, X, y, **changes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastnn.FastnnWarning)
        return type(estimator)(**{**estimator.get_params(), **changes}).fit(X, y)


@pytest.mark.parametrize(
    ("solver", "params", "ranges"),
    [
        ("gd", ("learning_rate_init[0]", "learning_rate_init[1]"), ((1e-2, 20.0), (1e-2, 20.0))),
        ("momentum", ("learning_rate_init", "momentum"), ((1e-2, 5.0), (0.0, 0.95))),
        ("sgd", ("init_scale", "learning_rate_init"), ((0.2, 5.0), (1e-3, 1.0))),
    ],
)
def test_every_point_is_a_separate_fit(problem, solver, params, ranges):
    X, y = problem
    estimator = fastnn.MLPRegressor(
        (6,), "tanh", solver=solver, max_iter=40, tol=None, random_state=3, batch_size=4
    )
    scale = "linear" if "momentum" in params else "log"
    tmap = fastnn.trainability(estimator, X, y, params=params, ranges=ranges, scale=scale,
                               resolution=(7, 6))  # fmt: skip
    assert tmap.diverged.any() and not tmap.diverged.all()
    # (6, 0) of the first map is left out: layer 0 at rate 20 trains chaotically there, and
    # a rounding difference grows to 1.5% of the final loss in 40 epochs.
    for i, j in [(0, 0), (3, 2), (6, 5), (5, 1), (0, 5), (4, 4), (2, 3)]:
        changes = {}
        for name, value in zip(params, (tmap.a[i], tmap.b[j]), strict=True):
            if name.startswith("learning_rate_init["):
                rates = list(changes.get("learning_rate_init", (0.001, 0.001)))
                rates[int(name[-2])] = value
                changes["learning_rate_init"] = tuple(rates)
            else:
                changes[name] = value
        fitted = _fit(estimator, X, y, **changes)
        # Not bit for bit: the map trains grid points in SIMD lanes, fit one network with
        # its own summation order (these points are off the chaotic edge of stability).  A
        # diverged run's loss is that of an iterate on its way out, where each step
        # multiplies the rounding differences: 1e-9 there.
        rel = 1e-9 if tmap.diverged[i, j] else 1e-12
        assert tmap.values[i, j] == pytest.approx(fitted.loss_, rel=rel)
        if tmap.diverged[i, j]:
            assert tmap.divergence_epoch[i, j] == fitted.n_iter_ < 40
        else:
            assert fitted.n_iter_ == 40
            curve = fitted.loss_curve_
            assert tmap.convergence[i, j] == pytest.approx(curve.mean() / curve[0], rel=1e-12)


def test_tiles_threads_repeats_and_backends_agree(problem):
    X, y = problem
    estimator = fastnn.MLPRegressor((6,), "tanh", solver="gd", max_iter=30, tol=None,
                                    random_state=1)  # fmt: skip
    options = dict(ranges=((1e-2, 30.0), (1e-2, 30.0)), resolution=(6, 5))
    whole = fastnn.trainability(estimator, X, y, **options)
    rows = fastnn.trainability(estimator, X, y, tile_rows=1, threads=1, **options)
    again = fastnn.trainability(estimator, X, y, **options)
    for other in (rows, again):
        np.testing.assert_array_equal(other.values, whole.values)
        np.testing.assert_array_equal(other.convergence, whole.convergence)
        np.testing.assert_array_equal(other.divergence_epoch, whole.divergence_epoch)
    numpy = fastnn.trainability(estimator, X, y, backend="numpy", **options)
    stable = ~whole.diverged
    np.testing.assert_allclose(numpy.values[stable], whole.values[stable], rtol=1e-9)
    np.testing.assert_array_equal(numpy.diverged, whole.diverged)


def test_a_classifier_with_the_training_tol(problem):
    X, y = data.donut(60, seed=2)
    estimator = fastnn.MLPClassifier((4,), "relu", solver="gd", max_iter=200, tol=1e-3,
                                     random_state=0)  # fmt: skip
    tmap = fastnn.trainability(estimator, X, y, params=("learning_rate_init", "init_scale"),
                               ranges=((1e-3, 50.0), (0.1, 3.0)), resolution=5)  # fmt: skip
    for i, j in [(0, 0), (2, 3), (4, 4)]:
        fitted = _fit(estimator, X, y, learning_rate_init=tmap.a[i], init_scale=tmap.b[j])
        assert tmap.values[i, j] == pytest.approx(fitted.loss_, rel=1e-12)
    fig = tmap.plot()
    assert fig.axes[0].get_xscale() == "log"
    rect = fastnn.trainability(estimator, X, y, params=("learning_rate_init", "init_scale"),
                               ranges=((1e-3, 50.0), (0.1, 3.0)), resolution=(4, 3))  # fmt: skip
    mesh = rect.plot().axes[0].collections[0]
    assert mesh.get_array().shape == (3, 4)  # b along y, a along x: nothing transposed
    np.testing.assert_allclose(mesh.get_array()[1, 2], rect.convergence[2, 1])
    assert "trainability" in fig.axes[0].get_title()
    zoom = fastnn.trainability(estimator, X, y, params=("learning_rate_init", "init_scale"),
                               ranges=((1.0, 50.0), (0.5, 2.0)), resolution=4)  # fmt: skip
    from fastnn.trainability import plot_zoom

    assert len(plot_zoom([tmap, zoom]).axes) >= 2
    assert repr(tmap).startswith("TrainabilityMap(5 x 5")


def test_trainability_refusals(problem):
    X, y = problem
    gd = fastnn.MLPRegressor((4,), solver="gd", random_state=0)
    with pytest.raises(ValueError, match="'momentum' is a hyperparameter of solver='momentum'"):
        fastnn.trainability(gd, X, y, params=("momentum", "learning_rate_init"))
    with pytest.raises(ValueError, match="the network has 2 layers"):
        fastnn.trainability(gd, X, y, params=("learning_rate_init[2]", "learning_rate_init"))
    with pytest.raises(ValueError, match="does not apply to Adam"):
        fastnn.trainability(fastnn.MLPRegressor((4,)), X, y)
    with pytest.raises(ValueError, match="params must name two of"):
        fastnn.trainability(gd, X, y, params=("lr", "momentum"))
    with pytest.raises(ValueError, match="must be > 0 on a log scale"):
        fastnn.trainability(gd, X, y, ranges=((0.0, 1.0), (1e-3, 1.0)))
    with pytest.raises(TypeError, match="MLPClassifier or MLPRegressor"):
        fastnn.trainability(fastnn.LinearRegression(), X, y)


def test_a_map_streams_to_a_npy_file_and_resumes(problem, tmp_path):
    X, y = problem
    estimator = fastnn.MLPRegressor((5,), "tanh", solver="gd", max_iter=25, tol=None,
                                    random_state=2)  # fmt: skip
    options = dict(ranges=((1e-2, 30.0), (1e-2, 30.0)), resolution=(6, 4), tile_rows=1)
    path = tmp_path / "map.npy"
    first = fastnn.trainability(estimator, X, y, out=path, **options)
    assert first.info["tiles"] == 6 and first.info["tiles_computed"] == 6
    stored = np.load(path)
    assert stored.shape == (6, 4, 4)
    np.testing.assert_array_equal(stored[:, :, 0], first.values)
    np.testing.assert_array_equal(stored[:, :, 2], first.divergence_epoch)
    np.testing.assert_array_equal(stored[:, :, 3], first.last_losses)
    # an interrupted run: the record lost its last two marks
    record = path.with_name("map.npy.tiles")
    lines = record.read_text().splitlines(keepends=True)
    record.write_text("".join(lines[:-2]))
    resumed = fastnn.trainability(estimator, X, y, out=path, resume=True, **options)
    assert resumed.info["tiles_computed"] == 2
    np.testing.assert_array_equal(resumed.values, first.values)
    np.testing.assert_array_equal(resumed.convergence, first.convergence)
    with pytest.raises(ValueError, match="exists"):
        fastnn.trainability(estimator, X, y, out=path, **options)
    other = dict(options, ranges=((1e-2, 20.0), (1e-2, 30.0)))
    with pytest.raises(ValueError, match="resume"):
        fastnn.trainability(estimator, X, y, out=path, resume=True, **other)
    replaced = fastnn.trainability(estimator, X, y, out=path, overwrite=True, **other)
    assert replaced.info["tiles_computed"] == 6
    with pytest.raises(ValueError, match="resume=True continues an out= .npy file"):
        fastnn.trainability(estimator, X, y, resume=True, **options)


def test_a_points_numbers_do_not_depend_on_its_lane_or_group():
    """The kernel trains grid points side by side in SIMD lanes, in boxes of the grid: the
    same point placed elsewhere (other neighbours, lane, group, thread) gives the same bits.
    """
    from fastnn import kernels
    from fastnn.cases import CASES

    grids = (CASES["mlp_trainability"].arguments("small", seed) for seed in range(12))
    grids = [list(args) for args in grids if args[12].shape[1] == args[11].size]  # not points
    for arguments in grids[:3]:
        a, b = arguments[10], arguments[11]
        whole = kernels.mlp_trainability(*arguments)
        arguments[10], arguments[11] = a[::-1].copy(), b[1:].copy()
        arguments[12] = np.full((a.size, b.size - 1, 4), np.nan)
        moved = kernels.mlp_trainability(*arguments)
        np.testing.assert_array_equal(moved, whole[::-1, 1:])
        arguments[10], arguments[11] = a[2:3].copy(), b[::-1].copy()
        arguments[12] = np.full((1, b.size, 4), np.nan)
        alone = kernels.mlp_trainability(*arguments)
        np.testing.assert_array_equal(alone[0], whole[2, ::-1])


def test_the_first_layer_trained_through_its_pre_activations_matches_the_twin():
    """Full-batch plain and momentum steps on fewer samples than twice the inputs move the
    first layer's pre-activations by -r K D / n instead of forming its gradient: the same
    iterates in exact arithmetic, checked against the twin (which forms the gradient)."""
    from fastnn import kernels, reference
    from fastnn._codes import (
        MOMENTUM,
        SETTING_ALPHA,
        SETTING_BIASES,
        SETTING_MOMENTUM,
        SETTING_OPTIMIZER,
    )  # fmt: skip
    from fastnn.cases import CASES
    from fastnn.kernels.trainability import _keeps_first_layer

    case = CASES["mlp_trainability"]
    for seed, momentum, biases in [(0, 0.5, 1.0), (1, 0.0, 1.0), (2, 0.5, 0.0), (3, 0.0, 0.0)]:
        arguments = list(case.arguments("quick", seed))
        X, sizes, settings = arguments[0], arguments[3], arguments[6].copy()
        settings[SETTING_OPTIMIZER] = MOMENTUM
        settings[[SETTING_ALPHA, SETTING_MOMENTUM, SETTING_BIASES]] = 0.0, momentum, biases
        arguments[6] = settings
        arguments[7] = np.empty((0, X.shape[0]), np.int64)  # full batch
        assert _keeps_first_layer(X.shape[0], sizes, settings, True)
        twin_arguments = [a.copy() if isinstance(a, np.ndarray) else a for a in arguments]
        ours = kernels.mlp_trainability(*arguments)
        twin = reference.mlp_trainability(*twin_arguments)
        assert np.isfinite(ours[..., 0]).all()
        np.testing.assert_allclose(ours, twin, rtol=case.rtol, atol=case.atol)


@pytest.mark.parametrize("biases", [True, False])
def test_points_trained_through_pre_activations_equal_fit(biases):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(8, 6)), rng.normal(size=8)  # 8 samples < 2 x 6 inputs
    estimator = fastnn.MLPRegressor((7,), "tanh", solver="gd", max_iter=60, tol=None,
                                    random_state=0, biases=biases)  # fmt: skip
    tmap = fastnn.trainability(estimator, X, y, ranges=((1e-2, 50.0), (1e-2, 50.0)),
                               resolution=(6, 5))  # fmt: skip
    assert tmap.diverged.any() and not tmap.diverged.all()
    for i, j in [(0, 0), (2, 3), (4, 1), (1, 4)]:
        fitted = _fit(estimator, X, y, learning_rate_init=(tmap.a[i], tmap.b[j]))
        rel = 1e-9 if tmap.diverged[i, j] else 1e-12
        assert tmap.values[i, j] == pytest.approx(fitted.loss_, rel=rel)
        if tmap.diverged[i, j]:
            assert tmap.divergence_epoch[i, j] == fitted.n_iter_


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_scattered_points_equal_the_grids_bit_for_bit(backend):
    """The kernel's points mode: (a[k], b[k]) into out[k, 0], the grid's numbers exactly."""
    from fastnn import kernels, reference
    from fastnn.cases import CASES

    impl = kernels if backend == "numba" else reference
    grids = (CASES["mlp_trainability"].arguments("small", seed) for seed in range(12))
    arguments = next(list(args) for args in grids if args[12].shape[1] == args[11].size)
    a, b = arguments[10], arguments[11]
    whole = impl.mlp_trainability(*arguments)
    rng = np.random.default_rng(5)
    i, j = rng.integers(0, a.size, 70), rng.integers(0, b.size, 70)  # more than one group
    arguments[10], arguments[11] = a[i], b[j]
    arguments[12] = np.full((i.size, 1, 4), np.nan)
    points = impl.mlp_trainability(*arguments)
    np.testing.assert_array_equal(points[:, 0], whole[i, j])


def _paper(epochs=60):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "fractal_trainability.py"
    spec = importlib.util.spec_from_file_location("fractal_trainability", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    X, y, estimator, scales = script.paper_problem(width=8)
    ranges = tuple((lo * s**2, hi * s**2) for (lo, hi), s in zip(script.BOX, scales, strict=True))
    return X, y, estimator.set_params(max_iter=epochs), ranges


def test_a_refined_map_equals_the_dense_map_where_it_trained():
    X, y, estimator, ranges = _paper()
    params = ("learning_rate_init[0]", "learning_rate_init[1]")
    refined = fastnn.trainability(estimator, X, y, params=params, ranges=ranges,
                                  resolution=(9, 7), refine=3, progress=False)  # fmt: skip
    assert refined.shape == (65, 49)
    dense = fastnn.trainability(estimator, X, y, params=params, ranges=ranges,
                                resolution=refined.shape, progress=False)  # fmt: skip
    np.testing.assert_array_equal(refined.a, dense.a)
    np.testing.assert_array_equal(refined.b, dense.b)
    trained = refined.trained
    fields = refined.dense_fields()
    for name in ("values", "convergence", "divergence_epoch"):
        np.testing.assert_array_equal(getattr(fields, name)[trained], getattr(dense, name)[trained])
        assert np.isnan(getattr(fields, name)[~trained]).all()
    np.testing.assert_array_equal(refined.diverged[trained], dense.diverged[trained])
    wrong = int(np.sum(refined.diverged != dense.diverged))
    assert wrong <= 0.01 * (~trained).sum(), wrong  # islands smaller than a cell
    # the coarse grid is trained whole, then only what the boundary crosses
    info = refined.info
    assert info["trained_per_round"][0] == 9 * 7 and info["trained"] == refined.n_trained
    assert refined.n_trained < 0.5 * info["dense"] and 0 < dense.diverged.mean() < 1
    assert sorted(np.unique(refined.refinement.level)) == list(
        range(len(info["trained_per_round"]))
    )
    assert "points trained of 3185" in repr(refined)
    assert refined.plot().axes[0].get_title().startswith("trainability at 65 x 49")


def test_refinement_refusals(problem):
    X, y = problem
    estimator = fastnn.MLPRegressor((4,), "tanh", solver="gd", max_iter=5)
    for refine, options, message in (
        (-1, {}, "refine must be an integer >= 0"),
        (1.5, {}, "refine must be an integer"),
        (2, {"out": "nowhere", "resume": True}, "holds no refined map"),
    ):
        with pytest.raises(ValueError, match=message):
            fastnn.trainability(estimator, X, y, refine=refine, resolution=4, **options)
    plain = fastnn.trainability(estimator, X, y, refine=0, resolution=4, progress=False)
    assert isinstance(plain, fastnn.TrainabilityMap)


def test_a_refined_map_in_stores_resumes_and_loads_bit_for_bit(tmp_path, monkeypatch):
    pytest.importorskip("zarr")
    from tests._interrupts import interrupt_after

    X, y, estimator, ranges = _paper(epochs=40)
    options = dict(params=("learning_rate_init[0]", "learning_rate_init[1]"), ranges=ranges,
                   resolution=9, refine=3, progress=False, tile_rows=8)  # fmt: skip
    whole = fastnn.trainability(estimator, X, y, **options)
    out = tmp_path / "refined"
    interrupt_after(monkeypatch, 11)  # within a later round
    with pytest.raises(KeyboardInterrupt):
        fastnn.trainability(estimator, X, y, out=out, **options)
    monkeypatch.undo()
    assert (out / "refined.json").is_file() and (out / "round-0.zarr").is_dir()
    with pytest.raises(ValueError, match="exists; pass resume=True"):
        fastnn.trainability(estimator, X, y, out=out, **options)
    resumed = fastnn.trainability(estimator, X, y, out=out, resume=True, **options)
    loaded = fastnn.RefinedTrainabilityMap.load(out, verify=True)
    for other in (resumed, loaded):
        np.testing.assert_array_equal(other.refinement.points, whole.refinement.points)
        np.testing.assert_array_equal(other.refinement.fields, whole.refinement.fields)
        np.testing.assert_array_equal(other.diverged, whole.diverged)
    assert loaded.info["trained_per_round"] == whole.info["trained_per_round"]
    changed = dict(options, ranges=(ranges[0], (ranges[1][0], 2 * ranges[1][1])))
    with pytest.raises(ValueError, match="ranges differs"):
        fastnn.trainability(estimator, X, y, out=out, resume=True, **changed)
    replaced = fastnn.trainability(estimator, X, y, out=out, overwrite=True, **options)
    np.testing.assert_array_equal(replaced.diverged, whole.diverged)
    assert not (tmp_path / "refined.lock").exists()  # released
    # a live run holds the directory's lock: another spelling of it is refused, untouched
    (tmp_path / "refined.lock").write_text(
        json.dumps({"host": socket.gethostname(), "pid": os.getpid()})
    )
    link = tmp_path / "link"
    link.symlink_to(out)
    with pytest.raises(ValueError, match="being written by another fastnn run"):
        fastnn.trainability(estimator, X, y, out=link, overwrite=True, **options)
    assert (out / "round-0.zarr").is_dir() and (out / "refined.json").is_file()
    (tmp_path / "refined.lock").unlink()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a fastnn refined map"):
        fastnn.trainability(estimator, X, y, out=foreign, overwrite=True, **options)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_the_papers_measure_is_the_last_losses_mean_over_the_first(problem):
    X, y = problem
    estimator = fastnn.MLPRegressor((4,), "tanh", solver="gd", max_iter=30, tol=None,
                                    init="normal", random_state=0)  # fmt: skip
    params = ("learning_rate_init[0]", "learning_rate_init[1]")
    tmap = fastnn.trainability(estimator, X, y, params=params, ranges=((1e-2, 1e3),) * 2,
                               resolution=5, progress=False)  # fmt: skip
    assert tmap.diverged.any() and not tmap.diverged.all()
    for i, j in np.ndindex(*tmap.shape):
        fitted = _fit(estimator, X, y, learning_rate_init=(tmap.a[i], tmap.b[j]))
        if tmap.diverged[i, j]:
            assert np.isnan(tmap.last_losses[i, j])
            continue
        curve = fitted.loss_curve_
        assert tmap.last_losses[i, j] == pytest.approx(np.mean(curve[-20:]) / curve[0], rel=1e-11)
    paper = tmap.trainable("paper")
    np.testing.assert_array_equal(paper, tmap.last_losses < 1.0)
    assert not (paper & tmap.diverged).any()
    np.testing.assert_array_equal(tmap.trainable(), ~tmap.diverged)
    with pytest.raises(ValueError, match="outcome"):
        tmap.trainable("best")


def test_a_map_refined_by_the_papers_rule():
    X, y, estimator, ranges = _paper(epochs=40)
    options = dict(params=("learning_rate_init[0]", "learning_rate_init[1]"), ranges=ranges,
                   resolution=9, progress=False)  # fmt: skip
    refined = fastnn.trainability(estimator, X, y, refine=2, outcome="paper", **options)
    dense = fastnn.trainability(estimator, X, y, **dict(options, resolution=refined.shape))
    assert refined.outcome == "paper"
    trained = refined.trained
    np.testing.assert_array_equal(refined.trainable()[trained], dense.trainable("paper")[trained])
    assert np.mean(refined.trainable() != dense.trainable("paper")) < 0.02
    with pytest.raises(ValueError, match="refined by the 'paper' rule"):
        refined.trainable("fastnn")
    refined.boundary_dimension()  # by its own rule


def test_a_zoom_follows_the_boundary_and_makes_a_movie(tmp_path):
    from fastnn.zoom import save_zoom_movie, trainability_zoom

    X, y, estimator, ranges = _paper(epochs=40)
    maps = trainability_zoom(estimator, X, y, ranges=ranges, frames=3, factor=4, resolution=9,
                             refine=2, progress=False)  # fmt: skip
    assert [m.info["zoom"]["frame"] for m in maps] == [0, 1, 2]
    for outer, inner in zip(maps, maps[1:], strict=False):
        # a box 4x narrower in log units, inside the last one, on its boundary
        for axis in ("a", "b"):
            big, small = np.log10(getattr(outer, axis)), np.log10(getattr(inner, axis))
            assert big[0] < small[0] < small[-1] < big[-1]
            assert np.ptp(small) == pytest.approx(np.ptp(big) / 4, rel=1e-9)
        assert inner.trainable().any() and not inner.trainable().all()
    from fastnn.zoom import plot_zoom

    fig = plot_zoom(maps)  # refined maps outline the next box as plain maps do
    for panel, inner in zip(fig.axes, maps[1:], strict=False):
        (outline,) = [line for line in panel.get_lines() if line.get_color() == "gold"]
        np.testing.assert_array_equal(outline.get_xdata()[:2], inner.a[[0, -1]])
        np.testing.assert_array_equal(outline.get_ydata()[1:3], inner.b[[0, -1]])
    path = tmp_path / "zoom.gif"
    save_zoom_movie(maps, path)
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.n_frames == 3
    with pytest.raises(ValueError, match="exists"):
        save_zoom_movie(maps, path)
    for options, message in (({"frames": 0}, "frames"), ({"factor": 1.0}, "factor must be > 1")):
        with pytest.raises(ValueError, match=message):
            trainability_zoom(estimator, X, y, ranges=ranges, **options)
    stored = trainability_zoom(estimator, X, y, ranges=ranges, frames=2, factor=4, resolution=9,
                               refine=2, progress=False, out=tmp_path / "zoom")  # fmt: skip
    again = fastnn.RefinedTrainabilityMap.load(tmp_path / "zoom" / "frame-1")
    np.testing.assert_array_equal(again.diverged, stored[1].diverged)
    np.testing.assert_array_equal(again.a, maps[1].a)


@pytest.mark.parametrize(
    ("condition", "changes", "params", "ranges"),
    [
        ("relu", {"activation": "relu"}, None, None),
        ("identity", {"activation": "identity"}, None, None),
        ("minibatch", {"solver": "minibatch", "batch_size": 8}, None, None),
        ("one example", {}, None, None),
        ("init scale x rate", {}, ("init_scale", "learning_rate_init"), ((0.1, 10.0), (1e-2, 1e2))),
    ],
)
def test_the_papers_other_conditions_are_options_of_the_api(condition, changes, params, ranges):
    """Sohl-Dickstein's conditions besides tanh: each maps, with runs on both sides."""
    X, y, estimator, box = _paper(epochs=40)
    if condition == "one example":
        X, y = X[:1], y[:1]
    estimator.set_params(**changes)
    tmap = fastnn.trainability(estimator, X, y, params=params or ("learning_rate_init[0]",
                               "learning_rate_init[1]"), ranges=ranges or box, resolution=12,
                               progress=False)  # fmt: skip
    trainable = tmap.trainable("paper")
    assert trainable.any() and not trainable.all(), condition


def test_plot_zoom_is_reached_as_the_readme_writes_it():
    """``fastnn.trainability`` is the function, so the module's plot_zoom is re-exported."""
    from fastnn.trainability import plot_zoom as defined
    from fastnn.zoom import plot_zoom

    assert plot_zoom is defined


def test_a_map_figure_keeps_both_colour_bars_inside_the_image_and_is_not_pyplots(problem):
    """The bars were insets beyond the axes: a saved PNG lost the second bar and a label."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    X, y = problem
    estimator = fastnn.MLPRegressor((4,), "tanh", solver="gd", max_iter=30, tol=None,
                                    init="normal", random_state=0)  # fmt: skip
    tmap = fastnn.trainability(estimator, X, y, ranges=((1e-2, 30.0), (1e-2, 30.0)),
                               resolution=8, progress=False)  # fmt: skip
    assert tmap.diverged.any() and not tmap.diverged.all()
    plt.close("all")
    fig = tmap.plot()
    assert not plt.get_fignums()  # a notebook shows the returned figure once
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "epoch of divergence" in labels
    assert "convergence (mean loss / first loss)" in labels
    for ax in fig.axes:
        box = ax.get_tightbbox(canvas.get_renderer())
        assert fig.bbox.x0 - 1 <= box.x0 and box.x1 <= fig.bbox.x1 + 1, ax.get_ylabel()
