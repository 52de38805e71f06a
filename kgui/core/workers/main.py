"""The worker process: runs session Jobs for the parent that started it, one at a time, exactly as in-process.

Started as ``python -P -c BOOTSTRAP <folder holding kgui> [--engine=NAME] <fd>`` (:mod:`.launch`), or ``python -m
kgui.core.workers <fd>``: ``fd`` is its end of a socket pair, wrapped in a :mod:`multiprocessing.connection`
Connection. It says :class:`Hello` (and with ``--engine`` starts importing that engine on a thread of its own, which
a job that needs it waits for), then its main thread reads commands while a job thread runs the job:

- :class:`RunJob`: a job of a worker-side :class:`Session` (so prepare-ahead and trainer reuse work as in the
  window), whose events go to the parent unchanged as they come (steps batched by the job itself).
- :class:`Prepare`: that session's ``prepare_ahead``; the next RunJob on the same preparation takes its trainer.
- a job command: ``command.apply(job.control)``.
- :class:`Shutdown`, or the end of the connection (the parent is gone): stop the job, wait for it to write its
  run's end (at most ``QUIT_WAIT_S``), and exit.

The worker writes its runs' folders (the one writer); its parent never does while the worker lives.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection

from ..runs import RunStore
from ..session import JobEnded, RunEnded, RunStarted, Session, StepsTaken
from .launch import ENGINE_OPTION
from .protocol import Hello, JobEndedWithRun, Prepare, RunJob, Shutdown, StepRows

QUIT_WAIT_S = 1.0   # on Shutdown, the running job gets this long to end its run and write it


class Worker:
    """The worker's state: its session (one per run store) and the job running, if any."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.session: Session | None = None
        self.job = None
        self.thread: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self._state = threading.Lock()   # the session's state: changed by the main thread and at a job's end
        self._last_ended: str | None = None   # the id of the run the running job's last RunEnded carried
        self._keeps_dataset = True   # a sweep's trial's RunStarted leaves its dataset here: nobody there draws it

    def send(self, message) -> None:
        with self._send_lock:
            try:
                self.connection.send(message)
            except OSError:
                pass   # the parent is gone: the main thread reads the end of the connection and quits

    def _session_for(self, store_root: str | None) -> Session:
        if self.session is None or (store_root is not None and str(self.session.store.root) != store_root):
            if self.session is not None:
                self.session.close(0.0)
            self.session = Session(RunStore(store_root))
        return self.session

    def _sink(self, event) -> None:
        if type(event) is StepsTaken:
            self.send(StepRows.of(event))
            return
        if isinstance(event, RunStarted) and not self._keeps_dataset:
            event = dataclasses.replace(event, dataset=None)   # Otto's would cross the pipe as ~23 MB a trial
        elif isinstance(event, RunEnded):
            self._last_ended = event.run.id
        elif isinstance(event, JobEnded):
            with self._state:
                self.session.handle(event)   # the job ends here too: its trainer is kept for the next run
                self.job = None
            event, self._last_ended = JobEndedWithRun.of(event, self._last_ended), None
        self.send(event)

    def handle(self, message) -> None:
        if isinstance(message, RunJob):
            self._run(message)
        elif isinstance(message, Prepare):
            with self._state:
                self._session_for(message.store_root).prepare_ahead(message.settings)
        elif hasattr(message, "apply"):
            job = self.job
            if job is not None:
                try:
                    message.apply(job.control)
                except ValueError:
                    pass   # the parent checked it already (a rate that is not positive...)

    def _run(self, request: RunJob) -> None:
        options = request.options
        with self._state:
            if self.job is not None:
                self.send(JobEnded(request.kind, None, "the engine process is busy with another job"))
                return
            session = self._session_for(options.store_root)
            self._keeps_dataset = options.sweep is None
            try:
                self.job = session.new_job(request.kind, request.settings, paused=options.paused, sink=self._sink,
                                           name=request.name, batch_s=options.batch_s,
                                           confusion_s=options.confusion_s, surface_s=options.surface_s,
                                           layer_stats_s=options.layer_stats_s,
                                           layer_stats_every=options.layer_stats_every, sweep=options.sweep,
                                           engines=options.engines, rate_range=options.rate_range)
            except (ValueError, LookupError) as exc:
                self.send(JobEnded(request.kind, None, str(exc)))
                return
        self.thread = threading.Thread(target=self.job.run, name="kgui-job", daemon=True)
        self.thread.start()

    def quit(self) -> None:
        """Stop the job, give it ``QUIT_WAIT_S`` to write its run's end, and exit at once (an engine's exit
        handlers may hang)."""
        job, thread = self.job, self.thread
        if job is not None:
            job.control.stop()
        if thread is not None:
            thread.join(QUIT_WAIT_S)
        if self.session is not None:
            self.session.close(0.2)
        try:
            sys.stderr.flush()
            sys.stdout.flush()
        finally:
            os._exit(0)


def _import_ahead(engine: str) -> None:
    """Import ``engine`` (and compile its first function) before a job asks for it; a job that does waits for this.
    A name that is no engine, or one that fails to import, is left for the job to report."""
    from ..training import engines

    try:
        engines.load(engine)
    except Exception:  # noqa: BLE001 - the job's own import says what is wrong
        pass


def serve(connection: Connection, engine_ahead: str | None = None) -> None:
    worker = Worker(connection)
    worker.send(Hello.here())
    if engine_ahead:
        threading.Thread(target=_import_ahead, args=(engine_ahead,), name="kgui-engine-import", daemon=True).start()
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            worker.quit()   # the parent is gone
        if isinstance(message, Shutdown):
            worker.quit()
        worker.handle(message)


def main() -> None:
    """Serve the connection on the descriptor named by the last argument; import the engine ``--engine=`` names."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C reaches the parent, which stops the job
    fd = int(sys.argv[-1])
    os.set_inheritable(fd, False)   # no process this one starts may keep the connection open after it dies
    ahead = next((word[len(ENGINE_OPTION):] for word in sys.argv[1:-1] if word.startswith(ENGINE_OPTION)), None)
    serve(Connection(fd), ahead)
