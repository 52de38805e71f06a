"""kgui's Qt window (PyQt6 + pyqtgraph). Engines run in worker processes (kgui.core.workers), never in the window's."""
from __future__ import annotations

import sys
from pathlib import Path


def create_app(argv=None):
    """The QApplication with kgui's name, style and icon (the existing one when there is one)."""
    import pyqtgraph as pg
    from PyQt6.QtGui import QIcon
    from PyQt6.QtCore import qInstallMessageHandler
    from PyQt6.QtWidgets import QApplication

    from .main_window import APP_NAME, ICON

    app = QApplication.instance() or QApplication([sys.argv[0], *(sys.argv[1:] if argv is None else argv)])
    app.setApplicationName(APP_NAME)
    app.setStyle("Fusion")
    app.setWindowIcon(QIcon(str(ICON)))
    pg.setConfigOptions(antialias=True)
    if app.platformName() == "offscreen":
        qInstallMessageHandler(_quiet_offscreen)
    return app


OFFSCREEN_NOTE = "This plugin does not support propagateSizeHints()"


def _quiet_offscreen(kind, context, message: str) -> None:
    """Qt's messages, but the offscreen platform's note on every window shown (noise beside kgui's one line)."""
    if message != OFFSCREEN_NOTE:
        print(message, file=sys.stderr)


def save_screenshot(window, path) -> str | None:
    """Save ``window`` as an image in the format of ``path``'s extension; why it could not be, in one line, or None.
    Written by write_output: a FIFO nobody reads is refused, not waited on."""
    from PyQt6.QtCore import QBuffer, QIODevice
    from PyQt6.QtGui import QImageWriter

    from kgui.core.files import error_text, write_output

    suffix = Path(path).suffix.lower().lstrip(".")
    formats = sorted(bytes(name).decode() for name in QImageWriter.supportedImageFormats())
    if suffix not in formats:
        return f"cannot write the screenshot {path}: unknown image format '{Path(path).suffix or '(none)'}'; use .png"
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not window.grab().save(buffer, suffix.upper()):
        return f"cannot write the screenshot {path}: Qt could not encode it as {suffix.upper()}"
    try:
        write_output(path, bytes(buffer.data()))
    except OSError as exc:
        return error_text(exc)
    return None


SETTLE_MS = 300  # before a screenshot: the last steps' redraw and paint land


def main(settings=None, start: bool = False, screenshot=None, classroom=None, show_remembered_runs: bool = True) -> int:
    """Create the application, show the main window and run the event loop; returns the exit code.

    ``settings``: ExperimentSettings to open with (default: the window's remembered ones); ``start``:
    train them at once; ``screenshot``: once that run has ended (or the window is shown), save the
    window as a PNG there and quit, with the exit code ``kgui run`` would give the run (1 failed,
    3 diverged, 130 stopped; 1 when the file cannot be written); ``classroom``: controls to hide and lock
    (kgui.core.experiment.classroom); ``show_remembered_runs``: show the runs shown when the window last closed (False: the
    plot starts empty, for the new run alone). No display: one line and 1.
    """
    from kgui.core.runs.names import terminal_line

    from .display import display_problem

    problem = display_problem()
    if problem is not None:
        print(f"kgui: error: {terminal_line(problem)}", file=sys.stderr)
        return 1

    from PyQt6.QtCore import QTimer

    from kgui.exit_codes import exit_code

    app = create_app([])
    window = show_window(settings, classroom, show_remembered_runs)
    started = window.start() if start else False
    captured: list[int] = []    # the screenshot's exit code; app.exec() can return another one (below)
    if screenshot is not None:
        def capture() -> None:
            window.plot.redraw()
            problem = save_screenshot(window, screenshot)
            saved = problem is None
            if not saved:
                print(f"kgui: error: {terminal_line(problem)}", file=sys.stderr)
            ended = window.session.last_ended if started else None
            code = exit_code(ended) if ended is not None else 0
            if ended is not None and code and ended.message:   # as `kgui run` says it: the box is not seen
                prefix = "kgui: error: " if ended.status == "failed" else "kgui: "
                print(prefix + terminal_line(ended.message), file=sys.stderr)
            captured.append(code if saved else 1)
            window.close()
            app.exit(captured[-1])

        def job_changed() -> None:
            if not window.jobs.running:
                QTimer.singleShot(SETTLE_MS, capture)

        if started:
            window.jobs.changed.connect(job_changed)
        else:
            QTimer.singleShot(SETTLE_MS, capture)
    code = app.exec()
    if captured:    # taken while a message box was open (a failed run's), the closed window's quit returns 0
        code = captured[-1]
    return code


def show_window(settings=None, classroom=None, show_remembered_runs: bool = True):
    """The main window, shown, with ``settings``, ``classroom`` and the remembered runs or not (see :func:`main`);
    the caller runs the Qt event loop (``main``, or an IPython kernel's ``%gui qt``) and has made sure there is a
    display. A value of ``settings`` the controls cannot take is one warning line on stderr (no message box: a
    screenshot must not wait)."""
    from .main_window import MainWindow

    create_app([])
    window = MainWindow(show_remembered_runs=show_remembered_runs)
    if settings is not None:
        for problem in window.apply_settings(settings, say=False):
            print(f"kgui: warning: {problem}", file=sys.stderr)
    if classroom:
        window.set_classroom(classroom)
    window.show()
    return window

