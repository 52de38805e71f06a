"""Issue 11's leftovers, as a new user meets them in the window (offscreen Qt, real engines): runs named for people,
right-dock tabs that read in full, step times that say which measure they are, the whole side panel in view, a
range test that reads as done, the Code dock's caption, rate labels inside the view and clear of the legend."""
import dataclasses

from PyQt6.QtWidgets import QTabBar

from kgui.core.runs import RunRecord, RunStore, RunSummary
from kgui.core.settings import ExperimentSettings
from kgui.ui.loss_plot import LossPlot
from kgui.ui.main_window import MainWindow
from kgui.ui.panels import LivePanel
from kgui.ui.runs_table import COLUMNS, STEP_MS_TIP, run_cells
from test_ui_loss_plot import steps
from ui_support import RUN_TIMEOUT_MS, messages, train, window  # noqa: F401 - fixtures


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


def test_the_right_docks_tabs_show_their_titles_in_full(window):
    bars = [bar for bar in window.findChildren(QTabBar)
            if bar.isVisible() and "Code" in [bar.tabText(i) for i in range(bar.count())]]
    assert len(bars) == 1
    bar = bars[0]
    assert [bar.tabText(i) for i in range(bar.count())] == ["Fit", "Parity", "Code", "Decision boundary"]
    assert bar.width() >= bar.sizeHint().width()    # narrower than its tabs ask for, it elides them ("Backen…")


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


def test_the_side_panel_shows_the_whole_current_run_without_scrolling(window):
    scroller = window.controls_dock.widget()
    assert window.live_panel.isVisible() and scroller.verticalScrollBar().maximum() == 0


def test_a_range_test_that_ends_as_the_loss_blows_up_reads_as_done(qtbot, window):
    window.dataset_picker.select("linear", {"n": 100})
    window.range_test()
    qtbot.waitUntil(lambda: not window.running and window.start_action.isEnabled(), timeout=RUN_TIMEOUT_MS)
    assert window.engine_state.text() == window.live_panel.values["state"].text() == "range test done"


def test_the_code_docks_caption_has_a_row_of_its_own_and_human_names(qtbot, window):
    window.code_dock.raise_()
    view = window.code_view
    qtbot.waitUntil(lambda: view.caption.text().startswith("TensorFlow · Linear · linear · sgd: python FILE.py"),
                    timeout=10_000)
    assert view.caption.geometry().bottom() < view.copy_button.geometry().top()


def test_a_rate_marker_label_is_never_drawn_over_the_legend(qtbot):
    plot = LossPlot()
    plot.timer.stop()
    qtbot.addWidget(plot)
    plot.resize(700, 450)
    plot.show()
    for index, title in enumerate(["TensorFlow · Linear", "TensorFlow · Linear", "Theano (PyTensor) · Linear"]):
        plot.add_run(f"r{index}", title, rate=0.5, dataset="linear", dataset_title="Linear")
    plot.add_steps("r0", steps(1, 300, 0.5))
    plot.add_steps("r1", steps(1, 220, 0.5) + steps(221, 300, 0.1))    # a change under the legend (top right)
    plot.add_steps("r2", steps(1, 50, 0.5) + steps(51, 300, 0.2))      # and one left of it
    plot.redraw()
    qtbot.wait(50)
    legend = plot.panel_of("r1").legend.sceneBoundingRect()
    under, left = (plot.runs[run_id].markers[0][2].label.sceneBoundingRect() for run_id in ("r1", "r2"))
    assert legend.left() < under.center().x() < legend.right()
    assert not under.intersects(legend) and under.top() >= legend.bottom()
    assert left.right() < legend.left() and left.top() < legend.top() + 10     # where there is room: at the top

    plot.resize(700, 160)          # a short panel (three datasets stacked): the label stays inside the view
    qtbot.wait(50)
    view = plot.panel_of("r2").item.vb.sceneBoundingRect()
    left = plot.runs["r2"].markers[0][2].label.sceneBoundingRect()
    assert view.top() - 0.5 <= left.top() and left.bottom() <= view.bottom() + 0.5


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
