"""The model interface: layouts (names, filters) and the LossModel every engine consumes."""

import numpy as np
import pytest

import fastnn
from fastnn import data, lecture
from fastnn.layout import LinearLayout, MLPLayout
from fastnn.model import LINEAR, NETWORK, as_loss_model


@pytest.mark.parametrize("layout", [LinearLayout(3), MLPLayout((2, 3, 2)), MLPLayout((4, 1))])
def test_every_parameter_name_round_trips(layout):
    names = [layout.param_name(i) for i in range(layout.n_params)]
    assert len(set(names)) == layout.n_params
    assert [layout.param_index(name) for name in names] == list(range(layout.n_params))
    assert layout.param_index(-1) == layout.n_params - 1


def test_filters_are_views_of_theta():
    layout = MLPLayout((2, 3, 1))
    theta = np.arange(float(layout.n_params))
    (W0, b0), (W1, b1) = layout.filters(theta)
    W0[:, 1] = -1.0  # unit 1's incoming weights
    assert theta[layout.param_index("W0[0,1]")] == theta[layout.param_index("W0[1,1]")] == -1.0
    ((w, b),) = LinearLayout(2).filters(np.array([5.0, 6.0, 7.0]))
    assert w.tolist() == [[6.0], [7.0]] and b.tolist() == [5.0]


@pytest.mark.parametrize("bad", ["w4", "W0[2,0]", "b1[1]", "slope", 1.5])
def test_unknown_names_are_refused(bad):
    for layout in (LinearLayout(3), MLPLayout((2, 3, 1))):
        with pytest.raises(ValueError, match="params"):
            layout.param_index(bad)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_loss_model_of_each_estimator_gives_its_own_loss(backend):
    X, y = lecture.network_data()
    fitted = [
        fastnn.LinearRegression().fit(X, X[:, 0] + y),
        fastnn.LogisticRegression(max_iter=20).fit(X, y),
        fastnn.MLPClassifier((4,), "tanh", solver="gd", max_iter=5, tol=None, random_state=0).fit(
            X, y
        ),
        fastnn.MLPRegressor((3,), solver="gd", max_iter=5, tol=None, random_state=0).fit(X, y),
    ]
    targets = [X[:, 0] + y, y, y, y]
    for model, target in zip(fitted, targets, strict=True):
        loss_model = model.loss_model(X, target, backend=backend)
        assert loss_model.family == (NETWORK if hasattr(model, "layout_") else LINEAR)
        assert loss_model.theta is not model.theta_  # a copy: engines cannot move the model
        np.testing.assert_array_equal(loss_model.theta, model.theta_)
        loss, grad = loss_model.loss_grad(model.theta_)
        expected_loss, expected_grad = model.loss_grad(X, target)
        assert loss == pytest.approx(expected_loss, rel=1e-12)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_unfitted_model_with_a_center_stays_unfitted():
    X, y = lecture.network_data()
    model = fastnn.MLPClassifier((3,), "relu")
    loss_model = as_loss_model(model, X, y, center=np.zeros(13))
    assert loss_model.layout.n_params == 13 and loss_model.name == "MLPClassifier"
    assert not hasattr(model, "theta_") and not hasattr(model, "classes_")
    assert as_loss_model(fastnn.LogisticRegression, X, y, center=[0, 1, 2]).loss_at(
        np.zeros(3)
    ) == pytest.approx(np.log(2.0), rel=1e-15)
    with pytest.raises(ValueError, match="not fitted"):
        as_loss_model(model, X, y)
    with pytest.raises(TypeError, match="model must be a fastnn"):
        as_loss_model(object(), X, y)


def test_dataframe_columns_name_the_weights():
    pd = pytest.importorskip("pandas")
    from fastnn.layout import LinearLayout

    X, y = data.blobs(80, seed=0)
    frame = pd.DataFrame(X, columns=["height", "weight"])
    model = fastnn.LogisticRegression().fit(frame, y)
    assert model.feature_names_in_.tolist() == ["height", "weight"]
    s = fastnn.loss_surface(model, X, y, params=("intercept", "weight"), resolution=3)
    assert s.labels == ("intercept", "weight") and s.params == (0, 2)
    assert not hasattr(model.fit(X, y), "feature_names_in_")  # an array: names dropped
    with pytest.raises(ValueError, match="'x' names two features"):
        LinearLayout(2, ["x", "x"])
    with pytest.raises(ValueError, match="other than"):
        LinearLayout(1, ["intercept"])
