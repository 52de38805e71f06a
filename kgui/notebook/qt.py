"""Qt in a kernel: the QApplication, :class:`QtFrame`, a kgui Qt view's pyqtgraph GraphicsView in a cell, and
:class:`WidgetFrame`, a whole kgui Qt widget (plots, tables, labels) in a cell.

A kernel has no Qt event loop (unless ``%gui qt``): nothing is painted on screen. A frame is the view rendered into
an image (pyqtgraph.jupyter's way), sent to the browser by jupyter_rfb, and mouse events come back to the view
(zoom, pan). The kgui widget holding the view is "shown" with ``WA_DontShowOnScreen``: its layout and
``isVisible()`` work as in the window, and no window ever appears.
"""
from __future__ import annotations

import asyncio
import os
import sys

import numpy as np
import pyqtgraph as pg
from pyqtgraph.jupyter.GraphicsView import GraphicsView as JupyterGraphicsView
from pyqtgraph.jupyter.GraphicsView import MBLUT, TYPLUT, get_buttons, get_modifiers
from PyQt6.QtCore import QCoreApplication, QPoint, QPointF, QtMsgType, Qt, qInstallMessageHandler
from PyQt6.QtGui import QImage, QMouseEvent, QPainter, QResizeEvent, QWheelEvent
from PyQt6.QtWidgets import QApplication, QWidget

from kgui.ui import create_app
from kgui.ui.display import display_problem


OFFSCREEN_NOTE = "This plugin does not support propagateSizeHints()"
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
    if _app.platformName() == "offscreen":
        qInstallMessageHandler(_quiet_offscreen)
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


def _quiet_offscreen(kind: QtMsgType, context, message: str) -> None:
    """Qt's messages, but the offscreen platform's note on every widget shown (it would land in the cell)."""
    if message != OFFSCREEN_NOTE:
        print(message, file=sys.stderr)


class QtFrame(JupyterGraphicsView):
    """``view`` (a pyqtgraph GraphicsView inside the kgui widget ``host``) as a jupyter_rfb widget of
    ``width`` × ``height`` pixels; the browser's resizes resize ``host`` so that ``view`` gets the frame's size."""

    def __init__(self, host: QWidget, view: pg.GraphicsView, width: int, height: int):
        super().__init__(css_width=f"{width}px", css_height=f"{height}px")
        self.gfxView = view            # in place of the empty view pyqtgraph.jupyter made
        self.host = host
        host.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        host.show()
        self._fit(width, height)

    def _fit(self, width: int, height: int) -> None:
        host, view = self.host, self.gfxView
        old = view.size()
        for _ in range(2):   # the host's other rows (a caption) may take another height at another width
            host.resize(max(1, width + host.width() - view.width()), max(1, height + host.height() - view.height()))
            host.layout().activate()
        view.resizeEvent(QResizeEvent(view.size(), old))   # its scene's range, now (no event loop delivers it)

    def handle_event(self, event: dict) -> None:
        if event["event_type"] == "resize":
            self.logical_size = int(event["width"]), int(event["height"])
            self.pixel_ratio = event["pixel_ratio"]
            self._fit(*self.logical_size)
            self.request_draw()
        else:
            super().handle_event(event)

    def get_frame(self) -> np.ndarray:
        """The view rendered into an RGBA array (pyqtgraph.jupyter's, but a PlotWidget's own ``viewRect`` is its
        plot's data range, not the scene area shown)."""
        width, height = self.logical_size
        frame = np.zeros((round(height * self.pixel_ratio), round(width * self.pixel_ratio), 4), dtype=np.uint8)
        image = pg.functions.ndarray_to_qimage(frame, QImage.Format.Format_RGBX8888)
        image.setDevicePixelRatio(self.pixel_ratio)
        painter = QPainter(image)
        self.gfxView.render(painter, pg.GraphicsView.viewRect(self.gfxView), self.gfxView.rect())
        painter.end()
        return frame

    def draw_now(self) -> None:
        """Send a frame at once: while a cell runs, the kernel's event loop (which draws requested frames) waits."""
        self.send_frame(self.get_frame())


class WidgetFrame(JupyterGraphicsView):
    """The kgui widget ``host`` whole (e.g. the window's Fit view: a plot over a table) as a jupyter_rfb widget of
    ``width`` × ``height`` pixels; the browser's pointer and wheel events go to the child widget under the pointer."""

    def __init__(self, host: QWidget, width: int, height: int):
        super().__init__(css_width=f"{width}px", css_height=f"{height}px")
        self.host = host
        host.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        host.show()
        self._fit(width, height)

    def _fit(self, width: int, height: int) -> None:
        self.host.resize(max(1, width), max(1, height))
        self.lay_out()

    def lay_out(self) -> None:
        """Lay out ``host`` for its current contents (a caption now two lines long), as no event loop does here:
        call it where the contents change. (Not when a frame is drawn: jupyter_rfb may ask for frames from one of
        ipykernel's other threads, where Qt's posted events must not be dispatched.)"""
        for widget in [self.host, *self.host.findChildren(QWidget)]:
            if widget.layout() is not None:
                widget.layout().activate()
        for view in self.host.findChildren(pg.GraphicsView):   # their scenes' ranges, as a delivered resize would
            view.resizeEvent(QResizeEvent(view.size(), view.size()))

    def handle_event(self, event: dict) -> None:
        kind = event["event_type"]
        if kind == "resize":
            self.logical_size = int(event["width"]), int(event["height"])
            self.pixel_ratio = event["pixel_ratio"]
            self._fit(*self.logical_size)
        elif kind in TYPLUT and event["button"] in MBLUT:
            self._send_to_child(event, lambda position: QMouseEvent(
                TYPLUT[kind], position, position, MBLUT[event["button"]], get_buttons(event["buttons"]),
                get_modifiers(event["modifiers"])))
        elif kind == "wheel":
            self._send_to_child(event, lambda position: QWheelEvent(
                position, position, QPoint(), QPoint(-int(event["dx"]), -int(event["dy"])), get_buttons([]),
                get_modifiers(event["modifiers"]), Qt.ScrollPhase.NoScrollPhase, False))
        else:
            return
        self.request_draw()

    def _send_to_child(self, event: dict, make) -> None:
        """``make(position)``'s Qt event to the visible child at the event's point, in that child's coordinates."""
        point = QPoint(int(event["x"]), int(event["y"]))
        target = self.host.childAt(point) or self.host
        QCoreApplication.sendEvent(target, make(QPointF(target.mapFrom(self.host, point))))

    def get_frame(self) -> np.ndarray:
        """``host`` rendered into an RGBA array."""
        width, height = self.logical_size
        frame = np.zeros((round(height * self.pixel_ratio), round(width * self.pixel_ratio), 4), dtype=np.uint8)
        image = pg.functions.ndarray_to_qimage(frame, QImage.Format.Format_RGBX8888)
        image.setDevicePixelRatio(self.pixel_ratio)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        self.host.render(painter)
        painter.end()
        return frame
