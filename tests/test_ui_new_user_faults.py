"""Issue 21's window faults, on the real window and real engines: what a new user tripped on."""
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QInputDialog, QTabBar, QToolButton

from kgui.ui.loss_plot import FADED_ALPHA
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
    "F5": lambda qtbot, win: qtbot.keyClick(win.lr_control.box, Qt.Key.Key_F5),
    "toolbar or menu": lambda qtbot, win: win.start_action.trigger(),
    "Run panel button": lambda qtbot, win: run_button(win, win.start_action).click(),
    "Compare Backends": lambda qtbot, win: win.compare_action.trigger(),
    "range test": lambda qtbot, win: win.range_test_action.trigger(),
    "range test tab's Start": lambda qtbot, win: win.lr_range_view.start_button.click(),
}


@pytest.mark.parametrize("path", START_PATHS)
def test_every_start_uses_the_typed_learning_rate_without_enter(qtbot, window, path):
    configure(window, steps=100_000, rate=10.0, n=100)
    window.activateWindow()
    type_into(qtbot, window.lr_control.box, "0.3")
    START_PATHS[path](qtbot, window)
    assert window.running
    assert window.jobs.job.settings.learning_rate == 0.3
    assert window.lr_control.rate == 0.3
    window.stop()
    wait_for_job(qtbot, window)


TYPED_FIELDS = {   # field: (the line edit to type in, text, the settings' value)
    "steps": (lambda win: win.steps_box.lineEdit(), "1234", 1234),
    "batch_size": (lambda win: win.batch_box.lineEdit(), "16", 16),
    "seed": (lambda win: win.seed_box.lineEdit(), "77", 77),
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
    assert window.running
    assert getattr(window.jobs.job.settings, field) == value
    window.stop()
    wait_for_job(qtbot, window)


INVALID_SHOWN = {   # the line edit, text that is no valid value, a word the message names
    "learning rate": (lambda win: win.lr_control.box, "abc", "learning rate"),
    "rate out of range": (lambda win: win.lr_control.box, "50", "learning rate"),
    "steps": (lambda win: win.steps_box.lineEdit(), "", "Steps"),
    "seed": (lambda win: win.seed_box.lineEdit(), "", "Seed"),
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
    assert not window.running
    assert len(messages) == 1 and messages[0][1] == "Cannot start" and word.lower() in messages[0][2].lower(), messages


# -- 2: export writes what the user is looking at ---------------------------------------------------------------------

@pytest.fixture
def compared(qtbot, window):
    """A window after Compare Backends on a short linear run: the parity panel came forward by itself."""
    configure(window, steps=10, rate=0.1, n=100)
    assert window.compare_backends()
    wait_for_job(qtbot, window)
    assert window.parity_result is not None and window.export_choice.parity_in_front()
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
    target = compared.dialogs.export_target()
    assert (target.name, target.stem) == ("loss plot", "kgui-loss")
    click_tab(qtbot, dock_tab_bar(compared), "Code")
    assert compared.dialogs.export_target().stem == "kgui-loss"


def test_export_writes_the_view_last_clicked(qtbot, compared):
    plot_view = compared.plot.widget.viewport()
    qtbot.mouseClick(plot_view, Qt.MouseButton.LeftButton, pos=plot_view.rect().center())
    assert compared.dialogs.export_target().stem == "kgui-loss"
    parity_view = compared.parity_view.plot.viewport()
    qtbot.mouseClick(parity_view, Qt.MouseButton.LeftButton, pos=parity_view.rect().center())
    target = compared.dialogs.export_target()
    assert (target.name, target.stem) == ("backend parity comparison", "kgui-parity")
    click_tab(qtbot, dock_tab_bar(compared), "Fit")
    click_tab(qtbot, dock_tab_bar(compared), "Parity")    # the user brings it back: they look at it
    assert compared.dialogs.export_target().stem == "kgui-parity"


def test_export_asks_which_view_when_both_are_in_front_and_neither_was_looked_at(qtbot, compared, monkeypatch):
    asked = []

    def answer(choice):
        def get_item(parent, title, label, items, current, editable):
            asked.append(list(items))
            return (items[choice], True) if choice is not None else ("", False)
        monkeypatch.setattr(QInputDialog, "getItem", get_item)

    answer(None)
    assert compared.dialogs.export_target() is None       # cancelled: nothing is written
    assert asked[-1] == ["Loss plot", "Backend parity comparison"]
    answer(1)
    assert compared.dialogs.export_target().stem == "kgui-parity"
    assert compared.dialogs.export_target().stem == "kgui-parity" and len(asked) == 2   # asked once, remembered


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
    window.dataset_picker.select("xor", {})
    window.steps_box.setValue(10)
    assert window.start()
    wait_for_job(qtbot, window)
    classes = window.record
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

    window.range_test_action.trigger()       # a range test trains no run: no old fit stays on show
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
    first.dataset_picker.select("xor", {})
    assert first.start()
    wait_for_job(qtbot, first)
    classes = first.record
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
    window.dataset_picker.select("xor", {})
    window.steps_box.setValue(20)
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
    name = window.runs[record.id].name
    assert name == r"$\evil{x}$ <b>bold</b>"
    assert any(label.startswith(f"#1 {name}") for label in window.plot.labels())
    legend_html = [text.text for _, text in window.plot.legend.items][0]
    assert "<b>" not in legend_html and "&lt;b&gt;" in legend_html
    target = tmp_path / "plot.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), "SVG image (*.svg)"))
    window.export_format_actions["svg"].trigger()
    svg = target.read_text()
    assert r"$\evil{x}$ &lt;b&gt;bold&lt;/b&gt;" in svg
    from kgui.core.export import plot_bytes
    assert rb"$\evil{x}$" in plot_bytes([window.runs[record.id]], "svg")     # the command line's export too
    assert plot_bytes([window.runs[record.id]], "png").startswith(b"\x89PNG")
    window.runs_table.select(record.id)
    assert window.surface_view.caption.textFormat() == Qt.TextFormat.PlainText
    assert window.fit_view.hint.textFormat() == Qt.TextFormat.PlainText
