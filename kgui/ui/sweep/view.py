"""The Sweep tab: a sweep's trials as a sortable, filterable table, parallel coordinates (one axis per
hyper-parameter plus the metric; dragging along an axis brushes a range, and the table follows), and a scatter of
the metric against one hyper-parameter (log axis for rates). A click on a trial shows its run on the loss plot.

The rows come from the session's runs tagged with a sweep (:mod:`kgui.core.sweeps.table`); the tab follows trials as
they end (:meth:`SweepView.add_run`).
"""
import math
from collections.abc import Callable
import time

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QMenu, QProgressBar, QPushButton,
                             QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget)

from kgui.core.runs import RunRecord
from kgui.core.session import Phase, RunStarted
from kgui.core.sweeps.runner import TrialEnded, TrialEvent, TrialStarted, TrialState
from kgui.core.training.trainer import Stage, stage_text
from kgui.core.sweeps.spec import Metric, format_value
from kgui.core.sweeps.seeds import SEED_AXIS, seed_groups
from kgui.core.sweeps.table import METRIC_COLUMNS, AxisScale, TrialRow, axis_names, axis_scale, export_rows, row_of

from ..names import column_title, value_title
from .curves import SweepCurves
from .dialog import SweepRun
from .export import SweepExport, SweepPanel, coordinates_svg, curves_svg, scatter_svg
from .parallel_coordinates import ParallelCoordinates
from .scatter import MetricScatter
from .table import TrialsFilter, TrialsModel
from .text_line import TextLine

SIZED_ROWS = 50          # columns fit this many rows (measuring a thousand on every change cost seconds)
FRAME_MS = 16            # trials ending within this long of each other are drawn together
TRIALS_FRAME_MS = 100    # a sweep started here: the trials ending within this long are read and drawn together
NEXT_STEP_MS = 1         # a frame's lines are drawn this long after its rows, its points after its lines: the paint
                         # of what came before (a posted event) and any timer due come between them
CURVES_MS = 1000         # the curves follow new trials at most this often (and 10x as long as drawing them took)
WAITING_FOR_TRIALS = "The sweep's trials show here as they end."
NO_SWEEP_RUNNING = "No sweep running here."    # the progress row's line until a sweep starts (the row keeps its place)


