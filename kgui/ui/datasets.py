"""Dataset selector: the linear exercise, bundled sets, Otto (with Browse… when its file is missing) and CSV files."""
from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QLabel, QMessageBox,
                             QVBoxLayout)

from kgui.core import datasets

OPEN_CSV = "Open CSV…"
CSV_FILTER = "CSV files (*.csv *.csv.gz);;All files (*)"
HEADER_BYTES = 1 << 16


def short_title(dataset: str) -> str:
    """A few words naming ``dataset`` (a registered name or a CSV path) for titles, legends and tables."""
    spec = datasets.spec_for(dataset) if not datasets.is_file_name(dataset) else None
    return spec.short_title if spec is not None else Path(dataset).name


def read_csv_header(path) -> list[str]:
    """Column names of a (possibly gzipped) CSV file; ValueError with a message for people."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as stream:
                raw = stream.read(HEADER_BYTES)
        else:
            with open(path, "rb") as stream:
                raw = stream.read(HEADER_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    if not raw.strip():
        raise ValueError(f"{path}: the file is empty")
    if b"\0" in raw:
        raise ValueError(f"{path}: a binary file, not CSV text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 4:  # not just a character cut at the end of the sample
            raise ValueError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
        text = raw[:exc.start].decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    header = [name.strip() for name in rows[0]] if rows else []
    if len(header) < 2 or "" in header:
        raise ValueError(f"{path}: the first line must name at least two columns (features and a target), "
                         f"got {rows[0] if rows else 'nothing'}")
    if len(rows) < 2:
        raise ValueError(f"{path}: only a header row, no data rows")
    return header


class TargetColumnDialog(QDialog):
    """Asks which column of a CSV file is the target, and the task (auto, classification, regression)."""

    def __init__(self, path: Path, columns: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Choose the target column")
        self.column = QComboBox()
        self.column.addItems(columns)
        self.column.setCurrentIndex(len(columns) - 1)
        self.task = QComboBox()
        self.task.addItems(datasets.TASK_CHOICES)
        self.task.setToolTip("auto: text or small-integer targets are classes, other numbers are regressed")
        form = QFormLayout()
        form.addRow("Target column:", self.column)
        form.addRow("Task:", self.task)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{path.name}</b> has {len(columns)} columns; the others are the features."))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def options(self) -> dict:
        return {"target": self.column.currentText(), "task": self.task.currentText()}


class DatasetPicker(QComboBox):
    """Combo box whose items carry (dataset name, dataset options); emits ``changed`` after each choice."""

    changed = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.setToolTip("Data to train on. Otto needs Kaggle's train.csv; Open CSV… trains on your own file.")
        for spec in datasets.named_specs():
            self.addItem(spec.title, (spec.name, {}))
            self.setItemData(self.count() - 1, spec.help, Qt.ItemDataRole.ToolTipRole)
        self.addItem(OPEN_CSV, None)
        self._previous = 0
        self.refresh_otto()
        self.activated.connect(self._chosen)

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
        """Ask for a CSV file and its target column, and make it the current dataset."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV data set", str(Path.home()), CSV_FILTER)
        if not path:
            self._revert()
            return
        try:
            columns = read_csv_header(path)
        except ValueError as exc:
            self._revert()
            QMessageBox.critical(self, "Cannot use this CSV file", str(exc))
            return
        dialog = TargetColumnDialog(Path(path), columns, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            self._revert()
            return
        self._add_csv(Path(path), dialog.options())

    def _add_csv(self, path: Path, options: dict) -> None:
        index = self.count() - 1  # before "Open CSV…"
        self.insertItem(index, path.name, (str(path), dict(options)))
        self.setItemData(index, str(path), Qt.ItemDataRole.ToolTipRole)
        self._make_current(index)
