"""Python's csv reader: slower on long files, fast on wide ones, and exact about where a fault is (line and
column): the fallback of pandas' readers, and the reader of files wider than pandas is good at."""
from __future__ import annotations

import io
import itertools
from operator import itemgetter
from pathlib import Path

import numpy as np

from ..dataset_registry import DatasetError, LoadCancelled, LoadProgress
from .stream import Prefixed, Stream
from .table import NA_VALUES, CsvTable, LabelCollector
from .text import csv_rows, text_lines

PYTHON_BATCH_CELLS = 1 << 20           # cells converted to float32 at once by the Python reader
FLOAT32_MAX = float(np.finfo(np.float32).max)


def numbers(rows: list[tuple[str, ...]], width: int) -> np.ndarray | None:
    """``rows`` of number texts as a float32 (rows, width) array; None when a cell is not a number.

    The cells are parsed as one column by pandas' C parser, which costs little per value (Python's
    float() per cell is ~3× slower) and nothing per column (unlike parsing a 100,000-column table).
    Missing or unreadable cells come out as NaN or an error; the caller then names them.
    """
    import pandas as pd

    text = "\n".join(itertools.chain.from_iterable(rows))
    try:
        with np.errstate(over="ignore"):  # a number beyond float32 comes out as inf, named by cell_problem
            column = pd.read_csv(io.StringIO(text), header=None, names=["value"], dtype=np.float32, engine="c",
                                 skip_blank_lines=False, skipinitialspace=True)["value"].to_numpy()
    except (ValueError, pd.errors.EmptyDataError):
        return None
    if len(column) != len(rows) * width:
        return None
    return column.reshape(len(rows), width)


def raise_first_bad_cell(path: Path, columns, lines, rows) -> None:
    """DatasetError for the first cell of ``rows`` that is missing, not a number, or infinite."""
    for line, values in zip(lines, rows):
        for column, value in zip(columns, values):
            try:
                number = float(value)
            except ValueError:
                raise cell_problem(path, column, line, value) from None
            if not abs(number) <= FLOAT32_MAX:
                raise cell_problem(path, column, line, value)
    raise DatasetError(f"{path}: lines {lines[0]}-{lines[-1]}: numbers that cannot be read as float32")


def cell_problem(path: Path, column: str, line: int, value: str) -> DatasetError:
    text = value.strip()
    if text in NA_VALUES:
        return DatasetError(f"{path}: column {column!r}, line {line}: a missing value")
    try:
        number = float(text)
    except ValueError:
        return DatasetError(f"{path}: column {column!r} is not numeric: line {line} has {value!r}")
    if number != number:
        return DatasetError(f"{path}: column {column!r}, line {line}: a missing value")
    if abs(number) != float("inf"):
        return beyond_float32(path, column, line, text)
    return DatasetError(f"{path}: column {column!r}, line {line}: an infinite value ({number})")


def beyond_float32(path: Path, column: str, line: int, text: str) -> DatasetError:
    return DatasetError(f"{path}: column {column!r}, line {line}: {text} is beyond float32's range (±{FLOAT32_MAX:.4g})")


def read_python(stream: Stream, rest: bytes, path: Path, names, features, label, header_line, progress,
                 should_stop) -> CsvTable:
    """Python's csv reader: slower on long files, fast on wide ones, and exact about where a fault is."""
    index = {name: i for i, name in enumerate(names)}
    feature_index = [index[name] for name in features]
    pick = itemgetter(*feature_index) if len(feature_index) > 1 else (lambda row: (row[feature_index[0]],))
    label_index = index[label] if label is not None else None
    batch_rows = max(1, PYTHON_BATCH_CELLS // len(features))
    blocks, labels, lines, batch, batch_lines = [], LabelCollector(), [], [], []

    def convert() -> None:
        if should_stop():
            raise LoadCancelled(f"reading {path} was stopped")
        block = numbers(batch, len(features))
        if block is None or not np.isfinite(block).all():
            raise_first_bad_cell(path, features, batch_lines, batch)
        blocks.append(block)
        lines.extend(batch_lines)
        batch.clear()
        batch_lines.clear()
        progress(LoadProgress(len(lines), stream.fraction))

    for line, row in csv_rows(text_lines(Prefixed(rest, stream), path, stream.text_bytes - len(rest)), path,
                           len(names), header_line):
        batch.append(pick(row))
        batch_lines.append(line)
        if label_index is not None:
            value = row[label_index].strip()
            labels.add(None if value in NA_VALUES else value)
        if len(batch) >= batch_rows:
            convert()
    if batch:
        convert()
    if not lines:
        raise DatasetError(f"{path}: only a header row, no data rows")
    return CsvTable(path, tuple(features), blocks, labels.result() if label is not None else None,
                    label, len(lines), stream.identity, np.asarray(lines, dtype=np.int64), header_line)
