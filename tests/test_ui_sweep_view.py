"""The Sweep tab: the trials of a sweep in a sortable, filterable table; brushing a range on a parallel-coordinates
axis (a real mouse drag) filters the table; a click shows the trial's run; exports."""
import json
import math
import os
from functools import partial

import numpy as np
import pytest
from PyQt6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PyQt6.QtGui import QImage, QMouseEvent, QWheelEvent
from PyQt6.QtWidgets import QApplication, QGraphicsItem, QLabel

from kgui.core.runs import RunRecord, RunStatus, RunStore, StepRecord, SweepTag
from kgui.core.session import StepsTaken
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.sweeps.table import ScaleKind, axis_scale
from kgui.ui.sweep import SweepView, with_history
from kgui.ui.sweep.export import SweepPanel
from kgui.ui.sweep.parallel_coordinates import axis_decorations
from kgui.ui.sweep.view import WAITING_FOR_TRIALS
from kgui.ui.worker import WORKER_NICE
from ui_support import messages  # noqa: F401 - fixture

RATES = (0.001, 0.01, 0.1, 1.0)


def stored_sweep(store: RunStore, sweep_id: str = "sweep-20260101-000000-aaaa") -> list[RunRecord]:
    """A sweep's trials as the trainer writes them (steps written, no training): learning rate × optimizer."""
    records = []
    for rate in RATES:
        for optimizer in ("sgd", "adam"):
            settings = ExperimentSettings(dataset="spiral", learning_rate=rate, optimizer=optimizer, steps=3)
            record = RunRecord.new(settings, f"trial {rate} {optimizer}")
            SweepTag(sweep_id, {"learning_rate": rate, "optimizer": optimizer}).apply(record)
            writer = store.begin(record)
            final = 1.0 / (1 + 10 * rate) + (0.05 if optimizer == "sgd" else 0.0)
            for step in range(1, 4):
                writer.append(StepRecord(step, final + (3 - step) * 0.1, final + (3 - step) * 0.1, 0.5, rate,
                                         0.01 * step, 1.0))
            record.status = RunStatus.FINISHED
            writer.save()
            writer.close()
            records.append(record)
    return records


@pytest.fixture
def view(qtbot, tmp_path):
    store = RunStore(tmp_path)
    stored_sweep(store)
    widget = SweepView()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.set_runs(store.list())
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _drag(widget, start: QPointF, end: QPointF) -> None:
    """A left-button drag on ``widget``'s viewport, with the button held in every move (as a real mouse)."""
    viewport = widget.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    points = [start + (end - start) * (i / 10) for i in range(11)]

    def send(kind, point, button, buttons):
        local = QPointF(point)
        QApplication.sendEvent(viewport, QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(local.toPoint())),
                                                     button, buttons, Qt.KeyboardModifier.NoModifier))

    send(QEvent.Type.MouseButtonPress, points[0], left, left)
    for point in points[1:]:
        send(QEvent.Type.MouseMove, point, none, left)
    send(QEvent.Type.MouseButtonRelease, points[-1], left, none)


def _viewport_point(view, x: float, y: float) -> QPointF:
    coordinates = view.coordinates
    scene = coordinates.box.mapViewToScene(QPointF(x, y))
    return QPointF(coordinates.mapFromScene(scene))


def test_the_table_lists_every_trial_ranked_and_sorts_and_filters(view):
    assert view.proxy.rowCount() == 8
    metric = view.model.columns.index("final_val_loss")
    values = [view.model.rows[i].metrics["final_val_loss"] for i in range(8)]
    assert values == sorted(values)                                   # ranked best first
    view.table.sortByColumn(view.model.columns.index("learning_rate"), Qt.SortOrder.DescendingOrder)
    assert view.proxy.index(0, 0).data() == "1"
    view.filter_box.setText("adam")
    assert view.proxy.rowCount() == 4
    view.filter_box.setText("")
    assert view.proxy.rowCount() == 8
    assert metric >= 0


def _lines_drawn(item) -> int:
    """How many polylines a parallel-coordinates path item holds (a line ends where it does not connect on)."""
    x, _ = item.getData()
    return 0 if x is None else int(np.count_nonzero(~item.opts["connect"]))


def test_brushing_an_axis_with_the_mouse_filters_the_table(view, qtbot):
    assert _lines_drawn(view.coordinates.lines) == 8 and _lines_drawn(view.coordinates.dim) == 0
    scales = view.coordinates.scales
    assert [scale.name for scale in scales] == ["learning_rate", "optimizer", "final_val_loss"]
    assert scales[0].kind is ScaleKind.LOG and scales[1].kind is ScaleKind.CATEGORICAL
    # the two largest rates: log positions 2/3 and 1 on the learning-rate axis (column 0)
    _drag(view.coordinates, _viewport_point(view, 0.0, 0.55), _viewport_point(view, 0.0, 1.02))
    assert view.coordinates.brushes, "the drag brushed no axis"
    shown = view.visible_run_ids()
    rates = {view.model.rows[i].run_id: view.model.rows[i].values["learning_rate"] for i in range(8)}
    assert len(shown) == 4 and {rates[run_id] for run_id in shown} == {0.1, 1.0}
    assert _lines_drawn(view.coordinates.lines) == 4 and _lines_drawn(view.coordinates.dim) == 4
    adam = scales[1].position("adam")
    view.coordinates.set_brush(1, adam - 0.1, adam + 0.1)            # and only adam
    shown = view.visible_run_ids()
    assert len(shown) == 2 and all(view.model.rows[[r.run_id for r in view.model.rows].index(run_id)]
                                   .values["optimizer"] == "adam" for run_id in shown)
    view.coordinates.clear_brush()
    assert len(view.visible_run_ids()) == 8


def test_a_click_on_a_trial_asks_to_show_its_run(view, qtbot):
    first = view.proxy.index(0, 0)
    with qtbot.waitSignal(view.run_clicked) as signal:
        view.table.clicked.emit(first)
    assert signal.args == [view.model.rows[0].run_id]