class SweepView(QWidget):
    """The Sweep tab; ``run_clicked(run_id)`` when a trial is clicked in the table, ``trials_shown(run_ids)`` when
    Show on Loss plot is clicked (the trials the table shows), ``trials_saved(run_ids)`` once a frame for the trials
    of a sweep started here that have ended since, their runs in the store (the window lists them)."""

    run_clicked = pyqtSignal(str)
    trials_shown = pyqtSignal(list)
    trials_saved = pyqtSignal(list)
    sweep_started = pyqtSignal(object)   # a SweepRun started here
    export_requested = pyqtSignal(object)    # a SweepPanel: Export… picked it

    def __init__(self, history_of: Callable[[RunRecord], RunRecord] | None = None, parent=None):
        """``history_of(record)``: the run with its steps, for the curves (the window reads them from its store;
        default: the record as it is)."""
        super().__init__(parent)
        self.history_of = history_of or (lambda record: record)
        self.records: dict[str, dict[str, RunRecord]] = {}    # sweep id -> run id -> record
        self.fixed_fields: frozenset[str] = frozenset()       # settings New sweep… offers no axis of (classroom)
        self._row_cache: dict[str, TrialRow] = {}              # run id -> its row
        self._best: TrialRow | None = None
        self._summary = ""                                     # the trials, the best, failures (what is shown aside)
        self._failed = 0
        self._scales: list[AxisScale] = []                     # the parallel coordinates' axes
        self._pending: dict[str, RunRecord] = {}              # run id -> a trial ended since the last frame
        self._saved: list[str] = []                            # runs of this tab's sweep's trials ended since then
        self._frame = QTimer(self)
        self._frame.setSingleShot(True)
        self._frame.setInterval(FRAME_MS)
        self._frame.timeout.connect(self._next_frame)
        # a frame's rows, then its lines, then its points, each painted before the next is drawn
        self._plots_stale = False                              # the plots are drawn afresh at their next steps
        self._points_stale = False                             # the scatter's points are, at theirs
        self._rows_without_lines: list[TrialRow] = []         # in the table, not yet on the parallel coordinates
        self._rows_without_points: list[TrialRow] = []        # on the parallel coordinates, not yet on the scatter
        self._lines_later, self._points_later = QTimer(self), QTimer(self)
        for timer, step in ((self._lines_later, self._flush_lines), (self._points_later, self._flush_points)):
            timer.setSingleShot(True)
            timer.setInterval(NEXT_STEP_MS)
            timer.timeout.connect(step)
        self._histories: dict[str, RunRecord] = {}            # run id -> that run with its steps (read once)
        self._curves_later = QTimer(self)
        self._curves_later.setSingleShot(True)
        self._curves_later.setInterval(CURVES_MS)
        self._curves_later.timeout.connect(self._draw_curves)
        self.sweep_picker = QComboBox()
        self.sweep_picker.currentIndexChanged.connect(self.refresh)
        self.metric_picker = QComboBox()       # the metrics' labels; each item's data is its Metric
        for name in METRIC_COLUMNS:
            self.metric_picker.addItem(Metric(name).label, Metric(name))
        self.metric_picker.setCurrentIndex(self.metric_picker.findData(Metric.FINAL_VAL_LOSS))
        self.metric_picker.currentIndexChanged.connect(self.refresh)
        self.axis_picker = QComboBox()         # the hyper-parameters' titles; each item's data is its name
        self.axis_picker.currentIndexChanged.connect(self._draw_scatter)
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("filter trials…")
        self.filter_box.setClearButtonEnabled(True)
        self.summary = TextLine("No sweep yet: New sweep…, or kgui sweep … on the command line.")
        self.new_button = QPushButton("New sweep…")
        self.show_button = QPushButton("Show on Loss plot")
        self.show_button.setToolTip("The trials the table shows (filter and brushes), alone on the Loss plot: colour "
                                    "them by a hyper-parameter and average their seeds there")
        self.show_button.clicked.connect(lambda: self.trials_shown.emit(self.visible_run_ids()))
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("A view as PNG or SVG, or the table of the trials shown as CSV or JSON")
        export_menu = QMenu(self.export_button)
        for panel in SweepPanel:
            export_menu.addAction(panel.value[0].upper() + panel.value[1:] + "…",
                                  lambda panel=panel: self.export_requested.emit(panel))
        self.export_button.setMenu(export_menu)
        self.progress = QProgressBar()
        self.progress_label = TextLine(NO_SWEEP_RUNNING)
        self.stop_button = QPushButton("Stop sweep")
        self.stop_button.clicked.connect(self.stop_sweep)
        self.run: SweepRun | None = None

        self.model = TrialsModel()
        self.proxy = TrialsFilter()
        self.proxy.setSourceModel(self.model)
        self.filter_box.textChanged.connect(self.proxy.set_text)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setResizeContentsPrecision(SIZED_ROWS)   # fitted when the columns change
        self.table.clicked.connect(self._clicked)
        self.coordinates = ParallelCoordinates()
        self.coordinates.brushed.connect(self._brushed)
        self.scatter = MetricScatter()
        self.curves = SweepCurves()
        self.colour_picker = QComboBox()       # the hyper-parameters' titles; each item's data is its name
        self.colour_picker.currentIndexChanged.connect(self._draw_curves)
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
        self.filter_box.textChanged.connect(self._filtered)

        # two rows, so the tab never sets the window's least width (the docks beside it take 690 px of 1,300)
        choose, read = QHBoxLayout(), QHBoxLayout()
        for row, label, widget, letters in ((choose, "Sweep", self.sweep_picker, 26),
                                            (read, "Metric", self.metric_picker, 12),
                                            (read, "Against", self.axis_picker, 12)):
            # a long sweep id or metric name never widens the tab (and so the window's least width)
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            widget.setMinimumContentsLength(letters)
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        choose.addStretch(1)
        choose.addWidget(self.new_button)
        choose.addWidget(self.export_button)
        read.addWidget(self.filter_box, 1)
        read.addWidget(self.show_button)     # beside the filter: it shows the trials the filter leaves
        # the progress row keeps its place and sizes whether a sweep runs or not, and its line of text is a TextLine:
        # a sweep's start and end, and each frame's counts, lay out nothing again (a relayout resized and repainted
        # the plots below: a 30-70 ms frame)
        running = QHBoxLayout()
        running.addWidget(self.progress, 1)
        running.addWidget(self.progress_label, 2)
        running.addWidget(self.stop_button)
        for widget in (self.progress, self.stop_button):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        self._show_progress(False)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.coordinates)
        plots.addWidget(self.views)
        plots.setSizes([550, 450])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(plots)
        split.addWidget(self.table)
        for widget in (self.coordinates, self.views, self.curves, self.table):   # the tab never sets the window's least size
            widget.setMinimumSize(60, 40)
        self.filter_box.setMinimumWidth(40)
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addLayout(read)
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
        """A trial that ended (or changed): kept now, its row drawn at the next frame with every other trial ending
        before it (one layout and paint for them all; :meth:`flush` draws them at once)."""
        if not (record.readable and record.sweep_id):
            return
        new_sweep = record.sweep_id not in self.records
        self.records.setdefault(record.sweep_id, {})[record.id] = record
        self._row_cache.pop(record.id, None)
        self._histories.pop(record.id, None)
        if new_sweep:
            self._fill_picker(select=record.sweep_id, plots_next_step=True)
        elif record.sweep_id == self.sweep_id:
            self._pending[record.id] = record
            if not self._frame.isActive():
                self._frame.start(FRAME_MS)

    def add_runs(self, records) -> None:
        """:meth:`add_run` for each of ``records`` (trials that ended together)."""
        for record in records:
            self.add_run(record)

    def _next_frame(self) -> None:
        """Once a frame, for every trial ended since the last one: their runs handed on together (``trials_saved``:
        the session reads them, and they come back through :meth:`add_runs`), their rows drawn, the progress shown;
        their lines, then their points, each a moment later, after the paint of what came before (one long frame was
        three shorter ones)."""
        saved, self._saved = self._saved, []
        if saved:
            self.trials_saved.emit(saved)
        self._flush_rows()
        if self.run is not None:
            self._show_counts()
        self._frame.stop()     # started again by the trials just read: drawn already
        if self._plots_stale or self._rows_without_lines:
            self._lines_later.start()

    def flush(self) -> None:
        """Draw the trials ended since the last frame at once: their rows, lines and points alone when the columns
        stay as they are, else the whole sweep again."""
        self._flush_rows()
        self._flush_lines()
        self._flush_points()

    def _flush_rows(self) -> None:
        """The table's rows and the summary for the trials ended since the last frame (the plots follow them)."""
        pending, self._pending = list(self._pending.values()), {}
        pending = [record for record in pending if record.sweep_id == self.sweep_id
                   and record.id in self.records.get(self.sweep_id, {})]
        if not pending:
            return
        rows = [self._row(record) for record in pending]
        if any(self.model.has(row.run_id) or any(name not in self.model.columns for name in row.values)
               for row in rows):
            self._refresh_rows()
            return
        self.model.add_rows(rows)
        self._rows_without_lines += rows
        self._summarise(self.model.rows, added=rows)
        self.sweep_picker.setItemText(self.sweep_picker.currentIndex(), _picker_text(self.sweep_id, self.model.rows))

    def _flush_lines(self) -> None:
        """The parallel coordinates' lines of the rows added since they were drawn: alone when the axes can hold
        them, else every line again (the plots afresh when the table was); the scatter's points follow."""
        self._lines_later.stop()
        if self._plots_stale:      # the scatter's points afresh at the next step
            self._refresh_lines()
            self._points_stale = True
            self._points_later.start()
            return
        rows, self._rows_without_lines = self._rows_without_lines, []
        if not rows:
            return
        scales = self._scales
        for row in rows:
            scales = [scale.including(_value(row, scale.name)) if scale else None for scale in scales]
        if None in scales:   # a value an axis cannot hold as it is: every value again
            scales = self._scales_of(self.model.rows)
        self.coordinates.shown = self._matching()     # drawn with them
        self.coordinates.add_rows(rows, scales, _value)
        self._scales = scales
        self._rows_without_points += rows
        self._brushed()
        if self.views.currentWidget() is self._curves_tab and not self._curves_later.isActive():
            self._curves_later.start()
        self._points_later.start()

    def _flush_points(self) -> None:
        """The scatter's points of the rows added since it was drawn: alone, bright or dim, when its x axis (that
        hyper-parameter's; its y follows the metric by itself) stays as it was, else every point again."""
        self._points_later.stop()
        if self._points_stale:
            self._draw_scatter()
            return
        rows, self._rows_without_points = self._rows_without_points, []
        if not rows:
            return
        axis, metric = self.axis_picker.currentData(), str(self.picked_metric)
        scale = next((scale for scale in self._scales if scale.name == axis), None)
        if scale is not None and scale == self.scatter.scale and self.scatter.count + len(rows) == len(self.model.rows):
            self.scatter.shown = _both(self._matching(), self.coordinates.selected())
            self.scatter.add_points(scale, [row.values.get(axis) for row in rows],
                                    [row.metrics[metric] for row in rows], [row.run_id for row in rows])
        else:
            self._draw_scatter()

    def _row(self, record: RunRecord) -> TrialRow:
        row = self._row_cache.get(record.id)
        if row is None:
            row = self._row_cache[record.id] = row_of(record)
        return row

    # -- a sweep started here ---------------------------------------------------------------------------------------

    def start(self, run: "SweepRun") -> None:
        """Follow ``run`` (progress, Stop) and start it."""
        self.run = run
        self.progress.setRange(0, run.runner.total)
        self.progress.setValue(0)
        self._done = self._running = 0
        self._doing: dict[int, tuple[Stage, str]] = {}   # a running trial's index -> its stage and engine
        self.progress_label.setText(f"{run.runner.sweep_id}: starting…")
        self.records.setdefault(run.runner.sweep_id, {})    # the tab turns to it now, not at its first trial's end
        self._fill_picker(select=run.runner.sweep_id, plots_next_step=True)
        self._summary = WAITING_FOR_TRIALS
        self._show_summary()
        self._show_progress(True)
        run.event.connect(self._on_sweep_event)
        run.finished.connect(self._on_sweep_finished)
        self.sweep_started.emit(run)
        run.start()

    def _show_progress(self, shown: bool) -> None:
        for widget in (self.progress, self.stop_button):
            widget.setVisible(shown)
        self.new_button.setEnabled(not shown)
        self.stop_button.setEnabled(True)

    def _on_sweep_event(self, event) -> None:
        """A trial started, changed stage (importing its engine, compiling, training) or ended: counted now, shown
        at the next frame with every other one (one progress update, one read of the runs that ended)."""
        if isinstance(event, TrialStarted):
            self._running += 1
        elif isinstance(event, TrialEvent):
            if isinstance(event.event, Phase):
                self._doing[event.trial_index] = (event.event.stage, event.event.backend)
            elif isinstance(event.event, RunStarted):
                self._doing[event.trial_index] = (Stage.TRAINING, event.event.run.settings.backend)
        elif isinstance(event, TrialEnded):
            self._running -= 1
            self._done += 1
            self._doing.pop(event.outcome.trial.index, None)
            if event.outcome.record is not None:
                self._saved.append(event.outcome.record.id)
        if not self._frame.isActive():
            self._frame.start(TRIALS_FRAME_MS)

    def _show_counts(self) -> None:
        self.progress.setUpdatesEnabled(False)   # else setValue paints the bar at once, before the frame's paint
        self.progress.setValue(self._done)
        self.progress.setUpdatesEnabled(True)
        self.progress_label.setText(f"{self._done} of {self.run.runner.total} trials · {self._running} running"
                                    + _doing_text(list(self._doing.values())))

    def _on_sweep_finished(self, result) -> None:
        if result is not None:    # a stopped sweep's trials it had not started: saved as stopped runs, listed too
            self._saved += [outcome.record.id for outcome in result.outcomes
                            if outcome.state is TrialState.PENDING and outcome.record is not None]
        self._next_frame()     # the trials that ended last
        stopped = result is None or result.stopped
        sweep = self.run.runner.sweep_id    # "sweep-…" already: not "sweep sweep-… done"
        if not self.records.get(sweep) and not self._saved:   # it saved no trial (failed at once): not offered
            self.records.pop(sweep, None)
            self._fill_picker()
        self.progress_label.setText(f"{sweep} failed: {self.run.error}" if self.run.error
                                    else f"{sweep} " + ("stopped" if stopped else "done"))
        self._show_progress(False)
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
        self._histories.pop(run_id, None)
        self._pending.pop(run_id, None)
        for sweep_id, runs in list(self.records.items()):
            if runs.pop(run_id, None) is not None:
                if not runs:
                    del self.records[sweep_id]
                self._fill_picker()
                return

    @property
    def sweep_id(self) -> str | None:
        return self.sweep_picker.currentData()

    @property
    def picked_metric(self) -> Metric:
        """The metric picked: the trials are ranked by it, the plots show it."""
        return self.metric_picker.currentData()

    def _fill_picker(self, select: str | None = None, plots_next_step: bool = False) -> None:
        """The sweeps to pick from, ``select`` picked (else the one picked so far), drawn afresh: its plots at once,
        or with ``plots_next_step`` after its table's paint (a new sweep's first trial, in a frame's step)."""
        current = select or self.sweep_id
        self.sweep_picker.blockSignals(True)
        self.sweep_picker.clear()
        for sweep_id in sorted(self.records, reverse=True):    # ids start with the time: newest first
            self.sweep_picker.addItem(_picker_text(sweep_id, self.records[sweep_id]), sweep_id)
        index = self.sweep_picker.findData(current)
        self.sweep_picker.setCurrentIndex(max(0, index))
        self.sweep_picker.blockSignals(False)
        if plots_next_step:
            self._refresh_rows()
            self._lines_later.start()
        else:
            self.refresh()

    def rows(self) -> list[TrialRow]:
        """The current sweep's trials, best first (rows computed once per run and kept)."""
        metric = self.picked_metric
        rows = []
        for record in self.records.get(self.sweep_id, {}).values():
            rows.append(self._row(record))
        sign = -1 if metric.higher_is_better else 1

        def key(row: TrialRow):
            value = row.metrics[str(metric)]
            missing = value is None or not math.isfinite(value)
            return (missing, 0.0 if missing else sign * value)
        return sorted(rows, key=key)

    def _scales_of(self, rows: list[TrialRow]) -> list[AxisScale]:
        metric = str(self.picked_metric)
        names = [name for name in self.model.columns if name not in METRIC_COLUMNS and name not in ("steps", "status")]
        return [axis_scale(name, [row.values.get(name) for row in rows]) for name in names] + [
            axis_scale(metric, [row.metrics[metric] for row in rows])]

    def _summarise(self, rows: list[TrialRow], added: list[TrialRow] | None = None) -> None:
        """The line above the table: trials, the best, failures (``added``: only those rows are new)."""
        if not rows:
            return
        metric = self.picked_metric

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
            best, failed = self._best, self._failed
            for row in added:
                best = row if better(row, best) else best
                failed += row.status == "failed"
        self._best, self._failed = best, failed
        self._summary = _trials(len(rows)) + (f"; the best has {metric.label.lower()} "
                                              f"{_text(best.metrics[str(metric)])} ({_values_text(best.values)})"
                                              if best else "") + (f"; {failed} failed" if failed else "")
        self._show_summary()

    def _filtered(self) -> None:
        """The filter text changed: the trials it leaves out drawn dim on the parallel coordinates and the scatter
        too."""
        matching = self._matching()
        self.coordinates.set_shown(matching)
        self.scatter.set_shown(_both(matching, self.coordinates.selected()))
        self._show_summary()

    def _matching(self) -> set[str] | None:
        """The trials whose cells hold the filter text (None: no filter)."""
        return None if not self.proxy.text else {
            row.run_id for index, row in enumerate(self.model.rows) if self.proxy.matches_text(index)}

    def _show_summary(self) -> None:
        """The summary, and how many trials the filter and the brushes leave shown when they hide some."""
        shown, total = self.proxy.rowCount(), len(self.model.rows)
        self.summary.setText(self._summary + (f" · {shown} shown (filter, brushes)" if shown < total else ""))

    def refresh(self) -> None:
        """The current sweep drawn afresh (trials ended since the last frame included)."""
        self._refresh_rows()
        self._refresh_plots()

    def _refresh_rows(self) -> None:
        """The current sweep's table, pickers and summary afresh; its plots are stale until :meth:`_refresh_plots`."""
        self._pending.clear()
        rows = self.rows()
        metric = str(self.picked_metric)
        names = axis_names(rows)
        columns = [*names, metric, *(name for name in METRIC_COLUMNS if name != metric), "steps", "status"]
        self.model.set_rows(rows, columns)
        self.table.sortByColumn(columns.index(metric), Qt.SortOrder.DescendingOrder
                                if self.picked_metric.higher_is_better else Qt.SortOrder.AscendingOrder)   # best first
        self.table.resizeColumnsToContents()
        colour = self.colour_picker.currentData()
        self.colour_picker.blockSignals(True)
        self.colour_picker.clear()
        for name in names:
            if name != SEED_AXIS:
                self.colour_picker.addItem(column_title(name), name)
        if colour in names:
            self.colour_picker.setCurrentIndex(self.colour_picker.findData(colour))
        self.colour_picker.blockSignals(False)
        chosen = self.axis_picker.currentData()
        self.axis_picker.blockSignals(True)
        self.axis_picker.clear()
        for name in names:
            self.axis_picker.addItem(column_title(name), name)
        if chosen in names:
            self.axis_picker.setCurrentIndex(names.index(chosen))
        self.axis_picker.blockSignals(False)
        self._summarise(rows)
        if self.sweep_id is not None:
            self.sweep_picker.setItemText(self.sweep_picker.currentIndex(), _picker_text(self.sweep_id, rows))
        self._plots_stale, self._rows_without_lines = True, []

    def _refresh_plots(self) -> None:
        """The parallel coordinates, the curves and the scatter of the table's rows, drawn afresh."""
        self._refresh_lines()
        self._draw_scatter()

    def _refresh_lines(self) -> None:
        """The parallel coordinates and the curves of the table's rows, drawn afresh."""
        self._lines_later.stop()
        self._plots_stale, self._rows_without_lines = False, []
        rows = self.model.rows
        scales = self._scales_of(rows)
        self.coordinates.shown = self._matching()
        self.coordinates.set_rows(rows, scales, _value)
        self._scales = scales
        self._brushed()
        self._draw_curves()

    def _draw_scatter(self) -> None:
        """Every trial's point afresh."""
        self._points_later.stop()
        self._points_stale, self._rows_without_points = False, []
        name = self.axis_picker.currentData()
        scale = next((scale for scale in self._scales if scale.name == name), None)
        if scale is None:
            self.scatter.clear_points()
            return
        rows, metric = self.model.rows, self.picked_metric
        self.scatter.shown = _both(self._matching(), self.coordinates.selected())
        self.scatter.set_points(scale, [row.values.get(name) for row in rows], metric.label,
                                [row.metrics[str(metric)] for row in rows], [row.run_id for row in rows])

    def _brushed(self) -> None:
        allowed = self.coordinates.selected()
        if allowed != self.proxy.allowed:   # filtering a thousand rows again is what costs
            self.proxy.set_allowed(allowed)
            self.scatter.set_shown(_both(self._matching(), allowed))
            self._draw_curves()
            self._show_summary()

    def _draw_curves(self) -> None:
        """The curves of the trials the table shows (filter and brushes), when their tab is in front."""
        if self.views.currentWidget() is not self._curves_tab:
            return
        start = time.perf_counter()
        runs = self.records.get(self.sweep_id, {})
        records = [self._history(runs[run_id]) for run_id in self.visible_run_ids() if run_id in runs]
        self.curves.show_groups(seed_groups(records), self.colour_picker.currentData())
        self._curves_later.setInterval(max(CURVES_MS, round(10_000 * (time.perf_counter() - start))))

    def _history(self, record: RunRecord) -> RunRecord:
        history = self._histories.get(record.id)
        if history is None:
            history = self._histories[record.id] = self.history_of(record)
        return history

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
        self.flush()
        shown = set(self.visible_run_ids())
        return export_rows([row for row in self.model.rows if row.run_id in shown], path)

    def export_target(self, panel: SweepPanel = SweepPanel.COORDINATES) -> SweepExport:
        """``panel`` as PNG or SVG, and the table of the trials shown as CSV or JSON (File → Export, Export…). The
        scatter or the curves come to the front, drawn (the curves are drawn only there: exported behind the
        scatter, they were an empty plot)."""
        self.flush()
        if panel is not SweepPanel.COORDINATES:
            self.views.setCurrentWidget(self.scatter if panel is SweepPanel.SCATTER else self._curves_tab)
        item, svg = {SweepPanel.COORDINATES: (self.coordinates.plot, lambda: coordinates_svg(self.coordinates)),
                     SweepPanel.SCATTER: (self.scatter.item, lambda: scatter_svg(self.scatter)),
                     SweepPanel.CURVES: (self.curves.ci, lambda: curves_svg(self.curves))}[panel]
        stem = f"kgui-{self.sweep_id or 'sweep'}-{panel.name.lower()}"
        empty = "" if self.model.rows else "No sweep yet: there is nothing to export."
        return SweepExport(f"sweep's {panel.value}", stem, item, list, self.export_table, empty, svg=svg)


