"""One registry of datasets: each one's name, title, task, options (with defaults and bounds) and loader.

A module that provides datasets describes each with a :class:`DatasetSpec` and calls :func:`register`
when it is imported; ``kgui.core.data.datasets`` imports every such module, so the CLI, the settings
validation, the window's dataset menu and the metrics all read the same entries. A loader takes a
:class:`LoadRequest` (options already checked and completed with their defaults, split fraction,
seed, progress and stop hooks) and returns a :class:`Dataset`, usually through :func:`build_dataset`.

Files given by path (user CSV files) have no entry of their own: :func:`spec_for` maps any path-like
name to the registered ``csv`` entry.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from .features import InputFeatures


class DatasetError(ValueError):
    """A dataset cannot be loaded; the message names the file, column and line where it applies."""


class LoadCancelled(Exception):
    """A load was stopped (Ctrl-C, SIGTERM, the window's Stop) before it finished; nothing was kept."""


class Task(StrEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


TASKS = tuple(Task)
TASK_CHOICES = ("auto", *TASKS)


@dataclass(frozen=True)
class LoadProgress:
    """How far a file has been read: data rows parsed so far and the share of the file's bytes consumed."""

    rows: int
    fraction: float          # 0..1 of the file on disk (of the compressed bytes for a .gz)

    def describe(self) -> str:
        return f"{self.rows:,} rows, {self.fraction:.0%}"


def never_stop() -> bool:
    """The default ``should_stop``: loads run to the end."""
    return False


def ignore_progress(progress: LoadProgress) -> None:
    """The default ``progress``: nobody is told."""


@dataclass(frozen=True)
class LoadRequest:
    """What a loader gets: the dataset's name, its complete options, the split, and hooks for long reads."""

    name: str                                    # the registered name, or the path of a file
    options: Mapping[str, object]                # every option of the spec; defaults filled in
    val_fraction: float = 0.2
    seed: int = 0
    progress: Callable[[LoadProgress], None] = ignore_progress
    should_stop: Callable[[], bool] = never_stop     # polled while reading; True ends the load with LoadCancelled
    inputs: InputFeatures = InputFeatures()          # features computed from the raw columns
    data_seed: int | None = None                     # generated data: its seed (None: ``seed``)


FLOAT32_MAX = float(np.finfo(np.float32).max)   # datasets are float32: a larger option value would make inf data


@dataclass(frozen=True)
class DatasetOption:
    """One option of a dataset: its type, default, bounds and a line of help (for --help and the window)."""

    name: str
    kind: type                       # int, float or str
    default: object                  # None: the loader decides (e.g. a CSV's last column as target)
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def check(self, value, dataset: str) -> object:
        """``value`` as this option holds it (an int is accepted for a float); DatasetError when it cannot be."""
        accepted = (int, float) if self.kind is float else (self.kind,)
        if isinstance(value, bool) or not isinstance(value, accepted):
            raise DatasetError(f"dataset option {self.name} must be {self.kind.__name__}, got {value!r}")
        if self.kind is float and not math.isfinite(value):
            raise DatasetError(f"dataset option {self.name} must be a finite number, got {value!r}")
        if self.kind is float and abs(value) > FLOAT32_MAX:   # the data is float32: it would be inf
            raise DatasetError(f"dataset option {self.name} must be within ±{FLOAT32_MAX:.4g} (float32, the data's "
                               f"type), got {value!r}")
        if self.minimum is not None and value < self.minimum:
            bound = "a non-negative number" if self.minimum == 0 else f"at least {self.minimum:g}"
            raise DatasetError(f"dataset option {self.name} must be {bound}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            bound = f"{self.maximum:,}" if self.kind is int else f"{self.maximum:g}"
            raise DatasetError(f"dataset option {self.name} must be at most {bound}, got {value!r}")
        if self.choices and value not in self.choices:
            raise DatasetError(f"dataset option {self.name} must be one of {', '.join(self.choices)}, "
                               f"got {value!r}")
        return float(value) if self.kind is float else value


class DatasetGroup(StrEnum):
    """Sections of the dataset menu, in menu order."""

    EXERCISE = "exercise"       # the notebook's linear exercise
    TOY = "toy"                 # small synthetic sets (TensorFlow Playground's)
    BUNDLED = "bundled"         # scikit-learn's bundled sets
    DOWNLOAD = "download"       # data the user downloads (Otto)
    FILE = "file"               # the user's own CSV files


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset: what the menus show, what it can be asked for, and how it is loaded."""

    name: str
    title: str                                   # menu title, e.g. "Iris (3 classes)"
    task: Task | None                            # None: decided by the data (CSV files)
    loader: Callable[[LoadRequest], "Dataset"]
    options: tuple[DatasetOption, ...] = ()
    group: DatasetGroup = DatasetGroup.TOY
    help: str = ""                               # one line for tooltips and --help
    source_file: Callable[[LoadRequest], Path] | None = None   # the file a loader reads: the cache's key

    @property
    def short_title(self) -> str:
        """A few words for window titles, legends and tables: the title without its parenthesis."""
        return self.title.split(" (")[0]

    @property
    def defaults(self) -> dict:
        return {option.name: option.default for option in self.options}

    def option(self, name: str) -> DatasetOption:
        return next(option for option in self.options if option.name == name)

    def resolved_options(self, options: Mapping | None = None, label: str | None = None) -> dict:
        """Every option with its checked value (given or default); DatasetError naming a bad or unknown one."""
        options = dict(options or {})
        known = {option.name: option for option in self.options}
        for key in options:
            if key not in known:
                names = ", ".join(known) or "none"
                raise DatasetError(f"dataset option {key!r} does not apply to {label or self.name!r} "
                                   f"(its options: {names})")
        return {name: (option.check(options[name], self.name) if name in options else option.default)
                for name, option in known.items()}


_REGISTRY: dict[str, DatasetSpec] = {}
CSV_NAME = "csv"  # the entry used for any path-like dataset name


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add ``spec`` to the registry (ValueError when the name is taken); returns it."""
    if spec.name in _REGISTRY:
        raise ValueError(f"dataset {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def registered() -> tuple[DatasetSpec, ...]:
    """Every registered spec, in registration order (the CSV entry included)."""
    return tuple(_REGISTRY.values())


def named_specs() -> tuple[DatasetSpec, ...]:
    """The specs chosen by name (everything but the CSV-file entry), in menu order: by group, then as registered."""
    groups = list(DatasetGroup)
    return tuple(sorted((spec for spec in _REGISTRY.values() if spec.name != CSV_NAME),
                        key=lambda spec: groups.index(spec.group)))


def is_file_name(name: str) -> bool:
    """Whether ``name`` reads as a path to a data file rather than a registered name."""
    return name.lower().endswith((".csv", ".csv.gz")) or "/" in name or os.sep in name


def spec_for(name: str) -> DatasetSpec:
    """The spec of a registered name, the CSV entry for a path; DatasetError for anything else."""
    if name in _REGISTRY and name != CSV_NAME:
        return _REGISTRY[name]
    if is_file_name(name):
        return _REGISTRY[CSV_NAME]
    names = ", ".join(spec.name for spec in named_specs())
    raise DatasetError(f"unknown dataset {name!r}; choose {names} or a path to a .csv file")


# -- building a Dataset ---------------------------------------------------------------------------------------------

CHUNK_BYTES = 4 << 20  # float64 temporaries of chunked array work stay below this


def _chunk_rows(x: np.ndarray) -> int:
    return max(1, CHUNK_BYTES // (8 * max(1, x.shape[1])))


@dataclass(frozen=True)
class Standardiser:
    """Per-feature ``(x - mean) / scale`` fitted on the training split (scale 1 for constant features)."""

    mean: np.ndarray        # float64 (features,)
    scale: np.ndarray       # float64 (features,)

    @classmethod
    def fit(cls, x: np.ndarray) -> "Standardiser":
        """Mean and population standard deviation of ``x``'s columns, accumulated in float64 chunk by chunk."""
        count, mean, m2 = 0, np.zeros(x.shape[1]), np.zeros(x.shape[1])
        chunk_rows = _chunk_rows(x)
        for start in range(0, len(x), chunk_rows):
            chunk = np.asarray(x[start:start + chunk_rows], dtype=np.float64)
            n = len(chunk)
            chunk_mean = chunk.mean(axis=0)
            chunk_m2 = ((chunk - chunk_mean) ** 2).sum(axis=0)
            delta = chunk_mean - mean
            total = count + n
            mean = mean + delta * (n / total)
            m2 = m2 + chunk_m2 + delta ** 2 * (count * n / total)
            count = total
        scale = np.sqrt(m2 / max(count, 1))
        scale[scale < 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)] = 1.0
        return cls(mean, scale)

    def transform(self, x) -> np.ndarray:
        """float32 standardised copy of ``x``."""
        return np.ascontiguousarray((np.asarray(x, dtype=np.float64) - self.mean) / self.scale, dtype=np.float32)

    def inverse_transform(self, x) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) * self.scale + self.mean

    def transform_in_place(self, x: np.ndarray) -> None:
        """Standardise a float32 array chunk by chunk (float64 arithmetic, no full-size temporary)."""
        chunk_rows = _chunk_rows(x)
        for start in range(0, len(x), chunk_rows):
            x[start:start + chunk_rows] = (x[start:start + chunk_rows] - self.mean) / self.scale


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and validation arrays plus what the window shows about them.

    The arrays are read-only: datasets are shared through the in-memory cache.
    """

    name: str
    task: Task
    x_train: np.ndarray              # (n_train, features) float32
    y_train: np.ndarray              # one-hot (n_train, classes) or (n_train, 1), float32
    x_val: np.ndarray
    y_val: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]     # () for regression
    source: str                      # where the data came from
    scaler: Standardiser | None = None   # fitted on the training split, None when unscaled
    inputs: InputFeatures = InputFeatures()   # how the raw columns became the features (identity: they are)
    raw_plane: tuple[np.ndarray, np.ndarray] | None = None   # train, val raw 2-D points when inputs changed them

    def __post_init__(self):
        for array in (self.x_train, self.y_train, self.x_val, self.y_val):
            array.flags.writeable = False

    @property
    def raw_feature_names(self) -> tuple[str, ...]:
        """The names of the columns the features were computed from (the feature names without features)."""
        if self.inputs.plane:
            return ("x1", "x2")
        return self.feature_names[:self.inputs.raw_columns(self.n_features)]

    def plane(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Training and validation points in the raw 2-D plane a decision boundary is drawn over, or None."""
        if self.raw_plane is not None:
            return self.raw_plane
        return (self.x_train, self.x_val) if self.n_features == 2 and self.inputs.identity else None

    def plane_rows(self, points) -> np.ndarray:
        """Model input rows (float32) of points of :meth:`plane`: themselves when the plane is the model's inputs,
        else the features computed from them, standardised when these were."""
        if self.raw_plane is None:
            return np.ascontiguousarray(points, dtype=np.float32)
        return self.transform(self.inputs.apply(points))

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def scores_classes(self) -> bool:
        """Classification with validation rows: each step has an accuracy, and a confusion matrix can be made."""
        return self.task == Task.CLASSIFICATION and len(self.x_val) > 0

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.x_train, self.y_train, self.x_val, self.y_val))

    def transform(self, x) -> np.ndarray:
        """New feature rows prepared like the training rows (float32, standardised when these were)."""
        if self.scaler is not None:
            return self.scaler.transform(x)
        return np.ascontiguousarray(x, dtype=np.float32)

    def describe(self) -> str:
        """A few lines for people: shape, task, classes, source."""
        if self.task == Task.CLASSIFICATION:
            task = f"classification, {self.n_classes} classes: {abbreviated(self.class_names)}"
        else:
            task = "regression"
        scaling = "standardised with training-split statistics" if self.scaler is not None else "raw values"
        if not self.inputs.identity:
            scaling += ", computed from the raw columns"
        return "\n".join([
            self.name,
            f"source: {self.source}",
            f"task: {task}",
            f"features: {self.n_features} ({abbreviated(self.feature_names)}), {scaling}",
            f"rows: {len(self.x_train)} train, {len(self.x_val)} validation",
        ])


def abbreviated(names, shown=6) -> str:
    """``a, b, c, …, z``: the first few and the last of ``names``."""
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown - 1]) + f", …, {names[-1]}"


