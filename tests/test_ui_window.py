"""The live window driven with qtbot on real engines: runs, live learning rate, pause/step/stop, export, closing."""
import csv
import json
import os
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QDialog, QFileDialog, QMessageBox

from kgui import backend
from kgui.core.data import datasets
from kgui.core.runs import RunStore
from kgui.ui import datasets as ui_datasets
from kgui.ui.learning_rate import position_to_rate, rate_to_position
from kgui.ui.main_window import MainWindow
from kgui.ui.run_readout import STEP_MS_WINDOW
from ui_support import (ENGINES, ROOT, RUN_TIMEOUT_MS, configure, live_history, messages,  # noqa: F401 - fixtures
                        wait_for_steps, wait_until_idle, wait_until_paused, window)


def test_window_opens_without_importing_an_engine(tmp_path):
    code = ("import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
            "from PyQt6.QtWidgets import QApplication; app = QApplication([])\n"
            "from kgui.ui.main_window import MainWindow; w = MainWindow(); w.show(); app.processEvents()\n"
            "print(w.windowTitle()); print(sorted(m for m in ('tensorflow', 'pytensor', 'jax', 'torch') if m in sys.modules))")
    env = dict(os.environ, KGUI_RUNS_DIR=str(tmp_path / "runs"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=env)
    title, loaded = result.stdout.strip().splitlines()[-2:]
    assert title.startswith("kgui")
    assert loaded == "[]"


def test_backend_picker_lists_every_engine_with_version(window):
    picker = window.form.backend_picker
    for info in backend.available():
        index = picker.findData(info.id)
        item = picker.model().item(index)
        assert item.isEnabled() == info.installed
        if info.installed:
            assert info.version in picker.itemText(index)
        else:
            assert info.install_hint in item.toolTip()


def test_engine_not_installed_is_listed_disabled_with_its_pip_command(qtbot, monkeypatch):
    from kgui.core.training import engines
    from kgui.ui.panels import BackendPicker

    missing = engines.Engine("torch", "PyTorch", None, "pip install torch==2.13.0")
    present = [e for e in engines.all_engines() if e.id != "torch"]
    monkeypatch.setattr(engines, "all_engines", lambda: [*present, missing])
    picker = BackendPicker()
    qtbot.addWidget(picker)
    assert [picker.itemData(i) for i in range(picker.count())] == [*(e.id for e in present), "torch"]
    item = picker.model().item(picker.findData("torch"))
    assert not item.isEnabled() and "pip install torch==2.13.0" in item.toolTip()
    assert picker.itemText(picker.findData("torch")) == "PyTorch (not installed)"
    with pytest.raises(ValueError, match="PyTorch is not installed"):
        picker.select("pytorch")
    assert picker.engine == present[0].id  # a disabled engine cannot be chosen
    picker.select("jax")
    assert picker.engine == "jax" and picker.title == "JAX"


def test_learning_rate_slider_is_logarithmic():
    assert position_to_rate(0) == pytest.approx(1e-5)
    assert position_to_rate(rate_to_position(10)) == pytest.approx(10)
    assert position_to_rate(rate_to_position(0.01)) == pytest.approx(0.01)
    assert rate_to_position(1e-3) - rate_to_position(1e-4) == rate_to_position(1) - rate_to_position(0.1)


def test_typed_learning_rate_and_abc(window, messages):
    window.form.lr_control.box.setText("0.2")
    window.form.lr_control.box.editingFinished.emit()
    assert window.form.lr_control.rate == 0.2
    assert window.form.lr_control.slider.value() == rate_to_position(0.2)
    window.form.lr_control.box.setText("abc")
    window.form.lr_control.box.editingFinished.emit()
    assert [kind for kind, *_ in messages] == ["warning"]
    assert "'abc' is not a number" in messages[0][2]
    assert window.form.lr_control.rate == 0.2 and window.form.lr_control.box.text() == "0.2"
    assert window.settings().learning_rate == 0.2
    assert window.windowTitle().startswith("kgui") and "lr 0.2" in window.windowTitle()


@pytest.mark.parametrize("engine", ENGINES)
def test_train_linear_and_change_the_rate_on_the_next_step(qtbot, window, engine):
    configure(window, engine, steps=40, rate=0.05)
    for done in (1, 2, 3):
        window.commands.step.trigger()  # from idle: a paused run; then one step each
        wait_for_steps(qtbot, window, done)
    assert window.jobs.paused and window.commands.pause.text() == "Resume"
    wait_until_paused(qtbot, window)
    window.form.lr_control.slider.setValue(rate_to_position(0.5))
    assert window.form.lr_control.rate == 0.5
    window.commands.step.trigger()
    wait_for_steps(qtbot, window, done + 1)
    assert [s.learning_rate for s in live_history(window)[done - 1:done + 1]] == [0.05, 0.5]   # the next step, not later
    assert window.plot.marker_labels() == [(done + 1, "lr 0.5")]
    window.commands.pause.trigger()  # resume
    wait_until_idle(qtbot, window)
    record = window.jobs.job.result
    assert record.status == "finished" and record.engine == engine
    assert [s.step for s in record.history] == list(range(1, 41))
    assert all(s.learning_rate == 0.5 for s in record.history[done:])
    assert record.lr_changes == [(done + 1, 0.5)]
    assert window.plot.marker_labels() == [(done + 1, "lr 0.5")]
    assert live_history(window)[-1].train_loss < live_history(window)[0].train_loss
    assert window.live_panel.values["params"].text().startswith("w = ")
    recent_ms = statistics.median(s.step_ms for s in record.history[-STEP_MS_WINDOW:])   # steady, not the last step's
    assert window.live_panel.values["step_ms"].text() == f"{recent_ms:.2f} ms (median, last {STEP_MS_WINDOW})"
    assert window.job_status.engine_state.text() == "finished"
    assert "[finished]" in window.windowTitle()


def test_slider_mid_run_switches_cleanly(qtbot, window):
    configure(window, steps=100_000, rate=0.01, n=100)
    window.start()
    wait_for_steps(qtbot, window, 20)
    window.form.lr_control.slider.setValue(rate_to_position(0.1))
    seen_at_change = len(live_history(window))
    wait_for_steps(qtbot, window, seen_at_change + 50)
    window.commands.stop.trigger()
    wait_until_idle(qtbot, window)
    record = window.session.last_ended
    assert record.status == "stopped"
    (first_new, rate), = record.lr_changes
    assert rate == 0.1 and first_new > seen_at_change
    rates = [s.learning_rate for s in record.history]
    assert set(rates[:first_new - 1]) == {0.01} and set(rates[first_new - 1:]) == {0.1}
    window.plot.redraw()
    assert window.plot.marker_labels() == [(first_new, "lr 0.1")]


def test_pause_resume_stop_and_the_stored_run(qtbot, window, tmp_path):
    configure(window, steps=100_000, n=100)
    window.start()
    wait_for_steps(qtbot, window, 5)
    assert not window.commands.start.isEnabled() and not window.form.backend_picker.isEnabled()
    window.commands.pause.trigger()
    wait_until_paused(qtbot, window)
    paused_at = len(live_history(window))
    qtbot.wait(200)
    assert len(live_history(window)) == paused_at
    window.commands.pause.trigger()
    wait_for_steps(qtbot, window, paused_at + 10)
    window.commands.stop.trigger()
    wait_until_idle(qtbot, window)
    assert not window.jobs.running
    assert window.session.last_ended.status == "stopped" and window.job_status.engine_state.text() == "stopped"
    stored = RunStore(tmp_path / "runs").load(window.session.last_ended.id)
    assert stored.status == "stopped" and len(stored.history) == len(live_history(window))
    assert window.commands.start.isEnabled() and window.form.backend_picker.isEnabled()


def test_step_from_idle_runs_exactly_one_step(qtbot, window):
    configure(window, steps=50)
    window.commands.step.trigger()
    wait_for_steps(qtbot, window, 1)
    qtbot.wait(200)
    assert len(live_history(window)) == 1 and window.jobs.paused
    window.commands.step.trigger()
    wait_for_steps(qtbot, window, 2)
    window.commands.stop.trigger()
    wait_until_idle(qtbot, window)
    assert [s.step for s in window.session.last_ended.history] == [1, 2]


@pytest.fixture
def finished_run(qtbot, window):
    configure(window, steps=30, rate=0.1)
    window.start()
    wait_for_steps(qtbot, window, 10)
    window.form.lr_control.box.setText("0.3")
    window.form.lr_control.box.editingFinished.emit()
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "finished"
    return window


@pytest.mark.parametrize("fmt", ["png", "svg", "csv", "json"])
def test_export_each_format(finished_run, monkeypatch, tmp_path, fmt):
    window = finished_run
    target = tmp_path / f"out.{fmt}"
    asked = []

    def save_dialog(parent, title, suggested, filters):
        asked.append((suggested, filters))
        return str(target), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    window.commands.export_formats[fmt].trigger()
    assert asked and f".{fmt}" in asked[0][1]
    history = window.session.last_ended.history
    if fmt == "png":
        image = QImage(str(target))
        assert not image.isNull() and image.width() >= 400 and image.height() >= 300
    elif fmt == "svg":
        root = ElementTree.parse(target).getroot()
        assert root.tag.endswith("svg") and len(list(root.iter())) > 50
    elif fmt == "csv":
        with open(target, newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert [int(r["step"]) for r in rows] == [s.step for s in history]
        assert [float(r["train_loss"]) for r in rows] == [s.train_loss for s in history]
        assert [float(r["val_loss"]) for r in rows] == [s.val_loss for s in history]
        assert [float(r["learning_rate"]) for r in rows] == [s.learning_rate for s in history]
    else:
        run, = json.loads(target.read_text())["runs"]
        assert run["status"] == "finished" and len(run["history"]) == len(history)
        assert [s["train_loss"] for s in run["history"]] == [s.train_loss for s in history]


def test_save_plot_shortcut_and_unwritable_path(finished_run, monkeypatch, tmp_path, messages, qtbot):
    window = finished_run
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file")
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args: (str(blocked / "plot.png"), "PNG image (*.png)"))
    assert window.commands.save_plot.shortcut().toString() == "Ctrl+S"
    window.commands.save_plot.trigger()
    assert [(kind, title) for kind, title, _ in messages] == [("critical", "Export failed")]
    assert str(blocked) in messages[0][2]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "plot"), "SVG image (*.svg)"))
    assert window.commands.save_plot.isEnabled()
    window.commands.save_plot.trigger()
    assert (tmp_path / "plot.svg").stat().st_size > 1000


