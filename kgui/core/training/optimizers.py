"""Keras 2's optimizers as K-API update rules: ``(variable, new value)`` pairs for ``K.function(updates=...)``.

The rules and defaults are those of Keras 2.3.1's ``keras/optimizers.py`` (without decay, clipping
or amsgrad): every ``K.update(x, new)`` there is an ``(x, new)`` pair here. The learning rate is a
K variable owned by the model, so setting it changes the next step of any optimizer. Each
optimizer's state (moments, accumulators, the step count) lives in K variables of the same
backend, listed in :attr:`Optimizer.weights`, zero at the start like Keras'.

One departure, for engines without 64-bit integers: Keras counts ``iterations`` in an int64
variable and casts it to float for Adam; here it is a float32 variable, exact up to 2**24 steps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

OPTIMIZERS = ("sgd", "rmsprop", "adagrad", "adam")
KERAS_LEARNING_RATES = {"sgd": 0.01, "rmsprop": 0.001, "adagrad": 0.01, "adam": 0.001}  # Keras 2 defaults
HYPER_PARAMETERS = {  # the settings each optimizer reads
    "sgd": ("momentum", "nesterov"),
    "rmsprop": ("rho", "epsilon"),
    "adagrad": ("epsilon",),
    "adam": ("beta_1", "beta_2", "epsilon"),
}
DEFAULT_EPSILON = 1e-7   # Keras 2's K.epsilon()


@dataclass(frozen=True)
class OptimizerConfig:
    """Which update rule and its hyper-parameters (Keras 2 defaults); the learning rate is set apart."""

    name: str = "sgd"
    momentum: float = 0.0
    nesterov: bool = False
    rho: float = 0.9
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = DEFAULT_EPSILON

    def validate(self) -> None:
        """ValueError naming the first bad hyper-parameter (or combination) and its value."""
        if self.name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.name!r}")
        default = OptimizerConfig()
        for name in ("momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon"):
            if getattr(self, name) != getattr(default, name) and name not in HYPER_PARAMETERS[self.name]:
                users = [optimizer for optimizer, names in HYPER_PARAMETERS.items() if name in names]
                listed = users[0] if len(users) == 1 else f"{', '.join(users[:-1])} and {users[-1]} optimizers"
                raise ValueError(f"{name} applies to the {listed}{' optimizer' * (len(users) == 1)} only, "
                                 f"not {self.name}")
        if not (math.isfinite(self.momentum) and 0 <= self.momentum < 1):
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if in_float32(self.momentum) == 1:
            raise ValueError(rounded_in_float32("momentum", self.momentum))
        if self.nesterov and not self.momentum:
            raise ValueError("nesterov needs a momentum above 0")
        for name in ("rho", "beta_1", "beta_2"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 < value < 1):
                raise ValueError(f"{name} must be between 0 and 1 (exclusive), got {value!r}")
            if in_float32(value) in (0, 1):
                raise ValueError(rounded_in_float32(name, value))
        if not (math.isfinite(self.epsilon) and self.epsilon > 0):
            raise ValueError(f"epsilon must be a positive number, got {self.epsilon!r}")
        if in_float32(self.epsilon) in (0, math.inf):
            raise ValueError(rounded_in_float32("epsilon", self.epsilon))

    def describe(self) -> str:
        """``adam (beta_1 0.9, beta_2 0.999, epsilon 1e-07)``, ``sgd (momentum 0.9, nesterov)``, ``sgd``."""
        parts = []
        for name in HYPER_PARAMETERS[self.name]:
            value = getattr(self, name)
            if name == "nesterov":
                parts += ["nesterov"] if value else []
            elif name != "momentum" or value:
                parts.append(f"{name} {value:g}")
        return self.name + (f" ({', '.join(parts)})" if parts else "")


class Optimizer:
    """Builds the updates of one model's parameters; ``weights`` are the optimizer's own state variables."""

    def __init__(self, K, learning_rate, config: OptimizerConfig):
        self.K = K
        self.lr = learning_rate          # a K variable: the slider sets it between steps
        self.config = config
        self.weights: list = []

    def _state(self, shape, name: str, value: float = 0.0):
        variable = self.K.variable(np.full(shape, value, dtype=np.float32), name=name)
        self.weights.append(variable)
        return variable

    def get_updates(self, loss, params) -> list[tuple]:
        """``(variable, new value)`` pairs: the optimizer's state first, then each parameter."""
        return self._updates(self.K.gradients(loss, params), params)

    def _updates(self, grads, params) -> list[tuple]:
        raise NotImplementedError

    def reset(self) -> None:
        """Back to the state before the first step (zero moments, accumulators and step count)."""
        for variable in self.weights:
            self.K.set_value(variable, np.zeros(variable.shape, dtype=np.float32))


