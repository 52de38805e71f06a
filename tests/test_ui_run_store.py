"""The window over a store of damaged runs: it starts, lists each with the reason, and refuses to re-run them."""
from kgui.core.runs import RunStore
from kgui.ui.main_window import MainWindow

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