def test_export_before_any_run_explains(window, messages):
    window.commands.export.trigger()
    assert [kind for kind, *_ in messages] == ["information"]


def test_close_mid_run_stops_and_saves_as_stopped(qtbot, tmp_path, messages):
    window = MainWindow(store=RunStore(tmp_path / "runs"))
    window.show()
    configure(window, steps=1_000_000, n=100)
    window.start()
    wait_for_steps(qtbot, window, 5)
    job = window.jobs.job
    window.close()
    assert job.done and not window.jobs.running
    stored = RunStore(tmp_path / "runs").load(job.result.id)
    assert stored.status == "stopped" and len(stored.history) >= 5
    window.deleteLater()


def test_shortcuts(window):
    def keys(action):
        return [s.toString() for s in action.shortcuts()]

    assert keys(window.commands.start) == ["F5", "Ctrl+R"]     # F5 first: the one the menu and README name
    assert keys(window.commands.pause) == ["Space"]
    assert keys(window.commands.stop) == ["Esc"]
    assert keys(window.commands.export) == ["Ctrl+E"]
    assert keys(window.commands.save_plot) == ["Ctrl+S"]
    assert all(action.toolTip() for action in (window.commands.start, window.commands.step, window.commands.reset))


def test_space_and_escape_reach_the_run(qtbot, window):
    configure(window, steps=1_000_000, n=100)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    wait_for_steps(qtbot, window, 3)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.jobs.paused
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "stopped"


