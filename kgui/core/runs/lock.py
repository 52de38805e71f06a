"""writer.lock: the one writer of a run holds an ``fcntl.flock`` on it (and its pid in it) until the run has
ended."""
from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .files import LOCK_FILE, NO_WAIT

try:
    import fcntl
except ImportError:  # Windows: the lock file's presence stands for a live writer (a killed one looks alive)
    fcntl = None


class RunInUseError(OSError):
    """The run is being written by a live process (this one or another): it cannot be deleted or renamed here."""

    def __init__(self, run_id: str, pid: int | None):
        by = "this process" if pid == os.getpid() else f"process {pid}" if pid else "another process"
        super().__init__(errno.EBUSY, f"run {run_id} is still being trained by {by}; stop it first")

    def __str__(self):
        return self.strerror


def lock_holder(folder) -> int | None:
    """The pid of the live process writing the run in ``folder`` (0 when it is unknown), or None when none is."""
    try:
        fd = os.open(os.path.join(folder, LOCK_FILE), os.O_RDONLY | NO_WAIT)
    except OSError:
        return None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # held: the writer is alive
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
                return None
        text = os.read(fd, 32).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else 0
    except OSError:  # not a file kgui wrote (a folder...): no writer holds it
        return None
    finally:
        os.close(fd)


@dataclass
class WriterLock:
    """A held writer.lock: its descriptor."""

    fd: int

    @classmethod
    def take(cls, folder: Path, run_id: str) -> "WriterLock":
        """Lock the run in ``folder``; RunInUseError when a live process holds it."""
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if fcntl is not None:
                deadline = time.monotonic() + 0.5  # a reader checking the lock holds it for microseconds
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise RunInUseError(run_id, lock_holder(folder)) from None
                        time.sleep(0.01)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except BaseException:
            os.close(fd)
            raise
        return cls(fd)

    def release(self) -> None:
        os.close(self.fd)  # closing drops the flock
