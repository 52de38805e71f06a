"""Reading CSV files safely: regular files only, bounded, streamed straight into float32, cancellable.

- :func:`open_regular` opens a path only when it is a regular file (never blocking on a FIFO) and
  names what it is otherwise: a named pipe, a device, a directory, a socket, a symlink loop.
- :class:`_Stream` reads it (decompressing a ``.gz`` as it goes) and stops with one line when the
  text passes the size limit (:func:`max_text_bytes`: ``--max-data-size`` / ``KGUI_MAX_DATA_SIZE``,
  2 GiB by default), when a stop is asked for, or when the text is binary.
- :func:`read_table` parses the rows after the header with pandas' C parser, chunk by chunk into
  float32 blocks (progress after each chunk). Files wider than ``PANDAS_MAX_COLUMNS`` columns, and
  files with any fault, are parsed by Python's csv module instead, which also finds the exact line
  and column of every fault for the messages.
- Header checks are linear in the number of columns; :func:`preview` is what the window's Open CSV…
  uses (the same checks, header and first row only).
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import pickle
import queue
import stat
import subprocess
import sys
import threading
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import numpy as np

from . import csv_worker
from .csv_worker import Outcome, Parsed, parse_piece
from .dataset_registry import DatasetError, LoadCancelled, LoadProgress, abbreviated, ignore_progress, never_stop

DEFAULT_MAX_TEXT_BYTES = 2 << 30       # 2 GiB of (uncompressed) CSV text
MAX_SIZE_VARIABLE = "KGUI_MAX_DATA_SIZE"
MAX_SIZE_FLAG = "--max-data-size"
PANDAS_MAX_COLUMNS = 2000              # wider files: pandas' per-column cost dominates; Python's csv is faster
SEGMENT_BYTES = 2 << 20                # text parsed as one piece by one thread
PARSE_THREADS = min(4, os.cpu_count() or 1)  # pandas' parser lets go of the GIL: pieces parse in parallel
STOP_POLL_S = 0.05                     # while waiting for a piece, a stop is noticed this often
PROCESS_MIN_BYTES = 128 << 20          # plain files this large are parsed by processes (each starts in ~0.5 s)
PROCESS_PIECE_BYTES = 8 << 20          # the byte range one process parses at a time (pandas: fastest at ~8 MB)
PARSE_PROCESSES = min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
CUT_SEARCH_BYTES = 64 << 10            # read at a time looking for the newline that ends a range
READ_BYTES = 1 << 20                   # bytes read from disk per call
BINARY_SNIFF_BYTES = 1 << 16           # a NUL byte in the first 64 KiB of text: a binary file
PYTHON_BATCH_CELLS = 1 << 20           # cells converted to float32 at once by the Python reader
MAX_LINE_BYTES = 64 << 20              # a longer line is refused (it would be held in memory whole)
NA_VALUES = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                       "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})  # pandas' missing values
MAX_DATA_SIZE = 1 << 60                # a larger (or infinite) limit is a typo
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

_max_text_bytes: int | None = None


class MissingColumnError(DatasetError):
    """The column asked for (the target) is not in the file's header."""


def parse_size(text: str) -> int:
    """Bytes in ``"500M"``, ``"2G"``, ``"1.5GiB"``, ``"4096"``; ValueError for anything else."""
    cleaned = str(text).strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (cleaned[:-1], cleaned[-1]) if cleaned[-1:] in _UNITS else (cleaned, "")
    try:
        size = float(number) * _UNITS[unit]
    except ValueError:
        raise ValueError(f"a data size must look like 500M, 2G or 4096 (bytes), got {text!r}") from None
    if not size >= 1:
        raise ValueError(f"a data size must be at least 1 byte, got {text!r}")
    if not size <= MAX_DATA_SIZE:
        raise ValueError(f"a data size must be at most {format_size(MAX_DATA_SIZE)}, got {text!r}")
    return int(size)


