"""The Sweep tab: a sweep's trials as a sortable, filterable table, parallel coordinates (one axis per
hyper-parameter plus the metric; dragging along an axis brushes a range, and the table follows), and a scatter of
the metric against one hyper-parameter (log axis for rates). A click on a trial shows its run on the loss plot.

The rows come from the session's runs tagged with a sweep (:mod:`kgui.core.sweeps.table`); the tab follows trials as
they end (:meth:`SweepView.add_run`).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QProgressBar, QPushButton,
                             QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget)

from kgui.core.runs import RunRecord
from kgui.core.session import RunChanged, RunEnded, RunRemoved
from kgui.core.sweeps.runner import TrialEnded, TrialStarted
from kgui.core.sweeps.spec import Metric, format_value
from kgui.core.sweeps.table import (METRIC_COLUMNS, AxisScale, ScaleKind, TrialRow, axis_names, axis_scale,
                                    export_rows, row_of, seed_groups)

from .plot_style import style_plot
from .sweep_curves import SweepCurves
from .sweep_dialog import SweepDialog, SweepRun

LINE_COLOR = (31, 119, 180, 170)
DIM_COLOR = (150, 150, 150, 60)
BRUSH_COLOR = (255, 165, 0, 90)
SIZED_ROWS = 50          # columns fit this many rows (measuring a thousand on every change cost seconds)
AXIS_PICK = 0.3          # a drag this close to an axis (in axis spacings) brushes it


class TrialsModel(QAbstractTableModel):
    """The trials: one row each, its axis values, metrics, steps and status; sorted by the raw values."""

    SORT_ROLE = Qt.ItemDataRole.UserRole

    def __init__(self):
        super().__init__()
        self.rows: list[TrialRow] = []
        self.columns: list[str] = []
        self._where: dict[str, int] = {}    # run id -> row

    def set_rows(self, rows: list[TrialRow], columns: list[str]) -> None:
        self.beginResetModel()
        self.rows, self.columns = rows, columns
        self._where = {row.run_id: index for index, row in enumerate(rows)}
        self.endResetModel()

    def has(self, run_id: str) -> bool:
        return run_id in self._where

    def put_row(self, row: TrialRow) -> None:
        """A trial's row, added at the end or replaced in place (the proxy puts it in its sorted place)."""
        index = self._where.get(row.run_id)
        if index is None:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
            self._where[row.run_id] = len(self.rows)
            self.rows.append(row)
            self.endInsertRows()
        else:
            self.rows[index] = row
            self.dataChanged.emit(self.index(index, 0), self.index(index, len(self.columns) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def value(self, row: int, column: int):
        trial, name = self.rows[row], self.columns[column]
        if name in trial.metrics:
            return trial.metrics[name]
        if name == "steps":
            return trial.steps
        if name == "status":
            return trial.status
        return trial.values.get(name)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self.value(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return "-" if value is None else (f"{value:.4g}" if isinstance(value, float) else format_value(value))
        if role == self.SORT_ROLE:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value) if math.isfinite(value) else math.inf
            return math.inf if value is None else format_value(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.rows[index.row()].message or self.rows[index.row()].run_id
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].replace("_", " ")
        return None


class TrialsFilter(QSortFilterProxyModel):
    """Rows whose cells contain the filter text and whose run passes the brushes (``allowed``; None: all)."""

    def __init__(self):
        super().__init__()
        self.text = ""
        self.allowed: set[str] | None = None
        self.setSortRole(TrialsModel.SORT_ROLE)

    def set_text(self, text: str) -> None:
        self.text = text.strip().lower()
        self.invalidateFilter()

    def set_allowed(self, allowed: set[str] | None) -> None:
        self.allowed = allowed
        self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:
        model: TrialsModel = self.sourceModel()
        trial = model.rows[row]
        if self.allowed is not None and trial.run_id not in self.allowed:
            return False
        if not self.text:
            return True
        return any(self.text in str(model.data(model.index(row, column))).lower()
                   for column in range(model.columnCount()))

    def lessThan(self, left, right) -> bool:
        a, b = left.data(self.sortRole()), right.data(self.sortRole())
        if type(a) is not type(b):
            return isinstance(a, float)   # numbers before text
        return a < b


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
        style_plot(self.plot)
        self.dim = self.plot.plot([], [], pen=pg.mkPen(DIM_COLOR, width=1), connect="finite")
        self.lines = self.plot.plot([], [], pen=pg.mkPen(LINE_COLOR, width=1), connect="finite")   # width 1: fast
        self.scales: list[AxisScale] = []
        self.rows: list[TrialRow] = []
        self.positions = np.zeros((0, 0))
        self.brushes: dict[int, tuple[float, float]] = {}
        self._decorations: list = []
        self._brush_items: dict[int, pg.QtWidgets.QGraphicsRectItem] = {}

    def set_rows(self, rows: list[TrialRow], scales: list[AxisScale], values) -> None:
        """``values(row, name)`` reads a trial's value of a column."""
        self.rows, self.scales = list(rows), scales
        self._where = {row.run_id: index for index, row in enumerate(self.rows)}
        self.positions = np.array([[_nan(scale.position(values(row, scale.name))) for scale in scales]
                                   for row in rows], dtype=float).reshape(len(rows), len(scales))
        self.brushes = {column: brush for column, brush in self.brushes.items() if column < len(scales)}
        for item in self._decorations:
            self.plot.removeItem(item)
        self._decorations = []
        for column, scale in enumerate(scales):
            line = pg.InfiniteLine(column, angle=90, pen=pg.mkPen("#888"))
            title = pg.TextItem(scale.name.replace("_", " "), color="#333", anchor=(0.5, 1.0))
            title.setPos(column, 1.08)
            top, bottom = (pg.TextItem(scale.value_at(position), color="#555", anchor=(0.5, anchor))
                           for position, anchor in ((1.0, 1.0), (0.0, 0.0)))
            top.setPos(column, 1.0)
            bottom.setPos(column, 0.0)
            self._decorations += [line, title, top, bottom]
            if scale.kind is ScaleKind.CATEGORICAL:
                for index, category in enumerate(scale.categories[1:-1], 1):
                    label = pg.TextItem(category, color="#555", anchor=(0, 0.5))
                    label.setPos(column + 0.03, index / (len(scale.categories) - 1))
                    self._decorations.append(label)
        for item in self._decorations:
            self.plot.addItem(item)
        self.plot.setXRange(-0.4, max(0, len(scales) - 1) + 0.4, padding=0)
        self.plot.setYRange(-0.08, 1.15, padding=0)
        self._draw()

    def put_row(self, row: TrialRow, scales: list[AxisScale], values) -> None:
        """One trial added or changed: its line alone when the axes stay as they are, else everything again."""
        if scales != self.scales:
            rows = [old for old in self.rows if old.run_id != row.run_id] + [row]
            self.set_rows(rows, scales, values)
            return
        positions = np.array([[_nan(scale.position(values(row, scale.name))) for scale in scales]], dtype=float)
        index = self._where.get(row.run_id)
        if index is None:
            self._where[row.run_id] = len(self.rows)
            self.rows.append(row)
            self.positions = np.vstack([self.positions, positions]) if self.positions.size else positions
        else:
            self.rows[index] = row
            self.positions[index] = positions[0]
        self._draw()

    def selected(self) -> set[str] | None:
        """The runs passing every brush (None: nothing brushed)."""
        if not self.brushes:
            return None
        keep = np.ones(len(self.rows), dtype=bool)
        for column, (low, high) in self.brushes.items():
            values = self.positions[:, column]
            keep &= (values >= low) & (values <= high)
        return {row.run_id for row, kept in zip(self.rows, keep) if kept}

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
        selected = self.selected()
        kept = (np.ones(len(self.rows), dtype=bool) if selected is None
                else np.array([row.run_id in selected for row in self.rows], dtype=bool))
        for item, rows in ((self.lines, kept), (self.dim, ~kept)):
            positions = self.positions[rows]
            if positions.size == 0:
                item.setData([], [])
                continue
            columns = positions.shape[1]
            x = np.tile(np.append(np.arange(columns, dtype=float), np.nan), len(positions))
            y = np.hstack([positions, np.full((len(positions), 1), np.nan)]).ravel()
            item.setData(x, y)
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


def _value(row: TrialRow, name: str):
    return row.metrics[name] if name in row.metrics else row.values.get(name)


def _nan(value):
    return math.nan if value is None else value


class MetricScatter(pg.PlotWidget):
    """The metric against one hyper-parameter (log x for rates, categories spread on x)."""

    def __init__(self):
        super().__init__(background="w")
        self.item = self.getPlotItem()
        style_plot(self.item)
        self.item.showGrid(x=True, y=True, alpha=0.2)
        self.points = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(LINE_COLOR), pen=None)
        self.item.addItem(self.points)
        self._count = 0     # trials drawn (points only for those with a metric)

    @property
    def count(self) -> int:
        return self._count

    def _x(self, scale: AxisScale, value) -> float | None:
        if value is None:
            return None
        if scale.kind is ScaleKind.CATEGORICAL:
            text = ",".join(map(str, value)) if isinstance(value, list) else format_value(value)
            return scale.categories.index(text) if text in scale.categories else None
        return math.log10(value) if scale.kind is ScaleKind.LOG else value

    def add_point(self, scales: list[AxisScale], name: str, value, metric) -> None:
        """One more trial, the axes unchanged."""
        scale = next(scale for scale in scales if scale.name == name)
        x = self._x(scale, value)
        self._count += 1
        if x is not None and metric is not None and math.isfinite(metric):
            self.points.addPoints(x=[x], y=[metric])

    def set_points(self, scale: AxisScale, xs: list, metric: str, ys: list) -> None:
        log = scale.kind is ScaleKind.LOG
        self.item.setLogMode(x=log, y=False)
        pairs = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y) and x is not None]
        if scale.kind is ScaleKind.CATEGORICAL:
            ticks = [(index, name) for index, name in enumerate(scale.categories)]
            self.item.getAxis("bottom").setTicks([ticks])
            x = [scale.categories.index(format_value(value) if not isinstance(value, list)
                                        else ",".join(map(str, value))) for value, _ in pairs]
        else:
            self.item.getAxis("bottom").setTicks(None)
            x = [math.log10(value) if log else value for value, _ in pairs]
        self.points.setData(np.asarray(x, dtype=float), np.asarray([y for _, y in pairs], dtype=float))
        self._count = len(xs)
        self.item.setLabel("bottom", scale.name.replace("_", " ") + (" (log scale)" if log else ""))
        self.item.setLabel("left", metric.replace("_", " "))
        self.item.enableAutoRange()


