"""A session job run by worker processes: the same interface as :class:`kgui.core.session.Job`.

:meth:`RemoteJob.run` blocks the calling thread: it takes a worker from the pool, sends :class:`RunJob`, and hands
every event the worker sends to ``sink`` on this thread, until the job's JobEnded. A backend comparison takes one
worker per engine, run in parallel as far as the pool's ``max_workers`` allows (each engine builds the same initial
weights from the seed, compared as in-process), and combines their results (:func:`parity.combined`). ``control`` is a
:class:`RemoteControl`, whose commands go to the worker. If the worker dies, the job's runs end FAILED with the
cause ("the engine process crashed: signal 9"): once the worker is dead its writer's lock is free, and the final
status is written to each run's folder here, with every step the worker wrote kept. ``run()`` then returns
normally, and the pool gives the next job a fresh worker.
"""
from __future__ import annotations

import dataclasses
import math
import queue
import threading
import time
from dataclasses import dataclass, field

from ..training.engines import installed_ids
from ..training.lr_finder import RateRange
from ..training.parity import ParityResult, combined
from ..runs import RunRecord, RunStatus, RunStore
from ..session import JobEnded, JobKind, Phase, RunEnded, RunStarted
from ..session.job import runs_of
from ..experiment.settings import ExperimentSettings
from ..training.training_control import checked_rate
from .pool import WorkerPool
from .process import Exited, WorkerProcess
from .protocol import EditWeight, JobOptions, Pause, Rename, Resume, RunJob, SetLearningRate, Step, Stop

RECEIVE_S = 0.25   # the job checks that its worker lives at least this often
STOP_GRACE_S = 1.7  # a worker that has not ended its job this long after Stop is killed (its runs saved as stopped):
                    # what is left to do then (its runs' ends, the other workers' exits) fits in Ctrl-C's 2 s


class RemoteControl:
    """A TrainingControl's interface for other processes: each call becomes a command to the job's workers. Those
    given before the first worker was attached are queued for it; each worker attached later gets every command so
    far except single steps. ``paused`` and ``stopped`` are what this side asked for."""

    def __init__(self, paused: bool = False):
        self._lock = threading.Lock()
        self._paused, self._stopped = paused, False
        self.stopped_at: float | None = None   # time.monotonic() of the first stop()
        self._senders: list = []
        self._attached_once = False
        self._early: list = []     # commands before the first worker
        self._later: list = []     # commands since, single steps left out (for workers attached later)
        self._names: dict[str, str] = {}

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stopped

    def _command(self, command) -> None:
        with self._lock:
            if not self._attached_once:
                self._early.append(command)
                return
            if not isinstance(command, Step):
                self._later.append(command)
            for send in self._senders:
                send(command)

    def attach(self, send) -> None:
        """Send the commands so far with ``send``, and those to come."""
        with self._lock:
            for command in self._early if not self._attached_once else \
                    [c for c in self._early if not isinstance(c, Step)] + self._later:
                send(command)
            self._attached_once = True
            self._senders.append(send)

    def detach(self, send) -> None:
        with self._lock:
            if send in self._senders:
                self._senders.remove(send)

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
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()
        self._stopped = True
        self._command(Stop())

    def set_learning_rate(self, value: float) -> None:
        """ValueError unless ``value`` is a positive number."""
        self._command(SetLearningRate(checked_rate(value)))

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


@dataclass(eq=False)
class _Part:
    """What one worker does for the job: the whole job, or one engine of a comparison."""

    request: RunJob
    process: WorkerProcess | None = None
    live: dict[str, RunRecord] = field(default_factory=dict)   # runs begun and not ended: the event's record of each
    ended: list[RunRecord] = field(default_factory=list)
    preparing: str | None = None    # the engine of the last Phase without a run (a comparison's)
    outcome: JobEnded | None = None


_DONE = object()   # a part's driver thread has finished

