"""Export what is on screen: the loss plot, the range-test tab or the backend parity panel, in every format.

PNG is pyqtgraph's own rendering of the shown plot (``ImageExporter``) at ``PNG_SCALE`` times its size on
screen: same runs, colours, dash patterns, axis scales, smoothing, x axis, zoom, legend and markers.
SVG is drawn by matplotlib (pyqtgraph's SVG exporter is broken on Qt >= 6.11) from the plot's actual state,
read back from its items by :func:`panel_state`: the visible curves' data and pens, the view ranges, the
log modes, the labelled marker lines, the shaded bands (a sweep's mean ± std over seeds) and the legend, with the
colour bar of runs coloured by a number. CSV and JSON are the data behind the view (core).
"""
from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401 - registers pg.exporters
from PyQt6.QtCore import QBuffer, QIODevice
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QFileDialog, QGraphicsItem, QMessageBox

from kgui.core.exports import tensorboard
from kgui.core.exports.export import export_format
from kgui.core.files import write_output

from .colour_key import BandLayer, ColourKey, band_colour, draw_colour_bar

PNG_SCALE = 2
SVG_DPI = 100           # the SVG's figure is the plot's size on screen at this many pixels per inch
FORMATS = {             # format: file dialog filter
    "png": "PNG image (*.png)",
    "svg": "SVG image (*.svg)",
    "csv": "CSV table (*.csv)",
    "json": "JSON file (*.json)",
}


def filters(first: str = "png") -> str:
    """Every format's filter for a save dialog, ``first`` first (the dialog preselects it)."""
    order = [first, *(fmt for fmt in FORMATS if fmt != first)]
    return ";;".join(FORMATS[fmt] for fmt in order)


@dataclass(frozen=True)
class CurveState:
    """One visible curve as drawn: data (not log-transformed), RGBA colour in 0..1, Qt dash pattern, label."""

    x: np.ndarray
    y: np.ndarray
    color: tuple[float, float, float, float]
    width: float = 1.0
    dash: tuple[float, ...] = ()          # empty: solid
    label: str | None = None
    z: float = 0.0


@dataclass(frozen=True)
class MarkerState:
    """A labelled vertical line (a learning-rate change, a suggested rate), at ``x`` in data coordinates; its label's
    top at ``top`` of the plot's height (as on screen, where labels that would overlap are stacked)."""

    x: float
    label: str
    color: tuple[float, float, float, float]
    dash: tuple[float, ...] = ()
    top: float = 0.97


@dataclass(frozen=True)
class BandState:
    """A shaded band (a sweep's mean ± std over seeds) between ``low`` and ``high`` over ``x``, RGBA in 0..1."""

    x: np.ndarray
    low: np.ndarray
    high: np.ndarray
    color: tuple[float, float, float, float]


@dataclass(frozen=True)
class PanelState:
    """What one plot shows: view ranges in data coordinates, log axes, axis labels, curves and markers."""

    title: str
    x_label: str
    y_label: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    log_x: bool
    log_y: bool
    curves: list[CurveState] = field(default_factory=list)
    markers: list[MarkerState] = field(default_factory=list)
    bands: list[BandState] = field(default_factory=list)


def _rgba(color: QColor) -> tuple[float, float, float, float]:
    return color.redF(), color.greenF(), color.blueF(), color.alphaF()


def _view_range(low: float, high: float, log: bool) -> tuple[float, float]:
    return (10 ** low, 10 ** high) if log else (low, high)


