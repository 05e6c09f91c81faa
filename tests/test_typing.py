"""fastnn's typed API: every public name annotated, and a user's type checker reads them."""

import importlib
import inspect
import pathlib
import re

import pytest

import fastnn

ROOT = pathlib.Path(__file__).resolve().parent.parent
API_PAGE = ROOT / "docs" / "api" / "index.md"


def _public_names():
    """Every name the API reference lists (``autosummary`` entries)."""
    return re.findall(r"^   ([A-Za-z_][\w.]*)$", API_PAGE.read_text(), re.M)


def _resolve(name):
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module("fastnn." + ".".join(parts[:k]))
        except ImportError:
            continue
        for part in parts[k:]:
            obj = getattr(obj, part)
        return obj
    obj = fastnn
    for part in parts:
        obj = getattr(obj, part)
    return obj


def _callables(name, obj):
    if inspect.isclass(obj):
        # its own members and those it inherits from fastnn's base classes
        own = [c for c in obj.__mro__ if c.__module__.startswith("fastnn")]
        members = {m: v for c in reversed(own) for m, v in vars(c).items()}
        for member, value in members.items():
            if member.startswith("_") and member != "__init__":
                continue
            function = value.fget if isinstance(value, property) else getattr(obj, member, None)
            if callable(function):
                yield f"{name}.{member}", function
    elif callable(obj):
        yield name, obj


def _unannotated(qualname, function):
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # builtins and numba dispatchers without one
        return []
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty
    ]
    if function.__name__ != "__init__" and signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return [f"{qualname}({name})" for name in missing]


def test_the_api_page_lists_every_top_level_name():
    listed = {name.split(".")[0] for name in _public_names()}
    assert set(fastnn.__all__) - listed == set()


def test_every_public_function_and_method_is_annotated():
    missing = []
    for name in _public_names():
        for qualname, function in _callables(name, _resolve(name)):
            missing += _unannotated(qualname, function)
    assert missing == []


def test_the_package_says_it_is_typed():
    assert (ROOT / "fastnn" / "py.typed").is_file()
    assert 'fastnn = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()


USER_CODE = """
import numpy as np
import fastnn

X, y = fastnn.data.donut(200, seed=0)
net = fastnn.MLPClassifier((8,), "tanh", max_iter=5).fit(X, y)
surface = fastnn.loss_surface(net, X, y, directions="pca", resolution=11)
coords: np.ndarray = surface.project(net.coefs_[0].ravel())
score: float = net.score(X, y)
{extra}
"""


def test_a_users_type_checker_reads_the_annotations(tmp_path):
    api = pytest.importorskip("mypy.api")
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(USER_CODE.format(extra=""))
    bad.write_text(USER_CODE.format(extra='fastnn.loss_surface(net, X, y, resolution="big")\n'
                                          "name: str = net.score(X, y)"))  # fmt: skip
    options = ["--no-incremental", "--follow-imports=silent", "--ignore-missing-imports"]
    out, err, status = api.run([*options, str(good)])
    assert status == 0, out + err
    out, err, status = api.run([*options, str(bad)])
    assert status == 1
    assert 'Argument "resolution" to "loss_surface" has incompatible type "str"' in out, out
    assert 'expression has type "float", variable has type "str"' in out, out
