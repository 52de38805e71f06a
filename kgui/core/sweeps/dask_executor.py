"""Trials on a Dask distributed cluster (``--cluster tcp://HOST:8786``; the ``cluster`` extra).

Each attempt is one Dask task, :func:`train_trial`, that runs the trial's training job in the Dask worker's process
exactly as a local worker would (no store there). It sends the run's start and its steps back through a Dask
``Queue`` while it trains, and returns the final run with its whole history as JSON; the caller's runner writes the
run into its own store (one writer per run). Stop sets the attempt's Dask ``Event``; the task watches it and stops
its run between two steps. Each Dask worker thread keeps its last trainer, so the next trial of the same model
reuses its compiled functions.

The cluster runs the code it is sent: connect only to a scheduler you trust (as with any Dask cluster).
"""
from __future__ import annotations

import json
import threading
import time
import uuid

from ..runs import FINAL_STATUSES, RunRecord, RunStatus, StepRecord
from ..session import Job, JobKind, Preparation, RunEnded, RunStarted, StepsTaken
from ..settings import ExperimentSettings
from ..trainer import TrainingControl, reusable_model
from .executors import AttemptResult, Sink, TrialRequest

CONNECT_TIMEOUT_S = 10.0
POLL_S = 0.1            # the caller drains a task's events this often
STEPS_EVERY_S = 0.25    # a task sends its steps at most this often
STOP_POLL_S = 0.25      # a task looks at its stop event this often

_kept = threading.local()   # per Dask worker thread: the last ended trainer


def _record_json(record: RunRecord, with_history: bool = False) -> dict:
    return record.to_dict(with_history=with_history)


def _record_from(data: dict) -> RunRecord:
    history = [StepRecord.from_dict(step) for step in data.get("history", [])]
    return RunRecord.from_dict({key: value for key, value in data.items() if key != "history"}, history,
                               run_id=data["id"])


def train_trial(settings_json: str, stop_name: str, queue_name: str) -> str:
    """The Dask task: train one trial here, stream its start and steps to ``queue_name``, stop when ``stop_name``
    is set; returns the final run (with history) as JSON."""
    from distributed import Event, Queue

    settings = ExperimentSettings.from_json(settings_json)
    control = TrainingControl()
    stop, queue = Event(stop_name), Queue(queue_name)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if stop.wait(STOP_POLL_S):
                control.stop()
                return

    watcher = threading.Thread(target=watch, name="kgui-dask-stop", daemon=True)
    watcher.start()

    def sink(event) -> None:
        if isinstance(event, RunStarted):
            queue.put(json.dumps({"started": _record_json(event.run)}))
        elif isinstance(event, StepsTaken):
            queue.put(json.dumps({"steps": [step.to_dict() for step in event.steps]}))

    kept = getattr(_kept, "trainer", None)
    _kept.trainer = None
    job = Job(JobKind.TRAINING, settings, None, sink=sink, control=control, batch_s=STEPS_EVERY_S)
    job.preparation = Preparation(settings, None, reuse=kept if kept is not None
                                  and reusable_model(kept.settings, settings) else None)
    try:
        job.run()
    finally:
        done.set()
    trainer = job.trainer
    if trainer is not None and trainer.model is not None and trainer.record.status in FINAL_STATUSES \
            and trainer.record.status != RunStatus.FAILED:
        _kept.trainer = trainer
    if not isinstance(job.result, RunRecord):
        raise RuntimeError(job.error or "the trial ended without a run")
    return json.dumps(_record_json(job.result, with_history=True))


class _DaskAttempt:
    def __init__(self, client, settings: ExperimentSettings, sink: Sink):
        from distributed import Event, Queue

        name = uuid.uuid4().hex
        self.sink = sink
        self.run_id = ""
        self.stop_event = Event(f"kgui-stop-{name}", client=client)
        self.queue = Queue(f"kgui-events-{name}", client=client)
        self.future = client.submit(train_trial, settings.to_json(), self.stop_event.name, self.queue.name,
                                    pure=False, key=f"kgui-trial-{name}")

    def stop(self) -> None:
        self.stop_event.set()

    def _drain(self) -> None:
        while True:
            try:
                messages = self.queue.get(batch=True)
            except Exception:  # noqa: BLE001 - the queue is gone with the scheduler: the result says the rest
                return
            if not messages:
                return
            for text in messages:
                message = json.loads(text)
                if "started" in message:
                    record = _record_from(message["started"])
                    self.run_id = record.id
                    self.sink(RunStarted(record, None))
                else:
                    self.sink(StepsTaken(self.run_id, [StepRecord.from_dict(step) for step in message["steps"]]))

    def wait(self) -> AttemptResult:
        while not self.future.done():
            self._drain()
            time.sleep(POLL_S)
        self._drain()
        try:
            final = _record_from(json.loads(self.future.result()))
        except Exception as exc:  # noqa: BLE001 - a lost worker, a task error: the trial is tried again
            return AttemptResult(None, lost=True, cause=f"the Dask task failed: {type(exc).__name__}: {exc}")
        self.sink(RunEnded(final))
        return AttemptResult(final)


class DaskExecutor:
    """Trials as tasks on the Dask scheduler at ``address``; as many at once as the cluster has worker threads."""

    writes_runs = False   # the runner writes each run from the events that come back

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise ImportError("a sweep on a Dask cluster needs dask[distributed]: pip install 'kgui[cluster]'") \
                from None
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise OSError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.slots = sum(self.client.nthreads().values())
        if not self.slots:
            self.client.close()
            raise ValueError(f"the Dask scheduler at {address} has no workers: start some with "
                             f"dask worker {address}")

    def start(self, request: TrialRequest, slot: int, sink: Sink) -> _DaskAttempt:
        return _DaskAttempt(self.client, request.settings, sink)

    def shutdown(self, timeout_s: float = 2.0) -> None:
        self.client.close(timeout=timeout_s)