def panel_state(item: pg.PlotItem, title: str = "") -> PanelState:
    """Read back what ``item`` shows now (its visible curves, ranges, log modes, labelled lines)."""
    log_x, log_y = bool(item.ctrl.logXCheck.isChecked()), bool(item.ctrl.logYCheck.isChecked())
    (x0, x1), (y0, y1) = item.vb.viewRange()
    legend_names = {}
    if item.legend is not None:
        legend_names = {id(sample.item): html.unescape(text.text) for sample, text in item.legend.items}
    curves, markers, bands = [], [], []
    for data_item in item.listDataItems():
        if not data_item.isVisible() or data_item.xData is None or not len(data_item.xData):
            continue
        pen = pg.mkPen(data_item.opts["pen"])
        curves.append(CurveState(np.asarray(data_item.xData, dtype=float), np.asarray(data_item.yData, dtype=float),
                                 _rgba(pen.color()), max(pen.widthF(), 1.0), tuple(pen.dashPattern()),
                                 legend_names.get(id(data_item)), data_item.zValue()))
    for child in item.items:     # ignoreBounds items (the loss plot's markers) too
        if isinstance(child, BandLayer) and child.isVisible():
            bands += [BandState(band.x, band.low, band.high, _rgba(band_colour(band.colour)))
                      for band in child.bands.values()]
        if isinstance(child, pg.InfiniteLine) and child.angle == 90 and child.isVisible() and child.label is not None:
            x = child.value()
            markers.append(MarkerState(10 ** x if log_x else x, child.label.format, _rgba(child.pen.color()),
                                       tuple(child.pen.dashPattern()), _label_top(child.label, item.vb)))
    return PanelState(title, item.getAxis("bottom").labelText, item.getAxis("left").labelText,
                      _view_range(x0, x1, log_x), _view_range(y0, y1, log_y), log_x, log_y,
                      sorted(curves, key=lambda c: c.z), markers, bands)


def _label_top(label: pg.InfLineLabel, view: pg.ViewBox) -> float:
    """Where ``label``'s top is on screen, as a share of the view's height from its bottom."""
    area, rect = view.sceneBoundingRect(), label.sceneBoundingRect()
    return min(max(1.0 - (rect.top() - area.top()) / area.height(), 0.0), 0.97) if area.height() > 0 else 0.97


def _dashes(pattern: tuple[float, ...]):
    return "-" if not pattern else (0, tuple(pattern))


SVG_STYLE = {"svg.fonttype": "none",     # text stays text: searchable, editable
             "text.parse_math": False}   # run names are plain text: "$x$" and backslashes are not math