def split_indices(n: int, val_fraction: float, seed: int, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Seeded shuffle of ``n`` rows into train and validation indices (at least one row each when asked)."""
    n_val = max(1, round(n * val_fraction)) if val_fraction > 0 else 0
    if n - n_val < 1:
        raise DatasetError(f"{label}: {n} row(s) are too few to hold out a validation fraction of {val_fraction}")
    order = np.random.RandomState(seed).permutation(n)
    return order[n_val:], order[:n_val]


def encode_targets(task: Task, target: np.ndarray, n_classes: int) -> np.ndarray:
    """One-hot float32 rows for class codes, a float32 column for regression values."""
    if task == Task.CLASSIFICATION:
        one_hot = np.zeros((len(target), n_classes), dtype=np.float32)
        one_hot[np.arange(len(target)), target] = 1.0
        return one_hot
    return np.ascontiguousarray(target, dtype=np.float32).reshape(-1, 1)


def build_dataset(name: str, task: Task | str, x: np.ndarray, target: np.ndarray, class_names, feature_names,
                  source: str, val_fraction: float = 0.2, seed: int = 0, standardise: bool = True,
                  label: str | None = None, inputs: InputFeatures = InputFeatures()) -> Dataset:
    """A Dataset from in-memory arrays: ``inputs`` computed from the raw columns, seeded split, standardised on the
    training split, targets encoded.

    ``x`` is (rows, features) numbers; ``target`` holds class codes 0..len(class_names)-1 for
    classification or values for regression. ``label`` names the data in messages (default: ``name``).
    """
    task = Task(task)
    train, val = split_indices(len(x), val_fraction, seed, label or name)
    raw_plane = None
    if not inputs.identity:
        inputs.check(x.shape[1], label or name)
        if x.shape[1] == 2:
            raw_plane = (np.asarray(x[train], dtype=np.float32), np.asarray(x[val], dtype=np.float32))
            for points in raw_plane:
                points.flags.writeable = False
        x, feature_names = inputs.apply(x), inputs.names(feature_names)
    x_train = np.ascontiguousarray(x[train], dtype=np.float32)
    x_val = np.ascontiguousarray(x[val], dtype=np.float32)
    scaler = None
    if standardise:
        scaler = Standardiser.fit(x[train])
        x_train = scaler.transform(x[train])
        x_val = scaler.transform(x[val]) if len(val) else x_val
    n_classes = len(class_names)
    return Dataset(name, task, x_train, encode_targets(task, target[train], n_classes), x_val,
                   encode_targets(task, target[val], n_classes), tuple(map(str, feature_names)),
                   tuple(map(str, class_names)), source, scaler, inputs, raw_plane)
