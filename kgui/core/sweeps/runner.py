"""Running a sweep: its trials through an executor, as many at once as it has slots, each written into the store as
a normal run tagged with the sweep's id and the trial's axis values.

A trial whose process is lost (killed, crashed) is tried once more on a fresh one, then marked failed with the cause;
the sweep goes on. :meth:`SweepRunner.stop` (Ctrl-C, the window's Stop) ends every running trial (saved as stopped)
and starts no more; the trials it had not started are saved as stopped runs too (no steps), so the sweep lists every
trial. Events go to ``on_event`` on the slot threads: :class:`TrialStarted`, each trial's session
events (:class:`TrialEvent`: steps for live curves), and :class:`TrialEnded`.
"""
from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Callable

from ..experiment.setting_labels import value_words
from ..runs import RunRecord, RunStatus, RunStore, SweepTag
from ..runs.names import printable
from ..session import RunEnded, RunStarted, StepsTaken
from ..training.trainer import model_key
from ..files import error_text
from .executors import Attempt, AttemptResult, TrialExecutor, TrialRequest
from .recorder import TrialRecorder
from .spec import SweepMethod, SweepSpec, Trial

RETRIES = 1     # a trial whose process was lost is tried this many more times
NOT_STARTED = "the sweep was stopped before this trial started"


def new_sweep_id() -> str:
    return f"sweep-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


class TrialState(StrEnum):
    PENDING = "pending"      # not started (a stopped sweep leaves the rest pending, each saved as a stopped run)
    RUNNING = "running"
    ENDED = "ended"          # its run reached a final status (see the record)


@dataclass
class TrialOutcome:
    trial: Trial
    state: TrialState = TrialState.PENDING
    record: RunRecord | None = None     # the stored run (its last attempt's; a stopped sweep's unstarted trial's)
    attempts: int = 0
    steps: int = 0                       # steps taken so far (live)

    @property
    def status(self) -> RunStatus | None:
        return self.record.status if self.record is not None else None


@dataclass(frozen=True)
class TrialStarted:
    sweep_id: str
    outcome: TrialOutcome


@dataclass(frozen=True)
class TrialEvent:
    """A session event of a trial's run (RunStarted, StepsTaken, RunEnded...), as a job sends them."""

    sweep_id: str
    trial_index: int
    event: object


@dataclass(frozen=True)
class TrialEnded:
    sweep_id: str
    outcome: TrialOutcome


@dataclass(frozen=True)
class SavingUnstarted:
    """A stopped sweep is about to save the ``count`` trials it had not started as stopped runs."""

    sweep_id: str
    count: int


@dataclass
class SweepResult:
    sweep_id: str
    spec: SweepSpec
    outcomes: list[TrialOutcome] = field(default_factory=list)
    stopped: bool = False

    def ranked(self) -> list[TrialOutcome]:
        """Trials by the spec's metric, best first; those without a value last (in trial order)."""
        metric = self.spec.metric
        sign = -1 if metric.higher_is_better else 1

        def key(outcome: TrialOutcome):
            value = metric.of(outcome.record)
            return (value is None, 0.0 if value is None else sign * value, outcome.trial.index)
        return sorted(self.outcomes, key=key)



class _TrialSource:
    """The trials to run, handed to the slot threads one at a time (thread-safe), grouped by model
    (:func:`model_key`: a slot reuses the compiled functions of the model it trained last). A slot gets a trial of
    its last model while one is left; else one of the model the fewest slots are on, the most trials left first, so
    that two slots start on two models (each compiles its own) rather than both compiling the same one and then the
    other."""

    def __init__(self, trials: list[Trial]):
        self._groups: dict[str, deque[Trial]] = {}
        for trial in trials:
            self._groups.setdefault(model_key(trial.settings), deque()).append(trial)
        self._slots_on = dict.fromkeys(self._groups, 0)   # per model: the slots whose last trial was of it
        self._lock = threading.Lock()

    def next(self, last: Trial | None = None) -> Trial | None:
        with self._lock:
            key = model_key(last.settings) if last is not None else None
            if key is not None:
                self._slots_on[key] -= 1
            if key is None or not self._groups[key]:
                left = [name for name, group in self._groups.items() if group]
                if not left:
                    return None
                key = min(left, key=lambda name: (self._slots_on[name], -len(self._groups[name])))
            self._slots_on[key] += 1
            return self._groups[key].popleft()

    def tell(self, outcome: TrialOutcome) -> None:
        """A trial ended (a sampler that learns from results hears it)."""


