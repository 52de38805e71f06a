"""Worker processes kept for reuse: one job at a time each, reused for the next job on the same engine.

- :meth:`WorkerPool.acquire` hands out an idle worker, best first: one prepared for the same experiment (it
  takes the prepared trainer, or the ended run's), then one that has imported the same engine, then a fresh
  one; else it starts one. At ``max_workers`` it kills the idle worker used longest ago, or waits for one.
- :meth:`WorkerPool.prepare` prepares an experiment ahead in a warm idle worker.
- Recycling: a worker idle for ``idle_s`` is stopped (a reaper thread checks), and so is one whose memory has grown
  by ``rss_growth`` bytes since its first job ended (each compile leaves memory behind in the engines). A worker
  that died is dropped; the next job gets a fresh one.
- :meth:`WorkerPool.shutdown` stops every worker within its timeout and leaves no process.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from kgui import backend

from ..session import JobKind
from ..experiment.settings import ExperimentSettings
from ..training.trainer import same_preparation
from .launch import Launched, close_all
from .process import WorkerProcess
from .protocol import Prepare, Shutdown

IDLE_S = 300.0                 # an idle worker is stopped after this long
RSS_GROWTH = 1 << 30           # a worker whose memory grew by this much since its first job is replaced
KILL_MARGIN_S = 0.3            # shutdown kills the workers still alive this long before its timeout
WAIT_POLL_S = 0.1              # acquire() waiting for a busy worker checks ``should_stop`` this often


def engine_of(settings: ExperimentSettings) -> str:
    return backend.canonical_id(settings.backend)


@dataclass(eq=False)
class _Slot:
    process: WorkerProcess
    engine: str | None = None                     # the engine it has imported (None: none yet)
    prepared: ExperimentSettings | None = None    # what it has prepared, or last trained (reusable)
    store_root: str | None = None
    busy: bool = False
    idle_since: float = field(default_factory=time.monotonic)
    baseline_rss: int | None = None               # its memory after its first job

    def fits(self, settings: ExperimentSettings, store_root: str | None) -> bool:
        return (self.prepared is not None and self.store_root == store_root
                and same_preparation(self.prepared, settings))


class WorkerPool:
    """At most ``max_workers`` worker processes (default: the number of cores, at least 2), each started ``nice``
    steps below its parent's priority (the window: its GUI thread gets a CPU first), its session ``group_nice``
    (Linux's autogroup: against the window's process, and every other session's). ``launched``: processes the caller
    started already (:mod:`.launch`), taken as the first workers; those beyond ``max_workers``, or never needed, are
    ended (at once, or at :meth:`shutdown`)."""

    def __init__(self, max_workers: int | None = None, idle_s: float = IDLE_S, rss_growth: int = RSS_GROWTH,
                 nice: int = 0, group_nice: int = 0, launched: Sequence[Launched] = ()):
        self.max_workers = max_workers or max(2, os.cpu_count() or 1)
        self.idle_s, self.rss_growth, self.nice, self.group_nice = idle_s, rss_growth, nice, group_nice
        self._launched = list(launched[:self.max_workers])   # started by the caller already: the first workers
        close_all(launched[self.max_workers:])
        self._slots: list[_Slot] = []
        self._changed = threading.Condition()
        self._closed = False
        self._reaper = threading.Thread(target=self._reap, name="kgui-worker-reaper", daemon=True)
        self._reaper.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()

    @property
    def processes(self) -> list[WorkerProcess]:
        """The workers alive now."""
        with self._changed:
            return [slot.process for slot in self._slots]

    # -- handing out ---------------------------------------------------------------------------------------------------

    def acquire(self, settings: ExperimentSettings, store_root: str | None = None,
                should_stop: Callable[[], bool] | None = None) -> WorkerProcess | None:
        """A worker for a job on ``settings``, reserved until :meth:`release`; None when ``should_stop()`` became
        true while every worker was busy. RuntimeError once the pool is shut down."""
        engine = engine_of(settings)
        while True:
            retired = []
            with self._changed:
                if self._closed:
                    raise RuntimeError("the worker pool is shut down")
                self._drop_dead()
                idle = [slot for slot in self._slots if not slot.busy]
                slot = (next((s for s in idle if s.fits(settings, store_root)), None)
                        or next((s for s in idle if s.engine == engine), None)
                        or next((s for s in idle if s.engine is None), None))
                if slot is None and len(self._slots) >= self.max_workers and idle:
                    retired.append(min(idle, key=lambda s: s.idle_since))
                    self._slots.remove(retired[0])
                if slot is None and len(self._slots) < self.max_workers:
                    slot = self._start()
                if slot is not None:
                    slot.busy = True
                    slot.engine = engine
                    return_process = slot.process
                else:
                    return_process = None
                    if not retired:
                        self._changed.wait(WAIT_POLL_S)
            for old in retired:
                old.process.kill()
            if return_process is not None:
                return return_process
            if should_stop is not None and should_stop():
                return None

    def release(self, process: WorkerProcess, kind: JobKind | None = None,
                settings: ExperimentSettings | None = None, store_root: str | None = None) -> None:
        """``process`` is idle again, after a ``kind`` job on ``settings`` (a training run's worker keeps its
        trainer for the next run of the same experiment). A dead worker is dropped, a grown one retired."""
        retire = False
        with self._changed:
            slot = self._slot_of(process)
            if slot is None:
                return
            slot.busy, slot.idle_since = False, time.monotonic()
            slot.prepared = settings if kind is JobKind.TRAINING else None
            slot.store_root = store_root
            rss = process.rss_bytes()
            if slot.baseline_rss is None:
                slot.baseline_rss = rss
            elif rss is not None and rss - slot.baseline_rss > self.rss_growth:
                retire = True
            if retire or not process.alive:
                self._slots.remove(slot)
            self._changed.notify_all()
        if retire:
            process.stop(1.0)

    def prepare(self, settings: ExperimentSettings, store_root: str | None = None) -> WorkerProcess | None:
        """Prepare ``settings`` ahead in an idle worker (one already on that engine, else a fresh one); the next
        :meth:`acquire` for them hands it out. None when every worker is busy."""
        engine = engine_of(settings)
        retired = None
        with self._changed:
            if self._closed:
                return None
            self._drop_dead()
            idle = [slot for slot in self._slots if not slot.busy]
            slot = next((s for s in idle if s.fits(settings, store_root)), None)
            if slot is not None:
                return slot.process
            slot = (next((s for s in idle if s.engine == engine), None)
                    or next((s for s in idle if s.engine is None), None))
            if slot is None and len(self._slots) >= self.max_workers and idle:
                retired = min(idle, key=lambda s: s.idle_since)
                self._slots.remove(retired)
            if slot is None and len(self._slots) < self.max_workers:
                slot = self._start()
            if slot is not None:
                slot.engine, slot.prepared, slot.store_root = engine, settings, store_root
                slot.idle_since = time.monotonic()
                slot.process.send(Prepare(settings, store_root))
        if retired is not None:
            retired.process.kill()
        return slot.process if slot is not None else None

    # -- the processes -------------------------------------------------------------------------------------------------

    def _start(self) -> _Slot:
        """Under the lock."""
        launched = self._launched.pop(0) if self._launched else None
        slot = _Slot(WorkerProcess(self.nice, self.group_nice, launched))
        self._slots.append(slot)
        return slot

    def _slot_of(self, process: WorkerProcess) -> _Slot | None:
        return next((slot for slot in self._slots if slot.process is process), None)

    def _drop_dead(self) -> None:
        """Under the lock: forget idle workers that have died (a busy one's job sees it die)."""
        self._slots = [slot for slot in self._slots if slot.busy or slot.process.alive]

    def _reap(self) -> None:
        """Stop workers idle for ``idle_s``."""
        while True:
            with self._changed:
                self._changed.wait(min(5.0, self.idle_s / 4))
                if self._closed:
                    return
                now = time.monotonic()
                expired = [slot for slot in self._slots if not slot.busy and now - slot.idle_since >= self.idle_s]
                for slot in expired:
                    self._slots.remove(slot)
                self._drop_dead()
            for slot in expired:
                slot.process.stop(1.0)

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Stop every worker (a running job's run ends as stopped, written by its worker) and wait; those still
        alive after ``timeout_s`` minus a margin are killed. True when no worker process is left."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            self._closed = True
            slots, self._slots = self._slots, []
            unused, self._launched = self._launched, []
            self._changed.notify_all()
        close_all(unused)
        for slot in slots:   # every worker is told first, then they stop in parallel
            slot.process.send(Shutdown())
        for slot in slots:
            slot.process.wait(max(0.0, deadline - KILL_MARGIN_S - time.monotonic()))
        for slot in slots:
            if slot.process.alive:
                slot.process.kill()
        self._reaper.join(0.2)
        return not any(slot.process.alive for slot in slots)
