"""One look for every pyqtgraph plot of the window: dark axis text, grey axis lines, plain numbers, and room
above the plot so that the top tick label is never cut in half."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QFontMetrics

AXIS_TEXT = "#333"
AXIS_LINE = "#888"
MIN_LOG_LABELS = 3    # a log axis showing fewer decade and 2…9 ticks than this is labelled with plain values
LABEL_GAP = 8        # px kept free between two tick labels of a SpacedLabelsAxis (touching ones read as one number)


def style_plot(item: pg.PlotItem) -> None:
    """Axis colours, no SI prefixes, and a top margin of half a line: the topmost y tick label is centred
    on the top of the view and would otherwise stick out of the widget.

    An axis makes room for a wider tick label but narrows only when its view is fitted afresh
    (:func:`let_axes_narrow`; pyqtgraph's default narrows it by each label 10 px shorter, and every change lays the
    plot out and draws its axes twice: on the first paint of a plot, and again and again as a loss falls)."""
    for axis in ("left", "bottom"):
        item.getAxis(axis).setTextPen(AXIS_TEXT)
        item.getAxis(axis).setPen(AXIS_LINE)
        item.getAxis(axis).enableAutoSIPrefix(False)
        item.getAxis(axis).setStyle(autoReduceTextSpace=False)
    half_line = QFontMetrics(item.getAxis("left").font()).height() // 2 + 2
    left, _, right, bottom = item.layout.getContentsMargins()
    item.layout.setContentsMargins(left, half_line, max(right, half_line), bottom)


def let_axes_narrow(item: pg.PlotItem, narrow: bool) -> None:
    """Whether the axes of ``item`` may narrow at their next paint (a view fitted afresh: runs shown or hidden,
    Auto Range; not while a run trains)."""
    for axis in ("left", "bottom"):
        item.getAxis(axis).style["autoReduceTextSpace"] = narrow


class SpacedLabelsAxis(pg.AxisItem):
    """An axis that drops each tick label that would overlap or touch one drawn before it (pyqtgraph always draws
    its first level's labels: on a log axis spanning less than a decade, that is 2…9 of the decade, crowded at its
    top, and 0.0004 next to 0.0005 read as "0.00040.0005")."""

    def generateDrawSpecs(self, painter):
        specs = super().generateDrawSpecs(painter)
        if specs is None:
            return None
        axis, ticks, texts = specs
        kept = []
        # decades (0.1, 1, 10) first, then the higher tick levels first and within a level by value
        half = LABEL_GAP / 2
        dx, dy = (half, 0) if self.orientation in ("bottom", "top") else (0, half)

        def room(text):
            return text[0].adjusted(-dx, -dy, dx, dy)

        for text in sorted(texts, key=lambda text: not _is_decade(text[2])):
            if not any(room(text).intersects(room(other)) for other in kept):
                kept.append(text)
        return axis, ticks, [text for text in texts if text in kept]


def _is_decade(label: str) -> bool:
    """``label`` reads as a power of ten (0.001, 1, 100)."""
    try:
        value = float(label)
    except ValueError:
        return False
    return value > 0 and abs(math.log10(value) - round(math.log10(value))) < 1e-9


class ShortLogRangeAxis(SpacedLabelsAxis):
    """A log axis that, spanning too little of a decade for its decade and 2…9 ticks (a loss from 0.66 to 0.76 had
    the one label "0.7"), labels plain values along it instead (0.66, 0.68 … 0.76)."""

    plain = False     # the ticks being drawn are plain values (set by logTickValues for the tickStrings that follow)

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        ticks = super().logTickValues(minVal, maxVal, size, stdTicks)
        self.plain = sum(len(values) for _, values in ticks) < MIN_LOG_LABELS
        if not self.plain:
            return ticks
        low, high = 10.0 ** minVal, 10.0 ** maxVal
        values = np.empty(0)
        for spacing, offset in self.tickSpacing(low, high, size):    # the coarsest level giving enough labels
            start = math.ceil((low - offset) / spacing) * spacing + offset
            values = np.arange(start, high + spacing * 1e-6, spacing)
            if len(values) >= MIN_LOG_LABELS:
                break
        return [(None, [math.log10(value) for value in values if value > 0])]

    def logTickStrings(self, values, scale, spacing):
        if not self.plain:
            return super().logTickStrings(values, scale, spacing)
        return [f"{10.0 ** value * scale:.3g}" for value in values]
