"""How runs are drawn: a colour each, then dash patterns after 12 runs; the line-style note; faded runs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pyqtgraph as pg
from PyQt6.QtGui import QColor, QPen

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#393b79", "#637939")
DASHES = (None, (8, 3, 2, 3), (12, 4))     # training line of the 1st, 2nd, 3rd round of colours: solid, dash-dot, long
VAL_DASHES = ((4, 3), (1, 3), (1, 3))      # validation line: dashed, then dotted
TRAIN_LINE_NAMES = ("solid", "dash-dotted", "long-dashed")
VAL_LINE_NAMES = ("dashed", "dotted", "dotted")
MAX_NUMBERS_NAMED = 3   # the line key names at most this many runs of a line style
FADED_ALPHA = 60        # other runs while one is highlighted
RAW_ALPHA = 70          # the unsmoothed training loss behind a smoothed curve


@dataclass(frozen=True)
class RunStyle:
    """How a run is drawn: its colour and the dash patterns of its training and validation lines."""

    color: str
    train_dash: tuple[int, ...] | None = None   # None: solid
    val_dash: tuple[int, ...] = VAL_DASHES[0]
    COUNT: ClassVar[int] = len(PALETTE) * len(DASHES)   # distinct styles; the 37th run shares the first's

    @property
    def round(self) -> int:
        """0 for solid training lines, 1 dash-dotted, 2 long-dashed."""
        return DASHES.index(self.train_dash)

    @classmethod
    def nth(cls, index: int) -> "RunStyle":
        """The ``index``-th style of the cycle: every colour solid, then every colour dash-dotted, …"""
        colour, round_ = index % len(PALETTE), (index // len(PALETTE)) % len(DASHES)
        return cls(PALETTE[colour], DASHES[round_], VAL_DASHES[round_])


def line_key(rounds: dict[int, list[int]]) -> str:
    """The line-style note, true for the runs shown: ``rounds`` maps a style round (0: solid training lines, 1:
    dash-dotted, 2: long-dashed) to the numbers of the shown runs drawn in it."""
    if set(rounds) <= {0}:
        return f"{TRAIN_LINE_NAMES[0]}: training · {VAL_LINE_NAMES[0]}: validation"
    parts = []
    for round_, numbers in sorted(rounds.items()):
        named = ", ".join(f"#{number}" for number in sorted(numbers)[:MAX_NUMBERS_NAMED])
        named += " …" if len(numbers) > MAX_NUMBERS_NAMED else ""
        parts.append(f"{named}: {TRAIN_LINE_NAMES[round_]} training, {VAL_LINE_NAMES[round_]} validation")
    return " · ".join(parts)


def line_pen(color: QColor, dash: tuple[int, ...] | None) -> QPen:
    pen = pg.mkPen(color, width=1)
    if dash is not None:
        pen.setDashPattern(list(dash))
    return pen
