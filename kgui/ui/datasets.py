"""Dataset selector: the registry's datasets (Otto with Browse… when its file is missing) and CSV files.

Open CSV… reads the chosen file's header on a background thread (with the core's checks,
:func:`kgui.core.data.csv_files.preview`), so a slow, huge or odd file never freezes the window.
"""
from __future__ import annotations

import threading
from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QCompleter, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QLabel,
                             QMessageBox, QVBoxLayout)

from kgui.core.data import csv_files, datasets

OPEN_CSV = "Open CSV…"
CSV_FILTER = "CSV files (*.csv *.csv.gz);;All files (*)"
SEARCHABLE_COLUMNS = 50   # with more columns the target picker is a search box
SEARCH_BOX_CHARACTERS = 32   # the searchable target picker's width, in characters
TOOLTIP = "Data to train on. Otto needs Kaggle's train.csv; Open CSV… trains on your own file."


def short_title(dataset: str) -> str:
    """A few words naming ``dataset`` (a registered name or a CSV path) for titles, legends and tables; a name this
    version does not know (a run saved by another one) as it is."""
    if datasets.is_file_name(dataset):
        return Path(dataset).name
    try:
        return datasets.spec_for(dataset).short_title
    except datasets.DatasetError:
        return str(dataset)


class TargetColumnDialog(QDialog):
    """Asks which column of a CSV file is the target, and the task (auto, classification, regression)."""

    def __init__(self, path: Path, columns: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Choose the target column")
        self.columns = frozenset(columns)
        self.column = QComboBox()
        searchable = len(columns) > SEARCHABLE_COLUMNS   # type to find a column among thousands
        if searchable:   # sized by a fixed width, not by measuring every name (~1 s on the GUI thread per 100k)
            self.column.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            self.column.setMinimumContentsLength(SEARCH_BOX_CHARACTERS)
            self.column.setEditable(True)
            self.column.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.column.addItems(columns)
        self.column.setCurrentIndex(len(columns) - 1)
        if searchable:
            self.column.completer().setFilterMode(Qt.MatchFlag.MatchContains)
            self.column.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.task = QComboBox()
        self.task.addItems(datasets.TASK_CHOICES)
        self.task.setToolTip("auto: text or small-integer targets are classes, other numbers are regressed")
        form = QFormLayout()
        form.addRow("Target column:", self.column)
        form.addRow("Task:", self.task)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept_known_column)
        buttons.rejected.connect(self.reject)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00020")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{path.name}</b> has {len(columns)} columns; the others are the features."))
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def _accept_known_column(self) -> None:
        if self.column.currentText() in self.columns:
            self.accept()
        else:
            self.problem.setText(f"No column is named {self.column.currentText()!r}.")

    def options(self) -> dict:
        return {"target": self.column.currentText(), "task": self.task.currentText()}


