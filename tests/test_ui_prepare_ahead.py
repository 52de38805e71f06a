"""Issue 14, the first minute: the shown window has a worker prepare the controls' experiment in the background
(dataset, engine import, compile), again when the controls change, and Start runs in that worker. While a run
prepares, its row is in the runs table with status loading…/compiling… and the status bar counts the seconds. Real
window, real engines, real worker processes; no timed assertion (the timing is bench/bench_gui.py's)."""
import os
import subprocess
import sys

import pytest
from PyQt6.QtCore import QSettings

from kgui.core.runs import RunStore
from kgui.core.session import Phase
from kgui.ui.main_window import MainWindow

from ui_support import ENGINES, ROOT, configure, messages, wait_until_idle, window  # noqa: F401 - fixtures


def own_window(qtbot, tmp_path) -> MainWindow:
    """A window with a worker pool of its own (the shared pool's workers would prepare for other tests too)."""
    win = MainWindow(store=RunStore(tmp_path / "runs"),
                     preferences=QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    return win


def test_the_shown_window_prepares_the_experiment_in_a_worker_and_start_runs_there(qtbot, tmp_path, messages):
    window = own_window(qtbot, tmp_path)
    configure(window, "tensorflow", steps=5, rate=0.05)
    assert window.jobs.pool.processes == []
    window.show()                                                 # prepares ahead 0.3 s later
    qtbot.waitUntil(lambda: len(window.jobs.pool.processes) == 1, timeout=10_000)
    preparing = window.jobs.pool.processes[0]
    qtbot.wait(700)
    assert window.session.store.list() == [] and not window.jobs.running      # nothing started, nothing written

    window.form.lr_control.set_rate(0.2)                               # the rate is a K variable: still the same
    qtbot.wait(700)
    assert window.jobs.pool.processes == [preparing]
    assert window.start()
    wait_until_idle(qtbot, window)
    assert window.jobs.job.process is preparing
    assert window.session.last_ended.status == "finished" and len(window.session.last_ended.history) == 5
    assert window.session.last_ended.history[0].learning_rate == 0.2

    window.form.backend_picker.select("theano")                        # another engine: a second worker, without Start
    qtbot.waitUntil(lambda: len(window.jobs.pool.processes) == 2, timeout=10_000)
    assert not window.jobs.running and len(window.session.store.list()) == 1


def test_a_run_that_prepares_shows_its_row_and_the_elapsed_time_and_stop_ends_it(qtbot, window):
    window.hide()                                                 # no preparing ahead: Start prepares
    configure(window, "tensorflow", steps=5, n=321)
    statuses = []
    window.session.subscribe(lambda event: isinstance(event, Phase) and statuses.append(
        (window.runs_table.cell_text(event.run.id, "Status"),
         window.job_status.engine_state.text())))
    assert window.start()
    qtbot.waitUntil(lambda: bool(statuses), timeout=60_000)
    window.stop()
    wait_until_idle(qtbot, window)
    assert statuses[0][0] == "loading…" and statuses[0][1].startswith("loading dataset… ")
    assert statuses[0][1].endswith(" s")
    assert window.session.last_ended.status in ("stopped", "finished")


def test_closing_the_window_while_a_run_loads_its_dataset_stops_its_worker_and_leaves_no_cache_entry(
        qtbot, monkeypatch, tmp_path, messages):
    monkeypatch.setenv("KGUI_DATA_CACHE", "1")                  # the worker's environment: the disk cache on, here
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "big.csv"
    with open(path, "w") as stream:
        stream.write("a,b,c,label\n")
        stream.writelines("1.25,2.5,3.75,c1\n4.5,5.25,6.125,c2\n" * 10_000 for _ in range(100))  # ~37 MB
    window = own_window(qtbot, tmp_path)
    window.code_dock.close()                                      # (it would load the file first)
    window.form.dataset_picker.select(str(path), {"target": "label"})
    rows = []
    window.session.subscribe(lambda event: isinstance(event, Phase) and event.progress is not None
                             and rows.append(event.progress))
    assert window.start()                                         # not shown: no preparing ahead, Start loads
    qtbot.waitUntil(lambda: bool(rows), timeout=60_000)
    workers = [process.pid for process in window.jobs.pool.processes]
    window.close()
    assert workers and not [pid for pid in workers if os.path.exists(f"/proc/{pid}/cmdline")
                            and open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[0] != "Z"]
    cache = tmp_path / "cache" / "kgui" / "datasets"
    assert not cache.exists() or [entry.name for entry in cache.iterdir()] == []   # no partial (nor any) entry
    assert RunStore(tmp_path / "runs").list() == []


QUIT_WHILE_IMPORTING = """
import sys
from kgui.core.session import Phase
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Stage
from kgui.ui import create_app, main
from kgui.ui.main_window import MainWindow
app = create_app([])
def close_while_importing(event):
    if isinstance(event, Phase) and event.stage is Stage.IMPORTING_ENGINE:
        for widget in app.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                print("workers", *[process.pid for process in widget.jobs.pool.processes], flush=True)
                print("closing while", event.text, flush=True)
                widget.close()
original = MainWindow.__init__
def subscribing(self, *args, **kwargs):
    original(self, *args, **kwargs)
    self.session.subscribe(close_while_importing)
MainWindow.__init__ = subscribing
sys.exit(main(ExperimentSettings(backend=sys.argv[1], dataset="linear", steps=3), start=True))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_quitting_while_an_engine_imports_ends_the_process_and_its_worker_cleanly(tmp_path, engine):
    """The import in the worker cannot be stopped: the worker is killed within the quit's two seconds, the window's
    process ends with no error, and no worker is left."""
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KGUI_RUNS_DIR": str(tmp_path / "runs"),
                   "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    process = subprocess.run([sys.executable, "-c", QUIT_WHILE_IMPORTING, engine], cwd=ROOT, env=environment,
                             capture_output=True, text=True, timeout=300)
    lines = process.stdout.splitlines()
    assert process.returncode == 0, process.stderr[-2000:]
    assert lines[1].startswith("closing while importing"), process.stdout
    assert "Traceback" not in process.stderr and "Fatal" not in process.stderr, process.stderr[-2000:]
    workers = [int(pid) for pid in lines[0].split()[1:]]
    assert workers and not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]
