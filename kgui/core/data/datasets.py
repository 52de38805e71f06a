"""The built-in datasets (the linear exercise, scikit-learn's bundled sets, Otto, user CSV files), and loading.

Each dataset is an entry of :mod:`kgui.core.data.dataset_registry` (name, title, task, options, loader);
this module registers the built-in ones, imports the other modules that register theirs, and offers
:func:`load_dataset`. Every loader returns a :class:`Dataset` split into train and validation rows by
a seeded shuffle. Features are float32 C-contiguous arrays, standardised with statistics of the
training split only (except the linear exercise, whose raw ``x`` keeps ``w, b`` meaningful).
Targets are one-hot float32 ``(n, classes)`` for classification and ``(n, 1)`` float32 for
regression. Every bad input raises :class:`DatasetError` (a ValueError) with a one-line
message naming the file, column and line where it applies.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from . import csv_files, dataset_cache
from .features import InputFeatures
from .dataset_registry import (CSV_NAME, TASK_CHOICES, TASKS, Dataset, DatasetError, DatasetGroup, DatasetOption,
                               DatasetSpec, LoadCancelled, LoadProgress, LoadRequest, Standardiser, Task,
                               build_dataset, encode_targets, ignore_progress, is_file_name, named_specs,
                               never_stop, register, registered, spec_for, split_indices)

__all__ = ["TASKS", "TASK_CHOICES", "Dataset", "DatasetError", "DatasetOption", "DatasetSpec", "LoadCancelled",
           "LoadProgress", "Task", "check_options", "is_file_name", "load_dataset", "named_specs", "registered",
           "spec_for"]

BUNDLED = {  # name: (scikit-learn loader, task, menu title)
    "iris": ("load_iris", Task.CLASSIFICATION, "Iris (3 classes)"),
    "wine": ("load_wine", Task.CLASSIFICATION, "Wine (3 classes)"),
    "breast_cancer": ("load_breast_cancer", Task.CLASSIFICATION, "Breast cancer (2 classes)"),
    "digits": ("load_digits", Task.CLASSIFICATION, "Digits (10 classes)"),
    "diabetes": ("load_diabetes", Task.REGRESSION, "Diabetes (regression)"),
}
MAX_CLASSES = 100       # a classification target with more classes is refused
MAX_AUTO_CLASSES = 20   # an integer target with at most this many values is taken as classes
OTTO_FOLDER = "kaggle_ottogroup"
OTTO_COMPETITION = "Otto Group Product Classification Challenge"
OTTO_URL = "https://www.kaggle.com/c/otto-group-product-classification-challenge/data"
PROJECT_DATA_DIR = Path(__file__).resolve().parents[3] / "data"


def check_options(name: str, options: Mapping) -> None:
    """DatasetError naming an option that does not apply to the dataset or has a bad value."""
    spec_for(name).resolved_options(options, label=name)


def load_dataset(name: str, options: Mapping | None = None, val_fraction: float = 0.2, seed: int = 0,
                 progress: Callable[[LoadProgress], None] = ignore_progress,
                 should_stop: Callable[[], bool] = never_stop, inputs: InputFeatures = InputFeatures(),
                 data_seed: int | None = None) -> Dataset:
    """The dataset ``name`` (a registered name or a CSV path) with its options; ``inputs``: features computed from
    its raw columns; ``data_seed``: the seed a generated (toy) dataset is drawn with (None: ``seed``).

    ``progress`` hears how far a file has been read; ``should_stop`` is polled while reading and
    ends the load with :class:`LoadCancelled` when it returns True. Datasets read from files are
    kept in :data:`dataset_cache.MEMORY` by the file's identity, so loading one again is immediate, and
    a file is read by one load at a time (:data:`dataset_cache.READS`): a second load of it meanwhile
    waits for that read and hears its progress.
    """
    spec = spec_for(name)
    inputs.validate()
    if inputs.plane and spec.group != DatasetGroup.TOY:
        raise DatasetError(f"features {','.join(inputs.plane)} are for the 2-D sets; {name} is not one "
                           "(polynomial_degree 2 adds squares and products to other datasets)")
    if data_seed is not None and spec.group != DatasetGroup.TOY:
        raise DatasetError(f"data_seed regenerates the 2-D sets; {name} is not generated")
    request = LoadRequest(name, spec.resolved_options(options, label=name), val_fraction, seed, progress, should_stop,
                          inputs, data_seed)
    key = _cache_key(spec, request)
    if key is None:
        return _load(spec, request)
    while True:
        cached = dataset_cache.MEMORY.get(key)
        if cached is not None:
            return cached
        tell = dataset_cache.READS.begin(key, progress, should_stop)
        if tell is None:   # another load read the file meanwhile: its Dataset is cached now (unless that load failed)
            continue
        try:
            dataset = _load(spec, dataclasses.replace(request, progress=tell))
            if key == _cache_key(spec, request):  # the file did not change while it was read
                dataset_cache.MEMORY.put(key, dataset)
        finally:
            dataset_cache.READS.end(key)
        return dataset


def _load(spec: DatasetSpec, request: LoadRequest) -> Dataset:
    try:
        return spec.loader(request)
    except MemoryError:
        raise DatasetError(f"{request.name}: not enough memory to load it; free some memory, or use a smaller file "
                           f"or a lower {csv_files.MAX_SIZE_FLAG}") from None


def _cache_key(spec: DatasetSpec, request: LoadRequest) -> tuple | None:
    """What identifies a file dataset's result: the file's version, the options, the split; None for the others."""
    if spec.source_file is None:
        return None
    try:
        identity = dataset_cache.file_identity(spec.source_file(request))
    except DatasetError:
        return None
    if identity is None:
        return None
    return (spec.name, identity, tuple(sorted(request.options.items())), request.val_fraction, request.seed,
            request.inputs)


# -- linear exercise and bundled sets -----------------------------------------------------------------------------

def load_linear(n: int = 1000, noise: float = 0.0, slope: float = 0.96, intercept: float = 0.24,
                val_fraction: float = 0.2, seed: int = 0, inputs: InputFeatures = InputFeatures()) -> Dataset:
    """The notebook's exercise: ``x ~ U(0, 1)``, ``y = slope·x + intercept (+ noise·N(0, 1))``, unscaled."""
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 1)
    y = slope * x[:, 0] + intercept + noise * rng.randn(n)
    source = f"synthetic: y = {slope}·x + {intercept}" + (f" + {noise}·N(0,1) noise" if noise else "")
    return build_dataset("linear", Task.REGRESSION, x, y, (), ("x",),
                         source + f", x ~ U(0,1), {n} rows, seed {seed}", val_fraction, seed, standardise=False,
                         inputs=inputs)


