"""A view that draws only while it can be seen: data that arrives while it is hidden (a dock behind another tab) is
drawn when it is shown, so a hidden view costs the GUI thread nothing."""
from __future__ import annotations

from PyQt6.QtWidgets import QWidget


class DrawnWhenShown(QWidget):
    """Base of such a view: a subclass draws in ``_draw`` and calls :meth:`draw_if_shown` when its data changes."""

    def draw_if_shown(self) -> None:
        if self.isVisible():
            self._draw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._draw()

    def _draw(self) -> None:
        raise NotImplementedError
