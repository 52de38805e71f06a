"""Sweep faults with real processes: a trial whose worker is killed is tried again on a fresh worker, then failed
with the cause while the sweep goes on; Ctrl-C to ``kgui sweep`` ends every trial (saved as stopped) and leaves no
process behind."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kgui.core.runs import RunStatus, RunStore
from kgui.core.session import StepsTaken
from kgui.core.sweeps import Axis, SweepRunner, SweepSpec, TrialEvent
from kgui.core.sweeps.table import sweep_records
from kgui.exit_codes import EXIT_ERROR, sweep_exit_code
from kgui.sweep_command import result_table
from process_support import interrupt, reaped
from test_core_sweeps import ENGINE, SPIRAL, run

pytest.importorskip("kgui.core.workers")
from kgui.core.sweeps.pool_executor import PoolExecutor  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _killer(store: RunStore, trial_index: int, times: int):
    """An on_event that SIGKILLs the worker writing trial ``trial_index``'s run at its first steps, ``times``
    times (once per attempt)."""
    killed = []

    def on_event(event):
        if isinstance(event, TrialEvent) and event.trial_index == trial_index and isinstance(event.event, StepsTaken) \
                and len(killed) < times:
            pid = store.writer_pid(event.event.run_id)
            if pid and pid not in killed and pid != os.getpid():
                killed.append(pid)
                os.kill(pid, signal.SIGKILL)
    return on_event, killed


def test_a_killed_worker_is_retried_once_on_a_fresh_worker(tmp_path):
    store = RunStore(tmp_path)
    spec = SweepSpec(SPIRAL.replace(steps=400), (Axis("learning_rate", (0.01, 0.1)),))
    on_event, killed = _killer(store, 0, times=1)
    executor = PoolExecutor(2)
    try:
        result = SweepRunner(spec, store, executor, on_event=on_event).run()
    finally:
        executor.shutdown()
    assert len(killed) == 1
    first = result.outcomes[0]
    assert first.attempts == 2 and first.status == RunStatus.FINISHED and first.record.summary.steps == 400
    records = sweep_records(store, result.sweep_id)
    assert len(records) == 2 and all(record.status == RunStatus.FINISHED for record in records)   # one run a trial
    assert sweep_exit_code(result) == 0


def test_a_trial_whose_worker_dies_twice_is_failed_with_the_cause_and_the_retry_and_the_sweep_goes_on(capsys,
                                                                                                      tmp_path):
    store = RunStore(tmp_path)
    spec = SweepSpec(SPIRAL.replace(steps=400), (Axis("learning_rate", (0.01, 0.1, 0.2)),))
    on_event, killed = _killer(store, 0, times=2)
    executor = PoolExecutor(2)
    try:
        result = SweepRunner(spec, store, executor, on_event=on_event).run()
    finally:
        executor.shutdown()
    assert len(killed) == 2
    failed = result.outcomes[0]
    assert failed.attempts == 2 and failed.status == RunStatus.FAILED
    said = "the engine process crashed: signal 9, again after a retry"
    assert failed.record.message == said
    stored = store.load(failed.record.id)
    assert stored.status == RunStatus.FAILED and stored.history and stored.sweep_id == result.sweep_id
    assert stored.message == said                                                  # the Sweep tab's table reads it
    table, _ = result_table(result, store)                                         # the CLI's final table
    assert f"trial {failed.record.id} failed: {said}" in table
    code, shown, _ = run(capsys, "runs", "show", failed.record.id, "--runs-dir", str(tmp_path))
    assert code == 0 and said in shown
    assert [outcome.status for outcome in result.outcomes[1:]] == [RunStatus.FINISHED] * 2
    assert len(sweep_records(store, result.sweep_id)) == 3
    assert sweep_exit_code(result) == EXIT_ERROR
    assert not [process for process in executor.pool.processes if process.alive]


@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["workers", "in-process"])
def test_ctrl_c_stops_every_trial_keeps_them_as_stopped_and_leaves_no_process(tmp_path, mode):
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "sweep", "--backend", ENGINE, "--dataset", "spiral", "--model", "mlp",
         "--hidden", "8,8", "--steps", "1000000", "--batch-size", "10", "--grid", "lr=0.01,0.02,0.05,0.1",
         "--workers", "2", "--runs-dir", str(runs), *mode],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    store = RunStore(runs)
    with reaped(process):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            listed = store.list() if runs.is_dir() else []
            if len([record for record in listed if record.summary.steps > 0]) >= 2:
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
        stopped = interrupt(process, timeout=30)
    stopped.assert_ended_within(5)   # the goal is 2 s; a loaded test machine gets some slack
    records = store.list()     # the two trials not started yet are saved as stopped too
    assert len(records) == 4 and all(record.status == RunStatus.STOPPED for record in records), \
        [(r.status, r.message) for r in records]
    assert sorted(record.summary.steps > 0 for record in records) == [False, False, True, True]
    assert "stopped" in stopped.out
