"""The runs table: selection, rate changes in its cells, re-running saved runs of another version, setting columns."""
import pytest
from PyQt6.QtCore import Qt

from kgui.ui.loss_plot import FADED_ALPHA
from kgui.ui.runs_table import COLUMNS
from ui_support import configure, messages, train, window  # noqa: F401 - fixtures


# -- a hidden run's selection dims nothing -------------------------------------------------------------------------

def pen_alphas(win, run_id) -> set[int]:
    run = win.plot.runs[run_id]
    return {run.train.opts["pen"].color().alpha(), run.val.opts["pen"].color().alpha()}


def test_selecting_a_hidden_run_dims_no_visible_curve_nor_new_runs(qtbot, window):
    hidden, shown = (train(qtbot, window, steps=5, rate=rate, n=100) for rate in (0.1, 0.2))
    window.runs_table.set_checked(hidden.id, False)
    window.runs_table.select(hidden.id)
    assert window.plot.highlighted == hidden.id
    assert pen_alphas(window, shown.id) == {255}
    newer = train(qtbot, window, steps=5, rate=0.3, n=100)
    assert pen_alphas(window, newer.id) == {255} and pen_alphas(window, shown.id) == {255}
    window.runs_table.select(hidden.id)
    window.runs_table.set_checked(hidden.id, True)      # the selected run is shown: the others fade
    assert pen_alphas(window, shown.id) == {FADED_ALPHA} and pen_alphas(window, hidden.id) == {255}
    window.runs_table.set_checked(hidden.id, False)     # and come back when it is hidden again
    assert pen_alphas(window, shown.id) == {255} and pen_alphas(window, newer.id) == {255}




# -- many rate changes -------------------------------------------------------------------------------------------

def test_a_slider_drag_is_one_rate_change(qtbot, window):
    from PyQt6.QtCore import QPoint
    from kgui.ui.learning_rate import rate_to_position
    control = window.form.lr_control
    picked = []
    control.rate_changed.connect(picked.append)
    control.set_rate(0.5)
    slider = control.slider
    start = QPoint(slider.handle_centre(slider.value()), slider.height() // 2)
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=start)
    for rate in (0.25, 0.1, 0.05, 0.02):
        qtbot.mouseMove(slider, QPoint(slider.handle_centre(rate_to_position(rate)), start.y()))
        assert control.box.text() == f"{rate:.3g}"      # the box reads the rate under the mouse
    end = QPoint(slider.handle_centre(rate_to_position(0.01)), start.y())
    qtbot.mouseMove(slider, end)
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=end)
    assert picked == [0.01] and control.rate == 0.01


