"""explore(): an experiment trained from a notebook cell, with the window's own loss plot, decision boundary and Fit
view (the fitted line, predicted against actual, or accuracy and the confusion matrix) in the cell's output, Start / Pause / Stop, and a learning-rate log slider that changes the rate mid-run.

The job runs in a worker process (kgui.core.workers: the engine is never imported by the kernel), driven by a
thread of the kernel, so the kernel stays free: the job's events are queued, and the kernel's event loop applies
them to the Session and the views at most ``DRAW_INTERVAL_S`` apart, then asks jupyter_rfb for frames (sent as fast
as the browser takes them). The worker writes the run to the window's store (or ``store``), where ``kgui.runs()``
finds it; the kernel's workers are reused by the next run and stopped when the kernel exits.
"""
from __future__ import annotations

import atexit
import html
import queue
import threading
from time import perf_counter

import ipywidgets as widgets
from IPython.display import display

from kgui.core.exports.run_tables import store_of
from kgui.core.runs import RunRecord
from kgui.core.runs.names import default_name
from kgui.core.session import (ConfusionComputed, JobEnded, JobKind, Phase, PredictionsComputed, RunEnded,
                               RunStarted, Session, StepsTaken, SurfaceComputed)
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.training_control import checked_rate
from kgui.core.workers.pool import WorkerPool
from kgui.ui.fit_view import FitView
from kgui.ui.loss_plot import LossPlot
from kgui.ui.names import plot_placement, run_title
from kgui.ui.surface_view import SurfaceView
from kgui.ui.worker import job_options

from .experiment_keywords import settings_from_keywords
from .qt import QtFrame, WidgetFrame, running_loop, qt_application

DRAW_INTERVAL_S = 0.1      # the views take the queued events at most ~10 times a second
RATE_DECADES = (-5, 1)     # the slider spans 1e-5 … 10, as the window's
PLOT_SIZE = (640, 360)
SURFACE_SIZE = 360
FIT_SIZE = (360, 420)

_pool: WorkerPool | None = None


def worker_pool() -> WorkerPool:
    """The kernel's worker processes, started on first use and stopped when the kernel exits."""
    global _pool
    if _pool is None:
        _pool = WorkerPool()
        atexit.register(shutdown_workers)
    return _pool


def shutdown_workers() -> None:
    """Stop the kernel's worker processes (a run still training ends as stopped)."""
    global _pool
    if _pool is not None:
        _pool.shutdown()
        _pool = None


def explore(settings: ExperimentSettings | None = None, *, store=None, start: bool = True,
            **keywords) -> "Explorer":
    """Show an :class:`Explorer` of ``settings``, or of the command line's flags as keywords
    (``explore(dataset="spiral", hidden="8,8", lr=0.03)``), and start training unless ``start`` is False."""
    if settings is not None and keywords:
        raise ValueError("give either an ExperimentSettings or the command line's keywords, not both")
    if settings is None:
        settings = settings_from_keywords(keywords)
    if not isinstance(settings, ExperimentSettings):
        raise TypeError(f"explore takes an ExperimentSettings or the command line's keywords (dataset=...), "
                        f"got {type(settings).__name__}")
    settings.validate()
    explorer = Explorer(settings, store)
    explorer.show()
    if start:
        explorer.start()
    return explorer


