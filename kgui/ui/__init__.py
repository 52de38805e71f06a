"""kgui's Qt window (PyQt6 + pyqtgraph). Engines are imported on the training thread, never here."""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    """Create the application, show the main window and run the event loop; returns the exit code."""
    import pyqtgraph as pg
    from PyQt6.QtGui import QIcon
    from PyQt6.QtWidgets import QApplication

    from .main_window import APP_NAME, ICON, MainWindow

    app = QApplication.instance() or QApplication(list(sys.argv if argv is None else [sys.argv[0], *argv]))
    app.setApplicationName(APP_NAME)
    app.setStyle("Fusion")
    app.setWindowIcon(QIcon(str(ICON)))
    pg.setConfigOptions(antialias=True)
    window = MainWindow()
    window.show()
    return app.exec()
