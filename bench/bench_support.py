"""What the bench scripts share: this checkout's kgui first on ``sys.path``, the shared Otto data, a fresh window.

Importing this module (``import bench_support`` from a script in bench/, whose folder Python puts on the path)
puts the checkout holding it first on ``sys.path``, so the script measures this kgui and not an installed one, and
points ``KGUI_DATA_DIR`` at the first ``shared/data`` holding Otto beside the checkout or a folder above it (unless
``KGUI_DATA_DIR`` is set).
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from time import perf_counter, sleep

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))
SHARED_DATA = next((folder / "shared" / "data" for folder in ROOT.parents
                    if (folder / "shared" / "data" / "kaggle_ottogroup").is_dir()), None)
if "KGUI_DATA_DIR" not in os.environ and SHARED_DATA is not None:
    os.environ["KGUI_DATA_DIR"] = str(SHARED_DATA)


def fresh_window(scratch: Path):
    """The real main window on a run store and preferences of its own in the folder ``scratch`` (no run of an
    earlier session shown, nothing remembered). A QApplication must exist."""
    from PyQt6.QtCore import QSettings

    from kgui.core.runs import RunStore
    from kgui.ui.main_window import MainWindow

    preferences = QSettings(str(scratch / "kgui.ini"), QSettings.Format.IniFormat)
    return MainWindow(store=RunStore(scratch / "runs"), preferences=preferences)


def screenshot_window(description: str, size: tuple[int, int]):
    """A screenshot script's start: its ``--out-dir`` (default docs/), the QApplication and a fresh window shown
    at ``size``. Returns (app, window, out_dir); keep ``app`` alive."""
    from kgui.ui import create_app

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out-dir", default=str(ROOT / "docs"))
    out = Path(parser.parse_args().out_dir)
    app = create_app([])
    scratch = Path(tempfile.mkdtemp(prefix="kgui-screenshot-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)     # its runs and preferences go with the script
    window = fresh_window(scratch)
    window.resize(*size)
    window.show()
    return app, window, out


def wait_until(app, condition, what: str, timeout_s: float, poll_s: float) -> None:
    """Qt's events processed every ``poll_s`` until ``condition()`` holds; after ``timeout_s`` the script ends with
    one line saying that ``what`` did not happen."""
    deadline = perf_counter() + timeout_s
    while not condition():
        if perf_counter() > deadline:
            raise SystemExit(f"{what} did not happen within {timeout_s:g} s")
        app.processEvents()
        sleep(poll_s)
