"""The loss plot's view while runs train: it follows the data in a few jumps, not at every frame, and stops
following when the user zooms (Auto Range resumes)."""

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QWheelEvent
from PyQt6.QtWidgets import QApplication

from kgui.core.runs import StepRecord
from kgui.ui.loss_plot import FOLLOW_FILL, LossPlot, follow_range


def test_follow_range_keeps_a_view_that_holds_the_data_well():
    assert follow_range((0.0, 10.0), 2.0, 9.0) is None
    assert follow_range((0.0, 10.0), 0.0, 10.0) is None


def test_follow_range_gives_room_on_the_side_the_data_left():
    low, high = follow_range((1.0, 5.0), 0.8, 4.8)   # a falling loss went under the view
    assert low < 0.8 - 0.1 * 4.0 and 4.8 < high < 4.8 + 0.1 * 4.0
    low, high = follow_range((1.0, 5.0), 1.2, 5.5)   # a rising one over it
    assert high > 5.5 + 0.1 * 4.3 and 1.2 - 0.1 * 4.3 < low < 1.2


def test_follow_range_tightens_a_view_the_data_fills_too_little_of():
    low, high = follow_range((0.0, 100.0), 40.0, 45.0)
    assert 35.0 < low < 40.0 and 45.0 < high < 50.0
    assert (45.0 - 40.0) / (high - low) >= FOLLOW_FILL


def test_follow_range_of_a_single_value_is_a_unit_around_it():
    low, high = follow_range(None, 0.7, 0.7)
    assert low < 0.2 and high > 1.2


def steps(first, last, rate=0.1):
    """StepRecords of a loss falling like a training curve."""
    return [StepRecord(step=s, train_loss=2.0 / np.sqrt(s) + 0.5, val_loss=2.1 / np.sqrt(s) + 0.5, accuracy=None,
                       learning_rate=rate, elapsed=0.02 * s, step_ms=20.0) for s in range(first, last + 1)]


@pytest.fixture
def plot(qtbot):
    widget = LossPlot(redraws_itself=False)  # frames are drawn by the test
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    widget.show()
    return widget


def view(plot):
    return [tuple(axis) for axis in plot.item.vb.viewRange()]


def contains(view_range, run):
    (x0, x1), (y0, y1) = view_range
    xs, ys = run.buffer.steps, np.concatenate([run.buffer.train, run.buffer.val])
    return x0 <= xs.min() and xs.max() <= x1 and y0 <= ys.min() and ys.max() <= y1


def test_a_live_run_spans_its_planned_steps_and_the_view_moves_rarely(plot):
    run = plot.add_run("live", "live run", planned_steps=300)
    views = []
    for first in range(1, 300, 3):  # 100 frames of 3 steps each
        plot.add_steps("live", steps(first, first + 2))
        plot.redraw()
        views.append(view(plot))
        assert contains(views[-1], run), (first, views[-1])
    assert views[0][0][1] >= 300                  # x spans the whole run from the first frame
    changes = sum(a != b for a, b in zip(views, views[1:]))
    assert changes <= 5, changes                 # not once per frame: each change re-generates ticks and grid


def test_a_run_that_ends_early_is_refitted_to_the_steps_it_took(plot):
    plot.add_run("live", "live run", planned_steps=1000)
    plot.add_steps("live", steps(1, 40))
    plot.redraw()
    assert view(plot)[0][1] >= 1000
    plot.end_run("live")
    plot.redraw()
    assert 40 <= view(plot)[0][1] < 80


