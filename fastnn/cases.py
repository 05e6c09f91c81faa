"""The case table: one entry per public kernel, shared by tests, benchmarks and ``fastnn bench``.

Every function of :mod:`fastnn.kernels` (and its twin in :mod:`fastnn.reference`) has a
:class:`Case` here: how to build its inputs at a given size, the sizes to check it at
(``small``), to time it at (``bench``) and to time it quickly (``quick``), and how
closely the two implementations must agree.  ``tests/test_parity.py`` fails for a
public kernel without an entry and compares the numbers of every entry; the kernel
benchmarks (``bench/test_bench_kernels.py``) and ``fastnn bench`` time the same calls.

A case's outputs are its return value and every array argument after the call, so
out-parameters and arrays updated in place (theta, loss curves, trajectories,
optimiser state) are all compared.  Inputs include the awkward values each kernel
must survive: logits of +-800 and +-40, single samples, partial blocks.

Tolerances (relative, with an absolute floor for values that cancel to ~0):
elementwise functions 1e-13 (fastnn's exp / log1p are within 2 ulp of numpy's);
sums over samples 1e-11 (different summation orders); training loops 1e-9 after
tens of steps (rounding differences grow with every step, as in ``tests/``), trainability
maps too -- their case keeps off the edge of stability, where training amplified a
rounding difference of 1e-16 to 1e-6 within 12 epochs (measured).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fastnn._activations import activation_table
from fastnn._codes import (
    ACCURACY,
    ACTIVATION_CODES,
    ADAM,
    LOG_LOSS,
    MOMENTUM,
    SETTING_BATCH_SIZE,
    SETTING_LAYER_RATES,
    SETTING_MOMENTUM,
    SOFTMAX_LOG_LOSS,
    SQUARED_ERROR,
)
from fastnn._training import linear_state, mlp_settings, mlp_state
from fastnn.layout import MLPLayout
from fastnn.optim import sample_orders

# Logits every elementwise kernel must handle: exp overflow and underflow, 0, large.
EDGE_LOGITS = np.array([-800.0, -40.0, -1e-300, 0.0, 1e-300, 40.0, 800.0])


@dataclass(frozen=True)
class Case:
    """One public kernel's comparison and benchmark.

    Attributes
    ----------
    kernel : str
        Its name in :mod:`fastnn.kernels` and :mod:`fastnn.reference`.
    build : callable
        ``build(rng, **size) -> tuple of arguments``, fresh arrays on every call.
    small, quick, bench : dict
        Keyword sizes for ``build``: checking, ``fastnn bench --quick``, benchmarks.
    work : callable
        ``work(**size) -> (units of work, unit)`` for rates, e.g. ``(1e6, "values")``.
    rtol, atol : float
        How closely the kernel's outputs must match the reference's.
    """

    kernel: str
    build: Callable
    small: dict
    quick: dict
    bench: dict
    work: Callable
    rtol: float = 1e-11
    atol: float = 0.0

    def arguments(self, size: str = "small", seed: int = 0) -> tuple:
        """Fresh arguments at ``size`` ("small", "quick" or "bench") from ``seed``."""
        return self.build(np.random.default_rng(seed), **getattr(self, size))

    def run(self, impl, arguments) -> list:
        """Call the kernel of ``impl`` on a copy of ``arguments``; return every output."""
        args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in arguments)
        returned = getattr(impl, self.kernel)(*args)
        outputs = list(returned) if isinstance(returned, tuple) else [returned]
        return [np.asarray(o) for o in outputs] + [a for a in args if isinstance(a, np.ndarray)]

    def compare(self, got: list, expected: list) -> None:
        """Raise AssertionError unless every output agrees within the tolerance."""
        assert len(got) == len(expected), (len(got), len(expected))
        for k, (g, e) in enumerate(zip(got, expected, strict=True)):
            np.testing.assert_allclose(
                g, e, rtol=self.rtol, atol=self.atol, err_msg=f"{self.kernel} output {k}"
            )


# -- input builders ---------------------------------------------------------------------
def _logits(rng, n):
    z = rng.normal(scale=10.0, size=n)
    z[: min(n, EDGE_LOGITS.size)] = EDGE_LOGITS[: min(n, EDGE_LOGITS.size)]
    return z


def _elementwise(rng, n):
    return _logits(rng, n), np.full(n, np.nan)


def _linear_data(rng, n, d, loss=SQUARED_ERROR):
    X = rng.normal(size=(n, d))
    theta = rng.normal(size=d + 1)
    z = theta[0] + X @ theta[1:]
    y = z + rng.normal(size=n) if loss == SQUARED_ERROR else (rng.random(n) < 0.5) * 1.0
    return X, y, theta


def _loss_args(loss, with_grad):
    def build(rng, n, d):
        X, y, theta = _linear_data(rng, n, d, loss)
        return (X, y, theta, np.full(d + 1, np.nan)) if with_grad else (X, y, theta)

    return build


def _targets(rng, n, loss, n_out):
    if loss == SQUARED_ERROR:
        return rng.normal(size=(n, n_out)) * 2
    if loss == LOG_LOSS:
        return (rng.random((n, 1)) < 0.5) * 1.0
    return np.eye(n_out)[rng.integers(0, n_out, n)]


# Activation parameters of the cases: away from the defaults, softplus's threshold where
# pre-activations reach it.
_CASE_PARAMETERS = {"leaky_relu": 0.15, "elu": 1.3, "softplus": 0.75}


def _network(rng, n, sizes):
    """(X, Y, theta, sizes, activation table, loss): the loss drawn by ``rng``.

    The activations are the seed's turn: hidden layer ``l`` of seed ``s`` takes activation
    ``2 s + l`` (modulo their number), so the parity test's seeds 0 to 4 give every
    activation to a network with two hidden layers, whatever else they draw, and mix
    two per network.  Under the squared error the output layer is activated too, by the
    activation after the last hidden layer's (identity: no output row).  The parameters
    are set so that both sides of every branch are met (softplus's threshold inside the
    pre-activations' range).
    """
    loss = int(rng.choice([SQUARED_ERROR, LOG_LOSS, SOFTMAX_LOG_LOSS]))
    sizes = (*sizes[:-1], 1 if loss == LOG_LOSS else sizes[-1])
    layout = MLPLayout(sizes)
    names = list(ACTIVATION_CODES)
    turn = 2 * int(rng.bit_generator.seed_seq.entropy)
    entries = [
        (name, _CASE_PARAMETERS[name]) if name in _CASE_PARAMETERS else name
        for name in (names[(turn + l) % len(names)] for l in range(len(sizes) - 1))
    ]
    # the squared error's outputs take the turn's next activation (the output row)
    output = entries[-1] if loss == SQUARED_ERROR else "identity"
    hidden = entries[:-1] if len(sizes) > 2 else "relu"  # (no hidden layer: no rows)
    activation = activation_table(hidden, len(sizes) - 2, output=output)
    X = rng.normal(size=(n, sizes[0]))
    theta = rng.normal(size=layout.n_params) * 0.5
    return X, _targets(rng, n, loss, sizes[-1]), theta, layout.sizes, activation, loss


def _surface_logits(rng, n, g):
    z0, zu, zv = rng.normal(scale=3.0, size=(3, n))
    a, b = np.linspace(-2.0, 2.0, g), np.linspace(-1.5, 2.5, g + 1)
    return z0, zu, zv, a, b


def _mse_stats(rng, n, g):
    z0, zu, zv, _, _ = _surface_logits(rng, n, g)
    return z0, zu, zv, z0 + rng.normal(size=n), np.full(9, np.nan)


def _mse_quadratic(rng, n, g):
    from fastnn.reference import mse_surface_stats

    z0, zu, zv, y, out = _mse_stats(rng, n, g)
    a, b = _surface_logits(rng, 1, g)[3:]
    return mse_surface_stats(z0, zu, zv, y, out), a, b, np.full((a.size, b.size), np.nan)


def _linear_surface(loss):
    def build(rng, n, g):
        z0, zu, zv, a, b = _surface_logits(rng, n, g)
        y = z0 + rng.normal(size=n) if loss == SQUARED_ERROR else (rng.random(n) < 0.5) * 1.0
        return z0, zu, zv, y, a, b, np.full((a.size, b.size), np.nan)

    return build


def _linear_surface_case(name, loss):
    """A kernel summing over samples at every grid point of a linear model's plane."""
    return Case(
        name,
        _linear_surface(loss),
        small={"n": 300, "g": 9},
        quick={"n": 10_000, "g": 60},
        bench={"n": 10_000, "g": 200},
        work=lambda n, g: (n * g * (g + 1), "evaluations"),
    )


def _mlp_surface(rng, n, g, sizes):
    X, Y, theta, sizes, activation, loss = _network(rng, n, sizes)
    if loss != SQUARED_ERROR and rng.random() < 0.5:
        loss = ACCURACY  # a classifier's accuracy instead of its loss
    u, v = rng.normal(size=(2, theta.size)) * 0.3
    a, b = np.linspace(-1.0, 1.0, g), np.linspace(-0.5, 1.5, g)
    return X, Y, theta, u, v, sizes, activation, loss, a, b, np.full((g, g), np.nan)


def _training_buffers(n_epochs, n_params, record_every):
    rows = -(-n_epochs // record_every) + 1
    return np.full(n_epochs, np.nan), np.full((rows, n_params), np.nan), record_every


def _linear_training(solver):
    def build(rng, n, d, epochs):
        loss = int(rng.choice([SQUARED_ERROR, LOG_LOSS]))
        X, y, theta = _linear_data(rng, n, d, loss)
        theta *= 0.1
        lr = 0.05 if solver == "gd" else 0.01
        alpha = float(rng.choice([0.0, 0.5]))  # with and without the L2 penalty
        head = (X, y, theta, loss, lr, alpha, True)
        buffers = (*_training_buffers(epochs, d + 1, 3), linear_state(theta))
        if solver == "gd":
            return (*head, *buffers)
        order = sample_orders(rng, n, epochs)
        if solver == "sgd":
            return (*head, order, *buffers)
        return (*head, order, max(1, n // 7), *buffers)

    return build


def _mlp_training(rng, n, sizes, epochs):
    X, Y, theta, sizes, activation, loss = _network(rng, n, sizes)
    optimizer = int(rng.choice([MOMENTUM, ADAM]))
    lr: float | tuple[float, ...] = 0.01
    if optimizer == MOMENTUM and rng.random() < 0.5:  # one rate per layer
        lr = tuple(0.01 * rng.uniform(0.5, 2.0, size=len(sizes) - 1))
    settings = mlp_settings(
        optimizer=optimizer,
        lr=lr,
        batch_size=max(1, n // 5),
        momentum=0.9 if optimizer == MOMENTUM else 0.0,
        tol=1e-4,
        n_iter_no_change=epochs,  # the early-stopping counters run; every epoch is timed
        alpha=float(rng.choice([0.0, 0.5])),  # with and without the L2 penalty
        biases=_draw_biases(rng, len(sizes) - 1),
    )
    order = sample_orders(rng, n, epochs)
    head = (X, Y, theta, sizes, activation, loss, settings, order, mlp_state(theta))
    return (*head, *_training_buffers(epochs, theta.size, 2))


def _draw_biases(rng, n_layers):
    """Every layer's biases trained, none (a network without biases), or some layers'."""
    draw = rng.random()
    if draw < 0.6:
        return True
    if draw < 0.8:
        return False
    flags = rng.random(n_layers) < 0.5
    flags[int(rng.integers(n_layers))] ^= flags.all() or not flags.any()  # mixed
    return tuple(bool(flag) for flag in flags)


def _curve_training(rng, n, sizes, epochs):
    """Two networks and a bend between them; Bezier or polychain, each batch its own t."""
    from fastnn._codes import BEZIER, POLYCHAIN

    X, Y, theta_a, sizes, activation, loss = _network(rng, n, sizes)
    theta_b = theta_a + rng.normal(scale=0.5, size=theta_a.size)
    settings = mlp_settings(
        optimizer=int(rng.choice([MOMENTUM, ADAM])),
        lr=0.01,
        batch_size=max(1, n // 5),
        momentum=0.9,
        alpha=float(rng.choice([0.0, 0.5])),
        biases=(biases := _draw_biases(rng, len(sizes) - 1)),
    )
    for theta in (theta_a, theta_b):  # the biases a network lacks are 0 at its three points
        MLPLayout(sizes).zero_biases(theta, biases)
    bend = 0.5 * (theta_a + theta_b)
    order = sample_orders(rng, n, epochs)
    n_batches = -(-n // int(settings[SETTING_BATCH_SIZE]))
    ts = rng.random((epochs, n_batches))
    ts[0, :2] = 0.25, 0.75  # both halves of a polychain
    curve = int(rng.choice([BEZIER, POLYCHAIN]))
    head = (X, Y, theta_a, bend, theta_b, sizes, activation, loss, curve, settings, order, ts)
    return (*head, mlp_state(bend), np.full(epochs, np.nan))


def _linear_hvp(rng, n, d, k):
    loss = int(rng.choice([SQUARED_ERROR, LOG_LOSS]))
    X, y, theta = _linear_data(rng, n, d, loss)
    theta *= 3.0  # confident logits: s (1 - s) far below 1/4 on many samples
    alpha = float(rng.choice([0.0, 0.7]))
    return X, y, theta, loss, alpha, rng.normal(size=(k, d + 1)), np.full((k, d + 1), np.nan)


def _mlp_hvp(rng, n, sizes, k):
    """A network, directions, and a cache: none, one to fill, or one filled (by the twin)."""
    from fastnn.model import hvp_cache_rows
    from fastnn.reference import mlp_hvp

    X, Y, theta, sizes, activation, loss = _network(rng, n, sizes)
    alpha = float(rng.choice([0.0, 0.7]))
    V = rng.normal(size=(k, theta.size))
    head = (X, Y, theta, sizes, activation, loss, alpha, V, np.full(V.shape, np.nan))
    use = rng.choice(["none", "fill", "read"])
    if use == "none":
        return (*head, np.empty((0, 0)), False)
    cache = np.full((hvp_cache_rows(sizes, activation), n), np.nan)
    if use == "read":
        mlp_hvp(*head[:-1], np.empty(V.shape), cache, False)
    return (*head, cache, use == "read")


def _mlp_trainability(rng, n, sizes, g, epochs):
    """A small network trained at every point of a grid of two hyperparameters.

    The axes span stable and diverging runs; the targets are drawn
    among every layer's rate, one layer's rate, the momentum and the initial scale.  Some
    draws train scattered points of the grid instead (the kernel's points mode).
    """
    from fastnn._codes import ALL_RATES, INIT_SCALE

    X, Y, theta, sizes, activation, loss = _network(rng, n, sizes)
    n_layers = len(sizes) - 1
    full_batch = rng.random() < 0.5
    adam = rng.random() < 0.3
    settings = mlp_settings(
        optimizer=ADAM if adam else MOMENTUM,
        lr=0.05 if adam else tuple(np.full(n_layers, 0.05)),
        batch_size=n if full_batch else max(1, n // 4),
        momentum=0.5,
        alpha=float(rng.choice([0.0, 0.3])),
        tol=1e-3 if rng.random() < 0.3 else None,
        n_iter_no_change=2,
        biases=_draw_biases(rng, n_layers),
    )
    order = np.empty((0, n), np.int64) if full_batch else sample_orders(rng, n, epochs)
    layer = SETTING_LAYER_RATES + int(rng.integers(n_layers))
    choices = [ALL_RATES, INIT_SCALE] if adam else [ALL_RATES, layer, SETTING_MOMENTUM, INIT_SCALE]
    first, second = rng.choice(choices, 2, replace=False)
    # stable rates, then one that diverges at once: between them training is chaotic and
    # amplifies rounding differences without bound, which no tolerance can compare
    rates = np.r_[np.geomspace(1e-3, 0.03 if adam else 0.3, g - 1), 1e6]
    axes = {
        ALL_RATES: rates,
        layer: rates,
        SETTING_MOMENTUM: np.linspace(0.0, 0.9, g),
        INIT_SCALE: np.geomspace(0.1, 2.0, g),
    }
    targets = np.array([first, second], dtype=np.int64)
    a, b = axes[int(first)], axes[int(second)][::-1][: g - 1]  # both end in a divergent rate
    out = np.full((a.size, b.size, 4), np.nan)
    if rng.random() < 0.3:  # scattered points (a[k], b[k]) instead of the grid
        i, j = rng.integers(0, a.size, 2 * g + 3), rng.integers(0, b.size, 2 * g + 3)
        a, b, out = a[i], b[j], np.full((i.size, 1, 4), np.nan)
    return X, Y, theta, sizes, activation, loss, settings, order, epochs, targets, a, b, out


# -- the table ------------------------------------------------------------------------------
def _elementwise_case(name):
    return Case(
        name,
        _elementwise,
        small={"n": 1001},
        quick={"n": 200_000},
        bench={"n": 1_000_000},
        work=lambda n: (n, "values"),
        rtol=1e-13,
        atol=1e-300,
    )


def _linear_loss_case(name, loss, with_grad):
    return Case(
        name,
        _loss_args(loss, with_grad),
        small={"n": 1100, "d": 3},
        quick={"n": 100_000, "d": 10},
        bench={"n": 1_000_000, "d": 10},
        work=lambda n, d: (n * (d + 1), "values"),
        atol=1e-14,
    )


def _linear_training_case(solver, small_epochs, bench_epochs, work):
    return Case(
        f"linear_{solver}",
        _linear_training(solver),
        small={"n": 300, "d": 3, "epochs": small_epochs},
        quick={"n": 20_000 if solver == "gd" else 10_000, "d": 10, "epochs": bench_epochs},
        bench={"n": 100_000, "d": 10, "epochs": bench_epochs},
        work=work,
        rtol=1e-9,
        atol=1e-12,
    )


_SMALL_NET = (3, 6, 4, 3)
_BENCH_NET = (10, 32, 3)

CASES: dict[str, Case] = {
    **{
        name: _elementwise_case(name)
        for name in (
            "sigmoid",
            "sigmoid_derivative",
            "softplus",
            "softplus_derivative",
            "log_sigmoid",
            "log_sigmoid_derivative",
        )
    },
    "linear_logits": Case(
        "linear_logits",
        lambda rng, n, d: (*_linear_data(rng, n, d)[::2], np.full(n, np.nan)),
        small={"n": 1100, "d": 3},
        quick={"n": 100_000, "d": 10},
        bench={"n": 1_000_000, "d": 10},
        work=lambda n, d: (n * (d + 1), "values"),
        rtol=1e-12,
        atol=1e-13,
    ),
    "mse_loss": _linear_loss_case("mse_loss", SQUARED_ERROR, False),
    "mse_loss_grad": _linear_loss_case("mse_loss_grad", SQUARED_ERROR, True),
    "bce_loss": _linear_loss_case("bce_loss", LOG_LOSS, False),
    "bce_loss_grad": _linear_loss_case("bce_loss_grad", LOG_LOSS, True),
    "bce_from_logits": Case(
        "bce_from_logits",
        lambda rng, n: (_logits(rng, n), (rng.random(n) < 0.5) * 1.0),
        small={"n": 1001},
        quick={"n": 200_000},
        bench={"n": 1_000_000},
        work=lambda n: (n, "values"),
    ),
    "mlp_logits": Case(
        "mlp_logits",
        lambda rng, n, sizes: (
            lambda X, Y, theta, sizes, activation, loss: (
                X,
                theta,
                sizes,
                activation,
                np.full((n, sizes[-1]), np.nan),
            )
        )(*_network(rng, n, sizes)),
        small={"n": 300, "sizes": (3, 6, 4, 3)},
        quick={"n": 20_000, "sizes": _BENCH_NET},
        bench={"n": 100_000, "sizes": _BENCH_NET},
        work=lambda n, sizes: (n, "samples"),
        atol=1e-12,
    ),
    "output_loss": Case(
        "output_loss",
        lambda rng, n, k: (
            lambda loss: (
                rng.normal(scale=5.0, size=(n, 1 if loss == LOG_LOSS else k)),
                _targets(rng, n, loss, 1 if loss == LOG_LOSS else k),
                loss,
            )
        )(int(rng.choice([SQUARED_ERROR, LOG_LOSS, SOFTMAX_LOG_LOSS]))),
        small={"n": 300, "k": 4},
        quick={"n": 100_000, "k": 10},
        bench={"n": 1_000_000, "k": 10},
        work=lambda n, k: (n * k, "values"),
    ),
    "plane_layer": Case(
        "plane_layer",
        lambda rng, n, width: (
            lambda X, Y, theta, sizes, activation, loss: (
                rng.normal(scale=2.0, size=(3, n, width)),
                float(rng.normal()),
                float(rng.normal()),
                rng.normal(size=width),
                rng.normal(size=width),
                activation,
                int(rng.integers(activation.shape[0] + 1)),  # a row, or past the table
                np.full((n, width), np.nan),
            )
        )(*_network(rng, 4, (2, 3, 3, 2))),
        small={"n": 600, "width": 7},
        quick={"n": 10_000, "width": 128},
        bench={"n": 60_000, "width": 128},
        work=lambda n, width: (n * width, "values"),
        atol=1e-13,
    ),
    "mlp_loss_grad": Case(
        "mlp_loss_grad",
        lambda rng, n, sizes: (lambda net: (*net, np.full(net[2].size, np.nan)))(
            _network(rng, n, sizes)
        ),
        small={"n": 300, "sizes": _SMALL_NET},
        quick={"n": 20_000, "sizes": _BENCH_NET},
        bench={"n": 100_000, "sizes": _BENCH_NET},
        work=lambda n, sizes: (n, "samples"),
        atol=1e-13,
    ),
    "linear_hvp": Case(
        "linear_hvp",
        _linear_hvp,
        small={"n": 5000, "d": 3, "k": 3},
        quick={"n": 100_000, "d": 10, "k": 4},
        bench={"n": 1_000_000, "d": 10, "k": 4},
        work=lambda n, d, k: (n * k, "sample-vectors"),
        atol=1e-13,
    ),
    "mlp_hvp": Case(
        "mlp_hvp",
        _mlp_hvp,
        small={"n": 1100, "sizes": _SMALL_NET, "k": 3},
        quick={"n": 20_000, "sizes": _BENCH_NET, "k": 2},
        bench={"n": 100_000, "sizes": _BENCH_NET, "k": 2},
        work=lambda n, sizes, k: (n * k, "sample-vectors"),
        atol=1e-13,
    ),
    "mse_surface_stats": Case(
        "mse_surface_stats",
        _mse_stats,
        small={"n": 1100, "g": 2},
        quick={"n": 1_000_000, "g": 2},
        bench={"n": 10_000_000, "g": 2},
        work=lambda n, g: (n, "samples"),
        atol=1e-13,
    ),
    "mse_surface_quadratic": Case(
        "mse_surface_quadratic",
        _mse_quadratic,
        small={"n": 50, "g": 33},
        quick={"n": 50, "g": 1000},
        bench={"n": 50, "g": 2000},
        work=lambda n, g: (g * (g + 1), "points"),
        rtol=1e-12,
    ),
    "mse_surface_brute": _linear_surface_case("mse_surface_brute", SQUARED_ERROR),
    "bce_surface": _linear_surface_case("bce_surface", LOG_LOSS),
    "accuracy_surface": _linear_surface_case("accuracy_surface", LOG_LOSS),
    "mlp_surface": Case(
        "mlp_surface",
        _mlp_surface,
        small={"n": 120, "g": 5, "sizes": _SMALL_NET},
        quick={"n": 2000, "g": 11, "sizes": (2, 10, 1)},
        bench={"n": 2000, "g": 31, "sizes": (2, 10, 1)},
        work=lambda n, g, sizes: (g * g, "points"),
    ),
    "linear_gd": _linear_training_case("gd", 20, 100, lambda n, d, epochs: (epochs, "iterations")),
    "linear_sgd": _linear_training_case("sgd", 5, 5, lambda n, d, epochs: (n * epochs, "steps")),
    "linear_minibatch": _linear_training_case(
        "minibatch", 5, 5, lambda n, d, epochs: (epochs, "epochs")
    ),
    "mlp_trainability": Case(
        "mlp_trainability",
        _mlp_trainability,
        small={"n": 40, "sizes": (3, 5, 4, 2), "g": 6, "epochs": 12},
        quick={"n": 16, "sizes": (16, 16, 1), "g": 8, "epochs": 100},
        bench={"n": 16, "sizes": (16, 16, 1), "g": 32, "epochs": 500},
        work=lambda n, sizes, g, epochs: (g * (g - 1), "trainings"),
        # 1e-8: a diverged run reports the loss of its last iterate, which Adam at rate
        # 1e6 puts at weights of 1e6 -- outputs are sums of +-1e6 terms that cancel.
        rtol=1e-8,
        atol=1e-12,
    ),
    "mlp_train": Case(
        "mlp_train",
        _mlp_training,
        small={"n": 200, "sizes": _SMALL_NET, "epochs": 8},
        quick={"n": 2000, "sizes": (2, 10, 1), "epochs": 20},
        bench={"n": 2000, "sizes": (2, 10, 1), "epochs": 100},
        work=lambda n, sizes, epochs: (epochs, "epochs"),
        rtol=1e-9,
        atol=1e-12,
    ),
    "curve_train": Case(
        "curve_train",
        _curve_training,
        small={"n": 200, "sizes": _SMALL_NET, "epochs": 8},
        quick={"n": 2000, "sizes": (2, 10, 1), "epochs": 20},
        bench={"n": 2000, "sizes": (2, 10, 1), "epochs": 100},
        work=lambda n, sizes, epochs: (epochs, "epochs"),
        rtol=1e-9,
        atol=1e-12,
    ),
}
