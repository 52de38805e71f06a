"""One worker process seen from its parent: start, send, receive, alive, exit cause, kill.

The child (started by :mod:`.launch`) runs :mod:`.main` with the parent's own kgui folder on its path, in a session of its own (a Ctrl-C in
the terminal reaches only the parent, and :meth:`WorkerProcess.kill` ends the compilers it started too). A reader
thread drains the connection into a queue, so a worker never blocks on a full pipe, and puts :class:`Exited`
there once the worker has gone. The worker's stdout and stderr go to a temporary file, whose last line becomes
part of the exit cause when it exits on its own.
"""
from __future__ import annotations

import os
import queue
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from ..session import RunEnded
from .launch import Launched
from .protocol import Hello, JobEndedWithRun, Shutdown, StepRows

EXIT_GRACE_S = 1.0    # a worker whose connection ended is given this long to exit before it is killed
HELLO_WAIT_S = 60.0   # a worker that has not said Hello this long after it started is killed (it hangs)
SUSPENDED_S = 10.0    # a worker suspended (SIGSTOP) this long is killed, its job's run ended as lost
LOG_TAIL_BYTES = 4096
REAP_S = 1.0          # an exited worker is reaped within this (another thread may be reaping it)


@dataclass(frozen=True)
class Exited:
    """The worker has gone (the last message :meth:`WorkerProcess.receive` returns); ``cause``: "signal 9",
    "exit status 1: ImportError: …"."""

    cause: str


def exit_cause(returncode: int | None, log_tail: str = "") -> str:
    if returncode is None:
        return "its connection closed"
    if returncode < 0:
        return f"signal {-returncode}"
    last = next((line.strip() for line in reversed(log_tail.splitlines()) if line.strip()), "")
    return f"exit status {returncode}" + (f": {last}" if last and returncode != 0 else "")


def wait_exit(popen: subprocess.Popen, timeout_s: float) -> bool:
    """Wait at most ``timeout_s`` for ``popen``'s process to exit and reap it; True if it has. Woken by the exit
    itself where the system can (Linux's pidfd), not by :meth:`Popen.wait`'s polling, which sleeps up to 50 ms
    between looks: a sweep's command waits for its workers' exits before its own."""
    if popen.poll() is not None:
        return True
    try:
        descriptor = os.pidfd_open(popen.pid)
    except (AttributeError, OSError):   # no pidfd here (not Linux, or too old), or the process is gone already
        descriptor = None
    if descriptor is not None:
        try:
            exited, _, _ = select.select([descriptor], [], [], max(0.0, timeout_s))
        finally:
            os.close(descriptor)
        # it has exited: reaped at once, here or by another thread waiting for it too (which holds the Popen's lock
        # a moment); else only whether it has
        timeout_s = REAP_S if exited else 0.0
    try:
        popen.wait(timeout_s)
    except subprocess.TimeoutExpired:
        return False
    return True


def _lower_priority(pid: int, nice: int) -> None:
    """Raise the nice value of process ``pid``'s main thread by ``nice``, before it has started another thread: the
    threads it starts (the job's, an engine's pools, a compiler) inherit it (Linux: a thread's nice is its own)."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, min(os.getpriority(os.PRIO_PROCESS, pid) + nice, 19))
    except OSError:   # not permitted in some sandboxes: the worker runs at its parent's priority
        pass


def _lower_group_priority(pid: int, nice: int) -> None:
    """Give the session that worker ``pid`` leads the nice value ``nice`` for Linux's autogroup scheduling, which
    shares the CPU between sessions first: its threads' nice then only ranks them among themselves, and the worker
    gets as much CPU as the window's process whatever their nice."""
    try:
        with open(f"/proc/{pid}/autogroup", "w") as autogroup:
            autogroup.write(str(min(nice, 19)))
    except OSError:   # no autogroup (not Linux, or turned off): the threads' nice is enough
        pass