class DatasetPicker(QComboBox):
    """Combo box whose items carry (dataset name, dataset options); emits ``changed`` after each choice."""

    changed = pyqtSignal()
    _previewed = pyqtSignal(object, object)   # (Path, Preview or error text), from the header-reading thread

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.setToolTip(TOOLTIP)
        for spec in datasets.named_specs():
            self.addItem(spec.title, (spec.name, {}))
            self.setItemData(self.count() - 1, spec.help, Qt.ItemDataRole.ToolTipRole)
        self.addItem(OPEN_CSV, None)
        self._previous = 0
        self._preview_stop: threading.Event | None = None
        self.refresh_otto()
        self.activated.connect(self._chosen)
        self._previewed.connect(self._preview_ready)

    @property
    def previewing(self) -> bool:
        """Whether a chosen CSV file's header is being read."""
        return self._preview_stop is not None

    @property
    def choice(self) -> tuple[str, dict]:
        """(dataset name, options) of the current item."""
        name, options = self.currentData()
        return name, dict(options)

    def select(self, name: str, options: dict | None = None) -> None:
        """Make ``name`` current, adding an item for a CSV path not listed yet."""
        for index in range(self.count()):
            data = self.itemData(index)
            if data is not None and data[0] == name:
                if options is not None:
                    self.setItemData(index, (name, dict(options)))
                self._make_current(index)
                return
        self._add_csv(Path(name), options or {})

    @staticmethod
    def find_otto(options: dict) -> tuple[Path | None, str]:
        """The Otto train file that would be used (or None) and, when it is missing, why."""
        try:
            return datasets.find_otto_file(options.get("path")), ""
        except datasets.DatasetError as exc:
            return None, str(exc)

    def refresh_otto(self) -> None:
        """Label the Otto item by whether its file is found (call after the data folder changed)."""
        index = self._index_of("otto")
        found, _ = self.find_otto(self.itemData(index)[1])
        self.setItemText(index, datasets.OTTO.title if found else "Otto Group — not found, Browse…")
        tip = f"Otto train file: {found}" if found else self.find_otto(self.itemData(index)[1])[1]
        self.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)

    def _index_of(self, name: str) -> int:
        return next(i for i in range(self.count()) if self.itemData(i) and self.itemData(i)[0] == name)

    def _make_current(self, index: int) -> None:
        self.setCurrentIndex(index)
        self._previous = index
        self.changed.emit()

    def _chosen(self, index: int) -> None:
        data = self.itemData(index)
        if data is None:
            self.open_csv()
        elif data[0] == "otto" and self.find_otto(data[1])[0] is None:
            self._browse_otto(self.find_otto(data[1])[1])
        else:
            self._make_current(index)

    def _revert(self) -> None:
        self.setCurrentIndex(self._previous)

    def _browse_otto(self, message: str) -> None:
        answer = QMessageBox.warning(self, "Otto data not found", f"{message}\n\nChoose the file now?",
                                     QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
                                     QMessageBox.StandardButton.Open)
        if answer != QMessageBox.StandardButton.Open:
            self._revert()
            return
        path, _ = QFileDialog.getOpenFileName(self, "Otto Group train.csv", str(Path.home()), CSV_FILTER)
        if not path:
            self._revert()
            return
        index = self._index_of("otto")
        self.setItemData(index, ("otto", {"path": path}))
        self.refresh_otto()
        self._make_current(index)

    def open_csv(self) -> None:
        """Ask for a CSV file; its header is read off the GUI thread, then the target column is asked for."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV data set", str(Path.home()), CSV_FILTER)
        if not path:
            self._revert()
            return
        self.cancel_preview()
        stop = self._preview_stop = threading.Event()
        self.setEnabled(False)
        self.setToolTip(f"Reading the header of {path}…")
        threading.Thread(target=self._read_header, args=(Path(path), stop), name="kgui-csv-preview",
                         daemon=True).start()

    def cancel_preview(self) -> None:
        """Forget a header still being read (its thread stops at its next read)."""
        if self._preview_stop is not None:
            self._preview_stop.set()
            self._preview_stop = None
            self.setEnabled(True)

    def _read_header(self, path: Path, stop: threading.Event) -> None:
        """On the header-reading thread: the file's columns, or why it cannot be used."""
        try:
            result = csv_files.preview(path, stop.is_set)
        except datasets.LoadCancelled:
            return
        except (datasets.DatasetError, OSError, MemoryError) as exc:
            result = str(exc) or f"{path}: {type(exc).__name__}"
        if not stop.is_set():
            self._previewed.emit(path, result)

    def _preview_ready(self, path: Path, result) -> None:
        if self._preview_stop is None or self._preview_stop.is_set():
            return  # cancelled meanwhile
        self._preview_stop = None
        self.setEnabled(True)
        self.setToolTip(TOOLTIP)
        if isinstance(result, str):
            self._revert()
            QMessageBox.critical(self, "Cannot use this CSV file", result)
            return
        dialog = TargetColumnDialog(path, list(result.columns), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            self._revert()
            return
        self._add_csv(path, dialog.options())

    def _add_csv(self, path: Path, options: dict) -> None:
        index = self.count() - 1  # before "Open CSV…"
        self.insertItem(index, path.name, (str(path), dict(options)))
        self.setItemData(index, str(path), Qt.ItemDataRole.ToolTipRole)
        self._make_current(index)
