"""The metric of a sweep's trials against one hyper-parameter (log x for rates, categories spread on x): the classic
"rate sweep" curve."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from kgui.core.sweeps.spec import format_value
from kgui.core.sweeps.table import AxisScale, ScaleKind

from ..plot_style import style_plot
from .parallel_coordinates import LINE_COLOR


class MetricScatter(pg.PlotWidget):
    """The metric against one hyper-parameter (log x for rates, categories spread on x)."""

    def __init__(self):
        super().__init__(background="w")
        self.item = self.getPlotItem()
        style_plot(self.item)
        self.item.showGrid(x=True, y=True, alpha=0.2)
        self.points = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(LINE_COLOR), pen=None)
        self.item.addItem(self.points)
        self._count = 0     # trials drawn (points only for those with a metric)

    @property
    def count(self) -> int:
        return self._count

    def _x(self, scale: AxisScale, value) -> float | None:
        if value is None:
            return None
        if scale.kind is ScaleKind.CATEGORICAL:
            text = ",".join(map(str, value)) if isinstance(value, list) else format_value(value)
            return scale.categories.index(text) if text in scale.categories else None
        return math.log10(value) if scale.kind is ScaleKind.LOG else value

    def add_point(self, scales: list[AxisScale], name: str, value, metric) -> None:
        """One more trial, the axes unchanged."""
        scale = next(scale for scale in scales if scale.name == name)
        x = self._x(scale, value)
        self._count += 1
        if x is not None and metric is not None and math.isfinite(metric):
            self.points.addPoints(x=[x], y=[metric])

    def set_points(self, scale: AxisScale, xs: list, metric: str, ys: list) -> None:
        log = scale.kind is ScaleKind.LOG
        self.item.setLogMode(x=log, y=False)
        pairs = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y) and x is not None]
        if scale.kind is ScaleKind.CATEGORICAL:
            ticks = [(index, name) for index, name in enumerate(scale.categories)]
            self.item.getAxis("bottom").setTicks([ticks])
            x = [scale.categories.index(format_value(value) if not isinstance(value, list)
                                        else ",".join(map(str, value))) for value, _ in pairs]
        else:
            self.item.getAxis("bottom").setTicks(None)
            x = [math.log10(value) if log else value for value, _ in pairs]
        self.points.setData(np.asarray(x, dtype=float), np.asarray([y for _, y in pairs], dtype=float))
        self._count = len(xs)
        self.item.setLabel("bottom", scale.name.replace("_", " ") + (" (log scale)" if log else ""))
        self.item.setLabel("left", metric.replace("_", " "))
        self.item.enableAutoRange()
