"""The main window's actions (menu entries, toolbar buttons, shortcuts), its menus and its toolbar."""
from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QAction, QIcon, QKeySequence
from PyQt6.QtWidgets import QSizePolicy, QStyle, QToolButton

from .dialogs import EXPORT_FORMATS

LOG_SCALE_ICON = Path(__file__).resolve().parents[2] / "resources" / "log-scale.svg"


def _action(window, text: str, slot, shortcuts=(), tip: str = "", icon=None, checkable: bool = False) -> QAction:
    action = QAction(text, window)
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
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


def add_actions(window) -> None:
    """Give ``window`` its ``*_action`` attributes, each connected to the window's slot."""
    pixmap = QStyle.StandardPixmap
    window.start_action = _action(window, "&Start", window.start, ("F5", "Ctrl+R"),
                                  "Start a new run with these settings", pixmap.SP_MediaPlay)
    window.pause_action = _action(window, "&Pause", window.jobs.set_paused, ("Space",), "Pause or resume the run",
                                  pixmap.SP_MediaPause, checkable=True)
    window.step_action = _action(window, "S&tep", window.jobs.step_once, ("Ctrl+T", "F6"),
                                 "Run exactly one step (starts a paused run when none is going)",
                                 pixmap.SP_MediaSkipForward)
    window.stop_action = _action(window, "St&op", window.stop, ("Esc",), "Stop the run; it is kept as 'stopped'",
                                 pixmap.SP_MediaStop)
    window.reset_action = _action(window, "&Reset", window.runs_controller.reset, ("Ctrl+Shift+R",),
                                  "Clear the plot: hide every run (they stay in the runs table)",
                                  pixmap.SP_BrowserReload)
    window.compare_action = _action(window, "&Compare Backends", window.compare_backends, ("Ctrl+B",),
                                    "Train this experiment on every installed engine with the same initial "
                                    "weights and check that the losses agree", pixmap.SP_FileDialogContentsView)
    window.range_test_action = _action(window, "Learning-Rate &Range Test", window.range_test, ("Ctrl+Shift+L",),
                                       "Sweep the learning rate from 1e-6 to 10 and suggest one", pixmap.SP_ArrowUp)
    window.save_plot_action = _action(window, "&Save Plot…", lambda: window.export_choice.export("png"), ("Ctrl+S",),
                                      "Save what is shown (loss plot, range test or backend parity) as PNG or SVG, "
                                      "or its data as CSV or JSON", pixmap.SP_DialogSaveButton)
    window.export_action = _action(window, "&Export…", lambda: window.export_choice.export(), ("Ctrl+E",),
                                   "Export what is shown (loss plot, range test or backend parity): PNG or SVG as "
                                   "on screen, or the data as CSV or JSON", pixmap.SP_FileDialogDetailedView)
    window.export_format_actions = {
        fmt: _action(window, text, lambda _=False, fmt=fmt: window.export_choice.export(fmt))
        for fmt, text in EXPORT_FORMATS.items()}
    window.tensorboard_action = _action(window, "Export to &TensorBoard…",
                                        lambda: window.export_choice.export_tensorboard(),
                                        tip="Write the shown runs as TensorBoard event files "
                                            "(then: tensorboard --logdir FOLDER)")
    window.export_script_action = _action(window, "Export as &Python Script…",
                                          lambda: window.experiment_files.export_script(),
                                          tip="Write the experiment as a standalone K-API script "
                                              "(python FILE.py prints the run's losses)")
    window.open_csv_action = _action(window, "&Open CSV…", window.form.dataset_picker.open_csv, ("Ctrl+O",),
                                     "Train on your own CSV file", pixmap.SP_DialogOpenButton)
    window.open_experiment_action = _action(window, "Open E&xperiment…",
                                            lambda: window.experiment_files.open_experiment(),
                                            ("Ctrl+Shift+O",), "Load experiment settings from a JSON file")
    window.save_experiment_action = _action(window, "Save Ex&periment…",
                                            lambda: window.experiment_files.save_experiment(),
                                            ("Ctrl+Shift+S",), "Save the experiment settings as a JSON file "
                                            "(python main.py run --config FILE runs it headless)")
    window.copy_experiment_action = _action(window, "&Copy Experiment",
                                            lambda: window.experiment_files.copy_experiment(),
                                            ("Ctrl+Shift+C",),
                                            "Copy the experiment as one line of text, 'kgui:…', to share it "
                                            "(kgui open 'kgui:…' or Paste Experiment opens it)")
    window.paste_experiment_action = _action(window, "&Paste Experiment",
                                             lambda: window.experiment_files.paste_experiment(),
                                             ("Ctrl+Shift+V",), "Load a copied 'kgui:…' experiment into the controls")
    window.quit_action = _action(window, "&Quit", window.close, ("Ctrl+Q",), "Stop any run and quit")
    window.log_y_action = _action(window, "&Log Scale", window.plot.set_log_y, ("Ctrl+L",),
                                  "Show the loss on a logarithmic axis", checkable=True)
    window.log_y_action.setIcon(QIcon(str(LOG_SCALE_ICON)))
    window.auto_range_action = _action(window, "&Auto Range", window.plot.auto_range, ("Ctrl+0",),
                                       "Fit the plot to the data (mouse: drag to pan, wheel to zoom)",
                                       pixmap.SP_TitleBarMaxButton)
    window.about_action = _action(window, "&About kgui", window.dialogs.about)
    window.run_shortcuts_first = RunShortcutsFirst(
        (window.start_action, window.pause_action, window.step_action, window.stop_action, window.reset_action),
        window)
    window.form.lr_control.box.installEventFilter(window.run_shortcuts_first)


def add_menus_and_toolbar(window, run_buttons_layout) -> None:
    """The menu bar, the main toolbar, and the run buttons of the side panel."""
    file_menu = window.menuBar().addMenu("&File")
    file_menu.addActions((window.open_experiment_action, window.save_experiment_action, window.open_csv_action))
    file_menu.addSeparator()
    file_menu.addActions((window.save_plot_action, window.export_action))
    export_menu = file_menu.addMenu("Export &As")
    export_menu.addActions(list(window.export_format_actions.values()))
    file_menu.addActions((window.tensorboard_action, window.export_script_action))
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)
    edit_menu = window.menuBar().addMenu("&Edit")
    edit_menu.addActions((window.copy_experiment_action, window.paste_experiment_action))
    run_actions = (window.start_action, window.pause_action, window.step_action, window.stop_action,
                   window.reset_action)
    run_menu = window.menuBar().addMenu("&Run")
    run_menu.addActions(run_actions)
    run_menu.addSeparator()
    run_menu.addActions((window.compare_action, window.range_test_action))
    view_menu = window.menuBar().addMenu("&View")
    view_menu.addActions((window.log_y_action, window.auto_range_action))
    view_menu.addSeparator()
    for dock in (window.controls_dock, window.runs_dock, window.fit_dock, window.parity_dock, window.code_dock,
                 window.surface_dock, window.network_dock, window.layers_dock):
        view_menu.addAction(dock.toggleViewAction())
    window.menuBar().addMenu("&Help").addAction(window.about_action)

    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("main-toolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for group in (run_actions, (window.compare_action, window.range_test_action),
                  (window.save_plot_action, window.export_action), (window.log_y_action, window.auto_range_action)):
        if toolbar.actions():
            toolbar.addSeparator()
        toolbar.addActions(group)

    window.run_action_buttons = {}
    for index, action in enumerate(run_actions):
        button = QToolButton()
        window.run_action_buttons[action] = button
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        run_buttons_layout.addWidget(button, index // 3, index % 3)
