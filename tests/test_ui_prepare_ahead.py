"""Issue 14, the first minute: the shown window prepares the controls' experiment in the background (dataset,
engine import, compile), again when the controls change, and Start takes the prepared trainer instead of preparing
again. While a run prepares, its row is in the runs table with status loading…/compiling… and the status bar counts
the seconds. Real window, real engines; no timed assertion (the timing is bench/bench_gui.py's)."""
import pytest

from kgui.core.session import Phase

from ui_support import ENGINES, configure, messages, wait_until_idle, window  # noqa: F401 - fixtures


def prepared(qtbot, win):
    qtbot.waitUntil(lambda: win.session.preparation is not None and win.session.preparation.ready, timeout=120_000)
    return win.session.preparation


def test_the_shown_window_prepares_the_experiment_and_start_does_not_prepare_again(qtbot, window):
    configure(window, "tensorflow", steps=5, rate=0.05)
    preparation = prepared(qtbot, window)
    assert preparation.settings.backend == "tensorflow" and preparation.settings.dataset_options == {"n": 200}
    assert window.store.list() == [] and not window.running      # nothing started, nothing written

    window.lr_control.set_rate(0.2)                               # the rate is a K variable: still the same
    qtbot.wait(700)
    assert window.session.preparation is preparation
    phases = []
    window.session.subscribe(lambda event: isinstance(event, Phase) and phases.append(event.text))
    assert window.start()
    assert window.jobs.job.prepared_ahead and window.jobs.job.preparation is preparation
    wait_until_idle(qtbot, window)
    assert window.record.status == "finished" and len(window.record.history) == 5 and phases == []
    assert window.record.history[0].learning_rate == 0.2 and preparation.taken

    window.backend_picker.select("theano")                        # another engine: prepared too, without Start
    other = prepared(qtbot, window)
    assert other is not preparation and other.settings.backend == "theano" and other.trainer.model is not None


def test_a_run_that_prepares_shows_its_row_and_the_elapsed_time_and_stop_ends_it(qtbot, window):
    window.hide()                                                 # no preparing ahead: Start prepares
    configure(window, "tensorflow", steps=5, n=321)
    statuses = []
    window.session.subscribe(lambda event: isinstance(event, Phase) and statuses.append(
        (window.runs_table.cell_text(event.run.id, "Status"),
         window.engine_state.text())))
    assert window.start()
    qtbot.waitUntil(lambda: bool(statuses), timeout=60_000)
    window.stop()
    wait_until_idle(qtbot, window)
    assert statuses[0][0] == "loading…" and statuses[0][1].startswith("loading dataset… ")
    assert statuses[0][1].endswith(" s")
    assert window.record.status in ("stopped", "finished")


def test_closing_the_window_stops_a_preparation_that_loads_its_dataset_and_waits_for_it(qtbot, monkeypatch, tmp_path):
    from PyQt6.QtCore import QSettings

    from kgui.core import csv_files, dataset_cache
    from kgui.core.runs import RunStore
    from kgui.ui.main_window import MainWindow

    monkeypatch.setattr(csv_files, "SEGMENT_BYTES", 32_000)    # many small pieces: progress from the start
    monkeypatch.setattr(dataset_cache, "DISK", dataset_cache.DiskCache(tmp_path / "cache"))
    monkeypatch.setattr(dataset_cache, "_disk_override", True)
    path = tmp_path / "big.csv"
    with open(path, "w") as stream:
        stream.write("a,b,c,label\n")
        stream.writelines("1.25,2.5,3.75,c1\n4.5,5.25,6.125,c2\n" * 10_000 for _ in range(30))  # ~11 MB
    window = MainWindow(store=RunStore(tmp_path / "runs"),
                        preferences=QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.code_dock.close()                                      # (it would load the file first, on the GUI thread)
    window.dataset_picker.select(str(path), {"target": "label"})
    window.show()                                                 # prepares ahead once shown
    qtbot.waitUntil(lambda: window.session.preparation is not None
                    and any(progress is not None for progress in window.session.preparation.phase_progress), timeout=60_000)
    preparation = window.session.preparation
    window.close()
    assert preparation.done and not preparation.ready              # stopped, and waited for: not left loading
    assert [entry.name for entry in (tmp_path / "cache").glob("*")] == []   # no partial (nor any) cache entry
    assert RunStore(tmp_path / "runs").list() == []


QUIT_WHILE_IMPORTING = """
import sys
from PyQt6.QtCore import QTimer
from kgui.core.settings import ExperimentSettings
from kgui.core.trainer import Stage
from kgui.ui import create_app, main
from kgui.ui.main_window import MainWindow
app = create_app([])
def close_while_importing():
    for widget in app.topLevelWidgets():
        preparation = widget.session.preparation if isinstance(widget, MainWindow) else None
        if preparation is not None and preparation.phases and preparation.phases[-1] is Stage.IMPORTING_ENGINE:
            print("closing while", preparation.phases[-1], flush=True)
            widget.close()
            return
    QTimer.singleShot(10, close_while_importing)
QTimer.singleShot(10, close_while_importing)
sys.exit(main(ExperimentSettings(backend=sys.argv[1], dataset="linear", steps=3)))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_quitting_while_an_engine_imports_ends_the_process_cleanly(tmp_path, engine):
    """The import cannot be stopped: the process ends without waiting for it, with no error (no crash while a
    library loads without the GIL) and nothing written but the window's settings (the time is bench_gui's)."""
    import os
    import subprocess
    import sys

    from ui_support import ROOT

    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KGUI_RUNS_DIR": str(tmp_path / "runs"),
                   "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    process = subprocess.run([sys.executable, "-c", QUIT_WHILE_IMPORTING, engine], cwd=ROOT, env=environment,
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr[-2000:]
    assert process.stdout.startswith("closing while importing"), process.stdout
    assert "Traceback" not in process.stderr and "Fatal" not in process.stderr, process.stderr[-2000:]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
