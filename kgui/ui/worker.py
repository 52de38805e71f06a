"""Jobs on a QThread: a training run, a backend comparison or a learning-rate range test.

Each job builds core's objects inside its thread and reports by signals; the GUI thread never
calls into a trainer or an engine. It talks to a job only through the thread-safe
``TrainingControl`` (learning rate, pause, resume, single step, stop), read between two steps.
Steps are sent in batches at most every ``BATCH_MS`` so that a fast engine does not flood the
GUI event queue with one signal per step. Whatever the window shows about the model (the
validation confusion matrix) is computed here, between two steps, and sent as numbers.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import threading
from time import perf_counter, sleep

from PyQt6.QtCore import QObject, QThread, pyqtSignal, pyqtSlot

from kgui.core import lr_finder, metrics
from kgui.core.parity import compare_backends
from kgui.core.runs import RunStore
from kgui.core.settings import ExperimentSettings
from kgui.core.trainer import FINAL_STATUSES, Trainer, TrainingControl

BATCH_MS = 15
CONFUSION_MS = 500       # the confusion matrix is recomputed at most twice a second
GIL_YIELD_S = 0.001     # between two steps a job hands the GIL to the GUI thread, at most once per this
WORKER_NICE = 10         # Linux: raised nice of job threads (and the engine pools they start): the GUI gets a CPU first


def lower_thread_priority() -> None:
    """Let the calling (job) thread give way to the GUI thread when both want a CPU.

    Linux ignores QThread priorities; there a thread's nice value is its own, and threads it starts
    (TensorFlow's pools, the compiler PyTensor runs) inherit it. Elsewhere
    :meth:`WorkerSession.start`'s ``QThread.Priority.LowPriority`` does the job.
    """
    if sys.platform.startswith("linux"):
        try:
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(os.getpriority(os.PRIO_PROCESS, thread) + WORKER_NICE, 19))
        except OSError:  # not permitted in some sandboxes: training still works, the GUI shares the CPU
            pass


class Batcher:
    """Collects items on the job thread and emits them as one list at most every ``BATCH_MS``."""

    def __init__(self, emit):
        self._emit = emit
        self._pending: list = []
        self._last_emit = 0.0

    def add(self, item, force: bool = False) -> None:
        self._pending.append(item)
        now = perf_counter()
        if force or (now - self._last_emit) * 1000 >= BATCH_MS:
            self.flush()
            self._last_emit = now

    def flush(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self._emit(batch)


class Job(QObject):
    """Work that runs once on a worker thread; ``finished`` carries its result, ``failed`` a message."""

    status = pyqtSignal(str)        # engine state: "importing TensorFlow…", "compiling…", "training", …
    finished = pyqtSignal(object)
    failed = pyqtSignal(str)

    def __init__(self, settings: ExperimentSettings, control: TrainingControl):
        super().__init__()
        self.settings = settings
        self.control = control
        self._last_yield = 0.0

    @pyqtSlot()
    def run(self) -> None:
        lower_thread_priority()
        try:
            result = self.work()
        except Exception as exc:  # noqa: BLE001 - shown to the user as a message
            self.failed.emit(str(exc) or type(exc).__name__)
        else:
            self.finished.emit(result)

    def work(self):
        raise NotImplementedError

    def yield_gil(self) -> None:
        """Between two steps: let a GUI thread waiting for the GIL take it now (at most every ``GIL_YIELD_S``).

        Otherwise it waits for Python's 5 ms switch interval each time it gave the GIL away (in NumPy, in
        Qt), and engines whose fast steps are mostly Python (PyTensor on small data) stall its frames.
        """
        if perf_counter() - self._last_yield >= GIL_YIELD_S:
            sleep(0)
            self._last_yield = perf_counter()


class TrainingJob(Job):
    """Base of jobs that train runs: reports each run's start, steps, confusion matrix and end."""

    run_started = pyqtSignal(object, object)   # RunRecord without history (engine known), its Dataset
    steps = pyqtSignal(str, list)              # run id, StepRecords since the last emission
    confusion = pyqtSignal(str, int, object)   # run id, step, ConfusionMatrix of the validation split
    run_ended = pyqtSignal(object)             # the final RunRecord

    def __init__(self, settings, control, store: RunStore | None):
        super().__init__(settings, control)
        self.store = store
        self._batchers: dict[str, Batcher] = {}
        self._last_confusion = 0.0

    def _trainer_status(self, trainer: Trainer, text: str) -> None:
        record = trainer.record
        if text == "training":
            self._batchers[record.id] = Batcher(lambda batch, run_id=record.id: self.steps.emit(run_id, batch))
            self.run_started.emit(dataclasses.replace(record, history=[], lr_changes=list(record.lr_changes)),
                                  trainer.dataset)
        elif text in FINAL_STATUSES:
            if record.id in self._batchers:
                self._batchers.pop(record.id).flush()
                if record.status != "failed":
                    self._send_confusion(trainer)
            self.run_ended.emit(record)
        self.status.emit(text)

    def _trainer_step(self, trainer: Trainer, step) -> None:
        last = step.step >= trainer.settings.steps or trainer.record.status != "running"
        self._batchers[trainer.record.id].add(step, force=last or self.control.paused)
        if (perf_counter() - self._last_confusion) * 1000 >= CONFUSION_MS:
            self._send_confusion(trainer)
        self.yield_gil()

    def _send_confusion(self, trainer: Trainer) -> None:
        """The validation confusion matrix for classification runs (between two steps, on this thread)."""
        dataset = trainer.dataset
        if dataset is None or dataset.task != "classification" or not len(dataset.x_val):
            return
        self._last_confusion = perf_counter()
        self.confusion.emit(trainer.record.id, trainer.steps_done, metrics.validation_confusion(trainer))


