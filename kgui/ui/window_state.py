"""What the window remembers between launches (QSettings): geometry, dock layout, the experiment in the
controls, the plot's view options, the decision boundary's toggles and which runs are shown.

Restoring never stops the window from starting: a value that cannot be used (written by another version,
edited by hand, damaged) keeps its default, with one warning line on stderr.
"""
from __future__ import annotations

import json
import sys

from PyQt6.QtCore import QByteArray, QSettings
from PyQt6.QtGui import QGuiApplication

from kgui.core.settings import ExperimentSettings, usable_settings
from kgui.core.smoothing import MAX_WEIGHT

from .loss_plot import X_AXES

ORGANIZATION = "kgui"
APPLICATION = "kgui"
VERSION = 1     # saveState/restoreState version of the dock layout


def default_preferences() -> QSettings:
    """The user's kgui preferences (tests point QSettings.setPath elsewhere or pass their own)."""
    return QSettings(ORGANIZATION, APPLICATION)


def save(window, preferences: QSettings) -> None:
    preferences.setValue("window/geometry", window.saveGeometry())
    preferences.setValue("window/state", window.saveState(VERSION))
    try:
        preferences.setValue("experiment", window.settings().to_json())
    except ValueError:
        pass    # a control holds unreadable text (e.g. L2 "1e"): the last readable experiment stays remembered
    preferences.setValue("plot/smoothing", window.plot.smoothing)
    preferences.setValue("plot/x_axis", window.plot.x_axis)
    preferences.setValue("plot/log_y", window.log_y_action.isChecked())
    preferences.setValue("surface/show_test_data", window.surface_view.show_test_box.isChecked())
    preferences.setValue("surface/discretize", window.surface_view.discretize_box.isChecked())
    preferences.setValue("runs/shown", json.dumps(window.shown_run_ids()))
    preferences.sync()


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


def _restore_geometry(window, value) -> None:
    if not window.restoreGeometry(_byte_array(value)):
        raise ValueError("not a window geometry")


def _restore_state(window, value) -> None:
    if not window.restoreState(_byte_array(value), VERSION):
        raise ValueError("not a dock layout of this version")


def _restore_experiment(window, value) -> None:
    if not isinstance(value, str):
        raise ValueError(f"not JSON text but {type(value).__name__}")
    try:
        settings, problems = usable_settings(ExperimentSettings.from_json(value))
    except (TypeError, ValueError, OverflowError):
        window.apply_settings(ExperimentSettings())   # not half of the remembered experiment
        raise
    window.apply_settings(settings)
    for problem in problems:   # a value another version wrote (an unknown optimizer...): one warning each
        warn(f"experiment's {problem.field}", str(problem))


def _restore_smoothing(window, value) -> None:
    smoothing = float(value)
    if not 0.0 <= smoothing <= MAX_WEIGHT:
        raise ValueError(f"{smoothing!r} is not between 0 and {MAX_WEIGHT}")
    window.plot.set_smoothing(smoothing)


def _restore_x_axis(window, value) -> None:
    if value not in X_AXES:
        raise ValueError(f"{value!r} is not one of {', '.join(X_AXES)}")
    window.plot.set_x_axis(value)


def _flag(value) -> bool:
    if str(value).lower() not in ("true", "false"):
        raise ValueError(f"{value!r} is not true or false")
    return str(value).lower() == "true"


def _restore_log_y(window, value) -> None:
    window.log_y_action.setChecked(_flag(value))


def _restore_show_test_data(window, value) -> None:
    window.surface_view.show_test_box.setChecked(_flag(value))


def _restore_discretize(window, value) -> None:
    window.surface_view.discretize_box.setChecked(_flag(value))


RESTORERS = {"window/geometry": _restore_geometry, "window/state": _restore_state,
             "experiment": _restore_experiment, "plot/smoothing": _restore_smoothing,
             "plot/x_axis": _restore_x_axis, "plot/log_y": _restore_log_y,
             "surface/show_test_data": _restore_show_test_data, "surface/discretize": _restore_discretize}


def restore(window, preferences: QSettings) -> None:
    """Apply what ``save`` stored; anything missing keeps its default, anything unusable too (with a warning)."""
    for key, restore_one in RESTORERS.items():
        try:
            value = preferences.value(key)
        except Exception as exc:  # noqa: BLE001 - QSettings raises various errors on values it cannot convert
            warn(key, str(exc) or type(exc).__name__)
            continue
        if value is None:
            continue
        try:
            restore_one(window, value)
        except (TypeError, ValueError, OverflowError, RecursionError, LookupError) as exc:
            warn(key, str(exc) or type(exc).__name__)
