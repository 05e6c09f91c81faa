"""The grid engine under every map: stores of named fields, bound tiles, planes, settings.

Trainability and curvature maps stream to Zarr stores, survive kill -9 and resume bit
for bit; a store's axes are protected like its values and its tiles are bound to their
place; curvature maps in one pass equal the two passes; a Plane is a value reused across
data sets; execution settings come per call or per block; outputs are locked by their
real file and never replaced unless fastnn wrote them.
"""

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import fastnn
from fastnn import data

zarr = pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def network():
    X, y = data.donut(120, seed=0)
    model = fastnn.MLPClassifier((3,), solver="gd", max_iter=30, tol=None, random_state=0)
    return model.fit(X, y), X, y


@pytest.fixture(scope="module")
def logistic():
    X, y = data.blobs(200, seed=0)
    return fastnn.LogisticRegression(solver="gd", max_iter=50).fit(X, y), X, y


def _trainer():
    return fastnn.MLPRegressor((4,), "tanh", solver="gd", max_iter=30, tol=None, random_state=1)


def _problem():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 5)), rng.normal(size=16)


TKW = dict(ranges=((1e-2, 20.0), (1e-2, 20.0)), resolution=(24, 8), tile_rows=8)


def _chunks(path, name):
    return sorted(p for p in (path / name / "c").rglob("*") if p.is_file())


# -- stores of every map --------------------------------------------------------------------
def test_a_trainability_map_streams_to_a_store_that_xarray_and_load_read(tmp_path):
    xr = pytest.importorskip("xarray")
    X, y = _problem()
    memory = fastnn.trainability(_trainer(), X, y, **TKW)
    path = tmp_path / "t.zarr"
    stored = fastnn.trainability(_trainer(), X, y, out=path, **TKW)
    loaded = fastnn.TrainabilityMap.load(path, verify=True)
    assert isinstance(loaded.values, zarr.Array)
    for tmap in (stored, loaded):
        for name in ("values", "convergence", "divergence_epoch", "last_losses"):
            np.testing.assert_array_equal(np.asarray(getattr(tmap, name)), getattr(memory, name))
        np.testing.assert_array_equal(tmap.a, memory.a)
    assert loaded.labels == memory.labels and repr(loaded) == repr(memory)
    dataset = xr.open_zarr(path)
    fields = {"final_loss", "convergence", "divergence_epoch", "last_losses"}
    assert set(dataset.data_vars) == fields
    np.testing.assert_array_equal(dataset["convergence"].values, memory.convergence)
    assert dataset["convergence"].dims == memory.labels  # the hyperparameters' names
    with pytest.raises(ValueError, match="not a surface"):
        fastnn.Surface.load(path)


def test_a_map_where_nothing_diverged_stores_its_all_nan_field(tmp_path):
    X, y = _problem()
    calm = dict(TKW, ranges=((1e-3, 1e-2), (1e-3, 1e-2)))
    tmap = fastnn.trainability(_trainer(), X, y, out=tmp_path / "t.zarr", **calm)
    assert not tmap.diverged.any()  # every divergence epoch is NaN, the fill value
    loaded = fastnn.TrainabilityMap.load(tmp_path / "t.zarr", verify=True)
    assert np.isnan(np.asarray(loaded.divergence_epoch)).all()
    resumed = fastnn.trainability(_trainer(), X, y, out=tmp_path / "t.zarr", resume=True, **calm)
    assert resumed.info["tiles_computed"] == 0


def test_a_curvature_map_streams_to_one_store_of_both_fields(tmp_path, network):
    model, X, y = network
    kw = dict(resolution=(5, 4), random_state=0, tile_rows=1)
    memory = fastnn.curvature_surface(model, X, y, **kw)
    path = tmp_path / "c.zarr"
    stored = fastnn.curvature_surface(model, X, y, out=path, **kw)
    loaded = fastnn.CurvatureSurface.load(path, verify=True)
    for curvature in (stored, loaded):
        np.testing.assert_array_equal(curvature.max_eigenvalue, memory.max_eigenvalue)
        np.testing.assert_array_equal(curvature.min_eigenvalue, memory.min_eigenvalue)
        assert curvature.min.center_loss == memory.min.center_loss
        assert curvature.max.argmin() == memory.max.argmin()
        assert curvature.min.argmin() == memory.min.argmin()
    array = loaded.min.to_xarray()
    np.testing.assert_array_equal(array.values, memory.min_eigenvalue)


def test_curvature_in_one_pass_equals_the_two_metric_passes(network, logistic):
    for model, X, y in (network, logistic):
        kw = dict(resolution=(4, 3), random_state=0, directions="random")
        one = fastnn.curvature_surface(model, X, y, **kw)
        top = fastnn.loss_surface(model, X, y, metric="max_eigenvalue", **kw)
        low = fastnn.loss_surface(model, X, y, metric="min_eigenvalue", **kw)
        np.testing.assert_array_equal(one.max_eigenvalue, top.values)
        np.testing.assert_array_equal(one.min_eigenvalue, low.values)
        assert (one.max.center_loss, one.min.center_loss) == (top.center_loss, low.center_loss)
        assert one.max.info["method"] == "max-eigenvalue" == top.info["method"]


def test_a_curvature_pair_resumes_what_loss_surface_started(tmp_path, network):
    """Per-field outputs are fingerprinted as their metric's own surfaces: either resumes."""
    model, X, y = network
    kw = dict(resolution=3, random_state=0)
    low = fastnn.loss_surface(model, X, y, metric="min_eigenvalue", out=tmp_path / "lo.zarr", **kw)
    pair = (tmp_path / "hi.zarr", tmp_path / "lo.zarr")
    both = fastnn.curvature_surface(model, X, y, out=pair, resume=True, **kw)
    assert both.min.info["tiles_computed"] == 0 and both.max.info["tiles_computed"] > 0
    np.testing.assert_array_equal(np.asarray(both.min.values), low.values[...])
    assert fastnn.Surface.load(pair[0]).metric == "max_eigenvalue"


KILLED_MAP = """
import sys
import fastnn
import numpy as np
rng = np.random.default_rng(0)
X, y = rng.normal(size=(64, 8)), rng.normal(size=64)
est = fastnn.MLPRegressor((8,), "tanh", solver="gd", max_iter=400, tol=None, random_state=1)
if sys.argv[2] == "trainability":
    fastnn.trainability(est, X, y, ranges=((1e-2, 5.0), (1e-2, 5.0)), resolution=(96, 8),
                        tile_rows=8, out=sys.argv[1], progress=False)
else:
    from fastnn import data
    X, y = data.donut(400, seed=0)
    model = fastnn.MLPClassifier((6,), solver="gd", max_iter=20, tol=None, random_state=0)
    fastnn.curvature_surface(model.fit(X, y), X, y, resolution=(30, 6), tile_rows=1,
                             random_state=0, out=sys.argv[1], progress=False)
"""


def _rerun(kind, path, resume):
    rng = np.random.default_rng(0)
    if kind == "trainability":
        X, y = rng.normal(size=(64, 8)), rng.normal(size=64)
        est = fastnn.MLPRegressor((8,), "tanh", solver="gd", max_iter=400, tol=None,
                                  random_state=1)  # fmt: skip
        kw = dict(ranges=((1e-2, 5.0), (1e-2, 5.0)), resolution=(96, 8), tile_rows=8)
        run = fastnn.trainability(est, X, y, out=path, resume=resume, **kw)
        return run, [run.values, run.convergence, run.divergence_epoch]
    X, y = data.donut(400, seed=0)
    model = fastnn.MLPClassifier((6,), solver="gd", max_iter=20, tol=None, random_state=0)
    run = fastnn.curvature_surface(model.fit(X, y), X, y, resolution=(30, 6), tile_rows=1,
                                   random_state=0, out=path, resume=resume)  # fmt: skip
    return run.max, [run.max.values, run.min.values]


@pytest.mark.parametrize("kind", ["trainability", "curvature"])
def test_kill_9_mid_map_then_resume_equals_an_uninterrupted_map(tmp_path, kind):
    path = tmp_path / "m.zarr"
    process = subprocess.Popen([sys.executable, "-c", KILLED_MAP, str(path), kind])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # wait for some tiles' marks, not all
        marks = path / "checks" / "tiles" / "c"
        if marks.exists() and len(list(marks.rglob("*"))) >= 3:
            break
        time.sleep(0.01)
    process.kill()
    process.wait()
    resumed, values = _rerun(kind, path, resume=True)
    n_tiles = resumed.info["tiles"]
    assert 0 < resumed.info["tiles_computed"] < n_tiles
    whole, expected = _rerun(kind, tmp_path / "whole.zarr", resume=False)
    for got, want in zip(values, expected, strict=True):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


# -- what protects a store ------------------------------------------------------------------
KW = dict(directions="random", random_state=0, resolution=(23, 17), tile_rows=3)


def test_a_lost_or_damaged_axis_chunk_is_refused_on_load_and_repaired_on_resume(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    whole = fastnn.loss_surface(model, X, y, out=path, **KW)
    expected_a = whole.a.copy()
    (axis_chunk,) = _chunks(path, "a")
    axis_chunk.unlink()  # lost: zarr would read the fill value, 0
    with pytest.raises(ValueError, match="coordinate array 'a' is damaged or missing"):
        fastnn.Surface.load(path)
    resumed = fastnn.loss_surface(model, X, y, out=path, resume=True, **KW)
    assert resumed.info["arrays_repaired"] == 1 and resumed.info["tiles_computed"] == 0
    np.testing.assert_array_equal(fastnn.Surface.load(path).a, expected_a)
    (direction_chunk,) = _chunks(path, "directions")
    damaged = bytearray(direction_chunk.read_bytes())
    damaged[3] ^= 0xFF
    direction_chunk.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="'directions' is damaged"):
        fastnn.Surface.load(path)
    fastnn.loss_surface(model, X, y, out=path, resume=True, **KW)
    np.testing.assert_array_equal(fastnn.Surface.load(path).directions, whole.directions)


def test_chunks_swapped_between_tiles_are_detected(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    whole = np.asarray(fastnn.loss_surface(model, X, y, out=path, **KW).values)
    first, second = _chunks(path, "values")[1], _chunks(path, "values")[2]
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)  # every chunk's own checksum still verifies
    assert fastnn.Surface.load(path).values[3, 0] == whole[6, 0]  # lazily read: unnoticed
    with pytest.raises(ValueError, match="tile 1 does not hold its own values"):
        fastnn.Surface.load(path, verify=True)
    resumed = fastnn.loss_surface(model, X, y, out=path, resume=True, **KW)
    assert resumed.info["tiles_damaged"] == 2 and resumed.info["tiles_computed"] == 2
    np.testing.assert_array_equal(np.asarray(fastnn.Surface.load(path, verify=True).values), whole)


def test_a_chunk_from_another_store_of_the_same_grid_is_detected(tmp_path, logistic):
    model, X, y = logistic
    here, there = tmp_path / "here.zarr", tmp_path / "there.zarr"
    fastnn.loss_surface(model, X, y, out=here, **KW)
    fastnn.loss_surface(model, X, y, out=there, **{**KW, "random_state": 1})
    shutil.copyfile(_chunks(there, "values")[4], _chunks(here, "values")[4])
    resumed = fastnn.loss_surface(model, X, y, out=here, resume=True, **KW)
    assert resumed.info["tiles_damaged"] == 1


# -- outputs: real files, fastnn's own ------------------------------------------------------
def test_the_lock_belongs_to_the_real_file_not_the_spelling(tmp_path, logistic):
    from fastnn.grid._record import writer_lock

    model, X, y = logistic
    real = tmp_path / "real.npy"
    fastnn.loss_surface(model, X, y, out=real, **KW)
    alias = tmp_path / "alias.npy"
    alias.symlink_to(real)
    with writer_lock(str(real)):
        with pytest.raises(ValueError, match="being written by another fastnn run"):
            fastnn.loss_surface(model, X, y, out=alias, overwrite=True, **KW)


def test_two_outputs_that_are_one_file_or_array_are_refused(tmp_path, network):
    model, X, y = network
    target = tmp_path / "max.npy"
    (tmp_path / "link.npy").symlink_to(target)
    with pytest.raises(ValueError, match="both eigenvalues would go to"):
        fastnn.curvature_surface(model, X, y, resolution=3, out=(target, tmp_path / "link.npy"))
    assert not target.exists()
    buffer = np.empty((3, 3))
    with pytest.raises(ValueError, match="same array"):
        fastnn.curvature_surface(model, X, y, resolution=3, out=(buffer, buffer))


def test_overwrite_replaces_only_a_fastnn_store(tmp_path, logistic, capsys):
    from fastnn.cli import main

    model, X, y = logistic
    mine = tmp_path / "mydata.zarr"
    (mine / "raw").mkdir(parents=True)
    (mine / "raw" / "notes.txt").write_text("precious")
    with pytest.raises(ValueError, match="is not a fastnn store; fastnn replaces only"):
        fastnn.loss_surface(model, X, y, out=mine, overwrite=True, **KW)
    command = ["surface", "--model", "linear", "--resolution", "5", "--no-progress"]
    assert main([*command, "--out", str(mine), "--force"]) == 2
    assert "is not a fastnn store" in capsys.readouterr().err
    assert (mine / "raw" / "notes.txt").read_text() == "precious"
    (tmp_path / "file.zarr").write_text("not a store")
    with pytest.raises(ValueError, match="is not a fastnn store"):
        fastnn.loss_surface(model, X, y, out=tmp_path / "file.zarr", overwrite=True, **KW)


def test_a_store_reached_through_a_symbolic_link_is_replaced_in_place(tmp_path, logistic):
    model, X, y = logistic
    real = tmp_path / "real.zarr"
    first = np.asarray(fastnn.loss_surface(model, X, y, out=real, **KW).values)
    link = tmp_path / "link.zarr"
    link.symlink_to(real)
    other = fastnn.loss_surface(model, X, y, out=link, overwrite=True, **{**KW, "random_state": 1})
    assert link.is_symlink() and real.is_dir()
    loaded = np.asarray(fastnn.Surface.load(real).values)
    np.testing.assert_array_equal(loaded, np.asarray(other.values))
    assert not np.array_equal(loaded, first)


# -- planes as values -----------------------------------------------------------------------
def test_a_plane_reused_across_data_sets_gives_the_grid_of_directions_surface(logistic):
    model, X, y = logistic
    X_test, y_test = data.blobs(150, seed=7)
    train = fastnn.loss_surface(model, X, y, **KW)
    plane = fastnn.Plane.build(model, X, y, directions="random", random_state=0,
                               resolution=(23, 17))  # fmt: skip
    assert isinstance(train.plane, fastnn.Plane) and repr(plane).startswith("Plane(random")
    for reused in (plane, train.plane):
        test = fastnn.loss_surface(model, X_test, y_test, plane=reused, tile_rows=3)
        today = fastnn.loss_surface(model, X_test, y_test, directions=train, tile_rows=3)
        np.testing.assert_array_equal(test.values, today.values)
        for name in ("a", "b", "center", "directions"):
            np.testing.assert_array_equal(getattr(test, name), getattr(today, name))
    accuracy = fastnn.loss_surface(model, X_test, y_test, plane=plane, metric="accuracy")
    np.testing.assert_array_equal(accuracy.a, train.a)
    with pytest.raises(ValueError, match="pass no span="):
        fastnn.loss_surface(model, X, y, plane=plane, span=2.0)
    wider = fastnn.MLPClassifier((4,), max_iter=5, tol=None, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="plane: a plane of 3 parameters does not fit"):
        fastnn.loss_surface(wider, X, y, plane=plane)


def test_a_plane_of_named_parameters_and_of_explicit_vectors(logistic):
    model, X, y = logistic
    named = fastnn.Plane.build(model, X, y, params=("w1", "intercept"), resolution=5)
    assert named.labels == ("w1", "intercept") and named.params == (1, 0)
    surface = fastnn.loss_surface(model, X, y, plane=named)
    direct = fastnn.loss_surface(model, X, y, params=("w1", "intercept"), resolution=5)
    np.testing.assert_array_equal(surface.values, direct.values)
    assert surface.labels == direct.labels
    u, v = np.eye(3)[:2]
    vectors = fastnn.Plane.from_vectors(model.theta_, u, v, span=0.5, resolution=4)
    by_vectors = fastnn.loss_surface(model, X, y, plane=vectors)
    by_directions = fastnn.loss_surface(model, X, y, directions=(u, v), span=0.5, resolution=4)
    np.testing.assert_array_equal(by_vectors.values, by_directions.values)
    curvature = fastnn.curvature_surface(model, X, y, plane=vectors)
    np.testing.assert_array_equal(curvature.max.a, vectors.a)


# -- execution settings ---------------------------------------------------------------------
def test_settings_per_block_and_per_call(logistic, monkeypatch):
    import numba

    from fastnn.grid import _job

    model, X, y = logistic
    seen = []
    real = _job.executor_for

    def recording(settings):
        seen.append(settings)
        return real(settings)

    monkeypatch.setattr(_job, "executor_for", recording)
    with fastnn.config_context(threads=1, progress=False):
        fastnn.loss_surface(model, X, y, resolution=4)
        fastnn.loss_surface(model, X, y, resolution=4, threads=numba.config.NUMBA_NUM_THREADS)
        with fastnn.config_context(progress=True):
            assert fastnn.get_config().threads == 1 and fastnn.get_config().progress
    fastnn.loss_surface(model, X, y, resolution=4)
    assert [s.threads for s in seen] == [1, numba.config.NUMBA_NUM_THREADS, None]
    assert seen[0].progress is False and seen[2].progress is None
    with pytest.raises(ValueError, match="threads must be an int"):
        with fastnn.config_context(threads=0):
            fastnn.loss_surface(model, X, y, resolution=4)
    with pytest.raises(ValueError, match="workers is not an execution setting"):
        with fastnn.config_context(workers=2):
            pass
    assert fastnn.get_config() == fastnn._config.ExecutionSettings()


def test_set_config_is_the_session_default(logistic):
    try:
        fastnn.set_config(progress=False)
        assert fastnn.get_config().progress is False
        with fastnn.config_context(progress=True):
            assert fastnn.get_config().progress is True
        assert fastnn.get_config().progress is False
    finally:
        fastnn._config._SESSION[0] = fastnn._config.ExecutionSettings()


def test_ctrl_c_while_a_store_is_created_waits_for_it(tmp_path, logistic, monkeypatch):
    import signal

    from fastnn.grid import _store

    model, X, y = logistic
    real = _store._consolidate

    def interrupted_consolidate(path):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of creating the store
        return real(path)

    monkeypatch.setattr(_store, "_consolidate", interrupted_consolidate)
    path = tmp_path / "s.zarr"
    with pytest.raises(KeyboardInterrupt):
        fastnn.loss_surface(model, X, y, out=path, **KW)
    monkeypatch.setattr(_store, "_consolidate", real)
    assert _store.store_format(str(path)) == _store.FORMAT  # created whole, no tile yet
    resumed = fastnn.loss_surface(model, X, y, out=path, resume=True, **KW)
    assert resumed.info["tiles_computed"] == resumed.info["tiles"]


def test_an_edited_minimum_is_never_trusted(tmp_path, logistic):
    import json

    model, X, y = logistic
    path = tmp_path / "s.zarr"
    memory = fastnn.loss_surface(model, X, y, **KW)
    fastnn.loss_surface(model, X, y, out=path, **KW)
    for forged in ([0, 0], [10**6, 5], "x"):
        document = json.loads((path / "zarr.json").read_text())
        document["attributes"]["argmin"] = forged
        (path / "zarr.json").write_text(json.dumps(document))
        fastnn.grid._store._consolidate(str(path))
        loaded = fastnn.Surface.load(path)
        assert loaded.argmin() == memory.argmin() and repr(loaded) == repr(memory)


def test_trainability_tiles_are_sized_by_cost_and_change_no_bit():
    """A map of costly runs gets tiles of a band of boxes, split by columns (issue 28)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 8)), rng.normal(size=64)
    est = fastnn.MLPRegressor((8,), "tanh", solver="gd", max_iter=300, tol=None, random_state=1)
    kw = dict(ranges=((1e-2, 5.0), (1e-2, 5.0)), resolution=(16, 80))
    by_cost = fastnn.trainability(est, X, y, **kw)
    whole_rows = fastnn.trainability(est, X, y, tile_rows=16, **kw)
    # bands of 8 rows split into 8 x 64 and 8 x 16: eight boxes of 8 x 8 points at least
    assert by_cost.info["tiles"] == 4 and whole_rows.info["tiles"] == 1
    for name in ("values", "convergence", "divergence_epoch"):
        np.testing.assert_array_equal(getattr(by_cost, name), getattr(whole_rows, name))


def test_a_notebook_without_ipywidgets_gets_the_console_bar_and_no_warning():
    """tqdm.auto warned "IProgress not found" on ``import fastnn`` in such a notebook."""
    code = (
        "import sys, types, warnings\n"
        "warnings.simplefilter('always')\n"
        "ipython = types.ModuleType('IPython')\n"
        "class ZMQInteractiveShell: config = {'IPKernelApp': {}}\n"
        "ipython.get_ipython = ZMQInteractiveShell\n"
        "sys.modules.update({'ipykernel.zmqshell': types.ModuleType('ipykernel.zmqshell'),\n"
        "                    'IPython': ipython, 'ipywidgets': None})\n"
        "import fastnn\n"
        "from fastnn.grid._run import progress_bar_class\n"
        "import tqdm\n"
        "assert progress_bar_class() is tqdm.tqdm\n"
        "with progress_bar_class()(total=2, disable=False) as bar: bar.update(2)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "IProgress" not in result.stderr
