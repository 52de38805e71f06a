"""Shared test set-up: Qt runs offscreen on a 1920×1200 screen; UI tests keep their QSettings in a temporary folder."""
import gc
import os
from pathlib import Path

import pytest

if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":  # its default 800×600 screen is too small
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen-screen.json')}"


def _in_ui_module(request) -> bool:
    """A UI test: one of a test_ui module, or any test that drives widgets (pytest-qt's ``qtbot``)."""
    return request.module.__name__.rpartition(".")[2].startswith("test_ui") or "qtbot" in request.fixturenames


@pytest.fixture(autouse=True)
def private_qsettings(request, tmp_path_factory):
    """The window's remembered state (QSettings) goes to a fresh folder for each UI test, never the user's."""
    if _in_ui_module(request):
        from PyQt6.QtCore import QSettings

        folder = tmp_path_factory.mktemp("qsettings")
        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield


@pytest.fixture(autouse=True)
def windows_deleted_at_teardown(request, monkeypatch):
    """A UI test's widgets live until the test ends, and are deleted then, not at a random later moment.

    pytest-qt keeps only weak references to the widgets given to ``qtbot.addWidget``. A window held by nothing
    but a test's local variable became garbage when the test returned, while still shown: the collector, run by
    an allocation in the middle of that window's next paint, deleted it under the painter (a segfault in
    ``GraphicsView.paintEvent``). Here each such widget is held until pytest-qt has closed it (``deleteLater``);
    then every pending deletion runs and the collector frees the Python side while nothing is painting."""
    if not _in_ui_module(request):
        yield
        return
    from PyQt6.QtCore import QCoreApplication, QEvent
    from pytestqt.qtbot import QtBot

    held = []
    add_widget = QtBot.addWidget

    def add_and_hold(bot, widget, **kwargs):
        held.append(widget)
        add_widget(bot, widget, **kwargs)

    monkeypatch.setattr(QtBot, "addWidget", add_and_hold)
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    held.clear()
    gc.collect()


@pytest.fixture(scope="session")
def worker_pool():
    """Worker processes shared by the UI tests' windows (each would otherwise start its own and import its engines
    again); shut down at the end, leaving no process."""
    from kgui.core.workers import WorkerPool

    from kgui.ui.main_window import WORKER_NICE

    pool = WorkerPool(nice=WORKER_NICE)
    yield pool
    assert pool.shutdown()
