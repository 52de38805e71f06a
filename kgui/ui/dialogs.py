"""Messages and file dialogs of the main window: message boxes, the status line, and a save dialog that opens in the
folder last saved to and writes with a message box instead of an exception. What is asked for and written lives
elsewhere (export_choice: what is shown; experiment_files: the experiment in the controls)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import QSettings, QStandardPaths
from PyQt6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QStatusBar, QWidget

from kgui.core.files import error_text

from .exporting import ExportTarget, filters

EXPORT_FORMATS = {"png": "PNG Image…", "svg": "SVG Image…", "csv": "CSV Table…", "json": "JSON File…"}
EXPORT_FOLDER_KEY = "export/folder"
ABOUT = ("<b>kgui</b><br>Train models through a Keras-2 backend layer on four engines: TensorFlow, Theano "
         "(PyTensor), JAX and PyTorch, and watch the loss live.")


def documents_folder() -> Path:
    """The user's Documents folder, else their home folder."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def _first_extension(filters: str) -> str:
    return filters.split("*")[1].split(")")[0]


class Dialogs:
    """Asks for files and shows messages over ``parent``, with the status line ``status_bar``. File dialogs open in
    the last folder saved to (remembered in ``preferences``), else Documents or home."""

    def __init__(self, parent: QWidget, preferences: QSettings, status_bar: QStatusBar):
        self.parent, self.preferences, self.status_bar = parent, preferences, status_bar

    @property
    def export_dir(self) -> Path:
        remembered = self.preferences.value(EXPORT_FOLDER_KEY)
        if isinstance(remembered, str) and remembered and Path(remembered).is_dir():
            return Path(remembered)
        return documents_folder()

    @export_dir.setter
    def export_dir(self, folder: Path) -> None:
        self.preferences.setValue(EXPORT_FOLDER_KEY, str(Path(folder).resolve()))

    # -- messages ----------------------------------------------------------------------------------------------------

    def error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.parent, title, text)

    def warning(self, title: str, text: str) -> None:
        QMessageBox.warning(self.parent, title, text)

    def information(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent, title, text)

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.parent, title, text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def choose(self, title: str, label: str, items: Sequence[str]) -> str | None:
        """One of ``items`` (the first preselected), or None when the user cancels."""
        item, ok = QInputDialog.getItem(self.parent, title, label, list(items), 0, False)
        return item if ok else None

    def status(self, text: str) -> None:
        self.status_bar.showMessage(text)

    def about(self) -> None:
        QMessageBox.about(self.parent, "About kgui", ABOUT)

    # -- files -------------------------------------------------------------------------------------------------------

    def ask_save_path(self, suggested_name: str, filters: str, caption: str = "Export") -> Path | None:
        suggested = str(self.export_dir / f"{suggested_name}{_first_extension(filters)}")
        path, chosen_filter = QFileDialog.getSaveFileName(self.parent, caption, suggested, filters)
        if not path:
            return None
        if not Path(path).suffix:
            path += _first_extension(chosen_filter)
        self.export_dir = Path(path).parent
        return Path(path)

    def ask_open_path(self, caption: str, filters: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, caption, str(self.export_dir), filters)
        return Path(path) if path else None

    def write(self, write, path) -> Path | None:
        """``write(path)``, with a message box instead of an exception."""
        try:
            write(path)
        except (OSError, ValueError) as exc:
            self.error("Export failed", error_text(exc))   # without OSError's "[Errno 28]"
            return None
        self.status(f"Saved {path}")
        return Path(path)

    def export_dialog(self, target: ExportTarget | None, first_format: str = "png") -> Path | None:
        """Ask where to save ``target`` (None: there is none, the user cancelled choosing it), every format offered,
        ``first_format`` first."""
        if target is None:
            return None
        if target.empty_message:
            self.information("Nothing to export", target.empty_message)
            return None
        path = self.ask_save_path(target.stem, filters(first_format), f"Export the {target.name}")
        return None if path is None else self.write(target.export, path)
