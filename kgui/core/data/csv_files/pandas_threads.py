"""pandas' C parser on threads: the text after the header in pieces that end between two rows, each parsed on its
own thread straight into float32 (pandas lets go of the GIL while it parses)."""
from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from ..csv_worker import parse_piece
from ..dataset_registry import DatasetError, LoadCancelled, LoadProgress
from .limits import format_size
from .stream import Stream
from .table import CsvTable, ForPythonReader, LabelCollector
from .text import MAX_LINE_BYTES

SEGMENT_BYTES = 2 << 20                # text parsed as one piece by one thread
PARSE_THREADS = min(4, os.cpu_count() or 1)  # pandas' parser lets go of the GIL: pieces parse in parallel
STOP_POLL_S = 0.05                     # while waiting for a piece, a stop is noticed this often


def segments(rest: bytes, stream: Stream) -> Iterator[bytes]:
    """The text after the header in pieces of about ``SEGMENT_BYTES`` that end between two rows.

    A piece ends at a newline outside quotes (an even number of quote characters before it), so
    each piece parses on its own.
    """
    buffer = bytearray(rest)
    more = True
    while more or buffer:
        cut = -1
        if len(buffer) >= SEGMENT_BYTES or not more:
            cut = row_end(buffer) if more else len(buffer) - 1
        if cut < 0:
            if len(buffer) > MAX_LINE_BYTES + SEGMENT_BYTES:
                raise DatasetError(f"{stream.path}: a line longer than {format_size(MAX_LINE_BYTES)}; "
                                   "is this a CSV file?")
            chunk = stream.read(SEGMENT_BYTES)
            more = bool(chunk)
            buffer += chunk
            continue
        piece = bytes(buffer[:cut + 1])
        del buffer[:cut + 1]
        if piece.strip():
            yield piece


def row_end(buffer: bytearray) -> int:
    """Index of the newline outside quotes that ends the rows of a piece of about ``SEGMENT_BYTES``, or -1."""
    cut = buffer.rfind(b"\n", 0, SEGMENT_BYTES)
    if cut < 0:
        cut = buffer.find(b"\n", SEGMENT_BYTES)
    if b'"' in buffer:
        while cut >= 0 and buffer.count(b'"', 0, cut) % 2:
            cut = buffer.find(b"\n", cut + 1)
    return cut


def column_dtypes(names, features, label) -> dict:
    """pandas' dtype of each column: float32 features, the label as categories, other columns (Otto's id) as
    numbers (or Python's reader reads the file)."""
    dtypes = {name: np.float64 for name in names}
    dtypes.update({name: np.float32 for name in features})
    if label is not None:
        dtypes[label] = "category"
    return dtypes


class Piece(threading.Thread):
    """One piece parsed on its own daemon thread: a stopped load (or the process's exit) does not wait for it."""

    def __init__(self, *arguments):
        super().__init__(name="kgui-csv-piece", daemon=True)
        self._arguments = arguments
        self._result = None
        self._error: BaseException | None = None
        self.finished = threading.Event()
        self.start()

    def run(self) -> None:
        try:
            self._result = parse_piece(*self._arguments)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread by outcome()
            self._error = exc
        finally:
            self._arguments = None
            self.finished.set()

    def outcome(self, should_stop: Callable[[], bool], path: Path):
        """The parsed piece (waiting for it while polling ``should_stop``); its error re-raised here."""
        while not self.finished.wait(STOP_POLL_S):
            if should_stop():
                raise LoadCancelled(f"reading {path} was stopped")
        if should_stop():
            raise LoadCancelled(f"reading {path} was stopped")
        if self._error is not None:
            raise self._error
        return self._result


def read_pandas(stream: Stream, rest: bytes, path: Path, names, features, label, header_line, progress,
                 should_stop) -> CsvTable:
    """pandas' C parser on ``PARSE_THREADS`` threads, piece by piece straight into float32.

    ForPythonReader when a cell is missing, not a number or not finite (Python's reader then says where);
    ValueError when pandas refuses a row.
    """
    dtypes = column_dtypes(names, features, label)
    pieces, rows = [], 0

    def take(parsed) -> None:
        nonlocal rows
        if parsed is None:
            raise ForPythonReader
        pieces.append(parsed)
        rows += len(parsed[0])

    pending: deque[Piece] = deque()
    for segment in segments(rest, stream):
        pending.append(Piece(segment, names, dtypes, features, label))
        while pending and (len(pending) > PARSE_THREADS or pending[0].finished.is_set()):
            take(pending.popleft().outcome(should_stop, path))
            progress(LoadProgress(rows, stream.fraction))
    while pending:
        take(pending.popleft().outcome(should_stop, path))
    progress(LoadProgress(rows, stream.fraction))
    return pandas_table(stream, path, features, label, pieces, header_line)


def pandas_table(stream: Stream, path: Path, features, label, pieces, header_line: int) -> CsvTable:
    """The table of the pieces pandas parsed (threads or processes): (float32 block, the label column's
    Categorical or None) in file order."""
    labels = LabelCollector()
    if label is not None:
        for _, categorical in pieces:
            labels.add_categorical(categorical)
    rows = sum(len(block) for block, _ in pieces)
    if not rows:
        raise DatasetError(f"{path}: only a header row, no data rows")
    return CsvTable(path, tuple(features), [block for block, _ in pieces],
                    labels.result() if label is not None else None, label, rows, stream.identity,
                    _first_line=header_line)