def load_bundled(name: str, val_fraction: float = 0.2, seed: int = 0,
                 inputs: InputFeatures = InputFeatures()) -> Dataset:
    """One of scikit-learn's small data sets that ship with it (no network)."""
    import sklearn
    import sklearn.datasets

    loader, task, _ = BUNDLED[name]
    bunch = getattr(sklearn.datasets, loader)()
    source = f"scikit-learn {sklearn.__version__} bundled data (sklearn.datasets.{loader})"
    if task == Task.CLASSIFICATION:
        class_names = [str(c) for c in bunch.target_names]
        target = bunch.target.astype(np.int64)
    else:
        class_names, target = [], bunch.target
    return build_dataset(name, task, bunch.data.astype(np.float64), target, class_names, bunch.feature_names,
                         source, val_fraction, seed, inputs=inputs)


# -- CSV files ------------------------------------------------------------------------------------------------------

def load_csv(path, target: str | None = None, task: str = "auto", val_fraction: float = 0.2, seed: int = 0,
             progress: Callable[[LoadProgress], None] = ignore_progress, should_stop: Callable[[], bool] = never_stop,
             inputs: InputFeatures = InputFeatures()) -> Dataset:
    """A user CSV: numeric feature columns plus a ``target`` column (default: the last one).

    ``task="auto"`` takes text targets and integer targets with at most ``MAX_AUTO_CLASSES``
    values as classes, and other numbers as a regression target.
    """
    table = _read(path, target, (), progress, should_stop, last_is_target=True)
    task, codes, classes = _targets(table, task)
    source = f"CSV file {table.path.resolve()} (target column {table.label_name!r}, {table.n_rows} rows)"
    return build_from_table(table.path.name, task, table, codes, classes, source, val_fraction, seed, inputs)


def _read(path, label, exclude, progress, should_stop, last_is_target=False) -> csv_files.CsvTable:
    """The parsed file, from the on-disk cache when it is on and holds this version of the file."""
    cached = dataset_cache.DISK.get(path, label, exclude, last_is_target) if dataset_cache.disk_enabled() else None
    if cached is not None:
        return cached
    table = csv_files.read_table(path, label, exclude, progress, should_stop, label_default_last=last_is_target)
    if dataset_cache.disk_enabled():
        dataset_cache.DISK.put(table, label, exclude, last_is_target, should_stop)
    return table