def svg_bytes(panels: list[PanelState], size: tuple[int, int], key: ColourKey | None = None) -> bytes:
    """The panels stacked top to bottom, each with its own x range and ticks as on screen, drawn by matplotlib as
    SVG at ``size`` pixels / ``SVG_DPI``; ``key``: the colour bar beside them."""
    import matplotlib

    from kgui.core.exports.plain_ticks import plain_log_ticks

    with matplotlib.rc_context(SVG_STYLE):
        figure = svg_figure(panels, size, key)
        plain_log_ticks(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg")
    return buffer.getvalue()


def svg_figure(panels: list[PanelState], size: tuple[int, int], key: ColourKey | None = None):
    """The matplotlib Figure :func:`svg_bytes` writes (call it inside ``matplotlib.rc_context(SVG_STYLE)``)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    figure = Figure(figsize=(size[0] / SVG_DPI, size[1] / SVG_DPI), dpi=SVG_DPI, layout="constrained")
    FigureCanvasSVG(figure)
    axes_list = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    for axes, panel in zip(axes_list, panels):
        for band in panel.bands:
            axes.fill_between(band.x, band.low, band.high, color=band.color, linewidth=0)
        for curve in panel.curves:
            axes.plot(curve.x, curve.y, color=curve.color, linewidth=curve.width, linestyle=_dashes(curve.dash),
                      label=curve.label)
        if panel.log_x:
            axes.set_xscale("log")
        if panel.log_y:
            axes.set_yscale("log")
        axes.set_xlim(*panel.x_range)
        axes.set_ylim(*panel.y_range)
        for marker in panel.markers:
            axes.axvline(marker.x, color=marker.color, linewidth=1, linestyle=_dashes(marker.dash) if marker.dash
                         else ":")
            axes.annotate(marker.label, (marker.x, marker.top), xycoords=("data", "axes fraction"), va="top", ha="left",
                          fontsize=8, color=marker.color)
        axes.set_ylabel(panel.y_label)
        axes.set_xlabel(panel.x_label)
        axes.grid(True, color="#d4d4d4", linewidth=0.6)
        if panel.title and (len(panels) > 1 or not any(curve.label for curve in panel.curves)):
            axes.set_title(panel.title, fontsize=10)
        if any(curve.label for curve in panel.curves):
            axes.legend(fontsize=8, loc="upper right")
    draw_colour_bar(figure, list(axes_list), key)
    return figure


def png_bytes(item: QGraphicsItem, scale: float = PNG_SCALE) -> bytes:
    """``item`` (a plot, or a layout of plots) rendered by pyqtgraph at ``scale`` times its size on screen."""
    exporter = pg.exporters.ImageExporter(item)
    exporter.parameters()["width"] = round(item.sceneBoundingRect().width() * scale)
    # Legends ignore transformations (they keep their size when a view zooms), so the exporter's scaling would
    # leave them at half size: for the export they follow the scene like the rest (on screen nothing changes).
    legends = [child for child in item.scene().items() if isinstance(child, pg.LegendItem)]
    flag = QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
    for legend in legends:
        legend.setFlag(flag, False)
    try:
        image = exporter.export(toBytes=True)
    finally:
        for legend in legends:
            legend.setFlag(flag, True)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


@dataclass
class ExportTarget:
    """Something on screen that can be exported: a name for people, a file stem, the graphics item a PNG
    renders, the plots an SVG draws (plot item and title), and a writer of its data as CSV or JSON."""

    name: str
    stem: str
    image_item: QGraphicsItem
    plots: Callable[[], list[tuple[pg.PlotItem, str]]]
    write_data: Callable[[Path], object]
    empty_message: str = ""     # why there is nothing to export yet ("" when there is)
    png_title: str = ""         # HTML title the PNG shows above the plot (on screen it stays as it is)
    colour_key: Callable[[], ColourKey | None] = lambda: None   # the colour bar an SVG draws beside the plots

    def export(self, path) -> Path:
        """Write ``path`` in the format of its extension; ValueError (unknown extension) or OSError (naming it)."""
        fmt = export_format(path)
        if fmt == "png":
            write_output(path, self._png())
        elif fmt == "svg":
            rect = self.image_item.sceneBoundingRect()
            write_output(path, svg_bytes([panel_state(item, title) for item, title in self.plots()],
                                         (round(rect.width()), round(rect.height())), self.colour_key()))
        else:
            self.write_data(Path(path))
        return Path(path)

    def _png(self) -> bytes:
        if self.png_title and isinstance(self.image_item, pg.PlotItem):
            return _titled_png(self.image_item, self.png_title)
        return png_bytes(self.image_item)


def _titled_png(item: pg.PlotItem, title: str) -> bytes:
    """``item`` rendered with ``title`` above it (then its own title again)."""
    label = item.titleLabel
    shown, text, options = label.isVisible(), label.text, dict(label.opts)
    item.setTitle(title, size="8pt")
    try:
        return png_bytes(item)
    finally:
        if shown:
            item.setTitle(text, **{key: options[key] for key in ("size", "color") if key in options})
        else:
            item.setTitle(None)


def export_tensorboard_dialog(parent, records, start_folder, layers=lambda record: None) -> Path | None:
    """Ask for a folder and write ``records`` there as TensorBoard event files (core.exports.tensorboard), with
    ``layers(record)``'s layer statistics; the folder, or None when cancelled or (after a message box) when it cannot
    be written. A message names the runs that could not be exported (damaged)."""
    folder = QFileDialog.getExistingDirectory(parent, "Export to TensorBoard", str(start_folder))
    if not folder:
        return None
    try:
        exported = tensorboard.export_runs(records, folder, layers)
    except OSError as exc:
        QMessageBox.critical(parent, "Export failed", str(exc))
        return None
    if exported.skipped:   # the others were written
        QMessageBox.warning(parent, "Some runs not exported", "\n".join(exported.skipped.values()))
    return Path(folder)
