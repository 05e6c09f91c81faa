"""What every subcommand of the ``fastnn`` command shares: errors, the parser, outputs."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile

from fastnn._disk import full_disk_is

USAGE_ERROR = 2
TRAINING_FAILED = 3
INTERRUPTED = 130


class CommandError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""

    status = USAGE_ERROR


class TrainingError(CommandError):
    """The model the surface needs diverged or did not converge: one line, exit status 3."""

    status = TRAINING_FAILED


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "-1e3" is a number, not an option (argparse only knows -1 and -1.5)
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

    def parse_known_args(self, args=None, namespace=None):
        self._arguments = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message):
        # argparse reports a missing required option before an unknown one: a mistyped
        # "--modle" read "--model is required"; name the unknown option instead.
        unknown = [
            arg
            for arg in getattr(self, "_arguments", [])
            if arg.startswith("--")
            and not any(o.startswith(arg.split("=")[0]) for o in self._option_string_actions)
        ]
        if unknown and "required" in message:
            message = f"unrecognized arguments: {' '.join(unknown)}"
        raise CommandError(f"{self.prog}: {message} (see {self.prog} --help)")


def seed(text: str) -> int:
    """--seed: a non-negative int (numpy's seeds are)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative int; got {value}")
    return value


def check_output_path(option: str, path: str, store: bool = False) -> None:
    """An output's place: its directory exists and, unless a store, it is not a directory."""
    if os.path.isdir(path) and not store:
        raise CommandError(f"{option} {path} is a directory; give a file name")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"{option} {path}: the directory {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise CommandError(f"{option} {path}: the directory {directory} is not writable")
    try:  # where access() says yes and creating a file still fails (/proc, a full quota)
        handle, probe = tempfile.mkstemp(prefix=".fastnn-probe-", dir=directory)
    except OSError as exc:
        raise CommandError(
            f"{option} {path}: cannot create files in {directory}: {exc.strerror or exc}"
        ) from None
    os.close(handle)
    os.unlink(probe)


def check_new_output(
    option: str, path: str, suffixes=None, *, replace: bool = False, hint: str = ""
) -> None:
    """Check an output about to be written: its name, its place, and that it is new.

    Its name ends with one of ``suffixes`` (when given); it exists only where
    ``replace`` says so (--force, or a resumed --out); ``hint`` ends the refusal.
    """
    path = path.rstrip("/")
    if suffixes is not None and not path.endswith(tuple(suffixes)):
        raise CommandError(
            f"{option} {path}: name it " + " or ".join(f"FILE{suffix}" for suffix in suffixes)
        )
    check_output_path(option, path, store=path.endswith(".zarr"))
    if not replace and os.path.exists(path):
        raise CommandError(f"{option} {path} exists; pass --force to replace it{hint}")


def require_interactive() -> None:
    """Plotly importable (for --html), checked before any work; else exit 2 saying how."""
    from fastnn.interactive import require_plotly

    try:
        require_plotly()
    except ImportError as exc:
        raise CommandError(f"--html: {exc}") from None


def load_data(path: str, return_names: bool = False, option: str = "--data"):
    """``fastnn.data.load(path)``, its errors as errors of ``option`` (exit 2)."""
    from fastnn import data

    try:
        return data.load(path, return_names=return_names)
    except ValueError as exc:
        raise CommandError(f"{option}: {exc}") from None


def standardized(X, reference=None):
    """Features shifted to zero mean and scaled to unit variance (constant ones: centred).

    With ``reference`` (the training features), by its mean and spread: a held-out set
    is transformed as the training set was.
    """
    import numpy as np

    reference = X if reference is None else reference
    scale = reference.std(axis=0)
    return (X - reference.mean(axis=0)) / np.where(scale > 0, scale, 1.0)


def write_atomically(path: str, write) -> None:
    """``write(tmp_path)`` then rename to ``path``: an interrupted run leaves no partial file."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"{path}: the directory {directory} does not exist")
    suffix = os.path.splitext(path)[1]
    try:
        handle, tmp = tempfile.mkstemp(prefix=".fastnn-", suffix=suffix, dir=directory)
    except OSError as exc:
        raise CommandError(f"{path}: cannot create it: {exc.strerror or exc}") from None
    os.close(handle)
    full = f"{path}: the disk is full ({{reason}}); nothing was written: free some space"
    try:
        with full_disk_is(CommandError, full + " and run again"):
            write(tmp)
            # mkstemp creates the file 0600; the result gets the mode any new file would
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    """The process's umask (read by setting it, then restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def activation_argument(names: list[str]):
    """``--activation``'s names: one for every hidden layer, or one per hidden layer."""
    return names[0] if len(names) == 1 else tuple(names)