def _suspended(pid: int) -> bool:
    """Whether process ``pid`` is stopped by a signal (its state in /proc is T); False where that is unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] == b"T"
    except (OSError, IndexError):
        return False


class WorkerProcess:
    """A worker process and its connection; thread-safe :meth:`send`. It starts one, or takes over ``launched``
    (started earlier, see :mod:`.launch`)."""

    def __init__(self, nice: int = 0, group_nice: int = 0, launched: Launched | None = None):
        launched = launched or Launched()
        launched.handed_over = True
        self.popen, self._log, self.started = launched.popen, launched.log, launched.started
        self.pid = self.popen.pid
        if nice:
            _lower_priority(self.pid, nice)
        if group_nice:
            _lower_group_priority(self.pid, group_nice)
        self.connection = Connection(launched.socket.detach())
        self.hello: Hello | None = None
        self.refusal = ""              # why the parent refused the worker (its Hello, or it was suspended), if it did
        self._suspended_since: float | None = None
        self.killed = False            # the parent killed it (kill(), or shutting down)
        self._messages: queue.Queue = queue.Queue()
        self._send_lock = threading.Lock()
        self._exited = threading.Event()
        self._reader = threading.Thread(target=self._read, name=f"kgui-worker-{self.pid}", daemon=True)
        self._reader.start()

    def __repr__(self):
        return f"WorkerProcess(pid={self.pid}, alive={self.alive})"

    # -- talking -----------------------------------------------------------------------------------------------------

    def send(self, message) -> bool:
        """Send ``message``; False when the worker is gone (its :class:`Exited` is or will be in the queue)."""
        with self._send_lock:
            try:
                self.connection.send(message)
                return True
            except (OSError, ValueError):   # ValueError: the connection is closed
                return False

    def receive(self, timeout: float | None = None):
        """The next message (an event, or :class:`Exited` once it has gone); None after ``timeout`` seconds, or
        when :meth:`wake` was called."""
        try:
            return self._messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def wake(self) -> None:
        """Make the :meth:`receive` waiting now (or the next one) return None at once."""
        self._messages.put(None)

    def _read(self) -> None:
        last_ended = None   # the record of the last RunEnded (a JobEndedWithRun's result)
        try:
            while True:
                message = self.connection.recv()
                if self.hello is None and isinstance(message, Hello):
                    self.hello = message
                    if message.mismatch():
                        self.refuse(message.mismatch())
                    continue
                if self.refusal:   # nothing a refused worker sent counts
                    continue
                if isinstance(message, StepRows):
                    message = message.event()
                elif isinstance(message, RunEnded):
                    last_ended = message.run
                elif isinstance(message, JobEndedWithRun):
                    message, last_ended = message.event(last_ended), None
                self._messages.put(message)
        except (EOFError, OSError, ValueError):
            pass
        except Exception as exc:  # noqa: BLE001 - a message that does not unpickle: the worker cannot be trusted
            self.refuse(f"unreadable message from the engine process ({type(exc).__name__}: {exc})")
        if not wait_exit(self.popen, EXIT_GRACE_S):
            self.kill()
        self._kill_group()   # compilers it started, if any are left
        self.connection.close()
        self._exited.set()
        self._messages.put(Exited(self.refusal or exit_cause(self.popen.returncode, self._log_tail())))

    def _log_tail(self) -> str:
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - LOG_TAIL_BYTES))
            return self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    # -- the process -------------------------------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def exited(self) -> bool:
        """The worker has gone and its reader has seen it (:class:`Exited` is queued)."""
        return self._exited.is_set()

    def rss_bytes(self) -> int | None:
        """The worker's resident memory (Linux), None when unknown."""
        try:
            with open(f"/proc/{self.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        return None

    def refuse(self, reason: str) -> None:
        """Kill a worker this side cannot use; ``reason`` (one line) becomes its exit cause."""
        self.refusal = reason
        self.kill()

    def check_started(self) -> None:
        """Refuse a worker that has not said Hello within ``HELLO_WAIT_S`` of its start."""
        if self.hello is None and self.alive and time.monotonic() - self.started > HELLO_WAIT_S:
            self.refuse(f"the engine process did not start within {HELLO_WAIT_S:g} s")

    def check_running(self) -> None:
        """Kill a worker that has been suspended (SIGSTOP, state T) for ``SUSPENDED_S``: it would hold its job,
        and a stop, forever. Its exit says so and counts as lost, not as a kill of this side's (Linux only)."""
        if not _suspended(self.pid):
            self._suspended_since = None
        elif self._suspended_since is None:
            self._suspended_since = time.monotonic()
        elif time.monotonic() - self._suspended_since > SUSPENDED_S:
            self.refusal = f"the engine process was suspended (SIGSTOP) for more than {SUSPENDED_S:g} s"
            self._kill_group()

    def kill(self) -> None:
        """SIGKILL the worker and whatever it started; returns once it is dead."""
        self.killed = True
        self._kill_group()
        wait_exit(self.popen, EXIT_GRACE_S)

    def _kill_group(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, timeout_s: float) -> None:
        """Ask the worker to stop its job and exit; kill it if it has not within ``timeout_s``."""
        self.send(Shutdown())
        self.wait(timeout_s)
        if self.alive:
            self.kill()
        self.wait(EXIT_GRACE_S)

    def wait(self, timeout_s: float) -> bool:
        """Wait until the worker has gone and its reader has seen it; True if it has."""
        deadline = time.monotonic() + timeout_s
        if not wait_exit(self.popen, timeout_s):
            return False
        return self._exited.wait(max(0.0, deadline - time.monotonic()))
