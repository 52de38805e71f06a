"""One configuration of a sweep on the loss plot with its seeds grouped: the mean training loss over the seeds with
a shaded band of ± one standard deviation (in its panel's :class:`BandLayer`: one item, one cached picture, for all
its bands), and the mean validation loss dashed. The statistics come from core (:func:`kgui.core.sweeps.seeds.mean_and_std`)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QColor

from kgui.core.sweeps.seeds import mean_and_std

from ..colour_key import Band, BandLayer
from .styles import VAL_DASHES, line_pen
from .view_maths import finite_positive, values_extent

LINE_KEY = "means over seeds: solid training, ± std shaded; dashed validation"


class SeedBand:
    """The items of one configuration (``values``, its runs ``run_ids``) on ``item`` (a panel's plot):
    ``set_data`` draws its runs' curves averaged; ``label`` names it in the legend."""

    def __init__(self, item: pg.PlotItem, layer: BandLayer, label: str, run_ids: list[str], values: dict):
        self.item = item
        self.layer = layer        # the panel's bands, one item (its band: self.band)
        self.label = label
        self.run_ids = run_ids
        self.values = values      # the configuration's axis values
        self.mean = item.plot([], [])
        self.val_mean = item.plot([], [])
        self.colour = QColor()
        for curve in (self.mean, self.val_mean):
            curve.setZValue(2)
        self.bounds: tuple[float, float, float, float] | None = None   # as RunCurves.bounds
        empty = np.empty(0)
        self.x, self.train, self.std, self.val = empty, empty, empty, empty   # as averaged (the readout's values)

    def set_colour(self, colour: QColor) -> None:
        """The mean curves in ``colour`` (one-pixel pens: a 2 px one took 15x as long to paint), the band faint."""
        self.mean.setPen(line_pen(colour, None))
        self.val_mean.setPen(line_pen(colour, VAL_DASHES[0]))
        self.colour = QColor(colour)

    def set_data(self, xs: list[np.ndarray], trains: list[np.ndarray], vals: list[np.ndarray], log_y: bool) -> None:
        """The members' x values and training and validation losses (as their curves would draw them) averaged
        over the steps every member took; x: their mean (steps and epochs are the same; seconds differ)."""
        x, _ = mean_and_std(xs)
        train, std = mean_and_std(trains)
        val, _ = mean_and_std(vals)
        self.x, self.train, self.std, self.val = x, train, std, val
        drawn = [finite_positive(values, log_y) for values in (train, train - std, train + std, val)]
        self.mean.setData(x, drawn[0], connect="finite")
        self.layer.set_band(id(self), x, drawn[1], drawn[2], self.colour, log_y)
        has_val = bool(np.isfinite(drawn[3]).any())
        self.val_mean.setVisible(has_val)
        if has_val:
            self.val_mean.setData(x, drawn[3], connect="finite")
        self.bounds = values_extent(x, drawn, log_y)

    def remove(self) -> None:
        self.layer.remove_band(id(self))
        for part in (self.mean, self.val_mean):
            self.item.removeItem(part)

    @property
    def band(self) -> Band:
        return self.layer.bands[id(self)]

