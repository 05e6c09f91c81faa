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
    assert table_key(activation_table("tanh", 2), 2) == TANH
    assert table_key(np.zeros((0, 2)), 0) == 0
    for activation in ("relu", ("gelu", "tanh"), ("leaky_relu", 0.3), ("tanh", ("elu", 2.0))):
        table = activation_table(activation, 2)
        key = table_key(table, 2)
        hash(key)
        np.testing.assert_array_equal(table_from_key(key, 2), table)
    # parameters are exact in the key's repr (a store's fingerprint)
    near = np.nextafter(0.1, 1.0)
    assert repr(table_key(activation_table(("leaky_relu", near), 1), 1)) != repr(
        table_key(activation_table(("leaky_relu", 0.1), 1), 1)
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


def test_an_output_activation_is_the_tables_last_row_and_keys_say_so():
    table = activation_table("tanh", 2, output=("elu", 0.5))
    np.testing.assert_array_equal(table, [[TANH, 0.0], [TANH, 0.0], [ELU, 0.5]])
    # the identity adds no row: such networks' bits and store fingerprints are unchanged
    np.testing.assert_array_equal(activation_table("tanh", 2, output="identity"), table[:2])
    key = table_key(table, 2)
    assert isinstance(key, tuple) and len(key) == 3
    np.testing.assert_array_equal(table_from_key(key, 2), table)
    # one of the original four on every layer, the output included: still not a bare code
    sigmoids = activation_table("sigmoid", 1, output="sigmoid")
    np.testing.assert_array_equal(table_from_key(table_key(sigmoids, 1), 1), sigmoids)
    no_hidden = activation_table("relu", 0, output="sigmoid")
    np.testing.assert_array_equal(table_from_key(table_key(no_hidden, 0), 0), no_hidden)


def test_a_regressor_with_an_output_activation_fits_predicts_and_maps():
    from fastnn._codes import SIGMOID

    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    y = 1.0 / (1.0 + np.exp(-(X[:, 0] - X[:, 1])))
    settings = {"solver": "gd", "learning_rate_init": 0.5, "max_iter": 40, "tol": None}
    nets = {
        backend: fastnn.MLPRegressor(
            (6,), "tanh", output_activation="sigmoid", random_state=0, backend=backend, **settings
        ).fit(X, y)
        for backend in ("numba", "numpy")
    }
    net = nets["numba"]
    np.testing.assert_allclose(net.loss_curve_, nets["numpy"].loss_curve_, rtol=1e-12)
    assert net.loss_curve_[-1] < 0.5 * net.loss_curve_[0]
    assert net.out_activation_ == "sigmoid" and "output_activation='sigmoid'" in repr(net)
    assert net._activation_table[-1, 0] == SIGMOID
    prediction = net.predict(X)
    assert prediction.shape == (150,) and np.all((prediction > 0) & (prediction < 1))
    # predict, the loss and the surface all see f(z): the loss is the mse of predict
    assert net.loss_grad(X, y)[0] == pytest.approx(np.mean((prediction - y) ** 2), rel=1e-13)
    surface = fastnn.loss_surface(net, X, y, resolution=5, random_state=0)
    probe = fastnn.MLPRegressor((6,), "tanh", output_activation="sigmoid", **settings)
    probe.set_params(max_iter=1).fit(X, y)
    probe.theta_[:] = surface.theta(1, 3)
    assert surface.values[1, 3] == pytest.approx(probe.loss_grad(X, y)[0], rel=1e-12)
    # curvature: the Hessian's extreme eigenvalues agree with the dense Hessian's
    dense = fastnn.hessian(net, X, y)
    np.testing.assert_allclose(dense, dense.T, rtol=0, atol=1e-13 * np.abs(dense).max())
    top = fastnn.hessian_eigs(net, X, y, k=1, method="lanczos", random_state=0).values[0]
    assert top == pytest.approx(np.linalg.eigvalsh(dense)[-1], rel=1e-9)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("swish", "output_activation must be one of"),
        (("relu", "tanh"), "output_activation is the output layer's one activation"),
        (("relu", "tanh", "gelu"), "output_activation is the output layer's one activation"),
        (("tanh", 0.5), "output_activation: 'tanh' takes no parameter"),
    ],
)
def test_bad_output_activations_are_one_line_errors(output, message):
    X, y = fastnn.data.donut(40, seed=0)
    with pytest.raises(ValueError, match=message):
        fastnn.MLPRegressor((4,), output_activation=output, max_iter=1, tol=None).fit(X, y * 1.0)


def test_the_gpu_refuses_an_output_activation_in_one_line():
    from types import SimpleNamespace

    from fastnn.cuda import check_evaluation

    sizes = np.array([2, 3, 1])
    zeros = np.zeros(13)
    evaluation = SimpleNamespace(
        kind="network", backend="numba",
        arrays=(np.zeros((4, 2)), np.zeros((4, 1)), zeros, zeros, zeros, sizes),
        codes=(table_key(activation_table("tanh", 1, output="sigmoid"), 1), 0),
    )  # fmt: skip
    with pytest.raises(ValueError, match="device='cuda': the GPU kernels have no output"):
        check_evaluation(evaluation)


def test_the_command_maps_a_regressor_with_an_output_activation(tmp_path, capsys):
    data = tmp_path / "data.csv"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    np.savetxt(data, np.c_[X, 1.0 / (1.0 + np.exp(-X[:, 0]))], delimiter=",")
    common = ["trainability", "--data", str(data), "--resolution", "3", "--iterations", "5",
              "--no-progress", "--output-activation", "sigmoid"]  # fmt: skip
    assert main([*common, "--regression"]) == 0
    assert main(common) == 2
    assert "--output-activation applies to --regression" in capsys.readouterr().err
