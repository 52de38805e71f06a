"""When the GUI thread draws or handles a job's events, as a ``threading.Event`` the job thread can wait on.

A job whose steps are mostly Python (PyTensor's take ~0.1 ms) holds the GIL nearly all the time. The GUI thread
needs the GIL for each of its calls into Python while it paints (every pyqtgraph item's ``paint``, its bounding
rectangles ...), and each time waits for the job to let go of it, so a 10 ms frame could take 50 ms. A job that
waits while :data:`GUI_ACTIVITY` is busy (``Job``'s ``gui_idle``) leaves those frames to the GUI thread alone. Busy:
the main window paints (every widget in it, one update request; a floating dock paints on its own) or lays itself
out, the loss plot takes new points, a job's event is handled with the layouts it causes.
GUI thread only (``busy``); any thread may wait on ``idle``.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager


class GuiActivity:
    """``idle`` is set except while a ``busy()`` block runs (blocks may nest)."""

    def __init__(self):
        self.idle = threading.Event()
        self.idle.set()
        self._depth = 0

    @contextmanager
    def busy(self):
        self._depth += 1
        self.idle.clear()
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth:
                self.idle.set()


GUI_ACTIVITY = GuiActivity()
