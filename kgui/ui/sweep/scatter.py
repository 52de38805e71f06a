"""The metric of a sweep's trials against one hyper-parameter (log x for rates, categories spread on x): the classic
"rate sweep" curve."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QGraphicsItem

from kgui.core.sweeps.spec import format_value
from kgui.core.sweeps.table import AxisScale, ScaleKind

from ..names import column_title, value_title
from ..plot_style import SpacedLabelsAxis, style_plot
from .parallel_coordinates import LINE_COLOR


class MetricScatter(pg.PlotWidget):
    """The metric against one hyper-parameter (log x for rates, categories spread on x)."""

    def __init__(self):
        super().__init__(background="w", axisItems={"bottom": SpacedLabelsAxis("bottom")})   # log x: 0.02…0.09
        self.item = self.getPlotItem()
        style_plot(self.item)
        self.item.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):   # axes and grid drawn again only when they change, not for every point
            self.item.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.points = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(LINE_COLOR), pen=None)
        self.item.addItem(self.points)
        self._count = 0     # trials drawn (points only for those with a metric)
        self.scale: AxisScale | None = None    # the hyper-parameter's axis

    @property
    def count(self) -> int:
        return self._count

    def clear_points(self) -> None:
        self.points.setData([], [])
        self._count = 0
        self.scale = None

    def add_points(self, scale: AxisScale, values: list, metrics: list) -> None:
        """More trials (``values`` of the axis, ``metrics``), the axes unchanged."""
        x, y = self._xy(scale, values, metrics)
        self._count += len(values)
        if len(x):
            self.points.addPoints(x=x, y=y)

    def set_points(self, scale: AxisScale, values: list, metric_title: str, metrics: list) -> None:
        """The trials' ``metrics`` (titled ``metric_title`` on the y axis) against ``values`` of ``scale``'s column."""
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
        self.points.setData(*self._xy(scale, values, metrics))
        self._count = len(values)
        self.item.enableAutoRange()

    def _xy(self, scale: AxisScale, values: list, metrics: list) -> tuple[np.ndarray, np.ndarray]:
        """The points of the trials that have a value and a finite metric."""
        pairs = [(self._x(scale, value), metric) for value, metric in zip(values, metrics)
                 if metric is not None and math.isfinite(metric)]
        pairs = [(x, y) for x, y in pairs if x is not None]
        return np.array([x for x, _ in pairs], dtype=float), np.array([y for _, y in pairs], dtype=float)

    @staticmethod
    def _x(scale: AxisScale, value) -> float | None:
        if value is None:
            return None
        if scale.kind is ScaleKind.CATEGORICAL:
            text = ",".join(map(str, value)) if isinstance(value, list) else format_value(value)
            return scale.categories.index(text) if text in scale.categories else None
        return math.log10(value) if scale.kind is ScaleKind.LOG else value