class SGD(Optimizer):
    """``p - lr·g``; with momentum ``v = momentum·m - lr·g``, ``p + v`` (Nesterov: ``p + momentum·v - lr·g``)."""

    def _updates(self, grads, params):
        momentum = self.config.momentum
        if not momentum:  # Keras 2.2's plain rule; 2.3's zero-momentum rule gives the same numbers
            return [(p, p - self.lr * g) for p, g in zip(params, grads)]
        updates = []
        for index, (p, g) in enumerate(zip(params, grads)):
            m = self._state(p.shape, f"moment_{index}")
            v = momentum * m - self.lr * g
            updates.append((m, v))
            new_p = p + momentum * v - self.lr * g if self.config.nesterov else p + v
            updates.append((p, new_p))
        return updates


class RMSprop(Optimizer):
    """``a = rho·a + (1 - rho)·g²``, ``p - lr·g / (sqrt(a) + epsilon)``."""

    def _updates(self, grads, params):
        rho, epsilon = self.config.rho, self.config.epsilon
        updates = []
        for index, (p, g) in enumerate(zip(params, grads)):
            a = self._state(p.shape, f"accumulator_{index}")
            new_a = rho * a + (1.0 - rho) * self.K.square(g)
            updates += [(a, new_a), (p, p - self.lr * g / (self.K.sqrt(new_a) + epsilon))]
        return updates


class Adagrad(Optimizer):
    """``a = a + g²``, ``p - lr·g / (sqrt(a) + epsilon)``."""

    def _updates(self, grads, params):
        epsilon = self.config.epsilon
        updates = []
        for index, (p, g) in enumerate(zip(params, grads)):
            a = self._state(p.shape, f"accumulator_{index}")
            new_a = a + self.K.square(g)
            updates += [(a, new_a), (p, p - self.lr * g / (self.K.sqrt(new_a) + epsilon))]
        return updates


class Adam(Optimizer):
    """Adam with Keras 2's bias correction folded into the rate: ``lr_t = lr·sqrt(1 - β2^t) / (1 - β1^t)``."""

    def _updates(self, grads, params):
        K, config = self.K, self.config
        beta_1, beta_2, epsilon = config.beta_1, config.beta_2, config.epsilon
        iterations = self._state((), "iterations")
        t = iterations + 1.0
        lr_t = self.lr * (K.sqrt(1.0 - K.pow(beta_2, t)) / (1.0 - K.pow(beta_1, t)))
        updates = [(iterations, t)]
        for index, (p, g) in enumerate(zip(params, grads)):
            m = self._state(p.shape, f"m_{index}")
            v = self._state(p.shape, f"v_{index}")
            m_t = beta_1 * m + (1.0 - beta_1) * g
            v_t = beta_2 * v + (1.0 - beta_2) * K.square(g)
            updates += [(m, m_t), (v, v_t), (p, p - lr_t * m_t / (K.sqrt(v_t) + epsilon))]
        return updates


_CLASSES = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adam": Adam}


def build_optimizer(K, learning_rate, config: OptimizerConfig | None = None) -> Optimizer:
    """The optimizer ``config`` names, reading its rate from the K variable ``learning_rate``."""
    config = config or OptimizerConfig()
    config.validate()
    return _CLASSES[config.name](K, learning_rate, config)


def in_float32(value: float) -> float:
    """``value`` as the engines hold it: rounded to float32 (0 below its smallest, inf above its largest)."""
    with np.errstate(over="ignore"):
        return float(np.float32(value))


def rounded_in_float32(name: str, value: float) -> str:
    """Why ``value`` cannot be ``name``: the engines compute in float32, where it becomes another number."""
    return f"{name} {value!r} is {in_float32(value):g} in float32, the engines' type: give a value float32 can hold"
