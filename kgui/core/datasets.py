"""Datasets: the Otto Group challenge, the linear exercise, scikit-learn's bundled sets and user CSV files.

Every loader returns a :class:`Dataset` split into train and validation rows by a seeded
shuffle. Features are float32 C-contiguous arrays, standardised with statistics of the
training split only (except the linear exercise, whose raw ``x`` keeps ``w, b`` meaningful).
Targets are one-hot float32 ``(n, classes)`` for classification and ``(n, 1)`` float32 for
regression. Every bad input raises :class:`DatasetError` (a ValueError) with a one-line
message naming the file, column and line where it applies.
"""
from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported where files are read: it costs the window ~0.4 s of start-up
    import pandas as pd

TASKS = ("classification", "regression")
TASK_CHOICES = ("auto", *TASKS)
BUNDLED = {  # name: (scikit-learn loader, task)
    "iris": ("load_iris", "classification"),
    "wine": ("load_wine", "classification"),
    "breast_cancer": ("load_breast_cancer", "classification"),
    "digits": ("load_digits", "classification"),
    "diabetes": ("load_diabetes", "regression"),
}
BUILTIN_NAMES = ("otto", "linear", *BUNDLED)
OPTION_TYPES = {  # dataset kind: {option: accepted Python types}
    "otto": {"path": (str,)},
    "linear": {"n": (int,), "noise": (int, float), "slope": (int, float), "intercept": (int, float)},
    "bundled": {},
    "csv": {"target": (str,), "task": (str,)},
}
MAX_CLASSES = 100       # a classification target with more classes is refused
MAX_AUTO_CLASSES = 20   # an integer target with at most this many values is taken as classes
OTTO_FOLDER = "kaggle_ottogroup"
OTTO_URL = "https://www.kaggle.com/c/otto-group-product-classification-challenge/data"
PROJECT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"


class DatasetError(ValueError):
    """A dataset cannot be loaded; the message names the file, column and line where it applies."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and validation arrays plus what the window shows about them."""

    name: str
    task: str                        # "classification" | "regression"
    x_train: np.ndarray              # (n_train, features) float32
    y_train: np.ndarray              # one-hot (n_train, classes) or (n_train, 1), float32
    x_val: np.ndarray
    y_val: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]     # () for regression
    source: str                      # where the data came from
    scaler: object | None = None     # StandardScaler fitted on the training split, None when unscaled

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def transform(self, x) -> np.ndarray:
        """New feature rows prepared like the training rows (float32, standardised when these were)."""
        x = np.asarray(x, dtype=np.float64)
        if self.scaler is not None:
            x = self.scaler.transform(x)
        return np.ascontiguousarray(x, dtype=np.float32)

    def describe(self) -> str:
        """A few lines for people: shape, task, classes, source."""
        if self.task == "classification":
            task = f"classification, {self.n_classes} classes: {_abbreviated(self.class_names)}"
        else:
            task = "regression"
        scaling = "standardised with training-split statistics" if self.scaler is not None else "raw values"
        return "\n".join([
            self.name,
            f"source: {self.source}",
            f"task: {task}",
            f"features: {self.n_features} ({_abbreviated(self.feature_names)}), {scaling}",
            f"rows: {len(self.x_train)} train, {len(self.x_val)} validation",
        ])


def _abbreviated(names, shown=6) -> str:
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown - 1]) + f", …, {names[-1]}"


def dataset_kind(name: str) -> str:
    """"otto", "linear", "bundled" or "csv" (any path-like name); DatasetError for an unknown name."""
    if name in ("otto", "linear"):
        return name
    if name in BUNDLED:
        return "bundled"
    lowered = name.lower()
    if lowered.endswith((".csv", ".csv.gz")) or "/" in name or os.sep in name:
        return "csv"
    raise DatasetError(f"unknown dataset {name!r}; choose {', '.join(BUILTIN_NAMES)} or a path to a .csv file")


def check_options(name: str, options: dict) -> None:
    """DatasetError naming an option that does not apply to the dataset or has a bad value."""
    kind = dataset_kind(name)
    accepted = OPTION_TYPES[kind]
    for key, value in options.items():
        if key not in accepted:
            known = ", ".join(accepted) or "none"
            raise DatasetError(f"dataset option {key!r} does not apply to {name!r} (its options: {known})")
        if isinstance(value, bool) or not isinstance(value, accepted[key]):
            raise DatasetError(f"dataset option {key} must be {accepted[key][0].__name__}, got {value!r}")
    if kind == "linear":
        if options.get("n", 2) < 2:
            raise DatasetError(f"dataset option n must be at least 2, got {options['n']!r}")
        if not np.isfinite(options.get("noise", 0)) or options.get("noise", 0) < 0:
            raise DatasetError(f"dataset option noise must be a non-negative number, got {options['noise']!r}")
    if options.get("task", "auto") not in TASK_CHOICES:
        raise DatasetError(f"dataset option task must be one of {', '.join(TASK_CHOICES)}, got {options['task']!r}")


