"""The Sweep tab's curves: one training-loss curve per configuration, the mean over its seeds with a ± one standard
deviation band, coloured by a chosen hyper-parameter (a continuous colormap with a colour bar for numbers, distinct
colours for categories)."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from kgui.core.sweeps.table import AxisScale, ScaleKind, SeedGroup, axis_scale

from ..plot_style import style_plot

COLORMAP = "viridis"
CATEGORY_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
BAND_ALPHA = 50


class SweepCurves(pg.GraphicsLayoutWidget):
    """Mean ± std curves of a sweep's configurations; ``show_groups`` draws them coloured by ``colour_by``."""

    def __init__(self):
        super().__init__()
        self.setBackground("w")
        self.plot = self.addPlot(row=0, col=0)
        style_plot(self.plot)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "training loss (mean ± std over seeds)")
        self.colormap = pg.colormap.get(COLORMAP)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=self.colormap, interactive=False, width=12)
        self.addItem(self.bar, row=0, col=1)
        self.items: list = []
        self.colors: dict[str, str] = {}      # configuration label -> colour drawn
        self.scale: AxisScale | None = None

    def show_groups(self, groups: list[SeedGroup], colour_by: str | None) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.items, self.colors = [], {}
        values = [group.values.get(colour_by) for group in groups] if colour_by else []
        self.scale = axis_scale(colour_by, values) if colour_by else None
        numeric = self.scale is not None and self.scale.kind is not ScaleKind.CATEGORICAL
        self.bar.setVisible(numeric)
        if numeric:
            self.bar.setLevels((self.scale.low, self.scale.high))
            self.bar.axis.setLabel(colour_by.replace("_", " ") + (" (log10)" if self.scale.kind is ScaleKind.LOG
                                                                  else ""))
        for index, group in enumerate(groups):
            color = self._color(group, colour_by, index)
            self.colors[group.label()] = color.name()
            mean = pg.PlotDataItem(group.steps, group.mean, pen=pg.mkPen(color, width=1.5))
            self.items.append(mean)
            if len(group.run_ids) > 1 and np.isfinite(group.std).any():
                band = color.__class__(color)
                band.setAlpha(BAND_ALPHA)
                upper = pg.PlotDataItem(group.steps, group.mean + group.std, pen=pg.mkPen(None))
                lower = pg.PlotDataItem(group.steps, group.mean - group.std, pen=pg.mkPen(None))
                fill = pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(band))
                self.items += [upper, lower, fill]
        for item in self.items:
            self.plot.addItem(item)
        self.plot.enableAutoRange()

    def _color(self, group: SeedGroup, colour_by: str | None, index: int):
        if self.scale is None:
            return pg.mkColor(CATEGORY_COLORS[index % len(CATEGORY_COLORS)])
        value = group.values.get(colour_by)
        if self.scale.kind is ScaleKind.CATEGORICAL:
            position = self.scale.categories.index(str(value) if not isinstance(value, list)
                                                   else ",".join(map(str, value)))
            return pg.mkColor(CATEGORY_COLORS[position % len(CATEGORY_COLORS)])
        position = self.scale.position(value)
        return self.colormap.map(0.5 if position is None or math.isnan(position) else position, mode="qcolor")
