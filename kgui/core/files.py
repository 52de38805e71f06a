"""Writing files so that readers never see half of one, and reading back the arrays a run folder keeps."""
from __future__ import annotations

import errno
import os
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np

_UMASK = os.umask(0o022)  # read the process umask (the only portable way) and put it back
os.umask(_UMASK)


def write_atomic(path, data: bytes | str) -> None:
    """Write ``data`` to a temporary file next to ``path``, then move it over ``path`` in one step.

    OSError names ``path`` when its folder is missing or not writable.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from None
    try:
        os.chmod(temp_name, 0o666 & ~_UMASK)  # mkstemp makes private files; give the usual permissions
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temp_name, path)
    except OSError as exc:
        os.unlink(temp_name)
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from None


def write_output(path, data: bytes | str) -> None:
    """Write a file a person named (an export, a saved sweep): :func:`write_atomic`, except that an existing device
    or pipe (/dev/null, /dev/stdout) is written into, never replaced by a file; OSError naming ``path``."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = None
    if mode is None or stat.S_ISREG(mode):
        write_atomic(path, data)
    else:
        _write_into(path, data.encode("utf-8") if isinstance(data, str) else data, mode)


def _write_into(path: Path, payload: bytes, mode: int) -> None:
    """Write into an existing device or pipe (/dev/null, /dev/stdout); OSError naming ``path`` for a folder, a full
    device (/dev/full) or a pipe nobody reads."""
    if stat.S_ISDIR(mode):
        raise OSError(errno.EISDIR, f"cannot write {path}: it is a folder")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)   # a pipe without a reader fails here instead of blocking
        with os.fdopen(fd, "wb") as stream:
            os.set_blocking(fd, True)
            stream.write(payload)
    except OSError as exc:
        reason = "a pipe nobody reads" if exc.errno == errno.ENXIO else exc.strerror
        raise OSError(exc.errno, f"cannot write {path}: {reason}") from None


def error_text(exc: BaseException) -> str:
    """One line for people: an OSError's reason (and file) without its "[Errno N]", else the text."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def one_line(exc: BaseException) -> str:
    """One line for people about a failure: the text of expected errors (:func:`error_text`, else the type's name),
    the type too for unexpected ones."""
    if isinstance(exc, (ValueError, OSError, ImportError, LookupError)):
        return error_text(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


Read = TypeVar("Read")
ZIP_MAGIC = b"PK\x03\x04"   # how an .npz file (a zip archive) begins


def read_npz(path: Path, max_bytes: int, build: Callable[[dict], Read]) -> Read:
    """``build`` of the arrays in ``.npz`` file ``path`` (never unpickled); ValueError in one line naming the file
    when it is larger than ``max_bytes``, unreadable or damaged (``build`` raising KeyError for a missing array, or
    TypeError/ValueError/IndexError for a wrong one)."""
    name = path.name
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):   # a FIFO would block, /dev/zero never end
            raise ValueError("not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(f"larger than {max_bytes:,} bytes")
        with open(path, "rb") as stream:
            if stream.read(len(ZIP_MAGIC)) != ZIP_MAGIC:   # np.load would take it for a pickle
                raise ValueError("not an .npz file")
        with np.load(path, allow_pickle=False) as data:
            return build(dict(data))
    except OSError as exc:
        raise ValueError(f"cannot read {name}: {exc.strerror or exc}") from None
    except KeyError as exc:
        raise ValueError(f"{name} is damaged (no {exc} array)") from None
    except (TypeError, ValueError, IndexError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        reason = str(exc) or type(exc).__name__
        if "allow_pickle" in reason:   # numpy's advice to load it unsafely is not one kgui gives
            reason = "it holds Python objects, which kgui never unpickles"
        raise ValueError(f"{name} is damaged ({reason})") from None
