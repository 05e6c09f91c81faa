"""Activations as users write them: names, parameters, one per layer; errors and records."""

import numpy as np
import pytest

import fastnn
from fastnn._activations import activation_table, describe, table_from_key, table_key
from fastnn._codes import ACTIVATION_CODES, ELU, GELU, LEAKY_RELU, RELU, SOFTPLUS, TANH
from fastnn.cli import main


def test_names_pairs_and_one_per_layer_make_the_kernels_table():
    np.testing.assert_array_equal(activation_table("tanh", 3), [[TANH, 0.0]] * 3)
    np.testing.assert_array_equal(
        activation_table("leaky_relu", 2), [[LEAKY_RELU, 0.01]] * 2
    )  # torch's default slope
    np.testing.assert_array_equal(activation_table(("elu", 0.5), 1), [[ELU, 0.5]])
    np.testing.assert_array_equal(
        activation_table(("gelu", ("softplus", 3.0), "relu"), 3),
        [[GELU, 0.0], [SOFTPLUS, 3.0], [RELU, 0.0]],
    )
    assert activation_table("relu", 0).shape == (0, 2)


@pytest.mark.parametrize(
    ("activation", "message"),
    [
        ("swish", "activation must be one of 'sigmoid', 'tanh'"),
        (("relu", "tanh"), "gives 2 activations for a network with 1 hidden layers"),
        (("tanh", 0.5), "'tanh' takes no parameter"),
        (("leaky_relu", "0.1"), "activation must be one of"),
        (("elu", 0.0), "the parameter of 'elu' must be finite and > 0"),
        (("softplus", float("nan")), "the parameter of 'softplus' must be finite"),
        ((), "activation must be an activation name or a sequence"),
        (3, "activation must be an activation name or a sequence"),
        (("relu", 3), "'relu' takes no parameter; got 3"),
        ((("relu",), "tanh"), "entries must be an activation name or a \\(name, parameter\\) pair"),
    ],
)
def test_bad_activations_are_one_line_errors_naming_the_argument(activation, message):
    X, y = fastnn.data.donut(40, seed=0)
    with pytest.raises(ValueError, match=message):
        fastnn.MLPClassifier((4,), activation, max_iter=1, tol=None).fit(X, y)


def test_an_evaluations_key_keeps_the_old_codes_and_round_trips():
    # the original four, the same on every layer: the bare code, as stores recorded it
    assert table_key(activation_table("tanh", 2)) == TANH
    assert table_key(np.zeros((0, 2))) == 0
    for activation in ("relu", ("gelu", "tanh"), ("leaky_relu", 0.3), ("tanh", ("elu", 2.0))):
        table = activation_table(activation, 2)
        key = table_key(table)
        hash(key)
        np.testing.assert_array_equal(table_from_key(key, 2), table)
    # parameters are exact in the key's repr (a store's fingerprint)
    near = np.nextafter(0.1, 1.0)
    assert repr(table_key(activation_table(("leaky_relu", near), 1))) != repr(
        table_key(activation_table(("leaky_relu", 0.1), 1))
    )


def test_describe_writes_the_table_as_a_user_would():
    assert describe(activation_table("gelu", 2)) == "gelu"
    assert describe(activation_table("leaky_relu", 1)) == "leaky_relu"
    assert describe(activation_table(("leaky_relu", 0.2), 2)) == ("leaky_relu", 0.2)
    assert describe(activation_table(("relu", "silu"), 2)) == ("relu", "silu")
    assert set(ACTIVATION_CODES) >= {"leaky_relu", "gelu", "silu", "elu", "softplus"}


def test_a_network_with_one_activation_per_layer_fits_maps_and_round_trips(tmp_path):
    X, y = fastnn.data.donut(200, seed=1)
    net = fastnn.MLPClassifier((6, 5), ("gelu", ("leaky_relu", 0.2)), max_iter=30, tol=None)
    net.fit(X, y)
    surface = fastnn.loss_surface(net, X, y, resolution=5, random_state=0)
    assert np.isfinite(surface.values).all()
    # the loss at a grid point is the network's own loss there
    probe = fastnn.MLPClassifier((6, 5), ("gelu", ("leaky_relu", 0.2)))
    probe.set_params(max_iter=1, tol=None).fit(X, y)
    probe.theta_[:] = surface.theta(3, 1)
    assert surface.values[3, 1] == pytest.approx(probe.loss_grad(X, y)[0], rel=1e-12)
    # stores record the table; a different slope is a different evaluation
    out = tmp_path / "s.zarr"
    fastnn.loss_surface(net, X, y, resolution=4, random_state=0, out=out)
    other = fastnn.MLPClassifier((6, 5), ("gelu", ("leaky_relu", 0.3)), max_iter=30, tol=None)
    other.fit(X, y)
    other.theta_[:] = net.theta_
    with pytest.raises(ValueError, match="resume"):
        fastnn.loss_surface(other, X, y, resolution=4, random_state=0, out=out, resume=True)
    again = fastnn.loss_surface(net, X, y, resolution=4, random_state=0, out=out, resume=True)
    fresh = fastnn.loss_surface(net, X, y, resolution=4, random_state=0)
    np.testing.assert_array_equal(again.values, fresh.values)


def test_the_command_takes_one_activation_per_layer(tmp_path, capsys):
    args = ["surface", "--model", "mlp", "--resolution", "4", "--iterations", "20"]
    assert main([*args, "--hidden", "4", "3", "--activation", "gelu", "elu", "--no-progress"]) == 0
    assert main([*args, "--hidden", "4", "--activation", "gelu", "elu", "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "gives 2 activations for a network with 1 hidden layers" in error
    assert error.count("\n") == 1
