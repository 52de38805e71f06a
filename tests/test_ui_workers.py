"""Issue 20, the window's side: every job runs in a worker process of the window's pool. The window's process never
imports an engine; quitting leaves no worker behind; a worker killed mid-run fails the run with its cause, the window
keeps working and the next Start gets a fresh worker. Real window, real engines, real processes and signals."""
import json
import os
import signal
import subprocess
import sys

from kgui.core.runs import RunStatus, RunStore
from kgui.core.experiment.settings import ExperimentSettings
from kgui.ui.main_window import WORKER_NICE, MainWindow
from kgui.ui.names import engine_label

from ui_support import (ENGINES, ROOT, configure, live_history, messages, wait_for_steps,  # noqa: F401 - fixtures
                        wait_until_idle, window)

ENGINE_PACKAGES = ("tensorflow", "pytensor", "theano", "jax", "jaxlib", "torch")

EVERY_JOB = """
import json, sys
from time import perf_counter
from PyQt6.QtCore import QSettings
from kgui.core.runs import RunStore
from kgui.core.experiment.settings import ExperimentSettings
from kgui.ui import create_app
from kgui.ui.main_window import WORKER_NICE, MainWindow
engines = sys.argv[1].split(",")
app = create_app([])
folder = sys.argv[2]
window = MainWindow(store=RunStore(folder + "/runs"), preferences=QSettings(folder + "/kgui.ini", QSettings.Format.IniFormat))
window.show()
def job(start):
    assert start()
    deadline = perf_counter() + 600
    while window.jobs.running and perf_counter() < deadline:
        app.processEvents()
statuses = []
for engine in engines:
    window.apply_settings(ExperimentSettings(backend=engine, dataset="linear", steps=20, learning_rate=0.1))
    job(window.start)
    statuses.append(str(window.session.last_ended.status))
job(window.compare_backends)
job(window.range_test)
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"statuses": statuses, "compared": [str(r.status) for r in window.parity_view.result.records],
                  "range_test": window.lr_range_view.suggestion is not None, "modules": loaded}), flush=True)
window.close()
"""


def test_the_window_process_never_imports_an_engine(tmp_path):
    """Start to finish on every engine, Compare Backends and a range test, in a fresh window process (other tests
    of this process import engines): no engine module is ever imported there."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", EVERY_JOB, ",".join(ENGINES), str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["statuses"] == ["finished"] * len(ENGINES)
    assert seen["compared"] == ["finished"] * len(ENGINES) and seen["range_test"]
    assert not set(ENGINE_PACKAGES) & set(seen["modules"])


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def test_quitting_with_busy_workers_leaves_no_process_and_saves_the_run_as_stopped(qtbot, tmp_path, messages):
    window = MainWindow(store=RunStore(tmp_path / "runs"))    # its own pool, shut down when it closes
    qtbot.addWidget(window)
    window.show()
    configure(window, "tensorflow", steps=1_000_000, n=100)
    assert window.start()
    assert window.job_status.engine_state.text().startswith("starting… ")  # at once, not idle while its worker starts
    panel = window.live_panel.values     # the readout says so too, with the engine, the last run's values cleared
    assert (panel["state"].text(), panel["engine"].text(), panel["step"].text()) == (
        window.job_status.engine_state.text(), engine_label("tensorflow"), "—")
    wait_for_steps(qtbot, window, 5)
    window.jobs.pool.prepare(ExperimentSettings(backend="theano", dataset="linear"))   # a second worker, importing
    workers = [process.pid for process in window.jobs.pool.processes]
    assert len(workers) == 2 and all(alive(pid) for pid in workers)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in workers] == [min(own + WORKER_NICE, 19)] * 2
    job = window.jobs.job
    window.close()
    assert not [pid for pid in workers if alive(pid)]
    assert job.done and not window.jobs.running
    stored = RunStore(tmp_path / "runs").load(job.result.id)
    assert stored.status == RunStatus.STOPPED and len(stored.history) >= 5


def test_a_worker_killed_mid_run_fails_the_run_with_its_cause_and_the_next_start_gets_a_fresh_worker(
        qtbot, window, messages):
    configure(window, "tensorflow", steps=1_000_000, n=100)
    assert window.start()
    wait_for_steps(qtbot, window, 5)
    killed = window.jobs.job.process.pid
    os.kill(killed, signal.SIGKILL)
    wait_until_idle(qtbot, window)

    record = window.session.last_ended
    assert record.status == RunStatus.FAILED and "signal 9" in record.message
    assert [(kind, title) for kind, title, _ in messages] == [("critical", "Training failed")]
    assert "signal 9" in messages[0][2]
    assert window.runs_table.cell_text(record.id, "Status") == "failed"
    stored = window.session.store.load(record.id)                     # written by the window once the worker was dead
    assert stored.status == RunStatus.FAILED and "signal 9" in stored.message
    assert len(stored.history) >= 5 and len(stored.history) == len(live_history(window))

    configure(window, "tensorflow", steps=20, n=100)
    assert window.start()
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == RunStatus.FINISHED and len(window.session.last_ended.history) == 20
    assert window.jobs.job.process.pid != killed


def test_a_crashed_run_whose_folder_cannot_be_written_keeps_the_steps_received_and_says_why_in_one_line(
        qtbot, window, messages):
    from kgui.core.session import StepsTaken

    received = []
    window.session.on(StepsTaken, lambda event: received.extend(step.step for step in event.steps))
    configure(window, "tensorflow", steps=1_000_000, n=100)
    assert window.start()
    wait_for_steps(qtbot, window, 5)
    run_id = window.session.live_run_id
    lock = window.session.store.folder(run_id) / "writer.lock"
    lock.unlink()                  # the worker keeps its lock (flock on its open file); the path cannot be locked again
    lock.mkdir()
    os.kill(window.jobs.job.process.pid, signal.SIGKILL)
    wait_until_idle(qtbot, window)

    record = window.session.last_ended
    assert record.id == run_id and record.status == RunStatus.FAILED and len(received) >= 5
    assert [step.step for step in record.history] == received == list(range(1, len(received) + 1))
    assert "signal 9" in record.message and "folder" in record.message and "\n" not in record.message
    assert window.runs_table.cell_text(run_id, "Steps") == str(len(received))
    assert [(kind, title) for kind, title, _ in messages] == [("critical", "Training failed")]
    assert "folder" in messages[0][2]
    lock.rmdir()
