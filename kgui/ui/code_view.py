"""The Code panel: the exact K-API script of the current experiment (kgui.core.experiment.codegen), read-only, with Copy
and Save as Python script; it follows the form while its dock is visible. :class:`ScriptSource` writes the
script, keeping the last dataset it loaded; it loads datasets on a background thread, never the GUI's."""
from __future__ import annotations

import threading
from typing import Callable

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QFontDatabase, QGuiApplication
from PyQt6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from kgui.core.experiment.codegen import experiment_script
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.runs.names import default_name

from .datasets import short_title

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
        self.source.ready.connect(self.refresh)
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
        """Show the followed experiment's script (only while visible: its dataset is loaded once per dataset and
        split, on another thread; the script follows when it has been)."""
        if self._settings is None or not self.isVisible():
            return
        try:
            settings = self._settings()
            script = self.source.script(settings)
            if script is None:
                self.show_script("", f"Loading {short_title(settings.dataset)} for the script…")
            else:
                self.show_script(script, self.source.caption(settings))
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


class ScriptSource(QObject):
    """The script of an experiment. Its dataset is loaded on a background thread, never the GUI's (a big CSV file
    takes minutes), once per (dataset, options, split, seed); ``ready`` is emitted when it has been."""

    ready = pyqtSignal()
    _loaded = pyqtSignal(object)     # (key, Dataset or None, error or None), from the loading thread

    def __init__(self):
        super().__init__()
        self._key = self._dataset = self._error = None
        self._loading = None             # the key being loaded
        self._loaded.connect(self._take)

    @staticmethod
    def _key_of(settings: ExperimentSettings) -> tuple:
        return (settings.dataset, repr(sorted(dict(settings.dataset_options).items())), settings.val_fraction,
                settings.seed, settings.input_features(), settings.data_seed)

    def _dataset_for(self, settings: ExperimentSettings):
        key = self._key_of(settings)
        if key == self._key:
            if self._error is not None:
                raise self._error
            return self._dataset
        if key != self._loading:
            self._loading = key
            threading.Thread(target=self._load, args=(key, settings), name="kgui-script-dataset", daemon=True).start()
        return None

    def _load(self, key, settings: ExperimentSettings) -> None:
        try:
            self._loaded.emit((key, settings.load_dataset(), None))
        except Exception as exc:  # noqa: BLE001 - shown as the dock's one line
            self._loaded.emit((key, None, exc if isinstance(exc, (ValueError, OSError)) else ValueError(
                f"{type(exc).__name__}: {exc}")))

    def _take(self, result) -> None:
        key, dataset, error = result
        if key != self._loading:      # the form moved on to another dataset meanwhile
            return
        self._key, self._dataset, self._error, self._loading = key, dataset, error, None
        self.ready.emit()

    def script(self, settings: ExperimentSettings) -> str | None:
        """The standalone script; None while its dataset loads (``ready`` follows); ValueError/OSError (one line)
        when the experiment or its data is not usable."""
        settings.validate()
        dataset = self._dataset_for(settings)
        return None if dataset is None else experiment_script(settings, dataset)

    @staticmethod
    def caption(settings: ExperimentSettings) -> str:
        """The script's experiment in the words of the run Start would make of it ("TensorFlow · Spiral · MLP 8,8
        tanh · Adam · lr 0.03"), and how to run it."""
        return f"{default_name(settings)}: python FILE.py prints the run's losses"
