"""The window over its run store: a store of damaged runs (it starts, lists each with the reason, and refuses to
re-run them), and runs named for people, older default names kept."""
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLineEdit, QStyle, QStyleOptionViewItem

from kgui.core.runs import RunStore
from kgui.ui.main_window import MainWindow
from kgui.ui.runs_table import COLUMNS, STEP_MS_TIP, RunsTable

from test_core_runs import DAMAGE_KINDS, damage, make_run
from ui_support import messages, train  # noqa: F401 - fixture


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
        assert table.cell_text(run_id, "Status").startswith("unreadable: run.json: ")
        assert win.runs_controller.rerun(run_id) is False
    assert table.cell_text(good.id, "Name") == "good"


def _row(table, run_id):
    """Everything a row shows and allows: texts, flags, and the name's check state, tooltip and colour."""
    model, row = table.model, table.row_of(run_id)
    cells = [model.index(row, column) for column in range(model.columnCount())]
    name_roles = (Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole)
    return ([cell.data() for cell in cells], [model.flags(cell) for cell in cells],
            [cells[0].data(role) for role in name_roles])


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
    assert _row(at_once, records[1].id)[2][0] == Qt.CheckState.Checked
    with qtbot.waitSignal(at_once.rename_requested) as renamed:  # the name stays editable, the row keyed
        at_once.rename(records[0].id, "renamed")
    assert renamed.args == [records[0].id, "renamed"]


def test_the_user_checks_a_run_and_edits_only_its_name(qtbot, tmp_path):
    """A click on the check box shows the run (no rename); double-click or F2 edits the name (no show); a rename
    to the same name asks nothing; the other cells are read-only; the name's tooltip and colour, the header's tip."""
    store = RunStore(tmp_path)
    record = make_run(store, name="good")
    table = RunsTable()
    qtbot.addWidget(table)
    table.add_runs(store.list())
    table.show()
    shown, renamed = [], []
    table.visibility_changed.connect(lambda *args: shown.append(args))
    table.rename_requested.connect(lambda *args: renamed.append(args))
    view, name = table.view, table.model.index(0, 0)

    option = QStyleOptionViewItem()
    option.rect = view.visualRect(name)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, view)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=box.center())
    assert shown == [(record.id, True)] and renamed == [] and table.is_checked(record.id)
    table.set_checked(record.id, True)                      # already checked: nothing to say
    assert shown == [(record.id, True)]

    view.setCurrentIndex(name)
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor = view.findChild(QLineEdit)
    assert editor.text() == "good"
    editor.setText("better")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(renamed))                  # the delegate commits the edit queued
    assert renamed == [(record.id, "better")] and shown == [(record.id, True)]
    table.rename(record.id, "good")                         # the name it has: no request
    assert renamed == [(record.id, "better")]

    for column in range(1, len(COLUMNS)):
        assert not table.model.flags(table.model.index(0, column)) & Qt.ItemFlag.ItemIsEditable
    table.set_run(record, color="#ff0000")
    assert name.data(Qt.ItemDataRole.ToolTipRole) == f"{record.id}\n{record.message}".strip()
    assert name.data(Qt.ItemDataRole.ForegroundRole).name() == "#ff0000"
    header_tip = table.model.headerData(COLUMNS.index("Mean ms/step"), Qt.Orientation.Horizontal,
                                        Qt.ItemDataRole.ToolTipRole)
    assert header_tip == STEP_MS_TIP


def name_cell(win, run_id: str) -> str:
    return win.runs_table.cell_text(run_id, "Name")


def test_new_runs_get_names_for_people_and_older_runs_keep_theirs(qtbot, tmp_path, messages):
    store = RunStore(tmp_path / "runs")
    first = MainWindow(store=store)
    qtbot.addWidget(first)
    first.show()
    record = train(qtbot, first, steps=3, rate=0.05, n=100)
    assert name_cell(first, record.id) == record.name == "TensorFlow · Linear · n 100 · 3 steps · lr 0.05"
    first.close()

    store.rename(record.id, "linear · tensorflow · lr 0.05")     # the default name older versions gave
    second = MainWindow(store=store)
    qtbot.addWidget(second)
    second.show()
    second.runs_table.set_checked(record.id, True)
    assert name_cell(second, record.id) == "linear · tensorflow · lr 0.05"   # not renamed behind the user's back
    assert second.plot.labels() == ["#1 TensorFlow · Linear · n 100 · 3 steps · lr 0.05"]   # still a default name
    second.close()
