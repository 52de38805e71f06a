"""Saved runs' large histories read off the GUI thread: the session hands a run id to :meth:`HistoryReads.start`, a
thread of its own reads the run's files and builds the loss plot's columns of its steps (no widget touched there),
and the answer comes back on the GUI thread to ``Session.history_read`` (which tells the views with RunChanged)."""
from __future__ import annotations

import contextlib
import gc
import threading

from PyQt6.QtCore import QObject, pyqtSignal

from kgui.core.session import Session

from .loss_plot.series import step_columns


_pauses = 0
_pauses_lock = threading.Lock()


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while a history is read (on any thread: it counts), and every object
    alive then kept out of its later passes (``gc.freeze``). A million steps are ~3 million tracked objects: the
    full passes their creation sets off hold the GIL up to 0.4 s each (1.3 s in the window), freezing the GUI
    thread as surely as reading there would."""
    global _pauses
    with _pauses_lock:
        _pauses += 1
        gc.disable()
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if not _pauses:
                gc.freeze()
                gc.enable()


class HistoryReads(QObject):
    """Becomes ``session``'s history reader (the pattern of the Code dock's dataset load and the CSV preview)."""

    _read = pyqtSignal(str, object, object)   # (run id, RunRecord with its history or None, its step_columns),
    #                                           from a reading thread

    def __init__(self, session: Session, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self._read.connect(self._deliver)
        self._columns: dict[str, object] = {}   # while the session takes a run's history: its steps' columns
        session.history_reader = self.start

    def start(self, run_id: str) -> None:
        threading.Thread(target=self._run, args=(run_id,), name="kgui-history-read", daemon=True).start()

    def _run(self, run_id: str) -> None:
        with collector_paused():
            stored = self.session.read_stored(run_id)
            columns = step_columns(stored.history) if stored is not None and stored.readable else None
        try:
            self._read.emit(run_id, stored, columns)
        except RuntimeError:
            pass   # the window closed meanwhile

    def _deliver(self, run_id: str, stored, columns) -> None:
        self._columns[run_id] = columns
        try:
            self.session.history_read(run_id, stored)
        finally:
            del self._columns[run_id]

    def columns(self, run_id: str):
        """The columns of run ``run_id``'s steps (``series.step_columns``) while its history is handed over, else
        None."""
        return self._columns.get(run_id)
