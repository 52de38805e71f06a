"""The Sweep tab's curves: one training-loss curve per configuration, the mean over its seeds with a ± one standard
deviation band, coloured by a chosen hyper-parameter (a continuous colormap with a colour bar for numbers, distinct
colours for categories). The curves of one colour are one path (a thousand configurations stay one item per colour),
and so are their bands."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QPainterPath, QPolygonF
from PyQt6.QtCore import QPointF
from PyQt6.QtWidgets import QGraphicsPathItem

from kgui.core.sweeps.table import AxisScale, ScaleKind, SeedGroup, axis_scale

from ..plot_style import style_plot

COLORMAP = "viridis"
CATEGORY_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
COLOR_LEVELS = 64        # a continuous colour is one of this many (curves of one level share a path)
BAND_ALPHA = 50
THICK_CURVES = 20        # up to this many configurations the curves are 1.5 px wide; more: 1 px (20x faster to paint)


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
        self.groups: list[SeedGroup] = []
        self.colors: dict[str, str] = {}      # configuration label -> colour drawn ("#rrggbb")
        self.banded: list[str] = []           # the configurations drawn with a band (more than one seed)
        self.colour_by: str | None = None
        self.scale: AxisScale | None = None

    def show_groups(self, groups: list[SeedGroup], colour_by: str | None) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.items, self.colors, self.banded = [], {}, []
        self.groups, self.colour_by = groups, colour_by
        values = [group.values.get(colour_by) for group in groups] if colour_by else []
        self.scale = axis_scale(colour_by, values) if colour_by else None
        numeric = self.scale is not None and self.scale.kind is not ScaleKind.CATEGORICAL
        self.bar.setVisible(numeric)
        if numeric:
            self.bar.setLevels((self.scale.low, self.scale.high))
            self.bar.axis.setLabel(colour_by.replace("_", " ") + (" (log10)" if self.scale.kind is ScaleKind.LOG
                                                                  else ""))
        width = 1.5 if len(groups) <= THICK_CURVES else 1
        by_color: dict[str, list[SeedGroup]] = {}
        for index, group in enumerate(groups):
            color = self._color(group, colour_by, index).name()
            self.colors[group.label()] = color
            by_color.setdefault(color, []).append(group)
        for color, members in by_color.items():
            banded = [group for group in members if len(group.run_ids) > 1 and np.isfinite(group.std).any()]
            self.banded += [group.label() for group in banded]
            if banded:
                band = pg.mkColor(color)
                band.setAlpha(BAND_ALPHA)
                fill = QGraphicsPathItem(_bands(banded))
                fill.setPen(pg.mkPen(None))
                fill.setBrush(pg.mkBrush(band))
                self.items.append(fill)
            x = np.concatenate([group.steps for group in members]).astype(float)
            y = np.concatenate([group.mean for group in members]).astype(float)
            finite = np.isfinite(y)
            connect = finite & np.roll(finite, -1)
            connect[np.cumsum([len(group.steps) for group in members]) - 1] = False   # each curve ends there
            self.items.append(pg.PlotCurveItem(x, np.where(finite, y, 0.0), connect=connect,
                                               pen=pg.mkPen(color, width=width), skipFiniteCheck=True))
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
        position = 0.5 if position is None or math.isnan(position) else round(position * (COLOR_LEVELS - 1)) / (
            COLOR_LEVELS - 1)
        return self.colormap.map(position, mode="qcolor")


def _bands(groups: list[SeedGroup]) -> QPainterPath:
    """One path of every group's mean ± std polygon (where both are finite)."""
    path = QPainterPath()
    for group in groups:
        finite = np.isfinite(group.mean) & np.isfinite(group.std)
        steps, mean, std = group.steps[finite], group.mean[finite], group.std[finite]
        if len(steps) < 2:
            continue
        upper = [QPointF(float(x), float(y)) for x, y in zip(steps, mean + std)]
        lower = [QPointF(float(x), float(y)) for x, y in zip(steps[::-1], (mean - std)[::-1])]
        path.addPolygon(QPolygonF(upper + lower))
        path.closeSubpath()
    return path
