"""A session job driven from its own QThread, its events re-emitted as a Qt signal; thread and driver are deleted
when done.

The job is a :class:`kgui.core.workers.RemoteJob`: the engine runs in a worker process, and this thread only waits
for the worker's messages and hands each event to the GUI thread. The GUI thread talks to the job only through its
``control``, whose calls become commands to the worker. Steps arrive in batches (at most every ``BATCH_S``), so a
fast engine does not flood the GUI event queue.
"""
from __future__ import annotations

from PyQt6.QtCore import QCoreApplication, QObject, QThread, pyqtSignal, pyqtSlot

from kgui.core.training import layer_stats

BATCH_S = 0.015
CONFUSION_S = 0.5        # the confusion matrix is recomputed at most twice a second
SURFACE_S = 0.25         # a 2-feature run's decision boundary at most four times a second
LAYER_STATS_S = layer_stats.DEFAULT_INTERVAL_S   # the network's and layers' statistics, a few times a second
WORKER_NICE = 10        # the window's workers (runs and sweeps) run this much nicer: its GUI thread gets a CPU first


def job_options() -> dict:
    """How often the window's jobs send their events (Session.new_job options)."""
    return {"batch_s": BATCH_S, "confusion_s": CONFUSION_S, "surface_s": SURFACE_S, "layer_stats_s": LAYER_STATS_S}


class _Driver(QObject):
    """Lives on the job's thread while it runs the job, then moves back to the GUI thread to be deleted there."""

    def __init__(self, job):
        super().__init__()
        self.job = job

    @pyqtSlot()
    def run(self) -> None:
        try:
            self.job.run()
        finally:
            thread = self.thread()
            self.moveToThread(QCoreApplication.instance().thread())
            thread.quit()


class JobThread(QObject):
    """Runs ``job`` from a new QThread; ``event`` carries each of its events to the GUI thread, in order.

    ``ended`` is emitted once the thread has finished and the thread and driver are gone.
    """

    event = pyqtSignal(object)
    ended = pyqtSignal()

    def __init__(self, job):
        super().__init__()
        self.job = job
        job.sink = self.event.emit           # emitted on the job's thread, delivered on the GUI thread
        self._driver = _Driver(job)
        self._thread = QThread()
        self._thread.setObjectName("kgui-job")
        self._driver.moveToThread(self._thread)
        self._thread.started.connect(self._driver.run)
        self._thread.finished.connect(self._thread_finished)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _thread_finished(self) -> None:
        if self._thread is None:   # already cleaned up by shut_down
            return
        self._thread.wait()
        self._driver.deleteLater()
        self._thread.deleteLater()
        self._driver = self._thread = None
        self.ended.emit()

    def shut_down(self, timeout_ms: int = 60000) -> bool:
        """Stop the job and wait for its thread to end; True once it has."""
        self.job.control.stop()
        if self._thread is not None:
            if not self._thread.wait(timeout_ms):
                return False
            self._thread_finished()
        return True