def test_zooming_stops_following_and_auto_range_resumes(plot, qtbot):
    run = plot.add_run("live", "live run", planned_steps=100)
    plot.add_steps("live", steps(1, 10))
    plot.redraw()
    viewport = plot.widget.viewport()
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    wheel = QWheelEvent(centre, QPointF(viewport.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, wheel)      # the mouse wheel zooms in, as a user does
    assert not plot.following
    zoomed = view(plot)
    plot.add_steps("live", steps(11, 100))
    plot.redraw()
    assert view(plot) == zoomed                  # new data does not move the user's view
    plot.auto_range()
    assert plot.following and contains(view(plot), run)


def test_log_y_follows_in_decades(plot):
    run = plot.add_run("live", "live run", planned_steps=50)
    plot.add_steps("live", steps(1, 50))
    plot.set_log_y(True)
    plot.redraw()
    (_, _), (y0, y1) = view(plot)
    losses = np.concatenate([run.buffer.train, run.buffer.val])
    assert y0 <= np.log10(losses.min()) and np.log10(losses.max()) <= y1


def test_an_axis_makes_room_for_wider_tick_labels_and_keeps_it(plot, qtbot):
    """A loss falling from thousands to fractions: the left axis widens for "-100000" and does not narrow again
    (each change would lay the plot out and draw the axes twice while a run trains)."""
    axis = plot.item.getAxis("left")
    plot.item.vb.setRange(yRange=(0, 1), padding=0)
    plot.widget.repaint()
    narrow = axis.width()
    plot.item.vb.setRange(yRange=(-100000, 100000), padding=0)
    plot.widget.repaint()
    qtbot.waitUntil(lambda: axis.width() > narrow)   # laid out after the paint that measured the labels
    wide = axis.width()
    plot.item.vb.setRange(yRange=(0, 1), padding=0)
    for _ in range(3):
        plot.widget.repaint()
        qtbot.wait(20)
    assert axis.width() == wide


def test_a_view_fitted_afresh_gives_back_the_room_of_wide_labels(plot, qtbot):
    axis = plot.item.getAxis("left")
    plot.item.vb.setRange(yRange=(-100000, 100000), padding=0)
    plot.widget.repaint()
    qtbot.waitUntil(lambda: axis.width() > 0)
    qtbot.wait(20)
    plot.widget.repaint()
    wide = axis.width()
    plot.add_run("small", "small losses", planned_steps=20)
    plot.add_steps("small", steps(1, 20))
    plot.auto_range()                                # the view fitted afresh: labels like "0.6"
    for _ in range(3):
        plot.widget.repaint()
        qtbot.wait(20)
    assert axis.width() < wide
    assert axis.style["autoReduceTextSpace"] is False    # and only then: not while a run trains


def test_a_scheduled_run_is_marked_only_where_the_slider_moved_its_base_rate(qtbot):
    """The plot draws the changes it is given (the trainer's), not every step whose scheduled rate differs."""
    from kgui.core.experiment.settings import ExperimentSettings

    plot = LossPlot()
    qtbot.addWidget(plot)
    schedule = ExperimentSettings(learning_rate=0.2, steps=30, schedule="cosine", decay=0.1).rate_schedule()
    plot.add_run("r", "scheduled", rate=0.2, planned_steps=30, schedule=schedule)
    steps = [StepRecord(step, 1.0 / step, None, None, schedule.rate(step, 0.2 if step < 12 else 0.05), 0.01 * step,
                        1.0) for step in range(1, 31)]
    plot.add_steps("r", steps[:5])
    plot.add_steps("r", steps[5:], [(12, 0.05)])
    assert plot.marker_labels("r") == [(12, "base lr 0.05")]
    assert plot.runs["r"].rates() == [0.2, 0.05]


def test_a_rate_marker_label_is_never_drawn_over_the_legend(qtbot):
    plot = LossPlot(redraws_itself=False)
    qtbot.addWidget(plot)
    plot.resize(700, 450)
    plot.show()
    for index, title in enumerate(["TensorFlow · Linear", "TensorFlow · Linear", "Theano (PyTensor) · Linear"]):
        plot.add_run(f"r{index}", title, rate=0.5, dataset="linear", dataset_title="Linear")
    plot.add_steps("r0", steps(1, 300, 0.5))
    plot.add_steps("r1", steps(1, 220, 0.5) + steps(221, 300, 0.1), [(221, 0.1)])   # a change under the legend
    plot.add_steps("r2", steps(1, 50, 0.5) + steps(51, 300, 0.2), [(51, 0.2)])       # and one left of it
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


def test_a_live_rate_change_in_a_worker_run_is_one_change_in_the_record_its_file_and_on_the_plot(qtbot, tmp_path):
    """The trainer (in the worker) decides the change; it travels with the steps that use it to the session's record
    and to the plot, which draws what it is given; run.json has the trainer's own account."""
    import json

    from engine_support import INSTALLED
    from kgui.core.runs import RunStore
    from kgui.core.session import JobKind, RunStarted, Session, StepsTaken
    from kgui.core.experiment.settings import ExperimentSettings
    from kgui.core.workers import WorkerPool

    engine = next((name for name in ("jax", "torch", "tensorflow", "theano") if name in INSTALLED), None)
    if engine is None:
        pytest.skip("no engine is installed")
    settings = ExperimentSettings(backend=engine, dataset="linear", dataset_options={"n": 100}, learning_rate=0.05,
                                  steps=8)
    pool = WorkerPool(max_workers=1)
    session = Session(RunStore(tmp_path / "runs"), pool=pool)
    plot = LossPlot(redraws_itself=False)
    qtbot.addWidget(plot)
    sent = []

    def on_started(event):
        plot.add_run(event.run.id, event.run.name, planned_steps=event.run.settings.steps, rate=0.05)
        session.job.control.request_step()
        session.job.control.request_step()

    def on_steps(event):
        plot.add_steps(event.run_id, event.steps, event.rate_changes)
        sent.extend(event.rate_changes)
        if event.steps[-1].step == 2:
            session.job.control.set_learning_rate(0.2)
            session.job.control.set_learning_rate(0.5)   # the same step: replaces 0.2
            session.job.control.resume()

    session.on(RunStarted, on_started)
    session.on(StepsTaken, on_steps)
    try:
        record = session.new_job(JobKind.TRAINING, settings, paused=True, batch_s=0.0).run()
    finally:
        assert pool.shutdown(2.0)
    assert record.status == "finished", record.message
    mirror = session.runs[record.id]
    saved = json.loads((tmp_path / "runs" / record.id / "run.json").read_text())
    assert sent == [(3, 0.5)] and mirror.lr_changes == [(3, 0.5)] and saved["lr_changes"] == [[3, 0.5]]
    assert [step.learning_rate for step in mirror.history] == [0.05, 0.05] + [0.5] * 6
    assert plot.marker_labels(record.id) == [(3, "lr 0.5")] and plot.runs[record.id].rates() == [0.05, 0.5]


def two_runs_at_rate_half(qtbot) -> LossPlot:
    """A shown 700×450 loss plot with runs "a" and "b" at learning rate 0.5 and no steps yet."""
    plot = LossPlot(redraws_itself=False)
    qtbot.addWidget(plot)
    plot.resize(700, 450)
    plot.show()
    for run_id in ("a", "b"):
        plot.add_run(run_id, f"run {run_id}", rate=0.5)
    return plot


def test_rate_labels_that_fall_close_together_are_stacked_not_drawn_over_each_other(qtbot):
    """Issue 21: changes a few steps apart (one run's, and another run's at the same step) each keep a readable
    label; labels with room stay at the top."""
    plot = two_runs_at_rate_half(qtbot)
    plot.add_steps("a", steps(1, 100, 0.5) + steps(101, 110, 0.1) + steps(111, 300, 0.05), [(101, 0.1), (111, 0.05)])
    plot.add_steps("b", steps(1, 100, 0.5) + steps(101, 300, 0.2), [(101, 0.2)])
    plot.redraw()
    qtbot.wait(50)

    def label_rects():
        return [line.label.sceneBoundingRect() for run in plot.runs.values() for *_, line in run.markers]

    rects = label_rects()
    assert len(rects) == 3
    assert not any(rects[i].intersects(rects[j]) for i in range(3) for j in range(i + 1, 3)), rects
    view = plot.item.vb.sceneBoundingRect()
    assert min(rect.top() for rect in rects) < view.top() + 0.15 * view.height()     # the first one at the top
    third = plot.runs["a"].markers[1][2].label
    stacked_top = third.sceneBoundingRect().top()
    plot.set_run_visible("b", False)                 # a hidden run's label takes no room
    qtbot.wait(50)
    first = plot.runs["a"].markers[0][2].label.sceneBoundingRect()
    assert third.sceneBoundingRect().top() < stacked_top and not third.sceneBoundingRect().intersects(first)
    plot.set_run_visible("b", True)
    plot.item.vb.setXRange(95, 125, padding=0)       # zoomed in: room for them side by side, all at the top
    qtbot.wait(50)
    rects = label_rects()
    assert not any(rects[i].intersects(rects[j]) for i in range(3) for j in range(i + 1, 3))
    assert len({round(rect.top()) for rect in rects}) <= 2


def test_an_svg_export_stacks_close_rate_labels_as_the_screen_does(qtbot):
    import matplotlib

    from kgui.ui.exporting import SVG_STYLE, panel_state, svg_figure

    plot = two_runs_at_rate_half(qtbot)
    plot.add_steps("a", steps(1, 100, 0.5) + steps(101, 300, 0.1), [(101, 0.1)])
    plot.add_steps("b", steps(1, 100, 0.5) + steps(101, 300, 0.2), [(101, 0.2)])
    plot.redraw()
    qtbot.wait(50)
    state = panel_state(plot.item)
    tops = sorted(marker.top for marker in state.markers)
    assert len(tops) == 2 and tops[1] - tops[0] > 0.03 and tops[1] > 0.9    # one under the other, the first on top
    with matplotlib.rc_context(SVG_STYLE):
        axes = svg_figure([state], (700, 450)).axes[0]
    assert sorted(text.xy[1] for text in axes.texts) == tops


def test_the_redraw_timer_runs_only_while_there_is_something_to_draw(qtbot):
    """The ~30 Hz redraw timer ticked while nothing trained (~3 ms of CPU a second in an idle window): it stops at
    the first tick that finds nothing new, and the next change starts it again."""
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 400)
    plot.show()
    qtbot.waitUntil(lambda: not plot.timer.isActive(), timeout=2000)      # nothing to draw yet
    plot.add_run("r", "TensorFlow · Linear")
    plot.add_steps("r", steps(1, 20))
    assert plot.timer.isActive()
    qtbot.waitUntil(lambda: not plot.timer.isActive(), timeout=2000)
    assert len(plot.runs["r"].train.xData) == 20                           # drawn by its ticks, then idle
    plot.add_steps("r", steps(21, 30))
    qtbot.waitUntil(lambda: len(plot.runs["r"].train.xData) == 30, timeout=2000)
    qtbot.waitUntil(lambda: not plot.timer.isActive(), timeout=2000)
    plot.set_run_visible("r", False)
    assert plot.timer.isActive()
    by_hand = LossPlot(redraws_itself=False)          # a notebook's: its owner draws, the timer never starts
    by_hand.add_run("r", "TensorFlow · Linear")
    by_hand.add_steps("r", steps(1, 5))
    assert not by_hand.timer.isActive()
    by_hand.deleteLater()


