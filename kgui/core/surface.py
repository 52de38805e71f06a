"""What a 2-feature model predicts over the plane: the decision boundary (classification) or the fitted surface
(regression), as a grid of values for a heatmap.

The grid spans the training and validation points (a margin around them) in the dataset's own
feature units, is fed through the model's ``predict`` in one call, and is computed on the thread
that trains, between two steps, like every use of a model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_RESOLUTION = 64
MARGIN = 0.1    # share of the points' range added on each side


@dataclass(frozen=True, eq=False)
class Surface:
    """``values[i, j]`` is the prediction at ``(xs[j], ys[i])``.

    Classification: the predicted class index (``classes``) and its probability (``confidence``);
    with two classes ``values`` is the probability of the second class (0 … 1). Regression: the
    predicted value.
    """

    xs: np.ndarray              # (resolution,) first feature
    ys: np.ndarray              # (resolution,) second feature
    values: np.ndarray          # (resolution, resolution) float32
    task: str
    classes: np.ndarray | None = None       # (resolution, resolution) int64, classification only
    confidence: np.ndarray | None = None    # (resolution, resolution) probability of that class
    n_classes: int = 0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(x_min, x_max, y_min, y_max)`` of the grid."""
        return float(self.xs[0]), float(self.xs[-1]), float(self.ys[0]), float(self.ys[-1])


def plane_bounds(dataset) -> tuple[float, float, float, float]:
    """``(x_min, x_max, y_min, y_max)`` around the training and validation points, with a margin."""
    points = np.concatenate([dataset.x_train, dataset.x_val]).astype(np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((high - low) * MARGIN, 1e-3)
    return float(low[0] - pad[0]), float(high[0] + pad[0]), float(low[1] - pad[1]), float(high[1] + pad[1])


def has_surface(dataset) -> bool:
    """Whether a surface can be drawn: two features."""
    return dataset is not None and dataset.n_features == 2


def surface(model, dataset, resolution: int = DEFAULT_RESOLUTION, bounds=None) -> Surface:
    """The model's predictions over a ``resolution`` × ``resolution`` grid of the plane.

    ValueError unless the dataset has two features.
    """
    if not has_surface(dataset):
        raise ValueError(f"a decision surface needs 2 features; {dataset.name} has {dataset.n_features}")
    x_min, x_max, y_min, y_max = bounds or plane_bounds(dataset)
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    grid = np.ascontiguousarray(np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2), dtype=np.float32)
    predicted = np.asarray(model.predict(grid), dtype=np.float32)
    shape = (resolution, resolution)
    if dataset.task != "classification":
        return Surface(xs, ys, predicted[:, 0].reshape(shape), dataset.task)
    classes = predicted.argmax(axis=1)
    confidence = predicted.max(axis=1)
    values = predicted[:, 1] if predicted.shape[1] == 2 else classes.astype(np.float32)
    return Surface(xs, ys, values.reshape(shape), dataset.task, classes.reshape(shape),
                   confidence.reshape(shape), predicted.shape[1])


def trainer_surface(trainer, resolution: int = DEFAULT_RESOLUTION) -> Surface:
    """The surface of the trainer's model now (call it between two steps, on the training thread)."""
    trainer.prepare()
    return surface(trainer.model, trainer.dataset, resolution)
