"""The window's run-control parts without a window: JobStatus, JobControl and RunsController are built from a
session, the views they drive and narrow services, and follow the session's events by type (a real TensorFlow run,
in this process, its events handled on the GUI thread); the window's actions live in window.commands."""
import statistics
from dataclasses import replace

from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QStatusBar, QWidget

from kgui.core.runs import RunStore
from kgui.core.session import JobKind, RunStarted, Session, StepsTaken
from kgui.core.experiment.settings import ExperimentSettings
from kgui.ui.dialogs import Dialogs
from kgui.ui.experiment_form import ExperimentForm
from kgui.ui.fit_view import FitView
from kgui.ui.job_control import JobControl
from kgui.ui.load_progress import JobStatus
from kgui.ui.loss_plot import LossPlot
from kgui.ui.lr_range_view import LrRangeView
from kgui.ui.names import engine_label, plot_placement, run_engine_label, run_title
from kgui.ui.panels import LivePanel
from kgui.ui.parity_view import ParityView
from kgui.ui.run_readout import STEP_MS_WINDOW, RunReadout
from kgui.ui.runs_controller import RunsController
from kgui.ui.runs_table import RunsTable
from kgui.ui.surface_view import SurfaceView
from ui_support import messages, window  # noqa: F401 - fixtures

LINEAR = ExperimentSettings(dataset="linear", dataset_options={"n": 100}, learning_rate=0.05, steps=6)


def test_job_status_and_runs_controller_follow_a_run_with_no_window(qtbot, tmp_path, messages):
    session = Session(RunStore(tmp_path / "runs"))    # no pool: the job runs here, its events handled at once
    holder = QWidget()
    qtbot.addWidget(holder)
    status_bar = QStatusBar(holder)
    dialogs = Dialogs(holder, QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat), status_bar)
    live_panel, plot, runs_table, fit_view = LivePanel(), LossPlot(), RunsTable(), FitView()
    shown = []
    status = JobStatus(session, status_bar)
    status.state_changed.connect(shown.append)
    readout = RunReadout(session, live_panel, status, plot.redrawn)
    jobs = JobControl(session, session.pool, False, form=ExperimentForm(), dialogs=dialogs, status=status,
                      plot=plot, lr_range_view=LrRangeView(), fit_view=fit_view,
                      parity_view=ParityView(), visible=holder.isVisible)
    runs = RunsController(session, jobs, plot=plot, runs_table=runs_table, fit_view=fit_view,
                          surface_view=SurfaceView(), status=status, dialogs=dialogs,
                          apply_settings=lambda settings: [])
    runs.idle_reset.connect(readout.clear)

    record = session.new_job(JobKind.TRAINING, LINEAR).run()

    assert any(text.startswith("loading dataset") for text in shown) and "training" in shown
    assert status.engine_state.text() == shown[-1] == "finished" and not status.preparing
    assert status_bar.currentMessage() == (record.message or f"run finished after {LINEAR.steps} steps")
    assert runs_table.run_ids() == [record.id] and runs_table.is_checked(record.id)
    assert runs_table.cell_text(record.id, "Status") == "finished"
    assert record.id in plot.runs and not messages

    runs.reset()       # Reset: hidden from the plot, kept in the table, the readout idle
    assert not session.is_shown(record.id) and not runs_table.is_checked(record.id)
    assert status.engine_state.text() == "idle" and live_panel.values["state"].text() == "idle"
    assert status_bar.currentMessage().startswith("Plot cleared: 1 run(s) hidden")


def test_the_windows_actions_are_its_commands_not_its_attributes(window):
    assert not [name for name in vars(window) if name.endswith("_action") or name.endswith("_actions")]
    commands = window.commands
    run_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Run")
    assert run_menu.actions()[:5] == list(commands.run)
    assert [button.defaultAction() for button in commands.run_buttons.values()] == list(commands.run)
    assert commands.start.isEnabled() and not commands.pause.isEnabled() and not commands.stop.isEnabled()


def test_the_live_panel_is_held_by_the_window_that_lays_it_out_and_by_its_readout_alone(window):
    def holds_panel(part) -> bool:   # the panel itself, or one of its methods (a callback)
        return any(window.live_panel in (value, getattr(value, "__self__", None)) for value in vars(part).values())

    parts = {"jobs": window.jobs, "runs": window.runs_controller, "status": window.job_status,
             "commands": window.commands, "readout": window.readout}
    assert [name for name, part in parts.items() if holds_panel(part)] == ["readout"]


