"""SoftmaxRegression and LinearRegression in the K API, checked against NumPy on both engines."""
import numpy as np
import pytest

import kgui.backend
from kgui.core.datasets import load_dataset
from kgui.core.models import LinearRegression, SoftmaxRegression, build_model

ENGINES = ["tensorflow", "theano"]


@pytest.fixture(params=ENGINES, scope="module")
def K(request):
    return kgui.backend.load(request.param)


@pytest.fixture(scope="module")
def iris():
    return load_dataset("iris", seed=0)


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_initial_weights_come_from_numpy_with_the_seed(K):
    model = SoftmaxRegression(K, 4, 3, learning_rate=0.1, seed=7)
    rng = np.random.RandomState(7)
    params = model.parameters()
    np.testing.assert_array_equal(params["W"], rng.rand(4, 3).astype(np.float32))
    np.testing.assert_array_equal(params["b"], rng.rand(3).astype(np.float32))
    assert params["W"].dtype == np.float32


def test_softmax_step_matches_numpy_gradient_descent(K, iris):
    x, y, lr = iris.x_train, iris.y_train, 0.3
    model = SoftmaxRegression(K, 4, 3, learning_rate=lr, seed=1)
    W, b = (model.parameters()[k].astype(np.float64) for k in ("W", "b"))
    logp = log_softmax(x @ W + b)
    expected_loss = -(y * logp).sum(axis=1).mean()
    residual = (np.exp(logp) - y) / len(x)
    assert model.train_step(x, y) == pytest.approx(expected_loss, rel=1e-5)  # loss before the update
    params = model.parameters()
    np.testing.assert_allclose(params["W"], W - lr * x.T @ residual, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(params["b"], b - lr * residual.sum(axis=0), rtol=1e-5, atol=1e-6)


def test_evaluate_and_predict(K, iris):
    model = SoftmaxRegression(K, 4, 3, learning_rate=0.5, seed=0)
    for _ in range(30):
        model.train_step(iris.x_train, iris.y_train)
    loss, accuracy = model.evaluate(iris.x_val, iris.y_val)
    probabilities = model.predict(iris.x_val)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    expected_accuracy = np.mean(probabilities.argmax(axis=1) == iris.y_val.argmax(axis=1))
    assert accuracy == pytest.approx(expected_accuracy)
    assert loss == pytest.approx(-np.mean(np.log((probabilities * iris.y_val).sum(axis=1))), rel=1e-4)
    assert accuracy > 0.8


def test_learning_rate_is_a_variable_changed_between_steps(K, iris):
    model = SoftmaxRegression(K, 4, 3, learning_rate=0.5, seed=0)
    model.train_step(iris.x_train, iris.y_train)
    model.set_learning_rate(0.0)
    before = model.parameters()
    model.train_step(iris.x_train, iris.y_train)
    np.testing.assert_array_equal(model.parameters()["W"], before["W"])
    model.set_learning_rate(0.25)
    assert model.learning_rate == 0.25
    model.train_step(iris.x_train, iris.y_train)
    assert not np.array_equal(model.parameters()["W"], before["W"])


def test_linear_regression_learns_the_exercise(K):
    data = load_dataset("linear", seed=0)
    model = LinearRegression(K, 1, learning_rate=0.5, seed=0)
    first = model.train_step(data.x_train, data.y_train)
    for _ in range(199):
        last = model.train_step(data.x_train, data.y_train)
    assert last < first / 1000
    params = model.summary_params()
    assert params["w"] == pytest.approx(0.96, abs=0.01) and params["b"] == pytest.approx(0.24, abs=0.01)
    val_loss, accuracy = model.evaluate(data.x_val, data.y_val)
    assert accuracy is None and val_loss < 1e-4
    np.testing.assert_allclose(model.predict(data.x_val[:3]), data.y_val[:3], atol=0.01)


def test_warm_up_compiles_without_changing_parameters(K, iris):
    model = SoftmaxRegression(K, 4, 3, learning_rate=0.5, seed=0)
    before = model.parameters()
    model.warm_up(iris.x_train, iris.y_train)
    after = model.parameters()
    np.testing.assert_array_equal(after["W"], before["W"])
    np.testing.assert_array_equal(after["b"], before["b"])


def test_summary_params_only_for_one_feature_linear_regression(K):
    assert LinearRegression(K, 3, learning_rate=0.1).summary_params() == {}
    assert SoftmaxRegression(K, 1, 2, learning_rate=0.1).summary_params() == {}


def test_build_model_checks_the_task(K, iris):
    assert isinstance(build_model("softmax", K, iris, 0.1), SoftmaxRegression)
    with pytest.raises(ValueError, match="model linear needs a regression dataset; iris is classification"):
        build_model("linear", K, iris, 0.1)
    with pytest.raises(ValueError, match="model softmax needs a classification dataset; linear is regression"):
        build_model("softmax", K, load_dataset("linear"), 0.1)
