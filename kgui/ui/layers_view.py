"""Each layer's health over the steps (:class:`kgui.core.training.layer_stats.LayerStatsHistory`): the gradient norm per
weight matrix and the update/weight ratio (log y), the activations' mean and std and the share of dead units per
hidden layer, one parameter's weight distribution as TensorBoard-style percentile bands, and one layer's activation
histograms over the steps as an image (fastai's "colorful dimension").

Drawn when a sample arrives while shown, or when it is shown again; exportable as CSV, JSON, PNG and SVG.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout

from kgui.core.training import layer_stats
from kgui.core.training.layer_stats import LayerStatsHistory

from .exporting import ExportTarget
from .drawn_when_shown import DrawnWhenShown
from .plot_style import SpacedLabelsAxis, style_plot

FLOOR = 1e-12           # a zero on a log axis is drawn here
BANDS = ((0, 6, 40), (1, 5, 70), (2, 4, 110))   # percentile columns (0/100, 7/93, 16/84) and their alpha
PLOTS_LEAST_SIZE = (420, 420)   # px: two columns of plots whose axes and titles fit, three rows ~130 px tall


def _pen(i: int, dashed: bool = False):
    pen = pg.mkPen(pg.intColor(i, hues=8, values=1, maxValue=200), width=1.6)
    if dashed:
        pen.setDashPattern([4, 3])
    return pen


class LayersView(DrawnWhenShown):
    """Live or saved layer statistics of one run: :meth:`show_history` (again with each new sample)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.caption = QLabel("Train a model to see each layer's gradients, updates, activations and weights.")
        self.caption.setWordWrap(True)
        self.parameter_picker = QComboBox()
        self.parameter_picker.setToolTip("The parameter whose percentile bands are drawn")
        self.layer_picker = QComboBox()
        self.layer_picker.setToolTip("The hidden layer whose activation histograms are drawn")
        for picker in (self.parameter_picker, self.layer_picker):
            picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            picker.setMinimumContentsLength(7)
        self.export_button = QPushButton("Export…")
        pickers = QHBoxLayout()      # narrow: the right-hand docks are ~330 px wide
        pickers.addWidget(self.parameter_picker)
        pickers.addWidget(self.layer_picker)
        pickers.addStretch(1)
        pickers.addWidget(self.export_button)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.gradients = self._plot("gradient norm", log_y=True)
        self.ratios = self._plot("update ‖Δw‖/‖w‖", log_y=True)
        self.graphics.nextRow()
        self.activations = self._plot("activation mean, std (- -)")
        self.dead = self._plot("dead units (share)")
        self.graphics.nextRow()
        self.bands = self._plot("weight percentiles")
        self.colorful = self._plot("activation histograms")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.colorful.addItem(self.image)
        # six plots need more room than the dock has at first (322 x 211 px in a 1,400 x 900 window): they keep a
        # readable size and scroll, instead of being squeezed to slivers and cut at the dock's right edge
        self.graphics.setMinimumSize(*PLOTS_LEAST_SIZE)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.graphics)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addLayout(pickers)
        layout.addWidget(self.scroll, 1)
        self.history: LayerStatsHistory | None = None
        self._drawn: tuple | None = None
        self._structure: tuple | None = None     # parameter names and hidden layers the curves are built for
        self._parameter_curves: dict[int, tuple] = {}   # weight matrix -> (gradient norm, update ratio) curves
        self._layer_curves: list[tuple] = []     # hidden layer -> (mean, std, dead share) curves
        self._bands: list[tuple] = []            # (lower, upper) curves of each percentile band
        self._median = None
        self.parameter_picker.currentIndexChanged.connect(lambda _: self._redraw())
        self.layer_picker.currentIndexChanged.connect(lambda _: self._redraw())

    def _plot(self, title: str, log_y: bool = False) -> pg.PlotItem:
        plot = self.graphics.addPlot(title=f"<span style='color:#333;font-size:9pt'>{title}</span>",
                                     axisItems={"left": SpacedLabelsAxis("left")} if log_y else None)
        style_plot(plot)
        plot.setMenuEnabled(False)
        if log_y:
            plot.setLogMode(y=True)
            # a decade's 2…9 are labelled only when there is room (they overlapped in a short plot)
            plot.getAxis("left").setStyle(textFillLimits=[(0, 0.8), (2, 0.15)])
        plot.addLegend(offset=(-4, 4), labelTextSize="7pt", verSpacing=-6)
        return plot

    # -- data ----------------------------------------------------------------------------------------------------

    def clear(self, text: str) -> None:
        self.history, self._drawn, self._structure = None, None, None
        self._parameter_curves, self._layer_curves, self._bands, self._median = {}, [], [], None
        self.caption.setText(text)
        for plot in (self.gradients, self.ratios, self.activations, self.dead, self.bands):
            plot.clear()
            plot.legend.clear()
        self.image.clear()
        self.parameter_picker.clear()
        self.layer_picker.clear()

    def show_history(self, history: LayerStatsHistory, caption: str = "") -> None:
        """Draw ``history`` (its samples so far; called again as samples arrive)."""
        self.history = history
        self.caption.setText(caption)
        self.draw_if_shown()

    def _redraw(self) -> None:
        self._drawn = None
        self._draw()

    def _draw(self) -> None:
        history = self.history
        if history is None or not len(history):
            return
        key = (id(history), len(history), self.parameter_picker.currentIndex(), self.layer_picker.currentIndex())
        if key == self._drawn:
            return
        self._fill_pickers(history)
        self._drawn = (id(history), len(history), self.parameter_picker.currentIndex(),
                       self.layer_picker.currentIndex())
        structure = (history.parameter_names, len(history.activation_mean[-1]))
        if structure != self._structure:
            self._build(*structure)
            self._structure = structure
        steps = np.asarray(history.steps, np.float64)
        norms, ratios = history.series("gradient_norms"), history.series("update_ratios")
        for i, (gradient, ratio) in self._parameter_curves.items():
            gradient.setData(steps, np.maximum(norms[:, i], FLOOR))
            finite = np.isfinite(ratios[:, i])
            ratio.setData(steps[finite], np.maximum(ratios[finite, i], FLOOR))
        means, stds, dead = (history.series(name) for name in ("activation_mean", "activation_std", "dead_fraction"))
        for layer, (mean, std, dead_share) in enumerate(self._layer_curves):
            mean.setData(steps, means[:, layer])
            std.setData(steps, stds[:, layer])
            dead_share.setData(steps, dead[:, layer])
        if self._layer_curves:
            self.dead.setYRange(0, max(0.05, float(np.max(dead, initial=0)) * 1.1), padding=0)
        self._draw_bands(history, steps)
        self._draw_colorful(history, steps)

    def _build(self, names: tuple[str, ...], n_layers: int) -> None:
        """One curve per weight matrix and per hidden layer, and the bands' curves (their data set at each draw)."""
        for plot in (self.gradients, self.ratios, self.activations, self.dead, self.bands):
            plot.clear()
            plot.legend.clear()
        matrices = [i for i, name in enumerate(names) if name.startswith("W")]
        self._parameter_curves = {
            i: (self.gradients.plot(pen=_pen(colour), name=names[i]), self.ratios.plot(pen=_pen(colour), name=names[i]))
            for colour, i in enumerate(matrices)}
        self._layer_curves = [(self.activations.plot(pen=_pen(layer), name=f"layer {layer + 1}"),
                               self.activations.plot(pen=_pen(layer, dashed=True)),
                               self.dead.plot(pen=_pen(layer), name=f"layer {layer + 1}")) for layer in range(n_layers)]
        self._bands = []
        for _, _, alpha in BANDS:
            edge = pg.mkPen(245, 147, 34, alpha)
            lower, upper = pg.PlotCurveItem(pen=edge), pg.PlotCurveItem(pen=edge)
            for curve in (lower, upper):
                self.bands.addItem(curve)
            self.bands.addItem(pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(245, 147, 34, alpha)))
            self._bands.append((lower, upper))
        self._median = self.bands.plot(pen=pg.mkPen(140, 70, 0, width=1.5))

    def _fill_pickers(self, history: LayerStatsHistory) -> None:
        names = list(history.parameter_names)
        if [self.parameter_picker.itemText(i) for i in range(self.parameter_picker.count())] != names:
            self.parameter_picker.blockSignals(True)
            self.parameter_picker.clear()
            self.parameter_picker.addItems(names)
            self.parameter_picker.blockSignals(False)
        layers = [f"layer {i + 1}" for i in range(len(history.activation_mean[-1]))]
        if [self.layer_picker.itemText(i) for i in range(self.layer_picker.count())] != layers:
            self.layer_picker.blockSignals(True)
            self.layer_picker.clear()
            self.layer_picker.addItems(layers)
            self.layer_picker.blockSignals(False)

    def _draw_bands(self, history: LayerStatsHistory, steps: np.ndarray) -> None:
        parameter = max(self.parameter_picker.currentIndex(), 0)
        percentiles = history.series("weight_percentiles")[:, parameter, :]
        self.bands.setTitle(f"<span style='color:#333;font-size:9pt'>{history.parameter_names[parameter]} "
                            "percentiles</span>")
        for (low, high, _), (lower, upper) in zip(BANDS, self._bands):
            lower.setData(steps, percentiles[:, low])
            upper.setData(steps, percentiles[:, high])
        self._median.setData(steps, percentiles[:, 3])

    def _draw_colorful(self, history: LayerStatsHistory, steps: np.ndarray) -> None:
        layer = self.layer_picker.currentIndex()
        histograms = history.series("histograms")
        if layer < 0 or histograms.ndim != 3 or histograms.shape[1] <= layer:
            self.image.clear()
            return
        image = np.log1p(histograms[:, layer, :].astype(np.float64)).T     # bins up, samples across
        low, high = history.latest.histogram_range
        self.image.setImage(image, autoLevels=True)
        first, last = float(steps[0]), float(steps[-1]) if len(steps) > 1 else float(steps[0]) + 1
        self.image.setRect(QRectF(first, low, max(last - first, 1.0), high - low))
        self.colorful.setTitle(f"<span style='color:#333;font-size:9pt'>layer {layer + 1} activations, "
                               f"log(1+count)</span>")

    # -- export --------------------------------------------------------------------------------------------------

    def export_target(self) -> ExportTarget:
        """The statistics as CSV or JSON (core), the plots as PNG or SVG (the window's export)."""
        history = self.history

        def plots():
            self._redraw()
            return [(self.gradients, "gradient norm"), (self.ratios, "update / weight"),
                    (self.activations, "activation mean and std"), (self.dead, "dead units (share)"),
                    (self.bands, "weight percentiles")]

        return ExportTarget("layer statistics", "layer_stats", self.graphics.ci, plots,
                            lambda path: layer_stats.export(history, path),
                            "" if history is not None and len(history) else
                            "There are no layer statistics yet: train a model first.")
