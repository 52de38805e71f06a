"""Trials in worker processes (:mod:`kgui.core.workers`): each attempt a :class:`RemoteJob` of a
:class:`WorkerPool` of ``slots`` workers. The worker writes the trial's run into the store, tagged with the sweep; a
worker keeps its last trainer, so the next trial of the same model reuses its compiled functions. A worker that dies
fails its run with the cause (the pool starts a fresh one for the next attempt), and the attempt says it was lost.
"""
from __future__ import annotations

from ..runs import RunRecord
from ..session import JobKind
from ..workers.pool import WorkerPool
from ..workers.remote_job import RemoteJob
from .executors import AttemptResult, Sink, TrialRequest

BATCH_S = 0.015   # steps come back in batches at most this often


class _PoolAttempt:
    def __init__(self, job: RemoteJob):
        self.job = job

    def wait(self) -> AttemptResult:
        result = self.job.run()
        record = result if isinstance(result, RunRecord) else None
        process = self.job.process
        lost = process is not None and not process.alive and not process.killed
        cause = record.message if record is not None and record.message else self.job.error
        return AttemptResult(record, lost=lost, cause=cause)

    def stop(self) -> None:
        self.job.control.stop()


class PoolExecutor:
    """``slots`` worker processes, one trial at a time each, started ``nice`` and ``group_nice`` (see
    :class:`WorkerPool`), the first of them ``launched`` already; a trial's steps come back in batches at most every
    ``batch_s``."""

    writes_runs = True

    def __init__(self, slots: int, nice: int = 0, batch_s: float = BATCH_S, group_nice: int = 0, launched=()):
        self.slots = max(1, slots)
        self.batch_s = batch_s
        self.pool = WorkerPool(max_workers=self.slots, nice=nice, group_nice=group_nice, launched=launched)

    def start(self, request: TrialRequest, slot: int, sink: Sink) -> _PoolAttempt:
        return _PoolAttempt(RemoteJob(JobKind.TRAINING, request.settings, request.store, self.pool, sink=sink,
                                      name=request.name, batch_s=self.batch_s, sweep=request.tag))

    def shutdown(self, timeout_s: float = 2.0) -> None:
        self.pool.shutdown(timeout_s)
