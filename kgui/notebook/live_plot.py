"""LivePlot: kgui's loss plot (the window's LossPlot) for your own K-API loop, in the cell's output.

    plot = LivePlot("linear exercise", steps=200)
    for step in range(1, 201):
        plot.update(step, train([x, y])[0])

``update`` only keeps the numbers (under a µs); a frame is drawn (the plot redrawn, rendered, encoded and sent) at
most every ``DRAW_INTERVAL_S``, and less often when a frame takes more than ``DRAW_SHARE`` of the time between two
frames, so the loop keeps at least 1 - DRAW_SHARE of its speed (bench/bench_live_plot.py measures it). The steps
buffered after the last frame are drawn when the cell ends, or by :meth:`close`.
"""
from __future__ import annotations

import math
from time import perf_counter

from IPython import get_ipython
from IPython.display import display

from kgui.core.experiment.settings import MAX_STEPS
from kgui.core.runs import StepRecord
from kgui.core.training.training_control import checked_rate
from kgui.ui.loss_plot import LossPlot

from .qt import QtFrame, qt_application

DRAW_INTERVAL_S = 0.1   # at most ~10 frames a second
DRAW_SHARE = 0.02       # a frame takes at most this share of the time between two
LIVE_RUN = "live"
MAX_PIXELS = 8192         # a frame is width × height × 4 bytes, sent to the browser


class LivePlot:
    """The loss of one loop; ``steps`` (when known) sets the x axis from the start, ``learning_rate`` goes into the
    legend (a rate given to :meth:`update` that differs is marked on the plot, as a slid rate in the window)."""

    def __init__(self, title: str = "loss", steps: int | None = None, learning_rate: float | None = None,
                 width: int = 640, height: int = 320, show: bool = True):
        for side, pixels in (("width", width), ("height", height)):
            if isinstance(pixels, bool) or not isinstance(pixels, int) or not 16 <= pixels <= MAX_PIXELS:
                raise ValueError(f"{side} must be a whole number of pixels from 16 to {MAX_PIXELS}, got {pixels!r}")
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS):
            raise ValueError(f"steps must be a whole number from 1 to {MAX_STEPS:,} (or None), got {steps!r}")
        if learning_rate is not None:
            learning_rate = checked_rate(learning_rate)
        qt_application()
        self.loss_plot = LossPlot(redraws_itself=False)   # drawn by update(): a kernel runs no Qt event loop
        self.loss_plot.add_run(LIVE_RUN, title, planned_steps=steps, rate=learning_rate)
        self.frame = QtFrame(self.loss_plot, self.loss_plot.widget, width, height)
        self.frames = 0                      # frames drawn so far
        self._rate = math.nan if learning_rate is None else float(learning_rate)
        self._step_rate = math.nan           # the rate of the last step given (NaN: none yet, or none given)
        self._pending: list[tuple] = []     # (step, loss, val_loss, rate, perf_counter()) since the last frame
        self._rate_changes: list[tuple[int, float]] = []   # (step, rate) since the last frame
        self._started = perf_counter()
        self._next_frame = 0.0
        self._shell = get_ipython()
        if self._shell is not None:
            self._shell.events.register("post_run_cell", self._cell_ended)
        if show:
            display(self.frame)
        self.frame.draw_now()     # the empty axes at once; a plot's first frame costs several later ones

    def update(self, step: int, loss: float, val_loss: float | None = None,
               learning_rate: float | None = None) -> None:
        """Add the loss of ``step`` (and its validation loss, and the rate it used); draws when a frame is due."""
        now = perf_counter()
        try:   # here, not when drawn: one bad value would stop every later frame
            step, loss = int(step), float(loss)
            val_loss = None if val_loss is None else float(val_loss)
            rate = None if learning_rate is None else float(learning_rate)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"update takes numbers: a step, a loss (and a validation loss, a rate), got {step!r}, "
                             f"{loss!r}, {val_loss!r}, {learning_rate!r}") from None
        if rate is not None:
            self._rate = rate
        if not math.isnan(self._rate):
            if not math.isnan(self._step_rate) and self._rate != self._step_rate:
                self._rate_changes.append((step, self._rate))   # this loop's rate changed: marked as a slid rate
            self._step_rate = self._rate
        self._pending.append((step, loss, val_loss, self._rate, now))
        if now >= self._next_frame:
            self.draw()

    def draw(self) -> None:
        """Draw the points so far now."""
        start = perf_counter()
        self._take_pending()
        self.frame.draw_now()
        self.frames += 1
        took = perf_counter() - start
        self._next_frame = start + max(DRAW_INTERVAL_S, took / DRAW_SHARE)

    def _take_pending(self) -> None:
        if self._pending:
            self.loss_plot.add_steps(LIVE_RUN, [
                StepRecord(step, loss, val_loss, None, rate,
                           when - self._started, 0.0) for step, loss, val_loss, rate, when in self._pending],
                self._rate_changes)
            self._pending, self._rate_changes = [], []
        self.loss_plot.redraw()

    def _cell_ended(self, result=None) -> None:
        """The cell is over: the steps since the last frame are drawn (the kernel's loop sends the frame)."""
        if self._pending:
            self._take_pending()
            self.frame.redraw()

    def close(self) -> None:
        """The loop is over: draw every step, fitted to the view, and stop following the cells."""
        self.loss_plot.end_run(LIVE_RUN)
        self.draw()
        if self._shell is not None:
            self._shell.events.unregister("post_run_cell", self._cell_ended)
            self._shell = None
