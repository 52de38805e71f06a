"""The Sweep tab's table of trials: one row each (axis values, metrics, steps, status), sorted by the raw values and
filtered by text and by the parallel coordinates' brushes."""
from __future__ import annotations

import math

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt

from kgui.core.sweeps.spec import Metric, format_value
from kgui.core.sweeps.table import TrialRow

from ..names import column_title, value_title


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

    def add_rows(self, rows: list[TrialRow]) -> None:
        """Trials added at the end (the proxy puts them in their sorted places)."""
        if not rows:
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
        for row in rows:
            self._where[row.run_id] = len(self.rows)
            self.rows.append(row)
        self.endInsertRows()

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
            if value is not None and self.columns[index.column()] == Metric.FINAL_ACCURACY:
                return f"{100 * value:.1f} %"     # as the runs table shows it
            if value is None:
                return "-"
            return f"{value:.4g}" if isinstance(value, float) else value_title(self.columns[index.column()],
                                                                              format_value(value))
        if role == self.SORT_ROLE:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value) if math.isfinite(value) else math.inf
            return math.inf if value is None else format_value(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.rows[index.row()].message or self.rows[index.row()].run_id
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return column_title(self.columns[section])
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
        return self.matches_text(row)

    def matches_text(self, row: int) -> bool:
        """Whether a cell of the source model's ``row`` contains the filter text."""
        model: TrialsModel = self.sourceModel()
        return not self.text or any(self.text in str(model.data(model.index(row, column))).lower()
                                    for column in range(model.columnCount()))

    def lessThan(self, left, right) -> bool:
        a, b = left.data(self.sortRole()), right.data(self.sortRole())
        if type(a) is not type(b):
            return isinstance(a, float)   # numbers before text
        return a < b
