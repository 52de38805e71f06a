"""The command's standard output when it is a pipe: writes that wait for the reader in short slices, so that Ctrl-C
is heard while nobody reads.

A pipe's reader that takes nothing (a stalled pager, ``kgui runs list > fifo`` whose reader never reads) blocks the
writer once the pipe holds 64 KB, as it would ``cat``. Ctrl-C must still end the command. Outside a job it does:
the wait is interrupted. During a job, Ctrl-C only asks the job to stop (:mod:`.jobs`), and a blocked write would be
resumed after it, forever, keeping the job from ever reaching its stop. So the command's output to a pipe waits in
slices (``poll``), and once Ctrl-C has come (:func:`abandon_unread`), a reader that takes nothing for half a second
gets the rest dropped instead of waited for: the job stops, its run is saved as stopped, and the command ends (a
reader that reads, such as ``tee``, still gets every line).
"""
from __future__ import annotations

import io
import os
import select
import stat
import sys

WAIT_MS = 100       # a write waits for the reader this long at a time, then looks whether Ctrl-C has come
UNREAD_MS = 500     # after Ctrl-C, a reader that takes nothing for this long gets the rest dropped
CHUNK = select.PIPE_BUF   # written at once when the pipe has room: a write of at most this much never blocks then


class _PipeWrites(io.RawIOBase):
    """Writes into a pipe's file descriptor (left open: it is the process's) that wait for room in slices of
    WAIT_MS; once :attr:`abandoned`, for UNREAD_MS at most, then what is left is dropped (a reader gone:
    BrokenPipeError, as for a plain write)."""

    def __init__(self, fd: int):
        super().__init__()
        self._fd = fd
        self._poller = select.poll()
        self._poller.register(fd, select.POLLOUT)
        self.abandoned = False     # Ctrl-C came: a reader that takes nothing is not waited for any longer
        self._dropping = False     # it took nothing for UNREAD_MS: the rest goes nowhere

    def fileno(self) -> int:
        return self._fd

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        waited_ms = 0
        while not self._dropping:
            if self._poller.poll(WAIT_MS):   # room, or the reader has gone (then the write raises BrokenPipeError)
                return os.write(self._fd, bytes(memoryview(data)[:CHUNK]))
            if self.abandoned:
                waited_ms += WAIT_MS
                self._dropping = waited_ms >= UNREAD_MS
        return len(data)


def abandon_unread() -> None:
    """Ctrl-C came: from now on, a reader of the command's output (a :func:`pipe_stdout`) that takes nothing for
    UNREAD_MS gets the rest dropped instead of waited for. Safe in a signal handler."""
    raw = getattr(getattr(sys.stdout, "buffer", None), "raw", None)
    if isinstance(raw, _PipeWrites):
        raw.abandoned = True


def pipe_stdout():
    """A stand-in for ``sys.stdout`` when it is a pipe or a socket (else None): the same descriptor, encoding and
    buffering, written through :class:`_PipeWrites`."""
    stream = sys.stdout
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):   # a test's captured stream, a closed one
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return None
    stream.flush()
    unbuffered = getattr(stream, "write_through", False)
    return io.TextIOWrapper(io.BufferedWriter(_PipeWrites(fd)), encoding=stream.encoding, errors=stream.errors,
                            line_buffering=stream.line_buffering or unbuffered, write_through=unbuffered)
