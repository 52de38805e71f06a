"""What the plot holds: a panel (one y axis) per dataset, and each run's curves, label and rate markers."""
from __future__ import annotations

import html
import math

import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor

from kgui.core.runs import SweepTag
from kgui.core.training.schedules import RateSchedule

from ..names import rates_text
from ..plot_style import ShortLogRangeAxis, style_plot
from .series import SeriesBuffer
from .styles import FADED_ALPHA, RAW_ALPHA, RunStyle, line_pen

GRID_COLOR = "#d4d4d4"
X_AXES = {"step": "step", "epoch": "epoch", "time": "wall time (s)"}


class RunCurves:
    """One run on the plot: its number, buffer, style, legend label, curves and learning-rate markers."""

    def __init__(self, item: pg.PlotItem, number: int, title: str, style: RunStyle, smoothing: float,
                 rate: float | None = None, sweep: SweepTag | None = None):
        self.number = number
        self.title = title
        self.first_rate = rate
        self.style = style
        self.drawn = style           # its style, or a sweep look's (its colour by a hyper-parameter, solid lines)
        self.sweep = sweep           # a sweep's trial: the sweep and its axis values
        self.grouped = False         # drawn as part of its configuration's mean over seeds, not on its own
        self.faded = False
        self.buffer = SeriesBuffer(smoothing=smoothing)
        self.visible = True
        self.dirty = True
        self.planned_steps: int | None = None   # while the run trains: the x axis spans them from the start
        self.steps_per_epoch: int | None = None  # None: unknown (a run saved before runs kept their training rows)
        self.bounds: tuple[float, float, float, float] | None = None  # x and y extent drawn, view coordinates
        self.markers: list[tuple[int, float, pg.InfiniteLine]] = []   # (step, rate, line)
        self.schedule: RateSchedule | None = None   # a scheduled run: markers and label show its base rates
        self.label = self.compose_label()
        self.raw = item.plot([], [])
        self.train = item.plot([], [], name=html.escape(self.label))   # legends show HTML: names are plain text
        self.val = item.plot([], [])
        for curve in (self.raw, self.train, self.val):
            curve.opts["autoDownsampleFactor"] = 1.0
        self.set_faded(False)

    @property
    def curves(self):
        return self.raw, self.train, self.val

    def base_rate(self, step: int, rate: float) -> float:
        """The slider's rate under which ``step`` trained with ``rate`` (``rate`` itself without a schedule)."""
        return rate if self.schedule is None else self.schedule.base_rate(step, rate)

    def rates(self) -> list[float]:
        """The (base) learning rates of the run in order: the first one, then each marked change."""
        first = self.first_rate if self.first_rate is not None else (
            self.base_rate(1, float(self.buffer.rates[0])) if self.buffer.size else None)
        known = first is not None and not math.isnan(first)    # NaN: a LivePlot's loop that gave no rate
        return ([first] if known else []) + [rate for _, rate, _ in self.markers]

    def compose_label(self) -> str:
        """"#3 TensorFlow · Otto Group · lr 0.5 → 0.1": distinct by number, the rates as they changed; no rate for
        a trial of a sweep over learning rates, whose name gives it ("Learning rate 0.003 · Adam · Seed 0 · …")."""
        rates = self.rates()
        said = self.sweep is not None and "learning_rate" in self.sweep.values and not self.markers
        return f"#{self.number} {self.title}" + (f" · lr {rates_text(rates)}" if rates and not said else "")

    @property
    def color(self) -> str:
        """The colour it is drawn in ("#rrggbb")."""
        return self.drawn.color

    def set_drawn_style(self, drawn: RunStyle) -> bool:
        """Draw the run as ``drawn`` (its own style, or a sweep look's); whether that changed how it is drawn."""
        if drawn == self.drawn:
            return False
        self.drawn = drawn
        self.set_faded(self.faded)
        return True

    def set_grouped(self, grouped: bool) -> None:
        """Hide the run's own curves while its configuration's mean stands for it (shown again at the next draw)."""
        if grouped:
            for curve in self.curves:
                curve.setVisible(False)
        elif self.grouped:
            self.dirty = True
        self.grouped = grouped

    def set_faded(self, faded: bool) -> None:
        self.faded = faded
        # One-pixel (cosmetic) pens: wider ones go through Qt's general stroker, which takes seconds on
        # 10^4 noisy segments; peak downsampling at one bin per pixel keeps the exact min/max envelope.
        color = QColor(self.color)
        if faded:
            color.setAlpha(FADED_ALPHA)
        raw = QColor(self.color)
        raw.setAlpha(min(RAW_ALPHA, color.alpha()))
        self.raw.setPen(pg.mkPen(raw, width=1))
        self.train.setPen(line_pen(color, self.drawn.train_dash))
        self.val.setPen(line_pen(color, self.drawn.val_dash))
        for curve in self.curves:
            curve.setZValue(0 if faded else 1)


class Panel:
    """One y axis for the runs of one dataset: its plot item, grid, legend and hover line.

    Datasets get panels of their own because their losses are not comparable: the linear exercise's
    mean squared error (~1e-4 once learned) and Otto's cross-entropy (1 to 5) on one axis flatten one
    of them to a line; runs of the same dataset (engines, learning rates) share one axis, where comparing
    them means something.
    """

    def __init__(self, key: str, title: str):
        self.key = key
        self.title = title
        self.item = pg.PlotItem(axisItems={"left": ShortLogRangeAxis("left")})
        # The axes' own grid costs ~20 ms a paint; GridItem's third, finest level most of its ~6 ms.
        grid = pg.GridItem(pen=pg.mkPen(GRID_COLOR), textPen=None)
        grid.setTickSpacing(x=[None, None], y=[None, None])
        grid.setZValue(-10)
        self.item.addItem(grid, ignoreBounds=True)
        self.item.setLabel("bottom", X_AXES["step"])
        self.item.setLabel("left", "loss")
        style_plot(self.item)
        self.legend = self.item.addLegend(offset=(-10, 10), labelTextColor="#333")
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, mode="peak")
        self.item.vb.disableAutoRange()   # the view follows the data by follow_range instead
        self.item.hideButtons()           # ... and Auto Range (toolbar, Ctrl+0) resumes following
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine))
        self.crosshair.setVisible(False)
        self.item.addItem(self.crosshair, ignoreBounds=True)
        self.run_ids: list[str] = []
        self.rate_labels: list = []   # every learning-rate marker's RateLabel on this panel, placed together