def test_exports_write_the_rows_shown_and_every_view_as_png_and_svg(view, tmp_path, qtbot):
    view.filter_box.setText("sgd")
    data = json.loads(view.export_table(tmp_path / "t.json").read_text())
    assert len(data) == 4 and {row["optimizer"] for row in data} == {"sgd"}
    assert view.export_table(tmp_path / "t.csv").read_text().startswith("run_id,learning_rate,optimizer")
    view.views.setCurrentIndex(1)                                   # the curves drawn
    for panel in SweepPanel:
        target = view.export_target(panel)
        assert not target.empty_message
        png, svg = target.export(tmp_path / f"{panel.name}.png"), target.export(tmp_path / f"{panel.name}.svg")
        assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 1000
        assert "<svg" in svg.read_text()
        assert len(json.loads(target.export(tmp_path / f"{panel.name}.json").read_text())) == 4   # the table
    assert "Learning rate" in (tmp_path / "COORDINATES.svg").read_text()          # text stays text
    assert "Learning rate (log scale)" in (tmp_path / "SCATTER.svg").read_text()
    with qtbot.waitSignal(view.export_requested) as picked:           # Export… → Metric vs parameter…
        view.export_button.menu().actions()[1].trigger()
    assert picked.args == [SweepPanel.SCATTER]


def test_trials_that_end_are_added_live_and_those_ending_within_a_frame_drawn_once(view, tmp_path, qtbot):
    store = RunStore(tmp_path / "more")
    later = stored_sweep(store, "sweep-20270101-000000-bbbb")
    view.add_run(store.load(later[0].id))
    assert view.sweep_id == "sweep-20270101-000000-bbbb" and view.proxy.rowCount() == 1
    assert len(view.coordinates.rows) == 8          # a new sweep: its lines and points after its table's paint
    qtbot.waitUntil(lambda: _drawn(view, 1))
    drawn = []
    coordinates = view.coordinates
    coordinates.fresh.sigPlotChanged.connect(drawn.append)     # set once by every redraw
    for record in later[1:]:
        view.add_run(store.load(record.id))
    qtbot.waitUntil(lambda: _drawn(view, 8))
    assert len(drawn) == 1                                     # seven trials, one redraw
    assert _lines_drawn(coordinates.lines) + _lines_drawn(coordinates.fresh) == 8
    assert len(coordinates.rows) == 8 and view.scatter.count == 8
    assert view.sweep_picker.currentText().endswith("(8 trials)")


def _drawn(view: SweepView, trials: int) -> bool:
    """The table, the parallel coordinates and the scatter all hold ``trials`` trials (a frame draws them in turn)."""
    return view.model.rowCount() == trials and len(view.coordinates.rows) == trials and view.scatter.count == trials


def _one_more_trial(store: RunStore, sweep_id: str, loss: float) -> RunRecord:
    """A trial of learning rate 0.01 and Adam (inside the stored sweep's axes) whose losses are all ``loss``."""
    settings = ExperimentSettings(dataset="spiral", learning_rate=0.01, optimizer="adam", steps=3)
    record = RunRecord.new(settings, "one more")
    SweepTag(sweep_id, {"learning_rate": 0.01, "optimizer": "adam"}).apply(record)
    writer = store.begin(record)
    for step in range(1, 4):
        writer.append(StepRecord(step, loss, loss, 0.5, 0.01, 0.01 * step, 1.0))
    record.status = RunStatus.FINISHED
    writer.save()
    writer.close()
    return store.load(record.id, with_history=False)


def test_a_trial_inside_the_axes_is_drawn_alone_the_others_stay_a_cached_picture(view, tmp_path, qtbot):
    coordinates = view.coordinates
    redrawn = []
    coordinates.lines.sigPlotChanged.connect(redrawn.append)
    view.add_run(_one_more_trial(RunStore(tmp_path / "one"), view.sweep_id, 0.9))
    qtbot.waitUntil(lambda: _drawn(view, 9))
    assert not redrawn and _lines_drawn(coordinates.fresh) == 1 and _lines_drawn(coordinates.lines) == 8
    assert coordinates.lines.cacheMode() is QGraphicsItem.CacheMode.DeviceCoordinateCache
    coordinates.set_brush(0, 0.0, 0.5)                                 # a brush draws every line again
    assert _lines_drawn(coordinates.fresh) == 0
    assert _lines_drawn(coordinates.lines) + _lines_drawn(coordinates.dim) == 9


def test_a_trial_widening_the_metrics_axis_adds_its_point_to_the_scatter_alone(view, tmp_path, qtbot):
    """The scatter's x axis is the hyper-parameter's: a loss beyond the others redraws the parallel coordinates
    (their metric axis widens), not the scatter's points."""
    redrawn, points_set = [], []
    view.coordinates.lines.sigPlotChanged.connect(redrawn.append)
    set_points = view.scatter.set_points
    view.scatter.set_points = lambda *args: points_set.append(args) or set_points(*args)
    view.add_run(_one_more_trial(RunStore(tmp_path / "one"), view.sweep_id, 5.0))
    qtbot.waitUntil(lambda: _drawn(view, 9))
    assert redrawn and not points_set
    assert view.scatter.count == 9 and max(view.scatter.points.getData()[1]) == 5.0


def test_axis_scales():
    assert axis_scale("learning_rate", [0.001, 0.1]).position(0.01) == pytest.approx(0.5)
    assert axis_scale("momentum", [0.0, 0.5, 1.0]).position(0.5) == 0.5
    optimizer = axis_scale("optimizer", ["sgd", "adam", "sgd"])
    assert optimizer.categories == ("sgd", "adam") and optimizer.position("adam") == 1.0
    assert axis_scale("hidden", [[8, 8], [4]]).categories == ("8,8", "4")
    assert axis_scale("final_val_loss", [0.5, None, math.nan]).position(None) is None


def test_the_window_has_a_sweep_tab_and_a_click_shows_the_trials_curves(qtbot, tmp_path, messages):
    from kgui.ui.main_window import MainWindow

    store = RunStore(tmp_path / "runs")
    records = stored_sweep(store)
    window = MainWindow(store=store)
    qtbot.addWidget(window)
    window.show()
    view = window.sweep_view
    assert window.tabs.tabText(window.tabs.indexOf(view)) == "Sweep"
    assert all(event_type is not None for event_type, _ in window.session._hub._handlers)   # each part: by type
    assert view.proxy.rowCount() == len(records)
    run_id = view.model.rows[0].run_id
    view.table.clicked.emit(view.proxy.index(0, 0))
    assert window.session.is_shown(run_id) and run_id in window.plot.runs
    assert window.tabs.currentWidget() is window.plot
    window.tabs.setCurrentWidget(view)                                # File → Export writes the sweep
    assert window.export_choice.target().name == "sweep's parallel coordinates"
    window.session.delete(records[-1].id)
    assert view.proxy.rowCount() == len(records) - 1


