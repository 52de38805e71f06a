"""A session job on its own QThread, its events re-emitted as a Qt signal; thread and worker are deleted when done.

The job (kgui.core.session.Job) builds core's objects inside the thread; the GUI thread never calls into a
trainer or an engine. It talks to the job only through the thread-safe ``TrainingControl``. Steps arrive in
batches (at most every ``BATCH_S``), so a fast engine does not flood the GUI event queue.
"""
from __future__ import annotations

import os
import sys
import threading

from PyQt6.QtCore import QCoreApplication, QObject, QThread, pyqtSignal, pyqtSlot

from kgui.core import layer_stats
from kgui.core.session import Job

from .gui_activity import GUI_ACTIVITY

BATCH_S = 0.015
CONFUSION_S = 0.5        # the confusion matrix is recomputed at most twice a second
SURFACE_S = 0.25         # a 2-feature run's decision boundary at most four times a second
LAYER_STATS_S = layer_stats.DEFAULT_INTERVAL_S   # the network's and layers' statistics, a few times a second
GIL_YIELD_S = 0.001      # between two steps a job hands the GIL to the GUI thread, at most once per this
WORKER_NICE = 10         # Linux: raised nice of job threads (and the engine pools they start): the GUI gets a CPU first
WAIT_FOR_GUI = True      # between two steps a job waits while the GUI thread draws (Job's gui_idle, gui_activity.py)


def lower_thread_priority() -> None:
    """Let the calling (job) thread give way to the GUI thread when both want a CPU.

    Linux ignores QThread priorities; there a thread's nice value is its own, and threads it starts
    (TensorFlow's pools, the compiler PyTensor runs) inherit it. Elsewhere the thread's
    ``QThread.Priority.LowPriority`` does the job.
    """
    if sys.platform.startswith("linux"):
        try:
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(os.getpriority(os.PRIO_PROCESS, thread) + WORKER_NICE, 19))
        except OSError:  # not permitted in some sandboxes: training still works, the GUI shares the CPU
            pass


def job_options() -> dict:
    """How the window's jobs pace their events and share the GIL with the GUI thread (Session.new_job options)."""
    return {"batch_s": BATCH_S, "confusion_s": CONFUSION_S, "surface_s": SURFACE_S, "yield_gil_s": GIL_YIELD_S,
            "layer_stats_s": LAYER_STATS_S,
            "gui_idle": GUI_ACTIVITY.idle if WAIT_FOR_GUI else None}


class _Worker(QObject):
    """Lives on the job's thread while it runs the job, then moves back to the GUI thread to be deleted there."""

    def __init__(self, job: Job):
        super().__init__()
        self.job = job

    @pyqtSlot()
    def run(self) -> None:
        lower_thread_priority()
        try:
            self.job.run()
        finally:
            thread = self.thread()
            self.moveToThread(QCoreApplication.instance().thread())
            thread.quit()


class JobThread(QObject):
    """Runs ``job`` on a new QThread; ``event`` carries each of its events to the GUI thread, in order.

    ``ended`` is emitted once the thread has finished and the thread and worker are gone.
    """

    event = pyqtSignal(object)
    ended = pyqtSignal()

    def __init__(self, job: Job):
        super().__init__()
        self.job = job
        job.sink = self.event.emit           # emitted on the job's thread, delivered on the GUI thread
        self._worker = _Worker(job)
        self._thread = QThread()
        self._thread.setObjectName("kgui-worker")
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._thread.finished.connect(self._thread_finished)

    def start(self) -> None:
        self._thread.start(QThread.Priority.LowPriority)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _thread_finished(self) -> None:
        if self._thread is None:   # already cleaned up by shut_down
            return
        self._thread.wait()
        self._worker.deleteLater()
        self._thread.deleteLater()
        self._worker = self._thread = None
        self.ended.emit()

    def shut_down(self, timeout_ms: int = 60000) -> bool:
        """Stop the job and wait for its thread to end; True once it has."""
        self.job.control.stop()
        if self._thread is not None:
            if not self._thread.wait(timeout_ms):
                return False
            self._thread_finished()
        return True
