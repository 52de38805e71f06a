"""The models in the K API, checked against NumPy (and the MLP's gradients against finite differences) on every
installed engine."""
import numpy as np
import pytest

import kgui.backend
from kgui.core.data.datasets import load_dataset
from kgui.core.training.models import MLP, Architecture, LinearRegression, SoftmaxRegression, build_model
from kgui.core.training.optimizers import OptimizerConfig

ENGINES = [info.id for info in kgui.backend.available() if info.installed]


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


def numpy_forward(params, x, activation, task):
    """float64 logits or values of an MLP given its parameter list [W1, b1, W2, b2, ...]."""
    functions = {"relu": lambda h: np.maximum(h, 0), "tanh": np.tanh, "sigmoid": lambda h: 1 / (1 + np.exp(-h)),
                 "linear": lambda h: h}
    h = x
    for layer in range(len(params) // 2):
        h = h @ params[2 * layer] + params[2 * layer + 1]
        if layer < len(params) // 2 - 1:
            h = functions[activation](h)
    return h


def numpy_loss(params, x, y, activation, task, l2):
    out = numpy_forward(params, x, activation, task)
    if task == "classification":
        loss = -(y * log_softmax(out)).sum(axis=1).mean()
    else:
        loss = ((out - y) ** 2).mean()
    return loss + l2 * sum((w ** 2).sum() for w in params[::2])


@pytest.mark.parametrize("activation, task, hidden, l2", [
    ("relu", "classification", (5, 4), 0.0),
    ("tanh", "regression", (6,), 0.01),
    ("sigmoid", "classification", (3, 3, 3), 0.001),
    ("linear", "regression", (4, 2, 3, 2), 0.0),
])
def test_mlp_gradients_match_finite_differences(K, activation, task, hidden, l2):
    rng = np.random.RandomState(5)
    x = rng.randn(12, 3)
    y = np.eye(3)[rng.randint(0, 3, 12)] if task == "classification" else rng.randn(12, 1)
    model = MLP(K, 3, y.shape[1], task, hidden, activation, learning_rate=0.1, seed=2, l2=l2)
    params = [value.astype(np.float64) for value in model.parameters().values()]
    assert model.evaluate(x, y)[0] == pytest.approx(numpy_loss(params, x, y, activation, task, l2), rel=1e-5)
    gradients = K.function([model.X, model.Y], K.gradients(model.loss, model.params))([x, y])
    h = 1e-6
    for index, value in enumerate(params):
        numeric = np.zeros_like(value)
        for position in np.ndindex(value.shape):
            shifted = [p.copy() for p in params]
            shifted[index][position] += h
            up = numpy_loss(shifted, x, y, activation, task, l2)
            shifted[index][position] -= 2 * h
            numeric[position] = (up - numpy_loss(shifted, x, y, activation, task, l2)) / (2 * h)
        np.testing.assert_allclose(gradients[index], numeric, rtol=1e-3, atol=1e-5,
                                   err_msg=f"gradient of {model.params[index].name}")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_l1_penalty_and_its_gradient_match_numpy(K, task):
    """Keras 2's l1: l1·Σ|W| over the weight matrices (not the biases) added to the loss; its gradient l1·sign(W)."""
    rng = np.random.RandomState(6)
    x = rng.randn(10, 3)
    y = np.eye(2)[rng.randint(0, 2, 10)] if task == "classification" else rng.randn(10, 2)
    l1, l2 = 0.03, 0.01
    model = MLP(K, 3, 2, task, (4,), "tanh", learning_rate=0.1, seed=4, l2=l2, l1=l1)
    params = [value.astype(np.float64) for value in model.parameters().values()]
    data_loss = numpy_loss(params, x, y, "tanh", task, l2)
    penalty = l1 * sum(np.abs(w).sum() for w in params[::2])
    assert model.evaluate(x, y)[0] == pytest.approx(data_loss + penalty, rel=1e-5)
    gradients = K.function([model.X, model.Y], K.gradients(model.loss, model.params))([x, y])
    plain = MLP(K, 3, 2, task, (4,), "tanh", learning_rate=0.1, seed=4, l2=l2)
    plain_gradients = K.function([plain.X, plain.Y], K.gradients(plain.loss, plain.params))([x, y])
    for index, value in enumerate(params):
        expected = plain_gradients[index] + (l1 * np.sign(value) if index % 2 == 0 else 0.0)
        np.testing.assert_allclose(gradients[index], expected, rtol=1e-5, atol=1e-7,
                                   err_msg=f"gradient of {model.params[index].name}")


def test_mlp_initial_weights_are_glorot_uniform_from_numpy_with_zero_biases(K):
    model = MLP(K, 4, 3, "classification", (8, 5), "tanh", seed=3)
    rng = np.random.RandomState(3)
    params = model.parameters()
    assert list(params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for layer, (fan_in, fan_out) in enumerate([(4, 8), (8, 5), (5, 3)], start=1):
        limit = np.sqrt(6 / (fan_in + fan_out))
        np.testing.assert_array_equal(params[f"W{layer}"], rng.uniform(-limit, limit, (fan_in, fan_out))
                                      .astype(np.float32))
        np.testing.assert_array_equal(params[f"b{layer}"], np.zeros(fan_out, np.float32))


def test_mlp_without_hidden_layers_is_a_glorot_initialised_regression(K, iris):
    model = build_model("mlp", K, iris, 0.1)
    assert list(model.parameters()) == ["W", "b"] and model.architecture.widths == (4, 3)
    assert not model.parameters()["b"].any()


def test_mlp_learns_iris_with_adam(K, iris):
    model = build_model("mlp", K, iris, 0.01, hidden=(16,), activation="relu", optimizer=OptimizerConfig("adam"))
    first = model.train_step(iris.x_train, iris.y_train)
    for _ in range(100):
        model.train_step(iris.x_train, iris.y_train)
    loss, accuracy = model.evaluate(iris.x_val, iris.y_val)
    assert loss < first / 3 and accuracy > 0.85


def test_l2_adds_the_weights_squares_to_the_loss(K, iris):
    plain = SoftmaxRegression(K, 4, 3, learning_rate=0.1, seed=0)
    penalised = SoftmaxRegression(K, 4, 3, learning_rate=0.1, seed=0, l2=0.01)
    penalty = 0.01 * float((plain.parameters()["W"].astype(np.float64) ** 2).sum())
    assert penalised.evaluate(iris.x_val, iris.y_val)[0] == pytest.approx(
        plain.evaluate(iris.x_val, iris.y_val)[0] + penalty, rel=1e-5)


@pytest.mark.parametrize("hidden, message", [
    ((8, 8, 8, 8, 8), "hidden takes at most 4 layers, got 5: 8,8,8,8,8"),
    ((8, 0), "each hidden layer needs 1 to 4096 neurons, got 0"),
])
def test_mlp_refuses_bad_hidden_layers(K, iris, hidden, message):
    with pytest.raises(ValueError) as caught:
        build_model("mlp", K, iris, 0.1, hidden=hidden)
    assert str(caught.value) == message


def test_architecture_names_parameters():
    assert Architecture((2, 1), "regression").parameter_names() == ["W", "b"]
    assert Architecture((2, 4, 1), "regression").parameter_names() == ["W1", "b1", "W2", "b2"]
