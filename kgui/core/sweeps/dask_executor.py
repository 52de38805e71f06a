"""Trials on a Dask distributed cluster (``--cluster tcp://HOST:8786``; the ``cluster`` extra).

Each attempt is one Dask task, :func:`train_trial`, that runs the trial's training job in the Dask worker's process
exactly as a local worker would (no store there). While it trains it sends the run's start and its steps back
through a Dask ``Queue`` (one per slot of the caller, deleted at the sweep's end), from a thread of its own every
``STEPS_EVERY_S``, and it returns the final run as JSON with the steps it did not send; the caller's runner writes the
run into its own store (one writer per run). A trial shorter than ``STEPS_EVERY_S`` sends nothing while it trains:
each message is a round trip through the scheduler, which on a loaded machine costs more than such a trial. Steps
cross as JSON lists of their fields (NaN and infinities kept), each checked when read. Stop sets the attempt's Dask
``Event``; the task watches it and stops its run between two steps. Each Dask worker thread keeps its last trainer,
so the next trial of the same model reuses its compiled functions (:mod:`kgui.dask_worker`, a worker preload,
imports the engines before the first trial).

The cluster runs the code it is sent: connect only to a scheduler you trust (as with any Dask cluster).
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import operator
import socket
import threading
import uuid

from ..runs import FINAL_STATUSES, RunRecord, RunStatus, StepRecord
from ..runs.json_values import integer, number, optional_number, short
from ..session import Job, JobKind, Preparation, RunEnded, RunStarted, StepsTaken
from ..experiment.settings import ExperimentSettings
from ..training.trainer import reusable_model
from ..training.training_control import TrainingControl
from .executors import AttemptResult, Sink, TrialRequest

CONNECT_TIMEOUT_S = 10.0
REFUSED_AFTER_S = 0.2   # a handshake not done by then: whether anything listens at the address is asked
POLL_S = 0.1            # the caller drains a task's events this often while it runs
STEPS_EVERY_S = 0.25    # a task sends its steps at most this often
STOP_POLL_S = 0.25      # a task looks at its stop event this often
SCHEDULER_LOST = "the connection to the Dask scheduler was lost"
PUT_TIMEOUT_S = 30.0    # a task gives up sending its events after this long (the scheduler is gone)

_kept = threading.local()   # per Dask worker thread: the last ended trainer


_STEP_FIELDS = tuple(field.name for field in dataclasses.fields(StepRecord))
_step_row = operator.attrgetter(*_STEP_FIELDS)   # a step as it crosses: its fields, in order


def _step_from_row(row) -> StepRecord:
    """A step that came back (see :data:`_step_row`), each field checked; ValueError naming what is wrong."""
    if not isinstance(row, list) or len(row) != len(_STEP_FIELDS):
        raise ValueError(f"a step must be a list of its {len(_STEP_FIELDS)} fields, got {short(row)}")
    step, train_loss, val_loss, accuracy, rate, elapsed, step_ms, params = row
    if not isinstance(params, dict):
        raise ValueError(f"a step's params must be a JSON object, got {short(params)}")
    return StepRecord(integer(step, "step"), number(train_loss), optional_number(val_loss),
                      optional_number(accuracy), number(rate), number(elapsed), number(step_ms),
                      {str(name): number(value) for name, value in params.items()})


def _record_json(record: RunRecord) -> dict:
    return record.to_dict(with_history=False)


def _record_from(data: dict) -> RunRecord:
    return RunRecord.from_dict(data, run_id=data["id"])


class _Sender:
    """A task's live events on their way to the caller's queue, from a thread of their own, so that training never
    waits for the scheduler: batched every ``STEPS_EVERY_S``, the first batch after the task has run that long (a
    shorter trial sends nothing: its result carries its whole run)."""

    def __init__(self, client, queue_name: str, attempt: str):
        self.client, self.queue_name, self.attempt = client, queue_name, attempt
        self.sent = 0                 # batches put on the queue
        self.steps_sent = 0           # the steps in them
        self._pending: list = []      # a RunStarted's record as JSON, or a list of steps (made rows when sent)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kgui-dask-events", daemon=True)
        self._thread.start()

    def add(self, message) -> None:
        with self._lock:
            self._pending.append(message)

    def _run(self) -> None:
        while not self._closed.wait(STEPS_EVERY_S):
            with self._lock:
                batch, self._pending = self._pending, []
            if batch:
                events = [{"steps": list(map(_step_row, message))} if isinstance(message, list)
                          else {"started": message} for message in batch]
                try:
                    _queue(self.client, self.queue_name).put(json.dumps({"attempt": self.attempt, "events": events}),
                                                             timeout=PUT_TIMEOUT_S)
                except Exception:  # noqa: BLE001 - the scheduler is gone: the caller's wait says so
                    return
                self.sent += 1
                self.steps_sent += sum(len(event["steps"]) for event in events if "steps" in event)

    def close(self) -> int:
        """Stop sending (what is left comes back in the task's result); the number of batches sent."""
        self._closed.set()
        self._thread.join()
        return self.sent


_queues: dict = {}               # per Dask worker process: the latest callers' queues by name (each made once)
_queues_lock = threading.Lock()
KEPT_QUEUES = 32                 # a worker serving sweep after sweep keeps this many


def _queue(client, name: str):
    """The caller's queue ``name``, to put on. The caller owns it: the scheduler deletes a queue once every holder
    has released it, so the worker releases the hold that making its handle took at once (the handle still puts by
    name), and the caller's release at the sweep's end deletes the queue."""
    from distributed import Queue

    with _queues_lock:
        if name not in _queues:
            if len(_queues) >= KEPT_QUEUES:
                del _queues[next(iter(_queues))]   # the oldest
            queue = Queue(name, client=client)
            queue.close()
            _queues[name] = queue
        return _queues[name]


def train_trial(settings_json: str, stop_name: str, queue_name: str, attempt: str) -> str:
    """The Dask task: train one trial here, send its start and steps to ``queue_name`` while it trains (tagged with
    ``attempt``), stop when ``stop_name`` is set; returns, as JSON, the final run (without history), the steps not
    sent, and the number of batches and of steps sent."""
    from distributed import Event, get_client

    settings = ExperimentSettings.from_json(settings_json)
    control = TrainingControl()
    client = get_client()   # the worker's client, found from the task's thread only: given to the other threads
    stop = Event(stop_name, client=client)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if stop.wait(STOP_POLL_S):
                control.stop()
                return

    watcher = threading.Thread(target=watch, name="kgui-dask-stop", daemon=True)
    watcher.start()
    sender = _Sender(client, queue_name, attempt)

    def sink(event) -> None:
        if isinstance(event, RunStarted):
            sender.add(_record_json(event.run))
        elif isinstance(event, StepsTaken):
            sender.add(event.steps)

    kept = getattr(_kept, "trainer", None)
    _kept.trainer = None
    job = Job(JobKind.TRAINING, settings, None, sink=sink, control=control, batch_s=STEPS_EVERY_S)
    job.preparation = Preparation(settings, None, reuse=kept if kept is not None
                                  and reusable_model(kept.settings, settings) else None)
    try:
        job.run()
    finally:
        done.set()
        sent = sender.close()
    trainer = job.trainer
    if trainer is not None and trainer.model is not None and trainer.record.status in FINAL_STATUSES \
            and trainer.record.status != RunStatus.FAILED:
        _kept.trainer = trainer
    if not isinstance(job.result, RunRecord):
        raise RuntimeError(job.error or "the trial ended without a run")
    return json.dumps({"run": _record_json(job.result), "sent": sent, "steps_sent": sender.steps_sent,
                       "steps": list(map(_step_row, job.result.history[sender.steps_sent:]))})


class _DaskAttempt:
    def __init__(self, client, settings: ExperimentSettings, queue, sink: Sink):
        from distributed import Event

        self.name = uuid.uuid4().hex
        self.client, self.sink, self.queue = client, sink, queue
        self.run_id = ""
        self.received = 0   # this attempt's batches taken from the queue
        self.steps: list[StepRecord] = []   # the steps in them
        self._stopped = False
        self.stop_event = Event(f"kgui-stop-{self.name}", client=client)
        self._done = threading.Event()
        self.future = client.submit(train_trial, settings.to_json(), self.stop_event.name, queue.name, self.name,
                                    pure=False, key=f"kgui-trial-{self.name}")
        self.future.add_done_callback(lambda future: self._done.set())

    def stop(self) -> None:
        self._stopped = True
        try:
            self.stop_event.set()
        except Exception:  # noqa: BLE001 - the scheduler is gone: wait() ends the attempt
            pass

    def _forget_stop(self) -> None:
        """The task is over: a stop event that was set is cleared, which deletes it on the scheduler (one never set
        is not kept there)."""
        if self._stopped:
            try:
                self.stop_event.clear()
            except Exception:  # noqa: BLE001 - the scheduler is gone, and the event with it
                pass

    def _drain(self) -> None:
        try:
            batches = self.queue.get(batch=True)
        except Exception:  # noqa: BLE001 - the queue is gone with the scheduler: the result says the rest
            return
        for text in batches:
            batch = json.loads(text)
            if batch["attempt"] != self.name:
                continue   # left by an earlier attempt of this slot whose worker died
            self.received += 1
            for message in batch["events"]:
                if "started" in message:
                    record = _record_from(message["started"])
                    self.run_id = record.id
                    self.sink(RunStarted(record, None))
                else:
                    steps = [_step_from_row(row) for row in message["steps"]]
                    self.steps += steps
                    self.sink(StepsTaken(self.run_id, steps))

    def wait(self) -> AttemptResult:
        while not self._done.wait(POLL_S):   # at once when the task ends, not at the next poll
            if self.client.status != "running":   # reconnecting, or given up: the task's future may never end
                return AttemptResult(None, cause=SCHEDULER_LOST)
            self._drain()
        self._forget_stop()
        try:
            result = json.loads(self.future.result())
            final = _record_from(result["run"])
            tail = [_step_from_row(row) for row in result["steps"]]
        except Exception as exc:  # noqa: BLE001 - a lost worker, a task error: the trial is tried again
            if self.future.cancelled() or self.client.status != "running":   # Dask cancels them all then
                return AttemptResult(None, cause=SCHEDULER_LOST)   # no retry: it would replace the steps kept
            return AttemptResult(None, lost=True, cause=f"the Dask task failed: {type(exc).__name__}: {exc}")
        if self.received < result["sent"]:   # the task sent them all before it returned
            self._drain()
        if len(self.steps) != result["steps_sent"]:
            return AttemptResult(None, lost=True, cause="the steps the Dask task sent while it trained did not all "
                                                        "come back")
        final.history = self.steps + tail
        self.sink(RunEnded(final))
        return AttemptResult(final)


async def _refuse_a_closed_port(address: str) -> None:
    """ConnectionRefusedError when nothing listens at a ``tcp://`` ``address`` (Dask's own connect tries a refused
    port again and again until its timeout, ``CONNECT_TIMEOUT_S``): at every address its host name stands for
    (``localhost`` is often ::1 and 127.0.0.1, where asyncio's connect raises one OSError of both refusals). Any
    other address or failure is left to Dask."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        return   # malformed, or without a port: Dask's connect says what is wrong
    if scheme != "tcp":
        return

    async def each_refuses() -> bool:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for ip in dict.fromkeys(info[4][0] for info in found):
            try:
                _, writer = await asyncio.open_connection(ip, port)
            except ConnectionRefusedError:
                continue
            writer.close()
            return False
        return bool(found)

    if await asyncio.wait_for(each_refuses(), CONNECT_TIMEOUT_S):
        raise ConnectionRefusedError(f"nothing listens at {address}")


def _check_scheduler(address: str) -> None:
    """OSError in one line unless a Dask scheduler answers Dask's handshake at ``address`` within
    ``CONNECT_TIMEOUT_S``. A Client waits forever for the handshake of a server that is not Dask (an HTTP server, any
    open port), and one made from a malformed address leaves a close that times out later; this checks first."""
    from distributed.comm import connect

    async def handshake() -> None:
        attempt = asyncio.ensure_future(connect(address, timeout=CONNECT_TIMEOUT_S))
        done, _ = await asyncio.wait({attempt}, timeout=REFUSED_AFTER_S)
        if not done:   # a scheduler answers at once; is anything listening at all? (asked only now: a scheduler
            try:       # logs a connection closed before its handshake)
                await _refuse_a_closed_port(address)
            except ConnectionRefusedError:
                attempt.cancel()
                raise
            except (OSError, asyncio.TimeoutError):
                pass   # Dask's connect says what is wrong
        comm = await asyncio.wait_for(attempt, CONNECT_TIMEOUT_S + 1)
        await comm.close()

    failure: list[str] = []

    def probe() -> None:   # a thread of its own: the caller may be inside a running event loop (a notebook)
        try:
            asyncio.run(handshake())
        except ConnectionRefusedError:
            failure.append("nothing listens there (connection refused)")
        except (asyncio.TimeoutError, TimeoutError):
            failure.append(f"no Dask scheduler answered within {CONNECT_TIMEOUT_S:g} s (is it one?)")
        except (OSError, ValueError, TypeError) as exc:
            failure.append(str(exc) or type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - whatever a non-Dask server's bytes make Dask's reader raise
            failure.append(f"the server there does not speak Dask ({type(exc).__name__})")

    thread = threading.Thread(target=probe, name="kgui-dask-probe", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise OSError(f"cannot reach the Dask scheduler at {address}: {failure[0]}")


class DaskExecutor:
    """Trials as tasks on the Dask scheduler at ``address``; as many at once as the cluster has worker threads."""

    writes_runs = False   # the runner writes each run from the events that come back

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise ImportError("a sweep on a Dask cluster needs dask[distributed]: pip install 'kgui[cluster]'") \
                from None
        _check_scheduler(address)
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise OSError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.slots = sum(self.client.nthreads().values())
        self._queues: dict[int, object] = {}
        if not self.slots:
            self.client.close()
            raise ValueError(f"the Dask scheduler at {address} has no workers: start some with "
                             f"dask worker {address}")

    def start(self, request: TrialRequest, slot: int, sink: Sink) -> _DaskAttempt:
        from distributed import Queue

        if self.client.status != "running":
            raise OSError(SCHEDULER_LOST)
        if slot not in self._queues:   # one queue a slot (its attempts come one after another), made once
            self._queues[slot] = Queue(f"kgui-events-{uuid.uuid4().hex}", client=self.client)
        return _DaskAttempt(self.client, request.settings, self._queues[slot], sink)

    def shutdown(self, timeout_s: float = 2.0) -> None:
        """Release this sweep's queues (the scheduler deletes them: the workers hold none) and disconnect."""
        for queue in self._queues.values():
            try:
                queue.close()
            except Exception:  # noqa: BLE001 - the scheduler is gone, and the queue with it
                pass
        self._queues.clear()
        self.client.close(timeout=timeout_s)
