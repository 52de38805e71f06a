"""The window over a store of damaged runs: it starts, lists each with the reason, and refuses to re-run them."""
from PyQt6.QtCore import Qt

from kgui.core.runs import RunStore
from kgui.ui.main_window import MainWindow
from kgui.ui.runs_table import RUN_ID, RunsTable

from test_core_runs import DAMAGE_KINDS, damage, make_run
from ui_support import messages  # noqa: F401 - fixture


def test_the_window_starts_with_every_kind_of_damaged_run(qtbot, tmp_path, messages):
    store = RunStore(tmp_path)
    bad = {damage(store, kind) for kind in DAMAGE_KINDS}
    good = make_run(store, name="good")
    win = MainWindow(store=store)
    qtbot.addWidget(win)
    win.show()
    table = win.runs_table
    assert set(table.run_ids()) == bad | {good.id}
    for run_id in bad:
        status = table.table.item(table.row_of(run_id), table.table.columnCount() - 1).text()
        assert status.startswith("unreadable: run.json: ")
        assert win.runs_controller.rerun(run_id) is False
    assert table.table.item(table.row_of(good.id), 0).text() == "good"


def _row(table, run_id):
    """Everything a row shows and allows: texts, flags, check state, tooltip, the run id it carries."""
    widget, row = table.table, table.row_of(run_id)
    items = [widget.item(row, column) for column in range(widget.columnCount())]
    return ([item.text() for item in items], [item.flags() for item in items], items[0].checkState(),
            items[0].toolTip(), items[0].data(RUN_ID))


def test_saved_runs_are_added_at_once_as_set_run_adds_one(qtbot, tmp_path):
    """The window adds thousands of saved runs in one go (RunsTable.add_runs); each row is what set_run makes."""
    store = RunStore(tmp_path)
    make_run(store, name="good")
    make_run(store, status="running")  # interrupted
    damage(store, "name is a number")
    records = store.list()
    shown = {records[1].id}
    at_once, one_by_one = RunsTable(), RunsTable()
    qtbot.addWidget(at_once)
    qtbot.addWidget(one_by_one)
    at_once.add_runs(records, shown)
    for record in records:
        one_by_one.set_run(record, visible=record.id in shown)
    assert at_once.run_ids() == one_by_one.run_ids() == [r.id for r in records]
    for record in records:
        assert _row(at_once, record.id) == _row(one_by_one, record.id)
    assert _row(at_once, records[1].id)[2] == Qt.CheckState.Checked
    with qtbot.waitSignal(at_once.rename_requested) as renamed:  # the name stays editable, the row keyed
        at_once.rename(records[0].id, "renamed")
    assert renamed.args == [records[0].id, "renamed"]
