"""Qt in a kernel: the QApplication, :class:`QtFrame`, a kgui Qt view's pyqtgraph GraphicsView in a cell, and
:class:`WidgetFrame`, a whole kgui Qt widget (plots, tables, labels) in a cell.

A kernel has no Qt event loop (unless ``%gui qt``): nothing is painted on screen. A frame is the view rendered into
an image (pyqtgraph.jupyter's way) on the kernel's main thread, where Qt lives, sent to the browser by jupyter_rfb
(from whichever thread it runs on), and mouse events come back to the view (zoom, pan) through the main thread. The kgui widget holding the view is "shown" with ``WA_DontShowOnScreen``: its layout and
``isVisible()`` work as in the window, and no window ever appears.
"""
from __future__ import annotations

import asyncio
import os
import queue
import threading

import numpy as np
import pyqtgraph as pg
from jupyter_rfb import RemoteFrameBuffer
from pyqtgraph.jupyter.GraphicsView import MBLUT, TYPLUT, get_buttons, get_modifiers
from PyQt6.QtCore import QCoreApplication, QPoint, QPointF, Qt
from PyQt6.QtGui import QImage, QMouseEvent, QPainter, QResizeEvent, QWheelEvent
from PyQt6.QtWidgets import QApplication, QWidget

from kgui.ui import create_app
from kgui.ui.display import display_problem


INPUT_EVENTS = {"resize", "wheel", *TYPLUT}   # the browser's events applied to the widget
no_display: str | None = None     # why Qt found no display, when the kernel's QApplication was made off screen
_app: QApplication | None = None   # held for the kernel's life: Qt aborts when its widgets outlive it


def qt_application() -> QApplication:
    """The process's QApplication (the existing one, e.g. ``%gui qt``'s); off screen where Qt would find no
    display (a kernel on a server)."""
    global _app, no_display
    if QApplication.instance() is None:
        no_display = display_problem()
        if no_display is not None:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
    _app = create_app([])
    return _app


QT_EVENTS_S = 0.015    # the kernel runs Qt's events this often while it waits for cells
_pumping = False


def run_qt_events() -> None:
    """Run Qt's events (a window's paints, input, timers) from the kernel's own event loop every ``QT_EVENTS_S``
    while it waits for cells, from now on. (ipykernel's ``%gui qt`` runs a QEventLoop instead, left when a message
    comes; on ipykernel 7 it missed the next cell's request in one test run of three and the kernel hung.)"""
    global _pumping
    if _pumping:
        return
    loop = asyncio.get_running_loop()

    def run_events() -> None:
        QApplication.processEvents()
        loop.call_later(QT_EVENTS_S, run_events)

    loop.call_soon(run_events)
    _pumping = True


