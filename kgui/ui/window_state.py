"""What the window remembers between launches (QSettings): geometry, dock layout, the experiment in the
controls, the plot's view options and which runs are shown."""
from __future__ import annotations

import json

from PyQt6.QtCore import QSettings

from kgui.core.settings import ExperimentSettings
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
    preferences.setValue("experiment", window.settings().to_json())
    preferences.setValue("plot/smoothing", window.plot.smoothing)
    preferences.setValue("plot/x_axis", window.plot.x_axis)
    preferences.setValue("plot/log_y", window.log_y_action.isChecked())
    preferences.setValue("runs/shown", json.dumps(window.shown_run_ids()))
    preferences.sync()


def shown_run_ids(preferences: QSettings) -> set[str]:
    """Runs that were on the plot when the window last closed."""
    try:
        return set(json.loads(preferences.value("runs/shown", "[]")))
    except (TypeError, ValueError):
        return set()


def restore(window, preferences: QSettings) -> None:
    """Apply what ``save`` stored; anything missing or unreadable keeps its default."""
    geometry = preferences.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    state = preferences.value("window/state")
    if state is not None:
        window.restoreState(state, VERSION)
    experiment = preferences.value("experiment")
    if experiment:
        try:
            window.apply_settings(ExperimentSettings.from_json(experiment))
        except ValueError:
            pass  # written by another kgui version: keep the defaults
    try:
        window.plot.set_smoothing(min(max(float(preferences.value("plot/smoothing", 0.0)), 0.0), MAX_WEIGHT))
    except (TypeError, ValueError):
        pass
    x_axis = preferences.value("plot/x_axis", "step")
    window.plot.set_x_axis(x_axis if x_axis in X_AXES else "step")
    window.log_y_action.setChecked(preferences.value("plot/log_y", False, type=bool))