def format_size(n: int) -> str:
    """``2 GiB``, ``17.5 MiB``, ``300 bytes``."""
    for unit, factor in (("EiB", 1 << 60), ("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"


def set_max_text_bytes(limit: int | None) -> None:
    """Use ``limit`` (None: ``KGUI_MAX_DATA_SIZE`` or the default) for every read in this process."""
    global _max_text_bytes
    _max_text_bytes = limit


def max_text_bytes() -> int:
    """The most CSV text one file may hold (after decompression): the flag's, the variable's, or 2 GiB."""
    if _max_text_bytes is not None:
        return _max_text_bytes
    if os.environ.get(MAX_SIZE_VARIABLE):
        try:
            return parse_size(os.environ[MAX_SIZE_VARIABLE])
        except ValueError as exc:
            raise DatasetError(f"{MAX_SIZE_VARIABLE}: {exc}") from None
    return DEFAULT_MAX_TEXT_BYTES


def _too_large(path: Path, what: str, limit: int) -> DatasetError:
    return DatasetError(f"{path}: {what} more than the {format_size(limit)} limit; raise it with "
                        f"{MAX_SIZE_FLAG} SIZE (or {MAX_SIZE_VARIABLE}=SIZE), e.g. {MAX_SIZE_FLAG} "
                        f"{format_size(max(limit * 4, 1 << 30)).replace(' ', '').removesuffix('iB')}")


# -- opening -----------------------------------------------------------------------------------------------------

_KINDS = ((stat.S_ISDIR, "is a directory, not a CSV file"), (stat.S_ISFIFO, "is a named pipe (FIFO), not a file"),
          (stat.S_ISCHR, "is a character device, not a file"), (stat.S_ISBLK, "is a block device, not a file"),
          (stat.S_ISSOCK, "is a socket, not a file"))


def _not_regular(path: Path, mode: int) -> DatasetError:
    for test, what in _KINDS:
        if test(mode):
            return DatasetError(f"{path}: {what}")
    return DatasetError(f"{path}: not a regular file")


def open_regular(path) -> tuple[io.FileIO, os.stat_result]:
    """The open file at ``path`` and its status; DatasetError naming what the path is unless a regular file.

    The file is opened non-blocking and checked on the open descriptor, so a FIFO (or a file
    swapped for one) never blocks the caller.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise _open_error(path, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return io.FileIO(fd, "rb", closefd=True), info
    except BaseException:
        os.close(fd)
        raise


def _open_error(path: Path, exc: OSError) -> DatasetError:
    import errno

    if exc.errno == errno.ELOOP:
        return DatasetError(f"{path}: a symlink loop (the link leads back to itself)")
    if exc.errno == errno.ENOENT:
        if path.is_symlink():
            return DatasetError(f"{path}: a broken symlink (it points to {os.readlink(path)}, which does not exist)")
        return DatasetError(f"{path}: no such file")
    if exc.errno == errno.EISDIR:
        return DatasetError(f"{path}: is a directory, not a CSV file")
    return DatasetError(f"{path}: cannot read ({exc.strerror or exc})")


def is_gzip(path) -> bool:
    return Path(path).suffix.lower() == ".gz"


# -- the byte stream ---------------------------------------------------------------------------------------------

class _Stream(io.RawIOBase):
    """The file's text bytes (gunzipped as they are read), bounded by the limit, honouring stops.

    ``raw_bytes`` counts the bytes read from disk, ``text_bytes`` those handed out.
    """

    def __init__(self, path: Path, limit: int, should_stop: Callable[[], bool]):
        super().__init__()
        self.path = path
        self.file, info = open_regular(path)
        self.size = info.st_size
        self.identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        self.limit = limit
        self.should_stop = should_stop
        self.raw_bytes = 0
        self.text_bytes = 0
        self._gzip = is_gzip(path)
        self._inflate = zlib.decompressobj(wbits=31) if self._gzip else None
        self._input = b""        # compressed bytes not yet given to the decompressor
        self._finished = False   # the last gzip member ended with the file
        if not self._gzip and self.size > limit:
            self.close()
            raise _too_large(path, f"{format_size(self.size)} of text is", limit)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.file.close()
        super().close()

    @property
    def compressed(self) -> bool:
        return self._gzip

    @property
    def fraction(self) -> float:
        """Share of the file on disk read so far."""
        return min(1.0, self.raw_bytes / self.size) if self.size else 1.0

    def readinto(self, buffer) -> int:
        if self.should_stop():
            raise LoadCancelled(f"reading {self.path} was stopped")
        data = self._inflated(len(buffer)) if self._gzip else self._read_raw(len(buffer))
        if not data:
            return 0
        if self.text_bytes < BINARY_SNIFF_BYTES and b"\0" in data[:BINARY_SNIFF_BYTES - self.text_bytes]:
            raise DatasetError(f"{self.path}: a binary file, not CSV text")
        self.text_bytes += len(data)
        if self.text_bytes > self.limit:
            what = "expands to" if self._gzip else "has grown to"
            raise _too_large(self.path, f"{what} more than {format_size(self.limit)} of text, which is", self.limit)
        buffer[:len(data)] = data
        return len(data)

    def _read_raw(self, size: int) -> bytes:
        data = self.file.read(min(size, READ_BYTES))
        if data is None:  # cannot happen on a regular file opened blocking; kept strict
            raise DatasetError(f"{self.path}: cannot read (no data available)")
        self.raw_bytes += len(data)
        return data

    def _inflated(self, size: int) -> bytes:
        """Up to ``size`` decompressed bytes; never more than that in memory (the decompression cap)."""
        try:
            while not self._finished:
                if not self._input:
                    self._input = self._read_raw(READ_BYTES)
                    if not self._input:
                        if not self._inflate.eof:
                            raise DatasetError(f"{self.path}: not a readable gzip file (it ends before the end "
                                               "of its compressed data)")
                        self._finished = True
                        break
                out = self._inflate.decompress(self._input, size)
                self._input = self._inflate.unconsumed_tail
                if self._inflate.eof:  # one gzip member ended; another may follow
                    self._input = self._inflate.unused_data + self._input or self._read_raw(READ_BYTES)
                    self._inflate = zlib.decompressobj(wbits=31)
                    self._finished = not self._input
                if out:
                    return out
                if self.should_stop():
                    raise LoadCancelled(f"reading {self.path} was stopped")
        except zlib.error as exc:
            raise DatasetError(f"{self.path}: not a readable gzip file ({exc})") from None
        return b""


class _Prefixed(io.RawIOBase):
    """``prefix`` bytes, then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: _Stream):
        super().__init__()
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if len(self._prefix):
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._stream.readinto(buffer)


# -- the header ----------------------------------------------------------------------------------------------------

def _is_blank(line: bytes) -> bool:
    return not line.strip(b"\r")


def _split_header(stream: _Stream, path: Path) -> tuple[list[str], int, bytes]:
    """The header's column names, the line it ends on, and the bytes read after it.

    The header is the first non-blank row; a newline inside quotes does not end it. Linear in its length.
    """
    buffer = bytearray()
    start = 0           # where the current row starts in buffer
    line = 1            # file line of buffer[start]
    scanned = 0         # end of the part of the current row already searched
    quotes = 0          # quote characters in buffer[start:scanned]
    while True:
        newline = buffer.find(b"\n", scanned)
        if newline < 0:
            quotes += buffer.count(b'"', scanned)
            scanned = len(buffer)
            if scanned - start > MAX_LINE_BYTES:
                raise DatasetError(f"{path}: the header row is longer than {format_size(MAX_LINE_BYTES)}; "
                                   "is this a CSV file?")
            chunk = stream.read(READ_BYTES)
            if chunk:
                buffer += chunk
                continue
            if start == len(buffer):
                raise DatasetError(f"{path}: the file is empty "
                                   + ("(0 bytes)" if not stream.text_bytes else "(no header row)"))
            end = len(buffer)  # the file ends in a row without a newline
        else:
            quotes += buffer.count(b'"', scanned, newline)
            scanned = newline + 1
            if quotes % 2:  # inside a quoted field: the row goes on
                continue
            end = scanned
        row = bytes(buffer[start:end])
        newlines = row.count(b"\n")
        if _is_blank(row.rstrip(b"\n")):
            line += newlines
            start = scanned = end
            quotes = 0
            continue
        last_line = line + newlines - row.endswith(b"\n")
        return _header_names(row, path, start), last_line, bytes(buffer[end:])


def _header_names(row: bytes, path: Path, offset: int) -> list[str]:
    try:
        text = row.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, row[exc.start], offset + exc.start) from None
    text = text.removeprefix("\ufeff")
    try:
        fields = next(csv.reader([text]), [])
    except csv.Error as exc:
        raise DatasetError(f"{path}: the header row: {exc}") from None
    return check_header([name.strip() for name in fields], path)