def load_dataset(name: str, options: dict | None = None, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The dataset ``name`` ("otto", "linear", a bundled name or a CSV path) with its options."""
    options = dict(options or {})
    check_options(name, options)
    kind = dataset_kind(name)
    if kind == "otto":
        return load_otto(options.get("path"), val_fraction, seed)
    if kind == "linear":
        return load_linear(val_fraction=val_fraction, seed=seed, **options)
    if kind == "bundled":
        return load_bundled(name, val_fraction, seed)
    return load_csv(name, options.get("target"), options.get("task", "auto"), val_fraction, seed)


# -- building a Dataset ---------------------------------------------------------------------------------------------

def _split_indices(n: int, val_fraction: float, seed: int, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Seeded shuffle of ``n`` rows into train and validation indices (at least one row each when asked)."""
    n_val = max(1, round(n * val_fraction)) if val_fraction > 0 else 0
    if n - n_val < 1:
        raise DatasetError(f"{label}: {n} row(s) are too few to hold out a validation fraction of {val_fraction}")
    order = np.random.RandomState(seed).permutation(n)
    return order[n_val:], order[:n_val]


def _build(name, task, x, target, class_names, feature_names, source, val_fraction, seed, standardise=True,
           label=None):
    """Split, standardise on the training split, and encode targets (class codes or values).

    ``label`` names the data in messages (default: ``name``).
    """
    from sklearn.preprocessing import StandardScaler

    train, val = _split_indices(len(x), val_fraction, seed, label or name)
    scaler = StandardScaler().fit(x[train]) if standardise else None

    def features(rows):
        part = x[rows] if scaler is None or not len(rows) else scaler.transform(x[rows])  # no split: no rows
        return np.ascontiguousarray(part, dtype=np.float32)

    def targets(rows):
        if task == "classification":
            return np.ascontiguousarray(np.eye(len(class_names), dtype=np.float32)[target[rows]])
        return np.ascontiguousarray(target[rows], dtype=np.float32).reshape(-1, 1)

    return Dataset(name, task, features(train), targets(train), features(val), targets(val),
                   tuple(map(str, feature_names)), tuple(map(str, class_names)), source, scaler)


# -- linear exercise and bundled sets -----------------------------------------------------------------------------

def load_linear(n: int = 1000, noise: float = 0.0, slope: float = 0.96, intercept: float = 0.24,
                val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The notebook's exercise: ``x ~ U(0, 1)``, ``y = slope·x + intercept (+ noise·N(0, 1))``, unscaled."""
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 1)
    y = slope * x[:, 0] + intercept + noise * rng.randn(n)
    source = f"synthetic: y = {slope}·x + {intercept}" + (f" + {noise}·N(0,1) noise" if noise else "")
    return _build("linear", "regression", x, y, (), ("x",), source + f", x ~ U(0,1), {n} rows, seed {seed}",
                  val_fraction, seed, standardise=False)


def load_bundled(name: str, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """One of scikit-learn's small data sets that ship with it (no network)."""
    import sklearn
    import sklearn.datasets

    loader, task = BUNDLED[name]
    bunch = getattr(sklearn.datasets, loader)()
    source = f"scikit-learn {sklearn.__version__} bundled data (sklearn.datasets.{loader})"
    if task == "classification":
        class_names = [str(c) for c in bunch.target_names]
        target = bunch.target.astype(np.int64)
    else:
        class_names, target = [], bunch.target
    return _build(name, task, bunch.data.astype(np.float64), target, class_names, bunch.feature_names, source,
                  val_fraction, seed)


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
        raise table.fail(f"no target column {target!r}; columns: {_abbreviated(columns, 10)}")
    features = [c for c in columns if c != target]
    if not features:
        raise table.fail(f"no feature columns besides the target {target!r}")
    x = table.feature_matrix(features)
    if task == "auto":
        task = _inferred_task(table.check_complete(target))
    if task == "classification":
        codes, classes = table.class_codes(target)
    else:
        codes, classes = table.feature_matrix([target])[:, 0], []
    source = f"CSV file {table.path.resolve()} (target column {target!r}, {len(x)} rows)"
    return _build(table.path.name, task, x, codes, classes, features, source, val_fraction, seed,
                  label=str(table.path))


def _inferred_task(values: pd.Series) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return "classification"
    if pd.api.types.is_integer_dtype(values) and values.nunique() <= MAX_AUTO_CLASSES:
        return "classification"
    return "regression"


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
    where = " or ".join(str(d) for d in dirs)
    raise DatasetError(f"Otto Group {filename} not found: download it from {OTTO_URL} and put {filename} "
                       f"(or {filename}.gz) in {where}" + ("" if path else ", set KGUI_DATA_DIR, or give its path"))


def load_otto(path=None, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The notebook's Otto data: drop ``id``, float features, classes Class_1..Class_9 one-hot, seeded split."""
    table = _read_table(find_otto_file(path))
    columns = list(table.frame.columns)
    if "target" not in columns:
        raise table.fail("no 'target' column; is this the Otto train.csv?")
    features = [c for c in columns if c not in ("id", "target")]
    x = table.feature_matrix(features).astype(np.float32)
    codes, classes = table.class_codes("target")
    source = f"Kaggle Otto Group Product Classification Challenge, {table.path.resolve()}"
    return _build("otto", "classification", x, codes, classes, features, source, val_fraction, seed,
                  label=str(table.path))


def load_otto_test(train: Dataset, path=None) -> tuple[np.ndarray, np.ndarray]:
    """Ids and features of the Otto test.csv (no target), scaled with ``train``'s training scaler."""
    table = _read_table(find_otto_file(path, "test.csv"))
    features = [c for c in table.frame.columns if c != "id"]
    if tuple(features) != train.feature_names:
        raise table.fail(f"its feature columns do not match the training data's ({train.n_features} features)")
    ids = table.frame["id"].to_numpy() if "id" in table.frame else np.arange(1, len(table.frame) + 1)
    return ids, train.transform(table.feature_matrix(features).astype(np.float32))
