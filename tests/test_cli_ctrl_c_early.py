"""Ctrl-C while kgui is still starting (importing its engines, before a job's own handler takes over): one line,
``kgui: interrupted``, exit code 130, no traceback; ``lr-find --workers 1`` stopped while its worker starts exits 130
too; a command started with stdout or stderr closed still runs. Real processes, SIGINT at the default disposition as
a terminal's Ctrl-C finds it."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kgui.core.runs import RunStore

ROOT = Path(__file__).resolve().parents[1]


def importing_numpy(pid: int) -> bool:
    """Whether process ``pid`` has loaded numpy's library: Python has started (a SIGINT while its ``site`` module
    imports is Python's own 'Fatal Python error', not kgui's) and kgui is importing."""
    try:
        with open(f"/proc/{pid}/maps") as maps:
            return "_multiarray_umath" in maps.read()
    except OSError:
        return False


def interrupted(args: list[str], delay_s: float) -> subprocess.CompletedProcess:
    """``delay_s`` after kgui's imports reached numpy (not after the start: a loaded machine's Python may still be
    starting then)."""
    process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not importing_numpy(process.pid) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(delay_s)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("delay_s", [0.0, 0.25])
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_ctrl_c_while_starting_is_one_line_and_exit_code_130(tmp_path, command, delay_s):
    args = ["run", "--dataset", "spiral", "--steps", "50"] if command == "run" else \
        ["sweep", "--dataset", "spiral", "--steps", "50", "--grid", "lr=0.1,0.2", "--workers", "2"]
    result = interrupted([*args, "--runs-dir", str(tmp_path)], delay_s)
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 1, result.stderr


def test_ctrl_c_while_a_range_tests_worker_starts_exits_130_not_as_an_error(tmp_path):
    result = interrupted(["lr-find", "--dataset", "spiral", "--workers", "1"], 1.0)
    assert result.returncode == 130, result.stderr
    assert "error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("closed", [1, 2], ids=["stdout", "stderr"])
def test_a_command_started_with_stdout_or_stderr_closed_still_runs_and_saves(tmp_path, closed):
    """``kgui run ... 2>&-``: Python starts with sys.stderr None; the console took it for a stream (AttributeError,
    exit code 1, nothing trained, and no word of it anywhere)."""
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "sweep", "--dataset", "spiral", "--steps", "5",
                             "--grid", "lr=0.1,0.2", "--workers", "0", "--runs-dir", str(tmp_path)], cwd=ROOT,
                            preexec_fn=lambda: os.close(closed), timeout=120,
                            stdout=subprocess.DEVNULL if closed == 2 else None,
                            stderr=subprocess.DEVNULL if closed == 1 else None)
    assert result.returncode == 0
    assert len(RunStore(tmp_path).list()) == 2