def test_the_sweep_dialog_builds_the_sweep_from_the_experiment(qtbot):
    from kgui.ui.sweep.dialog import SweepDialog

    experiment = ExperimentSettings(dataset="spiral", model="mlp", hidden=(8,), optimizer="adam", steps=5)
    dialog = SweepDialog(experiment)
    qtbot.addWidget(dialog)
    (name, values), (name2, values2) = dialog.axis_rows[:2]
    values.setText("0.01,0.1")
    dialog.set_axis(1, "optimizer")
    values2.setText("sgd,adam")
    dialog.seeds.setValue(2)
    assert dialog.verdict.text().startswith("8 trials") and dialog.spec.count() == 8
    assert dialog.spec.expand()[-1].settings.optimizer == "adam"
    values.setText("0.01,-1")
    assert dialog.spec is None and "learning_rate must be a positive number" in dialog.verdict.text()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    values.setText("1e-4:1")
    assert "a grid needs values, not a range" in dialog.verdict.text()
    assert "--" not in dialog.verdict.text() and "random method" in dialog.verdict.text()   # the window's words
    dialog.method.setCurrentText("random")
    dialog.trials.setValue(5)
    assert dialog.spec.count() == 10 and dialog.spec.axes[0].is_range
    dialog.set_axis(0, "l2")            # a range that holds values the setting refuses: named here, not at Start
    values.setText("-1:1")
    assert dialog.spec is None and "l2 must be a non-negative number" in dialog.verdict.text()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()


def _window(qtbot, tmp_path):
    from kgui.ui.main_window import MainWindow

    window = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_sweep_started_in_the_window_runs_in_workers_and_fills_the_tab(qtbot, tmp_path, messages):
    from kgui.ui.sweep.dialog import SweepRun
    from kgui.core.sweeps import Axis, SweepSpec
    from test_core_sweeps import SPIRAL

    window = _window(qtbot, tmp_path)
    spec = SweepSpec(SPIRAL.replace(steps=300), (Axis("learning_rate", (0.01, 0.1)),), seeds=2)
    run = SweepRun(spec, window.session.store, 2)
    batches = []                       # the steps come back seldom: the window's threads are rarely woken
    relay = run.runner.on_event
    run.runner.on_event = lambda event: (batches.append(event) if isinstance(getattr(event, "event", None), StepsTaken)
                                         else None, relay(event))
    view = window.sweep_view
    listed = []
    store = window.session.store
    store.list = lambda *args, **kwargs: listed.append(1) or type(store).list(store, *args, **kwargs)
    view.start(run)
    assert not view.progress.isHidden() and not view.new_button.isEnabled()
    with qtbot.waitSignal(run.finished, timeout=240_000):
        pass
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 4)
    qtbot.waitUntil(lambda: window.runs_table.model.rowCount() == 4)   # each trial listed as it ended
    assert not listed                                # by reading its run alone, not the whole store again
    assert sum(len(batch.event.steps) for batch in batches) == 4 * 300
    sent: dict[int, list[float]] = {}       # each trial's batches, by the training time of their last step
    for batch in batches:
        sent.setdefault(batch.trial_index, []).append(batch.event.steps[-1].elapsed)
    apart = [later - earlier for times in sent.values() for earlier, later in zip(times, times[1:-1])]
    # half a second apart in wall time (the last one: as the trial ends); the steps' own training time between
    # them is less under load, but far above 0.015 s
    assert min(apart, default=1.0) >= 0.1
    assert view.progress.value() == 4 and view.new_button.isEnabled()
    assert {window.session.runs[row.run_id].status for row in view.model.rows} == {"finished"}
    assert not [process for process in run.executor.pool.processes if process.alive]


def test_trials_ending_within_a_frame_are_read_from_their_summaries_and_listed_in_one_insertion(qtbot, tmp_path,
                                                                                                 messages):
    """A burst of trials ending together (the GUI thread held while the sweep runs): one read of each run, without
    its steps, one insertion into the runs table, and the Sweep tab's rows right; a trial clicked then shows its
    whole curve."""
    from kgui.ui.sweep.dialog import SweepRun
    from kgui.core.session import RunsLoaded
    from kgui.core.sweeps import Axis, Metric, SweepSpec
    from test_core_sweeps import SPIRAL

    window = _window(qtbot, tmp_path)
    view, session, store = window.sweep_view, window.session, window.session.store
    spec = SweepSpec(SPIRAL.replace(steps=40), (Axis("learning_rate", (0.01, 0.1)),), seeds=2)
    run = SweepRun(spec, store, 2)
    reads, loaded, inserted = [], [], []
    store_load = store.load
    store.load = lambda run_id, with_history=True: reads.append((run_id, with_history)) or store_load(
        run_id, with_history)
    session.on(RunsLoaded, loaded.append)
    window.runs_table.model.rowsInserted.connect(lambda parent, first, last: inserted.append(last - first + 1))
    view.start(run)
    assert run.wait(240)                              # every trial ended while the window's thread was held
    qtbot.waitUntil(lambda: window.runs_table.model.rowCount() == 4 and view.proxy.rowCount() == 4)
    assert inserted == [4] and len(loaded) == 1 and len(loaded[0].runs) == 4
    ids = {record.id for record in loaded[0].runs}
    assert sorted(reads) == sorted((run_id, False) for run_id in ids)
    assert set(window.runs_table.run_ids()) == ids and all(not session.runs[run_id].history for run_id in ids)
    assert view.progress.value() == 4 and view.progress_label.text().endswith("done")
    for row in view.model.rows:                      # the summaries' metrics are the histories'
        stored = store_load(row.run_id)
        assert row.metrics == {name: Metric(name).of(stored) for name in row.metrics}
        assert window.runs_table.cell_text(row.run_id, "Steps") == "40"
    shown = view.model.rows[0].run_id
    view.run_clicked.emit(shown)
    assert shown in window.plot.runs and session.is_shown(shown)
    curve = window.plot.runs[shown]
    window.plot.redraw()
    assert list(curve.train.yData) == [step.train_loss for step in store_load(shown).history]
    assert window.runs_table.is_checked(shown)


