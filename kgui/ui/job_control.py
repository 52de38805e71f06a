"""Job control of the main window: starts the session's jobs (a run, a backend comparison, a range test) in the
session's worker processes (each driven from a thread of its own here), steers them (pause, single step, stop,
learning rate), keeps the run actions enabled to match, shows each job's outcome, and has a worker prepare the
form's experiment ahead while no job runs. A finished job's thread is deleted."""
from __future__ import annotations

from PyQt6.QtCore import QCoreApplication, QEvent, QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QStyle

from kgui.core.lr_finder import DEFAULT_SUGGESTION, RangeTestStatus, Suggestion
from kgui.core.engines import installed_ids
from kgui.core.session import JobEnded, JobKind
from kgui.core.workers import RemoteJob, WorkerPool

from .fit_view import RANGE_TEST_HINT
from .learning_rate import MAX_RATE, MIN_RATE, rounded
from .names import dataset_title, engine_label
from .parity_view import verdict_line
from .worker import JobThread, job_options

PREPARE_AFTER_SHOWN_MS = 300   # the experiment is prepared this long after the window is first shown ...
PREPARE_AFTER_EDIT_MS = 500    # ... and this long after the controls last changed
SHUTDOWN_S = 2.0               # quitting stops every worker within this time
STARTING = "starting…"         # the job's state from Start until its worker reports


