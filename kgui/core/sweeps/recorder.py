"""A trial's run written into the caller's store from the events of its job (the one writer of that run).

Trials train where the executor puts them (a thread, a worker process, a Dask worker on another machine) with no
store of their own; their events come back here, and :class:`TrialRecorder` makes each a normal run folder tagged
with the sweep's id and the trial's axis values.
"""
from __future__ import annotations

from ..runs import RunRecord, RunStatus, RunStore, RunWriter
from ..session import RunEnded, RunStarted, StepsTaken
from .executors import TrialRequest


class TrialRecorder:
    """Turns one attempt's events into its run in ``store``: created at RunStarted, a history line per step, the
    final record at RunEnded. Call :meth:`handle` with every event of the attempt, on one thread."""

    def __init__(self, store: RunStore, request: TrialRequest):
        self.store, self.request = store, request
        self.record: RunRecord | None = None
        self._writer: RunWriter | None = None
        self.ended = False
        self.steps = 0

    def handle(self, event) -> None:
        if isinstance(event, RunStarted):
            self._begin(event.run)
        elif isinstance(event, StepsTaken) and self._writer is not None:
            for step in event.steps:
                self.record.history.append(step)
                self._writer.append(step)
            self.steps = len(self.record.history)
        elif isinstance(event, RunEnded):
            self._end(event.run)

    def _tagged(self, run: RunRecord) -> RunRecord:
        record = run.snapshot(with_history=False)
        record.name = self.request.name
        self.request.tag.apply(record)
        return record

    def _begin(self, run: RunRecord) -> None:
        if self.record is not None:   # the task started again (Dask reran it after its worker died): one run only
            self.discard()
            self.steps = 0
        self.record = self._tagged(run)
        self._writer = self.store.begin(self.record)

    def _end(self, final: RunRecord) -> None:
        if self.ended:
            return
        if self.record is None:   # ended while preparing (failed, or stopped): kept so the sweep shows why
            self.record = self._tagged(final)
            self._writer = self.store.begin(self.record)
        for step in final.history[len(self.record.history):]:   # steps not sent as events (none normally)
            self.record.history.append(step)
            self._writer.append(step)
        record = self.record
        for name in ("status", "message", "final_params", "engine", "engine_version", "dataset_info", "timings",
                     "finished", "train_rows", "lr_changes", "settings", "weight_edits"):
            setattr(record, name, getattr(final, name))
        self._close()

    def fail(self, message: str) -> RunRecord:
        """The attempt ended without its RunEnded (its worker died): the run is failed with ``message``, its
        steps kept."""
        if self.record is None:
            self.record = self._tagged(RunRecord.new(self.request.settings, self.request.name))
            self._writer = self.store.begin(self.record)
        self.record.status, self.record.message = RunStatus.FAILED, message
        self._close()
        return self.record

    def _close(self) -> None:
        self.ended = True
        self.steps = len(self.record.history)
        try:
            self._writer.save()
        finally:
            self._writer.close()

    def discard(self) -> None:
        """Remove this attempt's run (a lost attempt that is tried again: one run per trial)."""
        if self._writer is not None and not self._writer.closed:
            self._writer.close()
        if self.record is not None and self.store.exists(self.record.id):
            self.store.delete(self.record.id)

