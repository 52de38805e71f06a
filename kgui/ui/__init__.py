"""kgui's Qt window (PyQt6 + pyqtgraph). Engines are imported on the training thread, never here."""
from __future__ import annotations

import sys


def create_app(argv=None):
    """The QApplication with kgui's name, style and icon (the existing one when there is one)."""
    import pyqtgraph as pg
    from PyQt6.QtGui import QIcon
    from PyQt6.QtWidgets import QApplication

    from .main_window import APP_NAME, ICON

    app = QApplication.instance() or QApplication([sys.argv[0], *(sys.argv[1:] if argv is None else argv)])
    app.setApplicationName(APP_NAME)
    app.setStyle("Fusion")
    app.setWindowIcon(QIcon(str(ICON)))
    pg.setConfigOptions(antialias=True)
    return app


def main(argv=None) -> int:
    """Create the application, show the main window and run the event loop; returns the exit code."""
    from .main_window import MainWindow

    app = create_app(argv)
    window = MainWindow()
    window.show()
    return app.exec()
