"""Faults a hostile user found (issue 13), replayed: nothing lost, nothing silently wrong.

Each test names the finding it replays.  A result file is never truncated by a command
that fails its checks or was not asked to replace it; a completion record never makes
resume trust values that are not on disk; a second writer is refused.
"""

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import fastnn
from fastnn import data
from fastnn.cli import main

SURFACE = ["surface", "--model", "linear", "--resolution", "12", "--no-progress"]
KW = dict(directions="random", random_state=0, resolution=(23, 17), tile_rows=3)


@pytest.fixture(scope="module")
def logistic():
    X, y = data.blobs(200, seed=0)
    return fastnn.LogisticRegression(solver="gd", max_iter=50).fit(X, y), X, y


def _finished(tmp_path):
    """A finished --out r.npy surface and a copy of its values and record."""
    out = tmp_path / "r.npy"
    assert main([*SURFACE, "--out", str(out)]) == 0
    return out, np.load(out).copy(), (tmp_path / "r.npy.tiles").read_text()


# -- finding 1: a mistyped command zeroed a finished result ---------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        ["--params", "foo", "bar"],
        ["--span", "nan"],
        ["--threads", "0"],
        ["--directions", "random", "--params", "w1", "intercept"],
    ],
)
def test_a_failing_command_leaves_a_finished_result_intact(tmp_path, capsys, bad):
    out, values, record = _finished(tmp_path)
    for extra in ([], ["--force"], ["--resume"]):
        assert main([*SURFACE, "--out", str(out), *bad, *extra]) == 2
        np.testing.assert_array_equal(np.load(out), values)
        assert (tmp_path / "r.npy.tiles").read_text() == record
    capsys.readouterr()
    assert main([*SURFACE, "--out", str(out), "--resume"]) == 0
    np.testing.assert_array_equal(np.load(out), values)
    assert "min 0 " not in capsys.readouterr().out


def test_an_existing_result_is_replaced_only_with_force(tmp_path, capsys):
    out, values, _ = _finished(tmp_path)
    assert main([*SURFACE, "--out", str(out), "--seed", "1"]) == 2
    assert "r.npy exists; pass --force to replace it or --resume" in capsys.readouterr().err
    np.testing.assert_array_equal(np.load(out), values)
    assert main([*SURFACE, "--out", str(out), "--seed", "1", "--force"]) == 0
    assert not np.array_equal(np.load(out), values)
    npz = tmp_path / "r.npz"
    assert main([*SURFACE, "--out", str(npz)]) == 0
    assert main([*SURFACE, "--out", str(npz)]) == 2
    assert main([*SURFACE, "--out", str(npz), "--force"]) == 0


def test_api_path_output_is_opened_after_the_checks_and_never_replaced_unasked(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.npy"
    first = fastnn.loss_surface(model, X, y, out=str(path), **KW)
    assert isinstance(first.values, np.memmap)
    values = np.load(path).copy()
    with pytest.raises(ValueError, match="params"):
        fastnn.loss_surface(model, X, y, out=path, overwrite=True, params=("w9", "w1"))
    np.testing.assert_array_equal(np.load(path), values)
    with pytest.raises(ValueError, match="out: .*s.npy exists"):
        fastnn.loss_surface(model, X, y, out=path, **KW)
    again = fastnn.loss_surface(model, X, y, out=path, overwrite=True, **KW)
    np.testing.assert_array_equal(again.values, values)
    resumed = fastnn.loss_surface(model, X, y, out=path, resume=True, **KW)
    assert resumed.info["tiles_computed"] == 0
    with pytest.raises(ValueError, match="out: .*does not exist"):
        fastnn.loss_surface(model, X, y, out=tmp_path / "new.npy", resume=True, **KW)
    with pytest.raises(ValueError, match="out: .*directory .* does not exist"):
        fastnn.loss_surface(model, X, y, out=tmp_path / "missing" / "s.npy", **KW)
    with pytest.raises(ValueError, match="out: a file output is a .npy file"):
        fastnn.loss_surface(model, X, y, out=tmp_path / "s.txt", **KW)


# -- finding 2: completion marks were trusted without a checksum -----------------------------
def _resume(model, X, y, path):
    return fastnn.loss_surface(model, X, y, out=np.load(path, mmap_mode="r+"), resume=True, **KW)


def _finished_surface(tmp_path, logistic):
    """A finished s.npy: its path, a copy of its values, its record's path and lines."""
    model, X, y = logistic
    path = tmp_path / "s.npy"
    values = np.array(fastnn.loss_surface(model, X, y, out=path, **KW).values)
    record = tmp_path / "s.npy.tiles"
    return path, values, record, record.read_text().splitlines()


def test_a_finished_record_beside_a_zeroed_file_recomputes_every_tile(tmp_path, logistic):
    model, X, y = logistic
    path, values, _, _ = _finished_surface(tmp_path, logistic)
    zeroed = np.load(path, mmap_mode="r+")
    zeroed[:] = 0.0
    zeroed.flush()
    surface = _resume(model, X, y, path)
    assert surface.info["tiles_damaged"] == surface.info["tiles"] == 8
    assert surface.info["tiles_computed"] == 8
    np.testing.assert_array_equal(np.load(path), values)
    # the record was rewritten: a second resume trusts the recomputed tiles
    assert _resume(model, X, y, path).info["tiles_computed"] == 0


def test_forged_marks_do_not_make_resume_skip_a_tile(tmp_path, logistic):
    model, X, y = logistic
    path, whole, record, lines = _finished_surface(tmp_path, logistic)
    header = lines[0]
    # a partial run: only the header survives, the file holds zeros; then marks are forged
    np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(23, 17)).flush()
    forged = [json.dumps({"done": k, "crc32": 12345}) for k in range(8)]
    record.write_text("\n".join([header, *forged]) + "\n")
    surface = _resume(model, X, y, path)
    assert surface.info["tiles_damaged"] == 8
    np.testing.assert_array_equal(np.load(path), whole)


