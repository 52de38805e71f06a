"""What the window remembers between launches (QSettings): geometry, dock layout, the experiment in the
controls, the plot's view options, the decision boundary's toggles, the runs table's setting columns and which runs
are shown.

Restoring never stops the window from starting: a value that cannot be used (written by another version,
edited by hand, damaged) keeps its default, with one warning line on stderr.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable

from PyQt6.QtCore import QByteArray, QDataStream, QRect, QSettings, QSize
from PyQt6.QtGui import QAction, QGuiApplication
from PyQt6.QtWidgets import QMainWindow

from kgui.core.session import Session
from kgui.core.experiment.setting_labels import setting_labels
from kgui.core.experiment.settings import ExperimentSettings, usable_settings
from kgui.core.smoothing import MAX_WEIGHT

from .experiment_form import ExperimentForm
from .loss_plot import X_AXES, LossPlot
from .runs_table import FIXED_COLUMN_SETTINGS, RunsTable
from .surface_view import SurfaceView

ORGANIZATION = "kgui"
APPLICATION = "kgui"
VERSION = 1     # saveState/restoreState version of the dock layout
GEOMETRY_MAGIC = 0x1D9D0CB   # the first four bytes of a QWidget.saveGeometry() value


def default_preferences() -> QSettings:
    """The user's kgui preferences (tests point QSettings.setPath elsewhere or pass their own)."""
    return QSettings(ORGANIZATION, APPLICATION)


def warn(key: str, reason: str) -> None:
    print(f"kgui: warning: ignoring the remembered {key} ({reason}); using the default", file=sys.stderr)


def shown_run_ids(preferences: QSettings) -> set[str]:
    """Runs that were on the plot when the window last closed."""
    try:
        shown = json.loads(preferences.value("runs/shown", "[]"))
        if not isinstance(shown, list) or not all(isinstance(run_id, str) for run_id in shown):
            raise ValueError("not a list of run ids")
        return set(shown)
    except (TypeError, ValueError, RecursionError) as exc:
        warn("runs/shown", str(exc) or type(exc).__name__)
        return set()


def fit_to_screen(window, size: tuple[int, int] | None = None) -> None:
    """Resize ``window`` to ``size`` (default: its own) or less, and move it, so that it lies within its screen's
    available area (without the panels and docks of the desktop): it fits a 1366×768 laptop too."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    available = screen.availableGeometry()
    frame = window.frameGeometry()
    margins = (frame.width() - window.width(), frame.height() - window.height())   # title bar, borders
    width, height = size or (window.width(), window.height())
    width = min(width, available.width() - margins[0])
    height = min(height, available.height() - margins[1])
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    frame = window.frameGeometry()
    left = min(max(frame.left(), available.left()), available.right() + 1 - frame.width())
    top = min(max(frame.top(), available.top()), available.bottom() + 1 - frame.height())
    if (left, top) != (frame.left(), frame.top()):
        window.move(left, top)


def _byte_array(value) -> QByteArray:
    if not isinstance(value, QByteArray):
        raise ValueError(f"not saved window data but {type(value).__name__}")
    return value


def saved_window_size(geometry: QByteArray) -> QSize:
    """The window's size (without its frame) in a QWidget.saveGeometry() value; ValueError if it is not one."""
    stream = QDataStream(geometry)
    magic = stream.readUInt32()
    stream.readUInt16(), stream.readUInt16()    # Qt's format version
    frame, normal = QRect(), QRect()
    stream >> frame
    stream >> normal
    if stream.status() != QDataStream.Status.Ok or magic != GEOMETRY_MAGIC or not normal.isValid():
        raise ValueError("not a window geometry")
    return normal.size()


def _flag(value) -> bool:
    if str(value).lower() not in ("true", "false"):
        raise ValueError(f"{value!r} is not true or false")
    return str(value).lower() == "true"


def _setting_columns(value) -> list[str]:
    """The runs table's setting columns from their remembered JSON list, all of them or none."""
    if not isinstance(value, str):
        raise ValueError(f"not JSON text but {type(value).__name__}")
    names = json.loads(value)
    choosable = {label.name for label in setting_labels()} - set(FIXED_COLUMN_SETTINGS)
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError("not a list of setting names")
    unknown = [name for name in names if name not in choosable]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"{', '.join(unknown) or 'a setting twice'} is not a setting column")
    return names


