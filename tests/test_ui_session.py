"""The window over the Session: widgets that take every valid value, a remembered state that never stops start-up,
no display, exit codes of ``open --start --screenshot``, the live learning-rate column, and no thread or memory
leak over 100 start/stop cycles. Real window (offscreen Qt), real engine."""
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PyQt6 import sip
from PyQt6.QtCore import QByteArray, QObject, QSettings, Qt, QThread
from PyQt6.QtWidgets import QMainWindow

from kgui.core.runs import RunStore
from kgui.core.session import JobKind, Session
from kgui.core.experiment.settings import MAX_BATCH_SIZE, MAX_SEED, MAX_STEPS, ExperimentSettings
from kgui.ui.learning_rate import rate_to_position
from kgui.ui.main_window import MainWindow
from kgui.ui.runs_table import COLUMNS
from ui_support import (ROOT, RUN_TIMEOUT_MS, configure, messages, wait_for_steps,  # noqa: F401 - fixtures
                        wait_until_idle, wait_until_paused, window)

BIG = {"steps": MAX_STEPS, "seed": MAX_SEED, "batch_size": MAX_BATCH_SIZE}   # seed: over QSpinBox's 2**31 - 1


def run_main(tmp_path, *args, env=None, timeout=300):
    """``python main.py ARGS`` with its runs and remembered state in ``tmp_path``."""
    env = dict(os.environ if env is None else env, KGUI_RUNS_DIR=str(tmp_path / "runs"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def offscreen_env():
    return dict(os.environ, QT_QPA_PLATFORM="offscreen")


# -- the form takes every value validation accepts -------------------------------------------------------------------

def test_form_takes_every_value_validation_accepts_without_clamping(qtbot, window):
    settings = window.settings().replace(**BIG)
    settings.validate()
    window.apply_settings(settings)
    assert window.settings() == settings
    window.apply_settings(settings.replace(steps=1_000_001))
    assert window.settings().steps == 1_000_001                  # no silent clamp at 1,000,000

    box = window.form.steps_box
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "9999999")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert window.settings().steps == 9_999_999
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Up)
    assert box.value() == MAX_STEPS
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), str(MAX_STEPS + 1))         # the last digit would pass the bound: refused
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == MAX_STEPS // 10 and window.settings().steps == MAX_STEPS // 10
    window.form.batch_box.setValue(0)
    assert window.form.batch_box.text() == "full batch" and window.settings().batch_size is None
    for bad in (0, MAX_STEPS + 1):                                # outside validation's bounds: refused, not clamped
        with pytest.raises(ValueError):
            box.setValue(bad)
    assert box.value() == MAX_STEPS // 10


def test_open_with_large_values_starts_remembers_and_restores_them(tmp_path):
    shot = tmp_path / "shot.png"
    flags = ["--steps", BIG["steps"], "--seed", BIG["seed"], "--batch-size", BIG["batch_size"]]
    first = run_main(tmp_path, "open", *flags, "--screenshot", shot, env=offscreen_env())
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr
    assert shot.exists()
    again = run_main(tmp_path, "open", "--screenshot", shot, env=offscreen_env())   # restores them
    assert again.returncode == 0 and again.stderr.count("kgui: warning") == 0, again.stderr
    remembered = QSettings(str(tmp_path / "config" / "kgui" / "kgui.conf"), QSettings.Format.IniFormat)
    restored = ExperimentSettings.from_json(remembered.value("experiment"))
    assert (restored.steps, restored.seed, restored.batch_size) == (BIG["steps"], BIG["seed"], BIG["batch_size"])


# -- restoring never prevents start-up -------------------------------------------------------------------------------

