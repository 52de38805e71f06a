"""Export what is shown. Save/Export writes the view the user is looking at: the central tab in front (the loss
plot, the range test or the sweep) or the backend parity panel while its dock is in front. The one the user last
clicked, scrolled or picked the tab of wins; when both are in front and the user has looked at neither since the
parity panel came forward by itself (Compare Backends raises it), the user is asked. Export to TensorBoard writes
the shown runs."""
from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path

from PyQt6.QtCore import QEvent, QObject
from PyQt6.QtWidgets import QApplication, QDockWidget, QTabBar, QTabWidget, QWidget

from kgui.core.exports import export
from kgui.core.training.layer_stats import LayerStatsHistory
from kgui.core.runs import RunRecord
from kgui.core.session import Session

from .dialogs import Dialogs
from .exporting import ExportTarget, export_tensorboard_dialog
from .loss_plot import LossPlot
from .lr_range_view import LrRangeView
from .parity_view import ParityView
from .sweep import SweepView

NOTHING_TO_EXPORT = "Start a run first: there is no loss history yet."
LOOKING_EVENTS = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.Wheel})


class View(Enum):
    CENTRAL = "central"      # the main tab in front: loss plot or range test
    PARITY = "parity"


class ExportChoice(QObject):
    """Follows where the user looks (the ``tabs`` holding ``plot``, ``lr_range_view`` and ``sweep_view``, or the
    ``parity_dock`` showing ``parity_view``) and exports it through ``dialogs``; the ``session``'s shown runs go to
    TensorBoard with their layer statistics (``layers_of``). ``parent``: the main window, which holds the docks' tab
    bars."""

    def __init__(self, parent: QWidget, dialogs: Dialogs, session: Session, tabs: QTabWidget, plot: LossPlot,
                 lr_range_view: LrRangeView, sweep_view: SweepView, parity_dock: QDockWidget,
                 parity_view: ParityView, layers_of: Callable[[RunRecord], LayerStatsHistory | None]):
        super().__init__(parent)
        self.dialogs, self.session, self.layers_of = dialogs, session, layers_of
        self.tabs, self.plot, self.lr_range_view, self.sweep_view = tabs, plot, lr_range_view, sweep_view
        self.parity_dock, self.parity_view = parity_dock, parity_view
        self.last_looked_at: View | None = View.CENTRAL
        QApplication.instance().installEventFilter(self)
        parity_dock.visibilityChanged.connect(self._parity_dock_shown)

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
        if widget is self.tabs or self.tabs.isAncestorOf(widget):
            return View.CENTRAL
        if widget is self.parity_dock or self.parity_dock.isAncestorOf(widget):
            return View.PARITY
        if (isinstance(widget, QTabBar) and widget.parent() is self.parent()
                and event.type() == QEvent.Type.MouseButtonPress):
            tab = widget.tabAt(event.position().toPoint())   # the bar of the tabbed docks
            if tab >= 0:
                return View.PARITY if widget.tabText(tab) == self.parity_dock.windowTitle() else None
        return None

    def parity_in_front(self) -> bool:
        """The parity panel holds a comparison and can be seen (its dock is not behind another tab)."""
        view = self.parity_view
        return view.result is not None and view.isVisible() and not view.visibleRegion().isEmpty()

    def target(self) -> ExportTarget | None:
        """What Save/Export writes: the main tab in front (loss plot, range test or sweep) or the parity panel,
        whichever the user is looking at; None when the user was asked and cancelled."""
        if self.tabs.currentWidget() is self.lr_range_view:
            central = self.lr_range_view.export_target()
        elif self.tabs.currentWidget() is self.sweep_view:
            central = self.sweep_view.export_target()
        else:
            records = self.session.export_records()
            central = self.plot.export_target(lambda path: export.export(records, path),
                                              "" if records else NOTHING_TO_EXPORT)
        if not self.parity_in_front() or self.last_looked_at is View.CENTRAL:
            return central
        parity = self.parity_view.export_target()
        if self.last_looked_at is View.PARITY:
            return parity
        names = [central.name[0].upper() + central.name[1:], parity.name[0].upper() + parity.name[1:]]
        name = self.dialogs.choose("Export", "Which view do you want to export?", names)
        if name is None:
            return None
        self.last_looked_at = View.CENTRAL if name == names[0] else View.PARITY
        return central if name == names[0] else parity

    def export(self, first_format: str = "png") -> Path | None:
        """Save/Export: ask where to save what is shown, every format offered, ``first_format`` first."""
        return self.dialogs.export_dialog(self.target(), first_format)

    def export_tensorboard(self) -> Path | None:
        """File → Export to TensorBoard: the shown runs as event files in a folder the user picks."""
        records = self.session.export_records()
        if not records:
            self.dialogs.information("Nothing to export", NOTHING_TO_EXPORT)
            return None
        folder = export_tensorboard_dialog(self.dialogs.parent, records, self.dialogs.export_dir, self.layers_of)
        if folder is not None:
            self.dialogs.export_dir = folder
            self.dialogs.status(f"Wrote {len(records)} runs for TensorBoard: tensorboard --logdir {folder}")
        return folder
