"""The main window: experiment controls, the runs overlay and table, backend parity, the learning-rate
range test, the fit view, export and remembered state. Views live in their own modules; this one wires
them to the worker jobs and the run store."""
from __future__ import annotations

import statistics
from pathlib import Path
from time import perf_counter

from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PyQt6.QtWidgets import (QDockWidget, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QLabel, QMainWindow,
                             QMessageBox, QSizePolicy, QSpinBox, QStyle, QTabWidget, QToolButton, QVBoxLayout,
                             QWidget)

from kgui.core import export
from kgui.core.parity import installed_engines
from kgui.core.runs import RunNotFoundError, RunStore
from kgui.core.settings import ExperimentSettings
from kgui.core.trainer import TrainingControl

from . import window_state
from .datasets import DatasetPicker, short_title
from .exporting import ExportTarget, export_tensorboard_dialog, filters
from .fit_view import FitView
from .learning_rate import MAX_RATE, MIN_RATE, LearningRateControl, rounded
from .loss_plot import LossPlot
from .lr_range_view import LrRangeView
from .names import dataset_title, engine_label, plot_placement, run_engine_label, run_title
from .panels import BackendPicker, LivePanel
from .parity_view import ParityView, verdict_line
from .runs_table import RunsTable
from .worker import Job, ParityWorker, RangeTestWorker, TrainingJob, TrainingWorker, WorkerSession

APP_NAME = "kgui"
CONTROLS_WIDTH = 360
EXPORT_FORMATS = {"png": "PNG Image…", "svg": "SVG Image…", "csv": "CSV Table…", "json": "JSON File…"}
EXPERIMENT_FILTER = "kgui experiment (*.json)"
ICON = Path(__file__).resolve().parents[2] / "resources" / "kgui.svg"
LOG_SCALE_ICON = ICON.with_name("log-scale.svg")
THEANO_COMPILE_HINT = "compiling (the first run of Theano can take ~15 s)…"
TABLE_REFRESH_S = 1.0   # the live run's row in the runs table is refreshed at most this often
STEP_MS_WINDOW = 20     # "Time per step" in the side panel: median of the last this many steps