class SweepRunner:
    """Runs ``spec``'s trials through ``executor`` into ``store``; :meth:`run` blocks until every trial has ended or
    the sweep was stopped (and every slot has come back). A slot's failure (a store that cannot be written) stops the
    sweep, and run() raises it once every slot is back; the trials that ended stay in ``outcomes``.

    The trials are built (and each checked: ValueError naming the first invalid one) here, or with ``lazy`` by
    :meth:`run`, on its thread: ten thousand take most of a second, which the window's GUI thread must not spend."""

    def __init__(self, spec: SweepSpec, store: RunStore, executor: TrialExecutor, *, sweep_id: str | None = None,
                 on_event: Callable[[object], None] | None = None, lazy: bool = False):
        spec.validate()
        self.spec, self.store, self.executor = spec, store, executor
        self.sweep_id = sweep_id or new_sweep_id()
        self.on_event = on_event or (lambda event: None)
        self._source = None     # a _TrialSource, or a TpeSource (built with the trials)
        self.outcomes: list[TrialOutcome] = []
        self.total = spec.count()
        if not lazy:
            self._build_trials()
        self._stopped = threading.Event()
        self._stopped_again = threading.Event()   # a second stop(): the unstarted trials are not all saved
        self._running: set[Attempt] = set()
        self._failures: list[Exception] = []     # what ended a slot (the first is raised by run())
        self._lock = threading.Lock()

    def _build_trials(self) -> None:
        """The source of the trials, and an outcome (pending) for each trial known in advance (TPE asks them one by
        one)."""
        if self.spec.method is SweepMethod.TPE:
            from .tpe import TpeSource

            self._source = TpeSource(self.spec)
        else:
            trials = self.spec.expand()
            self._source = _TrialSource(trials)
            self.outcomes = [TrialOutcome(trial) for trial in trials]

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        """End every running trial (saved as stopped) and start no more; callable from any thread, e.g. a signal
        handler. Once the running trials have ended, the unstarted ones are saved as stopped runs (a second stop,
        such as a second Ctrl-C, leaves those not saved yet unsaved)."""
        if self._stopped.is_set():
            self._stopped_again.set()
        self._stopped.set()
        with self._lock:
            running = list(self._running)
        for attempt in running:
            attempt.stop()

    def run(self) -> SweepResult:
        if self._source is None:
            self._build_trials()
        slots = [threading.Thread(target=self._slot, args=(slot,), name=f"kgui-sweep-{slot}", daemon=True)
                 for slot in range(min(self.executor.slots, self.total))]
        for thread in slots:
            thread.start()
        for thread in slots:
            while thread.is_alive():
                thread.join(0.1)   # in slices: the main thread stays free for signal handlers
        if self._failures:
            raise self._failures[0]
        if self.stopped:
            self._save_unstarted()
        return SweepResult(self.sweep_id, self.spec, sorted(self.outcomes, key=lambda o: o.trial.index), self.stopped)

    def _save_unstarted(self) -> None:
        """The trials a stopped sweep had not started, each saved as a stopped run without steps (its outcome stays
        pending): the sweep lists what ran and what was left. TPE's trials are asked one by one: those never asked
        are not known."""
        unstarted = [outcome for outcome in self.outcomes
                     if outcome.state is TrialState.PENDING and outcome.record is None]
        if unstarted and not self._stopped_again.is_set():
            self.on_event(SavingUnstarted(self.sweep_id, len(unstarted)))
        for outcome in unstarted:
            if self._stopped_again.is_set():
                return
            trial = outcome.trial
            record = RunRecord.new(trial.settings, self.trial_name(trial))
            self._tag(trial).apply(record)
            record.status, record.message, record.finished = RunStatus.STOPPED, NOT_STARTED, record.created
            self.store.begin(record).close()
            outcome.record = record

    def _tag(self, trial: Trial) -> SweepTag:
        return SweepTag(self.sweep_id, _json_values(trial.values))

    def _slot(self, slot: int) -> None:
        trial = None
        try:
            while not self.stopped:
                trial = self._source.next(trial)
                if trial is None:
                    return
                outcome = self._outcome(trial)
                self._run_trial(outcome, slot)
                self._source.tell(outcome)
        except Exception as exc:  # noqa: BLE001 - e.g. a store that cannot be written: the sweep ends, run() raises it
            with self._lock:
                self._failures.append(exc)
            self.stop()

    def _outcome(self, trial: Trial) -> TrialOutcome:
        with self._lock:
            if trial.index < len(self.outcomes) and self.outcomes[trial.index].trial.index == trial.index:
                return self.outcomes[trial.index]     # built in advance, in trial order
            outcome = TrialOutcome(trial)
            self.outcomes.append(outcome)
            return outcome

    def trial_name(self, trial: Trial) -> str:
        """Its values in words first ("Learning rate 0.1 · Adam · Seed 1"), then its sweep and number (which keeps
        the names unique): a name cut short in the runs table or a legend still tells the trials apart (the sweep's
        26-letter id came first, the same in every row). Printable: it is written into run.json as it is."""
        values = " · ".join(value_words(name, trial.settings) for name in trial.values)
        return printable(f"{values} · {self.spec.name or self.sweep_id} #{trial.index + 1}")

    def _run_trial(self, outcome: TrialOutcome, slot: int) -> None:
        outcome.state = TrialState.RUNNING
        self.on_event(TrialStarted(self.sweep_id, outcome))
        trial = outcome.trial
        request = TrialRequest(trial.settings, self.trial_name(trial), self._tag(trial), self.store)
        lost_cause = ""   # why the first attempt was lost, once it has been
        while True:
            outcome.attempts += 1
            recorder = None if self.executor.writes_runs else TrialRecorder(self.store, request)

            def sink(event, recorder=recorder) -> None:
                if recorder is not None:
                    recorder.handle(event)
                    outcome.steps = recorder.steps
                    if isinstance(event, RunStarted):
                        outcome.record = recorder.record
                elif isinstance(event, RunStarted):
                    outcome.record = event.run
                elif isinstance(event, StepsTaken):
                    outcome.steps += len(event.steps)
                self.on_event(TrialEvent(self.sweep_id, trial.index, event))

            attempt = self.executor.start(request, slot, sink)
            with self._lock:
                self._running.add(attempt)
            if self.stopped:
                attempt.stop()
            try:
                result = attempt.wait()
            except Exception as exc:  # noqa: BLE001 - an executor's failure ends this trial, not the sweep
                result = AttemptResult(None, lost=True, cause=error_text(exc) if isinstance(
                    exc, (OSError, ValueError)) else f"{type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._running.discard(attempt)
            retry = result.lost and not self.stopped and outcome.attempts <= RETRIES
            if retry:
                lost_cause = result.cause or "its process was lost"
            if recorder is not None:
                if retry:
                    recorder.discard()
                    continue
                record = recorder.record if recorder.ended else recorder.fail(
                    result.cause or "the trial ended without a result")
            else:
                record = result.record
                if retry:
                    self._discard(record)
                    outcome.steps = 0
                    continue
                record = self._kept(record, request, result.cause)
            if lost_cause and record.status == RunStatus.FAILED:
                record = self._say_retried(record, lost_cause)
            outcome.record, outcome.steps = record, len(record.history) or record.summary.steps
            outcome.state = TrialState.ENDED
            self.on_event(TrialEnded(self.sweep_id, outcome))
            return

    def _say_retried(self, record: RunRecord, lost_cause: str) -> RunRecord:
        """A trial failed on its retry: its run's message says so, and why the first attempt was lost."""
        message = retried_message(record.message, lost_cause)
        try:
            self.store.set_message(record.id, message)
        except (OSError, ValueError, LookupError):
            pass   # the run keeps its own message; the sweep's outcome still says it was retried
        record.message = message
        return record

    def _discard(self, record: RunRecord | None) -> None:
        """A lost attempt's run, removed before the trial is tried again (one run per trial)."""
        if record is not None and self.store.exists(record.id):
            try:
                self.store.delete(record.id)
            except OSError:
                pass   # still locked by a process not quite gone: it lists as the failed attempt it was

    def _kept(self, record: RunRecord | None, request: TrialRequest, cause: str) -> RunRecord:
        """The trial's run as stored; one that ended before its first step (nothing written) is written now, so the
        sweep lists every trial it ran, with its status and message."""
        if record is not None and self.store.exists(record.id):
            return record
        recorder = TrialRecorder(self.store, request)
        if record is None:
            return recorder.fail(cause or "the trial ended without a result")
        recorder.handle(RunEnded(record))
        return recorder.record


def retried_message(cause: str, lost_cause: str) -> str:
    """The message of a trial that failed after a retry: "the engine process crashed: signal 9, again after a
    retry" (the first attempt's cause in brackets when it differs)."""
    cause = cause or "the trial ended without a result"
    if cause == lost_cause:
        return f"{cause}, again after a retry"
    return f"{cause}, after a retry (the first attempt: {lost_cause})"


def _json_values(values: dict) -> dict:
    return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()}
