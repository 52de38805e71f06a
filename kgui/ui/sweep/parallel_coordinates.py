"""Parallel coordinates of a sweep: one vertical axis per hyper-parameter plus the metric (log for rates, categories
spread evenly), a line per trial; dragging along an axis brushes a range, and trials outside it are drawn dim."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QGraphicsItem

from kgui.core.sweeps.table import AxisScale, ScaleKind, TrialRow

from ..names import column_title, value_title
from ..plot_style import style_plot

LINE_COLOR = (31, 119, 180, 170)
DIM_COLOR = (150, 150, 150, 60)
BRUSH_COLOR = (255, 165, 0, 90)
TITLE_COLOR, VALUE_COLOR = "#333", "#555"   # an axis's name, its values
AXIS_PICK = 0.3          # a drag this close to an axis (in axis spacings) brushes it
ONE_LINE_TITLE = 14      # an axis title longer than this many letters takes two lines
Y_RANGE = (-0.08, 1.22)  # the axes run 0…1; below, their lowest values; above, their highest and their titles
SIDE_MARGIN = 0.4        # room beside the first and the last axis, in axis spacings, when their labels need no more
LABEL_PADDING = 4        # px between an end axis's widest label and the plot's edge
FRESH_LINES = 100        # trials added are drawn on their own until there are this many (the rest: a cached picture)


class _BrushBox(pg.ViewBox):
    """A view box whose drags brush the nearest axis (vertical ranges) instead of panning."""

    def __init__(self, coordinates: "ParallelCoordinates"):
        super().__init__(enableMenu=False)
        self.coordinates = coordinates
        self.setMouseEnabled(False, False)
        self._dragged: int | None = None

    def mouseDragEvent(self, event, axis=None) -> None:
        event.accept()
        start, now = self.mapSceneToView(event.buttonDownScenePos()), self.mapSceneToView(event.scenePos())
        if event.isStart():
            column = round(start.x())
            self._dragged = column if abs(start.x() - column) <= AXIS_PICK else None
        if self._dragged is None:
            return
        self.coordinates.set_brush(self._dragged, start.y(), now.y(), final=event.isFinish())

    def mouseClickEvent(self, event) -> None:
        """A click on an axis clears its brush."""
        event.accept()
        point = self.mapSceneToView(event.scenePos())
        column = round(point.x())
        if abs(point.x() - column) <= AXIS_PICK:
            self.coordinates.clear_brush(column)


class ParallelCoordinates(pg.GraphicsLayoutWidget):
    """One vertical axis per column (0…1 each: log for rates, categories spread evenly), a line per trial; trials
    outside a brushed range are drawn dim. ``brushed`` is emitted when the trials passing every brush change."""

    brushed = pyqtSignal()

    def __init__(self):
        super().__init__()
        self.setBackground("w")
        self.box = _BrushBox(self)
        self.plot = self.addPlot(viewBox=self.box)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.hideButtons()    # pyqtgraph's auto-range "A": it would scale the axes off their labels
        self.box.sigResized.connect(self.fit_x_range)
        style_plot(self.plot)
        # every trial's polyline in one path: the dim ones (outside a brush) and the others, width 1 (fast). These
        # two are painted from a cached picture; trials added since they were drawn are ``fresh``'s, painted anew.
        self.dim = pg.PlotCurveItem(pen=pg.mkPen(DIM_COLOR, width=1), skipFiniteCheck=True)
        self.lines = pg.PlotCurveItem(pen=pg.mkPen(LINE_COLOR, width=1), skipFiniteCheck=True)
        self.fresh = pg.PlotCurveItem(pen=pg.mkPen(LINE_COLOR, width=1), skipFiniteCheck=True)
        for item in (self.dim, self.lines, self.fresh):
            self.plot.addItem(item)
        for item in (self.dim, self.lines):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._drawn = 0          # trials drawn in dim and lines (the others are fresh)
        self.scales: list[AxisScale] = []
        self.rows: list[TrialRow] = []
        self.positions = np.zeros((0, 0))
        self.brushes: dict[int, tuple[float, float]] = {}
        self.shown: set[str] | None = None     # the trials the table's filter text leaves (None: no filter)
        self._decorations: dict[tuple, pg.GraphicsObject] = {}   # what axis_decorations says -> its item
        self._brush_items: dict[int, pg.QtWidgets.QGraphicsRectItem] = {}

    def set_rows(self, rows: list[TrialRow], scales: list[AxisScale], values) -> None:
        """``values(row, name)`` reads a trial's value of a column."""
        self.rows, self.scales = list(rows), scales
        self._where = {row.run_id: index for index, row in enumerate(self.rows)}
        self.positions = np.array([[_nan(scale.position(values(row, scale.name))) for scale in scales]
                                   for row in rows], dtype=float).reshape(len(rows), len(scales))
        self.brushes = {column: brush for column, brush in self.brushes.items() if column < len(scales)}
        self._decorate(scales)
        self.fit_x_range()
        self.plot.setYRange(*Y_RANGE, padding=0)
        self._draw()

    def _decorate(self, scales: list[AxisScale]) -> None:
        """The axes' lines and labels for ``scales``: what stays as it was is kept, a label whose text alone changed
        (an axis that widened: its end values) is given its new text, and only the others are made anew (adding and
        removing a scene's items is what cost: 2-5 ms a trial while the metric's axis widened)."""
        wanted = set(axis_decorations(scales))
        gone = {_place(spec): spec for spec in self._decorations if spec not in wanted}
        for spec in wanted - self._decorations.keys():
            old = gone.pop(_place(spec), None)
            if old is None:
                self._decorations[spec] = item = _decoration(spec)
                self.plot.addItem(item)
            else:
                self._decorations[spec] = item = self._decorations.pop(old)
                item.setText(spec[3])
        for spec in gone.values():
            self.plot.removeItem(self._decorations.pop(spec))

    def fit_x_range(self) -> None:
        """Room beside the first and last axes for their labels: a title, end value or category centred on an axis
        takes half its width beside it, a middle value (left-aligned after the axis) its whole width."""
        last = max(0, len(self.scales) - 1)
        need_left = need_right = 0.0
        for spec, item in self._decorations.items():
            if len(spec) == 1:
                continue
            width = item.boundingRect().width()
            column, anchor_x = round(spec[0]), spec[2][0]
            if column == 0:
                need_left = max(need_left, width * anchor_x)
            if column == last:
                need_right = max(need_right, width * (1 - anchor_x))
        left, right = side_margins(self.box.width() or self.width(), last, need_left + LABEL_PADDING,
                                   need_right + LABEL_PADDING)
        self.plot.setXRange(-left, last + right, padding=0)

    def add_rows(self, rows: list[TrialRow], scales: list[AxisScale], values) -> None:
        """Trials added: their lines alone when the axes stay as they are, else everything again."""
        if scales != self.scales:
            self.set_rows(self.rows + rows, scales, values)
            return
        positions = np.array([[_nan(scale.position(values(row, scale.name))) for scale in scales] for row in rows],
                             dtype=float).reshape(len(rows), len(scales))
        for row in rows:
            self._where[row.run_id] = len(self.rows)
            self.rows.append(row)
        self.positions = np.vstack([self.positions, positions]) if self.positions.size else positions
        if self.brushes or self.shown is not None or len(self.rows) - self._drawn > FRESH_LINES:
            self._draw()
        else:
            x, y, connect = polylines(self.positions[self._drawn:])
            self.fresh.setData(x=x, y=y, connect=connect)

    def selected(self) -> set[str] | None:
        """The runs passing every brush (None: nothing brushed)."""
        if not self.brushes:
            return None
        return {row.run_id for row, kept in zip(self.rows, self.kept()) if kept}

    def kept(self) -> np.ndarray:
        """Whether each trial passes every brush."""
        keep = np.ones(len(self.rows), dtype=bool)
        for column, (low, high) in self.brushes.items():
            values = self.positions[:, column]
            keep &= (values >= low) & (values <= high)
        return keep

    def set_shown(self, run_ids: set[str] | None) -> None:
        """Draw the trials outside ``run_ids`` (the table's filter text leaves them out; None: all) dim, as those
        outside a brush."""
        if run_ids != self.shown:
            self.shown = run_ids
            self._draw()

    def set_brush(self, column: int, start: float, end: float, final: bool = True) -> None:
        """Brush ``column`` from ``start`` to ``end`` (0…1 positions on its axis)."""
        if not 0 <= column < len(self.scales):
            return
        self.brushes[column] = (min(start, end), max(start, end))
        self._draw()
        if final:
            self.brushed.emit()

    def clear_brush(self, column: int | None = None) -> None:
        """Clear ``column``'s brush (None: every brush)."""
        if column is None:
            self.brushes.clear()
        else:
            self.brushes.pop(column, None)
        self._draw()
        self.brushed.emit()

    def _draw(self) -> None:
        kept = self.kept()
        if self.shown is not None:
            kept &= np.array([row.run_id in self.shown for row in self.rows], dtype=bool)
        for item, rows in ((self.lines, kept), (self.dim, ~kept), (self.fresh, np.zeros_like(kept))):
            x, y, connect = polylines(self.positions[rows])
            item.setData(x=x, y=y, connect=connect)
        self._drawn = len(self.rows)
        for column in list(self._brush_items):
            if column not in self.brushes:
                self.plot.removeItem(self._brush_items.pop(column))
        for column, (low, high) in self.brushes.items():
            rect = self._brush_items.get(column)
            if rect is None:
                rect = pg.QtWidgets.QGraphicsRectItem()
                rect.setBrush(pg.mkBrush(BRUSH_COLOR))
                rect.setPen(pg.mkPen(None))
                self.plot.addItem(rect)
                self._brush_items[column] = rect
            rect.setRect(column - 0.08, low, 0.16, high - low)


