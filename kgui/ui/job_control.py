"""Job control of the main window: starts the session's jobs (a run, a backend comparison, a range test) in the
session's worker processes (each driven from a thread of its own here), steers them (pause, single step, stop,
learning rate), keeps the form and the range test's buttons enabled to match, shows each job's outcome, and has a
worker prepare the form's experiment ahead while no job runs. A finished job's thread is deleted."""
from __future__ import annotations

from typing import Callable

from PyQt6.QtCore import QCoreApplication, QEvent, QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QWidget

from kgui.core.training.lr_finder import DEFAULT_SUGGESTION, Suggestion
from kgui.core.training.engines import installed_ids
from kgui.core.session import JobEnded, JobKind, RunStarted, Session
from kgui.core.workers import RemoteJob, WorkerPool

from .dialogs import Dialogs
from .experiment_form import ExperimentForm
from .fit_view import RANGE_TEST_HINT, FitView
from .learning_rate import MAX_RATE, MIN_RATE, rounded
from .load_progress import JobStatus
from .loss_plot import LossPlot
from .lr_range_view import LrRangeView
from .names import dataset_title, engine_label
from .parity_view import ParityView, verdict_line
from .worker import JobThread, job_options

PREPARE_AFTER_SHOWN_MS = 300   # the experiment is prepared this long after the window is first shown ...
PREPARE_AFTER_EDIT_MS = 500    # ... and this long after the controls last changed
SHUTDOWN_S = 2.0               # quitting stops every worker within this time
STARTING = "starting…"         # the job's state from Start until its worker reports


