"""Shared test set-up: Qt runs offscreen; UI tests keep their QSettings in a temporary folder."""
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def private_qsettings(request, tmp_path_factory):
    """The window's remembered state (QSettings) goes to a fresh folder for each UI test, never the user's."""
    if request.module.__name__.rpartition(".")[2].startswith("test_ui"):
        from PyQt6.QtCore import QSettings

        folder = tmp_path_factory.mktemp("qsettings")
        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield
