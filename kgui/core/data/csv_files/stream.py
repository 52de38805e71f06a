"""Opening a CSV file (a regular file only, never blocking on a FIFO) and reading its text bytes: gunzipped as they
are read, bounded by the size limit, stopped when asked, refused when binary."""
from __future__ import annotations

import errno
import io
import os
import stat
import zlib
from collections.abc import Callable
from pathlib import Path

from ..dataset_registry import DatasetError, LoadCancelled
from .limits import format_size, too_large

READ_BYTES = 1 << 20                   # bytes read from disk per call
BINARY_SNIFF_BYTES = 1 << 16           # a NUL byte in the first 64 KiB of text: a binary file


KINDS = ((stat.S_ISDIR, "is a directory, not a CSV file"), (stat.S_ISFIFO, "is a named pipe (FIFO), not a file"),
          (stat.S_ISCHR, "is a character device, not a file"), (stat.S_ISBLK, "is a block device, not a file"),
          (stat.S_ISSOCK, "is a socket, not a file"))


def not_regular(path: Path, mode: int) -> DatasetError:
    for test, what in KINDS:
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
        raise open_error(path, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise not_regular(path, info.st_mode)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return io.FileIO(fd, "rb", closefd=True), info
    except BaseException:
        os.close(fd)
        raise


def open_error(path: Path, exc: OSError) -> DatasetError:
    if exc.errno == errno.ELOOP:
        return DatasetError(f"{path}: a symlink loop (the link leads back to itself)")
    if exc.errno == errno.ENOENT:
        if path.is_symlink():
            return DatasetError(f"{path}: a broken symlink (it points to {os.readlink(path)}, which does not exist)")
        return DatasetError(f"{path}: no such file")
    if exc.errno == errno.EISDIR:
        return DatasetError(f"{path}: is a directory, not a CSV file")
    return DatasetError(f"{path}: cannot read ({exc.strerror or exc})")


GZIP_MAGIC = b"\x1f\x8b"


def _starts_gzip(file) -> bool:
    """Whether the open file holds gzip data (its first two bytes), whatever its name says: a plain CSV named .gz is
    read as text, and a gzipped one named .csv is inflated."""
    magic = file.read(len(GZIP_MAGIC))
    file.seek(0)
    return magic == GZIP_MAGIC


# -- the byte stream ---------------------------------------------------------------------------------------------

class Stream(io.RawIOBase):
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
        self._gzip = _starts_gzip(self.file)
        self._inflate = zlib.decompressobj(wbits=31) if self._gzip else None
        self._input = b""        # compressed bytes not yet given to the decompressor
        self._finished = False   # the last gzip member ended with the file
        if not self._gzip and self.size > limit:
            self.close()
            raise too_large(path, f"{format_size(self.size)} of text is", limit)

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
            raise too_large(self.path, f"{what} more than {format_size(self.limit)} of text, which is", self.limit)
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


class Prefixed(io.RawIOBase):
    """``prefix`` bytes, then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: Stream):
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
