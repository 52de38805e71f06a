"""ExperimentFiles and Dialogs on their own: built from an experiment form, a script source and a plain main window
(its status bar, a parent for message boxes), no kgui window. Real widgets, offscreen Qt."""
import os

from PyQt6.QtCore import QSettings
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QFileDialog, QMainWindow

from kgui.core.experiment import experiment_strings
from kgui.core.experiment.classroom import Classroom
from kgui.core.experiment.settings import ExperimentSettings
from kgui.ui.code_view import ScriptSource
from kgui.ui.dialogs import Dialogs
from kgui.ui.experiment_files import ExperimentFiles
from kgui.ui.experiment_form import ExperimentForm
from ui_support import messages  # noqa: F401 - fixture

MLP_ADAM = ExperimentSettings(dataset="spiral", model="mlp", hidden=(8, 8), activation="tanh", optimizer="adam",
                              learning_rate=0.03, steps=60, seed=3)


def experiment_files(qtbot, tmp_path, set_classroom=None) -> tuple[QMainWindow, ExperimentForm, Dialogs,
                                                                    ExperimentFiles]:
    """A plain main window, an experiment form, their Dialogs (preferences in ``tmp_path``) and ExperimentFiles
    (``set_classroom``: the form's own by default)."""
    parent = QMainWindow()
    qtbot.addWidget(parent)
    form = ExperimentForm()
    qtbot.addWidget(form)
    dialogs = Dialogs(parent, QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat), parent.statusBar())
    return parent, form, dialogs, ExperimentFiles(dialogs, form, ScriptSource(), form.apply,
                                                  set_classroom or form.set_classroom)


def test_experiment_files_save_open_copy_and_paste_through_the_form_alone(qtbot, tmp_path, monkeypatch, messages):
    classrooms = []

    def set_classroom(classroom: Classroom) -> None:
        classrooms.append(classroom)
        form.set_classroom(classroom)

    parent, form, dialogs, files = experiment_files(qtbot, tmp_path, set_classroom)
    assert form.apply(MLP_ADAM) == []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "mlp"), args[-1]))
    assert files.save_experiment() == tmp_path / "mlp.json"       # the filter's extension added
    assert parent.statusBar().currentMessage() == f"Saved {tmp_path / 'mlp.json'}"
    assert dialogs.export_dir == tmp_path                          # remembered in the preferences given
    form.apply(ExperimentSettings())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(tmp_path / "mlp.json"), ""))
    assert files.open_experiment() and form.settings() == MLP_ADAM
    text = files.copy_experiment()
    assert QGuiApplication.clipboard().text() == text and experiment_strings.decode(text)[0] == MLP_ADAM
    form.apply(ExperimentSettings())
    assert files.paste_experiment(experiment_strings.encode(MLP_ADAM, Classroom(hide={"optimizer"})))
    assert form.settings() == MLP_ADAM and classrooms == [Classroom(hide={"optimizer"})]
    assert not files.paste_experiment("not an experiment")
    assert [(kind, title) for kind, title, _ in messages] == [("critical", "Cannot paste an experiment")]


def test_export_script_asked_twice_while_its_dataset_loads_asks_for_one_file(qtbot, tmp_path, monkeypatch, messages):
    _, form, _, files = experiment_files(qtbot, tmp_path)
    assert form.apply(MLP_ADAM) == []
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args: asked.append(args) or (str(tmp_path / "mlp.py"), args[-1]))
    assert files.export_script() is None and files.export_script() is None   # a double click: the dataset loads
    qtbot.waitUntil(lambda: (tmp_path / "mlp.py").is_file(), timeout=30_000)
    qtbot.wait(300)
    assert len(asked) == 1 and not messages


def test_saving_the_experiment_into_a_pipe_nobody_reads_or_a_full_device_is_one_message(qtbot, tmp_path, messages):
    """A FIFO chosen in the save dialog froze the window for good (the GUI thread blocked opening it)."""
    _, form, _, files = experiment_files(qtbot, tmp_path)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert files.save_experiment(fifo) is None and files.save_experiment("/dev/full") is None
    assert messages == [("critical", "Export failed", f"cannot write {fifo}: a pipe nobody reads"),
                        ("critical", "Export failed", "cannot write /dev/full: No space left on device")]
