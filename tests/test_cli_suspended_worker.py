"""A worker process suspended with SIGSTOP (it neither answers nor dies): ``kgui sweep`` kills it after
``SUSPENDED_S`` and tries its trial again on a fresh worker, so the sweep ends; Ctrl-C while a worker is suspended
still ends the sweep within seconds, its trials saved as stopped, no process left. Real processes."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kgui.core.runs import RunStatus, RunStore
from process_support import alive, interrupt, reaped
from test_core_sweeps import ENGINE

ROOT = Path(__file__).resolve().parents[1]


SUSPENDED_S = """
import sys
from kgui.core.workers import process
process.SUSPENDED_S = float(sys.argv[1])
from kgui.cli import main
sys.exit(main(sys.argv[2:]))
"""


def start_sweep(runs: Path, steps: int, suspended_s: float | None = None) -> subprocess.Popen:
    """``kgui sweep`` of two trials on two workers; ``suspended_s``: how long a suspended worker is let be before it
    is killed, instead of kgui's ``SUSPENDED_S`` (10 s)."""
    kgui = [sys.executable, str(ROOT / "main.py")] if suspended_s is None else [
        sys.executable, "-c", SUSPENDED_S, str(suspended_s)]
    return subprocess.Popen(
        [*kgui, "sweep", "--backend", ENGINE, "--dataset", "spiral", "--model", "mlp", "--hidden", "8", "--steps",
         str(steps), "--batch-size", "10", "--grid", "lr=0.01,0.1", "--workers", "2", "--runs-dir", str(runs)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def suspend_a_training_worker(process: subprocess.Popen, store: RunStore) -> int:
    """SIGSTOP the worker of the first trial that has taken steps; its pid."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        for record in store.list() if store.root.is_dir() else []:
            pid = store.writer_pid(record.id) if record.summary.steps > 0 else None
            if pid and pid != process.pid:
                os.kill(pid, signal.SIGSTOP)
                return pid
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    raise AssertionError("no trial took a step")


def test_a_suspended_worker_is_killed_and_its_trial_tried_again_so_the_sweep_ends(tmp_path):
    """(After 2 s, not 10: the test waits for kgui's wait to pass.)"""
    runs = tmp_path / "runs"
    with reaped(start_sweep(runs, 4000, suspended_s=2.0)) as process:
        suspended = suspend_a_training_worker(process, RunStore(runs))
        out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err
    records = RunStore(runs).list()
    assert len(records) == 2 and all(record.status == RunStatus.FINISHED for record in records), \
        [(record.status, record.message) for record in records]
    assert not alive(suspended)


def test_ctrl_c_with_a_suspended_worker_ends_the_sweep_within_seconds_and_leaves_no_process(tmp_path):
    """kgui's own 10 s wait for a suspended worker: the sweep ends by Ctrl-C, not by that kill."""
    runs = tmp_path / "runs"
    with reaped(start_sweep(runs, 1_000_000)) as process:
        suspend_a_training_worker(process, RunStore(runs))
        stopped = interrupt(process, timeout=60)
    stopped.assert_ended_within(5)   # the goal is 2 s; a loaded machine gets some slack
    records = RunStore(runs).list()
    assert records and all(record.status == RunStatus.STOPPED for record in records), \
        [(record.status, record.message) for record in records]
