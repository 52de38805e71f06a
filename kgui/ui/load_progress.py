"""The status bar's right side: the engine's state ("training", "loading dataset… 2.1 s") and, while a job
prepares, a progress bar: the share of the dataset file read so far, or busy (indeterminate) while no share is
known: importing the engine, compiling, a loader that does not tell. It follows the session's events (delivered on
the GUI thread)."""
from __future__ import annotations

from time import perf_counter

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QLabel, QProgressBar, QStatusBar

from kgui.core.data.datasets import LoadProgress
from kgui.core.training.lr_finder import RangeTestStatus
from kgui.core.session import JobEnded, JobKind, Phase, RangePoints, RunEnded, RunStarted, Session

STEPS = 1000     # the bar's resolution: a tenth of a percent
WIDTH = 240
ELAPSED_REFRESH_MS = 100       # the elapsed-time counter while a job prepares


class LoadProgressBar(QProgressBar):
    """Hidden until a job prepares; :meth:`show_phase` for each of its phases, :meth:`finish` once it trains or ends."""

    def __init__(self):
        super().__init__()
        self.setMaximumWidth(WIDTH)
        self.setTextVisible(True)
        self.hide()

    @property
    def busy(self) -> bool:
        """Indeterminate: no share of the work is known."""
        return self.maximum() == 0

    def show_phase(self, text: str, progress: LoadProgress | None) -> None:
        """``text`` is the phase ("loading dataset… 1,234 rows, 45%", "compiling…"); ``progress`` how far the
        dataset file is read, or None."""
        if progress is None:
            self.setRange(0, 0)
            self.setFormat(text.split("…")[0])
        else:
            self.setRange(0, STEPS)
            self.setValue(round(min(max(progress.fraction, 0.0), 1.0) * STEPS))
            self.setFormat(f"{progress.fraction:.0%}")   # rounded as the phase text next to it (the rows are there)
        self.setToolTip(text)
        self.show()

    def finish(self) -> None:
        self.hide()
        self.reset()


class JobStatus(QObject):
    """The engine's state in ``status_bar`` (and ``state_changed``, for the side panel's readout), with the load
    bar and, while a job prepares, its phase and the seconds it has taken so far; a run's end is also said in the
    status bar's message."""

    state_changed = pyqtSignal(str)   # "training", "loading dataset… 2.1 s", "finished", … (not "idle": see show_idle)

    def __init__(self, session: Session, status_bar: QStatusBar):
        super().__init__(status_bar)
        self.session = session
        self.status_bar = status_bar
        self.load_bar = LoadProgressBar()
        self.engine_state = QLabel("idle")
        status_bar.addPermanentWidget(self.load_bar)
        status_bar.addPermanentWidget(self.engine_state)
        self._preparing: tuple[str, float] | None = None   # the job's phase and when it began preparing
        self._timer = QTimer(status_bar, interval=ELAPSED_REFRESH_MS, timeout=self._show_preparing)
        session.on(Phase, lambda event: self.show_phase(event.text, event.since, event.progress))
        session.on(RunStarted, self._run_started)
        session.on(RangePoints, self._range_points)
        session.on(RunEnded, self._run_ended)
        session.on(JobEnded, self._job_ended)

    @property
    def preparing(self) -> bool:
        return self._preparing is not None

    def show_phase(self, text: str, since: float | None, progress: LoadProgress | None) -> None:
        """A preparation phase began (``since``: when the job began preparing, if the event knows; the seconds
        count from the earliest start known, Start in the window before its worker's first phase)."""
        known = [start for start in (since, self._preparing[1] if self._preparing else None) if start]
        self._preparing = (text, min(known) if known else perf_counter())
        self._show_preparing()
        self.load_bar.show_phase(text, progress)
        self._timer.start()

    def stop_preparing(self) -> None:
        self._preparing = None
        self._timer.stop()
        self.load_bar.finish()

    def show(self, text: str) -> None:
        self.engine_state.setText(text)
        self.state_changed.emit(text)

    def show_idle(self) -> None:
        """The status bar says "idle" (the live panel, cleared, says so already)."""
        self.engine_state.setText("idle")

    def _show_preparing(self) -> None:
        if self._preparing is not None:
            text, since = self._preparing
            self.show(f"{text} {perf_counter() - since:.1f} s")

    def _run_started(self, event: RunStarted) -> None:
        self.stop_preparing()
        job = self.session.job
        self.show("paused" if job is not None and job.control.paused else "training")

    def _range_points(self, event: RangePoints) -> None:
        if self.preparing:   # the first points: preparing is over
            self.stop_preparing()
            self.show("testing rates")

    def _run_ended(self, event: RunEnded) -> None:
        record = event.run
        self.show(f"diverged at step {record.history[-1].step}"
                  if record.status == "diverged" and record.history else record.status)
        self.status_bar.showMessage(record.message or f"run {record.status} after {len(record.history)} steps")

    def _job_ended(self, event: JobEnded) -> None:
        self.stop_preparing()
        if event.error:
            self.show("failed")
        elif event.job_kind is JobKind.RANGE_TEST:
            self.show("range test cancelled" if event.result.status is RangeTestStatus.STOPPED else "range test done")
