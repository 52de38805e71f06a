"""What the model learns, for the run being trained: the fitted line over the data (linear regression with
one feature), or accuracy over time and the validation confusion matrix (classification).

Everything shown arrives as numbers from the worker (the Dataset's arrays, StepRecords, a
ConfusionMatrix computed between two steps); nothing here touches an engine.
"""
from __future__ import annotations

from time import perf_counter

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QFont, QFontMetrics
from PyQt6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QStackedWidget, QStyle, QTableWidget,
                             QTableWidgetItem, QVBoxLayout, QWidget)

from kgui.core.training.metrics import FittedLine, true_line
from kgui.core.session import (ConfusionComputed, PredictionsComputed, RunEnded, RunStarted, Session,
                               StepsTaken)

from .plot_style import style_plot

MAX_SCATTER_POINTS = 500
REFRESH_S = 0.25
FIT_COLOR = "#d62728"
TRUE_COLOR = "#2ca02c"
ACCURACY_COLOR = "#1f77b4"
MIN_ACCURACY_PLOT_HEIGHT = 120   # its axis then holds the word "accuracy" (the dock's matrix scrolls below it)


def _plot_widget(x_label: str, y_label: str) -> pg.PlotWidget:
    widget = pg.PlotWidget(background="w")
    item = widget.getPlotItem()
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    item.showGrid(x=True, y=True, alpha=0.2)
    style_plot(item)
    return widget


class LinePage(QWidget):
    """The data as a scatter, the current fitted line and, for synthetic data, the true line."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = _plot_widget("x", "y")
        item = self.plot.getPlotItem()
        item.addLegend(offset=(10, 10), labelTextColor="#333")
        self.scatter = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(120, 120, 120, 110), name="data")
        item.addItem(self.scatter)
        self.true_curve = item.plot([], [], pen=pg.mkPen(TRUE_COLOR, width=1, style=Qt.PenStyle.DashLine),
                                    name="true line")
        self.fit_curve = item.plot([], [], pen=pg.mkPen(FIT_COLOR, width=2), name="fitted line")
        self.caption = QLabel()
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)
        self._x_range = np.array([0.0, 1.0])
        self._true: tuple[float, float] | None = None

    def set_data(self, x: np.ndarray, y: np.ndarray, true: tuple[float, float] | None) -> None:
        if len(x) > MAX_SCATTER_POINTS:
            rows = np.random.RandomState(0).choice(len(x), MAX_SCATTER_POINTS, replace=False)
            x, y = x[rows], y[rows]
        self.scatter.setData(x, y)
        self._x_range = np.array([float(np.min(x)), float(np.max(x))]) if len(x) else np.array([0.0, 1.0])
        self._true = true
        if true is not None:
            self.true_curve.setData(self._x_range, FittedLine(*true).at(self._x_range))
        self.true_curve.setVisible(true is not None)
        self.fit_curve.setData([], [])
        self.caption.setText("")

    def show_fit(self, w: float, b: float) -> None:
        line = FittedLine(w, b, *(self._true or (None, None)))
        self.fit_curve.setData(self._x_range, line.at(self._x_range))
        if line.true_w is None:
            self.caption.setText(f"w = {w:.4f}   b = {b:.4f}")
        else:
            self.caption.setText(f"w = {w:.4f} (true {line.true_w:g})   b = {b:.4f} (true {line.true_b:g})")


MAX_HEADER_CHARACTERS = 3    # class labels this short head the matrix themselves ("0" … "9"); longer ones are numbered


def class_headers(names) -> list[str]:
    """The matrix's headers: the class labels themselves when every one is short, else 1…n."""
    texts = [str(name) for name in names]
    if all(0 < len(text) <= MAX_HEADER_CHARACTERS for text in texts) and len(set(texts)) == len(texts):
        return texts
    return [str(index + 1) for index in range(len(texts))]


