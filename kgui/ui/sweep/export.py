"""The Sweep tab's exports: the table of the trials shown as CSV or JSON (core), and each view as PNG (pyqtgraph's
rendering, as on screen) or SVG (drawn by matplotlib from the view's data, as the window's other SVGs:
pyqtgraph's SVG exporter is broken on Qt >= 6.11)."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from kgui.core.exports.export import export_format
from kgui.core.files import write_output
from kgui.core.sweeps.table import ScaleKind

from ..colour_key import BAND_ALPHA, draw_colour_bar
from ..exporting import SVG_DPI, SVG_STYLE, ExportTarget
from ..names import value_title
from .curves import SweepCurves
from .parallel_coordinates import DIM_COLOR, LINE_COLOR, TITLE_COLOR, Y_RANGE, ParallelCoordinates, axis_decorations
from .scatter import MetricScatter


class SweepPanel(Enum):
    """A view of the Sweep tab that can be exported (its value: the name people read)."""

    COORDINATES = "parallel coordinates"
    SCATTER = "metric vs parameter"
    CURVES = "curves by seed"


@dataclass
class SweepExport(ExportTarget):
    """An export whose SVG is drawn by ``svg`` (bytes) rather than read back from pyqtgraph plot items."""

    svg: Callable[[], bytes] | None = None

    def export(self, path) -> Path:
        if export_format(path) == "svg" and self.svg is not None:
            write_output(path, self.svg())
            return Path(path)
        return super().export(path)


def _rgba(color: tuple[int, ...]) -> tuple[float, ...]:
    return tuple(channel / 255 for channel in color)


def _svg(draw, size: tuple[int, int]) -> bytes:
    """``draw(figure)`` at ``size`` pixels, as SVG bytes."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    from kgui.core.exports.plain_ticks import plain_log_ticks

    with matplotlib.rc_context(SVG_STYLE):
        figure = Figure(figsize=(size[0] / SVG_DPI, size[1] / SVG_DPI), dpi=SVG_DPI, layout="constrained")
        FigureCanvasSVG(figure)
        draw(figure)
        plain_log_ticks(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg")
    return buffer.getvalue()


def coordinates_svg(view: ParallelCoordinates) -> bytes:
    """The parallel coordinates: a line per trial (dim outside the brushes), each axis with its name and end values."""
    from matplotlib.collections import LineCollection

    def draw(figure) -> None:
        axes = figure.add_subplot()
        kept = view.kept()
        columns = np.arange(view.positions.shape[1] if view.positions.size else 0, dtype=float)
        for rows, color in ((~kept, DIM_COLOR), (kept, LINE_COLOR)):
            lines = [np.column_stack([columns, positions]) for positions in view.positions[rows]]
            axes.add_collection(LineCollection(lines, colors=[_rgba(color)], linewidths=0.8))
        for spec in axis_decorations(view.scales):      # the lines and labels the view shows
            if len(spec) == 1:
                axes.plot([spec[0], spec[0]], [0.0, 1.0], color="#888", linewidth=1)
                continue
            x, y, (across, up), text, color = spec
            axes.text(x, y, text, color=color, fontsize=10 if color == TITLE_COLOR else 8,
                      ha={0: "left", 0.5: "center", 1: "right"}[across], va={0: "top", 0.5: "center", 1: "bottom"}[up])
        for column, (low, high) in view.brushes.items():
            axes.add_patch(_rectangle(column - 0.08, low, 0.16, high - low))
        axes.set_xlim(-0.4, max(0, len(view.scales) - 1) + 0.4)
        axes.set_ylim(*Y_RANGE)
        axes.set_axis_off()

    return _svg(draw, _size(view))


def _rectangle(x: float, y: float, width: float, height: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), width, height, color=(1.0, 0.65, 0.0, 0.35), linewidth=0)


def scatter_svg(view: MetricScatter) -> bytes:
    """The metric against the hyper-parameter: log x for rates, the categories' names for categories."""
    def draw(figure) -> None:
        axes = figure.add_subplot()
        scale = view.scale
        log = scale is not None and scale.kind is ScaleKind.LOG
        for item, colour in ((view.dimmed, DIM_COLOR), (view.points, LINE_COLOR)):   # hidden trials dim, under
            x, y = item.getData()
            x = np.asarray(x, dtype=float)
            axes.scatter(10 ** x if log else x, y, s=16, color=_rgba(colour), linewidths=0)
        if log:
            axes.set_xscale("log")
        if scale is not None and scale.categories:
            axes.set_xticks(range(len(scale.categories)), [value_title(scale.name, name) for name in scale.categories])
        axes.set_xlabel(view.item.getAxis("bottom").labelText)
        axes.set_ylabel(view.item.getAxis("left").labelText)
        axes.grid(True, color="#d4d4d4", linewidth=0.6)

    return _svg(draw, _size(view))


def curves_svg(view: SweepCurves) -> bytes:
    """The mean ± std curves, each in the colour it has on screen, with the colour bar or a legend of categories."""
    def draw(figure) -> None:
        axes = figure.add_subplot()
        for group in view.groups:
            color = view.colors[group.label()]
            axes.plot(group.steps, group.mean, color=color, linewidth=1)
            if group.label() in view.banded:
                axes.fill_between(group.steps, group.mean - group.std, group.mean + group.std, color=color,
                                  alpha=BAND_ALPHA / 255, linewidth=0)
        draw_colour_bar(figure, axes, view.key)
        if view.key is not None and not view.key.continuous:
            from matplotlib.lines import Line2D

            names = [(name, colour) for colour in dict.fromkeys(view.colors.values())
                     for name in view.categories_of(colour)]
            axes.legend([Line2D([], [], color=colour) for _, colour in names], [name for name, _ in names],
                        fontsize=8, loc="upper right")
        axes.set_xlabel("step")
        axes.set_ylabel(view.plot.getAxis("left").labelText)
        axes.grid(True, color="#d4d4d4", linewidth=0.6)

    return _svg(draw, _size(view))


def _size(widget) -> tuple[int, int]:
    return max(widget.width(), 400), max(widget.height(), 300)
