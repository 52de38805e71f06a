"""A session job run by a worker process: the same interface as :class:`kgui.core.session.Job`.

:meth:`RemoteJob.run` blocks the calling thread: it takes a worker from the pool, sends :class:`RunJob`, and hands
every event the worker sends to ``sink`` on this thread, until the job's JobEnded. ``control`` is a
:class:`RemoteControl`, whose commands go to the worker. If the worker dies, the job's runs end FAILED with the
cause ("the engine process crashed: signal 9"): once the worker is dead its writer's lock is free, and the final
status is written to each run's folder here, with every step the worker wrote kept. ``run()`` then returns
normally, and the pool gives the next job a fresh worker.
"""
from __future__ import annotations

import dataclasses
import math
import threading

from ..parity import ParityResult, step_differences
from ..runs import RunRecord, RunStatus, RunStore
from ..session import JobEnded, JobKind, Phase, RunEnded, RunStarted, StepsTaken
from ..settings import ExperimentSettings
from ..trainer import _checked_rate
from .pool import WorkerPool
from .process import Exited
from .protocol import EditWeight, JobOptions, Pause, Rename, Resume, RunJob, SetLearningRate, Step, Stop

RECEIVE_S = 0.25   # the job checks that its worker lives at least this often


class RemoteControl:
    """A TrainingControl's interface for another process: each call becomes a command to the worker (queued until
    the job has a worker). ``paused`` and ``stopped`` are what this side asked for."""

    def __init__(self, paused: bool = False):
        self._lock = threading.Lock()
        self._paused, self._stopped = paused, False
        self._send = None
        self._queued: list = []
        self._names: dict[str, str] = {}

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stopped

    def _command(self, command) -> None:
        with self._lock:
            if self._send is None:
                self._queued.append(command)
            else:
                self._send(command)

    def attach(self, send) -> None:
        """Send the commands queued so far, and those to come, with ``send``."""
        with self._lock:
            self._send = send
            for command in self._queued:
                send(command)
            self._queued.clear()

    def detach(self) -> None:
        with self._lock:
            self._send = None

    def pause(self) -> None:
        self._paused = True
        self._command(Pause())

    def resume(self) -> None:
        self._paused = False
        self._command(Resume())

    def request_step(self) -> None:
        if self._paused:
            self._command(Step())

    def stop(self) -> None:
        self._stopped = True
        self._command(Stop())

    def set_learning_rate(self, value: float) -> None:
        """ValueError unless ``value`` is a positive number."""
        self._command(SetLearningRate(_checked_rate(value)))

    def edit_weight(self, parameter: str, index: tuple[int, ...], value: float) -> None:
        """ValueError unless ``value`` is a finite number."""
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"a weight must be a finite number, got {value!r}")
        self._command(EditWeight(parameter, tuple(int(i) for i in index), number))

    def request_rename(self, run_id: str, name: str) -> None:
        with self._lock:
            self._names[run_id] = name
        self._command(Rename(run_id, name))

    def take_rename(self, run_id: str) -> str | None:
        """The name requested for ``run_id`` (the session writes it again once the run has ended: the worker may
        have ended the run before the request arrived)."""
        with self._lock:
            return self._names.pop(run_id, None)


