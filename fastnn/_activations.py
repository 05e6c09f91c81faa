"""Hidden activations as the user writes them, and as the kernels read them.

A user names one activation for every hidden layer (``"tanh"``), or one per hidden layer
(``("relu", "tanh")``); an entry may carry its parameter as a pair
(``("leaky_relu", 0.2)``: the negative slope; ``("elu", alpha)``; ``("softplus",
threshold)``).  The kernels read an *activation table*
(:mod:`fastnn.kernels._activation`): a float64 ``(n_hidden, 2)`` array of codes and
parameters, and one more row, the output layer's, for a regression network whose outputs
are activated before the squared error (``output_activation``).  Grid evaluations carry
it as :func:`table_key` (exact in its ``repr``), since a store's fingerprint is the repr
of its codes.
"""

from __future__ import annotations

import math

import numpy as np

from fastnn._codes import ACTIVATION_CODES, ACTIVATION_DEFAULTS, LEAKY_RELU

_NAMES = {code: name for name, code in ACTIVATION_CODES.items()}


def _entry(value, name: str) -> tuple[str, float]:
    if isinstance(value, str):
        activation, parameter = value, None
    elif isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[0], str):
        activation, parameter = value
    else:
        raise ValueError(
            f"{name} entries must be an activation name or a (name, parameter) pair; got {value!r}"
        )
    if activation not in ACTIVATION_CODES:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(o) for o in ACTIVATION_CODES)}; "
            f"got {activation!r}"
        )
    if parameter is None:
        return activation, float(ACTIVATION_DEFAULTS.get(activation, 0.0))
    if activation not in ACTIVATION_DEFAULTS:
        raise ValueError(f"{name}: {activation!r} takes no parameter; got {parameter!r}")
    if isinstance(parameter, bool) or not isinstance(parameter, (int, float, np.number)):
        raise ValueError(f"{name}: the parameter of {activation!r} must be a number")
    parameter = float(parameter)
    if not math.isfinite(parameter) or (activation == "elu" and parameter <= 0.0):
        raise ValueError(
            f"{name}: the parameter of {activation!r} must be finite"
            + (" and > 0" if activation == "elu" else "")
            + f"; got {parameter!r}"
        )
    return activation, parameter


def _is_single(value) -> bool:
    """A name or one (name, parameter) pair: the same activation for every hidden layer."""
    return isinstance(value, str) or (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and isinstance(value[0], str)
        and not isinstance(value[1], (str, tuple, list))
    )


def check_activation(value, name: str = "activation"):
    """Constraint: a name, a (name, parameter) pair, or a sequence of those (one per layer).

    Returns the value as given, entries checked (the number of hidden layers is checked
    by :func:`activation_table`).
    """
    if _is_single(value):
        _entry(value, name)
        return value
    if not isinstance(value, (tuple, list)) or len(value) == 0:
        raise ValueError(
            f"{name} must be an activation name or a sequence of them, one per hidden "
            f"layer; got {value!r}"
        )
    for entry in value:
        _entry(entry, name)
    return value


def check_output_activation(value, name: str = "output_activation"):
    """Constraint: one activation name or (name, parameter) pair; returns it as given."""
    if not _is_single(value):
        raise ValueError(
            f"{name} is the output layer's one activation: a name or a (name, parameter) "
            f"pair; got {value!r}"
        )
    _entry(value, name)
    return value


def activation_table(
    value, n_hidden: int, name: str = "activation", output="identity"
) -> np.ndarray:
    """The kernels' float64 ``(n_hidden, 2)`` table of codes and parameters.

    ``output`` (a name or a (name, parameter) pair, checked as ``output_activation``):
    the output layer's activation; anything but ``"identity"`` adds its row (then the
    table has ``n_hidden + 1`` rows).
    """
    check_activation(value, name)
    output_row = _entry(output, "output_activation")
    if _is_single(value):
        entries = [_entry(value, name)] * n_hidden
    else:
        entries = [_entry(v, name) for v in value]
    if len(entries) != n_hidden:
        raise ValueError(
            f"{name} gives {len(entries)} activations for a network with {n_hidden} hidden "
            "layers (hidden_layer_sizes); give one per hidden layer, or one name for all"
        )
    if output_row[0] != "identity":
        entries.append(output_row)
    table = np.array([(ACTIVATION_CODES[a], p) for a, p in entries], dtype=np.float64).reshape(
        len(entries), 2
    )
    return table


def table_key(table: np.ndarray, n_hidden: int):
    """The table in a grid evaluation's codes: hashable, with an exact ``repr``.

    One of the four original activations on every hidden layer is its code alone, as
    evaluations recorded it before the table existed (their stores keep resuming); any
    other table -- one with an output row included -- is a tuple of ``(code, parameter)``
    pairs.
    """
    codes = {int(code) for code in table[:, 0]}
    if not codes:  # no hidden layer (linear models: 0, as before)
        return 0
    if (
        len(codes) == 1
        and min(codes) < LEAKY_RELU
        and not np.any(table[:, 1])
        and table.shape[0] == n_hidden
    ):
        return codes.pop()
    return tuple((int(code), float(parameter)) for code, parameter in table)


def table_from_key(key, n_hidden: int) -> np.ndarray:
    """The inverse of :func:`table_key` for a network with ``n_hidden`` hidden layers."""
    rows = ([(key, 0.0)] * n_hidden if n_hidden else []) if isinstance(key, int) else list(key)
    table = np.array(rows, dtype=np.float64).reshape(len(rows), 2)
    return table


def describe(table: np.ndarray):
    """The table's rows as the user would write them: one name (or pair) if all share it.

    Give it the hidden layers' rows (``table[:n_hidden]``): an output row is
    ``output_activation``'s (:func:`describe_output`).
    """
    entries = []
    for code, parameter in table:
        activation = _NAMES[int(code)]
        default = ACTIVATION_DEFAULTS.get(activation)
        entries.append(
            activation if default is None or parameter == default else (activation, parameter)
        )
    if entries and all(e == entries[0] for e in entries):
        return entries[0]
    return tuple(entries)


def describe_output(table: np.ndarray, n_hidden: int):
    """The output activation as the user would write it (``"identity"`` without a row)."""
    if table.shape[0] == n_hidden:
        return "identity"
    return describe(table[n_hidden:])


def needs_pre_activations(table: np.ndarray) -> bool:
    """Whether a layer's derivatives need its pre-activations (kernels keep them)."""
    return bool(np.any(table[:, 0] >= LEAKY_RELU))


# (Tables stay writeable: numba compiles every kernel again for a read-only array.)
NO_HIDDEN = np.zeros((0, 2))
