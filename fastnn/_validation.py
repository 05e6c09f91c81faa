"""Every input check of fastnn, in one place.

Each check raises ``ValueError`` (``TypeError`` for sparse matrices) with a
message that names the argument and says what was expected, and returns the
input converted to what the kernels need (float64, C-contiguous).
"""

from __future__ import annotations

import numbers

import numpy as np

# Arrays are small enough to show in an error message up to this many items.
_SHOW = 10


def _describe(values) -> str:
    values = list(values)
    head = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:_SHOW])
    return f"[{head}{', ...' if len(values) > _SHOW else ''}]"


def _as_float_array(a, name: str) -> np.ndarray:
    if a is None:
        raise ValueError(f"{name} is required, but {name} is None")
    if hasattr(a, "tocsr") or hasattr(a, "toarray"):
        raise TypeError(
            f"{name} is a sparse matrix; fastnn needs a dense array: pass {name}.toarray()"
        )
    raw = np.asarray(a)
    if raw.dtype.kind == "c":
        raise ValueError(f"{name} holds complex numbers: Complex data not supported")
    try:
        arr = raw.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        # Keep numpy's exception type: TypeError for objects that are no numbers at all.
        raise type(exc)(f"{name} must contain only numbers: {exc}") from None
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise if ``arr`` holds NaN or +-inf, naming the first offending position."""
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(arr[where]) else "infinity"
        index = where if len(where) > 1 else where[0]
        raise ValueError(
            f"{name} contains NaN or infinity ({kind} at index {index}); fastnn needs finite values"
        )


def _check_feature_names_of(X, fitted, name: str, estimator: str) -> None:
    """ValueError when ``X``'s column names are not the ``fitted`` ones, in order."""
    columns = getattr(X, "columns", None)
    names = [] if columns is None else list(columns)
    if not names or not all(isinstance(n, str) for n in names):
        return
    if names != [str(n) for n in fitted]:
        shown = ", ".join(repr(n) for n in names[:6]) + (", ..." if len(names) > 6 else "")
        expected = ", ".join(repr(str(n)) for n in list(fitted)[:6])
        expected += ", ..." if len(fitted) > 6 else ""
        raise ValueError(
            f"{name} has the feature names [{shown}], but {estimator} was fitted with "
            f"[{expected}]: pass the same columns in the same order"
        )


def check_X(
    X,
    name: str = "X",
    n_features: int | None = None,
    estimator: str = "the model",
    feature_names=None,
) -> np.ndarray:
    """Validate a 2-D design matrix of shape ``(n_samples, n_features)``.

    With ``n_features``, ``X`` must have that many columns (those ``estimator`` was fitted on).
    With ``feature_names`` (the estimator's ``feature_names_in_``), an ``X`` that names its
    columns (a DataFrame) must name them the same, in the same order, as scikit-learn
    requires; a plain array is taken as it is.
    """
    if feature_names is not None:
        _check_feature_names_of(X, feature_names, name, estimator)
    arr = _as_float_array(X, name)
    if arr.ndim != 2:
        hint = (
            f". Reshape your data with {name}.reshape(-1, 1) if it has a single feature"
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features); "
            f"got {arr.ndim}-D, shape {arr.shape}{hint}"
        )
    for axis, what in enumerate(("sample", "feature")):
        if arr.shape[axis] == 0:
            raise ValueError(
                f"{name} is empty: it has 0 {what}(s) (shape={arr.shape}) "
                "while a minimum of 1 is required."
            )
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but {estimator} is expecting {n_features} "
            "features as input (the number it was fitted with)"
        )
    check_finite(arr, name)
    return np.ascontiguousarray(arr)


