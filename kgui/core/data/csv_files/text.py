"""A CSV file's text: its header row (found and checked in linear time), its lines as UTF-8 text and its rows as
fields."""
from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..dataset_registry import DatasetError
from .limits import format_size
from .stream import READ_BYTES, Stream

MAX_LINE_BYTES = 64 << 20              # a longer line is refused (it would be held in memory whole)


def is_blank(line: bytes) -> bool:
    return not line.strip(b"\r")


def split_header(stream: Stream, path: Path) -> tuple[list[str], int, bytes]:
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
        if is_blank(row.rstrip(b"\n")):
            line += newlines
            start = scanned = end
            quotes = 0
            continue
        last_line = line + newlines - row.endswith(b"\n")
        return header_names(row, path, start), last_line, bytes(buffer[end:])


def header_names(row: bytes, path: Path, offset: int) -> list[str]:
    try:
        text = row.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, row[exc.start], offset + exc.start) from None
    text = text.removeprefix("\ufeff")
    try:
        fields = next(csv.reader([text]), [])
    except csv.Error as exc:
        raise DatasetError(f"{path}: the header row: {exc}") from None
    return check_header([name.strip() for name in fields], path)


def check_header(names: list[str], path) -> list[str]:
    """``names`` when every column has a name and no name repeats, and the row is a header (not numbers only, not
    one column of another separator's fields); DatasetError otherwise. Linear time."""
    if len(names) == 1:
        separator = next((mark for mark in (";", "\t", "|") if mark in names[0]), None)
        if separator is not None:
            raise DatasetError(f"{path}: the header is one column, {abbreviated_text(names[0])!r}: kgui reads "
                               f"comma-separated values, and this file looks separated by {separator!r}")
    if names and all(is_number(name) for name in names):
        raise DatasetError(f"{path}: the first row holds only numbers ({abbreviated_text(','.join(names))}): it "
                           "must be a header row naming the columns")
    if "" in names:
        raise DatasetError(f"{path}: header column {names.index('') + 1} has no name")
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        shown = ", ".join(map(repr, duplicates[:5])) + (f" and {len(duplicates) - 5} more" if len(duplicates) > 5
                                                        else "")
        raise DatasetError(f"{path}: header names column(s) {shown} more than once")
    return names


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def abbreviated_text(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def not_utf8(path: Path, byte: int, offset: int) -> DatasetError:
    return DatasetError(f"{path}: not UTF-8 text (byte 0x{byte:02x} at offset {offset}); save it as UTF-8")


# -- lines and rows -----------------------------------------------------------------------------------------------

def text_lines(source: io.RawIOBase, path: Path, offset: int) -> Iterator[str]:
    """The lines (ending in "\\n", the last maybe not) of UTF-8 bytes from ``source``; ``offset``: their file offset."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pending = ""
    while True:
        data = source.read(READ_BYTES)
        try:
            text = decoder.decode(data or b"", final=not data)
        except UnicodeDecodeError as exc:
            carried = len(exc.object) - len(data or b"")
            raise not_utf8(path, exc.object[exc.start], offset - carried + exc.start) from None
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


def csv_rows(lines: Iterator[str], path: Path, n_columns: int,
             first_line: int) -> Iterator[tuple[int, list[str]]]:
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
