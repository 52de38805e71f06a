"""The runs table: one row per run (this session's and saved ones), check to show, select to highlight,
edit the name to rename, and actions to re-run, load the settings into the controls or delete."""
from __future__ import annotations

import math
import statistics

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction, QColor, QKeySequence
from PyQt6.QtWidgets import (QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QToolBar, QVBoxLayout,
                             QWidget)

from kgui.core.engines import garbage_collector_paused

from .names import dataset_title, run_engine_label

COLUMNS = ("Name", "Backend", "Dataset", "Learning rate", "Steps", "Train loss", "Val loss", "Accuracy",
           "Mean ms/step", "Status")
STEP_MS_TIP = ("Mean time of a training step over the whole run. The first steps are slower (the engine compiles "
               "and warms up), so this is above the side panel's Step time, the median of the last steps.")
RUN_ID = Qt.ItemDataRole.UserRole


def learning_rates(record) -> str:
    """The first rate and every live change, e.g. ``0.1 → 0.5 → 0.05``."""
    return " → ".join(f"{rate:g}" for rate in [record.settings.learning_rate, *(r for _, r in record.lr_changes)])


def _number(value, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def run_cells(record, status: str | None = None) -> list[str]:
    """The table's cells for ``record`` (its history so far, else its summary); an unreadable run's say why.
    ``status``: shown instead of the record's (a run being prepared: "loading…", "compiling…")."""
    if not record.readable:
        return [record.name, *["—"] * (len(COLUMNS) - 2), f"{record.status}: {record.message}"]
    if record.history:
        last, steps = record.history[-1], len(record.history)
        timed = [s.step_ms for s in record.history if math.isfinite(s.step_ms)]
        step_ms = statistics.fmean(timed) if timed else None   # the same mean as the summary's
    else:  # a saved run whose history has not been read (it was never shown): its stored summary
        last, steps, step_ms = record.summary.last, record.summary.steps, record.summary.mean_step_ms
    accuracy = None if last is None or last.accuracy is None else f"{100 * last.accuracy:.1f} %"
    return [record.name, run_engine_label(record), dataset_title(record.settings.dataset), learning_rates(record),
            str(steps), _number(last and last.train_loss), _number(last and last.val_loss),
            accuracy or "—", "—" if step_ms is None else f"{step_ms:.2f}", status or record.status]


class RunsTable(QWidget):
    """Rows keyed by run id; emits what the user asks for, the window does it."""

    visibility_changed = pyqtSignal(str, bool)
    selected = pyqtSignal(object)              # run id or None
    rename_requested = pyqtSignal(str, str)    # run id, new name
    rerun_requested = pyqtSignal(str)
    load_requested = pyqtSignal(str)
    delete_requested = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeaderItem(COLUMNS.index("Mean ms/step")).setToolTip(STEP_MS_TIP)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Check a run to show it on the plot, select it to highlight it, "
                              "double-click its name to rename it")

        self.rerun_action = self._action("Re-run", "Train a new run with this run's settings", self.rerun_requested)
        self.load_action = self._action("Load settings", "Put this run's settings into the controls",
                                        self.load_requested)
        self.delete_action = self._action("Delete…", "Delete this run from disk", self.delete_requested)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        toolbar = QToolBar()
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addActions((self.rerun_action, self.load_action, self.delete_action))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addWidget(self.table)

        self._busy, self._busy_run, self._paused_run = False, None, None
        self._names: dict[str, QTableWidgetItem] = {}   # run id -> its name cell (which knows its row)
        self._cell_prototype = QTableWidgetItem()
        self._cell_prototype.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        self._name_prototype = QTableWidgetItem()
        self._name_prototype.setFlags(self._cell_prototype.flags() | Qt.ItemFlag.ItemIsEditable
                                      | Qt.ItemFlag.ItemIsUserCheckable)
        self._name_prototype.setCheckState(Qt.CheckState.Unchecked)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self._selection_changed()

    def _action(self, text: str, tip: str, signal) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda: self.selected_id() and signal.emit(self.selected_id()))
        self.addAction(action)
        return action

    # -- rows --------------------------------------------------------------------------------------------------------

    def run_ids(self) -> list[str]:
        return [self.table.item(row, 0).data(RUN_ID) for row in range(self.table.rowCount())]

    def row_of(self, run_id: str) -> int:
        return self._names[run_id].row()

    def set_run(self, record, visible: bool | None = None, color: str | None = None, status: str | None = None) -> None:
        """Add ``record``'s row (last) or refresh it; ``visible`` sets its check box, ``status`` replaces the
        record's in the Status column."""
        self.table.blockSignals(True)
        try:
            if record.id in self._names:
                row = self.row_of(record.id)
            else:
                row = self.table.rowCount()
                self.table.insertRow(row)
                self._fill_row(row, record, run_cells(record))
            if record.id == self._paused_run and record.status == "running":
                status = status or "paused"
            for column, text in enumerate(run_cells(record, status)):
                self.table.item(row, column).setText(text)
            self.table.item(row, 0).setToolTip(f"{record.id}\n{record.message}".strip())
            if visible is not None:
                self.table.item(row, 0).setCheckState(Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
            if color is not None:
                self.table.item(row, 0).setForeground(QColor(color))
        finally:
            self.table.blockSignals(False)

    def add_runs(self, records, shown=()) -> None:
        """Add a row for each of ``records`` (none in the table yet) at once, checked when its id is in ``shown``:
        the saved runs at start, which may be thousands."""
        table = self.table
        table.blockSignals(True)
        table.setUpdatesEnabled(False)
        try:
            with garbage_collector_paused():
                first = table.rowCount()
                table.setRowCount(first + len(records))
                for row, record in enumerate(records, first):
                    name = self._fill_row(row, record, run_cells(record))
                    name.setToolTip(f"{record.id}\n{record.message}".strip())
                    if record.id in shown:
                        name.setCheckState(Qt.CheckState.Checked)
        finally:
            table.setUpdatesEnabled(True)
            table.blockSignals(False)

    def _fill_row(self, row: int, record, cells: list[str]) -> QTableWidgetItem:
        """Put new items with ``cells`` into empty ``row`` for ``record``; its name item (unchecked)."""
        name = self._name_prototype.clone()  # clones carry the flags (setting flag enums item by item is slow)
        name.setText(cells[0])
        name.setData(RUN_ID, record.id)
        self.table.setItem(row, 0, name)
        for column in range(1, len(cells)):
            item = self._cell_prototype.clone()
            item.setText(cells[column])
            self.table.setItem(row, column, item)
        self._names[record.id] = name
        return name

    def remove_run(self, run_id: str) -> None:
        self.table.removeRow(self.row_of(run_id))
        del self._names[run_id]

    def is_checked(self, run_id: str) -> bool:
        return self.table.item(self.row_of(run_id), 0).checkState() == Qt.CheckState.Checked

    def set_checked(self, run_id: str, checked: bool) -> None:
        """Check or uncheck the run's box (emits ``visibility_changed`` like a click)."""
        self.table.item(self.row_of(run_id), 0).setCheckState(
            Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).data(RUN_ID) if rows else None

    def select(self, run_id: str | None) -> None:
        if run_id is None:
            self.table.clearSelection()
        else:
            self.table.selectRow(self.row_of(run_id))

    def rename(self, run_id: str, name: str) -> None:
        """Edit the name cell as a user would (emits ``rename_requested``)."""
        self.table.item(self.row_of(run_id), 0).setText(name)

    def set_busy(self, busy_run: str | None, busy: bool, paused: bool = False) -> None:
        """While a job runs, re-run is off and the run being trained (``busy_run``) cannot be deleted; its status
        reads "paused" while ``paused``."""
        self._busy, self._busy_run = busy, busy_run
        self._paused_run = busy_run if busy and paused else None
        if busy_run in self._names:
            status = self.table.item(self.row_of(busy_run), len(COLUMNS) - 1)
            if status.text() in ("running", "paused"):
                status.setText("paused" if self._paused_run else "running")
        self._enable_actions()

    def _enable_actions(self) -> None:
        selected = self.selected_id()
        self.rerun_action.setEnabled(selected is not None and not self._busy)
        self.load_action.setEnabled(selected is not None)
        self.delete_action.setEnabled(selected is not None and not (self._busy and selected == self._busy_run))

    # -- user edits --------------------------------------------------------------------------------------------------

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        run_id = item.data(RUN_ID)
        self.visibility_changed.emit(run_id, item.checkState() == Qt.CheckState.Checked)
        self.rename_requested.emit(run_id, item.text())

    def _selection_changed(self) -> None:
        self._enable_actions()
        self.selected.emit(self.selected_id())
