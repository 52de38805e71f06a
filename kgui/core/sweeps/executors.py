"""Where a sweep's trials train. An executor starts one attempt of a trial (:meth:`TrialExecutor.start`); the
runner waits for it on one of its slot threads and can stop it from any thread.

- :class:`ThreadExecutor`: in this process, a session :class:`~kgui.core.session.Job` per attempt on the slot's
  thread. Each slot keeps its last trainer, so the next trial of the same model reuses its compiled functions.
- :class:`PoolExecutor` (:mod:`.pool_executor`): each attempt a ``RemoteJob`` in a worker process of a pool.
- :class:`DaskExecutor` (:mod:`.dask_executor`): each attempt a task on a Dask cluster.

Local executors (``writes_runs``) train each trial as a normal job of the store, its run tagged with the sweep
(:class:`SweepTag`): its trainer writes it. A Dask task trains without a store: its events come back to the runner,
whose :class:`TrialRecorder` writes the run into the caller's store.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Protocol

from ..runs import FINAL_STATUSES, RunRecord, RunStatus, RunStore, SweepTag
from ..session import Job, JobKind, Preparation
from ..experiment.settings import ExperimentSettings
from ..training.trainer import Trainer, reusable_model

Sink = Callable[[object], None]


@dataclass
class AttemptResult:
    """How one attempt of a trial ended: its final record (None when it never sent one), and whether the process
    training it was lost (killed, crashed: the trial is worth another attempt on a fresh one)."""

    record: RunRecord | None
    lost: bool = False
    cause: str = ""            # one line, when lost or when the attempt failed outside its run


@dataclass(frozen=True)
class TrialRequest:
    """One attempt to ask of an executor: the trial's settings, its run's name and tag, and the store an executor
    that writes runs writes it into."""

    settings: ExperimentSettings
    name: str
    tag: SweepTag
    store: RunStore


class Attempt(Protocol):
    def wait(self) -> AttemptResult:
        """Train (or wait for the trial to train), delivering its events to the sink; on the calling thread."""

    def stop(self) -> None:
        """End the attempt soon (the run saved as stopped); callable from any thread, before or during wait."""


class TrialExecutor(Protocol):
    slots: int                 # trials trained at once
    writes_runs: bool          # its jobs write their runs (else the runner writes them from their events)

    def start(self, request: TrialRequest, slot: int, sink: Sink) -> Attempt: ...

    def shutdown(self, timeout_s: float = 2.0) -> None:
        """Stop what is left and release every process; nothing is left running."""


class _ThreadAttempt:
    def __init__(self, job: Job, on_done: Callable[[Job], None]):
        self.job, self._on_done = job, on_done

    def wait(self) -> AttemptResult:
        self.job.run()
        self._on_done(self.job)
        record = self.job.result if isinstance(self.job.result, RunRecord) else None
        return AttemptResult(record, cause=self.job.error)

    def stop(self) -> None:
        self.job.control.stop()


class ThreadExecutor:
    """Trials as session Jobs on the runner's slot threads, in this process."""

    writes_runs = True

    def __init__(self, slots: int = 1):
        self.slots = max(1, slots)
        self._kept: dict[int, Trainer] = {}     # slot -> its last ended trainer (a compiled model to reuse)
        self._lock = threading.Lock()

    def start(self, request: TrialRequest, slot: int, sink: Sink) -> _ThreadAttempt:
        with self._lock:
            kept = self._kept.pop(slot, None)
        settings = request.settings
        reuse = kept if kept is not None and reusable_model(kept.settings, settings) else None
        job = Job(JobKind.TRAINING, settings, request.store, sink=sink, name=request.name, batch_s=0.015,
                  sweep=request.tag)
        job.preparation = Preparation(settings, request.store, reuse=reuse)
        return _ThreadAttempt(job, lambda done: self._keep(slot, done))

    def _keep(self, slot: int, job: Job) -> None:
        trainer = job.trainer
        if trainer is not None and trainer.model is not None and trainer.record.status in FINAL_STATUSES \
                and trainer.record.status != RunStatus.FAILED:
            with self._lock:
                self._kept[slot] = trainer

    def shutdown(self, timeout_s: float = 2.0) -> None:
        with self._lock:
            self._kept.clear()