def check_header(names: list[str], path) -> list[str]:
    """``names`` when every column has a name and no name repeats; DatasetError otherwise. Linear time."""
    if "" in names:
        raise DatasetError(f"{path}: header column {names.index('') + 1} has no name")
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        shown = ", ".join(map(repr, duplicates[:5])) + (f" and {len(duplicates) - 5} more" if len(duplicates) > 5
                                                        else "")
        raise DatasetError(f"{path}: header names column(s) {shown} more than once")
    return names


def _not_utf8(path: Path, byte: int, offset: int) -> DatasetError:
    return DatasetError(f"{path}: not UTF-8 text (byte 0x{byte:02x} at offset {offset}); save it as UTF-8")


@dataclass(frozen=True)
class Preview:
    """What Open CSV… shows before loading: the columns, from the header and a first data row."""

    path: Path
    columns: tuple[str, ...]


def preview(path, should_stop: Callable[[], bool] = never_stop) -> Preview:
    """The columns of a CSV file whose header and first row pass the loader's checks; DatasetError otherwise.

    Reads the header and one data row only (call it off the GUI thread: a file can be slow to read).
    """
    path = Path(path)
    with _Stream(path, max_text_bytes(), should_stop) as stream:
        names, _, rest = _split_header(stream, path)
        if len(names) < 2:
            raise DatasetError(f"{path}: the first line must name at least two columns (features and a target), "
                               f"got {names}")
        lines = _text_lines(_Prefixed(rest, stream), path, stream.text_bytes - len(rest))
        if not any(line.strip("\r\n") for line in lines):
            raise DatasetError(f"{path}: only a header row, no data rows")
    return Preview(path, tuple(names))