def test_a_mark_without_its_checksum_is_refused(tmp_path, logistic):
    model, X, y = logistic
    path, _, record, lines = _finished_surface(tmp_path, logistic)
    record.write_text("\n".join([lines[0], '{"done": 3}']) + "\n")
    with pytest.raises(ValueError, match="line 2 is corrupted"):
        _resume(model, X, y, path)


def test_a_record_of_the_old_format_is_refused(tmp_path, logistic):
    model, X, y = logistic
    path, _, record, lines = _finished_surface(tmp_path, logistic)
    header = json.loads(lines[0])
    header["format"] = "fastnn.tiles/1"
    record.write_text(json.dumps(header) + "\n" + '{"done": 0}\n')
    with pytest.raises(ValueError, match="another version of fastnn"):
        _resume(model, X, y, path)


# -- finding 4: a copy-on-write memmap never reaches its file --------------------------------
def test_a_copy_on_write_memmap_is_refused(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.npy"
    np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(23, 17)).flush()
    with pytest.raises(ValueError, match="copy-on-write"):
        fastnn.loss_surface(model, X, y, out=np.load(path, mmap_mode="c"), **KW)


# -- finding 3: two writers of one file ------------------------------------------------------
def _lock(path, pid):
    with open(f"{path}.lock", "w") as handle:
        json.dump({"host": socket.gethostname(), "pid": pid}, handle)


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path, logistic, capsys):
    model, X, y = logistic
    path = tmp_path / "s.npy"
    _lock(path, os.getpid())  # a live process holds it
    with pytest.raises(ValueError, match=f"being written by another fastnn run .pid {os.getpid()}"):
        fastnn.loss_surface(model, X, y, out=path, **KW)
    assert not path.exists()  # refused before the file was created
    out = tmp_path / "r.npy"
    _lock(out, os.getpid())
    assert main([*SURFACE, "--out", str(out)]) == 2
    assert "being written by another fastnn run" in capsys.readouterr().err


