"""Live loss plot: points accumulate in NumPy buffers and are drawn on a ~30 Hz timer, never per step."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from time import perf_counter

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

REDRAW_MS = 33          # at most ~30 redraws a second
MAX_REDRAW_MS = 250     # and at least 4 (when painting is slow, e.g. on a loaded machine)
PAINT_SHARE = 0.25      # painting may take this share of the GUI thread
GRID_COLOR = "#d4d4d4"
TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"
MARKER_COLOR = "#6a3d9a"


class SeriesBuffer:
    """Growable float64 arrays of steps, train loss, validation loss and learning rate."""

    def __init__(self, capacity: int = 1024):
        self._data = np.full((4, capacity), np.nan)
        self.size = 0

    def append(self, step: int, train_loss: float, val_loss: float | None, rate: float) -> None:
        if self.size == self._data.shape[1]:
            grown = np.full((4, 2 * self.size), np.nan)
            grown[:, :self.size] = self._data
            self._data = grown
        self._data[:, self.size] = (step, train_loss, np.nan if val_loss is None else val_loss, rate)
        self.size += 1

    def fill(self, steps, train, val, rates) -> None:
        """Replace the contents by whole arrays (used by benchmarks and reloads)."""
        self._data = np.vstack([np.asarray(a, dtype=np.float64) for a in (steps, train, val, rates)])
        self.size = self._data.shape[1]

    def clear(self) -> None:
        self._data[:] = np.nan
        self.size = 0

    @property
    def steps(self) -> np.ndarray:
        return self._data[0, :self.size]

    @property
    def train(self) -> np.ndarray:
        return self._data[1, :self.size]

    @property
    def val(self) -> np.ndarray:
        return self._data[2, :self.size]

    @property
    def rates(self) -> np.ndarray:
        return self._data[3, :self.size]


def _finite_positive(values: np.ndarray, log_y: bool) -> np.ndarray:
    """Values safe to draw: infinities dropped, and non-positive ones too on a log axis."""
    values = np.where(np.isfinite(values), values, np.nan)
    return np.where(values > 0, values, np.nan) if log_y else values


class TimedPlotWidget(pg.PlotWidget):
    """PlotWidget that adds up the time its paints take (one data update can cause several)."""

    paint_ms = 0.0

    def paintEvent(self, event) -> None:
        start = perf_counter()
        super().paintEvent(event)
        self.paint_ms += (perf_counter() - start) * 1000


class LossPlot(QWidget):
    """Training and validation loss against step, with learning-rate change markers and a hover readout.

    Redraws happen on a timer: every ``REDRAW_MS``, or less often when the paints after the last
    redraw were slow, so that painting stays under ``PAINT_SHARE`` of the GUI thread.
    """

    redrawn = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.buffer = SeriesBuffer()
        self.markers: list[tuple[int, pg.InfiniteLine]] = []
        self._dirty = False
        self._log_y = False

        self.widget = TimedPlotWidget(background="w")
        self.item = self.widget.getPlotItem()
        grid = pg.GridItem(pen=pg.mkPen(GRID_COLOR), textPen=None)  # the axes' own grid costs ~20 ms a paint
        grid.setZValue(-10)
        self.item.addItem(grid, ignoreBounds=True)
        self.item.setLabel("bottom", "step")
        self.item.setLabel("left", "loss")
        self.item.addLegend(offset=(-10, 10), labelTextColor="#333")
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, mode="peak")
        for axis in ("left", "bottom"):
            self.item.getAxis(axis).setTextPen("#333")
            self.item.getAxis(axis).setPen("#888")
            self.item.getAxis(axis).enableAutoSIPrefix(False)
        # One-pixel (cosmetic) pens: wider ones go through Qt's general stroker, which takes seconds on
        # 10^4 noisy segments; peak downsampling at one bin per pixel keeps the exact min/max envelope.
        self.train_curve = self.item.plot([], [], name="training loss", pen=pg.mkPen(TRAIN_COLOR, width=1))
        self.val_curve = self.item.plot([], [], name="validation loss", pen=pg.mkPen(VAL_COLOR, width=1))
        for curve in (self.train_curve, self.val_curve):
            curve.opts["autoDownsampleFactor"] = 1.0
        self.val_curve.setVisible(False)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine))
        self.crosshair.setVisible(False)
        self.item.addItem(self.crosshair, ignoreBounds=True)
        self._mouse = pg.SignalProxy(self.widget.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)

        self.readout = QLabel("Hover over the plot to read step and loss")
        self.readout.setStyleSheet("color: #555; padding: 2px 6px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.widget, 1)
        layout.addWidget(self.readout)

        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    # -- data --------------------------------------------------------------------------------------------------------

    def add_steps(self, records) -> None:
        """Buffer new StepRecords; they appear at the next timer tick."""
        for record in records:
            previous_rate = self.buffer.rates[-1] if self.buffer.size else None
            self.buffer.append(record.step, record.train_loss, record.val_loss, record.learning_rate)
            if previous_rate is not None and record.learning_rate != previous_rate:
                self._mark_rate_change(record.step, record.learning_rate)
        self._dirty = True

    def clear(self) -> None:
        self.buffer.clear()
        for _, line in self.markers:
            self.item.removeItem(line)
        self.markers.clear()
        self._dirty = True
        self.redraw()
        self.item.enableAutoRange()

    def redraw(self) -> None:
        """Push buffered points to the curves when anything changed since the last tick."""
        if not self._dirty:
            return
        self._dirty = False
        self.timer.setInterval(round(min(max(REDRAW_MS, self.widget.paint_ms / PAINT_SHARE), MAX_REDRAW_MS)))
        self.widget.paint_ms = 0.0
        steps = self.buffer.steps
        self.train_curve.setData(steps, _finite_positive(self.buffer.train, self._log_y), connect="finite")
        val = self.buffer.val
        has_val = bool(np.isfinite(val).any())
        self.val_curve.setVisible(has_val)
        if has_val:
            self.val_curve.setData(steps, _finite_positive(val, self._log_y), connect="finite")
        self.redrawn.emit()

    # -- learning-rate markers ---------------------------------------------------------------------------------------

    def _merge_distance(self) -> int:
        """Changes closer than this many steps share one marker (a slider drag is one gesture)."""
        return max(3, self.buffer.size // 100)

    def _mark_rate_change(self, step: int, rate: float) -> None:
        label = f"lr {rate:.3g}"
        if self.markers and step - self.markers[-1][0] <= self._merge_distance():
            self.markers[-1][1].label.setFormat(label)
            return
        line = pg.InfiniteLine(pos=step, angle=90, movable=False, pen=pg.mkPen(MARKER_COLOR, width=1),
                               label=label, labelOpts={"position": 0.92, "color": MARKER_COLOR,
                                                       "fill": QColor(255, 255, 255, 210), "anchors": [(0, 1), (0, 1)]})
        line.setZValue(5)
        self.item.addItem(line, ignoreBounds=True)
        self.markers.append((step, line))

    def marker_labels(self) -> list[tuple[int, str]]:
        """(step, label) of each learning-rate marker, oldest first."""
        return [(step, line.label.format) for step, line in self.markers]

    # -- view --------------------------------------------------------------------------------------------------------

    def set_log_y(self, enabled: bool) -> None:
        self._log_y = enabled
        self.item.setLogMode(y=enabled)
        self.item.setLabel("left", "loss (log scale)" if enabled else "loss")
        self._dirty = True
        self.redraw()
        self.auto_range()

    def auto_range(self) -> None:
        self.item.enableAutoRange()

    def _mouse_moved(self, event) -> None:
        position = event[0]
        if self.buffer.size == 0 or not self.item.sceneBoundingRect().contains(position):
            self.crosshair.setVisible(False)
            return
        x = self.item.vb.mapSceneToView(position).x()
        index = int(np.clip(np.searchsorted(self.buffer.steps, x), 0, self.buffer.size - 1))
        if index > 0 and abs(self.buffer.steps[index - 1] - x) < abs(self.buffer.steps[index] - x):
            index -= 1
        self.crosshair.setPos(self.buffer.steps[index])
        self.crosshair.setVisible(True)
        self.readout.setText(self.describe_point(index))

    def describe_point(self, index: int) -> str:
        """Readout text for the ``index``-th buffered step."""
        parts = [f"step {int(self.buffer.steps[index])}", f"training loss {self.buffer.train[index]:.6g}"]
        val = self.buffer.val[index]
        if not math.isnan(val):
            parts.append(f"validation loss {val:.6g}")
        parts.append(f"learning rate {self.buffer.rates[index]:.3g}")
        return "   ·   ".join(parts)