def side_margins(width_px: float, spacings: int, left_px: float, right_px: float) -> tuple[float, float]:
    """The room (in axis spacings) left of the first and right of the last of axes ``spacings`` apart that ``width_px``
    shows, so that ``left_px`` and ``right_px`` fit there: at least SIDE_MARGIN each."""
    left = right = SIDE_MARGIN
    for _ in range(4):     # each margin's pixels depend on both margins: a few rounds settle them
        px = width_px / max(spacings + left + right, 1e-9)      # one axis spacing, in pixels
        left, right = max(SIDE_MARGIN, left_px / px), max(SIDE_MARGIN, right_px / px)
    return left, right


def _nan(value):
    return math.nan if value is None else value


def polylines(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and ``connect`` (point i joined to i + 1) of one path holding a polyline per row of ``positions``
    (a row's position on each axis); a missing position (NaN) breaks the line on both sides."""
    if positions.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    count, columns = positions.shape
    x = np.tile(np.arange(columns, dtype=float), count)
    y = positions.ravel()
    finite = np.isfinite(y)
    connect = finite & np.roll(finite, -1)
    connect[columns - 1::columns] = False         # a row's last point: its line ends there
    return x, np.where(finite, y, 0.0), connect


def axis_decorations(scales: list[AxisScale]):
    """What the axes show, each as a hashable spec: ``(column,)`` a vertical line from 0 to 1, ``(x, y, anchor, text,
    colour)`` a label (name, end values, middle value or categories)."""
    for column, scale in enumerate(scales):
        yield (column,)
        yield column, 1.08, (0.5, 1.0), axis_title(scale.name), TITLE_COLOR
        yield column, 1.0, (0.5, 1.0), value_title(scale.name, scale.value_at(1.0)), VALUE_COLOR
        yield column, 0.0, (0.5, 0.0), value_title(scale.name, scale.value_at(0.0)), VALUE_COLOR
        for position, text in inner_labels(scale):
            yield column + 0.03, position, (0, 0.5), value_title(scale.name, text), VALUE_COLOR


def axis_title(name: str) -> str:
    """A column's title over its axis, on two lines when long ("Final validation" / "loss" would not fit between
    its neighbours): broken at the space nearest its middle."""
    title = column_title(name)
    spaces = [index for index, letter in enumerate(title) if letter == " "]
    if len(title) <= ONE_LINE_TITLE or not spaces:
        return title
    middle = min(spaces, key=lambda index: abs(index - len(title) / 2))
    return title[:middle] + "\n" + title[middle + 1:]


def _place(spec: tuple) -> tuple:
    """Where a decoration is and how it looks, all but a label's text."""
    return spec if len(spec) == 1 else spec[:3] + spec[4:]


def _decoration(spec: tuple):
    if len(spec) == 1:    # from the lowest value to the highest: not through the title above
        return pg.PlotCurveItem(x=[spec[0], spec[0]], y=[0.0, 1.0], pen=pg.mkPen("#888"))
    x, y, anchor, text, color = spec
    label = pg.TextItem(text, color=color, anchor=anchor)
    label.setPos(x, y)
    return label


def inner_labels(scale: AxisScale) -> list[tuple[float, str]]:
    """The labels along an axis between its ends: every category, else the middle value (not between two integers,
    such as the seeds 0 and 1)."""
    if scale.kind is ScaleKind.CATEGORICAL:
        last = len(scale.categories) - 1
        return [(index / last, category) for index, category in enumerate(scale.categories[1:-1], 1)]
    if scale.kind is ScaleKind.LINEAR and float(scale.low).is_integer() and float(scale.high).is_integer() and not (
            (scale.low + scale.high) / 2).is_integer():
        return []
    return [(0.5, scale.value_at(0.5))]
