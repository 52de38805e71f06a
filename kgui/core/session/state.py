"""The Session: the one owner of the application's run state."""
from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import Callable

from ..exports import export as run_export
from ..training import layer_stats
from ..runs import FINAL_STATUSES, RunNotFoundError, RunRecord, RunStatus, RunStore
from ..experiment.settings import ExperimentSettings
from ..training.trainer import Trainer, reusable_model
from ..training.training_control import TrainingControl
from .events import (Event, JobEnded, JobKind, LayerStatsComputed, RunChanged, RunEnded, RunRemoved, RunsLoaded,
                     RunStarted, StepsTaken)
from .hub import EventHub
from .job import Job
from .preparation import Preparation


CLOSE_WAIT_S = 1.0   # closing a session waits at most this long for a preparation that is loading its dataset
LARGE_HISTORY_BYTES = 256_000   # a saved history.csv this large (~5,000 steps, ~40 ms to parse) is read by the
                                # session's history_reader, when it has one (the window: off its GUI thread)


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
        self._reading: set[str] = set()        # ... of which history_reader is reading these
        self.history_reader: Callable[[str], None] | None = None   # reads a run's large history elsewhere, then
        #                                        its owner hands it to history_read on this thread
        self._layer_stats: dict[str, layer_stats.LayerStatsHistory | str] = {}   # per run: its history, or why none
        self._hub = EventHub()

    # -- events ------------------------------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        """``listener(event)`` for every event (a driver that forwards them all: the command line, a notebook)."""
        self._hub.subscribe(None, listener)

    def unsubscribe(self, listener: Callable[[Event], None]) -> None:
        self._hub.unsubscribe(None, listener)

    def on(self, event_type: type, handler: Callable) -> None:
        """``handler(event)`` for each event of ``event_type``, after the state has changed (a view subscribes to
        what it shows)."""
        self._hub.subscribe(event_type, handler)

    def _notify(self, event: Event) -> None:
        self._hub.publish(event)

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
            for step, rate in event.rate_changes:
                record.note_rate_change(step, rate)
            rates_changed = bool(event.rate_changes)
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
        """Keep the final record (with the steps received, when it comes without any: a crashed run whose folder
        could not be read back); a rename the trainer did not take in time is written now (no writer is left)."""
        mirror = self.runs.get(record.id)
        if not record.history and mirror is not None and mirror.history:
            record.history = mirror.history
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
            from ..workers.remote_job import RemoteJob

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

    def shown_live_run(self) -> RunRecord | None:
        """The live run once it has steps, while it is shown (what the live readouts follow), else None."""
        record = self.runs.get(self.live_run_id)
        return record if record is not None and record.history and self.is_shown(record.id) else None

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
                    self._read_history(record, elsewhere=True)
        return loaded

    def reload_saved(self, run_ids) -> list[RunRecord]:
        """Runs ``run_ids`` as their store has them now, for runs another process wrote (a sweep's trials ending
        together): added if new, replaced if known, and one RunsLoaded for them all. Only their summaries are read
        (the steps of those shown too; the others' when they are first shown). Runs no longer in the store (deleted
        meanwhile) are left out."""
        records = []
        for run_id in dict.fromkeys(run_ids):
            shown = self.is_shown(run_id)
            try:
                record = self.store.load(run_id, with_history=shown)
            except (LookupError, OSError):
                continue
            self.runs[run_id] = record
            self._reading.discard(run_id)
            (self._unread.discard if shown else self._unread.add)(run_id)
            records.append(record)
        if records:
            self._notify(RunsLoaded(tuple(records), frozenset(r.id for r in records if self.is_shown(r.id))))
        return records

    def _read_history(self, record: RunRecord, elsewhere: bool = False) -> None:
        """A saved run's steps, read from the store the first time they are needed; with ``elsewhere``, a large
        history is handed to :attr:`history_reader` (when there is one) and comes back through
        :meth:`history_read`."""
        if record.id not in self._unread:
            return
        if elsewhere and self.history_reader is not None and record.summary.history_bytes >= LARGE_HISTORY_BYTES:
            if record.id not in self._reading:
                self._reading.add(record.id)
                self.history_reader(record.id)
            return
        self._unread.discard(record.id)
        was_reading = record.id in self._reading
        self._reading.discard(record.id)   # read here after all (an export): the reader's answer is dropped
        stored = self.read_stored(record.id)   # None: deleted behind our back, it shows what its summary said
        if stored is not None:
            self._take_history(record, stored)
        if was_reading:   # the views waited for these steps
            self._notify(RunChanged(record, self.is_shown(record.id)))

    @staticmethod
    def _take_history(record: RunRecord, stored: RunRecord) -> None:
        if stored.readable:
            record.history, record.summary = stored.history, stored.summary

    def read_stored(self, run_id: str) -> RunRecord | None:
        """Run ``run_id`` with its history as its store has it, or None when it is gone or cannot be read (what a
        :attr:`history_reader` calls, on any thread: it reads files only)."""
        try:
            return self.store.load(run_id)
        except (LookupError, OSError, ValueError):
            return None

    def reading_history(self, run_id: str) -> bool:
        """Whether run ``run_id``'s history is being read by the :attr:`history_reader`."""
        return run_id in self._reading

    def history_read(self, run_id: str, stored: RunRecord | None) -> None:
        """The :attr:`history_reader`'s answer for run ``run_id`` (:meth:`read_stored`'s): kept, and RunChanged,
        while the run is still shown; dropped when it was deleted or read meanwhile, and when it was hidden (read
        again when it is shown again)."""
        if run_id not in self._reading:
            return
        self._reading.discard(run_id)
        if not self.is_shown(run_id):
            self._notify(RunChanged(self.runs[run_id], False))   # its row no longer says it is being read
            return
        self._unread.discard(run_id)
        record = self.runs[run_id]
        if stored is not None:
            self._take_history(record, stored)
        self._notify(RunChanged(record, True))

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
            self._read_history(self.runs[run_id], elsewhere=True)
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
        self._reading.discard(run_id)
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

