"""Starting a worker process: ``python -P -c BOOTSTRAP <folder holding kgui> [--engine=NAME] <fd>`` in a session of
its own, with its end of a socket pair and its output going to a temporary file; ``--engine``: the engine it imports
while it waits for its first job (:mod:`.main`).

Light on purpose (the standard library only): a command can start its workers before it imports anything heavy, so
that their start and engine import overlap its own (``kgui sweep``). A :class:`Launched` process is then handed to a
:class:`~kgui.core.workers.process.WorkerProcess`, which talks to it; one never handed over is ended by
:meth:`Launched.close`.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KGUI_FOLDER = str(Path(__file__).resolve().parents[3])   # the folder holding this kgui
ENGINE_OPTION = "--engine="   # the worker imports this engine while it waits for its first job
MAX_WORKERS = 64     # the most worker processes one command or sweep starts: each imports an engine (~0.3-1 GB)

# The worker's kgui is imported from that folder (the same code as the parent's), which then leaves sys.path; -P
# keeps the current folder off it.
BOOTSTRAP = ("import sys; root = sys.argv[1]; sys.path.insert(0, root); from kgui.core.workers import main; "
             "sys.path.remove(root); main.main()")


class Launched:
    """A worker process just started, and this side's end of its connection (a socket, not wrapped yet); ``engine``:
    the engine its first job will most likely need, imported ahead."""

    def __init__(self, engine: str | None = None):
        parent_end, child_end = socket.socketpair()
        self.log = tempfile.TemporaryFile()
        hint = [f"{ENGINE_OPTION}{engine}"] if engine else []
        try:
            self.popen = subprocess.Popen(
                [sys.executable, "-P", "-c", BOOTSTRAP, KGUI_FOLDER, *hint, str(child_end.fileno())],
                pass_fds=(child_end.fileno(),), stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                start_new_session=True)
        except BaseException:
            parent_end.close()
            self.log.close()
            raise
        finally:
            child_end.close()
        self.socket = parent_end
        self.started = time.monotonic()
        self.handed_over = False    # a WorkerProcess talks to it now, and ends it

    @property
    def pid(self) -> int:
        return self.popen.pid

    def close(self) -> None:
        """End a process never handed over (and whatever it started); nothing is left running."""
        if self.handed_over:
            return
        self.handed_over = True
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.popen.wait()
        self.socket.close()
        self.log.close()


def close_all(launched) -> None:
    """:meth:`Launched.close` each of ``launched`` not handed over."""
    for process in launched:
        process.close()