# -- Python's csv reader: exact lines, and the fallback -------------------------------------------------------------

def _text_lines(source: io.RawIOBase, path: Path, offset: int) -> Iterator[str]:
    """The lines (ending in "\\n", the last maybe not) of UTF-8 bytes from ``source``; ``offset``: their file offset."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pending = ""
    while True:
        data = source.read(READ_BYTES)
        try:
            text = decoder.decode(data or b"", final=not data)
        except UnicodeDecodeError as exc:
            carried = len(exc.object) - len(data or b"")
            raise _not_utf8(path, exc.object[exc.start], offset - carried + exc.start) from None
        offset += len(data or b"")
        text = pending + text
        if not data:
            if text:
                yield text
            return
        lines = text.split("\n")
        pending = lines.pop()
        if len(pending) > MAX_LINE_BYTES:
            raise DatasetError(f"{path}: a line longer than {format_size(MAX_LINE_BYTES)}; is this a CSV file?")
        for line in lines:
            yield line + "\n"


def _rows(lines: Iterator[str], path: Path, n_columns: int, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank row; DatasetError for a row whose field count differs."""
    reader = csv.reader(lines)
    try:
        for row in reader:
            if not row:
                continue
            if len(row) != n_columns:
                raise DatasetError(f"{path}: line {first_line + reader.line_num} has {len(row)} field(s), the "
                                   f"header has {n_columns}")
            yield first_line + reader.line_num, row
    except csv.Error as exc:
        raise DatasetError(f"{path}: line {first_line + reader.line_num}: {exc}") from None


def _numbers(rows: list[tuple[str, ...]], width: int) -> np.ndarray | None:
    """``rows`` of number texts as a float32 (rows, width) array; None when a cell is not a number.

    The cells are parsed as one column by pandas' C parser, which costs little per value (Python's
    float() per cell is ~3× slower) and nothing per column (unlike parsing a 100,000-column table).
    Missing or unreadable cells come out as NaN or an error; the caller then names them.
    """
    import pandas as pd

    text = "\n".join(itertools.chain.from_iterable(rows))
    try:
        column = pd.read_csv(io.StringIO(text), header=None, names=["value"], dtype=np.float32, engine="c",
                             skip_blank_lines=False, skipinitialspace=True)["value"].to_numpy()
    except (ValueError, pd.errors.EmptyDataError):
        return None
    if len(column) != len(rows) * width:
        return None
    return column.reshape(len(rows), width)