class JobControl(QObject):
    """At most one job at a time; ``changed`` when a job starts, pauses, resumes, or its thread has ended."""

    changed = pyqtSignal()

    def __init__(self, window, pool: WorkerPool, owns_pool: bool):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.pool = pool                      # the session's worker processes
        self._owns_pool = owns_pool           # shut down with the window (else its owner's)
        self.job: RemoteJob | None = None     # the current job, or the last one
        self._thread: JobThread | None = None
        self._prepare_timer = QTimer(self, singleShot=True, timeout=self.prepare_ahead)
        self.changed.connect(self.update_actions)

    @property
    def running(self) -> bool:
        """A job's thread is running (the job may have just ended)."""
        return self._thread is not None

    @property
    def training(self) -> bool:
        """A job that trains runs (a run or a comparison, not a range test) is running."""
        return self.running and self.job.kind is not JobKind.RANGE_TEST

    @property
    def paused(self) -> bool:
        return self.running and self.job.control.paused

    # -- starting ----------------------------------------------------------------------------------------------------

    def start(self, kind: JobKind, paused: bool = False) -> bool:
        """Start a ``kind`` job on the form's settings; False (after a message) when they are invalid."""
        window = self.window
        if self.running:
            return False
        try:
            self.job = self.session.new_job(kind, window.settings(), paused=paused, **job_options())
        except ValueError as exc:
            window.dialogs.warning("Cannot start", str(exc))
            return False
        window.form.settle(self.job.settings)
        self._thread = JobThread(self.job)
        self._thread.event.connect(self._handle)
        self._thread.ended.connect(self._thread_ended)
        self._thread.start()
        window.live_panel.clear()
        window.live_panel.set_engine(engine_label(self.job.settings.backend))
        window.job_status.show_phase(STARTING, None, None)   # until the worker's first phase (a new one: ~1 s)
        if kind is JobKind.RANGE_TEST:
            window.lr_range_view.clear()
            window.fit_view.clear(RANGE_TEST_HINT)
            window.tabs.setCurrentWidget(window.lr_range_view)
            window.dialogs.status(f"Learning-rate range test on {window.form.backend_picker.title}…")
        else:
            window.tabs.setCurrentWidget(window.plot)
        if kind is JobKind.TRAINING:
            window.fit_dock.raise_()
        if kind is JobKind.PARITY:
            window.parity_result = None
            window.parity_view.show_running(installed_ids())
            window.parity_dock.raise_()
            window.dialogs.status("Comparing backends…")
        elif kind is JobKind.TRAINING:
            window.dialogs.status(f"Run started: {dataset_title(self.job.settings.dataset)} on "
                                  f"{engine_label(self.job.settings.backend)}")
        self.changed.emit()
        return True

    def _handle(self, event) -> None:
        """Apply a job's event, and lay out the views it changed at once (not when the layout requests come round:
        a new row in the fit view resizes its plot, the readout's rows appear ...)."""
        self.session.handle(event)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def _thread_ended(self) -> None:
        self._thread.deleteLater()
        self._thread = None
        self.changed.emit()

    # -- steering ----------------------------------------------------------------------------------------------------

    def set_paused(self, pause: bool) -> None:
        if not self.training:
            return
        if pause:
            self.job.control.pause()
        else:
            self.job.control.resume()
        self.window.dialogs.status("Paused: Space resumes, Step runs one step" if pause else "Resumed")
        self.window.job_status.show("paused" if pause else "training")
        self.changed.emit()

    def step_once(self) -> None:
        """One step of the paused run, or a new paused run's first step."""
        if (self.running or self.start(JobKind.TRAINING, paused=True)) and self.paused:
            self.job.control.request_step()

    def stop(self) -> None:
        if self.running:
            self.job.control.stop()
            self.window.dialogs.status("Stopping…")

    def set_learning_rate(self, rate: float) -> None:
        """The slider moved: a training run uses ``rate`` from the next step on."""
        if self.training:
            self.job.control.set_learning_rate(rate)
            self.window.dialogs.status(f"Learning rate {rate:.3g} from the next step on")

    def use_suggested_rate(self, rule: Suggestion = DEFAULT_SUGGESTION) -> None:
        """Set the learning rate to the range test's ``rule`` suggestion (as if the slider moved there); not when a
        classroom locked the rate."""
        suggestion = self.window.lr_range_view.rate_of(rule)
        if suggestion is None or "learning_rate" in self.window.classroom.lock:
            return
        rate = min(max(rounded(suggestion), MIN_RATE), MAX_RATE)
        self.window.form.lr_control.set_rate(rate)
        self.window.form.changed.emit()
        self.set_learning_rate(rate)
        self.window.dialogs.status(f"Learning rate set to the {rule} suggestion {rate:g}")

    def shut_down(self) -> None:
        """No more preparing ahead; stop the job (its run is saved as stopped by its worker) and, when the window
        owns the pool, every worker (within ``SHUTDOWN_S``: those still busy then are killed); wait for the job's
        thread."""
        self._prepare_timer.stop()
        if self._owns_pool:
            self.pool.shutdown(timeout_s=SHUTDOWN_S)
        if self._thread is not None:
            self._thread.shut_down()

    # -- preparing ahead (in a worker: WorkerPool.prepare) --------------------------------------------------------------

    def schedule_prepare(self, delay_ms: int = PREPARE_AFTER_EDIT_MS) -> None:
        if self.window.isVisible():
            self._prepare_timer.start(delay_ms)

    def prepare_ahead(self) -> None:
        """Have an idle worker load the dataset, import the engine and compile the model of the form's experiment,
        so that Start only has to train: right after the window is shown, and after the controls have settled."""
        if self.running or not self.window.isVisible():
            return
        try:
            settings = self.window.settings()
        except ValueError:
            return
        self.session.prepare_ahead(settings)

    # -- what the window shows ---------------------------------------------------------------------------------------

    def update_actions(self) -> None:
        window, running, training, paused = self.window, self.running, self.training, self.paused
        for action in (window.start_action, window.compare_action, window.range_test_action,
                       window.open_csv_action, window.open_experiment_action):
            action.setEnabled(not running)
        window.pause_action.setEnabled(training)
        window.pause_action.blockSignals(True)
        window.pause_action.setChecked(paused)
        window.pause_action.blockSignals(False)
        window.pause_action.setText("Resume" if paused else "Pause")
        window.pause_action.setIcon(window.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause))
        window.step_action.setEnabled(not running or (training and paused))
        window.stop_action.setEnabled(running)
        window.form.set_editable(not running)
        window.runs_table.set_busy(self.session.live_run_id, running, paused=paused)
        window.lr_range_view.set_running(running and not training)
        window.lr_range_view.start_button.setEnabled(not running and "range_test" not in window.classroom.lock)
        for action in window.locked_actions():
            action.setEnabled(False)

    def show_outcome(self, event: JobEnded) -> None:
        """A job ended: its error, a failed run, the parity verdict or the range test's suggestion."""
        window, result = self.window, event.result
        if event.error:
            window.job_status.show("failed")
            window.dialogs.error("Failed", event.error)
        elif event.job_kind is JobKind.TRAINING and result.status == "failed":
            window.dialogs.error("Training failed", result.message or "The run failed.")
        elif event.job_kind is JobKind.PARITY:
            window.parity_result = result
            window.parity_view.show_result(result)
            window.parity_dock.raise_()
            window.dialogs.status(f"Backend parity: {verdict_line(result)}")
        elif event.job_kind is JobKind.RANGE_TEST:
            window.lr_range_view.show_result(result)
            window.job_status.show("range test cancelled" if result.status is RangeTestStatus.STOPPED else "range test done")
            window.dialogs.status(f"Range test: {result.summary()}")
