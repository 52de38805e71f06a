"""What a 2-feature model predicts over the plane: the decision boundary (classification) or the fitted surface
(regression), as a grid of values for a heatmap.

The grid spans the training and validation points (a margin around them) in the dataset's own
feature units, is fed through the model's ``predict`` in one call, and is computed on the thread
that trains, between two steps, like every use of a model.

When a 2-feature run ends its trainer saves the final grid, with the points it is drawn over, as
``surface.npz`` in the run's folder (:func:`save`), so that a saved run, which has no model left, still
shows its decision boundary (:func:`load_saved`).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..files import read_npz, write_atomic

DEFAULT_RESOLUTION = 64
MARGIN = 0.1    # share of the points' range added on each side
SURFACE_FILE = "surface.npz"    # in a run's folder
MAX_SAVED_POINTS = 2000         # of each split, saved with the final surface
MAX_SURFACE_FILE_BYTES = 10_000_000   # a larger surface.npz is not one kgui wrote


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
    plane = plane_points(dataset)
    points = np.concatenate([plane.x_train, plane.x_val]).astype(np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((high - low) * MARGIN, 1e-3)
    return float(low[0] - pad[0]), float(high[0] + pad[0]), float(low[1] - pad[1]), float(high[1] + pad[1])


def has_surface(dataset) -> bool:
    """Whether a surface can be drawn: two raw features (their inputs may be features computed from them)."""
    if dataset is None:
        return False
    return dataset.plane() is not None if hasattr(dataset, "plane") else dataset.n_features == 2


def plane_points(dataset) -> "PlanePoints":
    """The raw 2-D points of a Dataset (or PlanePoints) a surface is drawn over, with their targets."""
    if isinstance(dataset, PlanePoints):
        return dataset
    x_train, x_val = dataset.plane() if hasattr(dataset, "plane") else (dataset.x_train, dataset.x_val)
    return PlanePoints(dataset.name, dataset.task, x_train, dataset.y_train, x_val, dataset.y_val)


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
    predicted = np.asarray(model.predict(dataset.plane_rows(grid)), dtype=np.float32)
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


@dataclass(frozen=True, eq=False)
class PlanePoints:
    """The training and validation points a surface is drawn over (what a view reads of a 2-feature dataset)."""

    name: str
    task: str
    x_train: np.ndarray     # (rows, 2)
    y_train: np.ndarray     # (rows, outputs): one-hot classes or values
    x_val: np.ndarray
    y_val: np.ndarray
    n_features: int = 2


@dataclass(frozen=True, eq=False)
class SavedSurface:
    """A run's final surface (after ``step`` steps) and the points it was drawn over."""

    surface: Surface
    step: int
    points: PlanePoints


def save(folder, result: Surface, dataset, step: int) -> None:
    """Write ``result`` and ``dataset``'s points (at most ``MAX_SAVED_POINTS`` of each split) to the run folder
    ``folder`` (its writer's, while it holds the run), atomically; OSError naming the file."""
    points = plane_points(dataset)
    arrays = {"xs": result.xs, "ys": result.ys, "values": result.values, "step": np.int64(step),
              "task": np.str_(result.task), "n_classes": np.int64(result.n_classes), "name": np.str_(dataset.name),
              "x_train": points.x_train[:MAX_SAVED_POINTS], "y_train": points.y_train[:MAX_SAVED_POINTS],
              "x_val": points.x_val[:MAX_SAVED_POINTS], "y_val": points.y_val[:MAX_SAVED_POINTS]}
    if result.classes is not None:
        arrays.update(classes=result.classes, confidence=result.confidence)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomic(Path(folder) / SURFACE_FILE, buffer.getvalue())


def load_saved(folder) -> SavedSurface:
    """The surface :func:`save` wrote to the run folder ``folder``; ValueError in one line when there is none or
    it cannot be read."""
    path = Path(folder) / SURFACE_FILE
    if not path.is_file():
        raise ValueError("no decision boundary was saved with this run (runs on 2-feature data save one when "
                         "they end)")
    return read_npz(path, MAX_SURFACE_FILE_BYTES, _saved)


def _saved(data: dict) -> SavedSurface:
    """A SavedSurface from the arrays of surface.npz; ValueError/KeyError when they do not fit together."""
    xs, ys = np.asarray(data["xs"], np.float64), np.asarray(data["ys"], np.float64)
    values = np.asarray(data["values"], np.float32)
    task, n_classes = str(data["task"]), int(data["n_classes"])
    if xs.ndim != 1 or ys.ndim != 1 or len(xs) < 2 or values.shape != (len(ys), len(xs)):
        raise ValueError(f"a grid of {values.shape} values over {xs.shape} × {ys.shape} points")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError("its grid has NaN or infinite coordinates")
    if task not in ("classification", "regression"):
        raise ValueError(f"unknown task {task!r}")
    classes = confidence = None
    if task == "classification":
        classes, confidence = np.asarray(data["classes"], np.int64), np.asarray(data["confidence"], np.float32)
        if classes.shape != values.shape or confidence.shape != values.shape or n_classes < 2 \
                or classes.min() < 0 or classes.max() >= n_classes:
            raise ValueError("its classes do not fit its grid")
    points = {}
    for split in ("train", "val"):
        x, y = np.asarray(data[f"x_{split}"], np.float64), np.asarray(data[f"y_{split}"], np.float64)
        if x.ndim != 2 or x.shape[1] != 2 or y.ndim != 2 or len(y) != len(x):
            raise ValueError(f"its {split} points are not 2-feature rows with targets")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError(f"its {split} points hold NaN or infinite values")
        points[split] = (x, y)
    return SavedSurface(Surface(xs, ys, values, task, classes, confidence, n_classes), int(data["step"]),
                        PlanePoints(str(data["name"]), task, *points["train"], *points["val"]))