def test_stop_ends_a_window_sweeps_trials_as_stopped_and_leaves_no_worker(qtbot, tmp_path, messages):
    from kgui.ui.sweep.dialog import SweepRun
    from kgui.core.sweeps import Axis, SweepSpec
    from test_core_sweeps import SPIRAL

    window = _window(qtbot, tmp_path)
    spec = SweepSpec(SPIRAL.replace(steps=1_000_000), (Axis("learning_rate", (0.01, 0.1, 0.2)),))
    run = SweepRun(spec, window.session.store, 2)
    view = window.sweep_view
    view.start(run)
    store = window.session.store
    qtbot.waitUntil(lambda: len([r for r in store.list() if r.summary.steps > 0]) >= 2, timeout=240_000)
    processes = list(run.executor.pool.processes)
    own = os.getpriority(os.PRIO_PROCESS, 0)    # the workers run nicer than the window: its GUI thread comes first
    assert [os.getpriority(os.PRIO_PROCESS, process.pid) for process in processes] == [min(own + WORKER_NICE, 19)] * 2
    if os.path.exists(f"/proc/{processes[0].pid}/autogroup"):   # Linux: each worker's session is niced as a group
        assert all(open(f"/proc/{process.pid}/autogroup").read().split()[-1] == str(WORKER_NICE)
                   for process in processes)
    with qtbot.waitSignal(run.finished, timeout=30_000):
        view.stop_button.click()
    records = store.list()    # the trial not started yet is saved as stopped too, and listed with the others
    assert len(records) == 3 and {record.status for record in records} == {RunStatus.STOPPED}
    assert sorted(record.summary.steps > 0 for record in records) == [False, True, True]
    assert not [process for process in processes if process.alive]
    assert "stopped" in view.progress_label.text()
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 3 and window.runs_table.model.rowCount() == 3)


def test_curves_group_seeds_as_mean_and_std_coloured_by_a_hyper_parameter(qtbot, tmp_path):
    from kgui.core.sweeps.seeds import seed_groups

    store = RunStore(tmp_path)
    for rate in (0.01, 0.1, 1.0):
        for seed in range(3):
            record = RunRecord.new(ExperimentSettings(dataset="spiral", learning_rate=rate, seed=seed, steps=4))
            SweepTag("sweep-seeds", {"learning_rate": rate, "seed": seed}).apply(record)
            writer = store.begin(record)
            for step in range(1, 5):
                writer.append(StepRecord(step, rate * step + seed, None, None, rate, 0.01 * step, 1.0))
            record.status = RunStatus.FINISHED
            writer.save()
            writer.close()
    loaded = [store.load(record.id) for record in store.list()]
    groups = {group.values["learning_rate"]: group for group in seed_groups(loaded)}
    assert sorted(groups) == [0.01, 0.1, 1.0] and all(len(group.run_ids) == 3 for group in groups.values())
    assert groups[0.1].mean.tolist() == pytest.approx([0.1 * s + 1 for s in range(1, 5)])   # seeds 0, 1, 2
    assert groups[0.1].std.tolist() == pytest.approx([(2 / 3) ** 0.5] * 4)

    view = SweepView(history_of=partial(with_history, store))    # listed runs hold summaries: read their steps
    qtbot.addWidget(view)
    view.set_runs(store.list())
    view.show()
    view.views.setCurrentIndex(1)
    view.colour_picker.setCurrentText("Learning rate")
    assert view.colour_picker.currentData() == "learning_rate"
    colors = view.curves.colors
    assert len(colors) == 3 and len(set(colors.values())) == 3            # one colour per rate, from the colormap
    assert view.curves.bar.isVisible()
    assert sorted(view.curves.banded) == sorted(colors)                   # a band for each configuration
    scale = view.coordinates.scales[0]
    view.coordinates.set_brush(0, scale.position(1.0) - 0.05, 1.0)         # brushing the largest rate only
    assert list(view.curves.colors) == ["learning_rate 1"]
    view.coordinates.clear_brush()
    record = RunRecord.new(ExperimentSettings(dataset="spiral", learning_rate=3.0, seed=0, steps=4))
    SweepTag("sweep-seeds", {"learning_rate": 3.0, "seed": 0}).apply(record)
    writer = store.begin(record)
    for step in range(1, 5):
        writer.append(StepRecord(step, 3.0 * step, None, None, 3.0, 0.01 * step, 1.0))
    record.status = RunStatus.FINISHED
    writer.save()
    writer.close()
    view.add_run(store.load(record.id, with_history=False))            # a trial ends: the curves follow, live
    qtbot.waitUntil(lambda: "learning_rate 3" in view.curves.colors, timeout=5000)
    assert len(view.curves.colors) == 4


def test_a_sweep_whose_store_cannot_be_written_says_so_in_one_line_keeps_its_ended_trials_and_leaves_no_worker(
        qtbot, tmp_path, capfd):
    """After the first trial ends, the store's folder becomes a regular file (as root, chmod would not stop the
    writes): the next trial's run cannot be saved, and the tab names that in one line, no traceback on stderr."""
    from kgui.core.sweeps import Axis, SweepSpec, TrialEnded, TrialState
    from kgui.ui.sweep.dialog import SweepRun
    from test_core_sweeps import SPIRAL

    root = tmp_path / "runs"
    store = RunStore(root)
    view = SweepView()
    qtbot.addWidget(view)
    run = SweepRun(SweepSpec(SPIRAL.replace(steps=5), (Axis("learning_rate", (0.01, 0.1, 0.2)),)), store, 1)
    relay = run.runner.on_event

    def break_the_store(event) -> None:     # on the sweep's thread, before its next trial starts
        if isinstance(event, TrialEnded) and not (tmp_path / "kept").exists():
            root.rename(tmp_path / "kept")
            root.write_text("not a folder")
        relay(event)
    run.runner.on_event = break_the_store
    with qtbot.waitSignal(run.finished, timeout=240_000):
        view.start(run)
    # the view's own slot for `finished` was connected after the wait's: it may run an event later
    qtbot.waitUntil(lambda: " failed: " in view.progress_label.text())
    text = view.progress_label.text()
    assert text.startswith(f"{run.runner.sweep_id} failed: cannot create {root}") and "\n" not in text
    assert "Traceback" not in capfd.readouterr().err
    first = run.result.outcomes[0]
    assert first.state is TrialState.ENDED and first.record.status == RunStatus.FINISHED
    assert RunStore(tmp_path / "kept").load(first.record.id).status == RunStatus.FINISHED
    assert view.progress.isHidden() and view.new_button.isEnabled() and view.progress.value() == 1
    assert run.wait(5.0) and not [process for process in run.executor.pool.processes if process.alive]


