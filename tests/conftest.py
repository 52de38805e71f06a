"""Shared test set-up: Qt runs offscreen on a 1920×1200 screen; UI tests keep their QSettings in a temporary folder."""
import gc
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


@pytest.fixture(autouse=True)
def windows_deleted_at_teardown(request):
    """A UI test's closed widgets are deleted as it ends, not at a random later moment.

    pytest-qt closes them with ``deleteLater``, which ``processEvents`` never runs: they used to be destroyed inside
    a later test's event loop, or collected in the middle of another window's paint (a rare segfault in
    ``GraphicsView.paintEvent``). Here every pending deletion runs and the collector frees their Python side while
    nothing is painting."""
    yield
    if request.module.__name__.rpartition(".")[2].startswith("test_ui"):
        from PyQt6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        gc.collect()