def _first(mask) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _targets(table: csv_files.CsvTable, task: str) -> tuple[Task, np.ndarray, list[str]]:
    """The task (``auto`` resolved) and the label column as class codes with sorted class names, or as values."""
    import pandas as pd

    codes, texts, column = table.labels.codes, table.labels.values, table.label_name
    if (codes < 0).any():
        raise table.fail(f"target column {column!r}, line {table.line_of(_first(codes < 0))}: a missing value")
    numbers = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce")
    numeric = bool(len(texts)) and not numbers.isna().any()
    if task == "auto":
        if numeric and numbers.dtype.kind in "iu":
            task = Task.CLASSIFICATION if numbers.nunique() <= MAX_AUTO_CLASSES else Task.REGRESSION
        else:
            task = Task.REGRESSION if numeric else Task.CLASSIFICATION
    task = Task(task)
    if task == Task.REGRESSION:
        if not numeric:
            bad = _first(numbers.isna().to_numpy()[codes])
            raise table.fail(f"column {column!r} is not numeric: line {table.line_of(bad)} has "
                             f"{texts[codes[bad]]!r}")
        values = numbers.to_numpy(np.float64)[codes]
        if not np.isfinite(values).all():
            bad = _first(~np.isfinite(values))
            raise table.fail(f"column {column!r}, line {table.line_of(bad)}: an infinite value ({values[bad]})")
        if not (np.abs(values) <= csv_files.FLOAT32_MAX).all():
            bad = _first(~(np.abs(values) <= csv_files.FLOAT32_MAX))
            raise csv_files.beyond_float32(table.path, column, table.line_of(bad), texts[codes[bad]])
        return task, values, []
    classes, inverse = np.unique(numbers.to_numpy() if numeric else np.array(texts, dtype=str), return_inverse=True)
    names = [str(c) for c in classes]
    if len(names) < 2:
        raise table.fail(f"target column {column!r} has a single class ({names[0]!r}); "
                         "classification needs at least two")
    if len(names) > MAX_CLASSES:
        raise table.fail(f"target column {column!r} has {len(names)} classes; at most {MAX_CLASSES} are "
                         "supported (use --task regression for a numeric target)")
    return task, inverse.reshape(-1)[codes].astype(np.int64), names


def build_from_table(name: str, task: Task, table: csv_files.CsvTable, target: np.ndarray, class_names, source: str,
                     val_fraction: float, seed: int, inputs: InputFeatures = InputFeatures()) -> Dataset:
    """A standardised Dataset from a parsed file, built in place: its feature blocks are consumed as they are
    copied into the train and validation arrays, so memory peaks near one copy of the features (``inputs`` are
    computed from those raw columns before standardising, a block of rows at a time)."""
    n, width = table.n_rows, len(table.feature_names)
    inputs.check(width, name)
    train, val = split_indices(n, val_fraction, seed, str(table.path))
    in_val = np.zeros(n, dtype=bool)
    in_val[val] = True
    slot = np.empty(n, dtype=np.int64)
    slot[train] = np.arange(len(train))
    slot[val] = np.arange(len(val))
    x_train = np.empty((len(train), width), dtype=np.float32)
    x_val = np.empty((len(val), width), dtype=np.float32)
    start = 0
    while table.blocks:
        block = table.blocks.pop(0)
        stop = start + len(block)
        held_out, rows = in_val[start:stop], slot[start:stop]
        x_train[rows[~held_out]] = block[~held_out]
        x_val[rows[held_out]] = block[held_out]
        del block
        start = stop
    feature_names, raw_plane = table.feature_names, None
    if not inputs.identity:
        if width == 2:
            raw_plane = (x_train.copy(), x_val.copy())
            for points in raw_plane:
                points.flags.writeable = False
        x_train, x_val = inputs.apply_float32(x_train), inputs.apply_float32(x_val)
        feature_names = inputs.names(feature_names)
    scaler = Standardiser.fit(x_train)
    scaler.transform_in_place(x_train)
    scaler.transform_in_place(x_val)
    n_classes = len(class_names)
    return Dataset(name, task, x_train, encode_targets(task, target[train], n_classes), x_val,
                   encode_targets(task, target[val], n_classes), feature_names, tuple(map(str, class_names)),
                   source, scaler, inputs, raw_plane)


# -- Otto Group -----------------------------------------------------------------------------------------------------

def otto_search_dirs() -> list[Path]:
    """Folders searched for the Otto files: data/kaggle_ottogroup/ in the project, then $KGUI_DATA_DIR's."""
    dirs = [PROJECT_DATA_DIR / OTTO_FOLDER]
    if os.environ.get("KGUI_DATA_DIR"):
        dirs.append(Path(os.environ["KGUI_DATA_DIR"]) / OTTO_FOLDER)
    return dirs