class SweepView(QWidget):
    """The Sweep tab; ``run_clicked(run_id)`` when a trial is clicked in the table."""

    run_clicked = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.records: dict[str, dict[str, RunRecord]] = {}    # sweep id -> run id -> record
        self._row_cache: dict[str, TrialRow] = {}              # run id -> its row
        self._best: TrialRow | None = None
        self._failed = 0
        self.sweep_picker = QComboBox()
        self.sweep_picker.currentIndexChanged.connect(self.refresh)
        self.metric_picker = QComboBox()
        self.metric_picker.addItems(METRIC_COLUMNS)
        self.metric_picker.setCurrentText(str(Metric.FINAL_VAL_LOSS))
        self.metric_picker.currentIndexChanged.connect(self.refresh)
        self.axis_picker = QComboBox()
        self.axis_picker.currentIndexChanged.connect(self._draw_scatter)
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("filter trials…")
        self.filter_box.setClearButtonEnabled(True)
        self.summary = QLabel("No sweep yet: New sweep…, or kgui sweep … on the command line.")
        self.new_button = QPushButton("New sweep…")
        self.progress = QProgressBar()
        self.progress_label = QLabel()
        self.stop_button = QPushButton("Stop sweep")
        self.stop_button.clicked.connect(self.stop_sweep)
        self.run: SweepRun | None = None
        self.added = None            # called with each trial's run id as it ends (the window lists it)

        self.model = TrialsModel()
        self.proxy = TrialsFilter()
        self.proxy.setSourceModel(self.model)
        self.filter_box.textChanged.connect(self.proxy.set_text)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setResizeContentsPrecision(SIZED_ROWS)
        self.table.clicked.connect(self._clicked)
        self.coordinates = ParallelCoordinates()
        self.coordinates.brushed.connect(self._brushed)
        self.scatter = MetricScatter()
        self.curves = SweepCurves()
        self.colour_picker = QComboBox()
        self.colour_picker.currentIndexChanged.connect(self._draw_curves)
        self.history_of = lambda record: record   # a run with its steps (the window reads them from the store)
        curves_holder = QWidget()
        curves_layout = QVBoxLayout(curves_holder)
        colour_row = QHBoxLayout()
        colour_row.addWidget(QLabel("Colour by"))
        colour_row.addWidget(self.colour_picker)
        colour_row.addStretch(1)
        curves_layout.addLayout(colour_row)
        curves_layout.addWidget(self.curves, 1)
        self.views = QTabWidget()
        self.views.addTab(self.scatter, "Metric vs parameter")
        self.views.addTab(curves_holder, "Curves by seed")
        self.views.currentChanged.connect(self._draw_curves)
        self._curves_tab = curves_holder
        self.filter_box.textChanged.connect(self._draw_curves)

        bar = QHBoxLayout()
        for label, widget in (("Sweep", self.sweep_picker), ("Metric", self.metric_picker),
                              ("Against", self.axis_picker)):
            # a long sweep id or metric name never widens the tab (and so the window's least width)
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            widget.setMinimumContentsLength(4)
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.filter_box, 1)
        bar.addWidget(self.new_button)
        running = QHBoxLayout()
        for widget in (self.progress, self.progress_label, self.stop_button):
            running.addWidget(widget)
        self._show_progress(False)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.coordinates)
        plots.addWidget(self.views)
        plots.setSizes([600, 300])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(plots)
        split.addWidget(self.table)
        for widget in (self.coordinates, self.views, self.curves, self.table):   # the tab never sets the window's least size
            widget.setMinimumSize(60, 40)
        self.summary.setMinimumWidth(1)
        self.filter_box.setMinimumWidth(40)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(running)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

    # -- data ------------------------------------------------------------------------------------------------------

    def set_runs(self, records) -> None:
        """Every run of the session; those tagged with a sweep are its trials."""
        self.records.clear()
        for record in records:
            if record.readable and record.sweep_id:
                self.records.setdefault(record.sweep_id, {})[record.id] = record
        self._fill_picker()

    def add_run(self, record: RunRecord) -> None:
        """A trial that ended (or changed): its row, live."""
        if not (record.readable and record.sweep_id):
            return
        new_sweep = record.sweep_id not in self.records
        self.records.setdefault(record.sweep_id, {})[record.id] = record
        row = self._row_cache[record.id] = row_of(record)
        if new_sweep:
            self._fill_picker(select=record.sweep_id)
        elif record.sweep_id == self.sweep_id:
            replaced = self.model.has(record.id)
            if replaced or any(name not in self.model.columns for name in row.values):
                self.refresh()
                return
            self.model.put_row(row)
            rows = self.model.rows
            scales = [scale.including(_value(row, scale.name)) for scale in self._scales]
            if None in scales:   # a value the axis cannot hold as it is: every value again
                scales = self._scales_of(rows)
            self.coordinates.put_row(row, scales, _value)
            unchanged = scales == self._scales and len(rows) > self.scatter.count
            self._scales = scales
            if unchanged and self.axis_picker.currentText() in row.values:
                self.scatter.add_point(scales, self.axis_picker.currentText(), row.values.get(
                    self.axis_picker.currentText()), row.metrics[self.metric_picker.currentText()])
            else:
                self._draw_scatter()
            self._brushed()
            self._summarise(rows, added=row)

    # -- a sweep started here ---------------------------------------------------------------------------------------

    def start(self, run: "SweepRun") -> None:
        """Follow ``run`` (progress, Stop) and start it."""
        self.run = run
        self.progress.setRange(0, run.runner.total)
        self.progress.setValue(0)
        self._done = self._running = 0
        self.progress_label.setText(f"sweep {run.runner.sweep_id}: starting…")
        self._show_progress(True)
        run.event.connect(self._on_sweep_event)
        run.finished.connect(self._on_sweep_finished)
        run.start()

    def _show_progress(self, shown: bool) -> None:
        for widget in (self.progress, self.progress_label, self.stop_button):
            widget.setVisible(shown)
        self.new_button.setEnabled(not shown)
        self.stop_button.setEnabled(True)

    def _on_sweep_event(self, event) -> None:
        if isinstance(event, TrialStarted):
            self._running += 1
        elif isinstance(event, TrialEnded):
            self._running -= 1
            self._done += 1
            self.progress.setValue(self._done)
            if event.outcome.record is not None and self.added is not None:
                self.added(event.outcome.record.id)
        self.progress_label.setText(f"{self._done} of {self.run.runner.total} trials · {self._running} running")

    def _on_sweep_finished(self, result) -> None:
        stopped = result is None or result.stopped
        self.progress_label.setText(f"sweep {self.run.runner.sweep_id} " + ("stopped" if stopped else "done"))
        self._show_progress(False)
        self.progress_label.setVisible(True)
        self.run = None

    def stop_sweep(self) -> None:
        if self.run is not None:
            self.stop_button.setEnabled(False)
            self.progress_label.setText("stopping…")
            self.run.stop()

    def shut_down(self, timeout_s: float = 2.0) -> None:
        """Stop a sweep started here and wait for its trials and workers to end (the window closes)."""
        if self.run is not None:
            self.run.stop()
            self.run.wait(timeout_s)

    def remove_run(self, run_id: str) -> None:
        for sweep_id, runs in list(self.records.items()):
            if runs.pop(run_id, None) is not None:
                if not runs:
                    del self.records[sweep_id]
                self._fill_picker()
                return

    @property
    def sweep_id(self) -> str | None:
        return self.sweep_picker.currentData()

    def _fill_picker(self, select: str | None = None) -> None:
        current = select or self.sweep_id
        self.sweep_picker.blockSignals(True)
        self.sweep_picker.clear()
        for sweep_id in sorted(self.records, reverse=True):    # ids start with the time: newest first
            self.sweep_picker.addItem(f"{sweep_id} ({len(self.records[sweep_id])} trials)", sweep_id)
        index = self.sweep_picker.findData(current)
        self.sweep_picker.setCurrentIndex(max(0, index))
        self.sweep_picker.blockSignals(False)
        self.refresh()

    def rows(self) -> list[TrialRow]:
        """The current sweep's trials, best first (rows computed once per run and kept)."""
        metric = Metric(self.metric_picker.currentText())
        rows = []
        for record in self.records.get(self.sweep_id, {}).values():
            row = self._row_cache.get(record.id)
            if row is None:
                row = self._row_cache[record.id] = row_of(record)
            rows.append(row)
        sign = -1 if metric.higher_is_better else 1

        def key(row: TrialRow):
            value = row.metrics[str(metric)]
            missing = value is None or not math.isfinite(value)
            return (missing, 0.0 if missing else sign * value)
        return sorted(rows, key=key)

    def _scales_of(self, rows: list[TrialRow]) -> list[AxisScale]:
        metric = self.metric_picker.currentText()
        names = [name for name in self.model.columns if name not in METRIC_COLUMNS and name not in ("steps", "status")]
        return [axis_scale(name, [row.values.get(name) for row in rows]) for name in names] + [
            axis_scale(metric, [row.metrics[metric] for row in rows])]

    def _summarise(self, rows: list[TrialRow], added: TrialRow | None = None) -> None:
        """The line above the table: trials, the best, failures (``added``: only that row is new)."""
        if not rows:
            return
        metric = Metric(self.metric_picker.currentText())

        def better(row: TrialRow, than: TrialRow | None) -> bool:
            value = row.metrics[str(metric)]
            if value is None or not math.isfinite(value):
                return False
            if than is None:
                return True
            return value > than.metrics[str(metric)] if metric.higher_is_better else value < than.metrics[str(metric)]

        if added is None:
            best, failed = None, 0
            for row in rows:
                best = row if better(row, best) else best
                failed += row.status == "failed"
        else:
            best, failed = self._best, self._failed + (added.status == "failed")
            best = added if better(added, best) else best
        self._best, self._failed = best, failed
        self.summary.setText(f"{len(rows)} trials" + (f", best {str(metric).replace('_', ' ')} "
                                                      f"{_text(best.metrics[str(metric)])} ({_values_text(best.values)})"
                                                      if best else "") + (f", {failed} failed" if failed else ""))

    def refresh(self) -> None:
        rows = self.rows()
        metric = self.metric_picker.currentText()
        names = axis_names(rows)
        columns = [*names, metric, *(name for name in METRIC_COLUMNS if name != metric), "steps", "status"]
        self.model.set_rows(rows, columns)
        scales = self._scales_of(rows)
        self.coordinates.set_rows(rows, scales, _value)
        self._scales = scales
        colour = self.colour_picker.currentText()
        self.colour_picker.blockSignals(True)
        self.colour_picker.clear()
        self.colour_picker.addItems([name for name in names if name != "seed"])
        if colour in names:
            self.colour_picker.setCurrentText(colour)
        self.colour_picker.blockSignals(False)
        chosen = self.axis_picker.currentText()
        self.axis_picker.blockSignals(True)
        self.axis_picker.clear()
        self.axis_picker.addItems(names)
        if chosen in names:
            self.axis_picker.setCurrentText(chosen)
        self.axis_picker.blockSignals(False)
        self._draw_scatter()
        self._brushed()
        self._draw_curves()
        self._summarise(rows)

    def _draw_scatter(self) -> None:
        name = self.axis_picker.currentText()
        scale = next((scale for scale in getattr(self, "_scales", []) if scale.name == name), None)
        if scale is None:
            self.scatter.points.setData([], [])
            self.scatter._count = 0
            return
        rows, metric = self.model.rows, self.metric_picker.currentText()
        self.scatter.set_points(scale, [row.values.get(name) for row in rows], metric,
                                [row.metrics[metric] for row in rows])

    def _brushed(self) -> None:
        allowed = self.coordinates.selected()
        if allowed != self.proxy.allowed:   # filtering a thousand rows again is what costs
            self.proxy.set_allowed(allowed)
            self._draw_curves()

    def _draw_curves(self) -> None:
        """The curves of the trials the table shows (filter and brushes), when their tab is in front."""
        if self.views.currentWidget() is not self._curves_tab:
            return
        runs = self.records.get(self.sweep_id, {})
        records = [self.history_of(runs[run_id]) for run_id in self.visible_run_ids() if run_id in runs]
        self.curves.show_groups(seed_groups(records), self.colour_picker.currentText() or None)

    def _clicked(self, index) -> None:
        row = self.proxy.mapToSource(index).row()
        self.run_clicked.emit(self.model.rows[row].run_id)

    def visible_run_ids(self) -> list[str]:
        """The runs of the rows the table shows (filter and brushes applied), in its order."""
        return [self.model.rows[self.proxy.mapToSource(self.proxy.index(row, 0)).row()].run_id
                for row in range(self.proxy.rowCount())]

    # -- export --------------------------------------------------------------------------------------------------

    def export_table(self, path):
        """The rows shown (filter and brushes applied) as CSV or JSON."""
        shown = set(self.visible_run_ids())
        return export_rows([row for row in self.model.rows if row.run_id in shown], path)

    def export_view(self, path, view: str = "coordinates"):
        """The parallel coordinates (or ``"scatter"``) as PNG (pyqtgraph's rendering) or SVG (drawn by matplotlib
        from the same data)."""
        suffix = str(path).lower().rsplit(".", 1)[-1]
        if suffix not in ("png", "svg"):
            raise ValueError(f"a view is written as .png or .svg, not {path!r}")
        if suffix == "png":
            from pyqtgraph.exporters import ImageExporter

            ImageExporter(self.scatter.getPlotItem() if view == "scatter" else self.coordinates.plot).export(str(path))
            return path
        from matplotlib.figure import Figure

        figure = Figure(figsize=(9, 5))
        axes = figure.add_subplot()
        if view == "scatter":
            x, y = self.scatter.points.getData()
            axes.scatter(x, y, color="#1f77b4")
            axes.set_xlabel(self.scatter.item.getAxis("bottom").labelText)
            axes.set_ylabel(self.scatter.item.getAxis("left").labelText)
        else:
            coordinates = self.coordinates
            selected = coordinates.selected()
            for row, positions in zip(coordinates.rows, coordinates.positions):
                kept = selected is None or row.run_id in selected
                axes.plot(range(len(positions)), positions, color="#1f77b4" if kept else "#bbbbbb",
                          alpha=0.8 if kept else 0.4, linewidth=1)
            for column, scale in enumerate(coordinates.scales):
                axes.axvline(column, color="#888", linewidth=1)
                axes.text(column, 1.04, scale.name.replace("_", " "), ha="center")
                axes.text(column, 1.0, scale.value_at(1.0), ha="center", va="bottom", fontsize=8)
                axes.text(column, 0.0, scale.value_at(0.0), ha="center", va="top", fontsize=8)
            axes.set_ylim(-0.08, 1.12)
            axes.set_axis_off()
        figure.savefig(path, format="svg")
        return path

