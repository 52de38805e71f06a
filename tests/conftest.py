"""Shared test set-up: Qt runs offscreen on a 1920×1200 screen; UI tests keep their QSettings in a temporary folder."""
import os
from pathlib import Path

import pytest

if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":  # its default 800×600 screen is too small
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen-screen.json')}"


@pytest.fixture(autouse=True)
def private_qsettings(request, tmp_path_factory):
    """The window's remembered state (QSettings) goes to a fresh folder for each UI test, never the user's."""
    if request.module.__name__.rpartition(".")[2].startswith("test_ui"):
        from PyQt6.QtCore import QSettings

        folder = tmp_path_factory.mktemp("qsettings")
        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield
