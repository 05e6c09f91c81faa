"""Surfaces in Zarr stores (``out="surface.zarr"``): complete, self-describing, resumable, checked.

A store's values equal the in-memory surface bit for bit; an interrupted run resumes
with exactly the missing tiles; a damaged or missing chunk is recomputed on resume and
is never read as a fill value; Dask workers write their own chunks.
"""

import errno
import json
import os
import shutil

import numpy as np
import pytest

import fastnn
from fastnn import data
from fastnn.cli import main
from fastnn.grid import _run, _store, _tiles
from tests._interrupts import interrupt_after

zarr = pytest.importorskip("zarr")

KW = dict(directions="random", random_state=0, resolution=(23, 17), tile_rows=3)
N_TILES = 8  # 23 rows in tiles of 3


@pytest.fixture(scope="module")
def models():
    X, y = data.blobs(200, seed=0)
    Xd, yd = data.donut(300, seed=0)
    return {
        "linear": (fastnn.LinearRegression().fit(X[:, :1], X[:, 1]), X[:, :1], X[:, 1]),
        "logistic": (fastnn.LogisticRegression(solver="gd", max_iter=50).fit(X, y), X, y),
        "mlp": (fastnn.MLPClassifier((6,), solver="gd", max_iter=30, tol=None).fit(Xd, yd), Xd, yd),
    }


@pytest.fixture
def logistic(models):
    return models["logistic"]


def _chunks(path):
    return sorted(p for p in (path / "values" / "c").rglob("*") if p.is_file())


@pytest.mark.parametrize("name", ["linear", "logistic", "mlp"])
def test_a_store_holds_the_in_memory_surface_bit_for_bit(tmp_path, models, name):
    model, X, y = models[name]
    memory = fastnn.loss_surface(model, X, y, **KW)
    stored = fastnn.loss_surface(model, X, y, out=tmp_path / "s.zarr", **KW)
    assert isinstance(stored.values, zarr.Array)
    assert stored.values.chunks == (3, 17)  # one chunk per tile
    assert len(_chunks(tmp_path / "s.zarr")) == stored.info["tiles"] == N_TILES
    loaded = fastnn.Surface.load(tmp_path / "s.zarr")
    for surface in (stored, loaded):
        np.testing.assert_array_equal(np.asarray(surface.values), memory.values)
        assert surface.argmin() == memory.argmin()
        assert repr(surface) == repr(memory)
        for field in ("a", "b", "center", "directions"):
            np.testing.assert_array_equal(getattr(surface, field), getattr(memory, field))
        assert surface.center_loss == memory.center_loss
        assert surface.labels == memory.labels and surface.params == memory.params