def follow_session(view: SweepView, window) -> None:
    """Wire the tab to ``window``: its session's sweep trials (now, and as they end, change or go), and a click on a
    trial shows its run's curves on the loss plot."""
    session = window.session
    view.set_runs(session.runs.values())

    def on_event(event) -> None:
        if isinstance(event, (RunEnded, RunChanged)):
            view.add_run(event.run)
        elif isinstance(event, RunRemoved):
            view.remove_run(event.run_id)

    def show(run_id: str) -> None:
        if run_id in session.runs:
            session.set_shown(run_id, True)
            window.runs_controller.select(run_id)
            window.tabs.setCurrentWidget(window.plot)

    def added(run_id: str) -> None:   # a trial of a sweep started here ended: its run into the runs table
        window.runs_controller.load_saved(set())
        session.reload_saved(run_id)   # as it ended (listed while it trained, it said running)

    def new_sweep() -> None:
        try:
            experiment = window.settings()
        except ValueError as exc:
            window.statusBar().showMessage(f"No sweep: {exc}")
            return
        dialog = SweepDialog(experiment, window)
        if dialog.exec() and dialog.spec is not None:
            view.start(SweepRun(dialog.spec, session.store, dialog.workers.value()))

    def with_history(record: RunRecord) -> RunRecord:
        if record.history or not record.summary.steps:
            return record
        try:
            return session.store.load(record.id)
        except (LookupError, OSError):
            return record

    view.history_of = with_history
    session.subscribe(on_event)
    view.run_clicked.connect(show)
    view.added = added
    view.new_button.clicked.connect(new_sweep)


def _text(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def _values_text(values: dict) -> str:
    return " · ".join(f"{name} {format_value(value)}" for name, value in values.items())
