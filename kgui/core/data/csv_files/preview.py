"""What the window's Open CSV… shows before loading: the columns, from the header and a first data row that pass
the loader's checks."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..dataset_registry import DatasetError, never_stop
from .limits import max_text_bytes
from .stream import Prefixed, Stream
from .text import split_header, text_lines


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
    with Stream(path, max_text_bytes(), should_stop) as stream:
        names, _, rest = split_header(stream, path)
        if len(names) < 2:
            raise DatasetError(f"{path}: the first line must name at least two columns (features and a target), "
                               f"got {names}")
        lines = text_lines(Prefixed(rest, stream), path, stream.text_bytes - len(rest))
        if not any(line.strip("\r\n") for line in lines):
            raise DatasetError(f"{path}: only a header row, no data rows")
    return Preview(path, tuple(names))