def _raise_first_bad_cell(path: Path, columns, lines, rows) -> None:
    """DatasetError for the first cell of ``rows`` that is missing, not a number, or infinite."""
    for line, values in zip(lines, rows):
        for column, value in zip(columns, values):
            try:
                number = float(value)
            except ValueError:
                raise _cell_problem(path, column, line, value) from None
            if not np.isfinite(number):
                raise _cell_problem(path, column, line, value)
    raise DatasetError(f"{path}: lines {lines[0]}-{lines[-1]}: numbers that cannot be read as float32")


def _cell_problem(path: Path, column: str, line: int, value: str) -> DatasetError:
    text = value.strip()
    if text in NA_VALUES:
        return DatasetError(f"{path}: column {column!r}, line {line}: a missing value")
    try:
        number = float(text)
    except ValueError:
        return DatasetError(f"{path}: column {column!r} is not numeric: line {line} has {value!r}")
    if number != number:
        return DatasetError(f"{path}: column {column!r}, line {line}: a missing value")
    return DatasetError(f"{path}: column {column!r}, line {line}: an infinite value ({number})")


# -- the table -----------------------------------------------------------------------------------------------------

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
        with _Stream(self.path, max_text_bytes(), never_stop) as stream:
            names, header_line, rest = _split_header(stream, self.path)
            for index, (line, _) in enumerate(_rows(_text_lines(_Prefixed(rest, stream), self.path, 0), self.path,
                                                    len(names), header_line)):
                if index == row:
                    return line
        raise IndexError(row)

    def fail(self, message: str) -> DatasetError:
        return DatasetError(f"{self.path}: {message}")


def read_table(path, label: str | None, exclude: tuple[str, ...] = (),
               progress: Callable[[LoadProgress], None] = ignore_progress,
               should_stop: Callable[[], bool] = never_stop, label_default_last: bool = False) -> CsvTable:
    """Parse a CSV file with a header row into float32 feature blocks plus the ``label`` column's text.

    Features are every column but ``label`` and ``exclude``; ``label_default_last`` takes the last
    column as the label when ``label`` is None. DatasetError names the problem (file, line, column);
    LoadCancelled when ``should_stop`` turned True.
    """
    path = Path(path)
    limit = max_text_bytes()
    with _Stream(path, limit, should_stop) as stream:
        names, header_line, rest = _split_header(stream, path)
        if label is None and label_default_last:
            label = names[-1]
        if label is not None and label not in names:
            raise MissingColumnError(f"{path}: no target column {label!r}; columns: {abbreviated(names, 10)}")
        features = [name for name in names if name != label and name not in exclude]
        if not features:
            raise DatasetError(f"{path}: no feature columns besides the target {label!r}")
        if len(names) > PANDAS_MAX_COLUMNS:
            return _read_python(stream, rest, path, names, features, label, header_line, progress, should_stop)
        try:
            table = _ProcessParse.NOT_USED
            if _ProcessParse.suits(stream):
                table = _ProcessParse(stream, rest, path, names, features, label).read(header_line, progress)
            if table is _ProcessParse.NOT_USED:
                table = _read_pandas(stream, rest, path, names, features, label, header_line, progress, should_stop)
        except DatasetError:  # the text itself (over the limit, binary, a broken gzip): reading it again won't help
            raise
        except (ValueError, UnicodeDecodeError):  # pandas' ParserError is a ValueError
            table = None  # pandas refused something: Python's reader below names it, or reads the file
        if table is not None:
            return table
    with _Stream(path, limit, should_stop) as stream:
        names, header_line, rest = _split_header(stream, path)
        return _read_python(stream, rest, path, names, features, label, header_line, progress, should_stop)


def _segments(rest: bytes, stream: _Stream) -> Iterator[bytes]:
    """The text after the header in pieces of about ``SEGMENT_BYTES`` that end between two rows.

    A piece ends at a newline outside quotes (an even number of quote characters before it), so
    each piece parses on its own.
    """
    buffer = bytearray(rest)
    more = True
    while more or buffer:
        cut = -1
        if len(buffer) >= SEGMENT_BYTES or not more:
            cut = _row_end(buffer) if more else len(buffer) - 1
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