def test_a_stale_lock_of_a_finished_process_is_taken_over(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.npy"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    _lock(path, int(gone.stdout))
    surface = fastnn.loss_surface(model, X, y, out=path, **KW)
    assert surface.info["tiles_computed"] == 8
    assert not os.path.exists(f"{path}.lock")  # released when the run ended


# -- interrupts: Ctrl-C during a surface ended in SystemError ---------------------------------
INTERRUPTED_SURFACE = """
import sys, time
import fastnn
from fastnn import data
X, y = data.donut(2000, seed=0)
model = fastnn.MLPClassifier((32,), solver="gd", max_iter=5).fit(X, y)
kw = dict(directions="random", random_state=0, progress=False)
fastnn.loss_surface(model, X, y, resolution=3, **kw)  # compiled (or loaded) before the clock
print("computing", flush=True)
start = time.perf_counter()
try:
    fastnn.loss_surface(model, X, y, resolution=400, **kw)
except KeyboardInterrupt:
    print(f"interrupted {time.perf_counter() - start:.2f}", flush=True)
    sys.exit(3)
print("finished", flush=True)
"""


def test_ctrl_c_during_a_network_surface_raises_keyboard_interrupt_promptly():
    process = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_SURFACE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a test runner started in the background ignores SIGINT, and children inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout.readline().strip() == "computing"
    time.sleep(1.0)
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    waited = time.perf_counter() - sent
    assert process.returncode == 3, (out, err)
    assert "SystemError" not in err
    assert waited < 2.0, f"Ctrl-C took {waited:.1f} s to be honoured"


# -- tracebacks instead of one-line errors (finding list "Tracebacks") ------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["surface", "--model", "linear", "--seed", "-1"], "--seed: must be a non-negative int"),
        (["demo", "--seed", "-1"], "--seed: must be a non-negative int"),
        (["demo", "--out", "{file}/x"], "cannot create the directory"),
        (["demo", "--out", "{file}"], "is a file; the demo writes a directory"),
        (["surface", "--model", "linear", "--out", "{missing}/s.npz"], "does not exist"),
        (["surface", "--model", "linear", "--out", "{directory}.npz"], "is a directory"),
        (["surface", "--model", "linear", "--png", "{directory}/x.jpg"], "name it FILE.png"),
        (["surface", "--model", "linear", "--resume", "--force", "--out", "x.npy"], "not both"),
    ],
)
def test_bad_paths_and_seeds_exit_2_with_one_line(tmp_path, capsys, args, message):
    (tmp_path / "afile").write_text("not a directory")
    (tmp_path / "adir.npz").mkdir()
    places = {
        "{file}": str(tmp_path / "afile"),
        "{missing}": str(tmp_path / "missing"),
        "{directory}": str(tmp_path / "adir"),
    }
    for key, value in places.items():
        args = [a.replace(key, value) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fastnn: error: "), err
    assert message in err, err


def test_negative_numbers_in_scientific_notation_are_values_not_flags(tmp_path):
    span = ["--span", "-1e-1", "2e-1", "-3E-1", "1.5e-1"]
    assert main([*SURFACE, *span, "--out", str(tmp_path / "s.npz")]) == 0
    surface = fastnn.Surface.load(tmp_path / "s.npz")
    assert surface.a[0] == pytest.approx(surface.a[0])  # loaded
    np.testing.assert_allclose(np.diff(surface.a).sum(), 0.3)
    np.testing.assert_allclose(np.diff(surface.b).sum(), 0.45)


def _damaged_files(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, X=np.zeros((4, 2)), y=np.zeros(4))
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(good.read_bytes()[:-30])  # the zip's directory cut off
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    renamed = tmp_path / "renamed.npz"
    with open(renamed, "wb") as handle:
        np.save(handle, np.zeros((4, 3)))
    scalar = tmp_path / "scalar.npz"
    np.savez(scalar, X=np.float64(1.0), y=np.zeros(1))
    return {
        "damaged": (damaged, "not a readable .npz file"),
        "empty": (empty, "not a readable .npz file"),
        "renamed": (renamed, "holds one array, not a .npz archive"),
        "scalar": (scalar, "X must be 1-D or 2-D"),
    }


@pytest.mark.parametrize("kind", ["damaged", "empty", "renamed", "scalar"])
def test_bad_data_files_are_one_line_errors(tmp_path, capsys, kind):
    path, message = _damaged_files(tmp_path)[kind]
    with pytest.raises(ValueError, match=message):
        data.load(path)
    assert main(["surface", "--model", "linear", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize("kind", ["damaged", "empty", "renamed", "scalar"])
def test_surface_load_of_a_bad_file_names_it(tmp_path, kind):
    path, _ = _damaged_files(tmp_path)[kind]
    with pytest.raises(ValueError, match=str(path.name)):
        fastnn.Surface.load(path)


def test_written_files_get_the_users_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        out, png = tmp_path / "s.npz", tmp_path / "s.png"
        assert main([*SURFACE, "--out", str(out), "--png", str(png)]) == 0
    finally:
        os.umask(previous)
    for path in (out, png):
        assert (path.stat().st_mode & 0o777) == 0o644, oct(path.stat().st_mode)


def test_a_lock_of_a_killed_but_unreaped_process_is_stale(tmp_path, logistic):
    model, X, y = logistic
    path = tmp_path / "s.npy"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        child.kill()
        time.sleep(0.5)  # dead, but a zombie until waited for
        _lock(path, child.pid)
        surface = fastnn.loss_surface(model, X, y, out=path, **KW)
        assert surface.info["tiles_computed"] == 8
    finally:
        child.wait()


# -- finding 6: divergence was only overflow --------------------------------------------------
def test_a_loss_growing_by_orders_of_magnitude_stops_training_with_a_warning():
    X, y = data.donut(2000, seed=0)
    net = fastnn.MLPClassifier((5,), activation="relu", solver="gd", learning_rate_init=1e3)
    with pytest.warns(fastnn.DivergenceWarning, match="rose above 10000 times its first"):
        net.fit(X, y)
    assert net.n_iter_ < 200 and net.loss_curve_.size == net.n_iter_ >= 1
    assert np.all(net.loss_curve_ <= 1e4 * net.loss_curve_[0])  # the history, no 2e57


@pytest.mark.parametrize("solver", ["gd", "sgd", "minibatch", "momentum", "adam"])
def test_every_mlp_solver_stops_at_divergence(solver):
    X, y = data.donut(300, seed=0)
    net = fastnn.MLPRegressor((8,), solver=solver, learning_rate_init=50.0, max_iter=500)
    with pytest.warns(fastnn.DivergenceWarning):
        net.fit(X, y * 100)
    assert net.n_iter_ < 500 and np.all(np.isfinite(net.theta_))


# -- finding 7: huge finite inputs -------------------------------------------------------------
def test_huge_finite_inputs_are_refused_or_computed_right(logistic):
    model, X, y = logistic
    with pytest.raises(ValueError, match="span: the grid reaches parameters beyond"):
        fastnn.loss_surface(model, X, y, span=1e308, resolution=5)
    with pytest.raises(ValueError, match="span: the grid reaches"):
        fastnn.loss_line(model, X, y, direction="random", span=1e308)
    x, t = X[:, 0], X[:, 1]
    intercept, slope = fastnn.linear_fit_1d(x, t)
    for scale in (1e160, 1e-170):
        big = fastnn.linear_fit_1d(x * scale, t)
        assert big[0] == pytest.approx(intercept, rel=1e-13)
        assert big[1] * scale == pytest.approx(slope, rel=1e-13)
    with pytest.raises(ValueError, match="noise must be a finite number"):
        data.linear(10, noise=np.nan)


# -- tracebacks: every bad argument is a ValueError naming it ----------------------------------
BAD_CALLS = {
    "n_iter_no_change must be an integer <=": lambda X, y: fastnn.MLPClassifier(
        n_iter_no_change=10**20
    ).fit(X, y),
    "record_trajectory must be an integer <=": lambda X, y: fastnn.LinearRegression(
        solver="gd", record_trajectory=10**20
    ).fit(X, y),
    "not fitted": lambda X, y: fastnn.LogisticRegression().predict(X),
    "gradcheck: this MLPClassifier is not fitted": lambda X, y: fastnn.gradcheck(
        fastnn.MLPClassifier(), X, y
    ),
    "y mixes strings and numbers": lambda X, y: fastnn.LogisticRegression().fit(
        X[:2], np.array(["a", 1], dtype=object)
    ),
    "client must be a dask.distributed.Client": lambda X, y: fastnn.loss_surface(
        fastnn.LogisticRegression().fit(X, y), X, y, client=object()
    ),
    "means must hold two entries": lambda X, y: data.blobs(10, means=((0, 0),)),
    "cov must be symmetric positive semi-definite": lambda X, y: data.blobs(
        10, cov=((1, 2), (2, 1))
    ),
    "x_range must be two finite numbers": lambda X, y: data.linear(10, x_range=(1,)),
    "hidden_layer_sizes: a network of 4000000001": lambda X, y: fastnn.MLPClassifier((10**9,)).fit(
        X, y
    ),
    "max_iter: the loss curve": lambda X, y: fastnn.MLPClassifier(max_iter=10**12).fit(X, y),
    "resolution: a line of": lambda X, y: fastnn.loss_line(
        fastnn.LogisticRegression().fit(X, y), X, y, direction="random", resolution=10**12
    ),
    "resolution: the axes": lambda X, y: fastnn.loss_surface(
        fastnn.LogisticRegression().fit(X, y), X, y, resolution=(2, 10**12)
    ),
}


@pytest.mark.parametrize("message", list(BAD_CALLS))
def test_bad_arguments_are_value_errors_naming_them(message):
    X, y = data.blobs(40, seed=0)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        BAD_CALLS[message](X, y)


def test_a_mistyped_flag_is_named(capsys):
    assert main(["surface", "--modle", "linear"]) == 2
    assert "unrecognized arguments: --modle" in capsys.readouterr().err


# -- interrupts: Ctrl-C during training, and with Dask workers ----------------------------------
def _interrupt(code_or_args, wait_for, after=1.0, group=False):
    """Start a process, SIGINT it ``after`` s after it printed ``wait_for``; (rc, out, err, s)."""
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    if wait_for:
        assert process.stdout.readline().strip() == wait_for
    time.sleep(after)
    sent = time.perf_counter()
    if group:
        os.killpg(process.pid, signal.SIGINT)  # as a terminal does: every process of the job
    else:
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err, time.perf_counter() - sent


INTERRUPTED_TRAINING = """
import sys
import fastnn
from fastnn import data
X, y = data.donut(4000, seed=0)
fastnn.MLPClassifier((64,), solver="gd", max_iter=2, tol=None).fit(X, y)  # compiled
print("training", flush=True)
try:
    fastnn.MLPClassifier((64,), solver="gd", max_iter=10**6, tol=None{record}).fit(X, y)
except KeyboardInterrupt:
    sys.exit(3)
"""


# issue 29, item 11: a recording stride longer than a chunk does not hold Ctrl-C back
@pytest.mark.parametrize("record", ["", ", record_trajectory=10**5"])
def test_ctrl_c_during_training_raises_keyboard_interrupt_within_a_second(record):
    rc, out, err, waited = _interrupt(INTERRUPTED_TRAINING.format(record=record), "training")
    assert rc == 3, err
    assert waited < 1.5, f"Ctrl-C took {waited:.1f} s to be honoured"


def test_ctrl_c_with_dask_workers_is_one_line_and_exit_130(tmp_path):
    pytest.importorskip("distributed")
    command = [sys.executable, "-m", "fastnn.cli", "surface", "--model", "mlp", "--workers", "2"]
    command += ["--resolution", "2000", "--no-progress", "--out", str(tmp_path / "s.zarr")]
    rc, out, err, waited = _interrupt(command, None, after=8.0, group=True)
    assert rc == 130, err
    assert err == "fastnn: interrupted\n", err


# -- kill -9 mid-run, then resume: the same bits as an uninterrupted run ------------------------
KILLED_RUN = """
import sys
import fastnn
from fastnn import data
X, y = data.donut(3000, seed=0)
model = fastnn.MLPClassifier((16,), solver="gd", max_iter=20, tol=None, random_state=0).fit(X, y)
fastnn.loss_surface(model, X, y, directions="filter", random_state=0, resolution=(60, 40),
                    tile_rows=1, out=sys.argv[1], progress=False)
"""


@pytest.mark.parametrize("name", ["s.zarr", "s.npy"])
def test_kill_9_mid_run_then_resume_equals_an_uninterrupted_run(tmp_path, name):
    if name.endswith(".zarr"):
        pytest.importorskip("zarr")
    path = tmp_path / name
    process = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(path)])
    record = tmp_path / f"{name}.tiles"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait for some tiles, not all
        written = (
            len(list((path / "values" / "c").rglob("*")))
            if name.endswith(".zarr")
            else (len(record.read_text().splitlines()) - 1 if record.exists() else 0)
        )
        if written >= 5:
            break
        time.sleep(0.02)
    process.kill()
    process.wait()
    X, y = data.donut(3000, seed=0)
    model = fastnn.MLPClassifier((16,), solver="gd", max_iter=20, tol=None, random_state=0)
    model.fit(X, y)
    kw = dict(directions="filter", random_state=0, resolution=(60, 40), tile_rows=1)
    resumed = fastnn.loss_surface(model, X, y, out=path, resume=True, **kw)
    assert 0 < resumed.info["tiles_computed"] < 60
    whole = fastnn.loss_surface(model, X, y, **kw)
    np.testing.assert_array_equal(np.asarray(resumed.values), whole.values)


# -- issue 29, item 3: feature names are checked wherever X enters ---------------------------
@pytest.mark.parametrize("kind", ["linear", "logistic", "multinomial", "mlp"])
def test_columns_other_than_the_fitted_ones_are_refused_wherever_x_enters(kind):
    pd = pytest.importorskip("pandas")
    X, y = data.blobs(120, seed=0)
    if kind == "multinomial":
        y = np.digitize(X[:, 1], [1.0, 3.0])  # three classes
    model = {
        "linear": lambda: fastnn.LinearRegression(),
        "logistic": lambda: fastnn.LogisticRegression(),
        "multinomial": lambda: fastnn.LogisticRegression(),
        "mlp": lambda: fastnn.MLPClassifier((3,), max_iter=20, tol=None, random_state=0),
    }[kind]()
    target = X[:, 0] + X[:, 1] if kind == "linear" else y
    model.fit(pd.DataFrame(X, columns=["a", "b"]), target)
    same = pd.DataFrame(X, columns=["a", "b"])
    np.testing.assert_array_equal(model.predict(same), model.predict(X))  # arrays as they are
    for columns in (["b", "a"], ["c", "d"]):
        other = pd.DataFrame(X, columns=columns)
        for call, arguments in (
            (model.predict, (other,)),
            (model.score, (other, target)),
            (model.loss_grad, (other, target)),
            (lambda *a: fastnn.loss_surface(model, *a, resolution=3), (other, target)),
            (lambda *a: fastnn.hvp(model, *a, np.ones(model.theta_.size)), (other, target)),
        ):
            with pytest.raises(ValueError, match=r"X has the feature names \[.*fitted with"):
                call(*arguments)


# -- issue 29, item 7: trainability maps only where fit would train -------------------------
def test_trainability_refuses_values_fit_refuses_and_overlapping_rates():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 3)), rng.normal(size=16)
    est = fastnn.MLPRegressor((4,), solver="momentum", max_iter=5, tol=None, random_state=0)
    cases = [
        (("learning_rate_init", "momentum"), ((-1.0, 1.0), (0.0, 0.5)), "must be > 0"),
        (("learning_rate_init", "momentum"), ((0.1, 1.0), (0.0, 1.0)), r"momentum must lie"),
        (("init_scale", "momentum"), ((0.0, 2.0), (0.0, 0.5)), "init_scale must be > 0"),
    ]
    for params, ranges, message in cases:
        with pytest.raises(ValueError, match=message):
            fastnn.trainability(est, X, y, params=params, ranges=ranges, scale="linear")
    with pytest.raises(ValueError, match="set the same layer's rate"):
        fastnn.trainability(est, X, y, params=("learning_rate_init", "learning_rate_init[0]"))