def find_otto_file(path=None, filename: str = "train.csv") -> Path:
    """The Otto ``filename`` (or its .gz) at ``path`` (a file or folder) or in :func:`otto_search_dirs`."""
    if path is not None:
        path = Path(path)
        if not path.is_dir():
            return path
        dirs = [path]
    else:
        dirs = otto_search_dirs()
    for folder in dirs:
        for candidate in (folder / filename, folder / f"{filename}.gz"):
            if candidate.is_file():
                return candidate
    where = " and ".join(str(d) for d in dirs)
    raise DatasetError(f"Otto Group {filename} not found (looked in {where}): download {filename} or "
                       f"{filename}.gz from Kaggle's \"{OTTO_COMPETITION}\" ({OTTO_URL}) and put it in "
                       f"{dirs[0]}" + ("" if path else ", in $KGUI_DATA_DIR/" + OTTO_FOLDER + ", or give its path (--data-path on the command line)"))


def load_otto(path=None, val_fraction: float = 0.2, seed: int = 0, progress: Callable[[LoadProgress], None] = ignore_progress,
              should_stop: Callable[[], bool] = never_stop, inputs: InputFeatures = InputFeatures()) -> Dataset:
    """The notebook's Otto data: drop ``id``, float features, classes Class_1..Class_9 one-hot, seeded split."""
    file = find_otto_file(path)
    try:
        table = _read(file, "target", ("id",), progress, should_stop)
    except csv_files.MissingColumnError:
        raise DatasetError(f"{file}: no 'target' column; is this the Otto train.csv?") from None
    task, codes, classes = _targets(table, Task.CLASSIFICATION)
    source = f"Kaggle {OTTO_COMPETITION}, {table.path.resolve()}"
    return build_from_table("otto", task, table, codes, classes, source, val_fraction, seed, inputs)


def load_otto_test(train: Dataset, path=None) -> tuple[np.ndarray, np.ndarray]:
    """Ids and features of the Otto test.csv (no target), scaled with ``train``'s training scaler."""
    table = csv_files.read_table(find_otto_file(path, "test.csv"), "id")
    if table.feature_names != train.feature_names:
        raise table.fail(f"its feature columns do not match the training data's ({train.n_features} features)")
    ids = np.array(table.labels.values, dtype=np.float64).astype(np.int64)[table.labels.codes]
    x = np.concatenate(table.blocks)
    train.scaler.transform_in_place(x)
    return ids, x


# -- the registry entries -------------------------------------------------------------------------------------------

MAX_LINEAR_ROWS = 10_000_000   # 2e9 rows were killed by the kernel for want of memory (14.7 GB at 4e8)

LINEAR = register(DatasetSpec(
    "linear", "Linear: y = 0.96·x + 0.24", Task.REGRESSION,
    lambda request: load_linear(**request.options, val_fraction=request.val_fraction, seed=request.seed,
                                inputs=request.inputs),
    options=(DatasetOption("n", int, 1000, "number of rows", minimum=2, maximum=MAX_LINEAR_ROWS),
             DatasetOption("noise", float, 0.0, "standard deviation of the Gaussian noise added to y", minimum=0),
             DatasetOption("slope", float, 0.96, "true slope w of the line"),
             DatasetOption("intercept", float, 0.24, "true intercept b of the line")),
    group=DatasetGroup.EXERCISE, help="the notebook's exercise: learn w, b of y = w·x + b"))
for _name, (_loader, _task, _title) in BUNDLED.items():
    register(DatasetSpec(
        _name, _title, _task,
        lambda request: load_bundled(request.name, request.val_fraction, request.seed, request.inputs),
        group=DatasetGroup.BUNDLED, help=f"scikit-learn's bundled {_name} data (sklearn.datasets.{_loader})"))
OTTO = register(DatasetSpec(
    "otto", "Otto Group (9 classes)", Task.CLASSIFICATION,
    lambda request: load_otto(request.options["path"], request.val_fraction, request.seed, request.progress,
                              request.should_stop, request.inputs),
    options=(DatasetOption("path", str, None, "the Otto train.csv(.gz), or its folder (default: the data folders)"),),
    group=DatasetGroup.DOWNLOAD, help=f"Kaggle's {OTTO_COMPETITION}: 93 count features, 9 product classes",
    source_file=lambda request: find_otto_file(request.options["path"])))
CSV = register(DatasetSpec(
    CSV_NAME, "CSV file", None,
    lambda request: load_csv(request.name, request.options["target"], request.options["task"],
                             request.val_fraction, request.seed, request.progress, request.should_stop,
                             request.inputs),
    options=(DatasetOption("target", str, None, "the target column (default: the last one)"),
             DatasetOption("task", str, "auto", "auto: text or small-integer targets are classes, other "
                                                "numbers are regressed", choices=TASK_CHOICES)),
    group=DatasetGroup.FILE, help="your own CSV file: numeric features and a target column",
    source_file=lambda request: Path(request.name)))

from . import toy_datasets  # noqa: E402,F401 - registers TensorFlow Playground's problems

BUILTIN_NAMES = tuple(spec.name for spec in named_specs())
