"""Live loss plot of many runs: points accumulate in NumPy buffers and are drawn on a ~30 Hz timer, never per step.

Each run has its own buffer, colour, legend entry and pair of curves (training solid, validation
dashed). View options: smoothing (TensorBoard's debiased EMA from core.smoothing), x axis as
step or wall time, log-y. The selected run is highlighted by fading the others.

While it follows the data (until the user zooms or pans; Auto Range resumes it) the view moves in
a few jumps rather than at every frame: a live run's x axis spans its planned steps from the
start, and an axis is re-fitted only when the data leaves it or fills less than half of it. Each
change of the view re-generates the ticks and the grid in Python (~10 ms), so a view that stays
put keeps each frame's paint cheap while the engine trains.
"""
from __future__ import annotations

import math
from time import perf_counter

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

from kgui.core.smoothing import MAX_WEIGHT, DebiasedEMA

REDRAW_MS = 33          # at most ~30 redraws a second
MAX_REDRAW_MS = 250     # and at least 4 (when painting is slow, e.g. on a loaded machine)
PAINT_SHARE = 0.25      # painting may take this share of the GUI thread
GRID_COLOR = "#d4d4d4"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22")
FADED_ALPHA = 60        # other runs while one is highlighted
RAW_ALPHA = 70          # the unsmoothed training loss behind a smoothed curve
SMOOTHING_TICKS = 100   # slider positions: weight = position / 100, capped at core's maximum
X_AXES = {"step": "step", "time": "wall time (s)"}
FOLLOW_FILL = 0.5       # an axis is re-fitted when the data fills less than this share of it
FOLLOW_HEADROOM = 0.2   # ... or leaves it; then it gets this share of the data's span as room to go on
FOLLOW_PAD = 0.03
READOUT_HINT = "Hover over the plot to read step and loss"

STEP, TIME, TRAIN, VAL, RATE, TRAIN_SMOOTH, VAL_SMOOTH = range(7)


class SeriesBuffer:
    """Growable float64 columns per step: step, elapsed time, train/val loss, rate, and their smoothed losses."""

    def __init__(self, capacity: int = 1024, smoothing: float = 0.0):
        self._data = np.full((7, capacity), np.nan)
        self.size = 0
        self.smoothing = smoothing
        self._emas = (DebiasedEMA(smoothing), DebiasedEMA(smoothing))

    def append(self, step: int, train_loss: float, val_loss: float | None, rate: float, elapsed: float = 0.0) -> None:
        if self.size == self._data.shape[1]:
            grown = np.full((7, 2 * self.size), np.nan)
            grown[:, :self.size] = self._data
            self._data = grown
        val = np.nan if val_loss is None else val_loss
        self._data[:, self.size] = (step, elapsed, train_loss, val, rate,
                                    self._emas[0].update(train_loss), self._emas[1].update(val))
        self.size += 1

    def fill(self, steps, train, val, rates, elapsed=None) -> None:
        """Replace the contents by whole arrays (used by benchmarks)."""
        elapsed = np.zeros(len(steps)) if elapsed is None else elapsed
        self._data = np.full((7, len(steps)), np.nan)
        for row, values in ((STEP, steps), (TIME, elapsed), (TRAIN, train), (VAL, val), (RATE, rates)):
            self._data[row] = values
        self.size = len(steps)
        self.set_smoothing(self.smoothing)

    def set_smoothing(self, weight: float) -> None:
        """Recompute the smoothed columns with ``weight``."""
        self.smoothing = weight
        self._emas = (DebiasedEMA(weight), DebiasedEMA(weight))
        for source, target, ema in ((TRAIN, TRAIN_SMOOTH, self._emas[0]), (VAL, VAL_SMOOTH, self._emas[1])):
            self._data[target, :self.size] = [ema.update(value) for value in self._data[source, :self.size]]

    def clear(self) -> None:
        self._data[:] = np.nan
        self.size = 0
        self._emas = (DebiasedEMA(self.smoothing), DebiasedEMA(self.smoothing))

    def column(self, index: int) -> np.ndarray:
        return self._data[index, :self.size]

    @property
    def steps(self) -> np.ndarray:
        return self.column(STEP)

    @property
    def train(self) -> np.ndarray:
        return self.column(TRAIN)

    @property
    def val(self) -> np.ndarray:
        return self.column(VAL)

    @property
    def rates(self) -> np.ndarray:
        return self.column(RATE)


