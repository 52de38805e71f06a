"""The main window's commands: its actions (menu entries, toolbar buttons, shortcuts), each built from the object
whose slot it triggers, enabled to match the job, and the menus, toolbar and run buttons that show them."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QAction, QIcon, QKeySequence
from PyQt6.QtWidgets import QDockWidget, QGridLayout, QMenuBar, QSizePolicy, QStyle, QToolBar, QToolButton, QWidget

from kgui.core.experiment.classroom import Classroom
from kgui.core.session import JobKind

from .dialogs import EXPORT_FORMATS, Dialogs
from .experiment_files import ExperimentFiles
from .experiment_form import ExperimentForm
from .export_choice import ExportChoice
from .job_control import JobControl
from .loss_plot import LossPlot
from .runs_controller import RunsController

LOG_SCALE_ICON = Path(__file__).resolve().parents[2] / "resources" / "log-scale.svg"


def _action(parent: QWidget, text: str, slot, shortcuts=(), tip: str = "", icon=None,
            checkable: bool = False) -> QAction:
    action = QAction(text, parent)
    if icon is not None:
        action.setIcon(parent.style().standardIcon(icon))
    action.setShortcuts([QKeySequence(s) for s in shortcuts])
    keys = " or ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
    action.setToolTip(f"{tip} ({keys})" if keys else tip)
    action.setStatusTip(tip)
    action.setCheckable(checkable)
    (action.toggled if checkable else action.triggered).connect(slot)
    return action


class RunShortcutsFirst(QObject):
    """Event filter for a text box that stays enabled mid-run (the learning-rate box): the run actions' keys
    (Space, Esc, …) reach their actions, not the box, while the action is enabled."""

    def __init__(self, actions, parent=None):
        super().__init__(parent)
        self.actions = actions

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride:
            pressed = QKeySequence(event.keyCombination())
            if any(action.isEnabled() and pressed in action.shortcuts() for action in self.actions):
                event.ignore()      # not the box's key: the shortcut map triggers the action
                return True
        return False


class Commands:
    """The window's actions, one attribute each (``start``, ``pause`` … ``about``), connected to the slots of the
    objects given: the job control, the runs, the dialogs (About), what is exported, the experiment's files, the
    form, the loss plot, and ``close_window`` (Quit).
    ``parent`` (the window) owns the actions and lends them its style; the menus, the toolbar and the run buttons
    are built on the bars and the layout handed to :meth:`add_menus`, :meth:`add_toolbar` and
    :meth:`add_run_buttons`."""

    def __init__(self, parent: QWidget, jobs: JobControl, runs: RunsController, dialogs: Dialogs,
                 export_choice: ExportChoice, experiment_files: ExperimentFiles, form: ExperimentForm, plot: LossPlot,
                 close_window: Callable[[], object]):
        pixmap = QStyle.StandardPixmap
        self._parent, self._jobs, self._form = parent, jobs, form
        self.start = _action(parent, "&Start", lambda: jobs.start(JobKind.TRAINING), ("F5", "Ctrl+R"),
                             "Start a new run with these settings", pixmap.SP_MediaPlay)
        self.pause = _action(parent, "&Pause", jobs.set_paused, ("Space",), "Pause or resume the run",
                             pixmap.SP_MediaPause, checkable=True)
        self.step = _action(parent, "S&tep", jobs.step_once, ("Ctrl+T", "F6"),
                            "Run exactly one step (starts a paused run when none is going)", pixmap.SP_MediaSkipForward)
        self.stop = _action(parent, "St&op", jobs.stop, ("Esc",), "Stop the run; it is kept as 'stopped'",
                            pixmap.SP_MediaStop)
        self.reset = _action(parent, "&Reset", runs.reset, ("Ctrl+Shift+R",),
                             "Clear the plot: hide every run (they stay in the runs table)", pixmap.SP_BrowserReload)
        self.compare = _action(parent, "&Compare Backends", lambda: jobs.start(JobKind.PARITY), ("Ctrl+B",),
                               "Train this experiment on every installed engine with the same initial "
                               "weights and check that the losses agree", pixmap.SP_FileDialogContentsView)
        self.range_test = _action(parent, "Learning-Rate &Range Test", lambda: jobs.start(JobKind.RANGE_TEST),
                                  ("Ctrl+Shift+L",), "Sweep the learning rate from 1e-6 to 10 and suggest one",
                                  pixmap.SP_ArrowUp)
        self.save_plot = _action(parent, "&Save Plot…", lambda: export_choice.export("png"), ("Ctrl+S",),
                                 "Save what is shown (loss plot, range test or backend parity) as PNG or SVG, "
                                 "or its data as CSV or JSON", pixmap.SP_DialogSaveButton)
        self.export = _action(parent, "&Export…", lambda: export_choice.export(), ("Ctrl+E",),
                              "Export what is shown (loss plot, range test or backend parity): PNG or SVG as "
                              "on screen, or the data as CSV or JSON", pixmap.SP_FileDialogDetailedView)
        self.export_formats = {
            fmt: _action(parent, text, lambda _=False, fmt=fmt: export_choice.export(fmt))
            for fmt, text in EXPORT_FORMATS.items()}
        self.tensorboard = _action(parent, "Export to &TensorBoard…", lambda: export_choice.export_tensorboard(),
                                   tip="Write the shown runs as TensorBoard event files "
                                       "(then: tensorboard --logdir FOLDER)")
        self.export_script = _action(parent, "Export as &Python Script…", lambda: experiment_files.export_script(),
                                     tip="Write the experiment as a standalone K-API script "
                                         "(python FILE.py prints the run's losses)")
        self.open_csv = _action(parent, "&Open CSV…", form.dataset_picker.open_csv, ("Ctrl+O",),
                                "Train on your own CSV file", pixmap.SP_DialogOpenButton)
        self.open_experiment = _action(parent, "Open E&xperiment…", lambda: experiment_files.open_experiment(),
                                       ("Ctrl+Shift+O",), "Load experiment settings from a JSON file")
        self.save_experiment = _action(parent, "Save Ex&periment…", lambda: experiment_files.save_experiment(),
                                       ("Ctrl+Shift+S",), "Save the experiment settings as a JSON file "
                                       "(python main.py run --config FILE runs it headless)")
        self.copy_experiment = _action(parent, "&Copy Experiment", lambda: experiment_files.copy_experiment(),
                                       ("Ctrl+Shift+C",),
                                       "Copy the experiment as one line of text, 'kgui:…', to share it "
                                       "(kgui open 'kgui:…' or Paste Experiment opens it)")
        self.paste_experiment = _action(parent, "&Paste Experiment", lambda: experiment_files.paste_experiment(),
                                        ("Ctrl+Shift+V",), "Load a copied 'kgui:…' experiment into the controls")
        self.quit = _action(parent, "&Quit", close_window, ("Ctrl+Q",), "Stop any run and quit")
        self.log_y = _action(parent, "&Log Scale", plot.set_log_y, ("Ctrl+L",),
                             "Show the loss on a logarithmic axis", checkable=True)
        self.log_y.setIcon(QIcon(str(LOG_SCALE_ICON)))
        self.auto_range = _action(parent, "&Auto Range", plot.auto_range, ("Ctrl+0",),
                                  "Fit the plot to the data (mouse: drag to pan, wheel to zoom)",
                                  pixmap.SP_TitleBarMaxButton)
        self.about = _action(parent, "&About kgui", dialogs.about)
        self.run = (self.start, self.pause, self.step, self.stop, self.reset)   # the Run menu's first group
        self.run_buttons: dict[QAction, QToolButton] = {}   # the side panel's button of each of ``run``
        self.run_shortcuts_first = RunShortcutsFirst(self.run, parent)
        form.lr_control.box.installEventFilter(self.run_shortcuts_first)
        jobs.changed.connect(self.update)
        self.update()

    @property
    def by_control(self) -> dict[str, QAction]:
        """Classroom control id: its action."""
        return {"start": self.start, "pause": self.pause, "step": self.step, "stop": self.stop,
                "reset": self.reset, "compare": self.compare, "range_test": self.range_test}

    def set_classroom(self, classroom: Classroom) -> None:
        """Hide the actions (and run buttons) ``classroom`` hides; those it locks stay disabled."""
        for control, action in self.by_control.items():
            action.setVisible(control not in classroom.hide)
            button = self.run_buttons.get(action)
            if button is not None:
                button.setVisible(control not in classroom.hide)
        self.update()

    def update(self) -> None:
        """Enable the actions that fit the job's state (none running, training, paused); the locked ones stay off."""
        jobs = self._jobs
        running, training, paused = jobs.running, jobs.training, jobs.paused
        for action in (self.start, self.compare, self.range_test, self.open_csv, self.open_experiment):
            action.setEnabled(not running)
        self.pause.setEnabled(training)
        self.pause.blockSignals(True)
        self.pause.setChecked(paused)
        self.pause.blockSignals(False)
        self.pause.setText("Resume" if paused else "Pause")
        self.pause.setIcon(self._parent.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause))
        locked = self._form.classroom.lock
        self.step.setEnabled((not running and "start" not in locked) or (training and paused))   # idle: it starts
        self.stop.setEnabled(running)
        for control, action in self.by_control.items():
            if control in locked:
                action.setEnabled(False)

    # -- where they are shown ----------------------------------------------------------------------------------------

    def add_menus(self, menu_bar: QMenuBar, docks: list[QDockWidget]) -> None:
        """File, Edit, Run, View (with a toggle for each of ``docks``) and Help."""
        file_menu = menu_bar.addMenu("&File")
        file_menu.addActions((self.open_experiment, self.save_experiment, self.open_csv))
        file_menu.addSeparator()
        file_menu.addActions((self.save_plot, self.export))
        export_menu = file_menu.addMenu("Export &As")
        export_menu.addActions(list(self.export_formats.values()))
        file_menu.addActions((self.tensorboard, self.export_script))
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        edit_menu = menu_bar.addMenu("&Edit")
        edit_menu.addActions((self.copy_experiment, self.paste_experiment))
        run_menu = menu_bar.addMenu("&Run")
        run_menu.addActions(self.run)
        run_menu.addSeparator()
        run_menu.addActions((self.compare, self.range_test))
        view_menu = menu_bar.addMenu("&View")
        view_menu.addActions((self.log_y, self.auto_range))
        view_menu.addSeparator()
        for dock in docks:
            view_menu.addAction(dock.toggleViewAction())
        menu_bar.addMenu("&Help").addAction(self.about)

    def add_toolbar(self, toolbar: QToolBar) -> None:
        """The main toolbar: run, compare and range test, save and export, log scale and auto range."""
        toolbar.setObjectName("main-toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for group in (self.run, (self.compare, self.range_test), (self.save_plot, self.export),
                      (self.log_y, self.auto_range)):
            if toolbar.actions():
                toolbar.addSeparator()
            toolbar.addActions(group)

    def add_run_buttons(self, layout: QGridLayout) -> None:
        """The side panel's run buttons, three to a row."""
        for index, action in enumerate(self.run):
            button = QToolButton()
            self.run_buttons[action] = button
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            layout.addWidget(button, index // 3, index % 3)
