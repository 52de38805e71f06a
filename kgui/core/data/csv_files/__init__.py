"""Reading CSV files safely: regular files only, bounded, streamed straight into float32, cancellable.

- :func:`open_regular` opens a path only when it is a regular file (never blocking on a FIFO) and
  names what it is otherwise: a named pipe, a device, a directory, a socket, a symlink loop.
- :class:`stream.Stream` reads it (decompressing a ``.gz`` as it goes) and stops with one line when the
  text passes the size limit (:func:`max_text_bytes`: ``--max-data-size`` / ``KGUI_MAX_DATA_SIZE``,
  2 GiB by default), when a stop is asked for, or when the text is binary.
- :func:`read_table` parses the rows after the header with pandas' C parser, chunk by chunk into
  float32 blocks (progress after each chunk). Files wider than ``PANDAS_MAX_COLUMNS`` columns, and
  files with any fault, are parsed by Python's csv module instead, which also finds the exact line
  and column of every fault for the messages.
- Header checks are linear in the number of columns; :func:`preview` is what the window's Open CSV…
  uses (the same checks, header and first row only).

The package: ``limits`` (the size limit), ``stream`` (opening and the byte stream), ``text`` (header, lines, rows),
``preview``, ``table`` (CsvTable, Labels), ``reading`` (read_table), and its readers ``pandas_processes``,
``pandas_threads`` and ``python_reader``. The names other modules use are here too.
"""
from .limits import DEFAULT_MAX_TEXT_BYTES, MAX_SIZE_FLAG, MAX_SIZE_VARIABLE, format_size, max_text_bytes, parse_size
from .preview import Preview, preview
from .python_reader import FLOAT32_MAX, beyond_float32
from .reading import read_table
from .stream import open_regular
from .table import NA_VALUES, CsvTable, LabelCollector, Labels, MissingColumnError
from .text import check_header

__all__ = ["DEFAULT_MAX_TEXT_BYTES", "FLOAT32_MAX", "MAX_SIZE_FLAG", "MAX_SIZE_VARIABLE", "NA_VALUES", "CsvTable", "LabelCollector",
           "Labels", "MissingColumnError", "Preview", "beyond_float32", "check_header", "format_size", "max_text_bytes",
           "open_regular", "parse_size", "preview", "read_table"]
