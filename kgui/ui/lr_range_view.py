"""The learning-rate range test tab: loss against learning rate (log axis), fast.ai's four suggestions marked with
their rates, one click to use each."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kgui.core.training import lr_finder
from kgui.core.training.lr_finder import DEFAULT_SUGGESTION, PLOT_HEADROOM, Suggestion
from kgui.core.session import RangePoints, Session

from .exporting import ExportTarget
from .plot_style import style_plot

RAW_COLOR = (31, 119, 180, 80)
SMOOTH_COLOR = "#1f77b4"
SUGGESTION_COLORS = {Suggestion.VALLEY: "#2ca02c", Suggestion.STEEP: "#d62728", Suggestion.MINIMUM: "#9467bd",
                     Suggestion.SLIDE: "#ff7f0e"}
LABEL_HEIGHTS = {Suggestion.VALLEY: 0.95, Suggestion.STEEP: 0.85, Suggestion.MINIMUM: 0.75, Suggestion.SLIDE: 0.65}


class LrRangeView(QWidget):
    """Plot of a range test as it runs; the buttons are wired by the window."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.widget = pg.PlotWidget(background="w")
        self.item = self.widget.getPlotItem()
        self.item.setLogMode(x=True, y=False)
        self.item.setLabel("bottom", "learning rate (log scale)")
        self.item.setLabel("left", "training loss")
        self.item.showGrid(x=True, y=True, alpha=0.2)
        style_plot(self.item)
        self.item.addLegend(offset=(10, -10), labelTextColor="#333")  # bottom left: the curve starts high
        self.raw_curve = self.item.plot([], [], pen=pg.mkPen(RAW_COLOR, width=1), name="loss")
        self.smooth_curve = self.item.plot([], [], pen=pg.mkPen(SMOOTH_COLOR, width=2), name="smoothed loss")
        # one dashed line per rule, labelled with its rate at its own height (two rules may give one rate)
        self.markers = {
            rule: pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine),
                                  label=str(rule), labelOpts={"position": LABEL_HEIGHTS[rule], "color": color,
                                                              "anchors": [(0, 0), (0, 0)]})
            for rule, color in SUGGESTION_COLORS.items()}
        for line in self.markers.values():
            line.setVisible(False)
            self.item.addItem(line, ignoreBounds=True)

        self.start_button = QPushButton("Run range test")
        self.start_button.setToolTip("Raise the learning rate from 1e-6 to 10 over 100 steps of the current "
                                     "experiment and suggest a rate (like fast.ai's lr_find)")
        self.cancel_button = QPushButton("Cancel")
        self.use_buttons = {rule: QPushButton(f"Use {rule}") for rule in Suggestion}
        for rule, button in self.use_buttons.items():
            button.setToolTip(f"Set the learning-rate slider to the {rule} suggestion"
                              + (" (kgui's suggestion)" if rule is DEFAULT_SUGGESTION else "")
                              + (" (fast.ai's default)" if rule is Suggestion.VALLEY else ""))
        self.use_button = self.use_buttons[DEFAULT_SUGGESTION]   # the suggestion
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the sweep as CSV or JSON, or its plot as PNG or SVG")
        self.summary = QLabel("Run the range test to get a suggested learning rate for the current experiment.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons, uses = QHBoxLayout(), QHBoxLayout()   # the Use buttons on a row of their own: the tab stays narrow
        for button in (self.start_button, self.cancel_button, self.export_button):
            buttons.addWidget(button)
        for button in self.use_buttons.values():
            uses.addWidget(button)
        for row in (buttons, uses):
            row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addLayout(uses)
        layout.addWidget(self.widget, 1)
        self.result = None
        self.clear()

    def export_target(self) -> ExportTarget:
        """The sweep as an export: the plot as on screen (PNG/SVG) or its points (CSV, JSON with suggestions)."""
        result = self.result
        return ExportTarget("learning-rate range test", "kgui-lr-range", self.item, lambda: [(self.item, "")],
                            lambda path: lr_finder.export_range_test(result, path),
                            "" if result is not None else "Run the range test first: there is nothing to export yet.")

    def clear(self) -> None:
        self._rates: list[float] = []
        self._losses: list[float] = []
        self._smoothed: list[float] = []
        self.result = None
        self.raw_curve.setData([], [])
        self.smooth_curve.setData([], [])
        for line in self.markers.values():
            line.setVisible(False)
        self.set_running(False)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for rule, button in self.use_buttons.items():
            button.setEnabled(not running and self.rate_of(rule) is not None)
        self.export_button.setEnabled(not running and self.result is not None)

    @property
    def suggestion(self) -> float | None:
        return None if self.result is None else self.result.suggestion

    def rate_of(self, rule: Suggestion) -> float | None:
        """The rate ``rule`` suggests in the shown result, if any."""
        return None if self.result is None else self.result.suggestions.get(rule)

    def follow(self, session: Session) -> None:
        """Draw the points of ``session``'s range tests as they are measured."""
        session.on(RangePoints, lambda event: self.add_points(event.points))

    def add_points(self, points) -> None:
        """Draw new RangeTestPoints (they arrive in batches from the worker)."""
        for point in points:
            self._rates.append(point.learning_rate)
            self._losses.append(point.loss)
            self._smoothed.append(point.smoothed_loss)
        rates = np.asarray(self._rates)
        self.raw_curve.setData(rates, np.asarray(self._losses), connect="finite")
        self.smooth_curve.setData(rates, np.asarray(self._smoothed), connect="finite")
        first = self._smoothed[0]
        finite = [value for value in self._losses + self._smoothed if math.isfinite(value)]
        if finite and math.isfinite(first):
            self.item.setYRange(min(finite), PLOT_HEADROOM * first)  # the blow-up would flatten the rest
        self.summary.setText(f"step {len(self._rates)}: learning rate {self._rates[-1]:.3g}, "
                             f"loss {self._losses[-1]:.4g}")

    def show_result(self, result) -> None:
        """The finished (or cancelled, or blown-up) sweep: its suggestions marked, the summary shown."""
        self.result = result
        for rule, line in self.markers.items():
            rate = result.suggestions.get(rule)
            line.setVisible(rate is not None)
            if rate is not None:
                line.setPos(math.log10(rate))
                line.label.setFormat(f"{rule} {rate:.3g}")
        self.summary.setText(result.summary()[0].upper() + result.summary()[1:])
        self.set_running(False)
