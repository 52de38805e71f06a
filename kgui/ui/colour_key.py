"""A sweep's curves coloured by one hyper-parameter: a continuous colormap along its axis for numbers (log for
rates), shown by a colour bar, or distinct colours for categories (optimizer, engine, activation), shown by a legend.
The Sweep tab's curves by seed and the loss plot both colour by a :class:`ColourKey`."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QPainterPath
from PyQt6.QtWidgets import QGraphicsItem

from kgui.core.sweeps.table import AxisScale, ScaleKind, axis_scale, category_text

from .names import column_title, value_title

COLORMAP = "viridis"
CATEGORY_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
COLOR_LEVELS = 64        # a continuous colour is one of this many (the Sweep tab draws curves of one level as one path)
BAND_ALPHA = 50          # a mean ± std band: its curve's colour, this opaque
BAR_WIDTH = 12
END_TICK_ROOM = 0.12     # a colour bar's end gets a tick of its own this far (a share of its length) from the others
MISSING_COLOR = "#a0a0a0"  # a curve without a value for the key (a trial of an older sweep without that axis)


class ColourKey:
    """The colour of each value of hyper-parameter ``name`` (``values``: those its curves have): a colormap level
    along its scale for numbers, a category colour for anything else."""

    def __init__(self, name: str, values: list):
        self.name = name
        self.scale: AxisScale = axis_scale(name, values)
        self.colormap = pg.colormap.get(COLORMAP)

    @property
    def continuous(self) -> bool:
        return self.scale.kind is not ScaleKind.CATEGORICAL

    def colour(self, value) -> QColor:
        """``value``'s colour: its category's, or its colormap level; grey for a value the key has not got."""
        position = self.scale.position(value)
        if position is None or math.isnan(position):
            return pg.mkColor(MISSING_COLOR)
        if not self.continuous:
            return category_colour(self.scale.categories.index(category_text(value)))
        return self.colormap.map(round(position * (COLOR_LEVELS - 1)) / (COLOR_LEVELS - 1), mode="qcolor")

    def categories(self) -> list[tuple[str, QColor]]:
        """Each category's name as people read it ("JAX", not "jax") and colour, in the order the values first came
        (none for a continuous key)."""
        return [] if self.continuous else [(value_title(self.name, name), category_colour(index))
                                           for index, name in enumerate(self.scale.categories)]

    def title(self) -> str:
        """``Learning rate``: the hyper-parameter for people."""
        return column_title(self.name)


def category_colour(index: int) -> QColor:
    """The ``index``-th category colour (they repeat after eight)."""
    return pg.mkColor(CATEGORY_COLORS[index % len(CATEGORY_COLORS)])


def band_colour(colour: QColor) -> QColor:
    """A mean ± std band's fill: its curve's colour, faint."""
    band = QColor(colour)
    band.setAlpha(BAND_ALPHA)
    return band


def add_band(path: QPainterPath, x: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
    """The polygon between ``low`` and ``high`` over ``x`` into ``path``, where all three are finite."""
    finite = np.isfinite(x) & np.isfinite(low) & np.isfinite(high)
    x, low, high = x[finite], low[finite], high[finite]
    if len(x) < 2:
        return
    outline = pg.arrayToQPath(np.concatenate([x, x[::-1]]), np.concatenate([high, low[::-1]]), finiteCheck=False)
    outline.closeSubpath()
    path.addPath(outline)


@dataclass
class Band:
    """One shaded band: its data (``x``, ``low``, ``high``; for exports), colour and path in view coordinates."""

    x: np.ndarray
    low: np.ndarray
    high: np.ndarray
    colour: QColor
    path: QPainterPath


class BandLayer(QGraphicsItem):
    """Every shaded band of a plot (means ± std over seeds) as one item, painted into one pixmap until a band or the
    view changes: a noisy band's fill costs Qt ~2-5 ms, so the hover line's repaints would cost that for each."""

    def __init__(self):
        super().__init__()
        self.bands: dict[object, Band] = {}
        self._rect = QRectF()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_band(self, key, x: np.ndarray, low: np.ndarray, high: np.ndarray, colour: QColor,
                 log_y: bool = False) -> None:
        """Band ``key`` between ``low`` and ``high`` over ``x`` (NaN where not drawn), on a log10 y axis if ``log_y``."""
        path = QPainterPath()
        with np.errstate(divide="ignore", invalid="ignore"):
            add_band(path, x, *((np.log10(low), np.log10(high)) if log_y else (low, high)))
        self.bands[key] = Band(x, low, high, QColor(colour), path)
        self._changed()

    def remove_band(self, key) -> None:
        if self.bands.pop(key, None) is not None:
            self._changed()

    def _changed(self) -> None:
        self.prepareGeometryChange()
        self._rect = QRectF()
        for band in self.bands.values():
            self._rect = self._rect.united(band.path.boundingRect())
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter, option, widget=None) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        for band in self.bands.values():
            painter.setBrush(band_colour(band.colour))
            painter.drawPath(band.path)


def colour_bar() -> pg.ColorBarItem:
    """A colour bar for :func:`show_key` (hidden until it shows a continuous key)."""
    bar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get(COLORMAP), interactive=False, width=BAR_WIDTH)
    bar.setVisible(False)
    return bar


def show_key(bar: pg.ColorBarItem, key: ColourKey | None) -> None:
    """``bar`` shows ``key``'s range, titled with its name, its ticks the values (a rate's on a log axis); hidden for
    no key or a categorical one."""
    shown = key is not None and key.continuous
    bar.setVisible(shown)
    if shown:
        low, high = key.scale.low, key.scale.high
        bar.setLevels((low, high) if high > low else (low - 0.5, high + 0.5))   # one value: its colour mid-bar
        bar.axis.enableAutoSIPrefix(False)
        bar.axis.setTicks(log_ticks(key.scale.low, key.scale.high) if key.scale.kind is ScaleKind.LOG else None)
        bar.axis.setLabel(key.title())


def log_ticks(low: float, high: float) -> list[list[tuple[float, str]]]:
    """Ticks of a log10 axis from ``low`` to ``high`` labelled with the values (0.001, 0.01, 0.1): each decade, and
    each end not within ``END_TICK_ROOM`` of a decade's (its labels would overlap)."""
    ticks = [(float(power), f"{10.0 ** power:g}") for power in range(math.ceil(low), math.floor(high) + 1)]
    room = END_TICK_ROOM * max(high - low, 1e-12)
    for end in (low, high):
        if all(abs(end - position) > room for position, _ in ticks):
            ticks.append((end, f"{10 ** end:.2g}"))
    return [sorted(ticks)]



def draw_colour_bar(figure, axes, key: ColourKey | None) -> None:
    """Beside matplotlib ``axes`` (one or a list), the colour bar the screen shows for ``key`` (an SVG export); none
    for no key or a categorical one."""
    if key is None or not key.continuous:
        return
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm, Normalize

    low, high = key.scale.low, key.scale.high
    if high == low:
        low, high = low - 0.5, high + 0.5
    norm = LogNorm(10 ** low, 10 ** high) if key.scale.kind is ScaleKind.LOG else Normalize(low, high)
    figure.colorbar(ScalarMappable(norm, cmap=COLORMAP), ax=axes).set_label(key.title())