def test_metrics_and_parameters_read_as_words_and_exports_keep_their_names(qtbot, view, tmp_path):
    from kgui.core.sweeps.spec import Metric
    from kgui.ui.sweep.dialog import SweepDialog
    from kgui.ui.sweep.parallel_coordinates import axis_decorations

    labels = [view.metric_picker.itemText(i) for i in range(view.metric_picker.count())]
    assert labels == ["Final training loss", "Best training loss", "Final validation loss", "Best validation loss",
                      "Accuracy"]
    assert view.metric_picker.currentText() == "Final validation loss" and view.picked_metric is Metric.FINAL_VAL_LOSS
    view.metric_picker.setCurrentIndex(view.metric_picker.findData(Metric.BEST_TRAIN_LOSS))
    headers = [view.model.headerData(i, Qt.Orientation.Horizontal) for i in range(view.model.columnCount())]
    assert headers[:3] == ["Learning rate", "Optimizer", "Best training loss"] and "Accuracy" in headers
    assert not any("_" in header for header in headers)
    assert view.summary.text().startswith("8 trials; the best has best training loss ")
    assert "(Learning rate 1 · Optimizer adam)" in view.summary.text()
    titles = {spec[3] for spec in axis_decorations(view.coordinates.scales) if len(spec) == 5}
    assert {"Learning rate", "Best training\nloss"} <= titles
    assert [view.axis_picker.itemText(i) for i in range(view.axis_picker.count())] == ["Learning rate", "Optimizer"]
    assert view.scatter.item.getAxis("left").labelText == "Best training loss"
    assert view.scatter.item.getAxis("bottom").labelText == "Learning rate (log scale)"
    dialog = SweepDialog(ExperimentSettings(dataset="spiral"))
    qtbot.addWidget(dialog)
    dialog.metric.setCurrentText("Accuracy")
    dialog.axis_rows[0][1].setText("0.01,0.1")
    assert dialog.build().metric is Metric.FINAL_ACCURACY
    header = view.export_table(tmp_path / "trials.csv").read_text().splitlines()[0]   # files keep the names
    assert "final_val_loss" in header and "learning_rate" in header


@pytest.mark.parametrize("width", [250, 300, 450])
def test_every_axis_label_of_the_parallel_coordinates_lies_inside_the_plot(qtbot, view, width):
    """Four axes at the tab's width in a 1,400 px window (340 px; here three axes, narrower): "Learning rate" lost
    its first letter at the left edge, the metric's title and middle value theirs at the right; pyqtgraph's "A"
    button is not shown."""

    from pyqtgraph import TextItem

    coordinates = view.coordinates
    coordinates.setFixedWidth(width)
    qtbot.waitUntil(lambda: abs(coordinates.width() - width) <= 1)
    qtbot.wait(50)
    inside = QRectF(coordinates.viewport().rect())
    labels = [item for item in coordinates.box.addedItems if isinstance(item, TextItem)]
    assert len(labels) >= 10
    for label in labels:
        rect = coordinates.mapFromScene(label.mapRectToScene(label.boundingRect())).boundingRect()
        assert inside.contains(QRectF(rect)), (label.toPlainText(), rect, inside)
    assert coordinates.plot.buttonsHidden


def test_a_sweep_started_on_an_empty_tab_says_its_trials_are_coming_then_counts_one_trial_as_one(qtbot, tmp_path):
    """The tab said "No sweep yet: New sweep…" under the progress bar of a running sweep until its first trial
    ended, then "1 trials"."""
    from kgui.core.sweeps import Axis, SweepSpec
    from kgui.core.sweeps.executors import ThreadExecutor
    from kgui.ui.sweep.dialog import SweepRun
    from test_core_sweeps import SPIRAL

    store = RunStore(tmp_path)
    view = SweepView(partial(with_history, store))
    qtbot.addWidget(view)
    no_sweep = view.summary.text()
    run = SweepRun(SweepSpec(SPIRAL.replace(steps=5), (Axis("learning_rate", (0.01,)),)), store, 1,
                   executor=ThreadExecutor(1))
    run.finished.connect(lambda result: view.add_runs([outcome.record for outcome in result.outcomes]))
    view.start(run)
    assert view.summary.text() != no_sweep and "No sweep" not in view.summary.text()
    with qtbot.waitSignal(run.finished, timeout=120_000):
        pass
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1)
    assert view.summary.text().startswith("1 trial; the best has final validation loss ")
    assert view.sweep_picker.currentText().endswith("(1 trial)")


def test_a_new_sweep_is_shown_from_its_start_not_the_sweep_shown_before(qtbot, tmp_path):
    """After New sweep → Start the tab kept showing the previous sweep's trials until the new one's first trial
    ended."""
    from kgui.core.sweeps import Axis, SweepSpec
    from kgui.core.sweeps.executors import ThreadExecutor
    from kgui.ui.sweep.dialog import SweepRun
    from test_core_sweeps import SPIRAL

    store = RunStore(tmp_path)
    stored_sweep(store)
    view = SweepView(partial(with_history, store))
    qtbot.addWidget(view)
    view.set_runs(store.list())
    assert view.proxy.rowCount() == 8
    run = SweepRun(SweepSpec(SPIRAL.replace(steps=5), (Axis("learning_rate", (0.01,)),)), store, 1,
                   executor=ThreadExecutor(1))
    run.finished.connect(lambda result: view.add_runs([outcome.record for outcome in result.outcomes]))
    view.start(run)
    assert view.sweep_id == run.runner.sweep_id and view.proxy.rowCount() == 0
    assert view.summary.text() == WAITING_FOR_TRIALS
    with qtbot.waitSignal(run.finished, timeout=120_000):
        pass
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1)
    assert view.sweep_id == run.runner.sweep_id and view.sweep_picker.count() == 2