# -- issue 29, item 9: imported weights must be finite ---------------------------------------
def test_imported_nan_or_infinite_weights_are_refused_naming_the_layer():
    sklearn = pytest.importorskip("sklearn.neural_network")
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = data.donut(100, seed=0)
    net = sklearn.MLPClassifier((4,), max_iter=30, random_state=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.fit(X, y)
    net.coefs_[1][2, 0] = np.nan
    with pytest.raises(ValueError, match=r"coefs_\[1\] \(layer 1\) holds NaN values"):
        fastnn.from_sklearn(net)
    logistic = linear_model.LogisticRegression().fit(X, y)
    logistic.intercept_[0] = np.inf
    with pytest.raises(ValueError, match="intercept_ holds infinite values"):
        fastnn.from_sklearn(logistic)


# -- issue 29, item 12: Ctrl-C during curvature work outside tiles ---------------------------
INTERRUPTED_CURVATURE = """
import sys
import fastnn
from fastnn import data
X, y = data.donut(20000, seed=0)
net = fastnn.MLPClassifier((64, 64), solver="gd", max_iter=1, tol=None, random_state=0)
net.fit(X, y)
fastnn.hvp(net, X, y, [1.0] * net.theta_.size)  # compiled
print("curvature", flush=True)
try:
    fastnn.hessian_trace(net, X, y, n_vectors=10**5, block=16, random_state=0)
except KeyboardInterrupt:
    sys.exit(3)
"""


def test_ctrl_c_during_curvature_raises_keyboard_interrupt_promptly():
    rc, out, err, waited = _interrupt(INTERRUPTED_CURVATURE, "curvature")
    assert rc == 3, err  # not SystemError: every product runs with Ctrl-C held
    assert waited < 1.5, f"Ctrl-C took {waited:.1f} s to be honoured"


# -- issue 29, item 11: a long recording stride does not hold Ctrl-C back -------------------
@pytest.mark.parametrize("kind", ["mlp", "linear"])
def test_chunks_inside_one_stride_change_no_bit_of_the_run(monkeypatch, kind):
    from fastnn import _training

    X, y = data.donut(200, seed=0)
    if kind == "mlp":
        make = lambda: fastnn.MLPClassifier(  # noqa: E731
            (5,), solver="sgd", max_iter=23, tol=None, random_state=0, record_trajectory=7
        )
    else:
        make = lambda: fastnn.LogisticRegression(  # noqa: E731
            solver="minibatch", batch_size=16, max_iter=23, random_state=0, record_trajectory=7
        )
    whole = make().fit(X, y)
    monkeypatch.setattr(_training, "CALL_WORK", 1)  # one epoch a chunk: 7 chunks a stride
    parts = make().fit(X, y)
    np.testing.assert_array_equal(parts.trajectory_, whole.trajectory_)
    np.testing.assert_array_equal(parts.loss_curve_, whole.loss_curve_)
    np.testing.assert_array_equal(parts.theta_, whole.theta_)


# -- issue 29, item 14: damaged stores and files are one-line errors -------------------------
def test_a_store_missing_an_array_or_its_metadata_is_a_one_line_error(tmp_path, logistic):
    pytest.importorskip("zarr")
    import shutil

    model, X, y = logistic
    kw = dict(directions="random", random_state=0, resolution=(9, 7))
    for damage in ("removed", "emptied"):
        path = tmp_path / f"{damage}.zarr"
        fastnn.loss_surface(model, X, y, out=path, **kw)
        if damage == "removed":
            shutil.rmtree(path / "values")
        else:
            (path / "values" / "zarr.json").write_text("{}")
        with pytest.raises(ValueError, match="is damaged: its 'values' array is missing"):
            fastnn.loss_surface(model, X, y, out=path, resume=True, **kw)
        with pytest.raises(ValueError, match="is damaged: its 'values' array is missing"):
            fastnn.Surface.load(path)
        replaced = fastnn.loss_surface(model, X, y, out=path, overwrite=True, **kw)
        assert replaced.info["tiles_computed"] == replaced.info["tiles"]


@pytest.mark.parametrize("damage", ["no labels", "short axis", "long axis", "no values"])
def test_a_damaged_surface_file_is_a_one_line_error(tmp_path, logistic, damage):
    model, X, y = logistic
    surface = fastnn.loss_surface(model, X, y, directions="random", random_state=0, resolution=5)
    surface.save(tmp_path / "s.npz")
    parts = dict(np.load(tmp_path / "s.npz"))
    meta = json.loads(str(parts["meta"]))
    if damage == "no labels":
        del meta["labels"]
    elif damage == "short axis":
        parts["a"] = parts["a"][:-1]
    elif damage == "long axis":
        parts["b"] = np.r_[parts["b"], 9.0]
    else:
        del parts["values"]
    parts["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "bad.npz", **parts)
    with pytest.raises(ValueError, match="bad.npz: a damaged fastnn surface file"):
        fastnn.Surface.load(tmp_path / "bad.npz")


def test_hutchinson_sizes_beyond_memory_are_refused_naming_them(logistic):
    model, X, y = logistic
    with pytest.raises(ValueError, match="n_vectors: .* would need"):
        fastnn.hessian_trace(model, X, y, n_vectors=10**13)
    with pytest.raises(ValueError, match="block: .* would need"):
        fastnn.hessian_trace(model, X, y, n_vectors=10**9, block=10**9)


# -- issue 29, items 13 and 16: full disks, unwritable places, order of checks ---------------
def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_writing_npz_or_png_is_one_line_and_leaves_nothing(
    tmp_path, capsys, monkeypatch
):
    from fastnn.surface import Surface

    monkeypatch.setattr(Surface, "save", lambda self, path: _enospc())
    out = tmp_path / "s.npz"
    args = ["surface", "--model", "linear", "--resolution", "5", "--no-progress"]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the disk is full" in err and err.count("\n") == 1
    assert os.listdir(tmp_path) == []


def test_an_unwritable_place_is_refused_before_any_work(capsys):
    args = ["surface", "--model", "linear", "--resolution", "5", "--no-progress"]
    assert main([*args, "--out", "/proc/x.npz"]) == 2
    assert "cannot create files in /proc" in capsys.readouterr().err


def test_a_full_disk_while_taking_the_lock_or_writing_the_record_leaves_nothing(
    tmp_path, logistic, monkeypatch
):
    from fastnn.grid import _record

    model, X, y = logistic
    kw = dict(directions="random", random_state=0, resolution=(9, 7))

    class FullFile:
        def __init__(self, fd, mode):
            os.close(fd)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, text):
            _enospc()

    with monkeypatch.context() as patch:
        patch.setattr(_record.os, "fdopen", FullFile)
        with pytest.raises(ValueError, match="cannot write the lock"):
            fastnn.loss_surface(model, X, y, out=tmp_path / "s.npy", **kw)
    assert os.listdir(tmp_path) == []  # no empty lock, nothing else
    with monkeypatch.context() as patch:
        patch.setattr(_record.os, "fsync", _enospc)
        with pytest.raises(ValueError, match="cannot write the completion record"):
            fastnn.loss_surface(model, X, y, out=tmp_path / "s.npy", **kw)
    assert not any(name.endswith((".tmp", ".lock")) for name in os.listdir(tmp_path))
    done = fastnn.loss_surface(model, X, y, out=tmp_path / "s.npy", overwrite=True, **kw)
    assert done.info["tiles_computed"] == done.info["tiles"]


def test_a_full_disk_while_finishing_a_store_resumes_to_a_finished_store(
    tmp_path, logistic, monkeypatch
):
    pytest.importorskip("zarr")
    from fastnn.grid import _store

    model, X, y = logistic
    kw = dict(directions="random", random_state=0, resolution=(9, 7))
    real, calls = _store._consolidate, []

    def full_at_the_end(path):
        calls.append(path)
        if len(calls) > 1:  # creating the store succeeded; finishing it meets a full disk
            _enospc()
        return real(path)

    with monkeypatch.context() as patch:
        patch.setattr(_store, "_consolidate", full_at_the_end)
        with pytest.raises(ValueError, match="every tile is written"):
            fastnn.loss_surface(model, X, y, out=tmp_path / "s.zarr", **kw)
    resumed = fastnn.loss_surface(model, X, y, out=tmp_path / "s.zarr", resume=True, **kw)
    assert resumed.info["tiles_computed"] == 0
    fastnn.Surface.load(tmp_path / "s.zarr", verify=True)


def test_a_memmap_never_silently_replaces_another_runs_record(tmp_path, logistic):
    model, X, y = logistic
    kw = dict(directions="random", resolution=(9, 7))
    path = tmp_path / "m.npy"
    first = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(9, 7))
    fastnn.loss_surface(model, X, y, out=first, random_state=0, **kw)
    again = np.load(path, mmap_mode="r+")
    with pytest.raises(ValueError, match="records another run's tiles"):
        fastnn.loss_surface(model, X, y, out=again, random_state=1, **kw)
    fastnn.loss_surface(model, X, y, out=again, random_state=1, overwrite=True, **kw)


