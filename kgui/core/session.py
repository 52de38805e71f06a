"""The application's run state, without Qt: one :class:`Session` owns the run store, the runs, the live run,
the runs that are shown and the current experiment, and reports what happens as typed events.

A :class:`Job` (a training run, a backend comparison or a learning-rate range test) runs on whatever thread
its driver picks and sends events to a *sink*. The command line runs a job on its main thread with
:meth:`Session.handle` as the sink; the window runs it on a QThread whose sink re-emits each event as a Qt
signal, and hands it to :meth:`Session.handle` on the GUI thread. Either way the session's state changes on
one thread only, and then every listener (:meth:`Session.subscribe`) sees the event.

One writer per run file: while a run trains, only its trainer writes it. Renaming a live run goes through
the training side (:meth:`TrainingControl.request_rename`); the session writes a run only when no trainer does.
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from time import perf_counter
from typing import Callable, ClassVar

from . import export as run_export
from . import layer_stats, lr_finder, metrics, surface
from .datasets import LoadProgress
from .files import one_line
from .parity import ParityResult, compare_backends
from .runs import RunNotFoundError, RunRecord, RunStatus, RunStore, StepRecord, SweepTag
from .settings import ExperimentSettings
from .schedules import base_rate_changes
from .trainer import FINAL_STATUSES, Stage, Trainer, stage_text, TrainingControl, reusable_model, same_preparation


class EventKind(StrEnum):
    """What an event reports."""

    STARTED = "started"        # a run began training (its engine is loaded, its model compiled)
    PHASE = "phase"            # a job is preparing: loading the dataset, importing the engine, compiling
    STEPS = "steps"            # a run took steps
    ENDED = "ended"            # a run reached its final status
    CONFUSION = "confusion"    # a classification run's validation confusion matrix
    PREDICTIONS = "predictions"   # a multi-feature regression run's predictions against the targets
    SURFACE = "surface"        # a 2-feature run's predictions over the plane (decision boundary or surface)
    LAYER_STATS = "layer stats"   # a run's per-layer statistics, weights and gradients
    POINTS = "points"          # the range test measured points
    JOB_ENDED = "job ended"    # a job is over (its result, or the error that stopped it)
    CHANGED = "changed"        # a run was renamed, shown or hidden
    REMOVED = "removed"        # a run was deleted


class JobKind(StrEnum):
    TRAINING = "training"
    PARITY = "parity"
    RANGE_TEST = "range test"


@dataclass(frozen=True)
class Phase:
    kind: ClassVar[EventKind] = EventKind.PHASE
    stage: Stage               # loading the dataset, importing the engine, compiling, restarting the model
    backend: str               # the engine the job is preparing
    run: RunRecord | None = None   # the run being prepared (pending, no steps), for a training job
    since: float = 0.0         # perf_counter() when the job began preparing, for an elapsed-time counter
    progress: LoadProgress | None = None   # rows and share of the file read so far, while a dataset file loads

    @property
    def text(self) -> str:
        """For people: "loading dataset… 1,234 rows, 45%", "importing TensorFlow…", "compiling…"."""
        return stage_text(self.stage, self.backend, self.progress)


@dataclass(frozen=True)
class RunStarted:
    kind: ClassVar[EventKind] = EventKind.STARTED
    run: RunRecord             # a copy without history; engine and version known
    dataset: object            # the run's Dataset


@dataclass(frozen=True)
class StepsTaken:
    kind: ClassVar[EventKind] = EventKind.STEPS
    run_id: str
    steps: list[StepRecord]


@dataclass(frozen=True)
class RunEnded:
    kind: ClassVar[EventKind] = EventKind.ENDED
    run: RunRecord             # the final record, with its whole history


@dataclass(frozen=True)
class ConfusionComputed:
    kind: ClassVar[EventKind] = EventKind.CONFUSION
    run_id: str
    step: int
    matrix: metrics.ConfusionMatrix


@dataclass(frozen=True)
class PredictionsComputed:
    kind: ClassVar[EventKind] = EventKind.PREDICTIONS
    run_id: str
    step: int
    predictions: metrics.Predictions


@dataclass(frozen=True)
class SurfaceComputed:
    kind: ClassVar[EventKind] = EventKind.SURFACE
    run_id: str
    step: int
    surface: surface.Surface


@dataclass(frozen=True)
class LayerStatsComputed:
    kind: ClassVar[EventKind] = EventKind.LAYER_STATS
    run_id: str
    stats: layer_stats.LayerStats


@dataclass(frozen=True)
class RangePoints:
    kind: ClassVar[EventKind] = EventKind.POINTS
    points: list[lr_finder.RangeTestPoint]


@dataclass(frozen=True)
class JobEnded:
    kind: ClassVar[EventKind] = EventKind.JOB_ENDED
    job_kind: JobKind
    result: object             # RunRecord, ParityResult or RangeTestResult; None when the job raised
    error: str = ""            # one line for people when it raised


@dataclass(frozen=True)
class RunChanged:
    kind: ClassVar[EventKind] = EventKind.CHANGED
    run: RunRecord
    shown: bool


@dataclass(frozen=True)
class RunRemoved:
    kind: ClassVar[EventKind] = EventKind.REMOVED
    run_id: str


Event = (Phase | RunStarted | StepsTaken | RunEnded | ConfusionComputed | PredictionsComputed | SurfaceComputed
         | LayerStatsComputed
         | RangePoints | JobEnded | RunChanged | RunRemoved)


POLL_S = 0.05   # a job waiting for a preparation checks for Stop this often
CLOSE_WAIT_S = 1.0   # closing a session waits at most this long for a preparation that is loading its dataset


def _stopped_while(stages: list[Stage], engine: str) -> str:
    """The message of a run stopped while it was being prepared, naming the stage it was in."""
    stage = stages[-1] if stages else None
    if stage is Stage.LOADING_DATASET:
        return "stopped while loading the dataset"
    if stage in (Stage.IMPORTING_ENGINE, Stage.COMPILING):
        return "stopped while " + stage_text(stage, engine).rstrip("…")
    return "stopped while preparing"


class Preparation:
    """An experiment prepared ahead on a background thread: dataset loaded, engine imported, model compiled
    (:meth:`Trainer.prepare`, which writes nothing to the store). A training job on settings that differ at most in
    learning rate and steps takes its trainer instead of preparing again.

    ``reuse``: an ended run's trainer on the same experiment, whose dataset and compiled model are restarted instead (Trainer).
    """

    def __init__(self, settings: ExperimentSettings, store: RunStore | None, reuse: Trainer | None = None):
        self.settings = settings
        self.trainer = Trainer(settings, TrainingControl(), store, status=self._status, reuse=reuse)
        self.phases: list[Stage] = []            # the stages preparing has reported so far
        self.phase_progress: list[LoadProgress | None] = []   # each report's load progress (None: not reading)
        self.started = perf_counter()
        self.taken = False                       # a job has taken the trainer (it is prepared once, used once)
        self._done = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="kgui-prepare", daemon=True)
        self._thread.start()

    def _status(self, stage: Stage) -> None:
        with self._changed:
            self.phases.append(stage)
            self.phase_progress.append(self.trainer.load_progress)
            self._changed.notify_all()

    def _run(self) -> None:
        try:
            self.trainer.prepare()
        except Exception:  # noqa: BLE001 - kept in the trainer; the job that takes it fails with it
            pass
        with self._changed:
            self._done.set()
            self._changed.notify_all()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def ready(self) -> bool:
        """Prepared without error and not taken yet."""
        return self.done and self.trainer.model is not None and not self.taken

    def fits(self, settings: ExperimentSettings) -> bool:
        return not self.taken and same_preparation(self.settings, settings)

    def wait(self, control: TrainingControl, on_phase: Callable[[Stage, LoadProgress | None], None]) -> bool:
        """Wait until prepared, telling ``on_phase`` each stage and its load progress (those already passed too);
        False as soon as ``control`` is stopped (checked every ``POLL_S``). Nothing is told when it was prepared
        already."""
        told = len(self.phases) if self.done else 0
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self.done or len(self.phases) > told, POLL_S)
                phases, done = list(zip(self.phases[told:], self.phase_progress[told:])), self.done
            for phase, progress in phases:
                on_phase(phase, progress)
            told += len(phases)
            if done:
                return True
            if control.stopped:
                return False

    def join(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Stop preparing: a dataset load stops at its next block (removing a disk-cache entry it was writing); an
        engine import or compile cannot be stopped and runs to its end, writing nothing."""
        self.trainer.control.stop()

    @property
    def loading_dataset(self) -> bool:
        return not self.done and self.trainer.dataset is None


