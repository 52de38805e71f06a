"""The built-in datasets (the linear exercise, scikit-learn's bundled sets, Otto, user CSV files), and loading.

Each dataset is an entry of :mod:`kgui.core.dataset_registry` (name, title, task, options, loader);
this module registers the built-in ones, imports the other modules that register theirs, and offers
:func:`load_dataset`. Every loader returns a :class:`Dataset` split into train and validation rows by
a seeded shuffle. Features are float32 C-contiguous arrays, standardised with statistics of the
training split only (except the linear exercise, whose raw ``x`` keeps ``w, b`` meaningful).
Targets are one-hot float32 ``(n, classes)`` for classification and ``(n, 1)`` float32 for
regression. Every bad input raises :class:`DatasetError` (a ValueError) with a one-line
message naming the file, column and line where it applies.
"""
from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import os
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .dataset_registry import (CSV_NAME, TASK_CHOICES, TASKS, Dataset, DatasetError, DatasetGroup, DatasetOption,
                               DatasetSpec, LoadCancelled, LoadProgress, LoadRequest, Task, abbreviated,
                               build_dataset, is_file_name, named_specs, register, registered, spec_for)

if TYPE_CHECKING:  # pandas is imported where files are read: it costs the window ~0.4 s of start-up
    import pandas as pd

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
PROJECT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def check_options(name: str, options: Mapping) -> None:
    """DatasetError naming an option that does not apply to the dataset or has a bad value."""
    spec_for(name).resolved_options(options, label=name)