def test_bad_options_are_refused_before_a_cluster_starts(capsys):
    pytest.importorskip("distributed")
    start = time.perf_counter()
    args = ["surface", "--model", "linear", "--metric", "accuracy", "--no-progress"]
    assert main([*args, "--workers", "1"]) == 2
    assert "--metric accuracy" in capsys.readouterr().err
    assert time.perf_counter() - start < 3  # no cluster was started for it
    assert main(["surface", "--model", "linear", "--workers", str(10**6)]) == 2
    assert "more worker processes than cores" in capsys.readouterr().err


# -- issue 29, item 15: errors that name the right row, cell and argument --------------------
def test_a_ragged_row_or_a_decimal_comma_is_named_not_the_header(tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b,y\n1,2,0\n3,4,5,1\n5,6,1\n")
    with pytest.raises(ValueError, match="data row 2 has 4 columns, the first has 3"):
        data.load(ragged)
    comma = tmp_path / "comma.csv"
    comma.write_text('a,b,y\n1,2,0\n"1,5",4,1\n5,6,1\n')
    with pytest.raises(ValueError, match=r"data row 2 is not all numbers .*column 1 holds '1,5'"):
        data.load(comma)


def test_the_demo_into_an_unwritable_directory_is_one_line(tmp_path, capsys, monkeypatch):
    from fastnn import demo

    def unwritable(self):
        raise PermissionError(13, "Permission denied", str(tmp_path / "d" / "index.html"))

    monkeypatch.setattr(demo.Demo, "run", unwritable)
    assert main(["demo", "--out", str(tmp_path / "d"), "--quick"]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "Permission denied" in err and err.count("\n") == 1
    assert main(["demo", "--out", "/proc/fastnn-demo", "--quick"]) == 2
    assert "cannot create" in capsys.readouterr().err


# -- issue 29, item 8: finite inputs whose results overflow say so, naming the argument ------
def test_finite_inputs_that_overflow_are_refused_or_warned_naming_the_argument(logistic):
    _, X, _ = logistic
    x, t = X[:, :1], X[:, 1]
    model = fastnn.LinearRegression().fit(x, t)  # squared error: overflows first
    with pytest.raises(ValueError, match="v: H v overflows float64"):
        fastnn.hvp(model, x, t, np.full(2, 1e308))
    with pytest.warns(fastnn.OverflowWarning, match="lower span="):
        surface = fastnn.loss_surface(model, x, t, params=(0, 1), span=1e200, resolution=5)
    assert surface.info["non_finite"] > 0
    with pytest.warns(fastnn.OverflowWarning, match="lower span="):
        fastnn.loss_surface(model, x, t, center=[1e300, 1e300], resolution=3)
    with pytest.warns(fastnn.OverflowWarning, match=r"LinearRegression: loss_ is inf.*scale y"):
        fastnn.LinearRegression().fit(x, t * 1e200)


def test_unordered_labels_string_targets_and_bad_vectors_name_their_argument():
    X, y = data.blobs(50, seed=0)
    labels = np.array([None, 1] * 25, dtype=object)
    for model in (fastnn.LogisticRegression(), fastnn.MLPClassifier(max_iter=5, tol=None)):
        with pytest.raises(ValueError, match="y holds labels that cannot be ordered"):
            model.fit(X, labels)
    with pytest.raises(ValueError, match="y must hold numbers .* for MLPRegressor"):
        fastnn.MLPRegressor(max_iter=5).fit(X, ["a"] * 50)
    line = fastnn.LinearRegression().fit(X[:, :1], X[:, 1])
    with pytest.raises(ValueError, match="v must be numbers"):
        fastnn.hvp(line, X[:, :1], X[:, 1], "abc")


def test_a_pipeline_with_a_sparse_step_imports_and_maps():
    pipeline = pytest.importorskip("sklearn.pipeline")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(60, 2)).astype(float)
    y = (X[:, 0] == 1).astype(int)
    fitted = pipeline.make_pipeline(
        preprocessing.OneHotEncoder(), linear_model.LogisticRegression()
    ).fit(X, y)
    imported = fastnn.from_sklearn(fitted)
    np.testing.assert_array_equal(imported.predict(X), fitted.predict(X))
    fastnn.loss_surface(imported, X, y, directions="random", random_state=0, resolution=3)


def test_an_edited_store_attribute_is_a_one_line_error(tmp_path, logistic):
    pytest.importorskip("zarr")
    from fastnn.grid import _store

    model, X, y = logistic
    path = tmp_path / "s.zarr"
    fastnn.loss_surface(model, X, y, directions="random", random_state=0, resolution=5, out=path)
    document = json.loads((path / "zarr.json").read_text())
    document["attributes"]["center_loss"] = "low"
    (path / "zarr.json").write_text(json.dumps(document))
    _store._consolidate(str(path))
    with pytest.raises(ValueError, match="attribute 'center_loss' is damaged"):
        fastnn.Surface.load(path)


def test_reading_a_damaged_chunk_of_a_loaded_store_names_the_store(tmp_path, logistic):
    zarr = pytest.importorskip("zarr")
    model, X, y = logistic
    path = tmp_path / "s.zarr"
    fastnn.loss_surface(model, X, y, directions="random", random_state=0, resolution=(9, 7),
                        tile_rows=3, out=path)  # fmt: skip
    chunk = sorted(p for p in (path / "values" / "c").rglob("*") if p.is_file())[1]
    damaged = bytearray(chunk.read_bytes())
    damaged[5] ^= 0xFF
    chunk.write_bytes(bytes(damaged))
    values = fastnn.Surface.load(path).values
    assert isinstance(values, zarr.Array)
    with pytest.raises(ValueError, match=r"s.zarr: a tile of its values is damaged \(checksum"):
        np.asarray(values)


INTERRUPTED_TOPOLOGY = """
import sys
import numpy as np
from fastnn.surface import Surface
x = np.linspace(-3, 3, 4001)
values = np.sin(3 * x)[:, None] * np.cos(2 * x)[None, :] + 0.1 * x[:, None] ** 2
surface = Surface(x, x, values, np.zeros(2), np.eye(2), 0.0)
Surface(x[:9], x[:9], values[:9, :9], np.zeros(2), np.eye(2), 0.0).topology()  # imported
print("topology", flush=True)
try:
    surface.topology()
except KeyboardInterrupt:
    sys.exit(3)
"""


def test_ctrl_c_during_a_topology_raises_keyboard_interrupt_promptly():
    pytest.importorskip("cripser")
    rc, out, err, waited = _interrupt(INTERRUPTED_TOPOLOGY, "topology", after=0.5)
    assert rc == 3, err
    assert waited < 1.5, f"Ctrl-C took {waited:.1f} s to be honoured"


INTERRUPTED_CURVE = """
import sys
import fastnn
from fastnn import lecture
X, y = lecture.network_data(0)
a, b = (lecture.network_model(max_iter=5, random_state=s).fit(X, y) for s in (0, 1))
fastnn.connect(a, b, X, y, epochs=1, resolution=3)  # compiled
print("curve", flush=True)
try:
    fastnn.connect(a, b, X, y, epochs=10**6, batch_size=1, resolution=3)
except KeyboardInterrupt:
    sys.exit(3)
"""


def test_ctrl_c_while_a_curve_trains_raises_keyboard_interrupt_within_a_second():
    rc, out, err, waited = _interrupt(INTERRUPTED_CURVE, "curve")
    assert rc == 3, err
    assert waited < 1.5, f"Ctrl-C took {waited:.1f} s to be honoured"
