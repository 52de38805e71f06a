"""The notebooks' models written in the Keras-2 backend API, so one code runs on every engine.

Initial weights are drawn with ``np.random.RandomState(seed)`` in float32 (uniform on [0, 1),
like the notebook's ``np.random.rand``), so a seed gives the same starting point everywhere.
The learning rate is a backend variable: :meth:`set_learning_rate` changes it between steps
without rebuilding anything.
"""
from __future__ import annotations

import numpy as np


class Model:
    """Placeholders X, Y; variables W, b, lr; a train function with updates and an evaluate function."""

    def __init__(self, K, n_features: int, n_outputs: int, learning_rate: float, seed: int = 0):
        self.K = K
        self.n_features = n_features
        rng = np.random.RandomState(seed)
        self.X = K.placeholder(shape=(None, n_features), dtype="float32", name="X")
        self.Y = K.placeholder(shape=(None, n_outputs), dtype="float32", name="Y")
        self.W = K.variable(rng.rand(n_features, n_outputs).astype(np.float32), name="W")
        self.b = K.variable(rng.rand(n_outputs).astype(np.float32), name="b")
        self.lr = K.variable(np.float32(learning_rate), name="lr")
        self.output = K.dot(self.X, self.W) + self.b
        self.loss = self._loss()
        grad_w, grad_b = K.gradients(self.loss, [self.W, self.b])
        updates = [(self.W, self.W - self.lr * grad_w), (self.b, self.b - self.lr * grad_b)]
        self._train = K.function([self.X, self.Y], [self.loss], updates=updates, name="train")
        self._evaluate = K.function([self.X, self.Y], self._metrics(), name="evaluate")
        self._predict = K.function([self.X], [self._prediction()], name="predict")

    def _loss(self):
        raise NotImplementedError

    def _metrics(self) -> list:
        return [self.loss]

    def _prediction(self):
        return self.output

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

    def warm_up(self, x, y) -> None:
        """Compile every function now (on this thread) without changing the parameters."""
        saved = self.parameters()
        self.train_step(x[:1], y[:1])
        self.K.set_value(self.W, saved["W"])
        self.K.set_value(self.b, saved["b"])
        self.evaluate(x[:1], y[:1])
        self.predict(x[:1])

    @property
    def learning_rate(self) -> float:
        return float(self.K.get_value(self.lr))

    def set_learning_rate(self, value: float) -> None:
        self.K.set_value(self.lr, np.float32(value))

    def parameters(self) -> dict[str, np.ndarray]:
        return {"W": self.K.get_value(self.W), "b": self.K.get_value(self.b)}

    def summary_params(self) -> dict[str, float]:
        """``{"w": ..., "b": ...}`` for a one-feature linear regression, else ``{}``."""
        return {}


class SoftmaxRegression(Model):
    """Multinomial logistic regression: softmax of ``X·W + b``, mean categorical cross-entropy."""

    def __init__(self, K, n_features: int, n_classes: int, learning_rate: float, seed: int = 0):
        super().__init__(K, n_features, n_classes, learning_rate, seed)

    def _loss(self):
        return self.K.mean(self.K.categorical_crossentropy(self.Y, self.output, from_logits=True))

    def _metrics(self) -> list:
        K = self.K
        hits = K.equal(K.argmax(self.output, axis=-1), K.argmax(self.Y, axis=-1))
        return [self.loss, K.mean(K.cast(hits, "float32"))]

    def _prediction(self):
        return self.K.softmax(self.output)


class LinearRegression(Model):
    """Linear regression ``X·W + b`` with mean squared error."""

    def __init__(self, K, n_features: int, learning_rate: float, seed: int = 0):
        super().__init__(K, n_features, 1, learning_rate, seed)

    def _loss(self):
        return self.K.mean(self.K.square(self.output - self.Y))

    def summary_params(self) -> dict[str, float]:
        if self.n_features != 1:
            return {}
        params = self.parameters()
        return {"w": float(params["W"][0, 0]), "b": float(params["b"][0])}


def build_model(name: str, K, dataset, learning_rate: float, seed: int = 0) -> Model:
    """``"softmax"`` or ``"linear"`` for ``dataset``; ValueError when the model does not fit its task."""
    if name == "softmax":
        if dataset.task != "classification":
            raise ValueError(f"model softmax needs a classification dataset; {dataset.name} is {dataset.task}")
        return SoftmaxRegression(K, dataset.n_features, dataset.n_classes, learning_rate, seed)
    if name == "linear":
        if dataset.task != "regression":
            raise ValueError(f"model linear needs a regression dataset; {dataset.name} is {dataset.task}")
        return LinearRegression(K, dataset.n_features, learning_rate, seed)
    raise ValueError(f"unknown model {name!r}; choose softmax or linear")