def load_dataset(name: str, options: Mapping | None = None, val_fraction: float = 0.2, seed: int = 0,
                 progress: Callable[[LoadProgress], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> Dataset:
    """The dataset ``name`` (a registered name or a CSV path) with its options.

    ``progress`` hears how far a file has been read; ``should_stop`` is polled while reading and
    ends the load with :class:`LoadCancelled` when it returns True.
    """
    spec = spec_for(name)
    request = LoadRequest(name, spec.resolved_options(options, label=name), val_fraction, seed)
    if progress is not None:
        request = dataclasses.replace(request, progress=progress)
    if should_stop is not None:
        request = dataclasses.replace(request, should_stop=should_stop)
    return spec.loader(request)


# -- linear exercise and bundled sets -----------------------------------------------------------------------------

def load_linear(n: int = 1000, noise: float = 0.0, slope: float = 0.96, intercept: float = 0.24,
                val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The notebook's exercise: ``x ~ U(0, 1)``, ``y = slope·x + intercept (+ noise·N(0, 1))``, unscaled."""
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 1)
    y = slope * x[:, 0] + intercept + noise * rng.randn(n)
    source = f"synthetic: y = {slope}·x + {intercept}" + (f" + {noise}·N(0,1) noise" if noise else "")
    return build_dataset("linear", Task.REGRESSION, x, y, (), ("x",),
                         source + f", x ~ U(0,1), {n} rows, seed {seed}", val_fraction, seed, standardise=False)


def load_bundled(name: str, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
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
                         source, val_fraction, seed)


# -- CSV files ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Table:
    """A parsed CSV file, with the file line of each data row for messages."""

    path: Path
    frame: pd.DataFrame
    lines: list[int]

    def fail(self, message: str) -> DatasetError:
        return DatasetError(f"{self.path}: {message}")

    def feature_matrix(self, columns) -> np.ndarray:
        """float64 values of ``columns``; DatasetError naming the first non-numeric, missing or infinite cell."""
        import pandas as pd

        numeric = {}
        for column in columns:
            values = self.frame[column]
            if not pd.api.types.is_numeric_dtype(values):
                numbers = pd.to_numeric(values, errors="coerce")
                bad = np.flatnonzero(numbers.isna().to_numpy() & values.notna().to_numpy())
                if len(bad):
                    raise self.fail(f"column {column!r} is not numeric: line {self.lines[bad[0]]} has "
                                    f"{values.iloc[bad[0]]!r}")
                values = numbers
            numeric[column] = values
        x = pd.DataFrame(numeric).to_numpy(np.float64)
        bad = np.argwhere(~np.isfinite(x))
        if len(bad):
            row, col = bad[0]
            what = "a missing value" if np.isnan(x[row, col]) else f"an infinite value ({x[row, col]})"
            raise self.fail(f"column {columns[col]!r}, line {self.lines[row]}: {what}")
        return x

    def check_complete(self, column) -> pd.Series:
        values = self.frame[column]
        missing = np.flatnonzero(values.isna().to_numpy())
        if len(missing):
            raise self.fail(f"target column {column!r}, line {self.lines[missing[0]]}: a missing value")
        return values

    def class_codes(self, column) -> tuple[np.ndarray, list[str]]:
        """Sorted class names of ``column`` and each row's index into them (like LabelEncoder)."""
        import pandas as pd

        values = self.check_complete(column)
        raw = values.to_numpy() if pd.api.types.is_numeric_dtype(values) else values.astype(str).to_numpy()
        classes, codes = np.unique(raw, return_inverse=True)
        classes = [str(c) for c in classes]
        if len(classes) < 2:
            raise self.fail(f"target column {column!r} has a single class ({classes[0]!r}); "
                            "classification needs at least two")
        if len(classes) > MAX_CLASSES:
            raise self.fail(f"target column {column!r} has {len(classes)} classes; at most {MAX_CLASSES} are "
                            "supported (use --task regression for a numeric target)")
        return codes.astype(np.int64), classes


def _read_text(path: Path) -> str:
    """Decoded text of a (possibly gzipped) CSV file; DatasetError for missing, binary or non-UTF-8 files."""
    if not path.exists():
        raise DatasetError(f"{path}: no such file")
    if path.is_dir():
        raise DatasetError(f"{path}: is a directory, not a CSV file")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix.lower() == ".gz" else path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DatasetError(f"{path}: not a readable gzip file ({exc})") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not raw:
        raise DatasetError(f"{path}: the file is empty (0 bytes)")
    if b"\0" in raw[:65536]:
        raise DatasetError(f"{path}: a binary file, not CSV text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                           "save it as UTF-8") from None


def _read_table(path) -> _Table:
    """Parse a CSV file with a header row, checking its structure (header, data rows, field counts)."""
    import pandas as pd

    path = Path(path)
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next((row for row in reader if row), None)
        if header is None:
            raise DatasetError(f"{path}: the file is empty (no header row)")
        names = [name.strip() for name in header]
        if "" in names:
            raise DatasetError(f"{path}: header column {names.index('') + 1} has no name")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise DatasetError(f"{path}: header names column(s) {', '.join(map(repr, duplicates))} more than once")
        lines = []
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise DatasetError(f"{path}: line {reader.line_num} has {len(row)} field(s), "
                                   f"the header has {len(header)}")
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DatasetError(f"{path}: line {reader.line_num}: {exc}") from None
    if not lines:
        raise DatasetError(f"{path}: only a header row, no data rows")
    frame = pd.read_csv(io.StringIO(text), header=0, names=names, skipinitialspace=True)
    return _Table(path, frame, lines)


def load_csv(path, target: str | None = None, task: str = "auto", val_fraction: float = 0.2,
             seed: int = 0) -> Dataset:
    """A user CSV: numeric feature columns plus a ``target`` column (default: the last one).

    ``task="auto"`` takes text targets and integer targets with at most ``MAX_AUTO_CLASSES``
    values as classes, and other numbers as a regression target.
    """
    table = _read_table(path)
    columns = list(table.frame.columns)
    target = columns[-1] if target is None else target
    if target not in columns:
        raise table.fail(f"no target column {target!r}; columns: {abbreviated(columns, 10)}")
    features = [c for c in columns if c != target]
    if not features:
        raise table.fail(f"no feature columns besides the target {target!r}")
    x = table.feature_matrix(features)
    if task == "auto":
        task = _inferred_task(table.check_complete(target))
    if task == Task.CLASSIFICATION:
        codes, classes = table.class_codes(target)
    else:
        codes, classes = table.feature_matrix([target])[:, 0], []
    source = f"CSV file {table.path.resolve()} (target column {target!r}, {len(x)} rows)"
    return build_dataset(table.path.name, task, x, codes, classes, features, source, val_fraction, seed,
                  label=str(table.path))


def _inferred_task(values: pd.Series) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return Task.CLASSIFICATION
    if pd.api.types.is_integer_dtype(values) and values.nunique() <= MAX_AUTO_CLASSES:
        return Task.CLASSIFICATION
    return Task.REGRESSION


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
                       f"{dirs[0]}" + ("" if path else ", in $KGUI_DATA_DIR/" + OTTO_FOLDER + ", or give its path"))


def load_otto(path=None, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The notebook's Otto data: drop ``id``, float features, classes Class_1..Class_9 one-hot, seeded split."""
    table = _read_table(find_otto_file(path))
    columns = list(table.frame.columns)
    if "target" not in columns:
        raise table.fail("no 'target' column; is this the Otto train.csv?")
    features = [c for c in columns if c not in ("id", "target")]
    x = table.feature_matrix(features).astype(np.float32)
    codes, classes = table.class_codes("target")
    source = f"Kaggle {OTTO_COMPETITION}, {table.path.resolve()}"
    return build_dataset("otto", Task.CLASSIFICATION, x, codes, classes, features, source, val_fraction, seed,
                         label=str(table.path))


def load_otto_test(train: Dataset, path=None) -> tuple[np.ndarray, np.ndarray]:
    """Ids and features of the Otto test.csv (no target), scaled with ``train``'s training scaler."""
    table = _read_table(find_otto_file(path, "test.csv"))
    features = [c for c in table.frame.columns if c != "id"]
    if tuple(features) != train.feature_names:
        raise table.fail(f"its feature columns do not match the training data's ({train.n_features} features)")
    ids = table.frame["id"].to_numpy() if "id" in table.frame else np.arange(1, len(table.frame) + 1)
    return ids, train.transform(table.feature_matrix(features).astype(np.float32))


# -- the registry entries -------------------------------------------------------------------------------------------

LINEAR = register(DatasetSpec(
    "linear", "Linear: y = 0.96·x + 0.24", Task.REGRESSION,
    lambda request: load_linear(**request.options, val_fraction=request.val_fraction, seed=request.seed),
    options=(DatasetOption("n", int, 1000, "number of rows", minimum=2),
             DatasetOption("noise", float, 0.0, "standard deviation of the Gaussian noise added to y", minimum=0),
             DatasetOption("slope", float, 0.96, "true slope w of the line"),
             DatasetOption("intercept", float, 0.24, "true intercept b of the line")),
    group=DatasetGroup.EXERCISE, help="the notebook's exercise: learn w, b of y = w·x + b"))
for _name, (_loader, _task, _title) in BUNDLED.items():
    register(DatasetSpec(
        _name, _title, _task,
        lambda request: load_bundled(request.name, request.val_fraction, request.seed),
        group=DatasetGroup.BUNDLED, help=f"scikit-learn's bundled {_name} data (sklearn.datasets.{_loader})"))
OTTO = register(DatasetSpec(
    "otto", "Otto Group (9 classes)", Task.CLASSIFICATION,
    lambda request: load_otto(request.options["path"], request.val_fraction, request.seed),
    options=(DatasetOption("path", str, None, "the Otto train.csv(.gz), or its folder (default: the data folders)"),),
    group=DatasetGroup.DOWNLOAD, reads_files=True,
    help=f"Kaggle's {OTTO_COMPETITION}: 93 count features, 9 product classes"))
CSV = register(DatasetSpec(
    CSV_NAME, "CSV file", None,
    lambda request: load_csv(request.name, request.options["target"], request.options["task"],
                             request.val_fraction, request.seed),
    options=(DatasetOption("target", str, None, "the target column (default: the last one)"),
             DatasetOption("task", str, "auto", "auto: text or small-integer targets are classes, other "
                                                "numbers are regressed", choices=TASK_CHOICES)),
    group=DatasetGroup.FILE, reads_files=True, help="your own CSV file: numeric features and a target column"))

from . import toy_datasets  # noqa: E402,F401 - registers TensorFlow Playground's problems

BUILTIN_NAMES = tuple(spec.name for spec in named_specs())
