"""Keras 2's optimizers as K updates: the first three updates match a NumPy transcription of Keras 2.3.1's rules
on every installed engine; the learning rate stays live; state resets."""
import numpy as np
import pytest

import kgui.backend
from kgui.core.training.models import Architecture, Model
from kgui.core.training.optimizers import OptimizerConfig, build_optimizer

ENGINES = [info.id for info in kgui.backend.available() if info.installed]
CONFIGS = [
    OptimizerConfig("sgd"),
    OptimizerConfig("sgd", momentum=0.9),
    OptimizerConfig("sgd", momentum=0.8, nesterov=True),
    OptimizerConfig("rmsprop"),
    OptimizerConfig("rmsprop", rho=0.5, epsilon=1e-3),
    OptimizerConfig("adagrad"),
    OptimizerConfig("adam"),
    OptimizerConfig("adam", beta_1=0.5, beta_2=0.9, epsilon=1e-4),
]


@pytest.fixture(params=ENGINES, scope="module")
def K(request):
    return kgui.backend.load(request.param)


class KerasReference:
    """Keras 2.3.1's get_updates for one parameter list, in NumPy float64 (no decay, clipping or amsgrad)."""

    def __init__(self, config: OptimizerConfig, params):
        self.c = config
        self.state = [np.zeros_like(p) for p in params] * 2
        self.iterations = 0

    def step(self, lr, params, grads):
        c, new_params = self.c, []
        t = self.iterations + 1
        for i, (p, g) in enumerate(zip(params, grads)):
            if c.name == "sgd" and c.momentum:
                v = c.momentum * self.state[i] - lr * g
                self.state[i] = v
                new_params.append(p + c.momentum * v - lr * g if c.nesterov else p + v)
            elif c.name == "sgd":
                new_params.append(p - lr * g)
            elif c.name == "rmsprop":
                self.state[i] = c.rho * self.state[i] + (1 - c.rho) * g ** 2
                new_params.append(p - lr * g / (np.sqrt(self.state[i]) + c.epsilon))
            elif c.name == "adagrad":
                self.state[i] = self.state[i] + g ** 2
                new_params.append(p - lr * g / (np.sqrt(self.state[i]) + c.epsilon))
            else:
                lr_t = lr * np.sqrt(1 - c.beta_2 ** t) / (1 - c.beta_1 ** t)
                m = self.state[i] = c.beta_1 * self.state[i] + (1 - c.beta_1) * g
                v = self.state[len(params) + i] = c.beta_2 * self.state[len(params) + i] + (1 - c.beta_2) * g ** 2
                new_params.append(p - lr_t * m / (np.sqrt(v) + c.epsilon))
        self.iterations = t
        return new_params


def squared_loss_gradients(x, y, w, b):
    """Gradients of mean((x·w + b - y)²)."""
    residual = 2 * (x @ w + b - y) / y.size
    return [x.T @ residual, residual.sum(axis=0)]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.describe())
def test_first_three_updates_match_keras_2(K, config):
    rng = np.random.RandomState(3)
    x, y = rng.randn(16, 3).astype(np.float32), rng.randn(16, 2).astype(np.float32)
    model = Model(K, Architecture((3, 2), "regression"), learning_rate=0.05, seed=1, optimizer=config)
    params = [model.parameters()[name].astype(np.float64) for name in ("W", "b")]
    reference = KerasReference(config, params)
    for _ in range(3):
        params = reference.step(0.05, params, squared_loss_gradients(x, y, *params))
        model.train_step(x, y)
        got = model.parameters()
        np.testing.assert_allclose(got["W"], params[0], rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(got["b"], params[1], rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_learning_rate_set_between_steps_is_used_by_the_next_step(K, name):
    rng = np.random.RandomState(0)
    x, y = rng.randn(8, 2).astype(np.float32), rng.randn(8, 1).astype(np.float32)
    config = OptimizerConfig(name)
    model = Model(K, Architecture((2, 1), "regression"), learning_rate=0.1, seed=0, optimizer=config)
    params = [model.parameters()[n].astype(np.float64) for n in ("W", "b")]
    reference = KerasReference(config, params)
    for rate in (0.1, 0.001, 0.5):
        model.set_learning_rate(rate)
        params = reference.step(rate, params, squared_loss_gradients(x, y, *params))
        model.train_step(x, y)
    np.testing.assert_allclose(model.parameters()["W"], params[0], rtol=2e-5, atol=2e-6)


def test_warm_up_leaves_parameters_and_optimizer_state_untouched(K):
    rng = np.random.RandomState(0)
    x, y = rng.randn(8, 2).astype(np.float32), rng.randn(8, 1).astype(np.float32)
    fresh = Model(K, Architecture((2, 1), "regression"), 0.1, seed=0, optimizer=OptimizerConfig("adam"))
    warmed = Model(K, Architecture((2, 1), "regression"), 0.1, seed=0, optimizer=OptimizerConfig("adam"))
    warmed.warm_up(x, y)
    assert [fresh.train_step(x, y) for _ in range(3)] == [warmed.train_step(x, y) for _ in range(3)]


def test_state_variables_belong_to_the_model_backend(K):
    lr = K.variable(np.float32(0.1))
    optimizer = build_optimizer(K, lr, OptimizerConfig("adam"))
    w = K.variable(np.ones((2, 2), np.float32))
    optimizer.get_updates(K.sum(K.square(w)), [w])
    assert [v.shape for v in optimizer.weights] == [(), (2, 2), (2, 2)]
    assert all(v.backend is K for v in optimizer.weights)


@pytest.mark.parametrize("changes, message", [
    ({"name": "nadam"}, "optimizer must be one of sgd, rmsprop, adagrad, adam, got 'nadam'"),
    ({"momentum": 1.0}, "momentum must be in [0, 1), got 1.0"),
    ({"name": "adam", "momentum": 0.9}, "momentum applies to the sgd optimizer only, not adam"),
    ({"nesterov": True}, "nesterov needs a momentum above 0"),
    ({"name": "rmsprop", "nesterov": True}, "nesterov applies to the sgd optimizer only, not rmsprop"),
    ({"name": "sgd", "epsilon": 1e-3}, "epsilon applies to the rmsprop, adagrad and adam optimizers only, not sgd"),
    ({"name": "adagrad", "beta_1": 0.5}, "beta_1 applies to the adam optimizer only, not adagrad"),
    ({"name": "adam", "beta_2": 1.0}, "beta_2 must be between 0 and 1 (exclusive), got 1.0"),
    ({"name": "rmsprop", "rho": 0.0}, "rho must be between 0 and 1 (exclusive), got 0.0"),
    ({"name": "adam", "epsilon": 0.0}, "epsilon must be a positive number, got 0.0"),
])
def test_bad_hyper_parameters_are_named_in_one_line(changes, message):
    with pytest.raises(ValueError) as caught:
        OptimizerConfig(**changes).validate()
    assert str(caught.value) == message


def test_describe():
    assert OptimizerConfig("sgd").describe() == "sgd"
    assert OptimizerConfig("sgd", momentum=0.9, nesterov=True).describe() == "sgd (momentum 0.9, nesterov)"
    assert OptimizerConfig("adam").describe() == "adam (beta_1 0.9, beta_2 0.999, epsilon 1e-07)"
