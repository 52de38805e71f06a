"""Shared by the tests that start real processes: which processes live (Linux /proc), and Ctrl-C to a command."""
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def _stat_fields(pid: int | str) -> list[str]:
    """``/proc/PID/stat`` after the command name: state, parent pid, …; OSError when there is no such process."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def live_children(pid: int | None = None) -> set[int]:
    """The live (not zombie) child processes of ``pid`` (this process by default)."""
    parent = os.getpid() if pid is None else pid
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = _stat_fields(entry)
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.add(int(entry))
    return found


@contextlib.contextmanager
def reaped(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """``process``, killed and reaped at the end of the block if it is still running (a failed test leaves none)."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Interrupted:
    """How a command ended after Ctrl-C: its exit code and output, how long it took, the children it had then."""
    returncode: int
    out: str
    err: str
    took_s: float
    children: frozenset[int]

    def assert_ended_within(self, seconds: float) -> None:
        """It ended as interrupted (exit code 130) within ``seconds`` and none of its child processes lives."""
        assert self.returncode == 130, self.err
        assert self.took_s < seconds, self.took_s
        assert not [pid for pid in self.children if alive(pid)], self.children


def interrupt(process: subprocess.Popen, timeout: float) -> Interrupted:
    """Ctrl-C (SIGINT) to ``process`` and its end, waited for up to ``timeout`` seconds (then it is killed and
    ``subprocess.TimeoutExpired`` raised)."""
    with reaped(process):
        children = frozenset(live_children(process.pid))
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=timeout)
        return Interrupted(process.returncode, out, err, time.monotonic() - sent, children)