def test_a_diverged_run_does_not_flatten_the_other_curves_of_its_panel(plot):
    """At learning rate 1.5 a run blew up to 6,700; the view fits the readable runs and the blow-up goes off the top."""
    diverged = [StepRecord(step=s, train_loss=0.25 * 3.0 ** s, val_loss=None, accuracy=None, learning_rate=1.5,
                           elapsed=0.02 * s, step_ms=20.0) for s in range(1, 11)]     # 0.75 … 14,762
    plot.add_run("diverged", "learning rate 1.5")
    plot.add_steps("diverged", diverged)
    readable = plot.add_run("readable", "learning rate 0.1")
    plot.add_steps("readable", steps(1, 10))
    plot.redraw()
    (_, _), (y0, y1) = view(plot)
    assert contains(view(plot), readable)
    assert y1 < 4 and y1 - y0 < 4        # not 0 … 14,762, where the readable run is a line at 0


def drawn_labels(axis) -> list[str]:
    """The tick labels ``axis`` draws (those it keeps)."""
    from PyQt6.QtGui import QImage, QPainter
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        return [text for _, _, text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()


def test_a_log_axis_spanning_less_than_a_decade_labels_several_values(plot):
    """A spiral loss from 0.76 to 0.66 on a log axis had one label ("0.7")."""
    plot.add_run("spiral", "spiral")
    plot.add_steps("spiral", [StepRecord(step=s, train_loss=0.76 - 0.002 * s, val_loss=None, accuracy=None,
                                         learning_rate=0.01, elapsed=s, step_ms=1.0) for s in range(1, 51)])
    plot.set_log_y(True)
    plot.redraw()
    labels = drawn_labels(plot.item.getAxis("left"))
    assert len(labels) >= 3 and all(0.6 <= float(label) <= 0.8 for label in labels), labels
    plot.add_steps("spiral", [StepRecord(step=s, train_loss=10.0 ** (50 - s), val_loss=None, accuracy=None,
                                         learning_rate=0.01, elapsed=s, step_ms=1.0) for s in range(51, 57)])
    plot.redraw()
    assert "0.001" in drawn_labels(plot.item.getAxis("left"))    # many decades: the decades labelled, as before


def test_a_curve_near_float32s_largest_value_is_not_an_overflow_warning():
    """The diverged check multiplied the first loss by 10: a loss near 3.4e38 overflowed float32 with a RuntimeWarning
    printed in the notebook (test_live_plot_survives_a_flat_loss_at_the_largest_floats)."""
    import warnings

    import numpy as np

    from kgui.ui.loss_plot.view_maths import diverged_ceiling

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert diverged_ceiling(np.array([3.0e38, 3.4e38], dtype=np.float32)) == float("inf")
        assert diverged_ceiling(np.array([1.0, 50.0], dtype=np.float32)) == 1.5
