"""The main window: experiment controls, the live loss plot, run actions and export."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QCloseEvent, QKeySequence
from PyQt6.QtWidgets import (QDockWidget, QFileDialog, QFormLayout, QGroupBox, QLabel, QMainWindow, QMessageBox,
                             QSizePolicy, QSpinBox, QStyle, QToolButton, QGridLayout, QVBoxLayout, QWidget)

from kgui.core import export
from kgui.core.runs import RunStore
from kgui.core.settings import ExperimentSettings

from .datasets import TITLES, DatasetPicker
from .learning_rate import LearningRateControl
from .loss_plot import LossPlot
from .panels import BackendPicker, LivePanel
from .worker import TrainingSession

APP_NAME = "kgui"
CONTROLS_WIDTH = 360
PLOT_FILTERS = "PNG image (*.png);;SVG image (*.svg)"
DATA_FILTERS = "History as CSV (*.csv);;Run as JSON (*.json)"
EXPORT_FORMATS = {
    "png": ("Plot as PNG…", "PNG image (*.png)"),
    "svg": ("Plot as SVG…", "SVG image (*.svg)"),
    "csv": ("History as CSV…", "CSV table (*.csv)"),
    "json": ("Run as JSON…", "JSON file (*.json)"),
}
ICON = Path(__file__).resolve().parents[2] / "resources" / "kgui.svg"
THEANO_COMPILE_HINT = "compiling (the first run of Theano can take ~15 s)…"


class MainWindow(QMainWindow):
    """Pick backend, dataset and learning rate, train on a worker thread, watch and steer the run live."""

    def __init__(self, store: RunStore | None = None):
        super().__init__()
        self.store = store if store is not None else RunStore()
        self.session: TrainingSession | None = None
        self.record = None          # RunRecord of the current or last run (owned by the worker while it runs)
        self.history: list = []     # StepRecords received on the GUI thread
        self.export_dir = Path.cwd()

        self.plot = LossPlot()
        self.plot.redrawn.connect(self._show_latest_step)
        self.setCentralWidget(self.plot)
        self._build_controls()
        self._build_actions()
        self._build_menus_and_toolbar()
        self.engine_state = QLabel("idle")
        self.statusBar().addPermanentWidget(self.engine_state)
        self.statusBar().showMessage("Choose a backend, a dataset and a learning rate, then Start (Ctrl+R).")
        self.resize(1200, 760)
        self._update_title()
        self._update_actions()

    # -- layout ------------------------------------------------------------------------------------------------------

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
        form.addRow("Learning rate:", self.lr_control)
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
        dock = QDockWidget("Controls", self)
        dock.setObjectName("controls")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        dock.setWidget(side)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [CONTROLS_WIDTH], Qt.Orientation.Horizontal)

        self.backend_picker.currentIndexChanged.connect(self._update_title)
        self.dataset_picker.changed.connect(self._update_title)
        self.lr_control.rate_changed.connect(self._learning_rate_changed)

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
                                         "Clear the plot and the readout for a fresh run", pixmap.SP_BrowserReload)
        self.save_plot_action = self._action("&Save Plot…", lambda: self.export_dialog(PLOT_FILTERS), ("Ctrl+S",),
                                             "Save the loss plot as PNG or SVG", pixmap.SP_DialogSaveButton)
        self.export_action = self._action("&Export Data…", lambda: self.export_dialog(DATA_FILTERS), ("Ctrl+E",),
                                          "Export the loss history as CSV or the run as JSON",
                                          pixmap.SP_FileDialogDetailedView)
        self.export_format_actions = {
            fmt: self._action(text, lambda _=False, fmt=fmt: self.export_dialog(self._filter(fmt)))
            for fmt, (text, _) in EXPORT_FORMATS.items()}
        self.open_csv_action = self._action("&Open CSV…", self.dataset_picker.open_csv, ("Ctrl+O",),
                                            "Train on your own CSV file", pixmap.SP_DialogOpenButton)
        self.quit_action = self._action("&Quit", self.close, ("Ctrl+Q",), "Stop any run and quit")
        self.log_y_action = self._action("&Log Scale", self.plot.set_log_y, ("Ctrl+L",),
                                         "Show the loss on a logarithmic axis", checkable=True)
        self.auto_range_action = self._action("&Auto Range", self.plot.auto_range, ("Ctrl+0",),
                                              "Fit the plot to the data (mouse: drag to pan, wheel to zoom)",
                                              pixmap.SP_TitleBarMaxButton)
        self.about_action = self._action("&About kgui", self.about)

    @staticmethod
    def _filter(fmt: str) -> str:
        return EXPORT_FORMATS[fmt][1]

    def _build_menus_and_toolbar(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_csv_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_plot_action)
        file_menu.addAction(self.export_action)
        export_menu = file_menu.addMenu("Export &As")
        for action in self.export_format_actions.values():
            export_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        run_menu = self.menuBar().addMenu("&Run")
        run_actions = (self.start_action, self.pause_action, self.step_action, self.stop_action, self.reset_action)
        run_menu.addActions(run_actions)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addActions((self.log_y_action, self.auto_range_action))
        self.menuBar().addMenu("&Help").addAction(self.about_action)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions(run_actions)
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

    def settings(self) -> ExperimentSettings:
        """The experiment the controls describe."""
        dataset, options = self.dataset_picker.choice
        return ExperimentSettings(backend=self.backend_picker.engine, dataset=dataset, dataset_options=options,
                                  learning_rate=self.lr_control.rate, steps=self.steps_box.value(),
                                  batch_size=self.batch_box.value() or None, seed=self.seed_box.value())

    def _update_actions(self) -> None:
        running = self.running
        self.start_action.setEnabled(not running)
        self.pause_action.setEnabled(running)
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(self.paused)
        self.pause_action.blockSignals(False)
        self.pause_action.setText("Resume" if self.paused else "Pause")
        self.step_action.setEnabled(not running or self.paused)
        self.stop_action.setEnabled(running)
        self.reset_action.setEnabled(not running)
        for widget in (self.backend_picker, self.dataset_picker, self.steps_box, self.batch_box, self.seed_box):
            widget.setEnabled(not running)
        self.open_csv_action.setEnabled(not running)

    def _update_title(self) -> None:
        dataset, _ = self.dataset_picker.choice
        name = TITLES.get(dataset, Path(dataset).name).split(" (")[0]
        state = f" [{self.record.status}]" if self.record is not None and self.record.status != "pending" else ""
        self.setWindowTitle(f"{APP_NAME} — {name} · {self.backend_picker.title} · lr {self.lr_control.rate:.3g}"
                            f"{state}")

    # -- run actions -------------------------------------------------------------------------------------------------

    def start(self, paused: bool = False) -> bool:
        """Start a new run with the current settings; False (after a message) when they are invalid."""
        if self.running:
            return False
        settings = self.settings()
        try:
            settings.validate()
        except ValueError as exc:
            QMessageBox.warning(self, "Cannot start", str(exc))
            return False
        self.reset()
        self.session = TrainingSession(settings, self.store, paused=paused, parent=self)
        worker = self.session.worker
        worker.steps.connect(self._steps_arrived)
        worker.status.connect(self._engine_status)
        worker.finished.connect(self._run_ended)
        worker.failed.connect(self._run_failed)
        self.session.thread.finished.connect(self._update_actions)
        self.session.start()
        self.statusBar().showMessage(f"Run started: {settings.dataset} on {self.backend_picker.title}")
        self._update_actions()
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
        """Forget the finished run's curves and readout (the run itself stays saved)."""
        if self.running:
            return
        self.session = None
        self.record = None
        self.history = []
        self.plot.clear()
        self.live_panel.clear()
        self.engine_state.setText("idle")
        self._update_title()
        self._update_actions()

    def _learning_rate_changed(self, rate: float) -> None:
        if self.running:
            self.session.control.set_learning_rate(rate)
            self.statusBar().showMessage(f"Learning rate {rate:.3g} from the next step on")
        self._update_title()

    # -- worker signals ----------------------------------------------------------------------------------------------

    def _steps_arrived(self, records: list) -> None:
        self.history.extend(records)
        self.plot.add_steps(records)

    def _show_latest_step(self) -> None:
        """Refresh the readout with the plot (at most ~30 times a second, not once per step)."""
        if self.history:
            latest = self.history[-1]
            self.live_panel.show_step(latest, self.session.settings.steps if self.session else latest.step)

    def _engine_status(self, text: str) -> None:
        if text.startswith("compiling") and self.session and self.session.settings.backend == "theano":
            text = THEANO_COMPILE_HINT
        self.engine_state.setText(text)
        self.live_panel.set_state(text)

    def _run_ended(self, record) -> None:
        self.record = record
        summary = record.message or f"run {record.status} after {len(record.history)} steps"
        if record.status == "diverged" and record.history:
            self._engine_status(f"diverged at step {record.history[-1].step}")
        else:
            self._engine_status(record.status)
        self.statusBar().showMessage(summary)
        self._update_title()
        self._update_actions()

    def _run_failed(self, record) -> None:
        self._run_ended(record)
        QMessageBox.critical(self, "Training failed", record.message or "The run failed.")

    # -- export ------------------------------------------------------------------------------------------------------

    def current_record(self):
        """A snapshot of the current or last run with the steps shown so far, or None before any run."""
        record = self.record or (self.session.worker.record if self.session else None)
        if record is None:
            return None
        return dataclasses.replace(record, history=list(self.history), lr_changes=list(record.lr_changes))

    def export_to(self, path) -> Path | None:
        """Write the current run to ``path`` (format by extension); a message box instead of an exception."""
        record = self.current_record()
        if record is None or not record.history:
            QMessageBox.information(self, "Nothing to export", "Start a run first: there is no loss history yet.")
            return None
        try:
            written = export.export([record], path)
        except (OSError, ValueError) as exc:
            QMessageBox.critical(self, "Export failed", str(exc))
            return None
        self.statusBar().showMessage(f"Saved {written}")
        return written

    def export_dialog(self, filters: str) -> Path | None:
        record = self.current_record()
        if record is None or not record.history:
            QMessageBox.information(self, "Nothing to export", "Start a run first: there is no loss history yet.")
            return None
        first_extension = filters.split("*")[1].split(")")[0]
        suggested = str(self.export_dir / f"kgui-{record.id}{first_extension}")
        path, chosen_filter = QFileDialog.getSaveFileName(self, "Export", suggested, filters)
        if not path:
            return None
        if not Path(path).suffix:
            path += chosen_filter.split("*")[1].split(")")[0]
        self.export_dir = Path(path).parent
        return self.export_to(path)

    def about(self) -> None:
        QMessageBox.about(self, "About kgui", "<b>kgui</b><br>Train models through a Keras-2 backend layer on "
                          "TensorFlow and Theano (PyTensor), and watch the loss live.")

    # -- closing -----------------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop a running worker and wait for its thread, so the run is saved as stopped."""
        if self.session is not None:
            if self.running:
                self.statusBar().showMessage("Stopping the run…")
                self.hide()
            self.session.shut_down()
        self.plot.timer.stop()
        event.accept()