class HostFrame(RemoteFrameBuffer):
    """The kgui widget ``host`` as a jupyter_rfb widget of ``width`` × ``height`` pixels, rendered on the Qt thread
    only.

    jupyter_rfb calls :meth:`get_frame` and :meth:`handle_event` on whichever thread took the browser's message: in
    JupyterLab an ipykernel subshell thread, not the kernel's main thread where Qt lives. So a frame is rendered on the
    main thread by :meth:`redraw` (where the widget changed) into a new read-only array, and :meth:`get_frame` only
    returns the latest one; the browser's resizes and pointer events are queued and applied to the widget on the main
    thread (the kernel's event loop, or the next :meth:`redraw`), which then renders and asks jupyter_rfb to send it."""

    def __init__(self, host: QWidget, width: int, height: int):
        super().__init__(css_width=f"{width}px", css_height=f"{height}px")
        self.host = host
        self.logical_size = width, height
        self.pixel_ratio = 1.0
        self._qt_thread = threading.get_ident()
        self._loop = running_loop()          # the kernel's; None in a script (redraw() applies the input there)
        self._lock = threading.Lock()
        self._frame: np.ndarray | None = None
        self._inputs: queue.SimpleQueue = queue.SimpleQueue()
        self._inputs_pending = False
        host.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        host.show()
        self._fit(width, height)
        self._render()

    # -- any thread ---------------------------------------------------------------------------------------------------

    def get_frame(self) -> np.ndarray | None:
        """The last frame rendered (read-only; None before the first)."""
        with self._lock:
            return self._frame

    def handle_event(self, event: dict) -> None:
        """The browser's resize, pointer or wheel ``event``, queued for the Qt thread: applied by the kernel's loop
        (the events since the last frame together, then one frame), or now on the Qt thread where no loop runs."""
        if event["event_type"] not in INPUT_EVENTS:
            return
        self._inputs.put(event)
        if self._loop is None and threading.get_ident() == self._qt_thread:
            self.redraw()
            return
        with self._lock:
            if self._inputs_pending or self._loop is None:
                return
            self._inputs_pending = True
        self._loop.call_soon_threadsafe(self.redraw)

    # -- the Qt thread ------------------------------------------------------------------------------------------------

    def redraw(self) -> None:
        """Apply the browser's queued input, render the widget, and have jupyter_rfb send the frame when the browser
        takes it."""
        self._apply_inputs()
        self._render()
        self.request_draw()

    def draw_now(self) -> None:
        """Render and send a frame at once: while a cell runs, the kernel's event loop (which sends requested frames)
        waits."""
        self._apply_inputs()
        self.send_frame(self._render())

    def _apply_inputs(self) -> None:
        with self._lock:
            self._inputs_pending = False
        while True:
            try:
                event = self._inputs.get_nowait()
            except queue.Empty:
                return
            self._apply(event)

    def _apply(self, event: dict) -> None:
        kind = event["event_type"]
        if kind == "resize":
            self.logical_size = int(event["width"]), int(event["height"])
            self.pixel_ratio = event["pixel_ratio"]
            self._fit(*self.logical_size)
        elif kind == "wheel":
            self._send_input(event, lambda position: QWheelEvent(
                position, position, QPoint(), QPoint(-int(event["dx"]), -int(event["dy"])), get_buttons([]),
                get_modifiers(event["modifiers"]), Qt.ScrollPhase.NoScrollPhase, False))
        elif event["button"] in MBLUT:
            self._send_input(event, lambda position: QMouseEvent(
                TYPLUT[kind], position, position, MBLUT[event["button"]], get_buttons(event["buttons"]),
                get_modifiers(event["modifiers"])))

    def _send_input(self, event: dict, make) -> None:
        """``make(position)``'s Qt event to the widget under the event's point, in that widget's coordinates."""
        point = QPoint(int(event["x"]), int(event["y"]))
        target, position = self._receiver(point)
        QCoreApplication.sendEvent(target, make(position))

    def _render(self) -> np.ndarray:
        """The widget rendered into a new read-only RGBA array, kept as the frame to send."""
        width, height = self.logical_size
        frame = np.zeros((round(height * self.pixel_ratio), round(width * self.pixel_ratio), 4), dtype=np.uint8)
        image = pg.functions.ndarray_to_qimage(frame, QImage.Format.Format_RGBX8888)
        image.setDevicePixelRatio(self.pixel_ratio)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        self._paint(painter)
        painter.end()
        del image
        frame.flags.writeable = False
        with self._lock:
            self._frame = frame
        return frame

    def _fit(self, width: int, height: int) -> None:
        """Resize ``host`` for a frame of ``width`` × ``height``."""
        raise NotImplementedError

    def _paint(self, painter: QPainter) -> None:
        raise NotImplementedError

    def _receiver(self, point: QPoint) -> tuple[QWidget, QPointF]:
        """The widget that takes input at ``point`` of the frame, and the point in its coordinates."""
        raise NotImplementedError


class QtFrame(HostFrame):
    """``view`` (a pyqtgraph GraphicsView inside the kgui widget ``host``) as a jupyter_rfb widget of
    ``width`` × ``height`` pixels; the browser's resizes resize ``host`` so that ``view`` gets the frame's size."""

    def __init__(self, host: QWidget, view: pg.GraphicsView, width: int, height: int):
        self.view = view
        super().__init__(host, width, height)

    def _fit(self, width: int, height: int) -> None:
        host, view = self.host, self.view
        old = view.size()
        for _ in range(2):   # the host's other rows (a caption) may take another height at another width
            host.resize(max(1, width + host.width() - view.width()), max(1, height + host.height() - view.height()))
            host.layout().activate()
        view.resizeEvent(QResizeEvent(view.size(), old))   # its scene's range, now (no event loop delivers it)

    def _paint(self, painter: QPainter) -> None:
        """The view's scene (pyqtgraph.jupyter's way, but a PlotWidget's own ``viewRect`` is its plot's data range,
        not the scene area shown)."""
        self.view.render(painter, pg.GraphicsView.viewRect(self.view), self.view.rect())

    def _receiver(self, point: QPoint) -> tuple[QWidget, QPointF]:
        return self.view.viewport(), QPointF(point)


class WidgetFrame(HostFrame):
    """The kgui widget ``host`` whole (e.g. the window's Fit view: a plot over a table) as a jupyter_rfb widget of
    ``width`` × ``height`` pixels; the browser's pointer and wheel events go to the child widget under the pointer."""

    def _fit(self, width: int, height: int) -> None:
        self.host.resize(max(1, width), max(1, height))
        self.lay_out()

    def lay_out(self) -> None:
        """Lay out ``host`` for its current contents (a caption now two lines long), as no event loop does here:
        call it where the contents change, on the Qt thread."""
        for widget in [self.host, *self.host.findChildren(QWidget)]:
            if widget.layout() is not None:
                widget.layout().activate()
        for view in self.host.findChildren(pg.GraphicsView):   # their scenes' ranges, as a delivered resize would
            view.resizeEvent(QResizeEvent(view.size(), view.size()))

    def _paint(self, painter: QPainter) -> None:
        self.host.render(painter)

    def _receiver(self, point: QPoint) -> tuple[QWidget, QPointF]:
        target = self.host.childAt(point) or self.host
        return target, QPointF(target.mapFrom(self.host, point))


def running_loop() -> asyncio.AbstractEventLoop | None:
    """This thread's running asyncio loop (the kernel's, on its main thread), or None (a script)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