class PredictionsPage(QWidget):
    """Multi-feature regression: each row's prediction against its target, and the line y = x they would lie on."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = _plot_widget("actual", "predicted")
        item = self.plot.getPlotItem()
        item.addLegend(offset=(10, 10), labelTextColor="#333")
        self.identity = item.plot([], [], pen=pg.mkPen(TRUE_COLOR, width=1, style=Qt.PenStyle.DashLine),
                                  name="y = x (perfect)")
        self.scatter = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(FIT_COLOR), name="rows")
        item.addItem(self.scatter)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)

    def clear(self, dataset_name: str) -> None:
        self.scatter.clear()
        self.identity.setData([], [])
        self.caption.setText(f"{dataset_name}: predicted against actual, drawn as the run trains")

    def show_predictions(self, predictions, step: int) -> None:
        actual, predicted = predictions.actual, predictions.predicted
        finite = np.isfinite(predicted)
        self.scatter.setData(actual[finite], predicted[finite])
        values = np.concatenate([actual, predicted[finite]])
        low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
        self.identity.setData([low, high], [low, high])
        self.caption.setText(f"{len(actual)} {predictions.split} rows after step {step}: the closer to the dashed "
                             "line y = x, the better the prediction")


class ConfusionTable(QTableWidget):
    """A confusion matrix whose numbers always fit: short headers (the class labels when they are short, else 1…n
    with the class names in their tooltips and in the page's legend line), and a font that shrinks to the column
    width (with a scroll bar below ``MIN_POINT_SIZE``)."""

    MIN_POINT_SIZE = 6
    CELL_PADDING = 6    # pixels around a number in its cell

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.base_point_size = self.font().pointSizeF()
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(8)

    def set_classes(self, names) -> None:
        """n rows and columns headed by :func:`class_headers`, each header's tooltip the full class name."""
        self.setRowCount(len(names))
        self.setColumnCount(len(names))
        for index, (text, name) in enumerate(zip(class_headers(names), names)):
            for setter in (self.setHorizontalHeaderItem, self.setVerticalHeaderItem):
                header = QTableWidgetItem(text)
                header.setToolTip(f"class {name}" if text == str(name) else f"{text}: {name}")
                setter(index, header)

    def texts(self) -> list[str]:
        return [self.item(r, c).text() for r in range(self.rowCount()) for c in range(self.columnCount())
                if self.item(r, c) is not None]

    def fits(self) -> bool:
        """Every number is narrower than its column."""
        metrics = QFontMetrics(self.font())
        return all(metrics.horizontalAdvance(self.item(r, c).text()) + self.CELL_PADDING <= self.columnWidth(c)
                   for r in range(self.rowCount()) for c in range(self.columnCount()) if self.item(r, c))

    def fit_font(self) -> None:
        """The largest font (up to the normal one) at which the widest number fits its column."""
        texts = self.texts()
        if not texts:
            return
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        width = self.viewport().width() // max(self.columnCount(), 1)
        font = QFont(self.font())
        size = self.base_point_size
        while size > self.MIN_POINT_SIZE:
            font.setPointSizeF(size)
            if max(QFontMetrics(font).horizontalAdvance(t) for t in texts) + self.CELL_PADDING <= width:
                break
            size -= 0.5
        font.setPointSizeF(size)
        if font != self.font():
            self.setFont(font)
        if not self.fits():  # even the smallest font is too wide: columns as wide as their numbers, scrolled
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_font()


class ClassesPage(QWidget):
    """Validation accuracy over the steps, and the validation confusion matrix at the latest step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = _plot_widget("step", "accuracy")    # of the validation split, as the matrix's title says
        self.plot.setMaximumHeight(220)
        self.plot.setMinimumHeight(MIN_ACCURACY_PLOT_HEIGHT)   # a short dock: the matrix scrolls, the axis is read whole
        self.plot.getPlotItem().setYRange(0, 1)
        self.curve = self.plot.getPlotItem().plot([], [], pen=pg.mkPen(ACCURACY_COLOR, width=1))
        self.title = QLabel("Confusion matrix (validation split): rows true, columns predicted")
        self.title.setWordWrap(True)
        self.matrix = ConfusionTable()
        self.matrix.setToolTip("Validation rows of each true class (row) predicted as each class (column), "
                               "shaded by their share of the row")
        self.classes = QLabel()
        self.classes.setWordWrap(True)
        self.classes.setStyleSheet("color: #555;")
        self.classes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.title)
        layout.addWidget(self.matrix, 2)
        layout.addWidget(self.classes)

    def clear(self, steps: int = 1, class_names=()) -> None:
        """Empty the page for a run of ``steps`` steps: the axes stay put while it trains (no tick re-generation);
        the matrix is laid out for ``class_names`` now, not when the first one arrives with the first steps."""
        self.plot.getPlotItem().setRange(xRange=(0, max(steps, 1)), yRange=(0, 1))
        self.curve.setData([], [])
        self.matrix.clear()
        self.matrix.setRowCount(0)
        self.matrix.setColumnCount(0)
        self.classes.setText("")
        if class_names:
            self._set_classes(list(class_names))

    def _set_classes(self, names: list[str]) -> None:
        self.matrix.set_classes(names)
        numbered = class_headers(names) != [str(name) for name in names]
        self.classes.setText("Classes: " + " · ".join(f"{i + 1} = {name}" for i, name in enumerate(names))
                             if numbered else "")
        self.classes.setVisible(numbered)

    def show_accuracy(self, steps: np.ndarray, accuracy: np.ndarray) -> None:
        self.curve.setData(steps, accuracy)

    def show_confusion(self, matrix, step: int) -> None:
        names = list(matrix.class_names)
        if self.matrix.rowCount() != len(names):
            self._set_classes(names)
        shares = matrix.row_shares()
        for row in range(len(names)):
            for column in range(len(names)):
                item = self.matrix.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.matrix.setItem(row, column, item)
                item.setText(str(int(matrix.counts[row, column])))
                tint = QColor(ACCURACY_COLOR if row == column else FIT_COLOR)
                tint.setAlpha(int(200 * shares[row, column]))
                item.setBackground(tint)
        self.matrix.fit_font()
        self.title.setText(f"Confusion matrix (validation split, weights after step {step}, accuracy "
                           f"{100 * matrix.accuracy:.1f} %): rows true, columns predicted")


HINT = "Start a run to see what the model learns."
RANGE_TEST_HINT = ("The learning-rate range test trains no run to show here; its loss against the rate is in the "
                   "range-test tab. Pick a run in the runs table to see what it learned.")


class FitView(QStackedWidget):
    """Shows the page that fits a run: the live one as it trains, or the run picked in the runs table (the same rule
    as the Decision boundary dock: the live run live, another from what its record kept)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.hint = QLabel(HINT)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.line_page = LinePage()
        self.classes_page = ClassesPage()
        self.predictions_page = PredictionsPage()
        for page in (self.hint, self.line_page, self.classes_page, self.predictions_page):
            self.addWidget(page)
        for label in (self.hint, self.classes_page.title, self.classes_page.classes):
            label.setTextFormat(Qt.TextFormat.PlainText)    # run and class names are plain text
        # the pages' plots reach the edges; their text keeps the margins the other docks' captions have (in the
        # window and in a notebook cell, where no dock frames it)
        style, metric = self.style(), QStyle.PixelMetric
        margins = (style.pixelMetric(metric.PM_LayoutLeftMargin), 0, style.pixelMetric(metric.PM_LayoutRightMargin), 0)
        for label in (self.line_page.caption, self.predictions_page.caption, self.classes_page.title,
                      self.classes_page.classes):
            label.setContentsMargins(*margins)
        self.run_id: str | None = None          # the run shown: the live one, or one picked in the table
        self.live_run_id: str | None = None
        self._live = None                       # the live run's (settings, dataset)
        self._line_data: dict[str, tuple] = {}  # run id -> (x, y, true line) of this session's 1-feature runs
        self._reset()

    def _reset(self) -> None:
        self._steps: list[int] = []
        self._accuracy: list[float] = []
        self._latest = None         # the newest StepRecord
        self._confusion = None      # the live run's latest (step, ConfusionMatrix)
        self._predictions = None    # ... or (step, Predictions) of a multi-feature regression
        self._shown_steps = 0
        self._refreshed = 0.0

    def follow(self, session: Session) -> None:
        """Show ``session``'s live runs as they start, train and end (a picked saved run: :meth:`show_saved`)."""
        session.on(RunStarted, lambda event: self.show_run(event.run.id, event.run.settings, event.dataset))
        session.on(StepsTaken, lambda event: self.add_steps(event.run_id, event.steps))
        session.on(PredictionsComputed,
                   lambda event: self.show_predictions(event.run_id, event.step, event.predictions))
        session.on(ConfusionComputed, lambda event: self.show_confusion(event.run_id, event.step, event.matrix))
        session.on(RunEnded, lambda event: self.refresh(force=True))

    def clear(self, hint: str = HINT) -> None:
        """Follow no run: ``hint`` instead (the window's Reset, a range test)."""
        self.run_id = self.live_run_id = self._live = None
        self._reset()
        self.hint.setText(hint)
        self.setCurrentWidget(self.hint)

    def show_run(self, run_id: str, settings, dataset) -> None:
        """Follow a new live run: its data (Dataset arrays) and, for synthetic lines, the true line."""
        self.live_run_id, self._live = run_id, (settings, dataset)
        self._reset()
        if dataset.task != "classification" and dataset.n_features == 1:
            x, y = dataset.x_train[:, 0], dataset.y_train[:, 0]
            if len(x) > MAX_SCATTER_POINTS:
                rows = np.random.RandomState(0).choice(len(x), MAX_SCATTER_POINTS, replace=False)
                x, y = x[rows], y[rows]
            self._line_data[run_id] = (x, y, true_line(settings))
        self.show_live()

    def show_live(self) -> None:
        """Back to the live (or last live) run, with everything it sent so far."""
        if self._live is None:
            return
        settings, dataset = self._live
        self.run_id = self.live_run_id
        if dataset.task == "classification":
            self.classes_page.clear(settings.steps, dataset.class_names if dataset.scores_classes else ())
            self.setCurrentWidget(self.classes_page)
        elif dataset.n_features == 1:
            self.line_page.set_data(*self._line_data[self.live_run_id])
            self.setCurrentWidget(self.line_page)
        else:
            self.predictions_page.clear(dataset.name)
            self.setCurrentWidget(self.predictions_page)
        self._shown_steps = 0
        self.refresh(force=True)
        if self._confusion is not None:
            self.show_confusion(self.live_run_id, *self._confusion)
        if self._predictions is not None:
            self.show_predictions(self.live_run_id, *self._predictions)

    def show_saved(self, record) -> None:
        """Run ``record`` picked in the runs table: the live run live, another from its record (accuracy over its
        steps; its last fitted line over its data when this session trained it), or one line saying why not."""
        if record.id == self.live_run_id and self._live is not None:
            self.show_live()
            return
        self.run_id = record.id
        history = record.history if record.readable else []
        last = history[-1] if history else None
        if record.readable and any(step.accuracy is not None for step in history):
            self.classes_page.clear(record.settings.steps)
            self.classes_page.show_accuracy(np.array([s.step for s in history], dtype=np.float64),
                                            np.array([np.nan if s.accuracy is None else s.accuracy
                                                      for s in history], dtype=np.float64))
            self.classes_page.title.setText(f"“{record.name}”: validation accuracy over its steps (the confusion "
                                            "matrix is computed while a run trains)")
            self.setCurrentWidget(self.classes_page)
        elif last is not None and {"w", "b"} <= last.params.keys() and record.id in self._line_data:
            self.line_page.set_data(*self._line_data[record.id])
            self.line_page.show_fit(last.params["w"], last.params["b"])
            self.setCurrentWidget(self.line_page)
        else:
            reason = ("its fitted line is shown for runs trained in this session" if last is not None
                      and {"w", "b"} <= last.params.keys() else "it has no fitted line or accuracy to show"
                      if record.readable and record.status != "pending" else "it has not trained yet")
            self.hint.setText(f"“{record.name}”: {reason}.")
            self.setCurrentWidget(self.hint)

    @property
    def showing_live(self) -> bool:
        return self.run_id is not None and self.run_id == self.live_run_id

    def add_steps(self, run_id: str, records) -> None:
        if run_id != self.live_run_id or not records:
            return
        self._steps.extend(s.step for s in records)
        self._accuracy.extend(np.nan if s.accuracy is None else s.accuracy for s in records)
        self._latest = records[-1]

    def refresh(self, force: bool = False) -> None:
        """Push the steps received since the last refresh, at most every ``REFRESH_S`` unless ``force``d
        (called with the loss plot's redraws; fewer paints leave the GUI thread more responsive)."""
        if not self.showing_live or len(self._steps) == self._shown_steps or \
                not (force or perf_counter() - self._refreshed >= REFRESH_S):
            return
        self._refreshed = perf_counter()
        self._shown_steps = len(self._steps)
        params = self._latest.params
        if self.currentWidget() is self.line_page and {"w", "b"} <= params.keys():
            self.line_page.show_fit(params["w"], params["b"])
        elif self.currentWidget() is self.classes_page:
            self.classes_page.show_accuracy(np.asarray(self._steps, dtype=np.float64),
                                            np.asarray(self._accuracy, dtype=np.float64))

    def show_confusion(self, run_id: str, step: int, matrix) -> None:
        if run_id != self.live_run_id:
            return
        self._confusion = (step, matrix)
        if self.showing_live and self.currentWidget() is self.classes_page:
            self.classes_page.show_confusion(matrix, step)

    def show_predictions(self, run_id: str, step: int, predictions) -> None:
        """A multi-feature regression run's predictions against its targets (core.training.metrics.Predictions)."""
        if run_id != self.live_run_id:
            return
        self._predictions = (step, predictions)
        if self.showing_live and self.currentWidget() is self.predictions_page:
            self.predictions_page.show_predictions(predictions, step)