class TrainingWorker(TrainingJob):
    """One run of the experiment; ``finished`` carries its final RunRecord (status "failed" included)."""

    def __init__(self, settings, control, store):
        super().__init__(settings, control, store)
        self.record = None

    def work(self):
        trainer = Trainer(self.settings, self.control, self.store,
                          status=lambda text: self._trainer_status(trainer, text))
        self.record = trainer.record
        return trainer.run(lambda step: self._trainer_step(trainer, step))


class ParityWorker(TrainingJob):
    """The experiment on every installed engine (core.parity); ``finished`` carries the ParityResult."""

    def work(self):
        return compare_backends(self.settings, control=self.control, store=self.store,
                                status=self._trainer_status, on_step=self._trainer_step)


class RangeTestWorker(Job):
    """The learning-rate range test (core.lr_finder); ``finished`` carries the RangeTestResult."""

    points = pyqtSignal(list)      # RangeTestPoints since the last emission

    def work(self):
        batcher = Batcher(self.points.emit)

        def on_point(point) -> None:
            batcher.add(point)
            self.yield_gil()

        try:
            return lr_finder.find_learning_rate(self.settings, control=self.control, status=self.status.emit,
                                                on_point=on_point)
        finally:
            batcher.flush()


class WorkerSession(QObject):
    """One job, its thread, and the clean shutdown of both."""

    def __init__(self, job: Job, parent=None):
        super().__init__(parent)
        self.job = job
        self.thread = QThread()
        self.thread.setObjectName("kgui-worker")
        job.moveToThread(self.thread)
        self.thread.started.connect(job.run)
        job.finished.connect(self.thread.quit)
        job.failed.connect(self.thread.quit)

    @property
    def control(self) -> TrainingControl:
        return self.job.control

    @property
    def settings(self) -> ExperimentSettings:
        return self.job.settings

    def start(self) -> None:
        self.thread.start(QThread.Priority.LowPriority)

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    def shut_down(self, timeout_ms: int = 60000) -> bool:
        """Stop the job and wait for its thread to end; True once it has."""
        self.control.stop()
        if self.thread.isRunning():
            self.thread.quit()
            return self.thread.wait(timeout_ms)
        return True
