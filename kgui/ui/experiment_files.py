"""The experiment in the controls to and from elsewhere: a JSON file (Save/Open Experiment), a standalone Python
script (Export as Python Script) and a ``kgui:`` string on the clipboard (Copy/Paste Experiment). Failures become a
message box, never an exception."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtGui import QGuiApplication

from kgui.core.experiment import codegen, experiment_strings
from kgui.core.experiment.classroom import Classroom
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.files import write_output

from .code_view import ScriptSource
from .dialogs import Dialogs
from .experiment_form import ExperimentForm

EXPERIMENT_FILTER = "kgui experiment (*.json)"
SCRIPT_FILTER = "Python script (*.py)"


class ExperimentFiles:
    """Writes and reads ``form``'s experiment (with its classroom) through ``dialogs``. ``apply_settings`` puts
    settings into the controls and says what they cannot take; ``set_classroom`` applies a classroom to the window;
    ``scripts`` writes an experiment as a script (once its dataset is loaded)."""

    def __init__(self, dialogs: Dialogs, form: ExperimentForm, scripts: ScriptSource,
                 apply_settings: Callable[[ExperimentSettings], object], set_classroom: Callable[[Classroom], None]):
        self.dialogs, self.form, self.scripts = dialogs, form, scripts
        self.apply_settings, self.set_classroom = apply_settings, set_classroom
        self._script_waits = False    # an export of the script waits for its dataset (asked once however often)

    def save_experiment(self, path=None) -> Path | None:
        """Write the form's experiment as JSON (asks where when ``path`` is None)."""
        try:
            text = self.form.settings().to_json() + "\n"
        except ValueError as exc:
            self.dialogs.error("Cannot save the experiment", str(exc))
            return None
        path = path or self.dialogs.ask_save_path("experiment", EXPERIMENT_FILTER)
        return None if path is None else self.dialogs.write(
            lambda target: write_output(target, text), path)

    def export_script(self, path=None) -> Path | None:
        """File → Export as Python script: the form's experiment as a standalone K-API script."""
        try:
            text = self.scripts.script(self.form.settings())
        except (OSError, ValueError) as exc:
            self.dialogs.error("Cannot write the script", str(exc))
            return None
        if text is None:   # its dataset is being loaded on another thread: export once it has been
            self._export_when_ready(path)
            return None
        path = path or self.dialogs.ask_save_path("experiment", SCRIPT_FILTER, "Export as Python script")
        return None if path is None else self.dialogs.write(lambda target: codegen.write_script(target, text), path)

    def _export_when_ready(self, path) -> None:
        def again() -> None:
            self.scripts.ready.disconnect(again)
            self._script_waits = False
            self.export_script(path)

        if not self._script_waits:
            self._script_waits = True
            self.scripts.ready.connect(again)
        self.dialogs.status("Loading the dataset for the script…")

    def copy_experiment(self) -> str | None:
        """Edit → Copy Experiment: the form's experiment (and its classroom) as a ``kgui:`` string on the
        clipboard."""
        try:
            text = experiment_strings.encode(self.form.settings(), self.form.classroom)
        except ValueError as exc:
            self.dialogs.error("Cannot copy the experiment", str(exc))
            return None
        QGuiApplication.clipboard().setText(text)
        self.dialogs.status(f"Copied the experiment ({len(text)} characters): paste it, or kgui open '{text[:12]}…'")
        return text

    def paste_experiment(self, text: str | None = None) -> bool:
        """Edit → Paste Experiment: a ``kgui:`` string (default: the clipboard's) into the controls; its classroom,
        if any, joins the window's."""
        text = QGuiApplication.clipboard().text() if text is None else text
        if not experiment_strings.is_experiment_string(text):
            self.dialogs.error("Cannot paste an experiment", "The clipboard holds no 'kgui:…' experiment string "
                                                             "(Edit → Copy Experiment makes one).")
            return False
        try:
            settings, classroom = experiment_strings.decode(text)
        except ValueError as exc:
            self.dialogs.error("Cannot paste the experiment", str(exc))
            return False
        self.apply_settings(settings)
        if classroom:
            self.set_classroom(self.form.classroom.merged(classroom))
        self.dialogs.status("Pasted the experiment into the controls")
        return True

    def open_experiment(self, path=None) -> bool:
        """Load experiment settings from a JSON file (asks which when ``path`` is None) into the form."""
        if path is None:
            path = self.dialogs.ask_open_path("Open experiment", EXPERIMENT_FILTER)
            if path is None:
                return False
        try:
            settings = ExperimentSettings.load(path)
            settings.validate()
        except (OSError, ValueError) as exc:
            self.dialogs.error("Cannot open the experiment", str(exc))
            return False
        self.apply_settings(settings)
        self.dialogs.status(f"Opened {path}")
        return True
