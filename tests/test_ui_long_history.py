"""A saved run with a long history is read off the GUI thread when it is shown: the window stays responsive."""
from __future__ import annotations

import json

from PyQt6.QtCore import QSettings, QTimer

from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.runs import RunRecord, RunStore, StepRecord
from kgui.core.session import RunChanged, Session
from kgui.core.session import state
from kgui.ui.loss_plot.series import step_columns
from kgui.ui.main_window import MainWindow
from kgui.ui.runs_controller import READING
from kgui.ui.runs_table import COLUMNS

STEPS = 200_000


def saved_run(store: RunStore, steps: int) -> RunRecord:
    record = RunRecord.new(ExperimentSettings(steps=steps))
    writer = store.begin(record)
    for step in range(1, steps + 1):
        writer.append(StepRecord(step, 2.0 / step, None, None, 0.1, step * 1e-3, 0.5))
    writer.close()
    return record


def test_showing_a_long_run_keeps_the_window_responsive(qtbot, tmp_path):
    store = RunStore(tmp_path / "runs")
    run_id = saved_run(store, STEPS).id
    win = MainWindow(store=RunStore(tmp_path / "runs"),
                     preferences=QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    ticks = []
    timer = QTimer(interval=5, timeout=lambda: ticks.append(1))
    timer.start()
    win.runs_table.visibility_changed.emit(run_id, True)   # its check box ticked
    # the tick returned before the history was read: the row says so, the plot waits for the steps
    assert win.session.reading_history(run_id) and not win.session.runs[run_id].history
    assert win.runs_table.model.run(run_id).texts()[COLUMNS.index("Status")] == READING
    assert run_id not in win.plot.runs
    qtbot.waitUntil(lambda: run_id in win.plot.runs and not win.plot.runs[run_id].dirty, timeout=120_000)
    timer.stop()
    assert len(ticks) >= 3            # the GUI thread went on with its events while the history was read
    assert win.plot.runs[run_id].buffer.size == STEPS
    assert win.plot.runs[run_id].buffer.steps[-1] == STEPS
    assert len(win.session.runs[run_id].history) == STEPS
    assert win.runs_table.model.run(run_id).texts()[COLUMNS.index("Status")] != READING


def test_a_read_history_is_dropped_for_a_run_hidden_or_deleted_meanwhile(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "LARGE_HISTORY_BYTES", 0)   # every history "large": a few steps will do
    store = RunStore(tmp_path / "runs")
    hidden, deleted = saved_run(store, 3).id, saved_run(store, 3).id
    session = Session(store)
    session.load_saved()
    asked = []
    session.history_reader = asked.append
    for run_id in (hidden, deleted):
        session.set_shown(run_id, True)
    assert asked == [hidden, deleted] and not session.runs[hidden].history
    changes = []
    session.on(RunChanged, changes.append)
    session.set_shown(hidden, False)
    session.history_read(hidden, session.read_stored(hidden))
    assert not session.runs[hidden].history     # dropped: read again when shown again
    assert not session.reading_history(hidden) and changes[-1].run.id == hidden and not changes[-1].shown
    session.set_shown(hidden, True)
    assert asked[-1] == hidden
    session.history_read(hidden, session.read_stored(hidden))
    assert [step.step for step in session.runs[hidden].history] == [1, 2, 3]
    answer = session.read_stored(deleted)
    session.delete(deleted)
    session.history_read(deleted, answer)       # no KeyError, nothing kept
    assert deleted not in session.runs


def test_an_export_while_a_history_is_read_reads_it_and_tells_the_views(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "LARGE_HISTORY_BYTES", 0)
    store = RunStore(tmp_path / "runs")
    run_id = saved_run(store, 3).id
    session = Session(store)
    session.load_saved()
    session.history_reader = lambda run_id: None
    session.set_shown(run_id, True)
    changes = []
    session.on(RunChanged, changes.append)
    assert [record.id for record in session.export_records()] == [run_id]   # read here, now
    assert changes and changes[-1].shown and len(changes[-1].run.history) == 3
    session.history_read(run_id, None)          # the reader's late answer: dropped
    assert len(session.runs[run_id].history) == 3 and len(changes) == 1


def test_step_columns_match_the_records():
    records = [StepRecord(step, 1.0 / step, None if step % 2 else 0.5, None, 0.1, step * 0.1, 1.0)
               for step in range(1, 6)]
    columns = step_columns(records)
    assert columns.shape == (5, 5) and list(columns[0]) == [1, 2, 3, 4, 5]
    assert list(columns[3][1::2]) == [0.5, 0.5]


def test_a_long_run_shown_at_start_up_is_read_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(state, "LARGE_HISTORY_BYTES", 0)   # every history "large": a few steps will do
    run_id = saved_run(RunStore(tmp_path / "runs"), 50).id
    preferences = QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat)
    preferences.setValue("runs/shown", json.dumps([run_id]))
    win = MainWindow(store=RunStore(tmp_path / "runs"), preferences=preferences)
    qtbot.addWidget(win)
    assert win.session.reading_history(run_id) and run_id not in win.plot.runs
    assert win.runs_table.model.run(run_id).texts()[COLUMNS.index("Status")] == READING
    qtbot.waitUntil(lambda: run_id in win.plot.runs and win.plot.runs[run_id].buffer.size == 50, timeout=30_000)
