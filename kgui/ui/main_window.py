"""The main window: layout and wiring. The run state lives in a Qt-free ``kgui.core.session.Session``; the
parts of the window live in their own modules (experiment form, job control, runs controller, dialogs, actions,
views), and this one lays them out and turns the session's events into view updates."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QCloseEvent, QShowEvent
from PyQt6.QtWidgets import (QDockWidget, QFrame, QGridLayout, QMainWindow, QScrollArea, QTabWidget,
                             QVBoxLayout, QWidget)

from kgui.core.experiment.classroom import Classroom
from kgui.core.runs import RunStore
from kgui.core.session import JobKind, RunEnded, RunStarted, Session
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.workers import WorkerPool

from .actions import Commands
from .code_view import CodeView
from .dialogs import Dialogs
from .experiment_files import ExperimentFiles
from .experiment_form import ExperimentForm, unusable_text
from .export_choice import ExportChoice
from .fit_view import FitView
from .job_control import PREPARE_AFTER_SHOWN_MS, JobControl
from .load_progress import JobStatus
from .loss_plot import LossPlot
from .lr_range_view import LrRangeView
from .sweep import LiveTrials, SweepView, follow_session, with_history
from .panels import LivePanel
from .network_docks import NetworkDocks
from .parity_view import ParityView
from .runs_controller import RunsController
from .run_readout import RunReadout
from .runs_table import RunsTable
from .surface_view import SurfaceView
from .window_state import WindowState, default_preferences, fit_to_screen, shown_run_ids
from .worker import WORKER_NICE

APP_NAME = "kgui"
CONTROLS_WIDTH = 360
ICON = Path(__file__).resolve().parents[2] / "resources" / "kgui.svg"
DEFAULT_SIZE = (1400, 880)   # the first window's size, when the screen has room for it (the Controls show the run)
MAX_TRIALS_SHOWN = 200       # Show on Loss plot draws at most this many trials (each is read from its folder)


class MainWindow(QMainWindow):
    """Pick backend, dataset and learning rate, train in a worker process, watch, steer and compare runs.

    ``store`` (or ``runs_dir``; default $KGUI_RUNS_DIR or the user data folder) holds the runs;
    ``preferences`` is where the window remembers its state (default: the user's QSettings). ``pool``: the worker
    processes that run the jobs (default: a pool of the window's own, shut down when it closes; one that is given
    is left to its owner). The window's process never imports an engine. ``show_remembered_runs``: the runs shown
    when it last closed are shown again (False: in the table only).
    """

    def __init__(self, store: RunStore | None = None, runs_dir=None, preferences: QSettings | None = None,
                 pool: WorkerPool | None = None, show_remembered_runs: bool = True):
        super().__init__()
        owns_pool = pool is None
        pool = pool if pool is not None else WorkerPool(nice=WORKER_NICE)
        self.session = Session(store if store is not None else RunStore(runs_dir), pool=pool)
        self.preferences = preferences if preferences is not None else default_preferences()
        self.dialogs = Dialogs(self, self.preferences, self.statusBar())
        self._ended_with: ExperimentSettings | None = None    # the form's settings when the last run ended

        self.plot = LossPlot()
        self.lr_range_view = LrRangeView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.plot, "Loss")
        self.tabs.addTab(self.lr_range_view, "Learning-rate range test")
        self.sweep_view = SweepView(history_of=partial(with_history, self.session.store))
        self.tabs.addTab(self.sweep_view, "Sweep")
        self.setCentralWidget(self.tabs)
        self._build_controls()
        self._build_views()
        self.job_status = JobStatus(self.session, self.statusBar())
        self.readout = RunReadout(self.session, self.live_panel, self.job_status, self.plot.redrawn)
        self.jobs = JobControl(self.session, pool, owns_pool, form=self.form, dialogs=self.dialogs,
                               status=self.job_status, plot=self.plot,
                               lr_range_view=self.lr_range_view, fit_view=self.fit_view, parity_view=self.parity_view,
                               visible=self.isVisible, parent=self)
        self.runs_controller = RunsController(
            self.session, self.jobs, plot=self.plot, runs_table=self.runs_table, fit_view=self.fit_view,
            surface_view=self.surface_view, status=self.job_status, dialogs=self.dialogs,
            apply_settings=lambda settings: self.apply_settings(settings, say=False), parent=self)
        self._build_network_docks()
        self.export_choice = ExportChoice(self, self.dialogs, self.session, self.tabs, self.plot, self.lr_range_view,
                                          self.sweep_view, self.parity_dock, self.parity_view,
                                          self.network_docks.layers_of)
        self.experiment_files = ExperimentFiles(self.dialogs, self.form, self.code_view.source, self.apply_settings,
                                                self.set_classroom)
        self.commands = Commands(self, self.jobs, self.runs_controller, self.dialogs, self.export_choice,
                                 self.experiment_files, self.form, self.plot, close_window=self.close)
        self.commands.pause.changed.connect(self.network_docks.network.update_editing)
        self.commands.add_menus(self.menuBar(), [self.controls_dock, self.runs_dock, self.fit_dock, self.parity_dock,
                                                 self.code_dock, self.surface_dock, self.network_dock,
                                                 self.layers_dock])
        self.commands.add_toolbar(self.addToolBar("Main"))
        self.commands.add_run_buttons(self.run_buttons_layout)
        fit_to_screen(self, DEFAULT_SIZE)
        self._wire()
        self.runs_controller.load_saved(shown_run_ids(self.preferences) if show_remembered_runs else set())
        follow_session(self.sweep_view, self.session, self.settings, self.show_run, self.dialogs.status)
        self.sweep_view.trials_shown.connect(self.show_trials)
        self.live_trials = LiveTrials(self.plot, self.session, self)   # its running trials on the Loss tab too
        self.sweep_view.sweep_started.connect(self.live_trials.follow)
        self.plot.recoloured.connect(self._recolour_rows)
        self.window_state = WindowState(self.preferences, self, self.form, self.apply_settings, self.plot,
                                        self.commands.log_y, self.surface_view, self.runs_table, self.session)
        self.window_state.restore()
        fit_to_screen(self)
        self.statusBar().showMessage("Choose a backend, a dataset and a learning rate, then Start (F5).")
        self._update_title()

    # -- layout ------------------------------------------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea | None = None,
              below: bool = False, tab_of: QDockWidget | None = None) -> QDockWidget:
        """A dock of ``widget`` in ``area`` (``below``: under the docks there), or in a tab beside ``tab_of``."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        if tab_of is not None:
            self.tabifyDockWidget(tab_of, dock)
        elif below:
            self.addDockWidget(area, dock, Qt.Orientation.Vertical)
        else:
            self.addDockWidget(area, dock)
        return dock

    def _build_controls(self) -> None:
        self.form = ExperimentForm()
        self.run_buttons = QWidget()     # no title: the buttons say what they do (the side panel fits 1400 × 900)
        self.run_buttons_layout = QGridLayout(self.run_buttons)
        self.run_buttons_layout.setContentsMargins(0, 0, 0, 0)
        self.live_panel = LivePanel()
        side = QWidget()
        layout = QVBoxLayout(side)
        for widget in (self.form, self.run_buttons, self.live_panel):
            layout.addWidget(widget)
        layout.addStretch(1)
        scroller = QScrollArea()    # the form's rows (model and optimizer too) do not set the window's height
        scroller.setWidget(side)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # never narrower than the form: without a horizontal scroll bar its right edge would be cut off
        scroller.setMinimumWidth(side.minimumSizeHint().width() + scroller.verticalScrollBar().sizeHint().width())
        self.controls_dock = self._dock("Controls", "controls", scroller, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)   # full height: no scrolling
        self.controls_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                       | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.resizeDocks([self.controls_dock], [CONTROLS_WIDTH], Qt.Orientation.Horizontal)

    def _build_views(self) -> None:
        """Docks: the runs table (bottom), what is learned and backend parity (right)."""
        self.runs_table = RunsTable()
        self.runs_dock = self._dock("Runs", "runs", self.runs_table, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.fit_view = FitView()
        # short titles: the four right docks share one tab bar, which must show them in full at 330 px
        self.fit_dock = self._dock("Fit", "fit", self.fit_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.parity_view = ParityView()
        self.parity_dock = self._dock("Parity", "parity", self.parity_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.fit_dock, self.parity_dock)
        self.code_view = CodeView()
        self.code_dock = self._dock("Code", "code", self.code_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.parity_dock, self.code_dock)
        self.surface_view = SurfaceView()
        self.surface_dock = self._dock("Decision boundary", "surface", self.surface_view,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.code_dock, self.surface_dock)

    def _build_network_docks(self) -> None:
        """The Network and Layers docks, below the right-hand docks; the Fit dock in front of those."""
        self.network_docks = NetworkDocks(self.session, self.jobs, self.dialogs, self)
        # "Network" and "Layers" below those (splitting a tabbed dock would only add a tab)
        self.network_dock = self._dock("Network", "network", self.network_docks.network,
                                       Qt.DockWidgetArea.RightDockWidgetArea, below=True)
        self.layers_dock = self._dock("Layers", "layers", self.network_docks.layers, tab_of=self.network_dock)
        self.network_dock.raise_()
        # the upper docks (Fit, Parity: a plot over a table of four engines) get four sevenths, the network the rest
        self.resizeDocks([self.surface_dock, self.network_dock], [4, 3], Qt.Orientation.Vertical)
        self.network_docks.network.neuron_hovered.connect(self.surface_view.show_overlay)
        self.runs_table.selected.connect(self.network_docks.select)
        self.fit_dock.raise_()
        self.resizeDocks([self.fit_dock], [330], Qt.Orientation.Horizontal)
        self.resizeDocks([self.runs_dock], [190], Qt.Orientation.Vertical)

    def _bring_forward(self, view: QWidget) -> None:
        """Show ``view``: its tab, or its dock in front of the docks it shares a place with."""
        if self.tabs.indexOf(view) >= 0:
            self.tabs.setCurrentWidget(view)
            return
        dock = next((dock for dock in self.findChildren(QDockWidget) if dock.widget() is view), None)
        if dock is not None:
            dock.raise_()

    def _wire(self) -> None:
        for view in (self.plot, self.fit_view, self.surface_view, self.parity_view, self.lr_range_view):
            view.follow(self.session)
        self.session.on(RunStarted, self._raise_surface)
        self.session.on(RunEnded, self._run_ended)
        self.jobs.show_requested.connect(self._bring_forward)
        self.jobs.job_started.connect(self.readout.job_started)
        self.runs_controller.idle_reset.connect(self.readout.clear)
        self.runs_controller.idle_reset.connect(self.network_docks.clear)
        self.plot.redrawn.connect(self._refresh_live_fit)
        self.form.changed.connect(self._update_title)
        self.form.changed.connect(self.jobs.schedule_prepare)
        self.form.changed.connect(self.code_view.refresh_later)
        self.code_view.follow(self.settings, self.code_dock)
        self.code_view.save_requested.connect(self.commands.export_script.trigger)
        self.form.lr_control.rate_changed.connect(self.jobs.set_learning_rate)
        self.parity_view.export_button.clicked.connect(
            lambda: self.dialogs.export_dialog(self.parity_view.export_target()))
        self.sweep_view.export_requested.connect(
            lambda panel: self.dialogs.export_dialog(self.sweep_view.export_target(panel)))
        view = self.lr_range_view
        view.start_button.clicked.connect(self.commands.range_test.trigger)
        view.cancel_button.clicked.connect(self.stop)
        for rule, button in view.use_buttons.items():
            button.clicked.connect(lambda _=False, rule=rule: self.jobs.use_suggested_rate(rule))
        view.export_button.clicked.connect(lambda: self.dialogs.export_dialog(view.export_target()))

    # -- state -------------------------------------------------------------------------------------------------------

    def settings(self) -> ExperimentSettings:
        """The experiment the controls show; ValueError (one line) when a control shows no valid value."""
        return self.form.settings()

    def _readable_settings(self) -> ExperimentSettings | None:
        """The experiment the controls show, or None while one shows no valid value."""
        try:
            return self.form.settings()
        except ValueError:
            return None

    def apply_settings(self, settings: ExperimentSettings, say: bool = True) -> list[str]:
        """Put ``settings`` into the controls. A value they cannot take (an engine not installed, an optimizer of
        another version, steps out of range …) leaves its control as it was; one line for each is returned and,
        when ``say``, shown in a message box."""
        problems = self.form.apply(settings)
        if problems and say:
            self.dialogs.warning("Some settings cannot be used", unusable_text(problems))
        self.statusBar().showMessage("Settings loaded into the controls" + (
            f" except {len(problems)} that cannot be used" if problems else ""))
        return problems

    def show_run(self, run_id: str) -> None:
        """Run ``run_id``'s curves on the loss plot, in front, and its row selected in the runs table."""
        self.session.set_shown(run_id, True)
        self.runs_controller.select(run_id)
        self.tabs.setCurrentWidget(self.plot)

    def show_trials(self, run_ids: list[str]) -> None:
        """A sweep's trials ``run_ids`` alone on the loss plot (at most ``MAX_TRIALS_SHOWN``; the other runs hidden,
        still in the runs table), in front: its sweep controls colour them and average their seeds."""
        shown = [run_id for run_id in run_ids if run_id in self.session.runs][:MAX_TRIALS_SHOWN]
        for run_id in self.session.shown_run_ids():
            if run_id not in shown:
                self.session.set_shown(run_id, False)
        for run_id in shown:
            self.session.set_shown(run_id, True)
        self.runs_controller.select(None)
        self.tabs.setCurrentWidget(self.plot)
        more = len(run_ids) - len(shown)
        self.statusBar().showMessage(f"{len(shown)} trials on the Loss plot" + (
            f", not the {more} more (filter or brush the Sweep tab's trials to choose)" if more else "") +
            "; the other runs hidden (tick them in the Runs table to show them again)")

    def _recolour_rows(self, colours: dict[str, str]) -> None:
        """The runs table's names in the colours the plot draws the runs in now."""
        for run_id, colour in colours.items():
            if run_id in self.session.runs:
                self.runs_table.set_run(self.session.runs[run_id], color=colour)

    def set_classroom(self, classroom: Classroom) -> None:
        """Hide and lock the controls ``classroom`` names (kgui.core.experiment.classroom); the others are shown again."""
        classroom.validate()
        self.form.set_classroom(classroom)
        self.commands.set_classroom(classroom)
        self.lr_range_view.start_button.setVisible("range_test" not in classroom.hide)
        self.sweep_view.fixed_fields = classroom.fixed_fields()     # a sweep changes none of them
        self.sweep_view.new_button.setVisible("start" not in classroom.hide | classroom.lock)
        self.surface_view.set_classroom(set(classroom.hide), set(classroom.lock))
        self.jobs.show_state()
        if classroom:
            self.statusBar().showMessage("Classroom mode: " + "; ".join(
                f"{kind} {', '.join(sorted(names))}" for kind, names in (("hidden", classroom.hide),
                                                                          ("locked", classroom.lock)) if names))

    def _update_title(self) -> None:
        """Settings · engine · rate, and the last run's status while the controls still describe that run."""
        record = self.session.last_ended
        state = (f" [{record.status}]" if record is not None and record.status != "pending"
                 and self._ended_with is not None and self._ended_with == self._readable_settings() else "")
        self.setWindowTitle(f"{APP_NAME} — {self.form.title()}{state}")

    # -- jobs (kgui.ui.job_control) ---------------------------------------------------------------------------------

    def start(self, paused: bool = False) -> bool:
        """Start a new run with the current settings; False (after a message) when they are invalid."""
        return self.jobs.start(JobKind.TRAINING, paused)

    def compare_backends(self) -> bool:
        """Train the experiment on every installed engine in turn (core.training.parity) and show the verdict."""
        return self.jobs.start(JobKind.PARITY)

    def range_test(self) -> bool:
        """Run the learning-rate range test (core.training.lr_finder) on the current experiment and engine."""
        return self.jobs.start(JobKind.RANGE_TEST)

    def stop(self) -> None:
        self.jobs.stop()

    # -- session events ----------------------------------------------------------------------------------------------

    def _raise_surface(self, event: RunStarted) -> None:
        """The decision boundary comes in front for a new run it applies to."""
        if self.surface_view.applies_to(event.dataset):
            self.surface_dock.raise_()

    def _refresh_live_fit(self) -> None:
        """The fit view takes the live run's new steps with the plot (not once per step) while that run is shown."""
        if self.session.shown_live_run() is not None:
            self.fit_view.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """Once the window is shown, the current experiment starts preparing in the background."""
        super().showEvent(event)
        self.jobs.schedule_prepare(PREPARE_AFTER_SHOWN_MS)

    def _run_ended(self, event: RunEnded) -> None:
        """The title says the run's status while the controls still describe it."""
        self._ended_with = self._readable_settings()
        self._update_title()

    # -- closing -----------------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the window, stop a running job (a run is saved as stopped) and the window's workers, within
        two seconds (job_control.SHUTDOWN_S)."""
        self.window_state.save()
        if self.jobs.running:
            self.statusBar().showMessage("Stopping…")
            self.hide()
        self.jobs.shut_down()
        self.sweep_view.shut_down()
        self.job_status.stop_preparing()
        self.plot.redraws_itself = False
        event.accept()