def check_vector(v, name: str, size: int | None = None) -> np.ndarray:
    """Validate a finite 1-D float vector (a column vector ``(n, 1)`` is accepted)."""
    arr = _as_float_array(v, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (or a column (n, 1)); got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if size is not None and arr.size != size:
        raise ValueError(f"{name} must have {size} entries; got {arr.size}")
    check_finite(arr, name)
    return np.ascontiguousarray(arr)


def check_target(y, n_samples: int, name: str = "y") -> np.ndarray:
    """Validate a numeric regression target with one finite value per sample."""
    if y is None:
        raise ValueError(f"this estimator requires y to be passed, but the target {name} is None")
    y = check_vector(y, name)
    if y.size != n_samples:
        raise ValueError(f"{name} has {y.size} entries but X has {n_samples} rows; they must match")
    return y


def check_targets(y, n_samples: int, estimator: str = "this regressor") -> np.ndarray:
    """Regression targets as a finite ``(n_samples, n_outputs)`` array (1-D y: one output)."""
    if y is None:
        raise ValueError(f"{estimator} requires y to be passed, but the target y is None")
    if hasattr(y, "toarray"):
        raise TypeError("y is a sparse matrix; pass y.toarray()")
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"y must hold numbers (regression targets) for {estimator}: {exc}; class labels "
            "belong to a classifier"
        ) from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n_samples or arr.shape[1] == 0:
        raise ValueError(
            f"y must have shape (n_samples,) or (n_samples, n_outputs) with n_samples = "
            f"{n_samples}; got shape {np.shape(y)}"
        )
    return check_X(np.ascontiguousarray(arr), name="y")


def check_labels(
    y, n_samples: int, name: str = "y", estimator: str = "this classifier"
) -> np.ndarray:
    """Validate class labels (any comparable values), one per sample; returns a 1-D array.

    Floats must be whole numbers: a continuous target is refused.
    """
    if y is None:
        raise ValueError(f"this estimator requires y to be passed, but the target {name} is None")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D class labels (or a column (n, 1)); got shape {arr.shape}"
        )
    if arr.size != n_samples:
        raise ValueError(
            f"{name} has {arr.size} entries but X has {n_samples} rows; they must match"
        )
    if arr.dtype.kind in "fc":
        check_finite(arr, name)
    if arr.dtype == object and len({isinstance(v, str) for v in arr.tolist()}) > 1:
        raise ValueError(
            f"{name} mixes strings and numbers ({_describe(arr[:4].tolist())}); class labels "
            "must be all strings or all numbers"
        )
    if arr.dtype == object:  # None, or values that do not compare: no classes to sort
        try:
            np.unique(arr)
        except TypeError:
            kinds = sorted({type(v).__name__ for v in arr.tolist()})
            raise ValueError(
                f"{name} holds labels that cannot be ordered ({', '.join(kinds)}); class "
                "labels must be all strings or all numbers, without None"
            ) from None
    fractional = arr[arr != np.round(arr)] if arr.dtype.kind == "f" else arr[:0]
    if fractional.size:
        raise ValueError(
            f"Unknown label type: {name} is continuous (non-integer values such as "
            f"{fractional[0]!r}); {estimator} needs class labels"
        )
    return arr


