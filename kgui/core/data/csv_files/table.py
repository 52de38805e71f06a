"""A parsed CSV file: float32 feature blocks and the label column's text as codes (:class:`CsvTable`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..dataset_registry import DatasetError, never_stop
from .limits import max_text_bytes
from .stream import Prefixed, Stream
from .text import csv_rows, split_header, text_lines

NA_VALUES = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                       "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})  # pandas' missing values


class MissingColumnError(DatasetError):
    """The column asked for (the target) is not in the file's header."""


class ForPythonReader(Exception):
    """pandas met a cell that is missing, not a number or not finite: Python's reader reads the file, naming it."""


@dataclass(frozen=True, eq=False)
class Labels:
    """A text column as codes into its distinct values: ``values[codes[i]]`` is row i's text, code -1 a missing
    value. Compact for the usual label column (a few classes over millions of rows)."""

    codes: np.ndarray           # int32 (rows,)
    values: tuple[str, ...]


class LabelCollector:
    """Builds :class:`Labels` from single values or from pandas Categoricals, piece after piece."""

    def __init__(self):
        self._index: dict[str, int] = {}
        self._codes: list[np.ndarray] = []
        self._pending: list[int] = []

    def add(self, value: str | None) -> None:
        self._pending.append(-1 if value is None else self._index.setdefault(value, len(self._index)))

    def add_categorical(self, categorical) -> None:
        self._flush()
        mapping = np.array([self._index.setdefault(_text(value), len(self._index))
                            for value in categorical.categories] + [-1], dtype=np.int32)
        self._codes.append(mapping[np.asarray(categorical.codes)])  # code -1 picks the -1 at the end

    def _flush(self) -> None:
        if self._pending:
            self._codes.append(np.array(self._pending, dtype=np.int32))
            self._pending = []

    def result(self) -> Labels:
        self._flush()
        codes = np.concatenate(self._codes) if self._codes else np.empty(0, dtype=np.int32)
        return Labels(codes, tuple(self._index))


def _text(value) -> str:
    """A category as text (pandas turns categories that are all numbers into numbers: 3, not "3")."""
    return str(value).strip()


@dataclass(eq=False)
class CsvTable:
    """A parsed CSV file: float32 feature blocks (rows in file order) and the label column's text.

    ``labels`` holds the label column's text (None when no label column was asked for).
    :meth:`line_of` gives the file line of a data row, for messages.
    """

    path: Path
    feature_names: tuple[str, ...]
    blocks: list[np.ndarray]                 # (rows, features) float32, consumed by whoever builds arrays
    labels: Labels | None
    label_name: str | None
    n_rows: int
    identity: tuple = ()                     # (device, inode, size, mtime_ns) of the file read
    _lines: np.ndarray | None = field(default=None, repr=False)   # known when Python's reader parsed it
    _first_line: int = 0

    def line_of(self, row: int) -> int:
        """The file line of data row ``row`` (0-based), counting blank lines like an editor."""
        if self._lines is not None:
            return int(self._lines[row])
        with Stream(self.path, max_text_bytes(), never_stop) as stream:
            names, header_line, rest = split_header(stream, self.path)
            for index, (line, _) in enumerate(csv_rows(text_lines(Prefixed(rest, stream), self.path, 0), self.path,
                                                        len(names), header_line)):
                if index == row:
                    return line
        raise IndexError(row)

    def fail(self, message: str) -> DatasetError:
        return DatasetError(f"{self.path}: {message}")