def follow_range(view: tuple[float, float] | None, low: float, high: float) -> tuple[float, float] | None:
    """The new range of one axis that must show [low, high] (view coordinates), or None to keep ``view``.

    ``view`` is kept while it contains [low, high] and the data fills at least ``FOLLOW_FILL`` of it;
    a side the data grew out of gets ``FOLLOW_HEADROOM`` of room, so that a falling loss moves the
    axis a few times per run rather than at every frame.
    """
    if high - low <= 0:
        low, high = low - 0.5, high + 0.5
    span = high - low
    if view is not None and view[0] <= low and high <= view[1] and span >= FOLLOW_FILL * (view[1] - view[0]):
        return None
    below = view is not None and low < view[0]
    above = view is not None and high > view[1]
    return (low - (FOLLOW_HEADROOM if below else FOLLOW_PAD) * span,
            high + (FOLLOW_HEADROOM if above else FOLLOW_PAD) * span)


def _finite_positive(values: np.ndarray, log_y: bool) -> np.ndarray:
    """Values safe to draw: infinities dropped, and non-positive ones too on a log axis."""
    values = np.where(np.isfinite(values), values, np.nan)
    return np.where(values > 0, values, np.nan) if log_y else values


class TimedPlotWidget(pg.PlotWidget):
    """PlotWidget that adds up the time its paints take."""

    paint_ms = 0.0

    def paintEvent(self, event) -> None:
        start = perf_counter()
        super().paintEvent(event)
        self.paint_ms += (perf_counter() - start) * 1000