def test_the_sweep_dialog_speaks_the_windows_words(qtbot):
    """It named the experiment "(spiral, tensorflow)" and the axes by their JSON names (learning_rate), showed
    "0.001,0.01,0.1" in every values box whatever its axis, and with no values asked for "--grid, --range"."""
    from kgui.ui.sweep.dialog import SweepDialog

    experiment = ExperimentSettings(dataset="spiral", model="mlp", hidden=(8, 8), optimizer="adam", steps=5)
    dialog = SweepDialog(experiment)
    qtbot.addWidget(dialog)
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any("Spiral" in text and "MLP 8,8" in text for text in texts), texts
    (rate, rates), (second, values) = dialog.axis_rows[:2]
    assert rate.currentText() == "Learning rate" and rates.placeholderText() == "now 0.01"
    assert "--" not in dialog.verdict.text() and "values" in dialog.verdict.text()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    dialog.set_axis(1, "hidden")
    assert second.currentText() == "Hidden layers" and values.placeholderText() == "now 8,8"
    values.setText("8/8,8")
    assert dialog.spec.count() == 2
    rates.setText("0.01,0.1")
    assert dialog.spec.count() == 4 and dialog.spec.axes[1].name == "hidden"


def test_the_parallel_coordinates_axis_lines_stop_below_their_titles(qtbot, view):
    """Each axis line ran through its title ("Optimizer" struck through), on screen and in the exports."""
    from pyqtgraph import TextItem
    from PyQt6.QtGui import QColor

    from kgui.ui.sweep.parallel_coordinates import TITLE_COLOR

    coordinates = view.coordinates
    qtbot.wait(50)
    titles = [item for item in coordinates.box.addedItems if isinstance(item, TextItem)
              and item.color.name() == QColor(TITLE_COLOR).name()]
    assert len(titles) == len(coordinates.scales)
    lines = [item for spec, item in coordinates._decorations.items() if len(spec) == 1]
    assert len(lines) == len(coordinates.scales)
    for line in lines:
        reach = line.mapRectToScene(line.boundingRect())
        for title in titles:
            assert not reach.intersects(title.mapRectToScene(title.boundingRect())), title.toPlainText()


def test_the_curves_exported_while_the_scatter_is_in_front_are_drawn(tmp_path, qtbot):
    """Export… → Curves by seed with Metric vs parameter in front wrote an empty plot (the curves are drawn only
    when their tab is shown): the curves come to the front, drawn, and the picture holds them."""
    store = RunStore(tmp_path / "runs")
    stored_sweep(store)
    view = SweepView(partial(with_history, store))
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.set_runs(store.list())
    view.show()
    qtbot.waitExposed(view)
    assert view.views.currentWidget() is view.scatter
    png = view.export_target(SweepPanel.CURVES).export(tmp_path / "curves.png")
    assert view.views.currentIndex() == 1 and view.curves.groups
    image = QImage(str(png))
    colours = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert len(colours) > 20        # curves in colours, not only the white plot, its grid and axes


def test_the_summary_says_how_many_trials_the_filter_and_brushes_leave(view):
    """Filtered to "sgd" or brushed, the summary still said "8 trials" above a table of four."""
    assert view.summary.text().startswith("8 trials") and "shown" not in view.summary.text()
    view.filter_box.setText("sgd")
    assert view.summary.text().endswith(" · 4 shown (filter, brushes)")
    view.filter_box.setText("")
    assert "shown" not in view.summary.text()
    rates = view.coordinates.scales[0]
    view.coordinates.set_brush(0, rates.position(0.1) - 0.01, 1.0)
    assert view.summary.text().endswith(" · 4 shown (filter, brushes)")


def test_the_filter_text_dims_the_trials_it_leaves_out_on_the_parallel_coordinates(view):
    """Typing "sgd" filtered the table to four trials, but the parallel coordinates kept all eight bright."""
    view.filter_box.setText("sgd")
    assert _lines_drawn(view.coordinates.lines) == 4 and _lines_drawn(view.coordinates.dim) == 4
    assert view.coordinates.selected() is None          # the filter is not a brush: the table's rows stay as filtered
    view.filter_box.setText("")
    assert _lines_drawn(view.coordinates.lines) == 8 and _lines_drawn(view.coordinates.dim) == 0


def test_the_trials_accuracy_reads_as_the_runs_tables_percent(view):
    """The Sweep table showed accuracy 0.5 where the runs table shows the same run's as 50.0 %; files keep 0.5."""
    column = view.model.columns.index("final_accuracy")
    assert view.model.data(view.model.index(0, column)) == "50.0 %"


def test_a_sweep_that_ended_is_named_once_in_its_progress_line(qtbot, tmp_path):
    """It read "sweep sweep-20261206-085319-737e done"."""
    from kgui.core.sweeps import Axis, SweepSpec
    from kgui.core.sweeps.executors import ThreadExecutor
    from kgui.ui.sweep.dialog import SweepRun
    from test_core_sweeps import SPIRAL

    store = RunStore(tmp_path)
    view = SweepView(partial(with_history, store))
    qtbot.addWidget(view)
    run = SweepRun(SweepSpec(SPIRAL.replace(steps=2), (Axis("learning_rate", (0.01,)),)), store, 1,
                   executor=ThreadExecutor(1))
    view.start(run)
    assert view.progress_label.text() == f"{run.runner.sweep_id}: starting…"
    with qtbot.waitSignal(run.finished, timeout=120_000):
        pass
    assert view.progress_label.text() == f"{run.runner.sweep_id} done"


def test_a_window_sweeps_progress_says_what_its_running_trials_are_doing(qtbot, tmp_path):
    """While the workers imported their engine (20-26 s under load) the line read "0 of 2 trials · 2 running" and
    nothing more; it now says what they do, from the trials' Phase events, then that they train."""
    from kgui.core.sweeps import Axis, SweepSpec
    from kgui.core.training.engines import engine_title
    from kgui.ui.sweep.dialog import SweepRun
    from test_core_sweeps import SPIRAL

    store = RunStore(tmp_path)
    view = SweepView(partial(with_history, store))
    qtbot.addWidget(view)
    run = SweepRun(SweepSpec(SPIRAL.replace(steps=300), (Axis("learning_rate", (0.01, 0.1)),)), store, 2)
    texts = []
    set_text = view.progress_label.setText
    view.progress_label.setText = lambda text: (texts.append(text), set_text(text))
    view.start(run)
    with qtbot.waitSignal(run.finished, timeout=240_000):
        pass
    assert any(text.startswith("0 of 2 trials · 2 running: ") and f"importing {engine_title(SPIRAL.backend)}…"
               in text for text in texts), texts
    assert any(text.endswith(" running: training") for text in texts), texts
    assert not [process for process in run.executor.pool.processes if process.alive]