class Job:
    """One job of a session; :meth:`run` does it on the calling thread and sends its events to ``sink``.

    ``batch_s``: steps go out together at most this often (0: one event per step). ``confusion_s``: a
    classification run's confusion matrix goes out at most this often (None: never), and so does a 2-feature
    run's surface with ``surface_s``. ``layer_stats_s`` / ``layer_stats_every``: a training run's per-layer
    statistics go out at most this often / every that many steps (:class:`layer_stats.LayerStatsSampler`; both None:
    never) and are saved with the run.
    """

    def __init__(self, kind: JobKind, settings: ExperimentSettings, store: RunStore | None, *, sink,
                 control: TrainingControl | None = None, name: str | None = None, batch_s: float = 0.0,
                 confusion_s: float | None = None, surface_s: float | None = None,
                 layer_stats_s: float | None = None, layer_stats_every: int | None = None,
                 sweep: SweepTag | None = None, engines: tuple[str, ...] | None = None):
        self.kind = kind
        self.sweep = sweep         # a training run that is a sweep's trial: its tag, written with the run
        self.engines = engines     # a parity job's engines, in order (None: every installed one)
        self.settings = settings
        self.store = store
        self.sink = sink
        self.control = control or TrainingControl()
        self.control.before_sleeping = self._flush_all   # a pause between two batches still shows every step taken
        self.name = name
        self.batch_s, self.confusion_s, self.surface_s = batch_s, confusion_s, surface_s
        self.layer_stats = (layer_stats.LayerStatsSampler(layer_stats_s, layer_stats_every)
                            if kind is JobKind.TRAINING and (layer_stats_s, layer_stats_every) != (None, None) else None)
        self.result = None
        self.error = ""            # one line for people when the job raised
        self.done = False
        self.trainer: Trainer | None = None   # of the run being trained (its record is written on the job's thread)
        self.preparation: Preparation | None = None   # a training job's (set by Session.new_job)
        self.prepared_ahead = False   # the job found its experiment prepared, or being prepared, before it started
        self._pending: dict[str, list[StepRecord]] = {}
        self._last_batch = self._last_confusion = self._last_surface = 0.0

    def run(self):
        """Do the job; returns its result (errors become a JobEnded with ``error``, never an exception)."""
        try:
            if self.kind is JobKind.RANGE_TEST:
                self.result = self._range_test()
            elif self.kind is JobKind.PARITY:
                self.result = compare_backends(self.settings, self.engines, control=self.control, store=self.store,
                                               name=self.name, status=self._trainer_status,
                                               on_step=self._trainer_step)
            elif self.preparation is not None:
                self.result = self._train_prepared()
            else:
                trainer = Trainer(self.settings, self.control, self.store,
                                  status=lambda update: self._trainer_status(trainer, update))
                trainer.record.name = self.name or trainer.record.name
                if self.sweep is not None:
                    self.sweep.apply(trainer.record)
                self.result = trainer.run(lambda step: self._trainer_step(trainer, step))
        except Exception as exc:  # noqa: BLE001 - reported to the user as one line
            self.error = one_line(exc)
        self.done = True
        self.sink(JobEnded(self.kind, self.result, self.error))
        return self.result

    def _train_prepared(self) -> RunRecord:
        """Wait for the preparation (its phases go out with the pending run; Stop ends the wait at once), then
        train with its trainer."""
        record = RunRecord.new(self.settings, self.name)
        if self.sweep is not None:
            self.sweep.apply(record)
        since = perf_counter()
        if not self.preparation.wait(self.control, lambda stage, progress: self.sink(Phase(
                stage, self.settings.backend, dataclasses.replace(record, timings={}), since, progress))):
            record.status = RunStatus.STOPPED
            record.message = _stopped_while(self.preparation.phases, self.settings.backend)
            self.sink(RunEnded(record))
            return record
        trainer = self.preparation.trainer
        self.preparation.taken = True
        trainer.take_over(record, self.control, status=lambda update: self._trainer_status(trainer, update))
        return trainer.run(lambda step: self._trainer_step(trainer, step))

    @property
    def records(self) -> list[RunRecord]:
        """The runs this job trained (after :meth:`run`)."""
        if isinstance(self.result, RunRecord):
            return [self.result]
        if isinstance(self.result, ParityResult):
            return list(self.result.records)
        return []

    def _trainer_status(self, trainer: Trainer, update: Stage | RunStatus) -> None:
        self.trainer = trainer
        record = trainer.record
        if update is Stage.TRAINING:
            self._pending[record.id] = []
            self.sink(RunStarted(dataclasses.replace(record, history=[], lr_changes=list(record.lr_changes),
                                                     timings=dict(record.timings)), trainer.dataset))
            if self.layer_stats is not None:
                self.layer_stats.start(trainer)
                trainer.layer_history = self.layer_stats.history
        elif isinstance(update, RunStatus):   # the final status
            if record.id in self._pending:
                self._flush(record.id)
                del self._pending[record.id]
                if record.status != "failed":
                    self._send_confusion(trainer)
                    self._send_surface(trainer)
            self.sink(RunEnded(record))
        else:
            self.sink(Phase(update, trainer.settings.backend, progress=trainer.load_progress))

    def _trainer_step(self, trainer: Trainer, step: StepRecord) -> None:
        run_id = trainer.record.id
        self._pending[run_id].append(step)
        now = perf_counter()
        last = step.step >= trainer.settings.steps or trainer.record.status != "running"
        if last or self.control.paused or now - self._last_batch >= self.batch_s:
            self._flush(run_id)
            self._last_batch = now
        if self.confusion_s is not None and now - self._last_confusion >= self.confusion_s:
            self._send_confusion(trainer)
        if self.surface_s is not None and now - self._last_surface >= self.surface_s:
            self._send_surface(trainer)
        if self.layer_stats is not None:
            edits = trainer.record.weight_edits
            stats = self.layer_stats.after_step(trainer, force=bool(edits) and edits[-1].step == step.step)
            if stats is not None:
                self.sink(LayerStatsComputed(run_id, stats))

    def _flush_all(self) -> None:
        for run_id in self._pending:
            self._flush(run_id)

    def _flush(self, run_id: str) -> None:
        if self._pending[run_id]:
            steps, self._pending[run_id] = self._pending[run_id], []
            self.sink(StepsTaken(run_id, steps))

    def _send_confusion(self, trainer: Trainer) -> None:
        """What the model learned, on the same schedule: a classifier's confusion matrix, or a multi-feature
        regression's predictions against the targets."""
        dataset = trainer.dataset
        if self.confusion_s is None or dataset is None:
            return
        if dataset.scores_classes:
            self._last_confusion = perf_counter()
            self.sink(ConfusionComputed(trainer.record.id, trainer.steps_done, metrics.validation_confusion(trainer)))
        elif dataset.task == "regression" and dataset.n_features > 1:
            self._last_confusion = perf_counter()
            self.sink(PredictionsComputed(trainer.record.id, trainer.steps_done, metrics.predictions(trainer)))

    def _send_surface(self, trainer: Trainer) -> None:
        if self.surface_s is None or trainer.dataset is None or not surface.has_surface(trainer.dataset):
            return
        self._last_surface = perf_counter()
        self.sink(SurfaceComputed(trainer.record.id, trainer.steps_done, surface.trainer_surface(trainer)))

    def _range_test(self):
        pending: list = []
        last_emit = perf_counter()

        def on_point(point) -> None:
            nonlocal last_emit
            pending.append(point)
            if perf_counter() - last_emit >= self.batch_s:
                self.sink(RangePoints(pending[:]))
                pending.clear()
                last_emit = perf_counter()

        try:
            return lr_finder.find_learning_rate(self.settings, control=self.control,
                                                status=lambda stage, progress: self.sink(
                                                    Phase(stage, self.settings.backend, progress=progress)),
                                                on_point=on_point)
        finally:
            if pending:
                self.sink(RangePoints(pending[:]))


