"""The status bar's right side: the engine's state ("training", "loading dataset… 2.1 s") and, while a job
prepares, a progress bar: the share of the dataset file read so far, or busy (indeterminate) while no share is
known: importing the engine, compiling, a loader that does not tell. GUI thread only: the window calls it from
the session's events."""
from __future__ import annotations

from time import perf_counter

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QMainWindow, QProgressBar

from kgui.core.datasets import LoadProgress

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


class JobStatus:
    """The engine's state in the status bar (and in the live panel, through ``mirror``), with the load bar and,
    while a job prepares, its phase and the seconds it has taken so far."""

    def __init__(self, window: QMainWindow, mirror):
        self.load_bar = LoadProgressBar()
        self.engine_state = QLabel("idle")
        window.statusBar().addPermanentWidget(self.load_bar)
        window.statusBar().addPermanentWidget(self.engine_state)
        self._mirror = mirror
        self._preparing: tuple[str, float] | None = None   # the job's phase and when it began preparing
        self._timer = QTimer(window, interval=ELAPSED_REFRESH_MS, timeout=self._show_preparing)

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
        self._mirror(text)

    def _show_preparing(self) -> None:
        if self._preparing is not None:
            text, since = self._preparing
            self.show(f"{text} {perf_counter() - since:.1f} s")
