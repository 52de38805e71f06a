"""Issue 11's findings in the window's widgets, on the real window (offscreen Qt, real engines): a readable
confusion matrix, distinct legend labels that follow the rate, a panel per dataset, tick labels inside the
plot, Status and Engine rows, human names, the Log Scale icon, a learning-rate slider with fine control, step times that say which measure they are, a live readout that
lays nothing out."""
import dataclasses

import numpy as np
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QFontMetrics, QWheelEvent
from PyQt6.QtWidgets import QApplication, QFormLayout

from kgui.core.training.metrics import ConfusionMatrix
from kgui.core.runs import RunRecord, RunSummary
from kgui.core.experiment.settings import ExperimentSettings
from kgui.ui.learning_rate import rate_to_position
from kgui.ui.loss_plot import DASHES, PALETTE, LossPlot, RunStyle
from kgui.ui.panels import LivePanel
from kgui.ui.runs_table import COLUMNS, STEP_MS_TIP, run_cells
from test_ui_loss_plot import steps
from ui_support import (configure, live_history, messages, train, wait_for_steps,  # noqa: F401 - fixtures
                        wait_until_idle, window)


def otto_like_matrix() -> ConfusionMatrix:
    """Nine classes with Otto-sized validation counts (thousands on the diagonal)."""
    counts = np.full((9, 9), 17, dtype=np.int64)
    np.fill_diagonal(counts, [321, 2987, 1204, 388, 512, 2630, 477, 1594, 903])
    return ConfusionMatrix(counts, tuple(f"Class_{i}" for i in range(1, 10)))


def test_confusion_matrix_has_short_headers_and_every_number_fits(qtbot, window):
    window.form.dataset_picker.select("iris")
    window.form.steps_box.setValue(3)
    window.start()
    wait_until_idle(qtbot, window)
    window.fit_view.show_confusion(window.session.last_ended.id, 3, otto_like_matrix())   # as the worker sends it
    qtbot.wait(50)
    table = window.fit_view.classes_page.matrix
    assert table.isVisible() and table.rowCount() == table.columnCount() == 9
    headers = [table.horizontalHeaderItem(c) for c in range(9)]
    assert [h.text() for h in headers] == [str(i) for i in range(1, 10)]
    assert [h.toolTip() for h in headers] == [f"{i}: Class_{i}" for i in range(1, 10)]
    assert "1 = Class_1" in window.fit_view.classes_page.classes.text()
    metrics = QFontMetrics(table.font())
    for column in range(9):
        for row in range(9):
            text = table.item(row, column).text()
            assert metrics.horizontalAdvance(text) < table.columnWidth(column), (text, table.columnWidth(column))
    header = table.horizontalHeader()
    assert header.length() <= table.viewport().width() + 1 or table.horizontalScrollBar().isVisible()


def test_runs_with_the_same_settings_get_distinct_labels(qtbot, window):
    first = train(qtbot, window, steps=5, rate=0.1, n=100)
    second = train(qtbot, window, steps=5, rate=0.1, n=100)
    labels = window.plot.labels()
    assert labels == ["#1 TensorFlow · Linear · n 100 · 5 steps · lr 0.1",
                      "#2 TensorFlow · Linear · n 100 · 5 steps · lr 0.1"]
    window.runs_table.rename(second.id, "baseline")
    assert window.plot.labels()[1] == "#2 baseline · lr 0.1"
    assert window.plot.runs[first.id].style != window.plot.runs[second.id].style


def test_the_label_follows_a_mid_run_rate_change(qtbot, window):
    configure(window, steps=100_000, rate=0.05, n=100)
    window.start()
    wait_for_steps(qtbot, window, 5)
    window.form.lr_control.box.setText("0.5")
    window.form.lr_control.box.editingFinished.emit()
    wait_for_steps(qtbot, window, len(live_history(window)) + 20)
    window.stop()
    wait_until_idle(qtbot, window)
    window.plot.redraw()
    assert window.plot.labels() == ["#1 TensorFlow · Linear · n 100 · 100000 steps · lr 0.05 → 0.5"]


