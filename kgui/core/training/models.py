"""The models, written in the Keras-2 backend API, so one code runs on every engine.

- ``softmax`` and ``linear``: the notebooks' regressions, ``X·W + b``; initial weights uniform on
  [0, 1) like the notebook's ``np.random.rand``.
- ``mlp``: 0–4 hidden dense layers with one activation, then a softmax (classification) or linear
  (regression) output; Glorot-uniform weights and zero biases, as Keras' ``Dense`` starts.

Initial weights are drawn with ``np.random.RandomState(seed)`` in float32, so a seed gives the
same starting point on every engine. The loss is the mean categorical cross-entropy
(classification) or the mean squared error (regression), plus ``l2·Σ W²`` and ``l1·Σ|W|`` over the weight
matrices when they are above 0 (Keras' ``kernel_regularizer=l1_l2(l1, l2)``). The updates come from a Keras 2
optimizer (:mod:`kgui.core.training.optimizers`). The learning rate is a backend variable:
:meth:`Model.set_learning_rate` changes it between steps without rebuilding anything.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .optimizers import OptimizerConfig, build_optimizer

MODELS = ("softmax", "linear", "mlp")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
MAX_HIDDEN_LAYERS = 4
MAX_LAYER_WIDTH = 4096
INITIALIZERS = ("uniform", "glorot_uniform")


@dataclass(frozen=True)
class Architecture:
    """The layers of a model: widths from inputs to outputs, hidden activation, output kind, initial weights."""

    widths: tuple[int, ...]           # (n_features, *hidden, n_outputs)
    task: str                         # "classification": softmax output; "regression": linear output
    activation: str = "relu"          # of the hidden layers
    initializer: str = "uniform"      # "uniform" on [0, 1) (the notebooks) or "glorot_uniform" (Keras' Dense)

    @property
    def n_layers(self) -> int:
        return len(self.widths) - 1

    def parameter_names(self) -> list[str]:
        """``W, b`` for one layer; ``W1, b1, W2, b2, ...`` for more."""
        if self.n_layers == 1:
            return ["W", "b"]
        return [f"{kind}{layer}" for layer in range(1, self.n_layers + 1) for kind in ("W", "b")]

    def initial_weights(self, seed: int) -> list[np.ndarray]:
        """float32 weight matrix and bias of each layer, drawn by NumPy from ``seed``."""
        rng = np.random.RandomState(seed)
        values = []
        for fan_in, fan_out in zip(self.widths[:-1], self.widths[1:]):
            if self.initializer == "uniform":
                values += [rng.rand(fan_in, fan_out), rng.rand(fan_out)]
            else:
                limit = math.sqrt(6.0 / (fan_in + fan_out))
                values += [rng.uniform(-limit, limit, (fan_in, fan_out)), np.zeros(fan_out)]
        return [value.astype(np.float32) for value in values]


def check_hidden(hidden) -> None:
    """ValueError unless ``hidden`` is 0–4 positive layer widths."""
    if len(hidden) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"hidden takes at most {MAX_HIDDEN_LAYERS} layers, got {len(hidden)}: "
                         f"{','.join(map(str, hidden))}")
    for width in hidden:
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_LAYER_WIDTH:
            raise ValueError(f"each hidden layer needs 1 to {MAX_LAYER_WIDTH} neurons, got {width!r}")


class Model:
    """Placeholders X, Y; parameter variables; ``lr``; train, evaluate and predict functions; ``hidden``: the hidden
    layers' activations (symbolic, for :mod:`kgui.core.training.layer_stats`)."""

    def __init__(self, K, architecture: Architecture, learning_rate: float, seed: int = 0,
                 optimizer: OptimizerConfig | None = None, l2: float = 0.0, l1: float = 0.0):
        self.K = K
        self.architecture = architecture
        self.task = architecture.task
        self.n_features = architecture.widths[0]
        self.l2 = l2
        self.l1 = l1
        widths = architecture.widths
        self.X = K.placeholder(shape=(None, widths[0]), dtype="float32", name="X")
        self.Y = K.placeholder(shape=(None, widths[-1]), dtype="float32", name="Y")
        self.params = [K.variable(value, name=name) for name, value in
                       zip(architecture.parameter_names(), architecture.initial_weights(seed))]
        self.lr = K.variable(np.float32(learning_rate), name="lr")
        *self.hidden, self.output = self._layer_outputs(self.X)
        self.loss = self._loss()
        self.optimizer = build_optimizer(K, self.lr, optimizer)
        updates = self.optimizer.get_updates(self.loss, self.params)
        self._train = K.function([self.X, self.Y], [self.loss], updates=updates, name="train")
        self._evaluate = K.function([self.X, self.Y], self._metrics(), name="evaluate")
        self._predict = K.function([self.X], [self._prediction()], name="predict")

    def _layer_outputs(self, h) -> list:
        """Each layer's output for the rows ``h``: the hidden layers' activations, then the logits
        (classification) or values (regression)."""
        K, params = self.K, self.params
        outputs = []
        for layer in range(len(params) // 2):
            h = K.dot(h, params[2 * layer]) + params[2 * layer + 1]
            if layer < len(params) // 2 - 1:
                h = activate(K, h, self.architecture.activation)
            outputs.append(h)
        return outputs

    def _loss(self):
        K = self.K
        if self.task == "classification":
            loss = K.mean(K.categorical_crossentropy(self.Y, self.output, from_logits=True))
        else:
            loss = K.mean(K.square(self.output - self.Y))
        if self.l2:
            for weights in self.params[::2]:
                loss = loss + self.l2 * K.sum(K.square(weights))
        if self.l1:
            for weights in self.params[::2]:
                loss = loss + self.l1 * K.sum(K.abs(weights))
        return loss

    def _metrics(self) -> list:
        if self.task != "classification":
            return [self.loss]
        K = self.K
        hits = K.equal(K.argmax(self.output, axis=-1), K.argmax(self.Y, axis=-1))
        return [self.loss, K.mean(K.cast(hits, "float32"))]

    def _prediction(self):
        return self.K.softmax(self.output) if self.task == "classification" else self.output

    def train_step(self, x, y) -> float:
        """One parameter update on ``(x, y)``; returns the loss before the update (the notebook's value)."""
        return float(self._train([x, y])[0])

    def evaluate(self, x, y) -> tuple[float, float | None]:
        """Loss and accuracy (None for regression) at the current parameters."""
        values = self._evaluate([x, y])
        return float(values[0]), (float(values[1]) if len(values) > 1 else None)

    def predict(self, x) -> np.ndarray:
        """Class probabilities (classification) or predicted values (regression)."""
        return self._predict([x])[0]

    def restart(self, seed: int, learning_rate: float) -> None:
        """Back to where a new model of this architecture starts with ``seed``: the initial weights, a fresh
        optimizer state, ``learning_rate``. Nothing is compiled again, and the next run gives the same numbers
        as on a new model."""
        for variable, value in zip(self.params, self.architecture.initial_weights(seed)):
            self.K.set_value(variable, value)
        self.optimizer.reset()
        self.set_learning_rate(learning_rate)

    def warm_up(self, x, y, x_val=None, y_val=None) -> None:
        """Compile every function now (on this thread) without changing the parameters or the optimizer, on the
        shapes training uses: ``x``, ``y`` one batch, ``x_val``, ``y_val`` the validation rows (JAX compiles once per
        input shape: warmed on one row, the first step and validation compiled again, 1-3 s)."""
        saved = self.parameters()
        self.train_step(x, y)
        for variable in self.params:
            self.K.set_value(variable, saved[variable.name])
        self.optimizer.reset()
        if x_val is not None and len(x_val):
            self.evaluate(x_val, y_val)
        else:
            self.evaluate(x[:1], y[:1])
        self.predict(x[:1])

    @property
    def learning_rate(self) -> float:
        return float(self.K.get_value(self.lr))

    def set_learning_rate(self, value: float) -> None:
        self.K.set_value(self.lr, np.float32(value))

    def parameters(self) -> dict[str, np.ndarray]:
        return {variable.name: self.K.get_value(variable) for variable in self.params}

    def summary_params(self) -> dict[str, float]:
        """``{"w": ..., "b": ...}`` for a one-feature, one-layer regression, else ``{}``."""
        if self.task != "regression" or self.n_features != 1 or len(self.params) != 2:
            return {}
        params = self.parameters()
        return {"w": float(params["W"][0, 0]), "b": float(params["b"][0])}


def activate(K, h, activation: str):
    """``h`` through the named activation."""
    if activation == "relu":
        return K.relu(h)
    if activation == "tanh":
        return K.tanh(h)
    if activation == "sigmoid":
        return K.sigmoid(h)
    if activation == "linear":
        return h
    raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")


class SoftmaxRegression(Model):
    """Multinomial logistic regression: softmax of ``X·W + b``, mean categorical cross-entropy."""

    def __init__(self, K, n_features: int, n_classes: int, learning_rate: float, seed: int = 0,
                 optimizer: OptimizerConfig | None = None, l2: float = 0.0, l1: float = 0.0):
        super().__init__(K, Architecture((n_features, n_classes), "classification"), learning_rate, seed,
                         optimizer, l2, l1)


class LinearRegression(Model):
    """Linear regression ``X·W + b`` with mean squared error."""

    def __init__(self, K, n_features: int, learning_rate: float, seed: int = 0,
                 optimizer: OptimizerConfig | None = None, l2: float = 0.0, l1: float = 0.0):
        super().__init__(K, Architecture((n_features, 1), "regression"), learning_rate, seed, optimizer, l2, l1)


class MLP(Model):
    """Dense hidden layers with one activation, softmax or linear output by task, Glorot-uniform weights."""

    def __init__(self, K, n_features: int, n_outputs: int, task: str, hidden=(), activation: str = "relu",
                 learning_rate: float = 0.01, seed: int = 0, optimizer: OptimizerConfig | None = None,
                 l2: float = 0.0, l1: float = 0.0):
        check_hidden(hidden)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        super().__init__(K, Architecture((n_features, *hidden, n_outputs), task, activation, "glorot_uniform"),
                         learning_rate, seed, optimizer, l2, l1)


def architecture_for(name: str, dataset, hidden=(), activation: str = "relu") -> Architecture:
    """The layers of model ``name`` on ``dataset``; ValueError when the model does not fit its task."""
    outputs = dataset.n_classes if dataset.task == "classification" else 1
    if name == "softmax":
        if dataset.task != "classification":
            raise ValueError(f"model softmax needs a classification dataset; {dataset.name} is {dataset.task}")
        return Architecture((dataset.n_features, outputs), "classification")
    if name == "linear":
        if dataset.task != "regression":
            raise ValueError(f"model linear needs a regression dataset; {dataset.name} is {dataset.task}")
        return Architecture((dataset.n_features, outputs), "regression")
    if name == "mlp":
        check_hidden(hidden)
        return Architecture((dataset.n_features, *hidden, outputs), dataset.task, activation, "glorot_uniform")
    raise ValueError(f"unknown model {name!r}; choose {', '.join(MODELS)}")


def build_model(name: str, K, dataset, learning_rate: float, seed: int = 0, *, hidden=(),
                activation: str = "relu", optimizer: OptimizerConfig | None = None, l2: float = 0.0,
                l1: float = 0.0) -> Model:
    """Model ``name`` ("softmax", "linear" or "mlp") for ``dataset``; ValueError when it does not fit its task."""
    architecture = architecture_for(name, dataset, hidden, activation)
    if name == "softmax":
        return SoftmaxRegression(K, dataset.n_features, dataset.n_classes, learning_rate, seed, optimizer, l2, l1)
    if name == "linear":
        return LinearRegression(K, dataset.n_features, learning_rate, seed, optimizer, l2, l1)
    return MLP(K, dataset.n_features, architecture.widths[-1], dataset.task, hidden, activation, learning_rate, seed,
               optimizer, l2, l1)