def test_engines_read_as_their_titles_in_every_sweep_view_and_exports_keep_their_ids(qtbot, tmp_path):
    """The table, the parallel coordinates, the scatter and the summary showed "jax" and "theano", where the rest of
    the window says "JAX" and "Theano (PyTensor)"."""
    from kgui.core.training.engines import engine_title
    from kgui.ui.sweep.parallel_coordinates import axis_decorations

    store = RunStore(tmp_path)
    for loss, engine in ((0.3, "jax"), (0.5, "theano")):
        settings = ExperimentSettings(dataset="spiral", backend=engine, steps=1)
        record = RunRecord.new(settings, f"trial {engine}")
        SweepTag("sweep-20260101-000000-bbbb", {"backend": engine}).apply(record)
        writer = store.begin(record)
        writer.append(StepRecord(1, loss, loss, 0.5, 0.01, 0.01, 1.0))
        record.status = RunStatus.FINISHED
        writer.save()
        writer.close()
    view = SweepView()
    qtbot.addWidget(view)
    view.set_runs(store.list())
    titles = [engine_title("jax"), engine_title("theano")]
    assert titles == ["JAX", "Theano (PyTensor)"]
    cells = {view.model.data(view.model.index(row, view.model.columns.index("backend")))
             for row in range(view.model.rowCount())}
    assert cells == set(titles)
    labels = {spec[3] for spec in axis_decorations(view.coordinates.scales) if len(spec) == 5}
    assert set(titles) <= labels and not {"jax", "theano"} & labels
    view.axis_picker.setCurrentIndex(view.axis_picker.findData("backend"))
    ticks = view.scatter.item.getAxis("bottom")._tickLevels
    assert [text for _, text in ticks[0]] == titles
    assert "(Engine JAX)" in view.summary.text()
    view.filter_box.setText("pytensor")       # the filter reads what the table shows
    assert view.visible_run_ids() == [row.run_id for row in view.model.rows if row.values["backend"] == "theano"]
    view.filter_box.setText("")
    exported = view.export_table(tmp_path / "trials.csv").read_text()
    assert "jax" in exported and "JAX" not in exported


def _scatter_ids(scatter) -> tuple[int, int]:
    """How many points the scatter draws bright and dim."""
    return len(scatter.points.getData()[0]), len(scatter.dimmed.getData()[0])


def test_the_scatter_dims_the_trials_the_filter_and_the_brushes_hide_and_adds_new_ones_alone(view, tmp_path, qtbot):
    """The scatter drew every trial alike whatever the filter text and the brushes left in the table."""
    view.axis_picker.setCurrentIndex(view.axis_picker.findData("learning_rate"))
    assert _scatter_ids(view.scatter) == (8, 0)
    view.filter_box.setText("adam")
    assert view.proxy.rowCount() == 4 and _scatter_ids(view.scatter) == (4, 4)
    position = view.coordinates.scales[0].position(0.01)          # learning rate: brush 0.001 … 0.01
    view.coordinates.set_brush(0, -0.01, position + 0.01)
    assert view.proxy.rowCount() == 2 and _scatter_ids(view.scatter) == (2, 6)
    bright = set(view.visible_run_ids())
    points_set = []
    set_points = view.scatter.set_points
    view.scatter.set_points = lambda *args: points_set.append(args) or set_points(*args)
    view.add_run(_one_more_trial(RunStore(tmp_path / "one"), view.sweep_id, 0.9))   # adam, 0.01: shown
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 3 and view.scatter.count == 9)
    assert not points_set and _scatter_ids(view.scatter) == (3, 6)   # its point alone added, bright
    assert bright < set(view.visible_run_ids())
    view.coordinates.clear_brush()
    view.filter_box.setText("")
    assert _scatter_ids(view.scatter) == (9, 0)


def test_a_ten_thousand_trial_window_sweep_builds_its_trials_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    """Starting one froze the window ~0.7 s: SweepRunner built every trial (each checked) on the GUI thread."""
    import threading

    from kgui.core.sweeps import Axis, SweepSpec
    from kgui.core.sweeps.executors import ThreadExecutor
    from kgui.ui.sweep.dialog import SweepRun
    from test_core_sweeps import SPIRAL

    built_on = []
    expand = SweepSpec.expand
    monkeypatch.setattr(SweepSpec, "expand", lambda spec: built_on.append(threading.current_thread()) or expand(spec))
    spec = SweepSpec(SPIRAL.replace(steps=5), (Axis("learning_rate", tuple(0.001 * (i + 1) for i in range(100))),
                                               Axis("batch_size", tuple(range(1, 101)))))
    run = SweepRun(spec, RunStore(tmp_path), 1, executor=ThreadExecutor(1))
    assert not built_on and run.runner.total == 10_000
    run.stop()                 # nothing trains: the trials are built, then the sweep ends stopped
    run.stop()                 # again: its 10,000 unstarted trials are not saved as stopped runs (22 s here)
    with qtbot.waitSignal(run.finished, timeout=60_000) as finished:
        run.start()
    assert built_on and threading.main_thread() not in built_on
    result = finished.args[0]
    assert result.stopped and len(result.outcomes) == 10_000
    assert [outcome.trial.index for outcome in result.outcomes[:3]] == [0, 1, 2]


