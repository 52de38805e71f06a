"""Training on a QThread: the worker builds core's Trainer inside the thread and reports by signals.

The GUI thread never calls into the trainer; it talks to it only through the thread-safe
``TrainingControl`` (learning rate, pause, resume, single step, stop), which the trainer
reads between two steps. Steps are sent in batches at most every ``BATCH_MS`` so that a fast
engine does not flood the GUI event queue with one signal per step.
"""
from __future__ import annotations

from time import perf_counter

from PyQt6.QtCore import QObject, QThread, pyqtSignal, pyqtSlot

from kgui.core.runs import RunStore
from kgui.core.settings import ExperimentSettings
from kgui.core.trainer import Trainer, TrainingControl

BATCH_MS = 15


class TrainingWorker(QObject):
    """Runs one experiment; lives on a worker thread."""

    steps = pyqtSignal(list)        # StepRecords since the last emission
    status = pyqtSignal(str)        # engine state: "importing TensorFlow…", "compiling…", "training", …
    finished = pyqtSignal(object)   # the final RunRecord (finished, stopped or diverged)
    failed = pyqtSignal(object)     # the final RunRecord of a run that failed (its message says why)

    def __init__(self, settings: ExperimentSettings, control: TrainingControl, store: RunStore | None):
        super().__init__()
        self.settings = settings
        self.control = control
        self.store = store
        self.record = None
        self._pending: list = []
        self._last_emit = 0.0

    @pyqtSlot()
    def run(self) -> None:
        trainer = Trainer(self.settings, self.control, self.store, status=self.status.emit)
        self.record = trainer.record
        record = trainer.run(self._on_step)
        self._flush()
        (self.failed if record.status == "failed" else self.finished).emit(record)

    def _on_step(self, step) -> None:
        self._pending.append(step)
        now = perf_counter()
        last = step.step >= self.settings.steps or self.record.status != "running"
        if last or self.control.paused or (now - self._last_emit) * 1000 >= BATCH_MS:
            self._flush()
            self._last_emit = now

    def _flush(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.steps.emit(batch)


class TrainingSession(QObject):
    """One run: its control, worker and thread, and the clean shutdown of all three."""

    def __init__(self, settings: ExperimentSettings, store: RunStore | None, paused: bool = False, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.control = TrainingControl(paused=paused)
        self.thread = QThread()
        self.thread.setObjectName("kgui-training")
        self.worker = TrainingWorker(settings, self.control, store)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.finished.connect(self.thread.quit)
        self.worker.failed.connect(self.thread.quit)

    def start(self) -> None:
        self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    def shut_down(self, timeout_ms: int = 60000) -> bool:
        """Stop the run and wait for its thread to end; True once it has."""
        self.control.stop()
        if self.thread.isRunning():
            self.thread.quit()
            return self.thread.wait(timeout_ms)
        return True