class Session:
    """The runs (saved and this session's), the live run, the runs shown, the current experiment, and the job.

    Call :meth:`handle` with every event of a job, on the thread that owns the session; listeners are called
    after the state has changed.
    """

    def __init__(self, store: RunStore | None = None, experiment: ExperimentSettings | None = None, pool=None):
        self.store = store if store is not None else RunStore()
        self.pool = pool   # a WorkerPool: jobs run in worker processes (kgui.core.workers), else on a thread here
        self.experiment = experiment or ExperimentSettings()
        self.runs: dict[str, RunRecord] = {}   # run id -> record, oldest first
        self.live_run_id: str | None = None    # the run being trained, or the last one that was
        self.last_ended: RunRecord | None = None
        self.job: Job | None = None
        self.preparation: Preparation | None = None   # the experiment prepared ahead (or being prepared)
        self._preparations: list[Preparation] = []     # every preparation started, until it is done
        self._ended_trainer: Trainer | None = None   # the last training run's, its model reusable by the next
        self._shown: set[str] = set()
        self._unread: set[str] = set()         # saved runs whose history has not been read yet
        self._layer_stats: dict[str, layer_stats.LayerStatsHistory | str] = {}   # per run: its history, or why none
        self._listeners: list[Callable[[Event], None]] = []

    # -- events ------------------------------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Event], None]) -> None:
        self._listeners.remove(listener)

    def _notify(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    def handle(self, event: Event) -> None:
        """Apply a job's ``event`` to the state, then tell the listeners (a live rate change: RunChanged too)."""
        rates_changed = False
        if isinstance(event, LayerStatsComputed):
            history = self._layer_stats.get(event.run_id)
            if not isinstance(history, layer_stats.LayerStatsHistory):
                history = self._layer_stats[event.run_id] = layer_stats.LayerStatsHistory()
            history.add(event.stats)
        elif isinstance(event, RunStarted):
            # only the live run's samples stay in memory (its weight snapshots: up to ~13 MB for Otto's MLP 64,32);
            # an earlier run's are read back from its layer_stats.npz when asked for
            self._layer_stats.clear()
            self.runs[event.run.id] = event.run
            self.live_run_id = event.run.id
            self._shown.add(event.run.id)
        elif isinstance(event, StepsTaken):
            record = self.runs[event.run_id]
            rates_changed = _note_rate_changes(record, event.steps)
            record.history.extend(event.steps)
        elif isinstance(event, RunEnded):
            self._run_ended(event.run)
        elif isinstance(event, JobEnded):
            left = self.job.preparation if self.job is not None else None
            if left is not None and not left.taken and self.preparation is None:
                self.preparation = left   # stopped while preparing: the next Start takes it
            self._keep_trainer(self.job)
            self.job = None
        self._notify(event)
        if rates_changed:
            self._notify(RunChanged(self.runs[event.run_id], self.is_shown(event.run_id)))

    def _run_ended(self, record: RunRecord) -> None:
        """Keep the final record; a rename the trainer did not take in time is written now (no writer is left)."""
        pending = self.job.control.take_rename(record.id) if self.job is not None else None
        if pending is not None:
            record.name = pending
            if self.store is not None and self.store.exists(record.id):
                self.store.rename(record.id, pending)
        self.runs[record.id] = record
        self.last_ended = record

    # -- jobs --------------------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.job is not None

    def new_job(self, kind: JobKind = JobKind.TRAINING, settings: ExperimentSettings | None = None, *,
                paused: bool = False, sink=None, pool=None, **options) -> Job:
        """A job on ``settings`` (default: the current experiment, validated), the session's job until it ends.

        Its events go to ``sink`` (default :meth:`handle`, for jobs run on this thread). With a ``pool`` (default:
        the session's), a :class:`kgui.core.workers.RemoteJob` that runs in one of its worker processes.
        ValueError when the settings are invalid, RuntimeError while another job runs.
        """
        if self.job is not None:
            raise RuntimeError(f"a {self.job.kind} job is running")
        settings = settings or self.experiment
        settings.validate()
        self.experiment = settings
        self.live_run_id = None
        pool = pool or self.pool
        if pool is not None:
            from .workers.remote_job import RemoteJob

            self.job = RemoteJob(kind, settings, self.store, pool, sink=sink or self.handle, paused=paused, **options)
            return self.job
        store = None if kind is JobKind.RANGE_TEST else self.store
        self.job = Job(kind, settings, store, sink=sink or self.handle, control=TrainingControl(paused=paused),
                       **options)
        if kind is JobKind.TRAINING:
            self.job.prepared_ahead = self._fitting_preparation(settings) is not None
            self.job.preparation = self.prepare_ahead(settings)
            self.preparation = None   # taken: the next Start prepares anew
        return self.job

    def _keep_trainer(self, job: Job | None) -> None:
        """Keep an ended training job's trainer (once its run ended without failing) for the next preparation."""
        trainer = job.trainer if job is not None and job.kind is JobKind.TRAINING else None
        if trainer is not None and trainer.model is not None and trainer.record.status in FINAL_STATUSES \
                and trainer.record.status != RunStatus.FAILED:
            self._ended_trainer = trainer

    def _reusable_trainer(self, settings: ExperimentSettings) -> Trainer | None:
        """The last ended run's trainer when its model can train ``settings`` (:func:`reusable_model`); handed out
        once (one run per model at a time), and let go when it cannot (its memory is freed)."""
        trainer, self._ended_trainer = self._ended_trainer, None
        return trainer if trainer is not None and reusable_model(trainer.settings, settings) else None

    def _fitting_preparation(self, settings: ExperimentSettings) -> Preparation | None:
        preparation = self.preparation
        if preparation is None or not preparation.fits(settings) or (preparation.done and not preparation.ready):
            return None
        return preparation

    def prepare_ahead(self, settings: ExperimentSettings | None = None) -> Preparation | None:
        """Prepare ``settings`` (default: the current experiment) on a background thread, unless they are being
        prepared already; None when they are invalid. The next training job on them takes the trainer. With a
        pool, an idle worker prepares them (and None is returned)."""
        settings = settings or self.experiment
        try:
            settings.validate()
        except (ValueError, LookupError):
            return None
        if self.pool is not None:
            self.pool.prepare(settings, str(self.store.root))
            return None
        if self._fitting_preparation(settings) is None:
            self.preparation = Preparation(settings, self.store, self._reusable_trainer(settings))
            self._preparations = [p for p in self._preparations if not p.done] + [self.preparation]
        return self.preparation

    def close(self, timeout_s: float = CLOSE_WAIT_S) -> bool:
        """Cancel every preparation still running (call it once the job has ended, when the process is about to
        quit). Those loading a dataset stop at their next block and are waited for, ``timeout_s`` at most; an engine
        import or compile cannot be stopped, writes nothing and ends with the process. True when none is left."""
        running = [preparation for preparation in self._preparations if not preparation.done]
        for preparation in running:
            preparation.cancel()
        deadline = perf_counter() + timeout_s
        for preparation in running:
            if preparation.loading_dataset:
                preparation.join(max(0.0, deadline - perf_counter()))
        self._preparations = [preparation for preparation in running if not preparation.done]
        return not self._preparations

    @property
    def preparing(self) -> bool:
        """Whether a preparation is still running (after :meth:`close`: an engine import or compile)."""
        return any(not preparation.done for preparation in self._preparations)

    def live_run_training(self, run_id: str) -> bool:
        """Whether a trainer is still writing run ``run_id``."""
        record = self.runs.get(run_id)
        return (self.job is not None and run_id == self.live_run_id and record is not None
                and record.status not in FINAL_STATUSES)

    # -- runs --------------------------------------------------------------------------------------------------------

    def load_saved(self, shown=()) -> list[RunRecord]:
        """Add the store's runs, oldest first, from their summaries; those in ``shown`` are shown (their
        histories are read now, the others' when they are first shown)."""
        loaded = []
        for record in self.store.list():
            if record.id not in self.runs:
                self.runs[record.id] = record
                self._unread.add(record.id)
                loaded.append(record)
                if record.id in shown:
                    self._shown.add(record.id)
                    self._read_history(record)
        return loaded

    def reload_saved(self, run_id: str) -> RunRecord | None:
        """Run ``run_id`` as its store has it now, for a run another process wrote (a sweep's trial): added if new,
        replaced if known; listeners hear RunChanged. None when it is not in the store (deleted meanwhile)."""
        try:
            record = self.store.load(run_id)
        except (LookupError, OSError):
            return None
        self.runs[run_id] = record
        self._unread.discard(run_id)
        self._notify(RunChanged(record, self.is_shown(run_id)))
        return record

    def _read_history(self, record: RunRecord) -> None:
        """A saved run's steps, read from the store the first time they are needed."""
        if record.id not in self._unread:
            return
        self._unread.discard(record.id)
        try:
            stored = self.store.load(record.id)
        except (LookupError, OSError):
            return   # deleted behind our back: it shows what its summary said
        if stored.readable:
            record.history, record.summary = stored.history, stored.summary

    def layer_history(self, run_id: str) -> layer_stats.LayerStatsHistory:
        """Run ``run_id``'s layer statistics: the live (or last) run's samples, or those saved with the run (read
        once); ValueError in one line when it has none."""
        history = self._layer_stats.get(run_id)
        if history is None:
            try:
                history = layer_stats.load_saved(self.store.folder(run_id))
            except ValueError as exc:
                history = str(exc)
            self._layer_stats[run_id] = history
        if isinstance(history, str):
            raise ValueError(history)
        return history

    def is_shown(self, run_id: str) -> bool:
        return run_id in self._shown

    def shown_run_ids(self) -> list[str]:
        """The runs shown, oldest first."""
        return [run_id for run_id in self.runs if run_id in self._shown]

    def set_shown(self, run_id: str, shown: bool) -> None:
        if shown == (run_id in self._shown):
            return
        if shown:
            self._read_history(self.runs[run_id])
        (self._shown.add if shown else self._shown.discard)(run_id)
        self._notify(RunChanged(self.runs[run_id], shown))

    def rename(self, run_id: str, name: str) -> RunRecord:
        """Give run ``run_id`` a new display name: through its trainer while it trains, else in the store.

        ValueError for an empty name, OSError when the store cannot write it.
        """
        record = self.runs[run_id]
        name = name.strip()
        if not name:
            raise ValueError("a run name cannot be empty")
        if name == record.name:
            return record
        if self.live_run_training(run_id):
            self.job.control.request_rename(run_id, name)
        elif self.store.exists(run_id):
            self.store.rename(run_id, name)
        record.name = name
        self._notify(RunChanged(record, self.is_shown(run_id)))
        return record

    def delete(self, run_id: str) -> RunRecord:
        """Delete run ``run_id`` from disk and from the session; ValueError while it trains, OSError on failure."""
        record = self.runs[run_id]
        if self.live_run_training(run_id):
            raise ValueError(f"the run “{record.name}” is being trained; stop it before deleting it")
        try:
            self.store.delete(run_id)
        except RunNotFoundError:
            pass  # never saved (it failed before its first step)
        del self.runs[run_id]
        self._layer_stats.pop(run_id, None)
        self._shown.discard(run_id)
        self._unread.discard(run_id)
        if self.live_run_id == run_id:
            self.live_run_id = None
        self._notify(RunRemoved(run_id))
        return record

    def rerun(self, run_id: str, **options) -> Job:
        """A new training job with the settings of run ``run_id`` (they become the current experiment)."""
        record = self.runs[run_id]
        if not record.readable:
            raise ValueError(f"run {run_id} cannot be re-run: {record.message}")
        return self.new_job(JobKind.TRAINING, record.settings, **options)

    def export_records(self, run_ids=None) -> list[RunRecord]:
        """The runs an export writes (default: those shown) that have steps."""
        ids = self.shown_run_ids() if run_ids is None else run_ids
        for run_id in ids:
            self._read_history(self.runs[run_id])
        return [self.runs[run_id] for run_id in ids if self.runs[run_id].history]

    def export(self, path, run_ids=None) -> Path:
        """Write the runs (default: those shown) to ``path``, format by extension; ValueError when none has steps."""
        records = self.export_records(run_ids)
        if not records:
            raise ValueError("there is no loss history to export yet: start a run first")
        return run_export.export(records, path)


def _note_rate_changes(record: RunRecord, steps: list[StepRecord]) -> bool:
    """Record the live changes of the base learning rate that ``steps`` show (a scheduled run's steps each have their
    own rate); True when there were any."""
    schedule = record.settings.rate_schedule()
    last = record.history[-1] if record.history else None
    previous = schedule.base_rate(last.step, last.learning_rate) if last else record.settings.learning_rate
    changes = base_rate_changes(steps, schedule, previous)
    for step, rate in changes:
        record.note_rate_change(step, rate)
    return bool(changes)