class JobControl(QObject):
    """At most one job of ``session`` at a time, run in ``pool``'s workers (shut down with the window when it
    ``owns_pool``), on the settings of ``form``. It drives the views a job starts and ends in (``status``,
    ``lr_range_view``, ``fit_view``, ``parity_view``) and asks for the one to look at through ``show_requested``;
    ``visible()``: the window is shown (the experiment is prepared ahead only then).

    ``job_started`` (its ExperimentSettings) when a job starts, before its state says "starting…"; ``changed`` when
    a job starts, pauses, resumes, or its thread has ended."""

    changed = pyqtSignal()
    job_started = pyqtSignal(object)
    show_requested = pyqtSignal(QWidget)   # a view to bring to the front: its tab, or its dock

    def __init__(self, session: Session, pool: WorkerPool, owns_pool: bool, *, form: ExperimentForm,
                 dialogs: Dialogs, status: JobStatus, plot: LossPlot,
                 lr_range_view: LrRangeView, fit_view: FitView, parity_view: ParityView,
                 visible: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.pool = pool                      # the session's worker processes
        self._owns_pool = owns_pool           # shut down with the window (else its owner's)
        self.form, self.dialogs, self.status = form, dialogs, status
        self.plot, self.lr_range_view, self.fit_view, self.parity_view = plot, lr_range_view, fit_view, parity_view
        self._visible = visible
        self.job: RemoteJob | None = None     # the current job, or the last one
        self._thread: JobThread | None = None
        self._prepare_timer = QTimer(self, singleShot=True, timeout=self.prepare_ahead)
        self.changed.connect(self.show_state)
        session.on(JobEnded, self._job_ended)
        session.on(RunStarted, self._run_started)
        self.show_state()

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
        if self.running:
            return False
        try:
            self.job = self.session.new_job(kind, self.form.settings(), paused=paused, **job_options())
        except ValueError as exc:
            self.dialogs.warning("Cannot start", str(exc))
            return False
        self.form.settle(self.job.settings)
        self.plot.unfocus()
        self._thread = JobThread(self.job)
        self._thread.event.connect(self._handle)
        self._thread.ended.connect(self._thread_ended)
        self._thread.start()
        self.job_started.emit(self.job.settings)
        self.status.show_phase(STARTING, None, None)   # until the worker's first phase (a new one: ~1 s)
        if kind is JobKind.RANGE_TEST:
            self.lr_range_view.clear()
            self.fit_view.clear(RANGE_TEST_HINT)
            self.show_requested.emit(self.lr_range_view)
            self.dialogs.status(f"Learning-rate range test on {self.form.backend_picker.title}…")
        else:
            self.show_requested.emit(self.plot)
        if kind is JobKind.TRAINING:
            self.show_requested.emit(self.fit_view)
        if kind is JobKind.PARITY:
            self.parity_view.show_running(installed_ids())
            self.show_requested.emit(self.parity_view)
            self.dialogs.status("Comparing backends…")
        elif kind is JobKind.TRAINING:
            self.dialogs.status(f"Run started: {dataset_title(self.job.settings.dataset)} on "
                                f"{engine_label(self.job.settings.backend)}")
        self.changed.emit()
        return True

    def _handle(self, event) -> None:
        """Apply a job's event, and lay out the views it changed at once (not when the layout requests come round:
        a new row in the fit view resizes its plot, the readout's rows appear ...)."""
        self.session.handle(event)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def _run_started(self, event: RunStarted) -> None:
        """A comparison's runs are what the loss plot's view fits (earlier, longer runs of the dataset would squeeze
        them into a corner)."""
        if self.job is not None and self.job.kind is JobKind.PARITY:
            self.plot.focus_on(event.run.id)

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
        self.dialogs.status("Paused: Space resumes, Step runs one step" if pause else "Resumed")
        self.status.show("paused" if pause else "training")
        self.changed.emit()

    def step_once(self) -> None:
        """One step of the paused run, or a new paused run's first step."""
        if (self.running or self.start(JobKind.TRAINING, paused=True)) and self.paused:
            self.job.control.request_step()

    def stop(self) -> None:
        if self.running:
            self.job.control.stop()
            self.dialogs.status("Stopping…")

    def set_learning_rate(self, rate: float) -> None:
        """The slider moved: a training run uses ``rate`` from the next step on."""
        if self.training:
            self.job.control.set_learning_rate(rate)
            self.dialogs.status(f"Learning rate {rate:.3g} from the next step on")

    def use_suggested_rate(self, rule: Suggestion = DEFAULT_SUGGESTION) -> None:
        """Set the learning rate to the range test's ``rule`` suggestion (as if the slider moved there); not when a
        classroom locked the rate."""
        suggestion = self.lr_range_view.rate_of(rule)
        if suggestion is None or "learning_rate" in self.form.classroom.lock:
            return
        rate = min(max(rounded(suggestion), MIN_RATE), MAX_RATE)
        self.form.lr_control.set_rate(rate)
        self.form.changed.emit()
        self.set_learning_rate(rate)
        self.dialogs.status(f"Learning rate set to the {rule} suggestion {rate:g}")

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
        if self._visible():
            self._prepare_timer.start(delay_ms)

    def prepare_ahead(self) -> None:
        """Have an idle worker load the dataset, import the engine and compile the model of the form's experiment,
        so that Start only has to train: right after the window is shown, and after the controls have settled."""
        if self.running or not self._visible():
            return
        try:
            settings = self.form.settings()
        except ValueError:
            return
        self.session.prepare_ahead(settings)

    # -- what the views show -----------------------------------------------------------------------------------------

    def show_state(self) -> None:
        """The form is editable, and the range test's Start enabled (unless a classroom locks it), while no job
        runs."""
        self.form.set_editable(not self.running)
        self.lr_range_view.set_running(self.running and not self.training)
        self.lr_range_view.start_button.setEnabled(not self.running and "range_test" not in self.form.classroom.lock)

    def _job_ended(self, event: JobEnded) -> None:
        self.show_outcome(event)
        self.schedule_prepare()

    def show_outcome(self, event: JobEnded) -> None:
        """A job ended: its error, a failed run, the parity verdict or the range test's suggestion."""
        result = event.result
        if event.error:
            self.dialogs.error("Failed", event.error)
        elif event.job_kind is JobKind.TRAINING and result.status == "failed":
            self.dialogs.error("Training failed", result.message or "The run failed.")
        elif event.job_kind is JobKind.PARITY:
            self.parity_view.show_result(result)
            self.show_requested.emit(self.parity_view)
            self.dialogs.status(f"Backend parity: {verdict_line(result)}")
        elif event.job_kind is JobKind.RANGE_TEST:
            self.lr_range_view.show_result(result)
            self.dialogs.status(f"Range test: {result.summary()}")
