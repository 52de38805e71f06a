"""The Code panel: the exact K-API script of the current experiment (kgui.core.codegen), read-only, with Copy
and Save as Python script; it follows the form while its dock is visible. :class:`ScriptSource` writes the
script, keeping the last dataset it loaded."""
from __future__ import annotations

from typing import Callable

from kgui.core import engines
from kgui.core.codegen import experiment_script
from kgui.core.datasets import load_dataset
from kgui.core.settings import ExperimentSettings

from PyQt6.QtCore import QTimer, pyqtSignal
from PyQt6.QtGui import QFontDatabase, QGuiApplication
from PyQt6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from .names import dataset_title

REFRESH_MS = 300   # the script follows the form this long after the last edit


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
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)      # a row of its own: beside the buttons it wrapped a word a line
        layout.addLayout(buttons)
        layout.addWidget(self.editor, 1)
        self.show_script("", "")
        self.source = ScriptSource()
        self._settings: Callable[[], ExperimentSettings] | None = None
        self.refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_MS, timeout=self.refresh)

    def follow(self, settings: Callable[[], ExperimentSettings], dock: QDockWidget) -> None:
        """Show the script of ``settings()`` when ``dock`` becomes visible and ``REFRESH_MS`` after each
        ``refresh_later``."""
        self._settings = settings
        dock.visibilityChanged.connect(lambda visible: visible and self.refresh_later())

    def refresh_later(self) -> None:
        self.refresh_timer.start()

    def refresh(self) -> None:
        """Show the followed experiment's script (only while visible: the dataset is loaded on this thread, once
        per dataset and split)."""
        if self._settings is None or not self.isVisible():
            return
        try:
            settings = self._settings()
            self.show_script(self.source.script(settings), self.source.caption(settings))
        except (OSError, ValueError) as exc:
            self.show_script("", f"No script: {exc}")

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


class ScriptSource:
    """The script of an experiment; the dataset is loaded once per (dataset, options, split, seed)."""

    def __init__(self):
        self._key = None
        self._dataset = None

    def _load(self, settings: ExperimentSettings):
        key = (settings.dataset, repr(sorted(dict(settings.dataset_options).items())), settings.val_fraction,
               settings.seed)
        if key != self._key:
            self._dataset = load_dataset(settings.dataset, settings.dataset_options, settings.val_fraction,
                                         settings.seed)
            self._key = key
        return self._dataset

    def script(self, settings: ExperimentSettings) -> str:
        """The standalone script; ValueError/OSError (one line) when the experiment or its data is not usable."""
        settings.validate()
        return experiment_script(settings, self._load(settings))

    def caption(self, settings: ExperimentSettings) -> str:
        return (f"{engines.human_name(settings.backend)} · {dataset_title(settings.dataset)} · "
                f"{settings.describe_model(self._dataset.task)}: python FILE.py prints the run's losses")
