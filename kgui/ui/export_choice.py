"""Which view Save/Export writes: the one the user is looking at. The candidates are the central tab in front (the
loss plot or the range test) and the backend parity panel while its dock is in front. The one the user last
clicked, scrolled or picked the tab of wins; when both are in front and the user has looked at neither since the
parity panel came forward by itself (Compare Backends raises it), the user is asked."""
from __future__ import annotations

from enum import Enum

from PyQt6.QtCore import QEvent, QObject
from PyQt6.QtWidgets import QApplication, QInputDialog, QTabBar, QWidget

from .exporting import ExportTarget

LOOKING_EVENTS = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.Wheel})


class View(Enum):
    CENTRAL = "central"      # the main tab in front: loss plot or range test
    PARITY = "parity"


class ExportChoice(QObject):
    """Follows where the user looks in ``window`` (a MainWindow) and picks the export target from it."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.last_looked_at: View | None = View.CENTRAL
        QApplication.instance().installEventFilter(self)
        window.parity_dock.visibilityChanged.connect(self._parity_dock_shown)

    def _parity_dock_shown(self, visible: bool) -> None:
        if visible and self.last_looked_at is not View.PARITY:   # raised by the program, not by a click on its tab
            self.last_looked_at = None

    def eventFilter(self, watched, event) -> bool:
        if event.type() in LOOKING_EVENTS and isinstance(watched, QWidget):
            looked = self._view_at(watched, event)
            if looked is not None:
                self.last_looked_at = looked
        return False

    def _view_at(self, widget: QWidget, event) -> View | None:
        window = self.window
        if widget is window.tabs or window.tabs.isAncestorOf(widget):
            return View.CENTRAL
        if widget is window.parity_dock or window.parity_dock.isAncestorOf(widget):
            return View.PARITY
        if isinstance(widget, QTabBar) and widget.parent() is window and event.type() == QEvent.Type.MouseButtonPress:
            tab = widget.tabAt(event.position().toPoint())   # the bar of the tabbed docks
            if tab >= 0:
                return View.PARITY if widget.tabText(tab) == window.parity_dock.windowTitle() else None
        return None

    def parity_in_front(self) -> bool:
        """The parity panel holds a comparison and can be seen (its dock is not behind another tab)."""
        view = self.window.parity_view
        return view.result is not None and view.isVisible() and not view.visibleRegion().isEmpty()

    def target(self, central: ExportTarget) -> ExportTarget | None:
        """What Save/Export writes: ``central`` (the main tab's export) or the parity panel's, whichever the user
        is looking at; None when the user was asked and cancelled."""
        if not self.parity_in_front() or self.last_looked_at is View.CENTRAL:
            return central
        parity = self.window.parity_view.export_target()
        if self.last_looked_at is View.PARITY:
            return parity
        names = [central.name[0].upper() + central.name[1:], parity.name[0].upper() + parity.name[1:]]
        name, ok = QInputDialog.getItem(self.window, "Export", "Which view do you want to export?", names, 0, False)
        if not ok:
            return None
        self.last_looked_at = View.CENTRAL if name == names[0] else View.PARITY
        return central if name == names[0] else parity
