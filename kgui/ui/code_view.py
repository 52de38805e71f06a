"""The Code panel: the exact K-API script of the current experiment (kgui.core.codegen), read-only, with Copy
and Save as Python script."""
from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QFontDatabase, QGuiApplication
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget


class CodeView(QWidget):
    """Shows one script; ``save_requested`` asks the window for a file name (File → Export as Python script)."""

    save_requested = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.caption = QLabel("The code appears here for the experiment in the controls.")
        self.caption.setWordWrap(True)
        self.editor = QPlainTextEdit()
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the script to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save as Python script…")
        self.save_button.clicked.connect(self.save_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.caption, 1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.editor, 1)
        self.show_script("", "")

    @property
    def script(self) -> str:
        return self.editor.toPlainText()

    def show_script(self, script: str, caption: str) -> None:
        """Show ``script`` (empty: none, ``caption`` says why) without moving the reader's scroll position."""
        if script != self.script:
            position = self.editor.verticalScrollBar().value()
            self.editor.setPlainText(script)
            self.editor.verticalScrollBar().setValue(position)
        self.caption.setText(caption)
        self.copy_button.setEnabled(bool(script))
        self.save_button.setEnabled(bool(script))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.script)
