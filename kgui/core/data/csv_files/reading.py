"""Reading a CSV file into a :class:`CsvTable`: pandas' C parser (processes or threads) first, Python's reader for
wide files and to name any fault."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..dataset_registry import DatasetError, LoadProgress, abbreviated, ignore_progress, never_stop
from .limits import max_text_bytes
from .pandas_processes import ProcessesUnsuited, ProcessParse
from .pandas_threads import read_pandas
from .python_reader import read_python
from .stream import Stream
from .table import CsvTable, ForPythonReader, MissingColumnError
from .text import split_header

PANDAS_MAX_COLUMNS = 2000              # wider files: pandas' per-column cost dominates; Python's csv is faster


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
    with Stream(path, limit, should_stop) as stream:
        names, header_line, rest = split_header(stream, path)
        if label is None and label_default_last:
            label = names[-1]
        if label is not None and label not in names:
            raise MissingColumnError(f"{path}: no target column {label!r}; columns: {abbreviated(names, 10)}")
        features = [name for name in names if name != label and name not in exclude]
        if not features:
            raise DatasetError(f"{path}: no feature columns besides the target {label!r}")
        if len(names) > PANDAS_MAX_COLUMNS:
            return read_python(stream, rest, path, names, features, label, header_line, progress, should_stop)
        try:
            return _read_with_pandas(stream, rest, path, names, features, label, header_line, progress, should_stop)
        except DatasetError:  # the text itself (over the limit, binary, a broken gzip): reading it again won't help
            raise
        except (ForPythonReader, ValueError, UnicodeDecodeError):  # pandas' ParserError is a ValueError
            pass  # a cell pandas could not read, or a row it refused: Python's reader below names it, or reads the file
    with Stream(path, limit, should_stop) as stream:
        names, header_line, rest = split_header(stream, path)
        return read_python(stream, rest, path, names, features, label, header_line, progress, should_stop)


def _read_with_pandas(stream: Stream, rest: bytes, path: Path, names, features, label, header_line, progress,
                      should_stop) -> CsvTable:
    """pandas' C parser: in worker processes for a large plain file, else on threads; ForPythonReader, or
    ValueError when pandas refuses a row, hand the file to Python's reader."""
    if ProcessParse.suits(stream):
        try:
            return ProcessParse(stream, rest, path, names, features, label).read(header_line, progress)
        except ProcessesUnsuited:
            pass  # the threads read the same stream, which still stands right after the header
    return read_pandas(stream, rest, path, names, features, label, header_line, progress, should_stop)