class WindowState:
    """Saves and restores what ``window`` shows between launches, in ``preferences``: its geometry and dock layout,
    the experiment in ``form`` (put back through ``apply_settings``, which says what cannot be used), the ``plot``'s
    smoothing and x axis, its log scale (``log_y_action``), the ``surface_view``'s toggles, the ``runs_table``'s
    setting columns and the ``session``'s shown runs."""

    def __init__(self, preferences: QSettings, window: QMainWindow, form: ExperimentForm,
                 apply_settings: Callable[[ExperimentSettings], object], plot: LossPlot, log_y_action: QAction,
                 surface_view: SurfaceView, runs_table: RunsTable, session: Session):
        self.preferences, self.window, self.form, self.apply_settings = preferences, window, form, apply_settings
        self.plot, self.log_y_action, self.surface_view = plot, log_y_action, surface_view
        self.runs_table, self.session = runs_table, session
        self.restorers = {"window/geometry": self._restore_geometry, "window/state": self._restore_state,
                          "experiment": self._restore_experiment, "plot/smoothing": self._restore_smoothing,
                          "plot/x_axis": self._restore_x_axis,
                          "plot/log_y": lambda value: self.log_y_action.setChecked(_flag(value)),
                          "surface/show_test_data":
                              lambda value: self.surface_view.show_test_box.setChecked(_flag(value)),
                          "surface/discretize": lambda value: self.surface_view.discretize_box.setChecked(_flag(value)),
                          "runs/setting_columns": self._restore_setting_columns}

    def save(self) -> None:
        preferences = self.preferences
        preferences.setValue("window/geometry", self.window.saveGeometry())
        preferences.setValue("window/state", self.window.saveState(VERSION))
        try:
            preferences.setValue("experiment", self.form.settings().to_json())
        except ValueError:
            pass    # a control holds unreadable text (e.g. L2 "1e"): the last readable experiment stays remembered
        preferences.setValue("plot/smoothing", self.plot.smoothing)
        preferences.setValue("plot/x_axis", self.plot.x_axis)
        preferences.setValue("plot/log_y", self.log_y_action.isChecked())
        preferences.setValue("surface/show_test_data", self.surface_view.show_test_box.isChecked())
        preferences.setValue("surface/discretize", self.surface_view.discretize_box.isChecked())
        preferences.setValue("runs/setting_columns", json.dumps(self.runs_table.setting_columns()))
        preferences.setValue("runs/shown", json.dumps(self.session.shown_run_ids()))
        preferences.sync()

    def restore(self) -> None:
        """Apply what ``save`` stored; anything missing keeps its default, anything unusable too (with a warning)."""
        for key, restore_one in self.restorers.items():
            try:
                value = self.preferences.value(key)
            except Exception as exc:  # noqa: BLE001 - QSettings raises various errors on values it cannot convert
                warn(key, str(exc) or type(exc).__name__)
                continue
            if value is None:
                continue
            try:
                restore_one(value)
            except (TypeError, ValueError, OverflowError, RecursionError, LookupError) as exc:
                warn(key, str(exc) or type(exc).__name__)

    def _restore_geometry(self, value) -> None:
        """The saved geometry; Qt refuses one saved on a screen of another width (by more than 20 %: xvfb-run's
        1920 × 1080 after the offscreen platform's 800 × 600), which keeps its size, fitted to this screen."""
        if not self.window.restoreGeometry(_byte_array(value)):
            size = saved_window_size(value)
            fit_to_screen(self.window, (size.width(), size.height()))

    def _restore_state(self, value) -> None:
        if not self.window.restoreState(_byte_array(value), VERSION):
            raise ValueError("not a dock layout of this version")

    def _restore_experiment(self, value) -> None:
        if not isinstance(value, str):
            raise ValueError(f"not JSON text but {type(value).__name__}")
        try:
            settings, problems = usable_settings(ExperimentSettings.from_json(value))
        except (TypeError, ValueError, OverflowError):
            self.apply_settings(ExperimentSettings())   # not half of the remembered experiment
            raise
        self.apply_settings(settings)
        for problem in problems:   # a value another version wrote (an unknown optimizer...): one warning each
            warn(f"experiment's {problem.field}", str(problem))

    def _restore_smoothing(self, value) -> None:
        smoothing = float(value)
        if not 0.0 <= smoothing <= MAX_WEIGHT:
            raise ValueError(f"{smoothing!r} is not between 0 and {MAX_WEIGHT}")
        self.plot.set_smoothing(smoothing)

    def _restore_x_axis(self, value) -> None:
        if value not in X_AXES:
            raise ValueError(f"{value!r} is not one of {', '.join(X_AXES)}")
        self.plot.set_x_axis(value)

    def _restore_setting_columns(self, value) -> None:
        for name in _setting_columns(value):
            self.runs_table.show_setting_column(name, True)
