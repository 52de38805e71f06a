"""The plot's graphics widget, timing its own paints (the redraw timer slows down when they are slow)."""
from __future__ import annotations

from time import perf_counter

import pyqtgraph as pg

from ..plot_style import let_axes_narrow


class TimedLayoutWidget(pg.GraphicsLayoutWidget):
    """GraphicsLayoutWidget that adds up the time its paints take (a job waits meanwhile: the main window's
    update request paints it)."""

    paint_ms = 0.0

    def __init__(self):
        super().__init__()
        self.narrowing: list[pg.PlotItem] = []   # plots whose axes may narrow at this paint (then no longer)

    def paintEvent(self, event) -> None:
        start = perf_counter()
        super().paintEvent(event)
        for item in self.narrowing:
            let_axes_narrow(item, False)
        self.narrowing = []
        self.paint_ms += (perf_counter() - start) * 1000
