"""Compare and explore in the real window: runs overlay and table, backend parity, the learning-rate range test,
the fit view, remembered state and experiment files. Real engines, offscreen Qt, modal dialogs intercepted."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QFileDialog, QMessageBox

from kgui.core.training.lr_finder import DEFAULT_STEPS
from kgui.core.runs import RunRecord, RunStatus, RunStore
from kgui.core.session import RangePoints
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.smoothing import smoothed
from kgui.ui.learning_rate import rounded
from kgui.ui.main_window import MainWindow
from kgui.ui.runs_table import COLUMNS
from test_core_lr_finder import sensible_band
from ui_support import (ENGINES, ROOT, configure, messages, train, wait_for_job,  # noqa: F401 - fixtures
                        wait_for_steps, wait_until_idle, window)

OTTO = Path(os.environ.get("KGUI_OTTO_DIR", ROOT.parent / "shared/data/kaggle_ottogroup"))
both_engines = pytest.mark.skipif(len(ENGINES) < 2, reason="needs two installed engines")


def curve_data(win, run_id):
    run = win.plot.runs[run_id]
    win.plot.redraw()
    return run.train.xData, run.train.yData  # as set (getData() is clipped to the view)


@pytest.fixture
def preferences(tmp_path):
    return QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat)


def open_window(qtbot, store_dir, preferences):
    win = MainWindow(store=RunStore(store_dir), preferences=preferences)
    qtbot.addWidget(win)
    win.show()
    return win


# -- runs side by side -----------------------------------------------------------------------------------------------

def test_every_run_stays_on_the_plot_with_its_own_colour_and_row(qtbot, window):
    first = train(qtbot, window, steps=15, rate=0.05)
    second = train(qtbot, window, steps=10, rate=0.5)
    plot, table = window.plot, window.runs_table
    assert list(plot.runs) == [first.id, second.id] == table.run_ids()
    assert plot.runs[first.id].color != plot.runs[second.id].color
    legend = [label.text for _, label in plot.legend.items]
    assert legend == ["#1 TensorFlow · Linear · n 200 · 15 steps · lr 0.05",
                      "#2 TensorFlow · Linear · n 200 · 10 steps · lr 0.5"]
    for record in (first, second):
        x, y = curve_data(window, record.id)
        assert list(x) == [s.step for s in record.history]
        assert np.allclose(y, [s.train_loss for s in record.history])
    cells = [table.cell_text(second.id, column) for column in COLUMNS]
    assert cells[1].startswith("TensorFlow 2.") and cells[2:5] == ["Linear", "0.5", "10"]
    assert float(cells[5]) == pytest.approx(second.history[-1].train_loss, rel=1e-3)
    assert cells[7] == "—" and float(cells[8]) > 0 and cells[9] == "finished"

    table.set_checked(first.id, False)  # hide
    assert not plot.runs[first.id].train.isVisible() and len(plot.legend.items) == 1
    assert window.session.shown_run_ids() == [second.id]
    table.select(second.id)  # highlight: the other run fades
    assert plot.highlighted == second.id
    assert plot.runs[first.id].train.opts["pen"].color().alpha() < 255
    assert plot.runs[second.id].train.opts["pen"].color().alpha() == 255


def test_rename_delete_rerun_and_load_settings(qtbot, window, monkeypatch, tmp_path):
    first = train(qtbot, window, steps=5, rate=0.05, n=100)
    second = train(qtbot, window, steps=5, rate=0.2, n=100)
    table, store = window.runs_table, RunStore(tmp_path / "runs")

    table.rename(first.id, "  baseline ")
    assert store.load(first.id).name == "baseline" and window.session.runs[first.id].name == "baseline"

    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes])
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a: asked.append(text) or next(answers))
    table.select(second.id)
    table.delete_action.trigger()
    assert store.exists(second.id) and second.id in window.plot.runs  # cancelled
    table.delete_action.trigger()
    assert "“TensorFlow · Linear · n 100 · 5 steps · lr 0.2”" in asked[-1]
    assert not store.exists(second.id) and second.id not in window.plot.runs and table.run_ids() == [first.id]

    window.form.steps_box.setValue(99)
    window.form.lr_control.set_rate(3.0)
    table.select(first.id)
    table.load_action.trigger()
    assert window.settings() == first.settings
    table.rerun_action.trigger()
    wait_until_idle(qtbot, window)
    rerun = window.session.last_ended
    assert rerun.id != first.id and rerun.settings == first.settings
    assert [s.train_loss for s in rerun.history] == [s.train_loss for s in first.history]
    assert len(table.run_ids()) == 2


def test_renaming_the_live_run_survives_its_end(qtbot, window, tmp_path):
    configure(window, steps=100_000, n=100)
    window.start()
    wait_for_steps(qtbot, window, 3)
    run_id = window.session.live_run_id
    window.runs_table.rename(run_id, "named while training")
    window.stop()
    wait_until_idle(qtbot, window)
    assert RunStore(tmp_path / "runs").load(run_id, with_history=False).name == "named while training"


def test_smoothing_wall_time_axis_and_log_y(qtbot, window):
    record = train(qtbot, window, steps=30, rate=0.05)
    plot = window.plot
    plot.smoothing_slider.setValue(60)
    assert plot.smoothing == 0.6
    _, y = curve_data(window, record.id)
    assert np.allclose(y, smoothed([s.train_loss for s in record.history], 0.6))
    assert plot.runs[record.id].raw.isVisible()  # the raw curve stays faintly behind
    plot.x_axis_box.setCurrentIndex(plot.x_axis_box.findData("time"))
    x, _ = curve_data(window, record.id)
    assert np.allclose(x, [s.elapsed for s in record.history])
    assert plot.item.getAxis("bottom").labelText == "wall time (s)"
    window.commands.log_y.setChecked(True)
    assert plot.item.ctrl.logYCheck.isChecked()
    plot.smoothing_slider.setValue(0)
    _, y = curve_data(window, record.id)
    assert np.allclose(y, [s.train_loss for s in record.history])
    assert not plot.runs[record.id].raw.isVisible()


# -- backend parity --------------------------------------------------------------------------------------------------

@both_engines
def test_compare_backends_overlays_the_engines_and_exports(qtbot, window, monkeypatch, tmp_path):
    longer = train(qtbot, window, steps=400, rate=0.5)     # an earlier, longer run of the same data stays shown
    configure(window, steps=20, rate=0.3)
    assert window.commands.compare.trigger() is None and window.jobs.running
    wait_for_job(qtbot, window)
    result = window.parity_view.result
    # the view fits the comparison's curves (it showed them squeezed into the first 20 of the longer run's 400 steps)
    window.plot.redraw()
    (x_low, x_high), (y_low, y_high) = window.plot.panel_of(longer.id).item.vb.viewRange()
    losses = [loss for record in result.records for step in record.history for loss in (step.train_loss,
                                                                                          step.val_loss)]
    assert x_high < 25 and y_low <= min(losses) and max(losses) <= y_high
    assert y_high - y_low < 1.5 * (max(losses) - min(losses))
    window.commands.auto_range.trigger()                    # every shown run again
    window.plot.redraw()
    assert window.plot.panel_of(longer.id).item.vb.viewRange()[0][1] >= 400
    assert [r.engine for r in result.records] == ENGINES
    assert result.verdict.startswith("same within float32 tolerance")
    assert window.parity_view.verdict.text().startswith("Same within float32 tolerance: max |Δloss| = ")
    assert "Backend parity: Same within" in window.statusBar().currentMessage()
    assert window.parity_view.table.rowCount() == len(ENGINES)
    for record in result.records:
        assert record.id in window.plot.runs and window.runs_table.is_checked(record.id)
        assert len(window.session.runs[record.id].history) == 20
    target = tmp_path / "parity.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), "CSV table (*.csv)"))
    window.parity_view.export_button.click()
    header, *rows = target.read_text().splitlines()
    assert header == "step," + ",".join(f"train_loss_{e}" for e in ENGINES) + ",max_abs_diff" and len(rows) == 20


@both_engines
def test_parity_on_otto_25_steps_within_1e_4(qtbot, window):
    if not (OTTO / "train.csv.gz").is_file():
        pytest.skip(f"real Otto data not found in {OTTO} (set KGUI_OTTO_DIR)")
    window.form.dataset_picker.select("otto", {"path": str(OTTO)})
    window.form.steps_box.setValue(25)
    window.form.lr_control.set_rate(0.01)
    window.compare_backends()
    wait_for_job(qtbot, window)
    result = window.parity_view.result
    assert [len(r.history) for r in result.records] == [25] * len(ENGINES)
    assert result.largest.value <= 1e-4 and result.parting is None
    assert window.fit_view.currentWidget() is window.fit_view.classes_page


# -- learning-rate range test ----------------------------------------------------------------------------------------

def test_range_test_suggests_a_rate_in_the_band_and_sets_the_slider(qtbot, window):
    configure(window, n=1000)
    after_points = []   # preparing is over at the first points: no busy bar, no elapsed counter
    window.session.subscribe(lambda event: isinstance(event, RangePoints) and after_points.append(
        (window.job_status.load_bar.isVisible(), window.job_status.engine_state.text())))
    window.commands.range_test.trigger()
    assert window.tabs.currentWidget() is window.lr_range_view
    wait_for_job(qtbot, window)
    assert after_points and set(after_points) == {(False, "testing rates")}
    view = window.lr_range_view
    low, high = sensible_band()
    assert low <= view.suggestion <= high, view.result.summary()
    assert view.item.ctrl.logXCheck.isChecked()
    rates, losses = view.smooth_curve.getData()
    assert 10 <= len(rates) <= DEFAULT_STEPS and np.all(np.diff(rates) > 0)
    assert view.summary.text().lower().startswith("suggested learning rate")
    assert view.use_button.isEnabled()
    view.use_button.click()
    assert window.form.lr_control.rate == rounded(view.suggestion)
    assert f"lr {rounded(view.suggestion):.3g}" in window.windowTitle()


def test_range_test_can_be_cancelled(qtbot, window):
    configure(window)
    window.range_test()
    window.lr_range_view.cancel_button.click()
    wait_for_job(qtbot, window)
    assert window.lr_range_view.result.status == "stopped"
    assert window.commands.start.isEnabled() and window.lr_range_view.start_button.isEnabled()


# -- see what is learned ---------------------------------------------------------------------------------------------

def test_fitted_line_over_the_data_with_the_true_values(qtbot, window):
    record = train(qtbot, window, steps=40, rate=0.5)
    window.plot.redraw()
    page = window.fit_view.line_page
    assert window.fit_view.currentWidget() is page
    x, y = page.scatter.getData()
    assert len(x) == 160 and 0 <= x.min() and x.max() <= 1  # the training split of n=200
    w, b = record.history[-1].params["w"], record.history[-1].params["b"]
    line_x, line_y = page.fit_curve.getData()
    assert np.allclose(line_y, w * line_x + b)
    assert np.allclose(page.true_curve.getData()[1], 0.96 * line_x + 0.24)
    assert f"w = {w:.4f} (true 0.96)" in page.caption.text() and "(true 0.24)" in page.caption.text()


def test_accuracy_and_confusion_matrix_for_classification(qtbot, window):
    window.form.dataset_picker.select("iris")
    window.form.steps_box.setValue(20)
    window.form.lr_control.set_rate(0.5)
    window.start()
    wait_until_idle(qtbot, window)
    window.plot.redraw()
    page = window.fit_view.classes_page
    assert window.fit_view.currentWidget() is page
    steps, accuracy = page.curve.getData()
    history = window.session.last_ended.history
    assert list(steps) == list(range(1, 21)) and np.allclose(accuracy, [s.accuracy for s in history])
    matrix = page.matrix
    assert matrix.rowCount() == matrix.columnCount() == 3
    counts = np.array([[int(matrix.item(r, c).text()) for c in range(3)] for r in range(3)])
    assert counts.sum() == 30  # iris' validation split
    # a step's accuracy is of the weights it starts from; the matrix is of the weights after the last step
    accuracy_after = np.trace(counts) / counts.sum()
    assert f"accuracy {100 * accuracy_after:.1f} %" in page.title.text()
    assert "weights after step 20" in page.title.text()


# -- a window that remembers -----------------------------------------------------------------------------------------

def test_restart_restores_state_and_saved_runs(qtbot, tmp_path, preferences, messages):
    first = open_window(qtbot, tmp_path / "runs", preferences)
    first.resize(1300, 820)
    first.form.dataset_picker.select("iris")
    first.form.backend_picker.select(ENGINES[-1])
    first.form.lr_control.set_rate(0.3)
    first.form.steps_box.setValue(6)
    first.start()
    wait_until_idle(qtbot, first)
    run_id = first.session.last_ended.id
    first.plot.smoothing_slider.setValue(40)
    first.commands.log_y.setChecked(True)
    first.surface_view.show_test_box.setChecked(False)
    first.surface_view.discretize_box.setChecked(True)
    first.fit_dock.close()
    first.close()

    second = open_window(qtbot, tmp_path / "runs", preferences)
    settings = second.settings()
    assert (settings.dataset, settings.backend, settings.learning_rate, settings.steps) == \
           ("iris", ENGINES[-1], 0.3, 6)
    assert (second.width(), second.height()) == (1300, 820)
    assert second.fit_dock.isHidden() and not second.runs_dock.isHidden()
    assert second.plot.smoothing == 0.4 and second.commands.log_y.isChecked()
    assert not second.surface_view.show_test_box.isChecked() and second.surface_view.discretize_box.isChecked()
    assert second.runs_table.run_ids() == [run_id] and second.session.shown_run_ids() == [run_id]
    assert [s.train_loss for s in second.session.runs[run_id].history] == \
           [s.train_loss for s in first.session.last_ended.history]
    assert second.plot.runs[run_id].train.isVisible()


def test_runs_dir_from_the_environment(qtbot, tmp_path, monkeypatch, messages):
    monkeypatch.setenv("KGUI_RUNS_DIR", str(tmp_path / "env-runs"))
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.session.store.root == tmp_path / "env-runs"
    assert MainWindow(runs_dir=tmp_path / "other").session.store.root == tmp_path / "other"


def test_experiment_file_runs_the_same_headless(qtbot, window, monkeypatch, tmp_path):
    configure(window, steps=12, rate=0.3, n=300)
    window.form.seed_box.setValue(7)
    path = tmp_path / "experiment.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "experiment"),
                                                                      "kgui experiment (*.json)"))
    window.commands.save_experiment.trigger()
    saved = ExperimentSettings.load(path)
    assert saved == window.settings() and json.loads(path.read_text())["seed"] == 7

    configure(window, steps=3, rate=0.01)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(path), "kgui experiment (*.json)"))
    window.commands.open_experiment.trigger()
    assert window.settings() == saved
    window.start()
    wait_until_idle(qtbot, window)

    cli_runs = tmp_path / "cli-runs"
    result = subprocess.run([sys.executable, "main.py", "run", "--config", str(path), "--runs-dir", str(cli_runs)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    cli_record, = RunStore(cli_runs).list(with_history=True)
    assert cli_record.settings == saved
    columns = ("step", "train_loss", "val_loss", "learning_rate", "params")
    assert [[getattr(s, c) for c in columns] for s in cli_record.history] == \
           [[getattr(s, c) for c in columns] for s in window.session.last_ended.history]


def test_opening_a_bad_experiment_file_explains(window, monkeypatch, tmp_path, messages):
    path = tmp_path / "bad.json"
    path.write_text('{"learning_rate": "fast"}')
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(path), ""))
    before = window.settings()
    window.commands.open_experiment.trigger()
    (kind, title, text), = messages
    assert (kind, title) == ("critical", "Cannot open the experiment") and "learning_rate must be a number" in text
    assert window.settings() == before



def test_load_settings_and_rerun_of_another_versions_run_say_what_cannot_be_used(qtbot, tmp_path, preferences,
                                                                                messages):
    """A run saved with an engine, optimizer and steps this version cannot use: Load settings loads the rest and
    names them in one message; Re-run trains nothing (never SGD under the name of lion)."""
    store = RunStore(tmp_path / "runs")
    record = RunRecord.new(ExperimentSettings.from_dict({"backend": "cntk", "dataset": "iris", "optimizer": "lion",
                                                         "steps": 2**31, "learning_rate": 0.3, "seed": 5}))
    record.status = RunStatus.FINISHED
    store.begin(record).close()
    win = open_window(qtbot, store.root, preferences)
    assert not win.runs_controller.load_settings(record.id)
    (kind, _, text), = messages
    assert kind == "critical" and "'cntk'" in text and "'lion'" in text and "2,147,483,648" in text
    settings = win.settings()
    assert (settings.dataset, settings.learning_rate, settings.seed, settings.optimizer) == ("iris", 0.3, 5, "sgd")
    assert not win.runs_controller.rerun(record.id) and not win.jobs.running and win.session.last_ended is None
    assert [r.id for r in store.list()] == [record.id]


def test_a_comparison_of_four_engines_shows_every_row_in_a_1400_by_900_window(qtbot, window):
    """The Parity dock shares the right side with the Network dock: its table shows all four engines' rows, one line
    each (a wrapped 'Theano (PyTensor) 3.0.7' pushed JAX's and PyTorch's rows out of sight)."""
    window.resize(1400, 900)
    view = window.parity_view
    view.show_running(["tensorflow", "theano", "jax", "torch"])
    window.parity_dock.raise_()
    qtbot.waitUntil(lambda: view.table.isVisible() and view.table.viewport().height() > 0)
    qtbot.wait(50)
    table = view.table
    for row in range(4):
        rect = table.visualRect(table.model().index(row, 0))
        assert table.rowHeight(row) == table.verticalHeader().defaultSectionSize()     # one line
        assert 0 <= rect.top() and rect.bottom() <= table.viewport().height(), (row, rect, table.viewport().height())