def test_the_run_readout_is_the_live_panels_one_writer_with_no_window(qtbot, tmp_path):
    """A real TensorFlow run in this process: the readout says "starting…", the engine and its version, the step
    against the planned steps, the losses, w and b, the rate, the median step time of the last 20 steps, and the
    run's end; after Reset it stays clear while the run is hidden."""
    session = Session(RunStore(tmp_path / "runs"))
    holder = QWidget()
    qtbot.addWidget(holder)
    status, panel, plot = JobStatus(session, QStatusBar(holder)), LivePanel(), LossPlot()
    session.on(RunStarted, lambda event: plot.add_run(event.run.id, run_title(event.run),
                                                      planned_steps=event.run.settings.steps,
                                                      **plot_placement(event.run)))
    plot.follow(session)
    readout = RunReadout(session, panel, status, plot.redrawn)
    settings = replace(LINEAR, backend="tensorflow", steps=30)
    first_frame = []

    def frame(event: StepsTaken) -> None:   # the plot's first frame, while the run trains
        if not first_frame:
            plot.redraw()
            first_frame.append((len(session.runs[event.run_id].history), panel.values["step"].text()))
    session.on(StepsTaken, frame)

    job = session.new_job(JobKind.TRAINING, settings)
    readout.job_started(settings)
    status.show_phase("starting…", None, None)     # as JobControl.start says it
    assert panel.values["engine"].text() == engine_label("tensorflow")
    assert panel.values["state"].text().startswith("starting… ") and panel.values["step"].text() == "—"
    record = job.run()
    plot.redraw()

    taken, text = first_frame[0]
    assert text == f"{taken} / 30"
    values = {key: value.text() for key, value in panel.values.items()}
    last, recent = record.history[-1], record.history[-STEP_MS_WINDOW:]
    assert values["state"] == "finished" and values["engine"] == run_engine_label(record)
    assert values["engine"].startswith("TensorFlow ") and values["step"] == "30 / 30"
    assert values["train_loss"] == f"{last.train_loss:.5g}" and values["learning_rate"] == "0.05"
    assert values["params"] == f"w = {last.params['w']:.4f}, b = {last.params['b']:.4f}"
    assert values["step_ms"] == (f"{statistics.median(step.step_ms for step in recent):.2f} ms "
                                 f"(median, last {STEP_MS_WINDOW})")
    assert panel._form.isRowVisible(panel.values["params"]) and not panel._form.isRowVisible(panel.values["accuracy"])

    readout.clear()                           # Reset: the run hidden, the readout idle until a run shows again
    session.set_shown(record.id, False)
    readout.show_latest_step()
    assert panel.values["state"].text() == "idle" and panel.values["step"].text() == "—"


def test_the_fit_surface_parity_and_range_views_follow_a_session_themselves_with_no_window(qtbot, tmp_path):
    """Each view subscribes to the event types it shows: real TensorFlow jobs in this process (a line, a spiral with
    its confusion matrix and boundary, a one-engine comparison and a range test) draw in views given only the
    session."""
    session = Session(RunStore(tmp_path / "runs"))
    fit_view, surface_view, parity_view, range_view = FitView(), SurfaceView(), ParityView(), LrRangeView()
    for view in (fit_view, surface_view, parity_view, range_view):
        qtbot.addWidget(view)
        view.follow(session)

    line = session.new_job(JobKind.TRAINING, replace(LINEAR, backend="tensorflow")).run()
    assert fit_view.live_run_id == line.id and fit_view.currentWidget() is fit_view.line_page
    assert len(fit_view.line_page.fit_curve.getData()[0]) == 2    # the fitted line, drawn at the run's end
    assert fit_view.line_page.caption.text().startswith(f"w = {line.history[-1].params['w']:.4f}")
    assert parity_view.table.rowCount() == 0 and not range_view._rates    # not a comparison, not a range test

    spiral = ExperimentSettings(backend="tensorflow", dataset="spiral", model="mlp", hidden=(8,), batch_size=10,
                                learning_rate=0.03, steps=6, optimizer="adam")
    record = session.new_job(JobKind.TRAINING, spiral, confusion_s=0.0, surface_s=0.0).run()
    assert fit_view.live_run_id == record.id and fit_view.currentWidget() is fit_view.classes_page
    assert len(fit_view.classes_page.curve.getData()[0]) == 6
    matrix = fit_view.classes_page.matrix
    assert matrix.rowCount() >= 2 and sum(int(text) for text in matrix.texts() if text) > 0
    assert surface_view.surface is not None and len(surface_view.train_points.data) > 0

    parity_view.show_running(["tensorflow"])     # as JobControl starts a comparison
    session.new_job(JobKind.PARITY, replace(spiral, steps=3), engines=["tensorflow"]).run()
    assert parity_view.table.rowCount() == 1
    assert [parity_view.table.item(0, column).text() for column in (1, 3)] == ["3", "finished"]

    session.new_job(JobKind.RANGE_TEST, replace(LINEAR, backend="tensorflow", steps=20)).run()
    assert range_view._rates and len(range_view.raw_curve.getData()[0]) == len(range_view._rates)
    assert range_view.summary.text().startswith(f"step {len(range_view._rates)}: learning rate")