# -- bad input -------------------------------------------------------------------------------------------------------

def choose_file(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(path), "CSV files (*.csv *.csv.gz)"))


def test_open_csv_with_target_column(qtbot, window, monkeypatch, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 3},{'yes' if i % 2 else 'no'}\n" for i in range(60)))
    choose_file(monkeypatch, path)
    chosen = {}

    def accept(dialog):
        assert [dialog.column.itemText(i) for i in range(dialog.column.count())] == ["a", "b", "label"]
        chosen.update(dialog.options())
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ui_datasets.TargetColumnDialog, "exec", accept)
    window.commands.open_csv.trigger()
    qtbot.waitUntil(lambda: not window.form.dataset_picker.previewing)  # the header is read off the GUI thread
    assert chosen == {"target": "label", "task": "auto"}
    settings = window.settings()
    assert settings.dataset == str(path) and settings.dataset_options == chosen
    window.form.steps_box.setValue(5)
    window.start()
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "finished" and live_history(window)[-1].accuracy is not None


def test_binary_csv_shows_a_message(qtbot, window, monkeypatch, tmp_path, messages):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0binary")
    choose_file(monkeypatch, path)
    window.commands.open_csv.trigger()
    qtbot.waitUntil(lambda: not window.form.dataset_picker.previewing)
    assert [(kind, title) for kind, title, _ in messages] == [("critical", "Cannot use this CSV file")]
    assert window.settings().dataset == "linear"


