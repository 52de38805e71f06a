"""The runs table: one row per run (this session's and saved ones), check to show, select to highlight,
edit the name to rename, and actions to re-run, load the settings into the controls or delete."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QColor, QKeySequence
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QToolBar, QVBoxLayout, QWidget

from kgui.core.training.engines import garbage_collector_paused

from kgui.core.experiment.setting_labels import SettingLabel, setting_labels

from .names import dataset_title, run_engine_label

COLUMNS = ("Name", "Backend", "Dataset", "Learning rate", "Steps", "Train loss", "Val loss", "Accuracy",
           "Mean ms/step", "Status")
STEP_MS_TIP = ("Mean time of a training step over the whole run. The first steps are slower (the engine compiles "
               "and warms up), so this is above the side panel's Step time, the median of the last steps.")
STATUS = COLUMNS.index("Status")
STEPS = COLUMNS.index("Steps")      # the cells a step changes: Steps, Train loss, Val loss, Accuracy
RATES = COLUMNS.index("Learning rate")
MAX_RATES_IN_CELL = 3       # more learning rates than this: first → … → last, all of them in the tooltip
NAME_WIDTH = 260            # the Name column's first width (the user can drag it)
MAX_COLUMN_WIDTH = 240      # a column widened to fit its cells stops here (the rest is elided, in full in tooltips)
FIXED_COLUMN_SETTINGS = ("backend", "dataset", "learning_rate")   # settings with columns of their own
# Rows a column's width is measured on when the saved runs are added, the visible ones first: through a Python
# model, Qt's default of 1,000 rows takes ~0.9 s at 10,000 runs, 100 rows ~0.08 s. After that a row's update
# only widens the columns its cells no longer fit (a live run's row changes once a second).
SIZED_ROWS = 100
# The roles as constants: data() runs ~8,000 times per resize and an enum attribute costs ~0.4 µs.
DISPLAY, CHECK_STATE, TOOLTIP, FOREGROUND = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.CheckStateRole,
                                             Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole)
TEXT_ROLES = frozenset((DISPLAY, Qt.ItemDataRole.EditRole))


def learning_rates(record) -> str:
    """The first rate and every live change, e.g. ``0.1 → 0.5 → 0.05`` (the cell's tooltip)."""
    return " → ".join(f"{rate:g}" for rate in [record.settings.learning_rate, *(r for _, r in record.lr_changes)])


def learning_rates_cell(record) -> str:
    """The Learning-rate cell: the rates, the middle ones elided when there are many (``0.1 → … → 0.05``)."""
    rates = [record.settings.learning_rate, *(r for _, r in record.lr_changes)]
    texts = [f"{rate:g}" for rate in rates]
    return " → ".join(texts if len(texts) <= MAX_RATES_IN_CELL else [texts[0], "…", texts[-1]])


def _number(value, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def run_cells(record, status: str | None = None) -> list[str]:
    """The table's cells for ``record`` (its history so far, else its summary); an unreadable run's say why.
    ``status``: shown instead of the record's (a run being prepared: "loading…", "compiling…")."""
    if not record.readable:
        return [record.name, *["—"] * (len(COLUMNS) - 2), f"{record.status}: {record.message}"]
    if record.history and record.summary.steps != len(record.history):   # the live run: its steps so far
        last, steps = record.history[-1], len(record.history)
        timed = [s.step_ms for s in record.history if math.isfinite(s.step_ms)]
        step_ms = statistics.fmean(timed) if timed else None   # the same mean as the summary's
    else:  # a saved run: its stored summary (its history read or not: a pass over a million steps takes 0.2 s)
        last, steps, step_ms = record.summary.last, record.summary.steps, record.summary.mean_step_ms
    return [record.name, run_engine_label(record), dataset_title(record.settings.dataset), learning_rates_cell(record),
            *step_cells(last, steps), "—" if step_ms is None else f"{step_ms:.2f}", status or record.status]


def step_cells(last, steps: int) -> list[str]:
    """The cells from ``STEPS`` on that a run's latest step ``last`` (of ``steps``) fills: Steps and its losses."""
    accuracy = None if last is None or last.accuracy is None else f"{100 * last.accuracy:.1f} %"
    return [str(steps), _number(last and last.train_loss), _number(last and last.val_loss), accuracy or "—"]


def run_tooltip(record) -> str:
    """The name cell's tooltip: the run's id and its message."""
    return f"{record.id}\n{record.message}".strip()


def run_tooltips(record) -> dict[int, str]:
    """Tooltips of a row's cells by column: the name's (id and message), every learning rate in full."""
    tips = {0: run_tooltip(record)}
    if record.readable:
        tips[RATES] = "Learning rates: " + learning_rates(record)
    return tips


@dataclass(slots=True)
class RunRow:
    """What one row shows: the run's cells, the check box and the tooltip and colour of its name. A saved run's
    row keeps its ``record`` and makes its cells when they are first asked for (most of 10,000 rows never are)."""
    run_id: str
    cells: list[str] | None
    tooltips: dict[int, str] | None    # column -> its cell's tooltip
    checked: bool = False
    color: QColor | None = None
    record: object = None
    settings: object = None             # the run's ExperimentSettings (None: unreadable), for setting columns

    def texts(self) -> list[str]:
        if self.cells is None:
            try:
                self.cells, self.tooltips = run_cells(self.record), run_tooltips(self.record)
            except Exception as exc:  # noqa: BLE001 - raised inside Qt's data(), it would end the application
                self.cells = [self.run_id, *["—"] * (len(COLUMNS) - 2), f"unreadable: {exc}"]
                self.tooltips = {0: self.run_id}
            self.record = None
        return self.cells


def _saved_row(record, checked: bool) -> RunRow:
    """A saved run's row, its cells made when first asked for."""
    return RunRow(record.id, None, None, checked, record=record, settings=record.settings if record.readable else None)


class RunsModel(QAbstractTableModel):
    """The runs as plain rows, one per run, keyed by run id. Only the name (column 0) is checkable and editable;
    a user's check or edit (``setData``) emits ``visibility_changed`` or ``rename_requested``, the window's
    updates (``add``, ``update``, ``set_cell``) emit only what the view needs."""

    visibility_changed = pyqtSignal(str, bool)
    rename_requested = pyqtSignal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[RunRow] = []
        self._row_of: dict[str, int] = {}   # run id -> its row
        self.setting_columns: list[SettingLabel] = []   # settings shown as columns after COLUMNS

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS) + len(self.setting_columns)

    def data(self, index: QModelIndex, role: int = DISPLAY):
        if index.column() >= len(COLUMNS):
            return self._setting_text(index) if role in TEXT_ROLES else None
        if role in TEXT_ROLES:
            return self._rows[index.row()].texts()[index.column()]
        if role == TOOLTIP:
            run = self._rows[index.row()]
            run.texts()
            return run.tooltips.get(index.column())
        if index.column() == 0:
            if role == CHECK_STATE:
                return Qt.CheckState.Checked if self._rows[index.row()].checked else Qt.CheckState.Unchecked
            if role == FOREGROUND:
                return self._rows[index.row()].color
        return None

    def _setting_text(self, index: QModelIndex) -> str:
        settings = self._rows[index.row()].settings
        if settings is None:
            return "—"
        try:
            return self.setting_columns[index.column() - len(COLUMNS)].text(settings)
        except Exception:  # noqa: BLE001 - raised inside Qt's data(), it would end the application
            return "—"

    def set_setting_columns(self, labels: list[SettingLabel]) -> None:
        """Show these settings as columns after the fixed ones (core.experiment.setting_labels formats them)."""
        self.beginResetModel()
        self.setting_columns = list(labels)
        self.endResetModel()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and section >= len(COLUMNS):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                return self.setting_columns[section - len(COLUMNS)].title
            return super().headerData(section, orientation, role)
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section] == "Mean ms/step":
                return STEP_MS_TIP
        return super().headerData(section, orientation, role)

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: QModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A user's check (the box takes it and ``visibility_changed`` is emitted) or edit of a name (only
        ``rename_requested``: the window shows the new name once it has renamed the run); a no-op emits nothing."""
        if not index.isValid() or index.column() != 0:
            return False
        run = self._rows[index.row()]
        if role == Qt.ItemDataRole.CheckStateRole:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked
            if checked != run.checked:
                run.checked = checked
                self.dataChanged.emit(index, index, [role])
                self.visibility_changed.emit(run.run_id, checked)
            return True
        if role == Qt.ItemDataRole.EditRole:
            if value != run.texts()[0]:
                self.rename_requested.emit(run.run_id, value)
            return True
        return False

    # -- the window's side -------------------------------------------------------------------------------------------

    def __contains__(self, run_id: str) -> bool:
        return run_id in self._row_of

    def run_ids(self) -> list[str]:
        return [run.run_id for run in self._rows]

    def run_id(self, row: int) -> str:
        return self._rows[row].run_id

    def row_of(self, run_id: str) -> int:
        return self._row_of[run_id]

    def run(self, run_id: str) -> RunRow:
        return self._rows[self._row_of[run_id]]

    def add(self, runs: list[RunRow]) -> None:
        """Append ``runs`` (none in the table yet) in one insertion."""
        if not runs:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(runs) - 1)
        self._rows.extend(runs)
        self._row_of.update((run.run_id, row) for row, run in enumerate(runs, first))
        self.endInsertRows()

    def update(self, run_id: str, cells: list[str], tooltips: dict[int, str], checked: bool | None = None,
               color: QColor | None = None) -> None:
        """New cells and tooltips for run ``run_id``'s row, and its check box and name colour unless None."""
        run = self.run(run_id)
        run.cells, run.tooltips, run.record = cells, tooltips, None
        if checked is not None:
            run.checked = checked
        if color is not None:
            run.color = color
        self._row_changed(run_id)

    def set_cell(self, run_id: str, column: int, text: str) -> None:
        self.run(run_id).texts()[column] = text
        self._row_changed(run_id)

    def set_cells(self, run_id: str, first: int, texts: list[str]) -> None:
        """Cells ``first``… of run ``run_id``'s row, in one update of those cells alone."""
        self.run(run_id).texts()[first:first + len(texts)] = texts
        row = self._row_of[run_id]
        self.dataChanged.emit(self.index(row, first), self.index(row, first + len(texts) - 1))

    def remove(self, run_id: str) -> None:
        row = self._row_of[run_id]
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self._row_of = {run.run_id: row for row, run in enumerate(self._rows)}
        self.endRemoveRows()

    def _row_changed(self, run_id: str) -> None:
        row = self._row_of[run_id]
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))


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
        self.model = RunsModel(self)
        self.model.visibility_changed.connect(self.visibility_changed)
        self.model.rename_requested.connect(self.rename_requested)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)   # every border can be dragged, Name's too
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(SIZED_ROWS)
        self.view.setColumnWidth(0, NAME_WIDTH)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda position: self.column_menu().exec(header.mapToGlobal(position)))
        header.setToolTip("Right-click a column title to show any setting as a column")
        self.view.setToolTip("Check a run to show it on the plot, select it to highlight it, "
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
        layout.addWidget(self.view)

        self._busy, self._busy_run, self._paused_run = False, None, None
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self._selection_changed()

    def _action(self, text: str, tip: str, signal) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda: self.selected_id() and signal.emit(self.selected_id()))
        self.addAction(action)
        return action

    # -- setting columns ---------------------------------------------------------------------------------------------

    def column_menu(self) -> QMenu:
        """The header's context menu: a checkable entry per setting, checked when it is a column."""
        menu = QMenu(self)
        shown = {label.name for label in self.model.setting_columns}
        for label in setting_labels():
            if label.name in FIXED_COLUMN_SETTINGS:
                continue    # columns of their own already
            action = menu.addAction(label.title)
            action.setCheckable(True)
            action.setChecked(label.name in shown)
            action.toggled.connect(lambda checked, name=label.name: self.show_setting_column(name, checked))
        return menu

    def setting_columns(self) -> list[str]:
        return [label.name for label in self.model.setting_columns]

    def show_setting_column(self, name: str, shown: bool) -> None:
        """Show (or hide) setting ``name`` as a column, after the fixed ones and those shown before."""
        names = [n for n in self.setting_columns() if n != name] + ([name] if shown else [])
        labels = {label.name: label for label in setting_labels()}
        self.model.set_setting_columns([labels[n] for n in names])
        self._fit_columns()

    # -- rows --------------------------------------------------------------------------------------------------------

    def run_ids(self) -> list[str]:
        return self.model.run_ids()

    def row_of(self, run_id: str) -> int:
        return self.model.row_of(run_id)

    def row_count(self) -> int:
        return self.model.rowCount()

    def cell_text(self, run_id: str, column: str) -> str:
        """The text run ``run_id``'s row shows in ``column`` (a name from ``COLUMNS``)."""
        return self.model.run(run_id).texts()[COLUMNS.index(column)]

    def set_run(self, record, visible: bool | None = None, color: str | None = None, status: str | None = None) -> None:
        """Add ``record``'s row (last) or refresh it; ``visible`` sets its check box, ``status`` replaces the
        record's in the Status column."""
        if record.id == self._paused_run and record.status == "running":
            status = status or "paused"
        cells, tooltips = run_cells(record, status), run_tooltips(record)
        color = None if color is None else QColor(color)
        if record.id in self.model:
            self.model.update(record.id, cells, tooltips, visible, color)
        else:
            self.model.add([RunRow(record.id, cells, tooltips, bool(visible), color,
                                   settings=record.settings if record.readable else None)])
        self._widen_columns(record.id)

    def show_latest_step(self, run_id: str, last, steps: int) -> None:
        """The live run's Steps and loss cells at its latest step ``last`` (of ``steps``), each frame; the cells it
        may now overflow are widened at its next :meth:`set_run`."""
        self.model.set_cells(run_id, STEPS, step_cells(last, steps))

    def add_runs(self, records, shown=()) -> None:
        """Add a row for each of ``records`` (none in the table yet) at once, checked when its id is in ``shown``:
        the saved runs at start, which may be thousands."""
        with garbage_collector_paused():
            self.model.add([_saved_row(record, record.id in shown) for record in records])
            self._fit_columns()

    def insert_runs(self, records, shown=()) -> None:
        """Rows for ``records`` (none in the table yet) in one insertion, the columns widened only where the new
        cells do not fit: runs that ended together (a sweep's trials)."""
        self.model.add([_saved_row(record, record.id in shown) for record in records])
        for record in records[:SIZED_ROWS]:
            self._widen_columns(record.id)

    def scroll_to(self, run_id: str) -> None:
        """Bring the run's row into view (a new run's row, added below the saved ones)."""
        self.view.scrollTo(self._name_index(run_id))

    def remove_run(self, run_id: str) -> None:
        self.model.remove(run_id)
        self._fit_columns()   # a column the run made wide narrows again

    def is_checked(self, run_id: str) -> bool:
        return self.model.run(run_id).checked

    def set_checked(self, run_id: str, checked: bool) -> None:
        """Check or uncheck the run's box (emits ``visibility_changed`` like a click)."""
        self.model.setData(self._name_index(run_id),
                           Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked,
                           Qt.ItemDataRole.CheckStateRole)

    def selected_id(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.run_id(rows[0].row()) if rows else None

    def select(self, run_id: str | None) -> None:
        if run_id is None:
            self.view.clearSelection()
        else:
            self.view.selectRow(self.row_of(run_id))

    def rename(self, run_id: str, name: str) -> None:
        """Edit the name cell as a user would (emits ``rename_requested``)."""
        self.model.setData(self._name_index(run_id), name, Qt.ItemDataRole.EditRole)

    def set_busy(self, busy_run: str | None, busy: bool, paused: bool = False) -> None:
        """While a job runs, re-run is off and the run being trained (``busy_run``) cannot be deleted; its status
        reads "paused" while ``paused``."""
        self._busy, self._busy_run = busy, busy_run
        self._paused_run = busy_run if busy and paused else None
        if busy_run in self.model and self.cell_text(busy_run, "Status") in ("running", "paused"):
            self.model.set_cell(busy_run, STATUS, "paused" if self._paused_run else "running")
            self._widen_columns(busy_run)
        self._enable_actions()

    def _fit_columns(self) -> None:
        """Every column but Name (the user's width) as wide as its cells, at most ``MAX_COLUMN_WIDTH``."""
        for column in range(1, self.model.columnCount()):
            self.view.resizeColumnToContents(column)
            if self.view.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.view.setColumnWidth(column, MAX_COLUMN_WIDTH)

    def _widen_columns(self, run_id: str) -> None:
        """Widen the columns whose cell in run ``run_id``'s row no longer fits, up to ``MAX_COLUMN_WIDTH`` (longer
        cells are elided; Name keeps the width the user gave it)."""
        row, grid = self.row_of(run_id), int(self.view.showGrid())
        for column in range(1, self.model.columnCount()):
            needed = min(self.view.sizeHintForIndex(self.model.index(row, column)).width() + grid, MAX_COLUMN_WIDTH)
            if needed > self.view.columnWidth(column):
                self.view.setColumnWidth(column, needed)

    def _name_index(self, run_id: str) -> QModelIndex:
        return self.model.index(self.row_of(run_id), 0)

    def _enable_actions(self) -> None:
        selected = self.selected_id()
        self.rerun_action.setEnabled(selected is not None and not self._busy)
        self.load_action.setEnabled(selected is not None)
        self.delete_action.setEnabled(selected is not None and not (self._busy and selected == self._busy_run))

    def _selection_changed(self) -> None:
        self._enable_actions()
        self.selected.emit(self.selected_id())