def test_unreadable_remembered_values_fall_back_to_defaults_with_one_line_each(qtbot, tmp_path, capfd, messages):
    preferences = QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat)
    garbage = {"window/geometry": 12, "window/state": "garbage", "experiment": '{"steps": 0, "seed": -1}',
               "plot/smoothing": "abc", "plot/x_axis": "sideways", "plot/log_y": "maybe", "runs/shown": "{not json",
               "runs/setting_columns": '["momentum", "no_such_setting"]'}
    for key, value in garbage.items():
        preferences.setValue(key, value)
    preferences.sync()
    win = MainWindow(store=RunStore(tmp_path / "runs"), preferences=preferences)
    qtbot.addWidget(win)
    win.show()
    lines = capfd.readouterr().err.splitlines()
    warnings = [line for line in lines if line.startswith("kgui: warning: ")]
    assert len(warnings) == len(garbage) + 1, lines   # the experiment's two bad values: a line each
    assert all(any(key in line for line in warnings) for key in garbage)
    defaults = ExperimentSettings()
    assert (win.settings().steps, win.settings().seed) == (defaults.steps, defaults.seed)
    assert win.plot.smoothing == 0 and win.plot.x_axis == "step" and not win.commands.log_y.isChecked()
    assert win.runs_table.setting_columns() == []      # none of a list with a setting this version does not have


def test_the_runs_tables_setting_columns_are_remembered_across_launches(qtbot, tmp_path, messages):
    preferences = QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat)
    first = MainWindow(store=RunStore(tmp_path / "runs"), preferences=preferences)
    qtbot.addWidget(first)
    first.show()
    menu = first.runs_table.column_menu()
    for title in ("Momentum", "L2"):
        next(action for action in menu.actions() if action.text() == title).trigger()
    assert first.runs_table.setting_columns() == ["momentum", "l2"]
    first.close()
    again = MainWindow(store=RunStore(tmp_path / "runs"), preferences=preferences)
    qtbot.addWidget(again)
    again.show()
    assert again.runs_table.setting_columns() == ["momentum", "l2"]
    assert again.runs_table.model.headerData(len(COLUMNS), Qt.Orientation.Horizontal) == "Momentum"


def test_experiment_json_that_is_not_an_experiment_keeps_the_defaults(qtbot, tmp_path, capfd, messages):
    preferences = QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat)
    preferences.setValue("experiment", "[" * 100_000)              # deeply nested JSON
    win = MainWindow(store=RunStore(tmp_path / "runs"), preferences=preferences)
    qtbot.addWidget(win)
    other = MainWindow(store=RunStore(tmp_path / "other"))
    qtbot.addWidget(other)      # held until the test ends (conftest: a window collected while shown crashes)
    assert win.settings() == other.settings()
    assert capfd.readouterr().err.count("kgui: warning: ignoring the remembered experiment") >= 1


# -- no display, exit codes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("display", [None, ":87"])
def test_no_display_is_one_line_and_exit_1(tmp_path, display):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    if display:
        env["DISPLAY"] = display
    for args in ((), ("open", "--start")):
        result = run_main(tmp_path, *args, env=env, timeout=120)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("kgui: error: ")
        assert "xvfb-run" in result.stderr and "QT_QPA_PLATFORM=offscreen" in result.stderr
        assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("flags", "code"), [(["--lr", "50"], 3), (["--dataset", "{bad}"], 1)])
def test_open_start_screenshot_exits_like_run(tmp_path, flags, code):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n5\n")
    flags = [str(bad) if flag == "{bad}" else flag for flag in flags]
    shot = tmp_path / "shot.png"
    result = run_main(tmp_path, "open", "--dataset", "linear", "--steps", 40, *flags, "--start", "--screenshot", shot,
                      env=offscreen_env())
    assert result.returncode == code, result.stderr
    assert shot.exists() and "Traceback" not in result.stderr


# -- the runs table's learning-rate column follows the run -----------------------------------------------------------

def test_learning_rate_column_follows_a_live_change(qtbot, window):
    configure(window, steps=1_000, rate=0.05)
    window.commands.step.trigger()
    wait_for_steps(qtbot, window, 1)
    wait_until_paused(qtbot, window)
    window.form.lr_control.slider.setValue(rate_to_position(0.5))
    window.commands.step.trigger()
    wait_for_steps(qtbot, window, 2)
    assert window.runs_table.cell_text(window.session.live_run_id, "Learning rate") == "0.05 → 0.5"
    assert window.jobs.running                                         # while the run goes on, not at its end
    window.stop()
    wait_until_idle(qtbot, window)


# -- threads and memory ----------------------------------------------------------------------------------------------

def live_qthreads(win) -> int:
    """QThread objects still alive: Python wrappers not deleted, and the window's QThread children."""
    wrapped = [obj for obj in gc.get_objects() if issubclass(type(obj), QThread) and not sip.isdeleted(obj)]
    return max(len(wrapped), len(win.findChildren(QThread)))


