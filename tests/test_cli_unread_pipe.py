"""A command whose output goes into a pipe nobody reads (a stalled pager, ``kgui runs list > fifo`` whose reader never
reads): it waits for the reader, as ``cat`` does, and Ctrl-C ends it. Ctrl-C during a job only asks the job to stop,
and a write blocked on a full pipe was resumed after it, forever: the job never reached its stop. Real processes,
with Python's buffered output (a fresh machine) and with PYTHONUNBUFFERED."""
import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from engine_support import INSTALLED
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.runs import RunRecord, RunStatus, RunStore
from process_support import reaped

ROOT = Path(__file__).resolve().parents[1]
ENGINE = "torch" if "torch" in INSTALLED else "tensorflow"


PAGE = 4096


def unread(read_end: int) -> int:
    """The bytes waiting in a pipe for its reader."""
    return struct.unpack("i", fcntl.ioctl(read_end, termios.FIONREAD, b"\0" * 4))[0]


def filled_pipe(room: int) -> tuple[int, int, int]:
    """A pipe (read end, write end, its size) whose reader has taken nothing, and never will: full but for ``room``
    bytes (whole pages)."""
    read_end, write_end = os.pipe()
    size = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
    os.write(write_end, b"x" * (size - room))
    return read_end, write_end, size


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize("command", ["run", "runs list"])
def test_ctrl_c_ends_a_command_whose_output_nobody_reads(tmp_path, command, unbuffered):
    store = RunStore(tmp_path)
    if command == "runs list":
        store.begin(RunRecord.new(ExperimentSettings(), "one")).close()
        args = ["runs", "list"]
    else:
        args = ["run", "--backend", ENGINE, "--dataset", "linear", "--steps", "1000000"]
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(ROOT)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    read_end, write_end, size = filled_pipe(room=PAGE if command == "run" else 0)
    try:
        process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args, "--runs-dir", str(tmp_path)],
                                   cwd=ROOT, env=env, stdout=write_end, stderr=subprocess.PIPE, text=True)
        os.close(write_end)
        with reaped(process):
            deadline = time.monotonic() + 120
            held, since = unread(read_end), time.monotonic()
            while command == "run" and (held == size - PAGE or time.monotonic() - since < 1.0):
                assert process.poll() is None and time.monotonic() < deadline, process.communicate()
                time.sleep(0.05)     # the run prints its header and a loss line every 20 steps, until the pipe is full
                if unread(read_end) != held:
                    held, since = unread(read_end), time.monotonic()
            time.sleep(0.5)
            assert process.poll() is None    # waiting for the reader, as cat would
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=20)
    finally:
        os.close(read_end)
    assert process.returncode == 130, err
    if command == "run":
        record, = store.list()
        assert record.status == RunStatus.STOPPED and err == ""
    else:
        assert err == "kgui: interrupted\n"
