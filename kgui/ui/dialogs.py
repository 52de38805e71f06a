"""File dialogs and messages of the main window: export what is shown (the loss plot, the range test or the
backend parity panel), the shown runs to TensorBoard, save and open experiment files, copy and paste ``kgui:``
experiment strings. Failures become a message box, never an exception."""
from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QStandardPaths
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QFileDialog, QMessageBox, QWidget

from kgui.core import codegen, experiment_strings, export
from kgui.core.settings import ExperimentSettings

from .exporting import ExportTarget, export_tensorboard_dialog, filters

EXPORT_FORMATS = {"png": "PNG Image…", "svg": "SVG Image…", "csv": "CSV Table…", "json": "JSON File…"}
EXPERIMENT_FILTER = "kgui experiment (*.json)"
SCRIPT_FILTER = "Python script (*.py)"
NOTHING_TO_EXPORT = "Start a run first: there is no loss history yet."
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
    """Asks for files and shows messages on behalf of ``window`` (a MainWindow: session, form, views, preferences).
    File dialogs open in the last folder saved to (remembered in the preferences), else Documents or home."""

    def __init__(self, window: QWidget):
        self.window = window

    @property
    def export_dir(self) -> Path:
        remembered = self.window.preferences.value(EXPORT_FOLDER_KEY)
        if isinstance(remembered, str) and remembered and Path(remembered).is_dir():
            return Path(remembered)
        return documents_folder()

    @export_dir.setter
    def export_dir(self, folder: Path) -> None:
        self.window.preferences.setValue(EXPORT_FOLDER_KEY, str(Path(folder).resolve()))

    # -- messages ----------------------------------------------------------------------------------------------------

    def error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.window, title, text)

    def warning(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.window, title, text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def status(self, text: str) -> None:
        self.window.statusBar().showMessage(text)

    def about(self) -> None:
        QMessageBox.about(self.window, "About kgui", ABOUT)

    # -- files -------------------------------------------------------------------------------------------------------

    def ask_save_path(self, suggested_name: str, filters: str, caption: str = "Export") -> Path | None:
        suggested = str(self.export_dir / f"{suggested_name}{_first_extension(filters)}")
        path, chosen_filter = QFileDialog.getSaveFileName(self.window, caption, suggested, filters)
        if not path:
            return None
        if not Path(path).suffix:
            path += _first_extension(chosen_filter)
        self.export_dir = Path(path).parent
        return Path(path)

    def write(self, write, path) -> Path | None:
        """``write(path)``, with a message box instead of an exception."""
        try:
            write(path)
        except (OSError, ValueError) as exc:
            self.error("Export failed", str(exc))
            return None
        self.status(f"Saved {path}")
        return Path(path)

    def export_target(self) -> ExportTarget | None:
        """What Save/Export writes: what the user is looking at (export_choice.py), the main tab in front (loss plot
        or range test) or the backend parity panel; None when the user was asked which and cancelled."""
        window, records = self.window, self.window.session.export_records()
        if window.tabs.currentWidget() is window.lr_range_view:
            central = window.lr_range_view.export_target()
        elif window.tabs.currentWidget() is window.sweep_view:
            central = window.sweep_view.export_target()
        else:
            central = window.plot.export_target(lambda path: export.export(records, path),
                                                "" if records else NOTHING_TO_EXPORT)
        return window.export_choice.target(central)

    def export_dialog(self, first_format: str = "png", target: ExportTarget | None = None) -> Path | None:
        """Ask where to save ``target`` (default: what is shown), every format offered, ``first_format`` first."""
        target = target or self.export_target()
        if target is None:
            return None
        if target.empty_message:
            QMessageBox.information(self.window, "Nothing to export", target.empty_message)
            return None
        path = self.ask_save_path(target.stem, filters(first_format), f"Export the {target.name}")
        return None if path is None else self.write(target.export, path)

    def export_tensorboard(self) -> Path | None:
        """File → Export to TensorBoard: the shown runs as event files in a folder the user picks."""
        records = self.window.session.export_records()
        if not records:
            QMessageBox.information(self.window, "Nothing to export", NOTHING_TO_EXPORT)
            return None
        folder = export_tensorboard_dialog(self.window, records, self.export_dir, self.window.network_docks.layers_of)
        if folder is not None:
            self.export_dir = folder
            self.status(f"Wrote {len(records)} runs for TensorBoard: tensorboard --logdir {folder}")
        return folder

    def save_experiment(self, path=None) -> Path | None:
        """Write the form's experiment as JSON (asks where when ``path`` is None)."""
        try:
            text = self.window.settings().to_json() + "\n"
        except ValueError as exc:
            self.error("Cannot save the experiment", str(exc))
            return None
        path = path or self.ask_save_path("experiment", EXPERIMENT_FILTER)
        return None if path is None else self.write(lambda target: Path(target).write_text(text, encoding="utf-8"),
                                                    path)

    def export_script(self, path=None) -> Path | None:
        """File → Export as Python script: the form's experiment as a standalone K-API script."""
        try:
            text = self.window.code_view.source.script(self.window.settings())
        except (OSError, ValueError) as exc:
            self.error("Cannot write the script", str(exc))
            return None
        if text is None:   # its dataset is being loaded on another thread: export once it has been
            self._export_when_ready(path)
            return None
        path = path or self.ask_save_path("experiment", SCRIPT_FILTER, "Export as Python script")
        return None if path is None else self.write(lambda target: codegen.write_script(target, text), path)

    def _export_when_ready(self, path) -> None:
        source = self.window.code_view.source

        def again() -> None:
            source.ready.disconnect(again)
            self.export_script(path)

        source.ready.connect(again)
        self.status("Loading the dataset for the script…")

    def copy_experiment(self) -> str | None:
        """Edit → Copy Experiment: the form's experiment (and the window's classroom) as a ``kgui:`` string on the
        clipboard."""
        try:
            text = experiment_strings.encode(self.window.settings(), self.window.classroom)
        except ValueError as exc:
            self.error("Cannot copy the experiment", str(exc))
            return None
        QGuiApplication.clipboard().setText(text)
        self.status(f"Copied the experiment ({len(text)} characters): paste it, or kgui open '{text[:12]}…'")
        return text

    def paste_experiment(self, text: str | None = None) -> bool:
        """Edit → Paste Experiment: a ``kgui:`` string (default: the clipboard's) into the controls; its classroom,
        if any, joins the window's."""
        text = QGuiApplication.clipboard().text() if text is None else text
        if not experiment_strings.is_experiment_string(text):
            self.error("Cannot paste an experiment", "The clipboard holds no 'kgui:…' experiment string "
                                                     "(Edit → Copy Experiment makes one).")
            return False
        try:
            settings, classroom = experiment_strings.decode(text)
        except ValueError as exc:
            self.error("Cannot paste the experiment", str(exc))
            return False
        self.window.apply_settings(settings)
        if classroom:
            self.window.set_classroom(self.window.classroom.merged(classroom))
        self.status("Pasted the experiment into the controls")
        return True

    def open_experiment(self, path=None) -> bool:
        """Load experiment settings from a JSON file (asks which when ``path`` is None) into the form."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open experiment", str(self.export_dir),
                                                  EXPERIMENT_FILTER)
            if not path:
                return False
        try:
            settings = ExperimentSettings.load(path)
            settings.validate()
        except (OSError, ValueError) as exc:
            self.error("Cannot open the experiment", str(exc))
            return False
        self.window.apply_settings(settings)
        self.status(f"Opened {path}")
        return True