def check_binary_labels(y, n_samples: int, estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(classes, y01)``: the two sorted distinct labels and y mapped to 0.0/1.0."""
    y = check_labels(y, n_samples, estimator=estimator)
    classes = np.unique(y)
    if classes.size != 2:
        if classes.size > 2:
            more = (
                "Only binary classification is supported here (a fitted LogisticRegression or "
                "an MLPClassifier handles more classes)."
            )
        else:
            more = "There is only 1 class: nothing to separate."
        raise ValueError(
            f"{estimator} needs y with exactly 2 distinct classes; got {classes.size}: "
            f"{_describe(classes)}. {more}".rstrip()
        )
    return classes, (y == classes[1]).astype(np.float64)


def check_positive(value, name: str) -> float:
    """A finite real number > 0 (a learning rate, a width, ...)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    value = float(value)
    if not (np.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return value


# Counts the kernels hold in float64 or int64 stay below this (exact in both).
LARGEST_COUNT = 2**53


def check_int(value, name: str, minimum: int = 1, maximum: int = LARGEST_COUNT) -> int:
    """An integer in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if int(value) > maximum:
        why = " (2**53)" if maximum == LARGEST_COUNT else ""
        raise ValueError(f"{name} must be an integer <= {maximum}{why}; got {value!r}")
    return int(value)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux: MemAvailable), or None."""
    import os

    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(nbytes: float) -> str:
    """A size in the unit that shows it: ``"1000 bytes"``, ``"3.4 KiB"``, ``"7450.6 GiB"``."""
    if nbytes < 1024:
        return f"{int(nbytes)} bytes"
    for unit, power in (("KiB", 10), ("MiB", 20)):
        if nbytes < 1024 * 2**power:
            return f"{nbytes / 2**power:.1f} {unit}"
    return f"{nbytes / 2**30:.1f} GiB"


def check_allocation(nbytes: int, name: str, what: str) -> None:
    """ValueError naming the argument ``name`` when ``what`` (``nbytes``) cannot fit in memory."""
    available = available_memory()
    if available is not None and nbytes > 0.8 * available:
        raise ValueError(
            f"{name}: {what} would need {format_bytes(nbytes)} of memory, and "
            f"{format_bytes(available)} are available"
        )


def check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _one_or_per_layer(value, name: str, check_one, what: str):
    """``check_one(value)``, or a tuple of ``check_one`` of each entry of a 1-D sequence.

    The length is the caller's to check (it needs the network); ``what`` names a valid
    entry in the message.
    """
    if isinstance(value, (list, tuple, np.ndarray)):
        entries = tuple(value.tolist() if isinstance(value, np.ndarray) else value)
        if not entries or np.ndim(value) != 1:
            raise ValueError(
                f"{name} must be {what} or a sequence of them, one per layer; got {value!r}"
            )
        return tuple(check_one(entry, f"{name}[{k}]") for k, entry in enumerate(entries))
    return check_one(value, name)


def check_biases(value, name: str = "biases") -> bool | tuple[bool, ...]:
    """True, False, or one bool per layer (a tuple; its length is the caller's to check)."""
    return _one_or_per_layer(value, name, check_bool, "True, False")


def check_option(value, name: str, options) -> str:
    """One of a fixed set of strings."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(o) for o in options)}; got {value!r}"
        )
    return value


def check_batch_size(value, n_samples: int) -> int:
    """``"auto"`` (``min(200, n_samples)``, as scikit-learn) or an integer >= 1, capped at n."""
    if isinstance(value, str) and value == "auto":
        return min(200, n_samples)
    return min(check_int(value, "batch_size"), n_samples)


def check_record_every(value, name: str = "record_trajectory") -> int:
    """``record_trajectory``: False/0 (off), True (every iteration) or an int k >= 1."""
    if isinstance(value, (bool, np.bool_)):
        return int(bool(value))
    return check_int(value, name, minimum=0)


def check_random_state(seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from None, an int seed or a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        if seed is not None and int(seed) < 0:
            raise ValueError(f"random_state must be None, an int >= 0 or a Generator; got {seed!r}")
        return np.random.default_rng(None if seed is None else int(seed))
    raise ValueError(f"random_state must be None, an int >= 0 or a Generator; got {seed!r}")


def check_nonnegative(value, name: str) -> float:
    """A finite real number >= 0 (a penalty)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    value = float(value)
    if not (np.isfinite(value) and value >= 0.0):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return value


def check_fraction(value, name: str) -> float:
    """A number in [0, 1) (momentum, Adam's betas)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) < 1:
        raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
    return float(value)


def check_per_layer(value, name: str = "learning_rate_init"):
    """A number > 0, or a sequence of them (one per layer): float or tuple of floats."""
    return _one_or_per_layer(value, name, check_positive, "a number > 0")


def check_open_fraction(value, name: str) -> float:
    """A number in (0, 1) (a share of the samples held out)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) < 1:
        raise ValueError(f"{name} must be a number in (0, 1); got {value!r}")
    return float(value)


def check_tol(value, name: str = "tol") -> float | None:
    """None (no early stopping) or a number >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value) >= 0:
        raise ValueError(f"{name} must be None or a number >= 0; got {value!r}")
    return float(value)


def check_hidden_layer_sizes(value, name: str = "hidden_layer_sizes") -> tuple[int, ...]:
    """A positive int or a sequence of them (units per hidden layer; ``()`` for none)."""
    sizes = (value,) if isinstance(value, numbers.Integral) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = None
    if sizes is None or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and int(s) >= 1 for s in sizes
    ):
        raise ValueError(
            f"{name} must be a positive int or a sequence of positive ints "
            f"(units per hidden layer); got {value!r}"
        )
    return tuple(int(s) for s in sizes)


def check_batch_size_setting(value, name: str = "batch_size"):
    """``"auto"`` or an integer >= 1 (capped at the data's size by :func:`check_batch_size`)."""
    if isinstance(value, str) and value == "auto":
        return value
    return check_int(value, name)


def check_threads(threads, limit: int) -> int | None:
    """None (numba's current setting) or a thread count between 1 and ``limit``."""
    if threads is None:
        return None
    if (
        isinstance(threads, bool)
        or not isinstance(threads, (int, np.integer))
        or not (1 <= threads <= limit)
    ):
        raise ValueError(
            f"threads must be an int between 1 and {limit} (numba's pool); got {threads!r}"
        )
    return int(threads)


def check_tile_rows(tile_rows) -> int | None:
    """None (the default tiling) or a positive number of grid rows per tile."""
    if tile_rows is None:
        return None
    if isinstance(tile_rows, bool) or not isinstance(tile_rows, (int, np.integer)) or tile_rows < 1:
        raise ValueError(f"tile_rows must be a positive int; got {tile_rows!r}")
    return int(tile_rows)


def check_out_array(out, shape) -> np.ndarray:
    """A writeable float64 array (or memmap) of ``shape`` to write a result into."""
    if not isinstance(out, np.ndarray) or out.dtype != np.float64 or out.shape != shape:
        raise ValueError(
            f"out must be a float64 array (or numpy.memmap) of shape {shape}; got "
            f"{type(out).__name__} {getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}"
        )
    if not out.flags.writeable:
        raise ValueError("out must be writeable (a memmap opened with mode 'w+' or 'r+')")
    return out


def check_resolution(resolution, pair: bool = True):
    """Grid points per axis: an int >= 2, or (with ``pair``) a pair of them."""
    values: tuple
    if pair and isinstance(resolution, (tuple, list, np.ndarray)) and len(resolution) == 2:
        values = (resolution[0], resolution[1])
    else:
        values = (resolution, resolution) if pair else (resolution,)
    for g in values:
        if isinstance(g, bool) or not isinstance(g, numbers.Integral) or int(g) < 2:
            what = "an int >= 2 or a pair of them" if pair else "an int >= 2"
            raise ValueError(
                f"resolution must be {what} (grid points per axis); got {resolution!r}"
            )
    return tuple(int(g) for g in values) if pair else int(values[0])


def check_trajectory(trajectory, n_params: int) -> np.ndarray:
    """A finite ``(n_steps, n_params)`` array of parameter vectors."""
    arr = np.asarray(trajectory, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != n_params or arr.shape[0] < 1:
        raise ValueError(
            f"trajectory must have shape (n_steps, {n_params}) (one parameter vector per row); "
            f"got shape {arr.shape}"
        )
    check_finite(arr, "trajectory")
    return arr


def is_several_paths(trajectory) -> bool:
    """Whether ``trajectory`` is several paths: a dict, or a list/tuple of 2-D arrays."""
    if isinstance(trajectory, dict):
        return True
    return (
        isinstance(trajectory, (list, tuple))
        and len(trajectory) > 0
        and all(isinstance(t, np.ndarray) and t.ndim == 2 for t in trajectory)
    )


def check_paths(trajectory, n_params: int) -> dict:
    """One path or several as ``{label: (n_steps, n_params) array}``.

    One path: an ``(n_steps, n_params)`` array (label ``""``).  Several: a dict of labels
    to paths, or a list/tuple of 2-D arrays (labelled ``"path 1"``, ``"path 2"``, ...).
    """
    if not is_several_paths(trajectory):
        return {"": check_trajectory(trajectory, n_params)}
    items = (
        trajectory.items()
        if isinstance(trajectory, dict)
        else ((f"path {k + 1}", t) for k, t in enumerate(trajectory))
    )
    paths = {}
    for label, path in items:
        try:
            paths[str(label)] = check_trajectory(path, n_params)
        except ValueError as exc:
            raise ValueError(f"trajectory {label!r}: {exc}") from None
    if not paths:
        raise ValueError("trajectory: an empty dict holds no path")
    return paths


# -- declared constraints of estimator parameters (scikit-learn's _parameter_constraints) --
def one_of(*options):
    """Constraint: one of the strings ``options``."""
    return lambda value, name: check_option(value, name, options)


def seed(value, name: str = "random_state") -> np.random.Generator:
    """Constraint: None, an int >= 0 or a Generator (see :func:`check_random_state`)."""
    return check_random_state(value)


def validate_params(estimator) -> dict:
    """Every constructor parameter of ``estimator`` checked by its declared constraint.

    ``type(estimator)._parameter_constraints`` maps each parameter name to a check
    ``(value, name) -> checked value``; returns ``{name: checked value}``.
    """
    return {
        name: check(getattr(estimator, name), name)
        for name, check in type(estimator)._parameter_constraints.items()
    }
