"""The metric of a sweep's trials against one hyper-parameter (log x for rates, categories spread on x): the classic
"rate sweep" curve. The trials the table's filter or the brushes hide are drawn dim, as on the parallel coordinates."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QGraphicsItem

from kgui.core.sweeps.spec import format_value
from kgui.core.sweeps.table import AxisScale, ScaleKind

from ..names import column_title, value_title
from ..plot_style import SpacedLabelsAxis, style_plot
from .parallel_coordinates import DIM_COLOR, LINE_COLOR

HEADROOM = 0.15     # of the points' span, kept free beyond them when the view widens: the next trials seldom move it


class MetricScatter(pg.PlotWidget):
    """The metric against one hyper-parameter (log x for rates, categories spread on x)."""

    def __init__(self):
        super().__init__(background="w", axisItems={"bottom": SpacedLabelsAxis("bottom")})   # log x: 0.02…0.09
        self.item = self.getPlotItem()
        style_plot(self.item)
        self.item.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):   # axes and grid drawn again only when they change, not for every point
            self.item.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.dimmed = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(DIM_COLOR), pen=None)   # hidden trials, under
        self.points = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(LINE_COLOR), pen=None)
        self.item.addItem(self.dimmed)
        self.item.addItem(self.points)
        self._count = 0     # trials drawn (points only for those with a metric)
        self.scale: AxisScale | None = None    # the hyper-parameter's axis
        self.shown: set[str] | None = None     # the trials drawn bright (the rest dim; None: all)
        self._xs, self._ys = np.empty(0), np.empty(0)   # every point, shown or dim
        self._ids: list[str] = []                       # the run of each point
        # The view follows the points itself, not by pyqtgraph's auto range, which fitted it to them again at every
        # trial beyond the others: each change redraws both axes and their grid (4-8 ms). It widens only when a point
        # falls outside, with HEADROOM to spare, and stops following once the view is dragged or zoomed.
        self._following = True
        self.item.vb.disableAutoRange()
        self.item.hideButtons()     # pyqtgraph's "A" would turn its auto range back on; View All fits once
        self.item.vb.sigRangeChangedManually.connect(self._stop_following)

    @property
    def count(self) -> int:
        return self._count

    def clear_points(self) -> None:
        self._xs, self._ys, self._ids = np.empty(0), np.empty(0), []
        self._split()
        self._count = 0
        self.scale = None

    def add_points(self, scale: AxisScale, values: list, metrics: list, run_ids: list[str]) -> None:
        """More trials (``values`` of the axis, ``metrics``, their ``run_ids``), the axes unchanged: their points
        alone are added, bright or dim as :attr:`shown` says."""
        x, y, ids = self._xy(scale, values, metrics, run_ids)
        self._count += len(values)
        if not len(x):
            return
        self._xs, self._ys, self._ids = np.concatenate([self._xs, x]), np.concatenate([self._ys, y]), self._ids + ids
        kept = self._kept(ids)
        if kept.any():
            self.points.addPoints(x=x[kept], y=y[kept])
        if not kept.all():
            self.dimmed.addPoints(x=x[~kept], y=y[~kept])
        self._keep_in_view(x, y)

    def set_shown(self, run_ids: set[str] | None) -> None:
        """Draw the points of the trials outside ``run_ids`` (the filter and brushes hide them; None: all) dim."""
        self.shown = run_ids
        self._split()

    def _kept(self, ids: list[str]) -> np.ndarray:
        if self.shown is None:
            return np.ones(len(ids), dtype=bool)
        return np.array([run_id in self.shown for run_id in ids], dtype=bool)

    def _split(self) -> None:
        kept = self._kept(self._ids)
        self.points.setData(self._xs[kept], self._ys[kept])
        self.dimmed.setData(self._xs[~kept], self._ys[~kept])

    def set_points(self, scale: AxisScale, values: list, metric_title: str, metrics: list,
                   run_ids: list[str]) -> None:
        """The trials' ``metrics`` (titled ``metric_title`` on the y axis) against ``values`` of ``scale``'s column;
        ``run_ids`` their runs."""
        log = scale.kind is ScaleKind.LOG
        if (self.scale is None or (scale.name, scale.kind, scale.categories) != (
                self.scale.name, self.scale.kind, self.scale.categories)):   # the axis changes (relaid out: ~1 ms)
            self.item.setLogMode(x=log, y=False)
            ticks = [[(index, value_title(scale.name, name)) for index, name in enumerate(scale.categories)]] if scale.categories else None
            self.item.getAxis("bottom").setTicks(ticks)
            self.item.setLabel("bottom", column_title(scale.name) + (" (log scale)" if log else ""))
        if self.item.getAxis("left").labelText != metric_title:
            self.item.setLabel("left", metric_title)
        self.scale = scale
        self._xs, self._ys, self._ids = self._xy(scale, values, metrics, run_ids)
        self._split()
        self._count = len(values)
        self._following = True
        self._fit()

    def _stop_following(self, *_) -> None:
        self._following = False

    def _keep_in_view(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Points ``xs``, ``ys`` just added: the view widened when one of them falls outside it (while following)."""
        (left, right), (bottom, top) = self.item.vb.viewRange()
        if self._following and not (left <= xs.min() and xs.max() <= right and bottom <= ys.min() and ys.max() <= top):
            self._fit()

    def _fit(self) -> None:
        """Every point in view, with HEADROOM beyond them."""
        if len(self._xs):
            self.item.vb.setRange(xRange=_with_headroom(self._xs), yRange=_with_headroom(self._ys), padding=0)

    def _xy(self, scale: AxisScale, values: list, metrics: list,
            run_ids: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The points of the trials that have a value and a finite metric, and their runs."""
        points = [(self._x(scale, value), metric, run_id) for value, metric, run_id in zip(values, metrics, run_ids)
                  if metric is not None and math.isfinite(metric)]
        points = [point for point in points if point[0] is not None]
        return (np.array([x for x, _, _ in points], dtype=float), np.array([y for _, y, _ in points], dtype=float),
                [run_id for _, _, run_id in points])

    @staticmethod
    def _x(scale: AxisScale, value) -> float | None:
        if value is None:
            return None
        if scale.kind is ScaleKind.CATEGORICAL:
            text = ",".join(map(str, value)) if isinstance(value, list) else format_value(value)
            return scale.categories.index(text) if text in scale.categories else None
        return math.log10(value) if scale.kind is ScaleKind.LOG else value


def _with_headroom(values: np.ndarray) -> tuple[float, float]:
    """The range of ``values`` with HEADROOM of their span beyond each end (of the value itself, or 1, when they are
    all one value)."""
    low, high = float(values.min()), float(values.max())
    spare = HEADROOM * ((high - low) or abs(low) or 1.0)
    return low - spare, high + spare