def test_malformed_csv_fails_the_run_with_a_message(qtbot, window, monkeypatch, tmp_path, messages):
    path = tmp_path / "malformed.csv"
    path.write_text("x,y\n1,2\n3,oops\n5\n")
    choose_file(monkeypatch, path)
    monkeypatch.setattr(ui_datasets.TargetColumnDialog, "exec", lambda dialog: QDialog.DialogCode.Accepted)
    window.commands.open_csv.trigger()
    qtbot.waitUntil(lambda: not window.form.dataset_picker.previewing)
    window.start()
    qtbot.waitUntil(lambda: bool(messages), timeout=RUN_TIMEOUT_MS)
    (kind, title, text), = messages
    assert (kind, title) == ("critical", "Training failed") and "line 4" in text
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "failed" and window.commands.start.isEnabled()
    window.form.dataset_picker.select("linear")
    window.form.steps_box.setValue(3)
    window.start()
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "finished"


def test_missing_otto_offers_browse(window, monkeypatch, tmp_path, messages):
    monkeypatch.setattr(datasets, "PROJECT_DATA_DIR", tmp_path / "empty")
    monkeypatch.delenv("KGUI_DATA_DIR", raising=False)
    picker = window.form.dataset_picker
    picker.refresh_otto()
    otto = picker.findText("Otto", Qt.MatchFlag.MatchStartsWith)
    assert "not found" in picker.itemText(otto)
    picker.activated.emit(otto)
    (kind, title, text), = messages
    assert kind == "warning" and "Otto Group train.csv not found" in text
    assert window.settings().dataset == "linear"
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: QMessageBox.StandardButton.Open)
    choose_file(monkeypatch, tmp_path / "train.csv")
    picker.activated.emit(otto)
    assert window.settings().dataset == "otto"
    assert window.settings().dataset_options == {"path": str(tmp_path / "train.csv")}


def test_invalid_settings_do_not_start(window, messages):
    window.form.dataset_picker.select("linear", {"n": 1})
    assert not window.start()
    assert messages[0][:2] == ("warning", "Cannot start") and "n must be at least 2" in messages[0][2]
    assert not window.jobs.running
