"""The Sweep tab's curves: one training-loss curve per configuration, the mean over its seeds with a ± one standard
deviation band, coloured by a chosen hyper-parameter (a continuous colormap with a colour bar for numbers, distinct
colours for categories). The curves of one colour are one path (a thousand configurations stay one item per colour),
and so are their bands."""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QPainterPath
from PyQt6.QtWidgets import QGraphicsPathItem

from kgui.core.sweeps.seeds import SeedGroup

from ..colour_key import ColourKey, add_band, band_colour, category_colour, colour_bar, show_key
from ..plot_style import style_plot

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
        self.bar = colour_bar()
        self.addItem(self.bar, row=0, col=1)
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextColor="#333")   # the categories coloured by
        self.items: list = []
        self.groups: list[SeedGroup] = []
        self.colors: dict[str, str] = {}      # configuration label -> colour drawn ("#rrggbb")
        self.banded: list[str] = []           # the configurations drawn with a band (more than one seed)
        self.key: ColourKey | None = None

    def show_groups(self, groups: list[SeedGroup], colour_by: str | None) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.legend.clear()
        self.items, self.colors, self.banded = [], {}, []
        self.groups = groups
        self.key = ColourKey(colour_by, [group.values.get(colour_by) for group in groups]) if colour_by else None
        show_key(self.bar, self.key)
        width = 1.5 if len(groups) <= THICK_CURVES else 1
        by_color: dict[str, list[SeedGroup]] = {}
        for index, group in enumerate(groups):
            color = (self.key.colour(group.values.get(colour_by)) if self.key else category_colour(index)).name()
            self.colors[group.label()] = color
            by_color.setdefault(color, []).append(group)
        for color, members in by_color.items():
            banded = [group for group in members if len(group.run_ids) > 1 and np.isfinite(group.std).any()]
            self.banded += [group.label() for group in banded]
            if banded:
                fill = QGraphicsPathItem(_bands(banded))
                fill.setPen(pg.mkPen(None))
                fill.setBrush(pg.mkBrush(band_colour(pg.mkColor(color))))
                self.items.append(fill)
            x = np.concatenate([group.steps for group in members]).astype(float)
            y = np.concatenate([group.mean for group in members]).astype(float)
            finite = np.isfinite(y)
            connect = finite & np.roll(finite, -1)
            connect[np.cumsum([len(group.steps) for group in members]) - 1] = False   # each curve ends there
            curve = pg.PlotCurveItem(x, np.where(finite, y, 0.0), connect=connect, pen=pg.mkPen(color, width=width),
                                     skipFiniteCheck=True)
            self.items.append(curve)
            for category in self.categories_of(color):
                self.legend.addItem(curve, html.escape(category))
        for item in self.items:
            self.plot.addItem(item)
        self.plot.enableAutoRange()

    def categories_of(self, color: str) -> list[str]:
        """The legend's names of the categories drawn in ``color`` ("Optimizer adam"; none unless coloured by a
        category)."""
        if self.key is None:
            return []
        return [f"{self.key.title()} {name}" for name, colour in self.key.categories() if colour.name() == color]


def _bands(groups: list[SeedGroup]) -> QPainterPath:
    """One path of every group's mean ± std polygon (where both are finite)."""
    path = QPainterPath()
    for group in groups:
        add_band(path, group.steps, group.mean - group.std, group.mean + group.std)
    return path
