"""Issue 21's window faults, on the real window and real engines: what a new user tripped on."""
import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QInputDialog, QTabBar, QToolButton

from kgui.ui.loss_plot import FADED_ALPHA
from kgui.ui.runs_table import COLUMNS
from ui_support import configure, messages, train, wait_for_job, window  # noqa: F401 - fixtures


def type_into(qtbot, line_edit, text: str) -> None:
    """Replace what ``line_edit`` shows by typing ``text``, without Enter; the focus stays in it."""
    line_edit.setFocus()
    line_edit.selectAll()
    qtbot.keyClick(line_edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(line_edit, text)


def run_button(win, action) -> QToolButton:
    """The Run panel's button of ``action``."""
    return next(button for button in win.run_buttons.findChildren(QToolButton) if button.defaultAction() is action)


START_PATHS = {
    "F5": lambda qtbot, win: qtbot.keyClick(win.form.lr_control.box, Qt.Key.Key_F5),
    "toolbar or menu": lambda qtbot, win: win.commands.start.trigger(),
    "Run panel button": lambda qtbot, win: run_button(win, win.commands.start).click(),
    "Compare Backends": lambda qtbot, win: win.commands.compare.trigger(),
    "range test": lambda qtbot, win: win.commands.range_test.trigger(),
    "range test tab's Start": lambda qtbot, win: win.lr_range_view.start_button.click(),
}


@pytest.mark.parametrize("path", START_PATHS)
def test_every_start_uses_the_typed_learning_rate_without_enter(qtbot, window, path):
    configure(window, steps=100_000, rate=10.0, n=100)
    window.activateWindow()
    type_into(qtbot, window.form.lr_control.box, "0.3")
    START_PATHS[path](qtbot, window)
    assert window.jobs.running
    assert window.jobs.job.settings.learning_rate == 0.3
    assert window.form.lr_control.rate == 0.3
    window.stop()
    wait_for_job(qtbot, window)


TYPED_FIELDS = {   # field: (the line edit to type in, text, the settings' value)
    "steps": (lambda win: win.form.steps_box.lineEdit(), "1234", 1234),
    "batch_size": (lambda win: win.form.batch_box.lineEdit(), "16", 16),
    "seed": (lambda win: win.form.seed_box.lineEdit(), "77", 77),
    "l2": (lambda win: win.form.model_form.l2_field, "0.01", 0.01),
    "momentum": (lambda win: win.form.model_form.momentum_box.lineEdit(), "0.5", 0.5),
    "epochs": (lambda win: win.form.model_form.epochs_box.lineEdit(), "3", 3),
}


@pytest.mark.parametrize("field", TYPED_FIELDS)
def test_every_typed_field_is_used_by_f5(qtbot, window, field):
    configure(window, steps=100_000, n=100)
    widget, text, value = TYPED_FIELDS[field]
    window.activateWindow()
    type_into(qtbot, widget(window), text)
    qtbot.keyClick(widget(window), Qt.Key.Key_F5)
    assert window.jobs.running
    assert getattr(window.jobs.job.settings, field) == value
    window.stop()
    wait_for_job(qtbot, window)


INVALID_SHOWN = {   # the line edit, text that is no valid value, a word the message names
    "learning rate": (lambda win: win.form.lr_control.box, "abc", "learning rate"),
    "rate out of range": (lambda win: win.form.lr_control.box, "50", "learning rate"),
    "steps": (lambda win: win.form.steps_box.lineEdit(), "", "Steps"),
    "seed": (lambda win: win.form.seed_box.lineEdit(), "", "Seed"),
    "momentum": (lambda win: win.form.model_form.momentum_box.lineEdit(), "", "Momentum"),
    "epochs": (lambda win: win.form.model_form.epochs_box.lineEdit(), "", "Epochs"),
    "l2": (lambda win: win.form.model_form.l2_field, "1e", "L2"),
}


@pytest.mark.parametrize("shown", INVALID_SHOWN)
@pytest.mark.parametrize("path", ["F5", "toolbar or menu", "Compare Backends"])
def test_start_says_so_and_does_not_start_when_a_shown_value_is_invalid(qtbot, window, messages, shown, path):
    configure(window, steps=100_000, n=100)
    widget, text, word = INVALID_SHOWN[shown]
    window.activateWindow()
    type_into(qtbot, widget(window), text)
    START_PATHS[path](qtbot, window)
    assert not window.jobs.running
    assert len(messages) == 1 and messages[0][1] == "Cannot start" and word.lower() in messages[0][2].lower(), messages


# -- 2: export writes what the user is looking at ---------------------------------------------------------------------

@pytest.fixture
def compared(qtbot, window):
    """A window after Compare Backends on a short linear run: the parity panel came forward by itself."""
    configure(window, steps=10, rate=0.1, n=100)
    assert window.compare_backends()
    wait_for_job(qtbot, window)
    assert window.parity_view.result is not None and window.export_choice.parity_in_front()
    return window


def dock_tab_bar(win):
    """The tab bar of the right-hand docks (Fit, Parity, Code, Decision boundary)."""
    return next(bar for bar in win.findChildren(QTabBar) if bar.parent() is win
                and win.parity_dock.windowTitle() in [bar.tabText(i) for i in range(bar.count())])


def click_tab(qtbot, bar, title: str) -> None:
    index = next(i for i in range(bar.count()) if bar.tabText(i) == title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def test_export_after_compare_with_the_parity_dock_behind_writes_the_loss_plot(qtbot, compared):
    click_tab(qtbot, dock_tab_bar(compared), "Fit")
    assert not compared.export_choice.parity_in_front()
    target = compared.export_choice.target()
    assert (target.name, target.stem) == ("loss plot", "kgui-loss")
    click_tab(qtbot, dock_tab_bar(compared), "Code")
    assert compared.export_choice.target().stem == "kgui-loss"


def test_export_writes_the_view_last_clicked(qtbot, compared):
    plot_view = compared.plot.widget.viewport()
    qtbot.mouseClick(plot_view, Qt.MouseButton.LeftButton, pos=plot_view.rect().center())
    assert compared.export_choice.target().stem == "kgui-loss"
    parity_view = compared.parity_view.plot.viewport()
    qtbot.mouseClick(parity_view, Qt.MouseButton.LeftButton, pos=parity_view.rect().center())
    target = compared.export_choice.target()
    assert (target.name, target.stem) == ("backend parity comparison", "kgui-parity")
    click_tab(qtbot, dock_tab_bar(compared), "Fit")
    click_tab(qtbot, dock_tab_bar(compared), "Parity")    # the user brings it back: they look at it
    assert compared.export_choice.target().stem == "kgui-parity"


def test_export_asks_which_view_when_both_are_in_front_and_neither_was_looked_at(qtbot, compared, monkeypatch):
    asked = []

    def answer(choice):
        def get_item(parent, title, label, items, current, editable):
            asked.append(list(items))
            return (items[choice], True) if choice is not None else ("", False)
        monkeypatch.setattr(QInputDialog, "getItem", get_item)

    answer(None)
    assert compared.export_choice.target() is None       # cancelled: nothing is written
    assert asked[-1] == ["Loss plot", "Backend parity comparison"]
    answer(1)
    assert compared.export_choice.target().stem == "kgui-parity"
    assert compared.export_choice.target().stem == "kgui-parity" and len(asked) == 2   # asked once, remembered


# -- 7: a hidden run's selection dims nothing -------------------------------------------------------------------------

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


# -- 8: the Fit dock follows the table selection as the Decision boundary dock does -----------------------------------

def test_fit_dock_follows_the_table_selection_like_the_decision_boundary(qtbot, window):
    line = train(qtbot, window, steps=20, rate=0.3, n=100)
    window.form.dataset_picker.select("xor", {})
    window.form.steps_box.setValue(10)
    assert window.start()
    wait_for_job(qtbot, window)
    classes = window.session.last_ended
    fit, surface = window.fit_view, window.surface_view
    assert fit.currentWidget() is fit.classes_page and fit.run_id == surface.run_id == classes.id

    window.runs_table.select(line.id)
    assert fit.run_id == surface.run_id == line.id
    assert fit.currentWidget() is fit.line_page
    last = line.history[-1].params
    assert fit.line_page.caption.text().startswith(f"w = {last['w']:.4f}")
    assert list(fit.line_page.fit_curve.yData) == pytest.approx(
        [last["w"] * x + last["b"] for x in fit.line_page.fit_curve.xData])

    window.runs_table.select(classes.id)     # the live (last) run: shown live again, its matrix too
    assert fit.run_id == surface.run_id == classes.id
    assert fit.currentWidget() is fit.classes_page and fit.classes_page.matrix.rowCount() == 2

    window.commands.range_test.trigger()       # a range test trains no run: no old fit stays on show
    assert fit.currentWidget() is fit.hint and "range test" in fit.hint.text()
    window.stop()
    wait_for_job(qtbot, window)


def test_fit_dock_shows_a_saved_runs_accuracy_and_says_why_not_its_line(qtbot, tmp_path, messages):
    from kgui.core.runs import RunStore
    from kgui.ui.main_window import MainWindow
    first = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(first)
    first.show()
    line = train(qtbot, first, steps=10, rate=0.3, n=100)
    first.form.dataset_picker.select("xor", {})
    assert first.start()
    wait_for_job(qtbot, first)
    classes = first.session.last_ended
    first.close()
    again = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(again)
    again.show()
    fit = again.fit_view
    again.runs_table.select(classes.id)
    assert fit.currentWidget() is fit.classes_page and fit.run_id == classes.id
    assert len(fit.classes_page.curve.xData) == len(classes.history)
    again.runs_table.select(line.id)
    assert fit.currentWidget() is fit.hint and "trained in this session" in fit.hint.text()


# -- 4 and 22: the SVG is the plot on screen, names plain text --------------------------------------------------------

def test_svg_panels_keep_their_own_x_range_and_ticks(qtbot, window, tmp_path, monkeypatch):
    import matplotlib

    from kgui.ui.exporting import SVG_STYLE, panel_state, svg_figure
    long = train(qtbot, window, steps=200, rate=0.1, n=100)
    window.form.dataset_picker.select("xor", {})
    window.form.steps_box.setValue(20)
    assert window.start()
    wait_for_job(qtbot, window)
    window.plot.redraw()
    panels = [panel_state(panel.item, panel.title) for panel in window.plot.shown_panels]
    assert len(panels) == 2 and panels[0].x_range != panels[1].x_range
    with matplotlib.rc_context(SVG_STYLE):
        figure = svg_figure(panels, (800, 600))
        figure.draw_without_rendering()
        for axes, panel in zip(figure.axes, panels):
            assert axes.get_xlim() == pytest.approx(panel.x_range)
            assert axes.get_xlabel() == "step"
            assert [tick.get_text() for tick in axes.get_xticklabels() if tick.get_text()]  # labelled ticks
    assert long.id in window.plot.runs


def test_run_names_are_plain_text_in_the_svg_the_legend_and_the_docks(qtbot, window, tmp_path, monkeypatch):
    from PyQt6.QtWidgets import QFileDialog
    record = train(qtbot, window, steps=5, n=100)
    window.runs_table.rename(record.id, r"$\evil{x}$ <b>bold</b>")
    name = window.session.runs[record.id].name
    assert name == r"$\evil{x}$ <b>bold</b>"
    assert any(label.startswith(f"#1 {name}") for label in window.plot.labels())
    legend_html = [text.text for _, text in window.plot.legend.items][0]
    assert "<b>" not in legend_html and "&lt;b&gt;" in legend_html
    target = tmp_path / "plot.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), "SVG image (*.svg)"))
    window.commands.export_formats["svg"].trigger()
    svg = target.read_text()
    assert r"$\evil{x}$ &lt;b&gt;bold&lt;/b&gt;" in svg
    from kgui.core.exports.export import plot_bytes
    assert rb"$\evil{x}$" in plot_bytes([window.session.runs[record.id]], "svg")     # the command line's export too
    assert plot_bytes([window.session.runs[record.id]], "png").startswith(b"\x89PNG")
    window.runs_table.select(record.id)
    assert window.surface_view.caption.textFormat() == Qt.TextFormat.PlainText
    assert window.fit_view.hint.textFormat() == Qt.TextFormat.PlainText


# -- the smaller ones ---------------------------------------------------------------------------------------------

def test_digits_confusion_matrix_is_headed_by_the_digits(qtbot, window):
    from kgui.ui.fit_view import class_headers
    assert class_headers([str(d) for d in range(10)]) == [str(d) for d in range(10)]
    assert class_headers(["Class_1", "Class_2"]) == ["1", "2"]       # long labels: numbered, named below
    window.form.dataset_picker.select("digits", {})
    window.form.steps_box.setValue(3)
    window.form.lr_control.set_rate(0.1)
    assert window.start()
    wait_for_job(qtbot, window)
    matrix = window.fit_view.classes_page.matrix
    assert [matrix.horizontalHeaderItem(i).text() for i in range(10)] == [str(d) for d in range(10)]
    assert [matrix.verticalHeaderItem(i).text() for i in range(10)] == [str(d) for d in range(10)]
    assert "1 = 0" not in window.fit_view.classes_page.classes.text()


def test_line_style_note_is_true_for_every_run_shown():
    from kgui.ui.loss_plot import RunStyle, line_key
    assert line_key({0: [1, 2]}) == "solid: training · dashed: validation"
    assert RunStyle.nth(12).round == 1
    note = line_key({0: [1], 1: [13, 14]})
    assert "#1: solid training, dashed validation" in note and "#13, #14: dash-dotted training, dotted validation" \
        in note


def test_line_style_note_follows_the_plot(qtbot, window):
    for index in range(13):
        window.plot.add_run(f"run-{index}", f"run {index}")
    assert "#13: dash-dotted training" in window.plot.line_key.text()
    window.plot.set_run_visible("run-12", False)
    assert window.plot.line_key.text() == "solid: training · dashed: validation"


def test_steps_is_disabled_and_says_so_while_epochs_is_set(qtbot, window):
    configure(window, steps=3000, n=100)
    epochs = window.form.model_form.epochs_box
    epochs.setValue(5)
    assert not window.form.steps_box.isEnabled()
    assert window.form.steps_box.lineEdit().text() == "5 epochs × rows/batch"
    assert "Set by Epochs" in window.form.steps_box.toolTip()
    assert window.settings().epochs == 5
    assert window.start()
    assert not window.form.steps_box.isEnabled()
    wait_for_job(qtbot, window)
    assert not window.form.steps_box.isEnabled()        # still, once the form is editable again
    record = window.session.last_ended
    assert len(record.history) == record.settings.steps != 3000     # the epochs' steps
    epochs.setValue(0)
    assert window.form.steps_box.isEnabled() and window.form.steps_box.lineEdit().text() == "3000"
    window.apply_settings(window.settings().replace(epochs=2))
    assert not window.form.steps_box.isEnabled()


def test_a_bogus_qt_platform_gives_one_kgui_line(tmp_path):
    import os
    import subprocess
    import sys
    from ui_support import ROOT
    env = {**os.environ, "QT_QPA_PLATFORM": "bogus", "KGUI_RUNS_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgui: error: ") and "QT_QPA_PLATFORM=bogus" in lines[0], lines


def test_about_names_the_four_engines_and_start_is_f5(window):
    from kgui.ui.dialogs import ABOUT
    assert all(name in ABOUT for name in ("TensorFlow", "PyTensor", "JAX", "PyTorch"))
    assert window.commands.start.shortcut().toString() == "F5"
    assert window.commands.start.toolTip().endswith("(F5 or Ctrl+R)")


@pytest.mark.parametrize("array", ["xs", "values", "x_train"])
def test_a_saved_surface_with_nan_or_inf_is_one_line_in_the_dock(qtbot, window, array):
    import numpy as np
    from kgui.core.training.surface import SURFACE_FILE
    window.form.dataset_picker.select("xor", {})
    window.form.steps_box.setValue(5)
    assert window.start()
    wait_for_job(qtbot, window)
    record = window.session.last_ended
    path = window.session.store.folder(record.id) / SURFACE_FILE
    with np.load(path) as data:
        arrays = dict(data)
    arrays[array] = arrays[array].astype(np.float64)
    arrays[array].flat[0] = np.nan
    arrays[array].flat[-1] = np.inf
    np.savez(path, **arrays)
    window.surface_view.live_run_id = None      # as after a restart: the run is a saved one
    window.runs_table.select(record.id)
    caption = window.surface_view.caption.text()
    assert "\n" not in caption
    if array == "values":     # a diverged model's surface: drawn, white where it is not finite
        assert window.surface_view.surface is not None
    else:
        assert "NaN or infinite" in caption, caption


# -- 10: many rate changes -------------------------------------------------------------------------------------------

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


# -- 21 and 31: settings of another version --------------------------------------------------------------------------

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


# -- 13: open with experiment flags shows the new run alone ----------------------------------------------------------

def remembered_shown(config_home) -> str:
    return "".join(path.read_text() for path in config_home.rglob("*.conf"))


def test_open_with_experiment_flags_shows_the_new_run_alone(tmp_path):
    import os
    import subprocess
    import sys
    from kgui.core.runs import RunStore
    from ui_support import ROOT
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "KGUI_RUNS_DIR": str(tmp_path / "runs")}

    def open_window(*flags):
        done = subprocess.run([sys.executable, str(ROOT / "main.py"), "open", "--dataset", "linear", "--steps", "5",
                               "--start", "--screenshot", str(tmp_path / "shot.png"), *flags],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return [record.id for record in RunStore(tmp_path / "runs").list()]

    first = open_window()[0]
    assert first in remembered_shown(tmp_path / "config")
    runs = open_window()
    second = runs[-1]
    shown = remembered_shown(tmp_path / "config")
    assert second in shown and first not in shown        # the new run alone was on the plot
    third = open_window("--show-runs")[-1]
    shown = remembered_shown(tmp_path / "config")
    assert second in shown and third in shown            # asked for: the remembered runs come back


# -- 9: the parity verdict explains itself, and the exported chart carries it -----------------------------------------

def test_parity_verdict_explains_adaptive_mini_batch_parting_and_the_png_carries_it(qtbot, window, tmp_path):
    import dataclasses

    from kgui.core.training.parity import LossDifference
    from kgui.ui.parity_view import LEGEND_TITLE, export_title, verdict_explanation
    window.form.dataset_picker.select("spiral", {})
    form = window.form.model_form
    form.optimizer_box.setCurrentIndex(form.optimizer_box.findData("adam"))
    window.form.batch_box.setValue(10)
    window.form.steps_box.setValue(5)
    window.form.lr_control.set_rate(0.01)
    assert window.compare_backends()
    wait_for_job(qtbot, window)
    result = window.parity_view.result
    view = window.parity_view
    title = export_title(result)
    assert title.startswith(view.verdict.text()) and "Spiral" in title
    assert all(name in title for name in ("TensorFlow", "JAX"))
    target = view.export_target()
    assert title in target.png_title.replace("&amp;", "&")     # the PNG shows it above the plot
    from PyQt6.QtGui import QImage
    plain_png = view.export_target()
    plain_png.png_title = ""
    plain_png.export(tmp_path / "plain.png")
    target.export(tmp_path / "parity.png")
    assert QImage(str(tmp_path / "parity.png")).height() > QImage(str(tmp_path / "plain.png")).height() or \
        (tmp_path / "parity.png").read_bytes() != (tmp_path / "plain.png").read_bytes()
    assert view.item.titleLabel.text == LEGEND_TITLE             # the screen keeps its own title
    target.export(tmp_path / "parity.svg")
    assert "Spiral" in (tmp_path / "parity.svg").read_text()
    # the engines part, as they did at step 518 in issue 21 (a 600-step MLP comparison is too slow for a test)
    first, second = (record.engine for record in result.records[:2])
    parted = dataclasses.replace(result, differences=[LossDifference(0.5, 3, first, second, 1.0)])
    view.show_result(parted)
    assert "Adam" in view.explanation.text() and "mini-batches of 10" in view.explanation.text()
    assert view.explanation.isVisible()
    assert verdict_explanation(dataclasses.replace(parted, settings=parted.settings.replace(batch_size=None))) == ""
    assert verdict_explanation(dataclasses.replace(parted, settings=parted.settings.replace(optimizer="sgd"))) == ""


# -- 12: panels keep a useful height ---------------------------------------------------------------------------------

def test_four_dataset_panels_at_1366x768_keep_a_useful_height_and_scroll(qtbot, window):
    from kgui.ui.loss_plot import MIN_PANEL_HEIGHT
    window.resize(1366, 768)
    for index, dataset in enumerate(("linear", "xor", "circle", "iris")):
        window.plot.add_run(f"run-{index}", dataset, dataset=dataset, dataset_title=dataset)
    qtbot.wait(50)
    assert len(window.plot.shown_panels) == 4
    heights = [panel.item.sceneBoundingRect().height() for panel in window.plot.shown_panels]
    assert min(heights) >= MIN_PANEL_HEIGHT * 0.9, heights
    assert window.plot.scroller.verticalScrollBar().maximum() > 0      # the rest is a scroll away
    for index in range(1, 4):
        window.plot.set_run_visible(f"run-{index}", False)
    qtbot.wait(50)
    assert window.plot.scroller.verticalScrollBar().maximum() == 0     # one panel fills the plot area again


# -- 5: any setting as a runs-table column ----------------------------------------------------------------------------

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


# -- 15: multi-feature regression's Fit: predicted against actual -----------------------------------------------------

def test_diabetes_fit_shows_predicted_against_actual_with_the_identity_line(qtbot, window):
    window.form.dataset_picker.select("diabetes", {})
    window.form.steps_box.setValue(30)
    window.form.lr_control.set_rate(0.1)
    assert window.start()
    wait_for_job(qtbot, window)
    assert window.session.last_ended.status == "finished", window.session.last_ended.message
    fit = window.fit_view
    page = fit.predictions_page
    assert fit.currentWidget() is page
    qtbot.waitUntil(lambda: page.scatter.data.size > 0, timeout=10_000)
    actual, predicted = page.scatter.getData()
    assert len(actual) == len(predicted) > 50
    (x0, x1), (y0, y1) = page.identity.getData()
    assert (x0, x1) == (y0, y1) and x0 < x1
    assert "after step 30" in page.caption.text() and "validation rows" in page.caption.text()
    assert np.corrcoef(actual, predicted)[0, 1] > 0.3          # it learned something: the cloud leans along y = x