def test_colour_cycle_gives_36_distinct_styles_with_dash_patterns():
    styles = [RunStyle.nth(i) for i in range(len(PALETTE) * len(DASHES))]
    assert len(set(styles)) == len(styles) == 36
    assert styles[0].train_dash is None and styles[len(PALETTE)].train_dash is not None
    assert styles[len(PALETTE)].color == styles[0].color


def test_every_run_of_many_keeps_its_own_style(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    for index in range(20):
        plot.add_run(f"run{index}", f"run {index}")
    styles = [run.style for run in plot.runs.values()]
    assert len(set(styles)) == 20
    dashed = plot.runs["run15"].train.opts["pen"]
    assert dashed.dashPattern() and plot.runs["run3"].train.opts["pen"].dashPattern() == []


def test_a_long_line_key_never_widens_the_plot(qtbot):
    """18 runs shown (a sweep's trials) spelt the key of every dash pattern in one label, which set the window's
    least width to 1,732 px, pushing the docks off a 1,400 px screen; the key is cut and whole in its tooltip."""
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add_run("run0", "run 0")
    plot.redraw()
    narrow = plot.minimumSizeHint().width()
    for index in range(1, 18):
        plot.add_run(f"run{index}", f"run {index}")
    plot.redraw()
    assert "dash" in plot.line_key.text() and plot.line_key.toolTip() == plot.line_key.text()
    assert plot.line_key.sizeHint().width() > narrow / 2 and plot.minimumSizeHint().width() == narrow


def test_runs_past_the_36_styles_share_the_least_used_ones(qtbot):
    """The 37th run shown (a sweep's trials on the plot) once ended the window with StopIteration."""
    plot = LossPlot()
    qtbot.addWidget(plot)
    for index in range(40):
        plot.add_run(f"run{index}", f"run {index}")
    assert [plot.runs[f"run{index}"].style for index in range(36, 40)] == [RunStyle.nth(index) for index in range(4)]
    plot.remove_run("run7")
    plot.add_run("again", "again")                                   # the style no run has any more
    assert plot.runs["again"].style == RunStyle.nth(7)


def test_datasets_with_different_loss_scales_get_their_own_panels(qtbot):
    plot = LossPlot(redraws_itself=False)
    qtbot.addWidget(plot)
    plot.resize(800, 600)
    plot.show()
    plot.add_run("otto", "TensorFlow · Otto Group", dataset="otto", dataset_title="Otto Group")
    plot.add_steps("otto", steps(1, 50))
    assert len(plot.shown_panels) == 1 and not plot.item.titleLabel.isVisible()
    plot.add_run("linear", "TensorFlow · Linear", dataset="linear", dataset_title="Linear")
    small = steps(1, 50)
    for step in small:
        step.train_loss, step.val_loss = step.train_loss * 1e-4, step.val_loss * 1e-4
    plot.add_steps("linear", small)
    plot.redraw()
    top, bottom = plot.shown_panels
    assert (top.title, bottom.title) == ("Otto Group", "Linear") and top.item.titleLabel.text == "Otto Group"
    assert top.item.titleLabel.isVisible()
    for panel, run_id in ((top, "otto"), (bottom, "linear")):
        (_, _), (y0, y1) = panel.item.vb.viewRange()
        losses = np.concatenate([plot.runs[run_id].buffer.train, plot.runs[run_id].buffer.val])
        assert y0 <= losses.min() and losses.max() <= y1
        assert (losses.max() - losses.min()) / (y1 - y0) > 0.5     # each fills its own axis
    long_run = steps(1, 300)
    plot.add_run("otto-long", "TensorFlow · Otto Group", dataset="otto", dataset_title="Otto Group")
    plot.add_steps("otto-long", long_run)
    plot.redraw()
    assert top.item.vb.viewRange()[0][1] >= 300 and bottom.item.vb.viewRange()[0][1] < 100   # own x ranges
    plot.set_run_visible("otto-long", False)
    plot.set_run_visible("linear", False)
    assert plot.shown_panels == [top] and not top.item.titleLabel.isVisible()


def test_top_tick_label_fits_inside_the_plot(qtbot, window):
    train(qtbot, window, steps=5, n=100)
    window.plot.redraw()
    for plot_item in (window.plot.item, window.lr_range_view.item):
        axis = plot_item.getAxis("left")
        half_text = QFontMetrics(axis.font()).height() / 2
        top_of_view = plot_item.vb.mapRectToScene(plot_item.vb.boundingRect()).top()
        assert top_of_view >= half_text, (top_of_view, half_text)


def test_side_panel_shows_status_and_engine_apart(qtbot, window):
    train(qtbot, window, steps=3, n=100)
    panel = window.live_panel
    form = panel.layout()
    labels = {form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget().text():
              form.itemAt(row, QFormLayout.ItemRole.FieldRole).widget().text() for row in range(form.rowCount())
              if form.itemAt(row, QFormLayout.ItemRole.LabelRole) is not None}
    assert labels["Status:"] == "finished"
    assert labels["Engine:"] == f"TensorFlow {window.session.last_ended.engine_version}"


def test_people_read_human_names(qtbot, window):
    record = train(qtbot, window, steps=3, n=100)
    cells = [window.runs_table.cell_text(record.id, column) for column in ("Backend", "Dataset")]
    assert cells == [f"TensorFlow {record.engine_version}", "Linear"]
    assert window.plot.labels()[0].startswith("#1 TensorFlow · Linear")
    assert record.engine == "tensorflow" and record.settings.dataset == "linear"   # files keep the ids


def test_log_scale_has_a_toolbar_icon(window):
    assert not window.commands.log_y.icon().isNull()
    toolbar = window.findChild(type(window.addToolBar("probe")), "main-toolbar")
    assert window.commands.log_y in toolbar.actions()


# -- learning-rate slider: fine control ------------------------------------------------------------------------------

def wheel(widget, notches: int) -> None:
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_learning_rate_slider_moves_a_tenth_of_a_decade_per_key_and_wheel_notch(qtbot, window):
    control = window.form.lr_control
    picked = []
    control.rate_changed.connect(picked.append)
    control.set_rate(0.01)
    control.slider.setFocus()
    qtbot.keyClick(control.slider, Qt.Key.Key_Right)
    qtbot.keyClick(control.slider, Qt.Key.Key_Right)
    assert picked == [0.013, 0.016]
    qtbot.keyClick(control.slider, Qt.Key.Key_Left)
    qtbot.keyClick(control.slider, Qt.Key.Key_Left)
    qtbot.keyClick(control.slider, Qt.Key.Key_Left)
    assert picked[-1] == 0.0079
    qtbot.keyClick(control.slider, Qt.Key.Key_PageUp)
    assert picked[-1] == 0.079
    wheel(control.slider, 1)
    assert picked[-1] == 0.1
    wheel(control.slider, -2)
    assert picked[-1] == 0.063 and window.settings().learning_rate == 0.063
    assert control.box.text() == "0.063"


def test_learning_rate_slider_is_long_and_a_drag_lands_where_it_reads(qtbot, window):
    control = window.form.lr_control
    side = window.controls_dock.widget()
    assert control.slider.width() >= 0.75 * side.width()    # the panel's width, not the form's field column
    control.set_rate(0.01)
    slider = control.slider
    start = QPoint(slider.handle_centre(slider.value()), slider.height() // 2)
    target = rate_to_position(0.2)
    end = QPoint(slider.handle_centre(target), slider.height() // 2)
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(slider, QPoint((start.x() + end.x()) // 2, end.y()))
    qtbot.mouseMove(slider, end)
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=end)
    assert control.rate == 0.2 and slider.value() == target
    pixels_per_tenth = slider.handle_centre(target + 1) - slider.handle_centre(target)
    assert pixels_per_tenth >= 4     # ~5 px per tenth of a decade: a hand can hit each one
    labels = dict((text, x) for x, text in control.scale.labels())
    assert list(labels) == ["1e-5", "1e-4", "0.001", "0.01", "0.1", "1", "10"]


def test_dataset_titles_name_unknown_datasets_as_they_are():
    from kgui.ui.names import dataset_title

    assert (dataset_title("spiral"), dataset_title("otto"), dataset_title("/data/my points.csv")) == (
        "Spiral", "Otto Group", "my points.csv")
    assert dataset_title("a-dataset-of-a-newer-version") == "a-dataset-of-a-newer-version"   # a saved run's


def test_a_saved_runs_row_that_cannot_be_made_says_so_instead_of_ending_the_app():
    from kgui.ui.runs_table import COLUMNS, RunRow

    row = RunRow("run-1", None, None, record=object())   # its cells are made when Qt first asks, in data()
    cells = row.texts()
    assert len(cells) == len(COLUMNS) and cells[0] == "run-1" and cells[-1].startswith("unreadable: ")


def test_a_new_run_lays_out_what_it_will_fill_before_its_first_step(qtbot):
    """The first frame with data brings the first steps, confusion matrix and decision boundary at once: the
    matrix's classes and the readout's rows are laid out when the run starts, from its dataset."""
    from kgui.core.data.datasets import load_dataset
    from kgui.core.experiment.settings import ExperimentSettings
    from kgui.ui.fit_view import FitView
    from kgui.ui.panels import LivePanel

    dataset = load_dataset("iris")
    fit_view, panel = FitView(), LivePanel()
    for widget in (fit_view, panel):
        qtbot.addWidget(widget)
        widget.show()
    fit_view.show_run("run", ExperimentSettings(dataset="iris", steps=10), dataset)
    table = fit_view.classes_page.matrix
    assert table.rowCount() == table.columnCount() == len(dataset.class_names) == 3
    assert [table.horizontalHeaderItem(c).toolTip() for c in range(3)] == [
        f"{i + 1}: {name}" for i, name in enumerate(dataset.class_names)]
    assert fit_view.classes_page.classes.text().startswith(f"Classes: 1 = {dataset.class_names[0]}")
    form = panel.layout()
    panel.expect_rows(dataset)                       # classification with validation rows
    assert form.isRowVisible(panel.values["accuracy"]) and not form.isRowVisible(panel.values["params"])
    panel.expect_rows(load_dataset("linear"))        # one-feature regression
    assert not form.isRowVisible(panel.values["accuracy"]) and form.isRowVisible(panel.values["params"])


def test_table_and_side_panel_step_times_say_which_measure_they_are(qtbot):
    slow_first = [dataclasses.replace(step, step_ms=ms) for step, ms in zip(steps(1, 4), (100.0, 1.0, 1.0, 1.0))]
    record = RunRecord.new(ExperimentSettings(), "timed")
    record.history = slow_first
    summary_only = dataclasses.replace(record, history=[], summary=RunSummary())
    for step in slow_first:
        summary_only.summary.add(step)
    column = COLUMNS.index("Mean ms/step")
    assert run_cells(record)[column] == run_cells(summary_only)[column] == "25.75"   # a mean, read or not

    panel = LivePanel()
    qtbot.addWidget(panel)
    panel.show_step(slow_first[-1], 4, 1.0, recent=4)
    form = panel.layout()
    label = form.labelForField(panel.values["step_ms"])
    assert (label.text(), panel.values["step_ms"].text()) == ("Step time:", "1.00 ms (median, last 4)")
    assert "median" in label.toolTip().lower() and "Mean ms/step" in label.toolTip()
    assert "median" in STEP_MS_TIP and "Step time" in STEP_MS_TIP     # the table's header tooltip


def test_new_values_in_the_live_readout_do_not_lay_the_side_panel_out_again(qtbot, window):
    """At every frame of a run the readout's numbers change; a layout pass each time would call into Python all
    through the side panel, every call waiting for a PyTensor step's GIL."""
    from PyQt6.QtCore import QEvent, QObject

    panel = window.live_panel
    layouts = []

    class LayoutSpy(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.LayoutRequest:
                layouts.append(watched)
            return False

    records = steps(1, 3)
    panel.show_step(records[0], 300, 1.0, recent=1)
    qtbot.wait(50)                                   # the first step may show rows (accuracy, w and b)
    spy = LayoutSpy()
    panel.installEventFilter(spy)
    for record in records[1:]:
        panel.show_step(record, 300, record.step_ms, recent=record.step)
        qtbot.wait(20)
    panel.removeEventFilter(spy)
    assert panel.values["step"].text() == "3 / 300" and panel.values["step_ms"].text().endswith("(median, last 3)")
    assert layouts == []
    assert panel.values["step_ms"].cursorPosition() == 0     # a value wider than its field shows its start
