"""The backend-parity panel: the verdict of core.parity, the largest loss difference and each engine's run."""
from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                             QVBoxLayout, QWidget)

from kgui.core.parity import LOSS_TOLERANCE

SAME_COLOR = "#1a7f37"
DIFFERENT_COLOR = "#b42318"
COLUMNS = ("Engine", "Steps", "Final loss", "Status")


class ParityView(QWidget):
    """Fed by the window: :meth:`show_running` while engines train, :meth:`show_result` at the end."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.verdict = QLabel("Compare backends trains the current experiment on every installed engine with the "
                              "same initial weights and data order, and checks that the losses agree.")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.difference = QLabel()
        self.difference.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Each engine's run; they are in the runs table and on the plot like any run")
        self.export_button = QPushButton("Export comparison…")
        self.export_button.setToolTip("CSV (step, each engine's loss, difference), JSON (verdict and runs) "
                                      "or the overlaid curves as PNG/SVG")
        self.export_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.difference)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.export_button)
        self.result = None

    def show_running(self, engines: list[str]) -> None:
        self.result = None
        self.export_button.setEnabled(False)
        self.verdict.setStyleSheet("")
        self.verdict.setText(f"Training on {', '.join(engines)} in turn…")
        self.difference.setText("")
        self.table.setRowCount(0)

    def show_result(self, result) -> None:
        self.result = result
        same = result.parting is None and result.largest is not None and not result.cut_short
        self.verdict.setStyleSheet(f"font-weight: bold; color: {SAME_COLOR if same else DIFFERENT_COLOR};")
        self.verdict.setText(result.verdict[0].upper() + result.verdict[1:])
        largest = result.largest
        self.difference.setText(
            "" if largest is None else f"Max |Δloss| = {largest.value:.3g} at step {largest.step} "
                                       f"({largest.first} vs {largest.second}); tolerance {LOSS_TOLERANCE:g} "
                                       "× max(1, |loss|).")
        self.table.setRowCount(len(result.records))
        for row, record in enumerate(result.records):
            last = record.history[-1].train_loss if record.history else None
            cells = (f"{record.engine or record.settings.backend} {record.engine_version}".strip(),
                     str(len(record.history)), "—" if last is None else f"{last:.7g}", record.status)
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.export_button.setEnabled(True)