def test_many_rate_changes_elide_the_rate_cell_and_name_stays_resizable(qtbot, window):
    from PyQt6.QtWidgets import QHeaderView
    from kgui.ui.runs_table import MAX_COLUMN_WIDTH
    record = train(qtbot, window, steps=5, rate=0.1, n=100)
    record.lr_changes = [(step, rate) for step, rate in zip(range(2, 40), [0.5, 0.25, 0.1, 0.05, 0.02] * 8)]
    table = window.runs_table
    table.set_run(record)
    cell = table.cell_text(record.id, "Learning rate")
    assert cell == "0.1 → … → 0.1"
    column = COLUMNS.index("Learning rate")
    tip = table.model.data(table.model.index(table.row_of(record.id), column), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Learning rates: 0.1 → 0.5 → 0.25 → 0.1") and tip.count("→") == 38
    header = table.view.horizontalHeader()
    assert header.sectionResizeMode(0) == QHeaderView.ResizeMode.Interactive
    assert table.view.columnWidth(column) <= MAX_COLUMN_WIDTH and table.view.columnWidth(0) >= 200
    table.view.setColumnWidth(0, 320)                   # as a drag of its border does
    assert table.view.columnWidth(0) == 320


# -- settings of another version --------------------------------------------------------------------------

UNUSABLE = {   # field: (a value another version may have saved, a word of its line)
    "steps": (2 ** 31, "steps"),
    "backend": ("cntk", "cntk"),
    "optimizer": ("lion", "lion"),
    "activation": ("swish", "swish"),
    "epochs": (10 ** 8, "epochs"),
    "learning_rate": (-1.0, "-1"),
}


@pytest.mark.parametrize("field", UNUSABLE)
def test_rerun_and_load_settings_of_a_run_with_an_unusable_value(qtbot, window, messages, field):
    record = train(qtbot, window, steps=5, rate=0.3, n=100)
    value, word = UNUSABLE[field]
    record.settings = record.settings.replace(model="mlp", hidden=(4,), **{field: value})
    configure(window, steps=77, rate=0.05, n=100)
    window.runs_table.select(record.id)
    window.runs_table.rerun_action.trigger()
    assert not window.jobs.running                              # nothing else trains under its name
    assert len(messages) == 1 and word.lower() in messages[0][2].lower(), messages
    assert "\n" not in messages[0][2]                      # one line
    window.runs_table.load_action.trigger()
    assert len(messages) == 2 and word.lower() in messages[1][2].lower()
    assert window.form.model_form.model == "mlp"           # the rest is loaded
    if field != "learning_rate":
        assert window.form.lr_control.rate == 0.3
    if field != "steps":
        assert window.form.steps_box.value() == 5


def test_a_remembered_experiment_with_unusable_values_warns_once_per_value(qtbot, tmp_path, capfd):
    import json
    from PyQt6.QtCore import QSettings
    from kgui.core.runs import RunStore
    from kgui.core.experiment.settings import ExperimentSettings
    from kgui.ui.main_window import MainWindow
    preferences = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    remembered = ExperimentSettings(learning_rate=0.3, model="mlp", hidden=(6,)).to_dict()
    remembered.update(optimizer="lion", activation="swish", backend="cntk")
    preferences.setValue("experiment", json.dumps(remembered))
    preferences.sync()
    capfd.readouterr()
    window = MainWindow(store=RunStore(tmp_path / "runs"), preferences=preferences)
    qtbot.addWidget(window)
    warnings = [line for line in capfd.readouterr().err.splitlines() if line.startswith("kgui: warning")]
    assert len(warnings) == 3, warnings
    assert any("'lion'" in line for line in warnings) and any("'swish'" in line for line in warnings)
    assert any("cntk" in line for line in warnings)
    assert window.form.lr_control.rate == 0.3 and window.form.model_form.model == "mlp"   # the others are used
    assert window.form.model_form.hidden_field.text() == "6"




# -- any setting as a runs-table column ----------------------------------------------------------------------------

def test_runs_table_shows_any_setting_as_a_column_from_its_header_menu(qtbot, window):
    plain = train(qtbot, window, steps=5, rate=0.1, n=100)
    form = window.form.model_form
    form.optimizer_box.setCurrentIndex(form.optimizer_box.findData("sgd"))
    form.momentum_box.setValue(0.9)
    form.l2_field.setText("0.0001")
    heavy = train(qtbot, window, steps=7, rate=0.1, n=100)
    table = window.runs_table
    menu = table.column_menu()
    titles = [action.text() for action in menu.actions()]
    assert {"Momentum", "L2", "Optimizer", "Seed", "Batch size"} <= set(titles)
    next(action for action in menu.actions() if action.text() == "Momentum").trigger()
    table.show_setting_column("l2", True)
    model = table.model
    first = len(COLUMNS)
    assert [model.headerData(first + i, Qt.Orientation.Horizontal) for i in range(2)] == ["Momentum", "L2"]

    def cell(record, column):
        return model.data(model.index(table.row_of(record.id), column), Qt.ItemDataRole.DisplayRole)

    assert (cell(plain, first), cell(plain, first + 1)) == ("0", "0")
    assert (cell(heavy, first), cell(heavy, first + 1)) == ("0.9", "0.0001")
    table.show_setting_column("momentum", False)
    assert model.columnCount() == first + 1 and model.headerData(first, Qt.Orientation.Horizontal) == "L2"


def test_the_steps_cell_keeps_up_with_the_readout_in_a_fast_run_and_ends_on_the_runs_steps(qtbot, window):
    from ui_support import wait_until_idle

    seen = []      # (the readout's step, the table's) at each frame of the loss plot

    def frame() -> None:
        run_id = window.session.live_run_id
        if run_id is not None and window.session.live_run_training(run_id):
            readout = window.live_panel.values["step"].text().split(" / ")[0]
            seen.append((readout, window.runs_table.cell_text(run_id, "Steps")))

    window.plot.redrawn.connect(frame)
    configure(window, steps=4000, rate=0.05, n=100)
    assert window.start()
    wait_until_idle(qtbot, window)
    record = window.session.last_ended
    assert record.status == "finished" and len(record.history) == 4000
    assert window.runs_table.cell_text(record.id, "Steps") == "4000"
    live = [(readout, table) for readout, table in seen if readout != "—"]
    assert len(live) >= 3 and all(readout == table for readout, table in live), live


def test_a_new_run_scrolls_its_row_into_view_below_many_saved_runs(qtbot, window):
    """The saved runs (oldest first) filled the table and each new run's row was added below them, out of sight."""
    import copy

    first = train(qtbot, window, steps=3, rate=0.1, n=100)
    saved = []
    for i in range(60):
        record = copy.copy(first)
        record.id = f"{first.id}-{i:02d}"
        saved.append(record)
    window.runs_table.add_runs(saved)
    view = window.runs_table.view
    new = train(qtbot, window, steps=3, rate=0.2, n=100)
    row = view.visualRect(window.runs_table.model.index(window.runs_table.row_of(new.id), 0))
    assert view.viewport().rect().contains(row.center()), "the new run's row is out of sight"
