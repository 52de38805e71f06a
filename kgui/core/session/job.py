"""One job of a session (a training run, a backend comparison or a range test), run on its driver's thread."""
from __future__ import annotations

from time import perf_counter

from ..training import layer_stats, lr_finder, metrics, surface
from ..files import one_line
from ..training.parity import ParityResult, compare_backends
from ..runs import RunRecord, RunStatus, RunStore, StepRecord, SweepTag
from ..experiment.settings import ExperimentSettings
from ..training.trainer import Stage, Trainer
from ..training.training_control import TrainingControl
from .events import (ConfusionComputed, JobEnded, JobKind, LayerStatsComputed, Phase, PredictionsComputed, RangePoints,
                     RunEnded, RunStarted, StepsTaken, SurfaceComputed)
from .preparation import Preparation, stopped_while


def runs_of(result) -> list[RunRecord]:
    """The runs a job's ``result`` holds: a training run's record, a comparison's records, none for a range test."""
    if isinstance(result, RunRecord):
        return [result]
    if isinstance(result, ParityResult):
        return list(result.records)
    return []


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
                 sweep: SweepTag | None = None, engines: tuple[str, ...] | None = None,
                 rate_range: lr_finder.RateRange = lr_finder.RateRange()):
        self.kind = kind
        self.rate_range = rate_range   # a range test's rates
        self.sweep = sweep         # a training run that is a sweep's trial: its tag, written with the run
        self.engines = engines     # a parity job's engines, in order (None: every installed one)
        self.settings = settings
        self.store = store
        self.sink = sink
        self.control = control or TrainingControl()
        self.control.before_sleeping = self._before_pause
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
        self._pending: dict[str, list[StepRecord]] = {}   # per live run: its steps not sent yet
        self._records: dict[str, RunRecord] = {}          # per live run: its trainer's record (read on this thread)
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
                stage, self.settings.backend, record.snapshot(), since, progress))):
            record.status = RunStatus.STOPPED
            record.message = stopped_while(self.preparation.phases, self.settings.backend)
            self.sink(RunEnded(record.snapshot()))
            return record
        trainer = self.preparation.trainer
        self.preparation.taken = True
        trainer.take_over(record, self.control, status=lambda update: self._trainer_status(trainer, update))
        return trainer.run(lambda step: self._trainer_step(trainer, step))

    @property
    def records(self) -> list[RunRecord]:
        """The runs this job trained (after :meth:`run`)."""
        return runs_of(self.result)

    def _trainer_status(self, trainer: Trainer, update: Stage | RunStatus) -> None:
        self.trainer = trainer
        record = trainer.record
        if update is Stage.TRAINING:
            self._pending[record.id] = []
            self._records[record.id] = record
            self.sink(RunStarted(record.snapshot(with_history=False), trainer.dataset))
            if self.layer_stats is not None:
                self.layer_stats.start(trainer)
                trainer.layer_history = self.layer_stats.history
        elif isinstance(update, RunStatus):   # the final status
            if record.id in self._pending:
                self._flush(record.id)
                del self._pending[record.id], self._records[record.id]
                if record.status != "failed":
                    self._send_confusion(trainer)
                    self._send_surface(trainer)
            self.sink(RunEnded(record.snapshot()))
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

    def _before_pause(self) -> None:
        """The run sleeps while paused: every step taken is shown, and the layers as they are now (the Network dock
        showed the last timed sample, e.g. step 1 of a run paused at step 78, the weights one may set then)."""
        for run_id in self._pending:
            self._flush(run_id)
        trainer = self.trainer
        if self.layer_stats is not None and trainer is not None and trainer.record.id in self._pending:
            stats = self.layer_stats.sample_now(trainer)
            if stats is not None:
                self.sink(LayerStatsComputed(trainer.record.id, stats))

    def _flush(self, run_id: str) -> None:
        """The steps of ``run_id`` not sent yet, with the rate changes its trainer noted for them."""
        if self._pending[run_id]:
            steps, self._pending[run_id] = self._pending[run_id], []
            first, last = steps[0].step, steps[-1].step
            changes = tuple(change for change in self._records[run_id].lr_changes if first <= change[0] <= last)
            self.sink(StepsTaken(run_id, steps, changes))

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

        rates = self.rate_range
        try:
            return lr_finder.find_learning_rate(self.settings, rates.start, rates.end, rates.steps,
                                                control=self.control, status=lambda stage, progress: self.sink(
                                                    Phase(stage, self.settings.backend, progress=progress)),
                                                on_point=on_point)
        finally:
            if pending:
                self.sink(RangePoints(pending[:]))