class RunCurves:
    """One run on the plot: its buffer, colour, legend label, curves and learning-rate markers."""

    def __init__(self, item: pg.PlotItem, label: str, color: str, smoothing: float):
        self.label = label
        self.color = color
        self.buffer = SeriesBuffer(smoothing=smoothing)
        self.visible = True
        self.dirty = True
        self.planned_steps: int | None = None   # while the run trains: the x axis spans them from the start
        self.bounds: tuple[float, float, float, float] | None = None  # x and y extent drawn, view coordinates
        self.markers: list[tuple[int, float, pg.InfiniteLine]] = []   # (step, rate, line)
        self.raw = item.plot([], [])
        self.train = item.plot([], [], name=label)
        self.val = item.plot([], [])
        for curve in (self.raw, self.train, self.val):
            curve.opts["autoDownsampleFactor"] = 1.0
        self.set_faded(False)

    @property
    def curves(self):
        return self.raw, self.train, self.val

    def set_faded(self, faded: bool) -> None:
        # One-pixel (cosmetic) pens: wider ones go through Qt's general stroker, which takes seconds on
        # 10^4 noisy segments; peak downsampling at one bin per pixel keeps the exact min/max envelope.
        color = QColor(self.color)
        if faded:
            color.setAlpha(FADED_ALPHA)
        raw = QColor(self.color)
        raw.setAlpha(min(RAW_ALPHA, color.alpha()))
        self.raw.setPen(pg.mkPen(raw, width=1))
        self.train.setPen(pg.mkPen(color, width=1))
        self.val.setPen(pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
        for curve in self.curves:
            curve.setZValue(0 if faded else 1)


class LossPlot(QWidget):
    """Training and validation loss of every shown run, learning-rate change markers and a hover readout.

    Redraws happen on a timer: every ``REDRAW_MS``, or less often when the paints after the last
    redraw were slow, so that painting stays under ``PAINT_SHARE`` of the GUI thread.
    """

    redrawn = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.runs: dict[str, RunCurves] = {}
        self.current: str | None = None        # run the readout and markers refer to (live or selected)
        self.highlighted: str | None = None
        self._smoothing = 0.0
        self._x_axis = "step"
        self._log_y = False
        self.following = True                  # the view follows the data until the user zooms or pans
        self._refit = False                    # next redraw fits the view afresh (Auto Range, shown runs changed)

        self.widget = TimedPlotWidget(background="w")
        self.item = self.widget.getPlotItem()
        # The axes' own grid costs ~20 ms a paint; GridItem's third, finest level most of its ~6 ms.
        grid = pg.GridItem(pen=pg.mkPen(GRID_COLOR), textPen=None)
        grid.setTickSpacing(x=[None, None], y=[None, None])
        grid.setZValue(-10)
        self.item.addItem(grid, ignoreBounds=True)
        self.item.setLabel("bottom", X_AXES["step"])
        self.item.setLabel("left", "loss")
        self.legend = self.item.addLegend(offset=(-10, 10), labelTextColor="#333")
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, mode="peak")
        self.item.vb.disableAutoRange()   # the view follows the data by follow_range instead
        self.item.hideButtons()           # ... and Auto Range (toolbar, Ctrl+0) resumes following
        self.item.vb.sigRangeChangedManually.connect(self._stop_following)
        for axis in ("left", "bottom"):
            self.item.getAxis(axis).setTextPen("#333")
            self.item.getAxis(axis).setPen("#888")
            self.item.getAxis(axis).enableAutoSIPrefix(False)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine))
        self.crosshair.setVisible(False)
        self.item.addItem(self.crosshair, ignoreBounds=True)
        self._mouse = pg.SignalProxy(self.widget.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)

        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, SMOOTHING_TICKS)
        self.smoothing_slider.setFixedWidth(140)
        self.smoothing_slider.setToolTip("Smoothing: exponential moving average, debiased like TensorBoard's "
                                         "(0 = raw). The raw curve stays faintly behind.")
        self.smoothing_label = QLabel("0.00")
        self.smoothing_slider.valueChanged.connect(
            lambda position: self.set_smoothing(min(position / SMOOTHING_TICKS, MAX_WEIGHT)))
        self.x_axis_box = QComboBox()
        self.x_axis_box.addItem("Step", "step")
        self.x_axis_box.addItem("Wall time", "time")
        self.x_axis_box.setToolTip("Horizontal axis: step number or seconds of training")
        self.x_axis_box.currentIndexChanged.connect(lambda _: self.set_x_axis(self.x_axis_box.currentData()))
        options = QHBoxLayout()
        options.setContentsMargins(6, 2, 6, 2)
        options.addWidget(QLabel("Smoothing:"))
        options.addWidget(self.smoothing_slider)
        options.addWidget(self.smoothing_label)
        options.addSpacing(16)
        options.addWidget(QLabel("X axis:"))
        options.addWidget(self.x_axis_box)
        options.addStretch(1)
        options.addWidget(QLabel("solid: training · dashed: validation"))

        self.readout = QLabel(READOUT_HINT)
        self.readout.setStyleSheet("color: #555; padding: 2px 6px;")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # long text: clipped
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(options)
        layout.addWidget(self.widget, 1)
        layout.addWidget(self.readout)

        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    # -- runs --------------------------------------------------------------------------------------------------------

    def add_run(self, run_id: str, label: str, visible: bool = True, planned_steps: int | None = None) -> RunCurves:
        """A new run with the next free colour (its steps come with :meth:`add_steps`).

        ``planned_steps``: the run is live and will take that many steps (see :meth:`end_run`).
        """
        used = {run.color for run in self.runs.values()}
        color = next((c for c in PALETTE if c not in used), PALETTE[len(self.runs) % len(PALETTE)])
        run = RunCurves(self.item, label, color, self._smoothing)
        run.planned_steps = planned_steps
        self.runs[run_id] = run
        self._set_current(run_id)
        self.set_run_visible(run_id, visible)
        if self.highlighted is not None:
            run.set_faded(True)
        return run

    def remove_run(self, run_id: str) -> None:
        run = self.runs.pop(run_id)
        for curve in run.curves:
            self.item.removeItem(curve)
        for *_, line in run.markers:
            self.item.removeItem(line)
        if self.current == run_id:
            self._set_current(next(reversed(self.runs), None))
        if self.highlighted == run_id:
            self.highlight(None)
        self._refit = True

    def end_run(self, run_id: str) -> None:
        """The live run ``run_id`` took its last step: the view fits the steps it took."""
        run = self.runs[run_id]
        run.planned_steps = None
        run.dirty = True
        self._refit = True

    def set_run_visible(self, run_id: str, visible: bool) -> None:
        run = self.runs[run_id]
        run.visible = visible
        for curve in run.curves:
            curve.setVisible(visible)
        for *_, line in run.markers:
            line.setVisible(visible)
        if visible and not self._in_legend(run):
            self.legend.addItem(run.train, run.label)
        elif not visible:
            self.legend.removeItem(run.train)
        run.dirty = run.dirty or visible
        self._refit = True

    def _in_legend(self, run: RunCurves) -> bool:
        return any(sample.item is run.train for sample, _ in self.legend.items)

    def set_run_label(self, run_id: str, label: str) -> None:
        run = self.runs[run_id]
        run.label = label
        run.train.opts["name"] = label
        if self._in_legend(run):
            self.legend.removeItem(run.train)
            self.legend.addItem(run.train, label)

    def highlight(self, run_id: str | None) -> None:
        """Fade every run but ``run_id`` (None: no highlight); the readout follows it."""
        self.highlighted = run_id
        for key, run in self.runs.items():
            run.set_faded(run_id is not None and key != run_id)
        if run_id is not None:
            self._set_current(run_id)

    def _set_current(self, run_id: str | None) -> None:
        """The run the hover readout refers to."""
        if run_id != self.current:
            self.current = run_id
            self.crosshair.setVisible(False)
            self.readout.setText(READOUT_HINT)

    def add_steps(self, run_id: str, records) -> None:
        """Buffer new StepRecords of run ``run_id``; they appear at the next timer tick."""
        run = self.runs[run_id]
        for record in records:
            previous_rate = run.buffer.rates[-1] if run.buffer.size else None
            run.buffer.append(record.step, record.train_loss, record.val_loss, record.learning_rate, record.elapsed)
            if previous_rate is not None and record.learning_rate != previous_rate:
                self._mark_rate_change(run, record.step, record.learning_rate)
        run.dirty = True

    def clear(self) -> None:
        """Remove every run."""
        for run_id in list(self.runs):
            self.remove_run(run_id)
        self.following = True

    def redraw(self) -> None:
        """Push buffered points of changed, visible runs to their curves."""
        changed = [run for run in self.runs.values() if run.dirty and run.visible]
        if not changed and not self._refit:
            return
        self.timer.setInterval(round(min(max(REDRAW_MS, self.widget.paint_ms / PAINT_SHARE), MAX_REDRAW_MS)))
        self.widget.paint_ms = 0.0
        for run in changed:
            self._draw(run)
        if self.following:
            self._follow(self._refit)
        self._refit = False
        self.redrawn.emit()

    def _draw(self, run: RunCurves) -> None:
        run.dirty = False
        buffer = run.buffer
        if buffer.smoothing != self._smoothing:
            buffer.set_smoothing(self._smoothing)
        x = buffer.column(TIME if self._x_axis == "time" else STEP)
        smoothed = self._smoothing > 0
        train, val = ((buffer.column(TRAIN_SMOOTH), buffer.column(VAL_SMOOTH)) if smoothed
                      else (buffer.train, buffer.val))
        drawn = [_finite_positive(train, self._log_y), _finite_positive(val, self._log_y)]
        run.train.setData(x, drawn[0], connect="finite")
        has_val = bool(np.isfinite(drawn[1]).any())
        run.val.setVisible(has_val)
        if has_val:
            run.val.setData(x, drawn[1], connect="finite")
        run.raw.setVisible(smoothed)
        if smoothed:
            drawn.append(_finite_positive(buffer.train, self._log_y))
            run.raw.setData(x, drawn[-1], connect="finite")
        for step, _, line in run.markers:
            line.setPos(self._x_of_step(run, step))
        run.bounds = self._bounds(run, x, drawn)

    def _bounds(self, run: RunCurves, x: np.ndarray, drawn) -> tuple[float, float, float, float] | None:
        """x and y extent of a run's drawn values (NaN where not drawn) in view coordinates (log10 y on a log
        axis), the live run's planned steps included."""
        if not len(x):
            return None
        low = float(np.fmin.reduce([np.fmin.reduce(y) for y in drawn]))    # fmin/fmax skip NaN
        high = float(np.fmax.reduce([np.fmax.reduce(y) for y in drawn]))
        if math.isnan(low):
            return None
        if self._log_y:
            low, high = math.log10(low), math.log10(high)
        x_high = float(x[-1])
        if run.planned_steps:
            x_high = max(x_high, run.planned_steps if self._x_axis == "step" else
                         x_high * run.planned_steps / run.buffer.steps[-1])
        return float(x[0]), x_high, low, high

    def _follow(self, refit: bool = False) -> None:
        """Move the view to the visible runs' data if it left the view or fills too little of it."""
        extents = [run.bounds for run in self.runs.values() if run.visible and run.bounds is not None]
        if not extents:
            return
        x_view, y_view = (None, None) if refit else self.item.vb.viewRange()
        x_range = follow_range(x_view, min(e[0] for e in extents), max(e[1] for e in extents))
        y_range = follow_range(y_view, min(e[2] for e in extents), max(e[3] for e in extents))
        if x_range or y_range:
            self.item.vb.setRange(xRange=x_range, yRange=y_range, padding=0)

    def _stop_following(self) -> None:
        self.following = False

    def _redraw_all(self) -> None:
        for run in self.runs.values():
            run.dirty = True
        self.redraw()

    # -- learning-rate markers ---------------------------------------------------------------------------------------

    def _x_of_step(self, run: RunCurves, step: int) -> float:
        if self._x_axis == "step":
            return step
        index = min(max(step - 1, 0), run.buffer.size - 1)
        return float(run.buffer.column(TIME)[index])

    def _mark_rate_change(self, run: RunCurves, step: int, rate: float) -> None:
        """A vertical line at ``step`` labelled with the new rate; changes within a few steps share one."""
        label = f"lr {rate:.3g}"
        merge_distance = max(3, run.buffer.size // 100)  # a slider drag is one gesture
        if run.markers and step - run.markers[-1][0] <= merge_distance:
            first_step, _, line = run.markers[-1]
            run.markers[-1] = (first_step, rate, line)
            line.label.setFormat(label)
            return
        line = pg.InfiniteLine(pos=self._x_of_step(run, step), angle=90, movable=False,
                               pen=pg.mkPen(run.color, width=1, style=Qt.PenStyle.DotLine), label=label,
                               labelOpts={"position": 0.92, "color": run.color, "fill": QColor(255, 255, 255, 210),
                                          "anchors": [(0, 1), (0, 1)]})
        line.setZValue(5)
        line.setVisible(run.visible)
        self.item.addItem(line, ignoreBounds=True)
        run.markers.append((step, rate, line))

    def marker_labels(self, run_id: str | None = None) -> list[tuple[int, str]]:
        """(step, label) of each learning-rate marker of ``run_id`` (default: the current run), oldest first."""
        run = self.runs.get(run_id or self.current)
        return [] if run is None else [(step, line.label.format) for step, _, line in run.markers]

    # -- view --------------------------------------------------------------------------------------------------------

    @property
    def smoothing(self) -> float:
        return self._smoothing

    def set_smoothing(self, weight: float) -> None:
        """Debiased EMA weight in [0, 0.999] for every curve (0: raw losses)."""
        self._smoothing = weight
        self.smoothing_label.setText(f"{weight:.2f}")
        position = round(weight * SMOOTHING_TICKS)
        if self.smoothing_slider.value() != position:
            self.smoothing_slider.setValue(position)
        self._redraw_all()

    @property
    def x_axis(self) -> str:
        return self._x_axis

    def set_x_axis(self, axis: str) -> None:
        """"step" or "time" (seconds of training)."""
        self._x_axis = axis
        self.x_axis_box.setCurrentIndex(self.x_axis_box.findData(axis))
        self.item.setLabel("bottom", X_AXES[axis])
        self.auto_range()

    def set_log_y(self, enabled: bool) -> None:
        self._log_y = enabled
        self.item.setLogMode(y=enabled)
        self.item.setLabel("left", "loss (log scale)" if enabled else "loss")
        self.auto_range()

    def auto_range(self) -> None:
        """Fit the view to the visible runs and follow them again."""
        self.following = True
        self._refit = True
        self._redraw_all()

    def _mouse_moved(self, event) -> None:
        position = event[0]
        run = self.runs.get(self.current)
        if run is None or not run.visible or run.buffer.size == 0 or \
                not self.item.sceneBoundingRect().contains(position):
            self.crosshair.setVisible(False)
            return
        xs = run.buffer.column(TIME if self._x_axis == "time" else STEP)
        x = self.item.vb.mapSceneToView(position).x()
        index = int(np.clip(np.searchsorted(xs, x), 0, run.buffer.size - 1))
        if index > 0 and abs(xs[index - 1] - x) < abs(xs[index] - x):
            index -= 1
        self.crosshair.setPos(xs[index])
        self.crosshair.setVisible(True)
        self.readout.setText(self.describe_point(index))

    def describe_point(self, index: int, run_id: str | None = None) -> str:
        """Readout text for the ``index``-th step of ``run_id`` (default: the current run)."""
        run = self.runs[run_id or self.current]
        buffer = run.buffer
        parts = [run.label, f"step {int(buffer.steps[index])}", f"training loss {buffer.train[index]:.6g}"]
        val = buffer.val[index]
        if not math.isnan(val):
            parts.append(f"validation loss {val:.6g}")
        if self._smoothing > 0:
            parts.append(f"smoothed {buffer.column(TRAIN_SMOOTH)[index]:.6g}")
        parts.append(f"learning rate {buffer.rates[index]:.3g}")
        if self._x_axis == "time":
            parts.append(f"{buffer.column(TIME)[index]:.2f} s")
        return "   ·   ".join(parts)