class RemoteJob:
    """One job of a session, run by workers of ``pool``; see :class:`kgui.core.session.Job`."""

    def __init__(self, kind: JobKind, settings: ExperimentSettings, store: RunStore | None, pool: WorkerPool, *,
                 sink, name: str | None = None, paused: bool = False, batch_s: float = 0.015,
                 confusion_s: float | None = None, surface_s: float | None = None,
                 layer_stats_s: float | None = None, layer_stats_every: int | None = None, sweep=None,
                 engines: tuple[str, ...] | None = None, rate_range: RateRange = RateRange(), **in_process_options):
        self.kind = kind
        self.settings = settings
        self.store = store
        self.pool = pool
        self.sink = sink
        self.name = name
        self.engines = engines
        self.control = RemoteControl(paused)
        self.options = JobOptions(str(store.root) if store is not None else None, paused, batch_s or 0.0,
                                  confusion_s, surface_s, layer_stats_s, layer_stats_every, sweep,
                                  rate_range=rate_range)
        self.result = None
        self.error = ""
        self.done = False
        self.trainer = None          # in a worker: this process never holds an engine
        self.preparation = None
        self.prepared_ahead = False
        self.process: WorkerProcess | None = None   # the (first) worker running the job
        self.parts: list[_Part] = []

    @property
    def records(self) -> list[RunRecord]:
        """The runs this job trained (after :meth:`run`)."""
        return runs_of(self.result)

    def run(self):
        """Do the job in workers; returns its result (errors and crashes end in a JobEnded, never an exception)."""
        try:
            self.parts = self._parts()
        except ValueError as exc:   # no engine installed
            return self._end(None, str(exc))
        inbox: queue.Queue = queue.Queue()
        drivers = [threading.Thread(target=self._drive, args=(part, inbox), name="kgui-remote-job", daemon=True)
                   for part in self.parts]
        for driver in drivers:
            driver.start()
        running = len(drivers)
        while running:
            part, message = inbox.get()
            if message is _DONE:
                running -= 1
            elif isinstance(message, Exited):
                part.outcome = self._worker_died(part, message.cause)
            elif isinstance(message, JobEnded):
                part.outcome = message
            else:
                self._track(part, message)
                self.sink(message)
        for driver in drivers:
            driver.join()
        return self._end(*self._combined())

    def _parts(self) -> list[_Part]:
        if self.kind is not JobKind.PARITY:
            return [_Part(RunJob(self.kind, self.settings, self.name, self.options))]
        engines = self.engines if self.engines is not None else installed_ids()
        return [_Part(RunJob(self.kind, self.settings.replace(backend=engine), self.name,
                             dataclasses.replace(self.options, engines=(engine,)))) for engine in engines]

    def _drive(self, part: _Part, inbox: queue.Queue) -> None:
        """On its own thread: take a worker, send the part's request, and pass on what the worker sends until the
        part has ended or the worker has gone."""
        request = part.request
        try:
            process = self.pool.acquire(request.settings, self.options.store_root, lambda: self.control.stopped)
        except RuntimeError as exc:   # the pool is shut down
            inbox.put((part, JobEnded(self.kind, None, str(exc))))
            inbox.put((part, _DONE))
            return
        if process is None:   # stopped while every worker was busy
            inbox.put((part, JobEnded(self.kind, None, "stopped before it started")))
            inbox.put((part, _DONE))
            return
        part.process = process
        if self.process is None:
            self.process = process
        def wake_on_stop(command) -> None:   # the wait below is cut short: the grace counts from the Stop
            if isinstance(command, Stop):
                process.wake()

        try:
            process.send(request)
            self.control.attach(process.send)
            self.control.attach(wake_on_stop)
            while True:
                wait = self._wait_s()
                message = process.receive(wait)
                if message is None and wait == 0.0:   # Stop was asked STOP_GRACE_S ago, and all it sent is read
                    if process.alive:    # it cannot stop (suspended, stuck in a compiler)
                        process.kill()
                    message = process.receive(RECEIVE_S)
                if message is None:
                    process.check_started()
                    process.check_running()
                    continue
                inbox.put((part, message))
                if isinstance(message, (JobEnded, Exited)):
                    break    # a job that ended by itself (however late) leaves its worker alive, for the pool
        finally:
            self.control.detach(process.send)
            self.control.detach(wake_on_stop)
            self.pool.release(process, request.kind, request.settings, self.options.store_root)
            inbox.put((part, _DONE))

    def _wait_s(self) -> float:
        """How long the driver may wait for a message: RECEIVE_S, less once Stop was asked (the worker is killed
        STOP_GRACE_S after it, not up to a receive later: a Stop wakes the driver); 0 once that time has come."""
        stopped_at = self.control.stopped_at
        if stopped_at is None:
            return RECEIVE_S
        return max(0.0, min(RECEIVE_S, stopped_at + STOP_GRACE_S - time.monotonic()))

    def _combined(self) -> tuple[object, str]:
        """The job's result and error from its parts' outcomes."""
        outcomes = [part.outcome for part in self.parts if part.outcome is not None]
        if self.kind is not JobKind.PARITY:
            outcome = outcomes[0] if outcomes else JobEnded(self.kind, None, "the engine process ended without a word")
            return outcome.result, outcome.error
        results = [outcome.result for outcome in outcomes if isinstance(outcome.result, ParityResult)]
        if not results:
            return None, next((outcome.error for outcome in outcomes if outcome.error), "")
        return combined(self.settings, results), ""

    def _end(self, result, error: str):
        self.result, self.error, self.done = result, error, True
        self.sink(JobEnded(self.kind, result, error))
        return result

    def _track(self, part: _Part, event) -> None:
        """Note which runs a worker has begun and not ended (what a crash leaves). This side keeps no record of its
        own: the sink's (the session's) is the run's mirror here, and the worker's folder has every step taken."""
        if isinstance(event, Phase):
            if event.run is not None:
                part.live.setdefault(event.run.id, event.run)
            else:
                part.preparing = event.backend
        elif isinstance(event, RunStarted):
            part.live[event.run.id] = event.run
            part.preparing = None
        elif isinstance(event, RunEnded):
            part.live.pop(event.run.id, None)
            part.ended.append(event.run)

    def _worker_died(self, part: _Part, cause: str) -> JobEnded:
        """End the runs the part's worker left (written to their folders: its lock is free now) and the part."""
        process = part.process
        if process.refusal:
            message = process.refusal
        elif process.killed:
            message = "the engine process was stopped"
        else:
            message = f"the engine process crashed: {cause}"
        lost = list(part.live.values())
        if not lost and part.preparing is not None and self.kind is JobKind.PARITY:
            lost = [RunRecord.new(self.settings.replace(backend=part.preparing), self.name)]
        elif not (lost or part.ended or process.refusal or process.killed) and self.kind is JobKind.TRAINING:
            # died before its first phase crossed (the engine's import runs beside the job's first wait): the run
            # Start asked for still ends failed with the cause, with no folder, as one that died while importing
            lost = [RunRecord.new(part.request.settings, self.name)]
            if self.options.sweep is not None:
                self.options.sweep.apply(lost[0])
        status = RunStatus.STOPPED if process.killed and self.control.stopped else RunStatus.FAILED
        for record in lost:
            record = self._failed(record, message, status)
            part.ended.append(record)
            self.sink(RunEnded(record))
        part.live.clear()
        if self.kind is JobKind.TRAINING and part.ended:
            return JobEnded(self.kind, part.ended[-1])
        if self.kind is JobKind.PARITY and part.ended:
            return JobEnded(self.kind, ParityResult(part.request.settings, list(part.ended)))
        return JobEnded(self.kind, None, message)

    def _failed(self, record: RunRecord, message: str, status: RunStatus = RunStatus.FAILED) -> RunRecord:
        """``record`` ended ``status`` (FAILED, or STOPPED when Stop had to kill its worker) with ``message``: in its
        folder if it has one, with every step the worker wrote
        there; a run without a folder took no step (its worker writes each step before sending it). A folder that
        cannot be written stays as it is (it lists as interrupted, its steps kept) and the message says why; the
        record then carries no steps and the session keeps those it received."""
        if self.store is not None and self.store.exists(record.id):
            try:
                return self.store.end_lost_run(record.id, status, message)
            except OSError as exc:
                message = f"{message}; its folder could not be written ({' '.join(str(exc).split())})"
        record = record.snapshot(with_history=False)
        record.status, record.message = status, message
        return record