def _row_end(buffer: bytearray) -> int:
    """Index of the newline outside quotes that ends the rows of a piece of about ``SEGMENT_BYTES``, or -1."""
    cut = buffer.rfind(b"\n", 0, SEGMENT_BYTES)
    if cut < 0:
        cut = buffer.find(b"\n", SEGMENT_BYTES)
    if b'"' in buffer:
        while cut >= 0 and buffer.count(b'"', 0, cut) % 2:
            cut = buffer.find(b"\n", cut + 1)
    return cut


def _dtypes(names, features, label) -> dict:
    """pandas' dtype of each column: float32 features, the label as categories, other columns (Otto's id) as
    numbers (or Python's reader reads the file)."""
    dtypes = {name: np.float64 for name in names}
    dtypes.update({name: np.float32 for name in features})
    if label is not None:
        dtypes[label] = "category"
    return dtypes


class _Piece(threading.Thread):
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


class _Worker:
    """One ``kgui.core.csv_worker`` process, and a thread that puts its replies on ``replies`` as (worker,
    :class:`Parsed`), then (worker, None) once it has ended."""

    def __init__(self, job: csv_worker.Job, replies: queue.SimpleQueue):
        if not sys.executable:
            raise OSError("no Python executable to start a parsing process with")
        package_root = str(Path(__file__).resolve().parents[2])   # the folder holding this kgui
        self.process = subprocess.Popen([sys.executable, "-P", "-c", csv_worker.BOOTSTRAP, package_root],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        pass_fds=(job.fd,))
        self._reader = threading.Thread(target=self._read_replies, args=(replies,), name="kgui-csv-replies",
                                        daemon=True)
        try:
            self._reader.start()
            self.send(job)
        except BaseException:
            self.kill()
            raise

    def send(self, message) -> None:
        """OSError (BrokenPipeError) when the process has ended."""
        pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def _read_replies(self, replies: queue.SimpleQueue) -> None:
        try:
            while True:
                replies.put((self, pickle.load(self.process.stdout)))
        except Exception:  # noqa: BLE001 - the end of its output (EOF, killed, damaged): the process has ended
            replies.put((self, None))

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        if self._reader.ident is not None:
            self._reader.join()   # the process is gone: its output ends at once
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class _ProcessParse:
    """pandas' C parser in ``PARSE_PROCESSES`` worker processes (:mod:`kgui.core.csv_worker`), each reading byte
    ranges of the file by itself. For large plain files: pandas' float conversion holds the GIL, so threads gain
    little. :meth:`read` gives ``NOT_USED`` when the file does not suit after all (a quote character, so rows may
    hold newlines and ranges cannot be cut blind; a line too long to cut at; a process that cannot start or
    crashed): the threads then read the same stream, which still stands right after the header.
    """

    NOT_USED = object()

    @staticmethod
    def suits(stream: _Stream) -> bool:
        return (PARSE_PROCESSES > 1 and hasattr(os, "pread") and not stream.compressed
                and stream.size >= PROCESS_MIN_BYTES)

    def __init__(self, stream: _Stream, rest: bytes, path: Path, names, features, label):
        self.stream, self.path = stream, path
        self.start = stream.text_bytes - len(rest)   # where the rows begin
        self.job = csv_worker.Job(stream.file.fileno(), list(names), _dtypes(names, features, label), list(features),
                                  label)

    def ranges(self) -> list[tuple[int, int]] | None:
        """Byte ranges of about ``PROCESS_PIECE_BYTES`` from the first row to the end of the file, each ending
        just after a newline; None when no newline comes within ``MAX_LINE_BYTES`` of a cut."""
        fd, size = self.stream.file.fileno(), self.stream.size
        cuts = [self.start]
        while size - cuts[-1] > PROCESS_PIECE_BYTES:
            target = offset = cuts[-1] + PROCESS_PIECE_BYTES
            while True:
                chunk = os.pread(fd, CUT_SEARCH_BYTES, offset)
                newline = chunk.find(b"\n")
                if newline >= 0 or not chunk:
                    break
                offset += len(chunk)
                if offset - target > MAX_LINE_BYTES:
                    return None
            if newline < 0:
                break   # the file ends (it was cut short while being read): the last range goes to its size
            cuts.append(offset + newline + 1)
        cuts.append(size)
        return [(start, end) for start, end in zip(cuts, cuts[1:]) if end > start]

    def read(self, header_line: int, progress) -> CsvTable | None | object:
        """The table; None when a cell is missing, not a number or not finite (Python's reader then says where);
        ValueError when pandas refuses a row; ``NOT_USED`` (see the class)."""
        ranges = self.ranges()
        if not ranges:
            return self.NOT_USED
        replies: queue.SimpleQueue = queue.SimpleQueue()
        workers: list[_Worker] = []
        try:
            try:
                for _ in range(min(PARSE_PROCESSES, len(ranges))):
                    workers.append(_Worker(self.job, replies))
            except (OSError, RuntimeError):   # no process (or no thread to read it) could start
                return self.NOT_USED
            return self._collect(ranges, workers, replies, header_line, progress)
        finally:
            for worker in workers:
                worker.kill()

    def _collect(self, ranges, workers, replies, header_line, progress):
        parsed: list[Parsed | None] = [None] * len(ranges)
        working: dict[_Worker, int] = {}     # worker -> index of the range it parses
        waiting = iter(range(len(ranges)))
        rows = done_bytes = 0

        def hand_out(worker: _Worker) -> None:
            index = next(waiting, None)
            if index is not None:
                worker.send(ranges[index])
                working[worker] = index

        try:
            for worker in workers:
                hand_out(worker)
            while working:
                try:
                    worker, reply = replies.get(timeout=STOP_POLL_S)
                except queue.Empty:
                    worker = reply = None
                if self.stream.should_stop():
                    raise LoadCancelled(f"reading {self.path} was stopped")
                if worker is None:
                    continue
                if reply is None or reply.outcome in (Outcome.QUOTED, Outcome.CRASHED):
                    return self.NOT_USED
                if reply.outcome is Outcome.NOT_FINITE:
                    return None
                if reply.outcome is Outcome.REFUSED:
                    raise ValueError(reply.message)
                index = working.pop(worker)
                parsed[index] = reply
                rows += len(reply.block)
                done_bytes += ranges[index][1] - ranges[index][0]
                progress(LoadProgress(rows, (self.start + done_bytes) / self.stream.size))
                hand_out(worker)
        except OSError:   # a process ended before it could take its range
            return self.NOT_USED
        return _pandas_table(self.stream, self.path, self.job.features, self.job.label,
                             [(piece.block, piece.labels) for piece in parsed], header_line)