def test_a_sweeps_start_and_end_move_nothing_on_the_tab(qtbot, tmp_path):
    """The progress row appeared at a sweep's start and left at its end: the tab was laid out again, and its plots
    resized and repainted whole (30-70 ms frames). The row keeps its place now, running or not."""
    from kgui.core.sweeps import Axis, SweepSpec
    from kgui.core.sweeps.executors import ThreadExecutor
    from kgui.ui.sweep.dialog import SweepRun
    from test_core_sweeps import SPIRAL

    store = RunStore(tmp_path)
    view = SweepView(partial(with_history, store))
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)

    def geometries():
        QApplication.processEvents()     # the layouts the last change asked for
        return [widget.geometry() for widget in (view.coordinates, view.views, view.table, view.summary)]
    before = geometries()
    run = SweepRun(SweepSpec(SPIRAL.replace(steps=2), (Axis("learning_rate", (0.01,)),)), store, 1,
                   executor=ThreadExecutor(1))
    view.start(run)
    assert geometries() == before and view.progress.isVisible()
    with qtbot.waitSignal(run.finished, timeout=120_000):
        pass
    qtbot.waitUntil(lambda: view.progress_label.text().endswith(" done"))
    assert geometries() == before and not view.progress.isVisible()


def test_the_tabs_lines_of_text_change_without_laying_anything_out(view, qtbot):
    """The summary and the progress line were QLabels: each new text asked the layouts again up to the main window,
    whose layout then repainted the whole tab, plots included, at every frame of a sweep. A long line is cut, and
    whole in its tooltip."""
    from PyQt6.QtCore import QObject

    class LayoutRequests(QObject):
        seen = 0

        def eventFilter(self, watched, event):   # noqa: N802 - Qt's
            self.seen += event.type() == QEvent.Type.LayoutRequest
            return False
    requests = LayoutRequests()
    view.installEventFilter(requests)
    qtbot.wait(50)       # the layouts the fixture's rows asked for
    requests.seen = 0
    for line in (view.summary, view.progress_label):
        line.setText("3 of 48 trials · 2 running: training")
        line.setText("12 trials; the best has final validation loss 0.2011 (Learning rate 0.01 · Seed 3)")
    QApplication.processEvents()
    assert requests.seen == 0
    long = "a line far longer than the tab is wide " * 20
    view.summary.setText(long)
    assert view.summary.text() == long and view.summary.toolTip() == long
    view.summary.setText("8 trials")
    assert view.summary.toolTip() == ""


def test_an_axis_that_widens_gives_its_labels_new_text_not_new_items(view, tmp_path, qtbot):
    """A trial beyond the metric's axis removed that axis's end labels from the plot and made new ones (2-5 ms a
    trial while the axis kept widening); the same labels now show the new values."""
    from pyqtgraph import TextItem

    labels = [item for item in view.coordinates.box.addedItems if isinstance(item, TextItem)]
    view.add_run(_one_more_trial(RunStore(tmp_path / "one"), view.sweep_id, 5.0))
    qtbot.waitUntil(lambda: _drawn(view, 9))
    after = [item for item in view.coordinates.box.addedItems if isinstance(item, TextItem)]
    assert len(after) == len(labels) and all(any(item is label for label in labels) for item in after)
    texts = {item.toPlainText() for item in after}
    assert {spec[3] for spec in axis_decorations(view.coordinates.scales) if len(spec) == 5} == texts
    assert "5" in texts     # the metric's new highest value


def test_the_scatter_widens_its_view_with_room_to_spare_and_a_trial_inside_moves_nothing(view, tmp_path, qtbot):
    """pyqtgraph's auto range fitted the scatter's view again to every trial beyond the others, and each change
    redrew both axes and their grid (4-8 ms a trial). The view widens with room to spare now; a trial inside it
    changes nothing; once dragged or zoomed by hand it is left alone."""
    store = RunStore(tmp_path / "more")
    box = view.scatter.item.vb
    top = box.viewRange()[1][1]
    view.add_run(_one_more_trial(store, view.sweep_id, top + 0.5))
    qtbot.waitUntil(lambda: view.scatter.count == 9)
    qtbot.wait(50)
    widened = box.viewRange()
    assert widened[1][1] > top + 0.5
    view.add_run(_one_more_trial(store, view.sweep_id, top + 0.55))
    qtbot.waitUntil(lambda: view.scatter.count == 10)
    qtbot.wait(50)
    assert box.viewRange() == widened
    viewport = view.scatter.viewport()     # a turn of the mouse wheel zooms in: the view is the user's now
    centre = QPointF(viewport.rect().center())
    QApplication.sendEvent(viewport, QWheelEvent(centre, QPointF(viewport.mapToGlobal(centre)), QPoint(0, 0),
                                                 QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                                 Qt.ScrollPhase.NoScrollPhase, False))
    qtbot.wait(50)
    zoomed = box.viewRange()
    assert zoomed != widened
    view.add_run(_one_more_trial(store, view.sweep_id, top + 5.0))
    qtbot.waitUntil(lambda: view.scatter.count == 11)
    qtbot.wait(50)
    assert box.viewRange() == zoomed


@pytest.mark.parametrize("sweep", ["the same sweep", "a new sweep"])
def test_a_frames_rows_lines_and_points_are_each_painted_before_the_next_is_drawn(view, tmp_path, qtbot, sweep):
    """A frame drew the trials' rows, lines and points at once, then painted them all in one go (one long frame;
    a new sweep's first trial drew its whole tab so: 38 ms); its lines now come a moment after the rows' paint, and
    its points after the lines' paint."""
    from PyQt6.QtCore import QObject

    class Paints(QObject):
        count = 0

        def eventFilter(self, watched, event):   # noqa: N802 - Qt's
            self.count += event.type() == QEvent.Type.Paint
            return False
    table, lines = Paints(), Paints()
    view.table.viewport().installEventFilter(table)
    view.coordinates.viewport().installEventFilter(lines)
    seen = {}
    for signal, step in ((view.model.rowsInserted, "rows"), (view.model.modelReset, "rows"),
                         (view.coordinates.fresh.sigPlotChanged, "lines"), (view.scatter.points.sigPlotChanged, "points")):
        signal.connect(lambda *_, step=step: seen.setdefault(step, (table.count, lines.count)))
    sweep_id = view.sweep_id if sweep == "the same sweep" else "sweep-20270101-000000-cccc"
    view.add_run(_one_more_trial(RunStore(tmp_path / "one"), sweep_id, 0.9))
    trials = 9 if sweep == "the same sweep" else 1
    qtbot.waitUntil(lambda: _drawn(view, trials))
    assert seen["lines"][0] > seen["rows"][0]       # the table painted its new row before the lines were drawn
    assert seen["points"][1] > seen["lines"][1]     # ... and the parallel coordinates their line before the points