class MainWindow(QMainWindow):
    """Pick backend, dataset and learning rate, train on a worker thread, watch, steer and compare runs.

    ``store`` (or ``runs_dir``; default $KGUI_RUNS_DIR or the user data folder) holds the runs;
    ``preferences`` is where the window remembers its state (default: the user's QSettings).
    """

    def __init__(self, store: RunStore | None = None, runs_dir=None, preferences: QSettings | None = None):
        super().__init__()
        self.store = store if store is not None else RunStore(runs_dir)
        self.preferences = preferences if preferences is not None else window_state.default_preferences()
        self.session: WorkerSession | None = None
        self.runs: dict = {}            # run id -> RunRecord: saved runs and this session's (GUI-thread copies)
        self.live_run_id: str | None = None   # run being trained, or the last one
        self.record = None              # final RunRecord of the last run that ended
        self.parity_result = None
        self.export_dir = Path.cwd()
        self._base_settings = ExperimentSettings()   # fields without a control (model, val_fraction) come from here
        self._table_refreshed = 0.0

        self.plot = LossPlot()
        self.plot.redrawn.connect(self._show_latest_step)
        self.lr_range_view = LrRangeView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.plot, "Loss")
        self.tabs.addTab(self.lr_range_view, "Learning-rate range test")
        self.setCentralWidget(self.tabs)
        self._build_controls()
        self._build_actions()
        self._build_views()
        self._build_menus_and_toolbar()
        self.engine_state = QLabel("idle")
        self.statusBar().addPermanentWidget(self.engine_state)
        self.resize(1400, 860)
        self._load_saved_runs()
        window_state.restore(self, self.preferences)
        self.statusBar().showMessage("Choose a backend, a dataset and a learning rate, then Start (Ctrl+R).")
        self._update_title()
        self._update_actions()

    # -- layout ------------------------------------------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_controls(self) -> None:
        self.backend_picker = BackendPicker()
        self.dataset_picker = DatasetPicker()
        self.lr_control = LearningRateControl(ExperimentSettings().learning_rate)
        self.steps_box = QSpinBox()
        self.steps_box.setRange(1, 1_000_000)
        self.steps_box.setValue(ExperimentSettings().steps)
        self.steps_box.setToolTip("Number of parameter updates (one batch each)")
        self.batch_box = QSpinBox()
        self.batch_box.setRange(0, 1_000_000)
        self.batch_box.setSpecialValueText("full batch")
        self.batch_box.setToolTip("Rows per step; 0 = the whole training split (full-batch gradient descent)")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setToolTip("Seeds the data split, the initial weights and the batch order")

        experiment = QGroupBox("Experiment")
        form = QFormLayout(experiment)
        form.addRow("Backend:", self.backend_picker)
        form.addRow("Dataset:", self.dataset_picker)
        form.addRow(self.lr_control)   # its own label: the slider takes the panel's whole width
        form.addRow("Steps:", self.steps_box)
        form.addRow("Batch size:", self.batch_box)
        form.addRow("Seed:", self.seed_box)

        self.run_buttons = QGroupBox("Run")
        self.run_buttons_layout = QGridLayout(self.run_buttons)
        self.live_panel = LivePanel()

        side = QWidget()
        layout = QVBoxLayout(side)
        layout.addWidget(experiment)
        layout.addWidget(self.run_buttons)
        layout.addWidget(self.live_panel)
        layout.addStretch(1)
        self.controls_dock = self._dock("Controls", "controls", side, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.controls_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                       | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.resizeDocks([self.controls_dock], [CONTROLS_WIDTH], Qt.Orientation.Horizontal)

        self.backend_picker.currentIndexChanged.connect(self._update_title)
        self.dataset_picker.changed.connect(self._update_title)
        self.lr_control.rate_changed.connect(self._learning_rate_changed)

    def _build_views(self) -> None:
        """Docks: the runs table (bottom), what is learned and backend parity (right)."""
        self.runs_table = RunsTable()
        self.runs_dock = self._dock("Runs", "runs", self.runs_table, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.fit_view = FitView()
        self.fit_dock = self._dock("What is learned", "fit", self.fit_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.parity_view = ParityView()
        self.parity_dock = self._dock("Backend parity", "parity", self.parity_view,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.fit_dock, self.parity_dock)
        self.fit_dock.raise_()
        self.resizeDocks([self.fit_dock], [330], Qt.Orientation.Horizontal)
        self.resizeDocks([self.runs_dock], [190], Qt.Orientation.Vertical)

        self.runs_table.visibility_changed.connect(self.plot.set_run_visible)
        self.runs_table.selected.connect(self._run_selected)
        self.runs_table.rename_requested.connect(self.rename_run)
        self.runs_table.rerun_requested.connect(self.rerun)
        self.runs_table.load_requested.connect(
            lambda run_id: self.runs[run_id].readable and self.apply_settings(self.runs[run_id].settings))
        self.runs_table.delete_requested.connect(self.delete_run)
        self.parity_view.export_button.clicked.connect(
            lambda: self.export_dialog(target=self.parity_view.export_target()))
        view = self.lr_range_view
        view.start_button.clicked.connect(self.range_test_action.trigger)
        view.cancel_button.clicked.connect(self.stop)
        view.use_button.clicked.connect(self.use_suggested_rate)
        view.export_button.clicked.connect(lambda: self.export_dialog(target=view.export_target()))

    def _action(self, text: str, slot, shortcuts=(), tip: str = "", icon=None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        keys = " or ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        return action

    def _build_actions(self) -> None:
        pixmap = QStyle.StandardPixmap
        self.start_action = self._action("&Start", self.start, ("Ctrl+R", "F5"), "Start a new run with these settings",
                                         pixmap.SP_MediaPlay)
        self.pause_action = self._action("&Pause", self.toggle_pause, ("Space",), "Pause or resume the run",
                                         pixmap.SP_MediaPause, checkable=True)
        self.step_action = self._action("S&tep", self.step_once, ("Ctrl+T", "F6"),
                                        "Run exactly one step (starts a paused run when none is going)",
                                        pixmap.SP_MediaSkipForward)
        self.stop_action = self._action("St&op", self.stop, ("Esc",), "Stop the run; it is kept as 'stopped'",
                                        pixmap.SP_MediaStop)
        self.reset_action = self._action("&Reset", self.reset, ("Ctrl+Shift+R",),
                                         "Clear the plot: hide every run (they stay in the runs table)",
                                         pixmap.SP_BrowserReload)
        self.compare_action = self._action("&Compare Backends", self.compare_backends, ("Ctrl+B",),
                                           "Train this experiment on every installed engine with the same initial "
                                           "weights and check that the losses agree", pixmap.SP_FileDialogContentsView)
        self.range_test_action = self._action("Learning-Rate &Range Test", self.range_test, ("Ctrl+Shift+L",),
                                              "Sweep the learning rate from 1e-6 to 10 and suggest one",
                                              pixmap.SP_ArrowUp)
        self.save_plot_action = self._action("&Save Plot…", lambda: self.export_dialog("png"), ("Ctrl+S",),
                                             "Save what is shown (loss plot, range test or backend parity) as "
                                             "PNG or SVG, or its data as CSV or JSON", pixmap.SP_DialogSaveButton)
        self.export_action = self._action("&Export…", lambda: self.export_dialog(), ("Ctrl+E",),
                                          "Export what is shown (loss plot, range test or backend parity): "
                                          "PNG or SVG as on screen, or the data as CSV or JSON",
                                          pixmap.SP_FileDialogDetailedView)
        self.export_format_actions = {
            fmt: self._action(text, lambda _=False, fmt=fmt: self.export_dialog(fmt))
            for fmt, text in EXPORT_FORMATS.items()}
        self.tensorboard_action = self._action("Export to &TensorBoard…", self.export_tensorboard,
                                               tip="Write the shown runs as TensorBoard event files "
                                                   "(then: tensorboard --logdir FOLDER)")
        self.open_csv_action = self._action("&Open CSV…", self.dataset_picker.open_csv, ("Ctrl+O",),
                                            "Train on your own CSV file", pixmap.SP_DialogOpenButton)
        self.open_experiment_action = self._action("Open E&xperiment…", self.open_experiment_dialog,
                                                   ("Ctrl+Shift+O",), "Load experiment settings from a JSON file")
        self.save_experiment_action = self._action("Save Ex&periment…", self.save_experiment_dialog,
                                                   ("Ctrl+Shift+S",), "Save the experiment settings as a JSON file "
                                                   "(python main.py run --config FILE runs it headless)")
        self.quit_action = self._action("&Quit", self.close, ("Ctrl+Q",), "Stop any run and quit")
        self.log_y_action = self._action("&Log Scale", self.plot.set_log_y, ("Ctrl+L",),
                                         "Show the loss on a logarithmic axis", checkable=True)
        self.log_y_action.setIcon(QIcon(str(LOG_SCALE_ICON)))
        self.auto_range_action = self._action("&Auto Range", self.plot.auto_range, ("Ctrl+0",),
                                              "Fit the plot to the data (mouse: drag to pan, wheel to zoom)",
                                              pixmap.SP_TitleBarMaxButton)
        self.about_action = self._action("&About kgui", self.about)

    def _build_menus_and_toolbar(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions((self.open_experiment_action, self.save_experiment_action, self.open_csv_action))
        file_menu.addSeparator()
        file_menu.addAction(self.save_plot_action)
        file_menu.addAction(self.export_action)
        export_menu = file_menu.addMenu("Export &As")
        for action in self.export_format_actions.values():
            export_menu.addAction(action)
        file_menu.addAction(self.tensorboard_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        run_actions = (self.start_action, self.pause_action, self.step_action, self.stop_action, self.reset_action)
        run_menu = self.menuBar().addMenu("&Run")
        run_menu.addActions(run_actions)
        run_menu.addSeparator()
        run_menu.addActions((self.compare_action, self.range_test_action))
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addActions((self.log_y_action, self.auto_range_action))
        view_menu.addSeparator()
        for dock in (self.controls_dock, self.runs_dock, self.fit_dock, self.parity_dock):
            view_menu.addAction(dock.toggleViewAction())
        self.menuBar().addMenu("&Help").addAction(self.about_action)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions(run_actions)
        toolbar.addSeparator()
        toolbar.addActions((self.compare_action, self.range_test_action))
        toolbar.addSeparator()
        toolbar.addActions((self.save_plot_action, self.export_action))
        toolbar.addSeparator()
        toolbar.addActions((self.log_y_action, self.auto_range_action))

        for index, action in enumerate(run_actions):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.run_buttons_layout.addWidget(button, index // 3, index % 3)

    # -- state -------------------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.running

    @property
    def paused(self) -> bool:
        return self.running and self.session.control.paused

    @property
    def history(self) -> list:
        """StepRecords of the run being trained (or the last one) received so far."""
        record = self.runs.get(self.live_run_id)
        return record.history if record is not None else []

    def settings(self) -> ExperimentSettings:
        """The experiment the controls describe."""
        dataset, options = self.dataset_picker.choice
        return self._base_settings.replace(
            backend=self.backend_picker.engine, dataset=dataset, dataset_options=options,
            learning_rate=self.lr_control.rate, steps=self.steps_box.value(), batch_size=self.batch_box.value() or None,
            seed=self.seed_box.value())

    def apply_settings(self, settings: ExperimentSettings) -> None:
        """Put ``settings`` into the controls (an engine that is not installed keeps the current one)."""
        self._base_settings = settings
        self.backend_picker.select(settings.backend)
        self.dataset_picker.select(settings.dataset, dict(settings.dataset_options))
        self.lr_control.set_rate(settings.learning_rate)
        self.steps_box.setValue(settings.steps)
        self.batch_box.setValue(settings.batch_size or 0)
        self.seed_box.setValue(settings.seed)
        self._update_title()
        self.statusBar().showMessage("Settings loaded into the controls")

    def shown_run_ids(self) -> list[str]:
        """Runs checked in the table (shown on the plot), in table order."""
        return [run_id for run_id in self.runs_table.run_ids() if self.runs_table.is_checked(run_id)]

    def _update_actions(self) -> None:
        running = self.running
        training = running and isinstance(self.session.job, TrainingJob)
        self.start_action.setEnabled(not running)
        self.compare_action.setEnabled(not running)
        self.range_test_action.setEnabled(not running)
        self.pause_action.setEnabled(training)
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(self.paused)
        self.pause_action.blockSignals(False)
        self.pause_action.setText("Resume" if self.paused else "Pause")
        self.step_action.setEnabled(not running or (training and self.paused))
        self.stop_action.setEnabled(running)
        for widget in (self.backend_picker, self.dataset_picker, self.steps_box, self.batch_box, self.seed_box):
            widget.setEnabled(not running)
        for action in (self.open_csv_action, self.open_experiment_action):
            action.setEnabled(not running)
        self.runs_table.set_busy(self.live_run_id, running)
        self.lr_range_view.set_running(running and isinstance(self.session.job, RangeTestWorker))
        self.lr_range_view.start_button.setEnabled(not running)

    def _update_title(self) -> None:
        dataset, _ = self.dataset_picker.choice
        state = f" [{self.record.status}]" if self.record is not None and self.record.status != "pending" else ""
        self.setWindowTitle(f"{APP_NAME} — {short_title(dataset)} · {self.backend_picker.title} · "
                            f"lr {self.lr_control.rate:.3g}{state}")

    # -- jobs --------------------------------------------------------------------------------------------------------

    def _settings_for_new_job(self) -> ExperimentSettings | None:
        """The current settings, or None while a job runs or (after a message) when they are invalid."""
        if self.running:
            return None
        settings = self.settings()
        try:
            settings.validate()
        except ValueError as exc:
            QMessageBox.warning(self, "Cannot start", str(exc))
            return None
        return settings

    def _start_job(self, job: Job) -> None:
        self.session = WorkerSession(job, parent=self)
        self.live_panel.clear()
        self.live_panel.set_engine(engine_label(job.settings.backend))
        job.status.connect(self._engine_status)
        job.failed.connect(self._job_failed)
        if isinstance(job, TrainingJob):
            job.run_started.connect(self._run_started)
            job.steps.connect(self._steps_arrived)
            job.confusion.connect(self.fit_view.show_confusion)
            job.run_ended.connect(self._run_ended)
        self.session.thread.finished.connect(self._update_actions)
        self.live_run_id = None
        self.session.start()
        self._update_actions()

    def start(self, paused: bool = False) -> bool:
        """Start a new run with the current settings; False (after a message) when they are invalid."""
        settings = self._settings_for_new_job()
        if settings is None:
            return False
        job = TrainingWorker(settings, TrainingControl(paused=paused), self.store)
        job.finished.connect(self._training_finished)
        self._start_job(job)
        self.tabs.setCurrentWidget(self.plot)
        self.statusBar().showMessage(f"Run started: {dataset_title(settings.dataset)} on "
                                     f"{engine_label(settings.backend)}")
        return True

    def compare_backends(self) -> bool:
        """Train the experiment on every installed engine in turn (core.parity) and show the verdict."""
        settings = self._settings_for_new_job()
        if settings is None:
            return False
        self.parity_result = None
        self.parity_view.show_running(installed_engines())
        self.parity_dock.raise_()
        job = ParityWorker(settings, TrainingControl(), self.store)
        job.finished.connect(self._parity_finished)
        self._start_job(job)
        self.tabs.setCurrentWidget(self.plot)
        self.statusBar().showMessage("Comparing backends…")
        return True

    def range_test(self) -> bool:
        """Run the learning-rate range test (core.lr_finder) on the current experiment and engine."""
        settings = self._settings_for_new_job()
        if settings is None:
            return False
        self.lr_range_view.clear()
        job = RangeTestWorker(settings, TrainingControl())
        job.points.connect(self.lr_range_view.add_points)
        job.finished.connect(self._range_test_finished)
        self._start_job(job)
        self.tabs.setCurrentWidget(self.lr_range_view)
        self.statusBar().showMessage(f"Learning-rate range test on {self.backend_picker.title}…")
        return True

    def toggle_pause(self, pause: bool) -> None:
        if not self.running:
            return
        if pause:
            self.session.control.pause()
            self.statusBar().showMessage("Paused: Space resumes, Step runs one step")
        else:
            self.session.control.resume()
            self.statusBar().showMessage("Resumed")
        self._update_actions()

    def step_once(self) -> None:
        """One step of the paused run, or a new paused run's first step."""
        if not self.running and not self.start(paused=True):
            return
        if self.paused:
            self.session.control.request_step()

    def stop(self) -> None:
        if self.running:
            self.session.control.stop()
            self.statusBar().showMessage("Stopping…")

    def reset(self) -> None:
        """Hide every run from the plot (they stay in the runs table) and clear the readout."""
        for run_id in self.shown_run_ids():
            self.runs_table.set_checked(run_id, False)
        if not self.running:
            self.live_panel.clear()
            self.engine_state.setText("idle")
        self.plot.auto_range()

    def _learning_rate_changed(self, rate: float) -> None:
        if self.running and isinstance(self.session.job, TrainingJob):
            self.session.control.set_learning_rate(rate)
            self.statusBar().showMessage(f"Learning rate {rate:.3g} from the next step on")
        self._update_title()

    def use_suggested_rate(self) -> None:
        """Set the learning rate to the range test's suggestion (as if the slider moved there)."""
        suggestion = self.lr_range_view.suggestion
        if suggestion is None:
            return
        rate = min(max(rounded(suggestion), MIN_RATE), MAX_RATE)
        self.lr_control.set_rate(rate)
        self._learning_rate_changed(rate)
        self.statusBar().showMessage(f"Learning rate set to the suggested {rate:g}")

    # -- job signals -------------------------------------------------------------------------------------------------

    def _run_started(self, record, dataset) -> None:
        self.runs[record.id] = record
        self.live_run_id = record.id
        self.live_panel.set_engine(run_engine_label(record))
        if isinstance(self.session.job, ParityWorker):
            self.parity_view.run_started(record)
        curves = self.plot.add_run(record.id, run_title(record), planned_steps=record.settings.steps,
                                   **plot_placement(record))
        self.runs_table.set_run(record, visible=True, color=curves.color)
        self.fit_view.show_run(record.id, record.settings, dataset)
        self._update_actions()

    def _steps_arrived(self, run_id: str, records: list) -> None:
        self.runs[run_id].history.extend(records)
        self.plot.add_steps(run_id, records)
        self.fit_view.add_steps(run_id, records)

    def _show_latest_step(self) -> None:
        """Refresh the readout, fit view and the live run's table row with the plot (not once per step)."""
        record = self.runs.get(self.live_run_id)
        if record is None or not record.history:
            return
        recent = record.history[-STEP_MS_WINDOW:]
        self.live_panel.show_step(record.history[-1], record.settings.steps,
                                  statistics.median(step.step_ms for step in recent))
        self.fit_view.refresh()
        if perf_counter() - self._table_refreshed >= TABLE_REFRESH_S:
            self._table_refreshed = perf_counter()
            self.runs_table.set_run(record)

    def _engine_status(self, text: str) -> None:
        if text.startswith("compiling") and self.session and self.session.settings.backend == "theano":
            text = THEANO_COMPILE_HINT
        self.engine_state.setText(text)
        self.live_panel.set_state(text)

    def _run_ended(self, record) -> None:
        """A run reached its final status: keep the final record (with a name given while it trained)."""
        shown = self.runs.get(record.id)
        if shown is not None and shown.name != record.name and self.store.exists(record.id):
            record.name = self.store.rename(record.id, shown.name).name
        self.runs[record.id] = record
        self.record = record
        if isinstance(self.session.job, ParityWorker):
            self.parity_view.run_ended(record)
        if shown is not None:
            self.runs_table.set_run(record)
        if record.status == "diverged" and record.history:
            self._engine_status(f"diverged at step {record.history[-1].step}")
        else:
            self._engine_status(record.status)
        self.statusBar().showMessage(record.message or f"run {record.status} after {len(record.history)} steps")
        if record.id in self.plot.runs:
            self.plot.end_run(record.id)
        self.plot.redraw()
        self.fit_view.refresh(force=True)
        self._update_title()
        self._update_actions()

    def _training_finished(self, record) -> None:
        if record.status == "failed":
            QMessageBox.critical(self, "Training failed", record.message or "The run failed.")

    def _parity_finished(self, result) -> None:
        self.parity_result = result
        self.parity_view.show_result(result)
        self.parity_dock.raise_()
        self.statusBar().showMessage(f"Backend parity: {verdict_line(result)}")

    def _range_test_finished(self, result) -> None:
        self.lr_range_view.show_result(result)
        self._engine_status(result.status)
        self.statusBar().showMessage(f"Range test: {result.summary()}")

    def _job_failed(self, message: str) -> None:
        self._engine_status("failed")
        QMessageBox.critical(self, "Failed", message)

    # -- runs --------------------------------------------------------------------------------------------------------

    def _load_saved_runs(self) -> None:
        """Runs saved by earlier sessions, in the table; those shown when the window last closed, on the plot."""
        shown = window_state.shown_run_ids(self.preferences)
        for record in self.store.list(with_history=True):
            self.runs[record.id] = record
            curves = self.plot.add_run(record.id, run_title(record), visible=record.id in shown,
                                       **plot_placement(record))
            self.plot.add_steps(record.id, record.history)
            self.runs_table.set_run(record, visible=record.id in shown, color=curves.color)

    def _run_selected(self, run_id: str | None) -> None:
        self.plot.highlight(run_id)
        if run_id is not None:
            self.statusBar().showMessage(f"{self.runs[run_id].name}: {self.runs[run_id].status}")

    def rename_run(self, run_id: str, name: str) -> None:
        """Give a run a new display name (saved now, or when it ends if it is still training)."""
        record = self.runs[run_id]
        if name.strip() == record.name:
            return
        try:
            if self.store.exists(run_id):
                self.store.rename(run_id, name)
            elif not name.strip():
                raise ValueError("a run name cannot be empty")
        except (ValueError, OSError) as exc:
            QMessageBox.warning(self, "Cannot rename", str(exc))
            self.runs_table.set_run(record)
            return
        record.name = name.strip()
        self.runs_table.set_run(record)
        self.plot.set_run_title(run_id, run_title(record))

    def delete_run(self, run_id: str) -> bool:
        """Delete a run from disk and from the window, after asking."""
        record = self.runs[run_id]
        if self.running and run_id == self.live_run_id:
            return False
        answer = QMessageBox.question(self, "Delete run", f"Delete the run “{record.name}” from disk?",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self.store.delete(run_id)
        except RunNotFoundError:
            pass  # never saved (it failed before its first step)
        except OSError as exc:
            QMessageBox.critical(self, "Cannot delete", str(exc))
            return False
        del self.runs[run_id]
        self.plot.remove_run(run_id)
        self.runs_table.remove_run(run_id)
        if self.live_run_id == run_id:
            self.live_run_id = None
        self.statusBar().showMessage(f"Deleted {record.name}")
        return True

    def rerun(self, run_id: str) -> bool:
        """A new run with the settings of run ``run_id`` (they go into the controls first)."""
        if not self.runs[run_id].readable:
            return False
        self.apply_settings(self.runs[run_id].settings)
        return self.start()

    # -- files and export --------------------------------------------------------------------------------------------

    def _ask_save_path(self, suggested_name: str, filters: str, caption: str = "Export") -> Path | None:
        first_extension = filters.split("*")[1].split(")")[0]
        suggested = str(self.export_dir / f"{suggested_name}{first_extension}")
        path, chosen_filter = QFileDialog.getSaveFileName(self, caption, suggested, filters)
        if not path:
            return None
        if not Path(path).suffix:
            path += chosen_filter.split("*")[1].split(")")[0]
        self.export_dir = Path(path).parent
        return Path(path)

    def _write(self, write, path) -> Path | None:
        """``write(path)``, with a message box instead of an exception."""
        try:
            write(path)
        except (OSError, ValueError) as exc:
            QMessageBox.critical(self, "Export failed", str(exc))
            return None
        self.statusBar().showMessage(f"Saved {path}")
        return Path(path)

    def export_records(self) -> list:
        """The runs an export writes: those shown on the plot, with the steps received so far."""
        return [self.runs[run_id] for run_id in self.shown_run_ids() if self.runs[run_id].history]

    def export_target(self) -> ExportTarget:
        """What Save/Export writes: the range-test tab or the backend parity panel while shown, else the loss plot."""
        if self.tabs.currentWidget() is self.lr_range_view:
            return self.lr_range_view.export_target()
        if self.parity_view.isVisible() and self.parity_view.result is not None:
            return self.parity_view.export_target()
        return self.plot.export_target(lambda path: export.export(self.export_records(), path),
                                       "" if self.export_records() else
                                       "Start a run first: there is no loss history yet.")

    def export_dialog(self, first_format: str = "png", target: ExportTarget | None = None) -> Path | None:
        """Ask where to save ``target`` (default: what is shown), every format offered, ``first_format`` first."""
        target = target or self.export_target()
        if target.empty_message:
            QMessageBox.information(self, "Nothing to export", target.empty_message)
            return None
        path = self._ask_save_path(target.stem, filters(first_format), f"Export the {target.name}")
        return None if path is None else self._write(target.export, path)

    def export_tensorboard(self) -> Path | None:
        """File → Export to TensorBoard: the shown runs as event files in a folder the user picks."""
        records = self.export_records()
        if not records:
            QMessageBox.information(self, "Nothing to export", "Start a run first: there is no loss history yet.")
            return None
        folder = export_tensorboard_dialog(self, records, self.export_dir)
        if folder is not None:
            self.export_dir = folder
            self.statusBar().showMessage(f"Wrote {len(records)} runs for TensorBoard: tensorboard --logdir {folder}")
        return folder

    def save_experiment(self, path) -> Path | None:
        """Write the controls' experiment as JSON (ExperimentSettings.to_json)."""
        return self._write(lambda target: Path(target).write_text(self.settings().to_json() + "\n",
                                                                  encoding="utf-8"), path)

    def save_experiment_dialog(self) -> Path | None:
        path = self._ask_save_path("experiment", EXPERIMENT_FILTER)
        return None if path is None else self.save_experiment(path)

    def open_experiment(self, path) -> bool:
        """Load experiment settings from a JSON file into the controls; a message when the file is not one."""
        try:
            settings = ExperimentSettings.load(path)
            settings.validate()
        except (OSError, ValueError) as exc:
            QMessageBox.critical(self, "Cannot open the experiment", str(exc))
            return False
        self.apply_settings(settings)
        self.statusBar().showMessage(f"Opened {path}")
        return True

    def open_experiment_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Open experiment", str(self.export_dir), EXPERIMENT_FILTER)
        return bool(path) and self.open_experiment(path)

    def about(self) -> None:
        QMessageBox.about(self, "About kgui", "<b>kgui</b><br>Train models through a Keras-2 backend layer on "
                          "TensorFlow and Theano (PyTensor), and watch the loss live.")

    # -- closing -----------------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the window, stop a running job and wait for its thread (a run is saved as stopped)."""
        window_state.save(self, self.preferences)
        if self.session is not None:
            if self.running:
                self.statusBar().showMessage("Stopping…")
                self.hide()
            self.session.shut_down()
        self.plot.timer.stop()
        event.accept()