def test_finished_jobs_leave_no_thread_driver_or_worker_behind(qtbot, window):
    configure(window, steps=1_000_000, n=50)
    watched = ("Job", "RemoteJob", "JobThread", "_Driver", "Trainer")
    earlier = {id(obj) for obj in gc.get_objects() if type(obj).__name__ in watched}   # other tests' windows
    workers = set()
    for _ in range(10):
        assert window.start()
        wait_for_steps(qtbot, window, 1)
        window.stop()
        qtbot.waitUntil(lambda: not window.jobs.running, timeout=RUN_TIMEOUT_MS)
        workers.add(window.jobs.job.process.pid)
    qtbot.wait(50)
    gc.collect()
    assert live_qthreads(window) <= 2
    kept = [type(obj).__name__ for obj in gc.get_objects()
            if type(obj).__name__ in watched and id(obj) not in earlier and not
            (isinstance(obj, QObject) and sip.isdeleted(obj))]
    assert kept == ["RemoteJob"]                   # the last job only (the window shows its result); no trainer here
    assert len(workers) == 1                       # one worker, reused by every run


def test_a_saved_run_gets_its_curves_when_first_shown(qtbot, tmp_path, messages):
    store = RunStore(tmp_path / "runs")
    session = Session(store)
    record = session.new_job(JobKind.TRAINING, ExperimentSettings(dataset_options={"n": 50}, steps=7)).run()
    win = MainWindow(store=store, preferences=QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    table = win.runs_table
    assert table.run_ids() == [record.id] and record.id not in win.plot.runs
    assert table.cell_text(record.id, "Steps") == "7"      # from the run's summary
    assert win.session.runs[record.id].history == []
    table.set_checked(record.id, True)
    assert len(win.session.runs[record.id].history) == 7 and win.plot.runs[record.id].train.isVisible()


def test_remembered_values_this_version_cannot_use_get_one_warning_each(qtbot, tmp_path, capfd, messages):
    preferences = QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat)
    preferences.setValue("experiment", json.dumps({"dataset": "iris", "model": "mlp", "hidden": [8],
                                                   "activation": "swish", "optimizer": "lion", "seed": 9}))
    win = MainWindow(store=RunStore(tmp_path / "runs"), preferences=preferences)
    qtbot.addWidget(win)
    warnings = [line for line in capfd.readouterr().err.splitlines() if line.startswith("kgui: warning: ")]
    assert len(warnings) == 2 and "experiment's activation" in warnings[0] and "'swish'" in warnings[0]
    assert "experiment's optimizer" in warnings[1] and "'lion'" in warnings[1]
    settings = win.settings()
    assert (settings.dataset, settings.hidden, settings.seed, settings.activation, settings.optimizer) == \
        ("iris", (8,), 9, "relu", "sgd")


def test_a_geometry_saved_on_a_screen_of_another_size_keeps_its_size_without_a_warning(qtbot, tmp_path, capfd,
                                                                                       messages):
    """Qt refuses a geometry saved on a screen more than 20 % wider or narrower (xvfb-run's 1920 px after the
    offscreen platform's 800): every launch that switched said "ignoring the remembered window/geometry"."""
    preferences = QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat)
    first = MainWindow(store=RunStore(tmp_path / "runs"), preferences=preferences)
    qtbot.addWidget(first)
    first.resize(first.minimumSizeHint().width() + 20, first.minimumSizeHint().height() + 10)
    first.show()
    size = (first.width(), first.height())
    saved = bytes(first.saveGeometry())
    first.close()
    screen_width_at = 46      # after the header (8 bytes), two rects (32), screen number (4), two flags (2)
    geometry = QByteArray(saved[:screen_width_at] + (1920 * 3).to_bytes(4, "big") + saved[screen_width_at + 4:])
    assert not QMainWindow().restoreGeometry(geometry)          # as saved on a screen three times as wide
    preferences.setValue("window/geometry", geometry)
    preferences.sync()
    capfd.readouterr()
    again = MainWindow(store=RunStore(tmp_path / "runs"), preferences=preferences)
    qtbot.addWidget(again)
    again.show()
    assert "window/geometry" not in capfd.readouterr().err
    assert (again.width(), again.height()) == size