class RemoteJob:
    """One job of a session, run by a worker of ``pool``; see :class:`kgui.core.session.Job`."""

    def __init__(self, kind: JobKind, settings: ExperimentSettings, store: RunStore | None, pool: WorkerPool, *,
                 sink, name: str | None = None, paused: bool = False, batch_s: float = 0.015,
                 confusion_s: float | None = None, surface_s: float | None = None,
                 layer_stats_s: float | None = None, layer_stats_every: int | None = None, **in_process_options):
        self.kind = kind
        self.settings = settings
        self.store = store
        self.pool = pool
        self.sink = sink
        self.name = name
        self.control = RemoteControl(paused)
        self.options = JobOptions(str(store.root) if store is not None else None, paused, batch_s or 0.0,
                                  confusion_s, surface_s, layer_stats_s, layer_stats_every)
        self.result = None
        self.error = ""
        self.done = False
        self.trainer = None          # in the worker: this process never holds an engine
        self.preparation = None
        self.prepared_ahead = False
        self.process = None          # the worker running the job
        self._live: dict[str, RunRecord] = {}   # runs begun and not ended, with the steps received
        self._ended: list[RunRecord] = []
        self._preparing_engine: str | None = None   # the engine of the last Phase without a run (parity)

    @property
    def records(self) -> list[RunRecord]:
        """The runs this job trained (after :meth:`run`)."""
        if isinstance(self.result, RunRecord):
            return [self.result]
        if isinstance(self.result, ParityResult):
            return list(self.result.records)
        return []

    def run(self):
        """Do the job in a worker; returns its result (errors and crashes end in a JobEnded, never an exception)."""
        try:
            process = self.pool.acquire(self.settings, self.options.store_root, lambda: self.control.stopped)
        except RuntimeError as exc:   # the pool is shut down
            return self._end(None, str(exc))
        if process is None:   # stopped while every worker was busy
            return self._end(None, "stopped before it started")
        self.process = process
        ended = None
        try:
            process.send(RunJob(self.kind, self.settings, self.name, self.options))
            self.control.attach(process.send)
            while ended is None:
                message = process.receive(RECEIVE_S)
                if message is None:
                    continue
                if isinstance(message, Exited):
                    ended = self._worker_died(message.cause, process.killed)
                    break
                self._track(message)
                if isinstance(message, JobEnded):
                    ended = message
                else:
                    self.sink(message)
        finally:
            self.control.detach()
            self.pool.release(process, self.kind, self.settings, self.options.store_root)
        return self._end(ended.result, ended.error)

    def _end(self, result, error: str):
        self.result, self.error, self.done = result, error, True
        self.sink(JobEnded(self.kind, result, error))
        return result

    def _track(self, event) -> None:
        """Keep this side's copy of each run the worker trains (what a crash leaves)."""
        if isinstance(event, Phase):
            if event.run is not None:
                self._live.setdefault(event.run.id, dataclasses.replace(event.run, history=[]))
            else:
                self._preparing_engine = event.backend
        elif isinstance(event, RunStarted):
            self._live[event.run.id] = dataclasses.replace(event.run, history=[])
            self._preparing_engine = None
        elif isinstance(event, StepsTaken) and event.run_id in self._live:
            self._live[event.run_id].history.extend(event.steps)
        elif isinstance(event, RunEnded):
            self._live.pop(event.run.id, None)
            self._ended.append(event.run)

    def _worker_died(self, cause: str, killed: bool) -> JobEnded:
        """End the runs the worker left (written to their folders: its lock is free now) and the job."""
        message = "the engine process was stopped" if killed else f"the engine process crashed: {cause}"
        lost = list(self._live.values())
        if not lost and self._preparing_engine is not None and self.kind is JobKind.PARITY:
            lost = [RunRecord.new(self.settings.replace(backend=self._preparing_engine), self.name)]
        for record in lost:
            record = self._failed(record, message)
            self._ended.append(record)
            self.sink(RunEnded(record))
        self._live.clear()
        if self.kind is JobKind.TRAINING and self._ended:
            return JobEnded(self.kind, self._ended[-1])
        if self.kind is JobKind.PARITY and self._ended:
            result = ParityResult(self.settings, list(self._ended))
            result.differences = step_differences(result.records)
            return JobEnded(self.kind, result)
        return JobEnded(self.kind, None, message)

    def _failed(self, record: RunRecord, message: str) -> RunRecord:
        """``record`` ended FAILED with ``message``: in its folder if it has one (with every step written there)."""
        if self.store is not None and self.store.exists(record.id):
            try:
                return self.store.end_lost_run(record.id, RunStatus.FAILED, message)
            except OSError:
                pass   # the folder stays as it is and lists as interrupted; this session shows the failure
        record = dataclasses.replace(record, history=list(record.history))
        record.status, record.message = RunStatus.FAILED, message
        return record
