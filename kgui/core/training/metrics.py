"""What a model has learned so far: a validation confusion matrix, or the fitted line against the true one.

Both read the model through its K-API ``predict`` and parameters, so they work on every engine.
Call them on the thread that trains (between two steps), like every use of a model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.datasets import LINEAR
from ..experiment.settings import ExperimentSettings


@dataclass(frozen=True, eq=False)
class ConfusionMatrix:
    """``counts[i, j]``: rows of true class i predicted as class j."""

    counts: np.ndarray              # (classes, classes) int64
    class_names: tuple[str, ...]

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def accuracy(self) -> float:
        """Share of rows on the diagonal; NaN without rows."""
        return float(np.trace(self.counts) / self.total) if self.total else float("nan")

    def row_shares(self) -> np.ndarray:
        """Each row divided by its sum: how each true class was predicted (recall on the diagonal); 0 for empty rows."""
        sums = self.counts.sum(axis=1, keepdims=True)
        return np.divide(self.counts, sums, out=np.zeros(self.counts.shape), where=sums > 0)


def confusion_matrix(model, x, y_one_hot, class_names) -> ConfusionMatrix:
    """The confusion matrix of ``model``'s most probable class against one-hot targets."""
    n = len(class_names)
    predicted = np.argmax(model.predict(x), axis=-1)
    true = np.argmax(y_one_hot, axis=-1)
    counts = np.bincount(true * n + predicted, minlength=n * n).reshape(n, n)
    return ConfusionMatrix(counts.astype(np.int64), tuple(class_names))


def validation_confusion(trainer) -> ConfusionMatrix:
    """The confusion matrix on the validation split at the trainer's current step (prepares it if needed).

    ValueError for a regression dataset or one without validation rows.
    """
    trainer.prepare()
    dataset = trainer.dataset
    if dataset.task != "classification":
        raise ValueError(f"a confusion matrix needs a classification dataset; {dataset.name} is {dataset.task}")
    if not len(dataset.x_val):
        raise ValueError(f"{dataset.name} has no validation rows (val_fraction is 0)")
    return confusion_matrix(trainer.model, dataset.x_val, dataset.y_val, dataset.class_names)


MAX_PREDICTED_ROWS = 500    # the predicted-against-actual plot shows at most this many rows


@dataclass(frozen=True)
class Predictions:
    """A regression model's predictions against the targets (first output), on the validation rows (the training
    rows when there are none), at most ``MAX_PREDICTED_ROWS`` of them."""

    actual: np.ndarray
    predicted: np.ndarray
    split: str      # "validation" or "training"


def predictions(trainer) -> Predictions:
    """:class:`Predictions` of the trainer's model at its current step (prepares it if needed)."""
    trainer.prepare()
    dataset = trainer.dataset
    split = "validation" if len(dataset.x_val) else "training"
    x, y = (dataset.x_val, dataset.y_val) if split == "validation" else (dataset.x_train, dataset.y_train)
    x, y = x[:MAX_PREDICTED_ROWS], y[:MAX_PREDICTED_ROWS]
    predicted = np.asarray(trainer.model.predict(x), dtype=np.float64).reshape(len(x), -1)[:, 0]
    return Predictions(np.asarray(y, dtype=np.float64).reshape(len(x), -1)[:, 0], predicted, split)


@dataclass(frozen=True)
class FittedLine:
    """``y = w·x + b`` as learned, and the line that made the data when it is synthetic."""

    w: float
    b: float
    true_w: float | None = None
    true_b: float | None = None

    def at(self, x) -> np.ndarray:
        """The fitted line's values at ``x`` (for drawing it over the scatter)."""
        return self.w * np.asarray(x, dtype=np.float64) + self.b


def true_line(settings: ExperimentSettings) -> tuple[float, float] | None:
    """Slope and intercept behind the synthetic linear data (its options, else the registry's defaults);
    None for other datasets."""
    if settings.dataset != LINEAR.name:
        return None
    options = LINEAR.resolved_options(settings.dataset_options)
    return options["slope"], options["intercept"]


def fitted_line(trainer) -> FittedLine:
    """The trainer's current ``w, b`` with the true values when the data is synthetic.

    ValueError unless the model is a one-feature linear regression.
    """
    trainer.prepare()
    params = trainer.model.summary_params()
    if not params:
        raise ValueError(f"a fitted line needs a one-feature linear regression; {trainer.dataset.name} has "
                         f"{trainer.dataset.n_features} features and task {trainer.dataset.task}")
    return FittedLine(params["w"], params["b"], *(true_line(trainer.settings) or (None, None)))