def test_a_store_describes_itself(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    fastnn.loss_surface(model, X, y, params=("w1", "intercept"), out=path, resolution=(9, 7))
    attrs = json.loads((path / "zarr.json").read_text())["attributes"]
    assert attrs["format"] == "fastnn.GridStore/1" and attrs["complete"] is True
    assert attrs["map"] == "surface" and attrs["fields"] == ["values"]
    assert attrs["labels"] == ["w1", "intercept"] and attrs["params"] == [1, 0]
    assert attrs["info"]["model"] == "LogisticRegression"
    assert attrs["info"]["loss"] == "binary cross-entropy"
    assert set(attrs["fingerprint"]) >= {"shape", "tiles", "data", "n_tiles"}
    surface = fastnn.Surface.load(path)
    assert surface.theta(2, 3)[1] == surface.a[2] and surface.theta(2, 3)[0] == surface.b[3]


def test_xarray_reads_a_store_and_to_xarray_names_the_axes(tmp_path, logistic):
    xr = pytest.importorskip("xarray")
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    memory = fastnn.loss_surface(model, X, y, **KW)
    fastnn.loss_surface(model, X, y, out=path, **KW)
    dataset = xr.open_zarr(path)
    np.testing.assert_array_equal(dataset["values"].values, memory.values)
    np.testing.assert_array_equal(dataset["a"].values, memory.a)
    # one name for each axis: the store's dimensions are the labels the summary prints
    assert dataset["values"].dims == memory.labels == ("alpha", "beta")
    assert dataset["a"].dims == ("alpha",) and dataset["b"].dims == ("beta",)
    for surface in (memory, fastnn.Surface.load(path)):
        array = surface.to_xarray()
        assert array.dims == ("alpha", "beta") and array.name == "loss"
        np.testing.assert_array_equal(array.coords["beta"].values, memory.b)
        assert array.sel(alpha=memory.a[4], beta=memory.b[5]).item() == memory.values[4, 5]
        assert array.attrs["center_loss"] == memory.center_loss


def test_a_loaded_store_is_lazy(tmp_path, logistic, monkeypatch):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    fastnn.loss_surface(model, X, y, out=path, **KW)
    reads = []
    real = zarr.Array.__getitem__
    monkeypatch.setattr(zarr.Array, "__getitem__", lambda s, k: reads.append(k) or real(s, k))
    surface = fastnn.Surface.load(path)
    repr(surface)  # the minimum's place is recorded in the store: one point is read
    assert [k for k in reads if k is not Ellipsis] == [surface.argmin()]
    assert surface.values[4, 5] == fastnn.loss_surface(model, X, y, **KW).values[4, 5]


def test_an_interrupted_store_resumes_with_exactly_the_missing_tiles(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    whole = fastnn.loss_surface(model, X, y, **KW).values
    with pytest.MonkeyPatch.context() as patch:
        interrupt_after(patch, 3)
        with pytest.raises(KeyboardInterrupt):
            fastnn.loss_surface(model, X, y, out=path, **KW)
    assert len(_chunks(path)) == 3
    with pytest.raises(ValueError, match=r"unfinished surface \(3 of 8 tiles"):
        fastnn.Surface.load(path)
    with pytest.raises(ValueError, match="exists"):
        fastnn.loss_surface(model, X, y, out=path, **KW)
    resumed = fastnn.loss_surface(model, X, y, out=path, resume=True, **KW)
    assert resumed.info["tiles_computed"] == N_TILES - 3
    np.testing.assert_array_equal(np.asarray(fastnn.Surface.load(path).values), whole)


def test_a_damaged_chunk_is_an_error_when_read_and_recomputed_on_resume(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    whole = fastnn.loss_surface(model, X, y, out=path, **KW).values[...]
    chunk = _chunks(path)[2]
    damaged = bytearray(chunk.read_bytes())
    damaged[5] ^= 0xFF
    chunk.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="checksum"):
        np.asarray(fastnn.Surface.load(path).values)
    resumed = fastnn.loss_surface(model, X, y, out=path, resume=True, **KW)
    assert resumed.info["tiles_damaged"] == 1 and resumed.info["tiles_computed"] == 1
    np.testing.assert_array_equal(np.asarray(fastnn.Surface.load(path).values), whole)


def test_a_missing_chunk_is_never_read_as_a_fill_value(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    whole = fastnn.loss_surface(model, X, y, out=path, **KW).values[...]
    _chunks(path)[4].unlink()
    with pytest.raises(ValueError, match=r"unfinished surface \(7 of 8 tiles"):
        fastnn.Surface.load(path)
    resumed = fastnn.loss_surface(model, X, y, out=path, resume=True, **KW)
    assert resumed.info["tiles_computed"] == 1
    np.testing.assert_array_equal(np.asarray(fastnn.Surface.load(path).values), whole)


def test_resuming_another_surface_or_a_non_store_is_refused(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    fastnn.loss_surface(model, X, y, out=path, **KW)
    other = dict(KW, random_state=1)
    with pytest.raises(ValueError, match="belongs to another surface"):
        fastnn.loss_surface(model, X, y, out=path, resume=True, **other)
    (tmp_path / "x.zarr").mkdir()
    with pytest.raises(ValueError, match="not a Zarr store"):
        fastnn.loss_surface(model, X, y, out=tmp_path / "x.zarr", resume=True, **KW)
    replaced = fastnn.loss_surface(model, X, y, out=path, overwrite=True, **other)
    assert replaced.info["tiles_computed"] == N_TILES


def test_a_second_writer_of_a_store_is_refused(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    from fastnn.grid._record import writer_lock

    with writer_lock(str(path)):
        with pytest.raises(ValueError, match="being written by another fastnn run"):
            fastnn.loss_surface(model, X, y, out=path, **KW)
    assert not path.exists()


def test_a_full_disk_stops_with_one_line_and_keeps_the_tiles_written(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    whole = fastnn.loss_surface(model, X, y, **KW).values
    real = zarr.Array.__setitem__
    calls = {"n": 0}

    def filling(self, key, values):
        if self.shape == (23, 17):  # the values, not the axes
            calls["n"] += 1
            if calls["n"] > 5:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, key, values)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zarr.Array, "__setitem__", filling)
        with pytest.raises(ValueError, match="is full; the tiles written so far are kept"):
            fastnn.loss_surface(model, X, y, out=path, **KW)
    assert len(_chunks(path)) == 5
    resumed = fastnn.loss_surface(model, X, y, out=path, resume=True, **KW)
    assert resumed.info["tiles_computed"] == 3
    np.testing.assert_array_equal(np.asarray(fastnn.Surface.load(path).values), whole)


def test_a_store_larger_than_the_free_space_is_refused_before_anything_is_written(
    tmp_path, logistic, monkeypatch
):
    model, X, y = logistic
    usage = shutil.disk_usage(tmp_path)._replace(free=1000)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage)
    for name in ("s.zarr", "s.npy"):
        with pytest.raises(ValueError, match=rf"{name} needs \d.*iB and .* has 1000 bytes free"):
            fastnn.loss_surface(model, X, y, out=tmp_path / name, **KW)
    assert os.listdir(tmp_path) == []


def test_a_npy_output_reserves_its_blocks_and_a_full_disk_leaves_nothing(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.npy"
    if not hasattr(os, "posix_fallocate"):
        pytest.skip("no posix_fallocate")
    surface = fastnn.loss_surface(model, X, y, out=path, **KW)
    assert os.stat(path).st_blocks * 512 >= surface.values.nbytes  # not a sparse file

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "posix_fallocate", full)
        with pytest.raises(ValueError, match="has no room for"):
            fastnn.loss_surface(model, X, y, out=tmp_path / "t.npy", **KW)
    assert sorted(os.listdir(tmp_path)) == ["s.npy", "s.npy.tiles"]


def test_dask_workers_write_their_own_chunks(tmp_path, logistic):
    distributed = pytest.importorskip("distributed")
    model, X, y = logistic
    whole = fastnn.loss_surface(model, X, y, **KW).values
    received = []
    real = _store.StoreSink.finish

    def finish(self, k, bounds, result):
        received.append(result)
        return real(self, k, bounds, result)

    with distributed.Client(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as client:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_store.StoreSink, "finish", finish)
            surface = fastnn.loss_surface(model, X, y, out=tmp_path / "s.zarr", client=client, **KW)
    assert len(received) == N_TILES
    assert all(isinstance(r, tuple) and len(r) == 3 for r in received)  # summaries, not values
    np.testing.assert_array_equal(np.asarray(surface.values), whole)
    assert surface.argmin() == divmod(int(np.nanargmin(whole)), whole.shape[1])


def test_surface_plots_of_a_store_read_a_strided_grid(tmp_path, logistic, monkeypatch):
    from fastnn import plot

    model, X, y = logistic
    fastnn.loss_surface(model, X, y, out=tmp_path / "s.zarr", **KW)
    monkeypatch.setattr(plot, "MAX_DRAWN_POINTS", 5)
    A, B, Z = plot.surface_grid(fastnn.Surface.load(tmp_path / "s.zarr"))
    assert Z.shape == (5, 5)  # 17 columns every 4th, 23 rows every 5th
    fastnn.Surface.load(tmp_path / "s.zarr").plot()


def test_the_tile_plan_of_a_huge_grid_costs_nothing(logistic):
    plan = _tiles.TilePlan((200_000, 200_000), 5, 200_000)
    assert len(plan) == 40_000
    assert plan[39_999] == ((199_995, 200_000), (0, 200_000))
    with pytest.raises(IndexError):
        plan[40_000]


# -- the command ---------------------------------------------------------------------------
SURFACE = ["surface", "--model", "logistic", "--resolution", "30", "--no-progress"]


def test_the_command_writes_resumes_and_refuses_to_replace_a_store(tmp_path, capsys):
    path = str(tmp_path / "s.zarr")
    assert main([*SURFACE, "--out", path]) == 0
    first = np.asarray(fastnn.Surface.load(path).values)
    assert main([*SURFACE, "--out", path]) == 2
    assert "s.zarr exists; pass --force" in capsys.readouterr().err
    assert main([*SURFACE, "--out", path, "--resume"]) == 0
    assert main([*SURFACE, "--out", path, "--seed", "1", "--force"]) == 0
    assert not np.array_equal(np.asarray(fastnn.Surface.load(path).values), first)


def test_a_grid_too_large_for_memory_names_the_remedy(monkeypatch, capsys, logistic):
    monkeypatch.setattr(_run, "available_memory", lambda: 10**6)
    model, X, y = logistic
    with pytest.raises(ValueError, match=r"needs 1.2 MiB.*pass out='surface.zarr'"):
        fastnn.loss_surface(model, X, y, resolution=400)
    assert main([*SURFACE[:-3], "--resolution", "400"]) == 2
    err = capsys.readouterr().err
    assert "write it to disk with --out surface.zarr" in err and err.count("\n") == 1


def test_labels_that_cannot_be_dimensions_keep_a_and_b(tmp_path, monkeypatch):
    """A feature named "param" (a dimension the store uses) or twice the same label."""
    xr = pytest.importorskip("xarray")
    from fastnn.grid import axis_dimensions

    assert axis_dimensions(("alpha", "beta")) == ("alpha", "beta")
    assert axis_dimensions(("W1[0,1]", "b1[0]")) == ("W1[0,1]", "b1[0]")
    for labels in (("param", "w2"), ("x", "x"), ("values", "w1"), ("a/b", "c")):
        assert axis_dimensions(labels) == ("a", "b"), labels
    X, y = fastnn.data.blobs(60, seed=0)
    model = fastnn.LogisticRegression().fit(X, y)
    model.feature_names_in_ = np.array(["param", "w2"], dtype=object)
    path = tmp_path / "s.zarr"
    surface = fastnn.loss_surface(model, X, y, params=("param", "w2"), resolution=5, out=path)
    assert xr.open_zarr(path)["values"].dims == ("a", "b")
    array = fastnn.Surface.load(path).to_xarray()
    assert array.dims == surface.labels == ("param", "w2")
    np.testing.assert_array_equal(array.coords["param"].values, surface.a)