class Explorer:
    """One experiment's live views and controls; each Start trains a new run of it (at the slider's rate)."""

    def __init__(self, settings: ExperimentSettings, store=None):
        qt_application()
        self.settings = settings
        self.session = Session(store_of(store), settings, pool=worker_pool())
        self.loss_plot = LossPlot(redraws_itself=False)   # redrawn when events arrive: a kernel runs no Qt event loop
        self.surface_view = SurfaceView()
        self.loss_frame = QtFrame(self.loss_plot, self.loss_plot.widget, *PLOT_SIZE)
        self.surface_frame = QtFrame(self.surface_view, self.surface_view.plot, SURFACE_SIZE, SURFACE_SIZE)
        self.fit_view = FitView()
        self.fit_frame = WidgetFrame(self.fit_view, *FIT_SIZE)
        self.job = None
        self.run_id: str | None = None       # the run of the last Start, once it trains
        self._thread: threading.Thread | None = None
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._wake_pending = False
        self._last_drain = 0.0
        self._loop = running_loop()      # the kernel's; None in a script (refresh() or wait() apply the events)
        self._displayed = False
        self.learning_rate = settings.learning_rate   # the next step's (the slider shows it to its resolution)

        self.start_button = widgets.Button(description="Start", icon="play", tooltip="Train a new run")
        self.pause_button = widgets.Button(description="Pause", icon="pause", disabled=True)
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        low, high = RATE_DECADES
        self.rate_slider = widgets.FloatLogSlider(
            value=settings.learning_rate, base=10, min=low, max=high, step=0.1, description="learning rate",
            readout_format=".3g", continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"))
        self.status = widgets.HTML(f"{html.escape(default_name(settings))}: press Start")
        self.surface_caption = widgets.HTML()
        self.surface_box = widgets.VBox([self.surface_caption, self.surface_frame],
                                        layout=widgets.Layout(display="none"))
        self.start_button.on_click(lambda _: self.start())
        self.pause_button.on_click(lambda _: self.toggle_pause())
        self.stop_button.on_click(lambda _: self.stop())
        self.rate_slider.observe(lambda change: self.set_learning_rate(change["new"]), names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.start_button, self.pause_button, self.stop_button, self.rate_slider]),
            self.status,
            widgets.HBox([self.loss_frame, self.surface_box, self.fit_frame],
                         layout=widgets.Layout(flex_flow="row wrap"))])

    # -- showing ------------------------------------------------------------------------------------------------------

    def show(self) -> None:
        display(self.widget)
        self._displayed = True

    def _ipython_display_(self) -> None:
        """``explore(...)`` as a cell's last expression: shown once (explore showed it already)."""
        if not self._displayed:
            self.show()

    def __repr__(self) -> str:
        return f"<kgui Explorer: {default_name(self.settings)}>"

    # -- controls -----------------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Train a new run of the experiment at the slider's rate (nothing while one trains)."""
        if self.running:
            return
        self.refresh()     # the last job's end, before the session takes a new job
        settings = self.settings.replace(learning_rate=self.learning_rate)
        self.job = self.session.new_job(JobKind.TRAINING, settings, sink=self._receive, **job_options())
        self._thread = threading.Thread(target=self.job.run, name="kgui-explore", daemon=True)
        self._thread.start()
        self.start_button.disabled = True
        self.pause_button.disabled = self.stop_button.disabled = False
        self.pause_button.description, self.pause_button.icon = "Pause", "pause"

    def toggle_pause(self) -> None:
        if not self.running:
            return
        control = self.job.control
        if control.paused:
            control.resume()
        else:
            control.pause()
        self.pause_button.description, self.pause_button.icon = (("Pause", "pause") if not control.paused
                                                                 else ("Resume", "play"))

    def stop(self) -> None:
        """Stop the run (it is saved as stopped)."""
        if self.running:
            self.job.control.stop()

    def set_learning_rate(self, rate: float) -> None:
        """The rate of the next step (the slider follows), or of the next Start; ValueError unless a positive
        float32."""
        rate = checked_rate(rate)
        self.learning_rate = rate
        if self.rate_slider.value != rate:
            self.rate_slider.value = rate          # calls this again through the slider's observer
        if self.running:
            self.job.control.set_learning_rate(rate)

    def wait(self, timeout: float | None = None) -> RunRecord | None:
        """Block until the run has ended (``timeout`` seconds at most) and show its end; its final record, or None
        while it still trains."""
        if self._thread is not None:
            self._thread.join(timeout)
        self.refresh()
        return None if self.running or self.job is None else self.job.result

    # -- events (the job's thread queues them; the kernel's loop applies them) ----------------------------------------

    def _receive(self, event) -> None:
        self._events.put(event)
        with self._lock:
            if self._wake_pending:
                return
            self._wake_pending = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        delay = max(0.0, self._last_drain + DRAW_INTERVAL_S - perf_counter())
        self._loop.call_later(delay, self.refresh)

    def refresh(self) -> None:
        """Apply the job's events so far to the session and the views (the kernel's event loop calls it; a script
        without a running loop calls it, or :meth:`wait`)."""
        with self._lock:
            self._wake_pending = False
        self._last_drain = perf_counter()
        events = 0
        surface_changed = False
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            events += 1
            self.session.handle(event)
            surface_changed |= self._show_event(event)
        self.loss_plot.redraw()
        self.loss_frame.redraw()
        if events:
            self.fit_view.refresh()
            self.fit_frame.lay_out()
            self.fit_frame.redraw()
        if surface_changed:
            self.surface_frame.redraw()

    def _show_event(self, event) -> bool:
        """Show ``event`` in the views and the status line; True when the decision boundary changed."""
        match event:
            case Phase(text=text):
                self.status.value = html.escape(text)
            case RunStarted(run=record, dataset=dataset):
                self.run_id = record.id
                self.loss_plot.add_run(record.id, run_title(record), planned_steps=record.settings.steps,
                                       **plot_placement(record))
                self.surface_view.show_dataset(record.id, dataset)
                self.surface_box.layout.display = "flex" if self.surface_view.applies_to(dataset) else "none"
                self.surface_caption.value = html.escape(self.surface_view.caption.text())
                self.fit_view.show_run(record.id, record.settings, dataset)
                return True
            case StepsTaken(run_id=run_id, steps=steps, rate_changes=rate_changes):
                self.loss_plot.add_steps(run_id, steps, rate_changes)
                self.fit_view.add_steps(run_id, steps)
                self.status.value = _step_text(self.session.runs[run_id], steps[-1])
            case SurfaceComputed(run_id=run_id, surface=surface):
                self.surface_view.show_surface(run_id, surface)
                return True
            case ConfusionComputed(run_id=run_id, step=step, matrix=matrix):
                self.fit_view.show_confusion(run_id, step, matrix)
            case PredictionsComputed(run_id=run_id, step=step, predictions=predictions):
                self.fit_view.show_predictions(run_id, step, predictions)
            case RunEnded(run=record):
                if record.id in self.loss_plot.runs:
                    self.loss_plot.end_run(record.id)
                self.fit_view.refresh(force=True)
                steps = f" after {len(record.history)} steps" if record.history else ""
                self.status.value = html.escape(f"{record.name}: {record.status}{steps}"
                                                + (f" ({record.message})" if record.message else ""))
            case JobEnded(error=error):
                if error:
                    self.status.value = f"<span style='color:#b00'>{html.escape(error)}</span>"
                self.start_button.disabled = False
                self.pause_button.disabled = self.stop_button.disabled = True
        return False


def _step_text(record: RunRecord, step) -> str:
    losses = f"loss {step.train_loss:.4g}" + (f", validation {step.val_loss:.4g}" if step.val_loss is not None else "")
    return html.escape(f"{record.name}: step {step.step} / {record.settings.steps} · {losses} · "
                       f"lr {step.learning_rate:.3g}")
