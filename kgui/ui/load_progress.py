"""The status bar's progress bar while a job prepares: the share of the dataset file read so far, or busy
(indeterminate) while no share is known: importing the engine, compiling, a loader that does not tell.
GUI thread only: the window calls it from the session's events."""
from __future__ import annotations

from PyQt6.QtWidgets import QProgressBar

from kgui.core.datasets import LoadProgress

STEPS = 1000     # the bar's resolution: a tenth of a percent
WIDTH = 240


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