def _both(matching: set[str] | None, allowed: set[str] | None) -> set[str] | None:
    """The trials both the filter text (``matching``) and the brushes (``allowed``) leave shown (None: all)."""
    if matching is None or allowed is None:
        return allowed if matching is None else matching
    return matching & allowed


def _value(row: TrialRow, name: str):
    return row.metrics[name] if name in row.metrics else row.values.get(name)


def _doing_text(doing: list[tuple[Stage, str]]) -> str:
    """What the running trials are doing, by (stage, engine): ": importing TensorFlow…" when they all do the same,
    ": 1 importing JAX…, 1 compiling…" when not ("" before any says)."""
    counts: dict[tuple[Stage, str], int] = {}
    for stage in doing:
        counts[stage] = counts.get(stage, 0) + 1
    if not counts:
        return ""
    if len(counts) == 1:
        return ": " + stage_text(*doing[0])
    return ": " + ", ".join(f"{count} {stage_text(*stage)}" for stage, count in
                            sorted(counts.items(), key=lambda item: -item[1]))


def _picker_text(sweep_id: str, trials) -> str:
    return f"{sweep_id} ({_trials(len(trials))})"


def _trials(count: int) -> str:
    return f"{count} trial" + ("" if count == 1 else "s")


def _text(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def _values_text(values: dict) -> str:
    return " · ".join(f"{column_title(name)} {value_title(name, format_value(value))}" for name, value in values.items())