def _read_pandas(stream: _Stream, rest: bytes, path: Path, names, features, label, header_line, progress,
                 should_stop) -> CsvTable | None:
    """pandas' C parser on ``PARSE_THREADS`` threads, piece by piece straight into float32.

    None when a cell is missing, not a number or not finite (Python's reader then says where);
    ValueError when pandas refuses a row.
    """
    dtypes = _dtypes(names, features, label)
    pieces, rows = [], 0

    def take(parsed) -> bool:
        nonlocal rows
        if parsed is None:
            return False
        pieces.append(parsed)
        rows += len(parsed[0])
        return True

    pending: deque[_Piece] = deque()
    for segment in _segments(rest, stream):
        pending.append(_Piece(segment, names, dtypes, features, label))
        while pending and (len(pending) > PARSE_THREADS or pending[0].finished.is_set()):
            if not take(pending.popleft().outcome(should_stop, path)):
                return None
            progress(LoadProgress(rows, stream.fraction))
    while pending:
        if not take(pending.popleft().outcome(should_stop, path)):
            return None
    progress(LoadProgress(rows, stream.fraction))
    return _pandas_table(stream, path, features, label, pieces, header_line)


def _pandas_table(stream: _Stream, path: Path, features, label, pieces, header_line: int) -> CsvTable:
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


def _read_python(stream: _Stream, rest: bytes, path: Path, names, features, label, header_line, progress,
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
        block = _numbers(batch, len(features))
        if block is None or not np.isfinite(block).all():
            _raise_first_bad_cell(path, features, batch_lines, batch)
        blocks.append(block)
        lines.extend(batch_lines)
        batch.clear()
        batch_lines.clear()
        progress(LoadProgress(len(lines), stream.fraction))

    for line, row in _rows(_text_lines(_Prefixed(rest, stream), path, stream.text_bytes - len(rest)), path,
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
