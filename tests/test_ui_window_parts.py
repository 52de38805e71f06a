"""The window's run-control parts without a window: JobStatus, JobControl and RunsController are built from a
session, the views they drive and narrow services, and follow the session's events by type (a real TensorFlow run,
in this process, its events handled on the GUI thread); the window's actions live in window.commands."""
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QStatusBar, QWidget

from kgui.core.runs import RunStore
from kgui.core.session import JobKind, Session
from kgui.core.settings import ExperimentSettings
from kgui.ui.dialogs import Dialogs
from kgui.ui.experiment_form import ExperimentForm
from kgui.ui.fit_view import FitView
from kgui.ui.job_control import JobControl
from kgui.ui.load_progress import JobStatus
from kgui.ui.loss_plot import LossPlot
from kgui.ui.lr_range_view import LrRangeView
from kgui.ui.panels import LivePanel
from kgui.ui.parity_view import ParityView
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
    status = JobStatus(session, status_bar, shown.append)
    jobs = JobControl(session, session.pool, False, form=ExperimentForm(), dialogs=dialogs, status=status,
                      live_panel=live_panel, plot=plot, lr_range_view=LrRangeView(), fit_view=fit_view,
                      parity_view=ParityView(), visible=holder.isVisible)
    runs = RunsController(session, jobs, plot=plot, runs_table=runs_table, fit_view=fit_view,
                          surface_view=SurfaceView(), live_panel=live_panel, status=status, dialogs=dialogs,
                          apply_settings=lambda settings: [])

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
