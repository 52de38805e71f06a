"""One line of text that changes often (a sweep's progress, its summary) without laying the window out again."""
from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QPainter, QPalette
from PyQt6.QtWidgets import QSizePolicy, QWidget

LINE_PADDING = 2    # px above and below the text together


class TextLine(QWidget):
    """A line of text, cut with "…" where it does not fit (whole in its tooltip). Unlike a QLabel, a new text is
    only repainted: a QLabel's ``setText`` asks its layout again, and that request climbs to the main window,
    whose layout then repaints the whole tab (the plots included: 10-30 ms a frame while a sweep's trials end).
    Its size does not depend on its text: one line high, as wide as the layout makes it."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._text = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:   # noqa: N802 - QLabel's name, so the two read alike
        if text != self._text:
            self._text = text
            self._explain_cut()
            self.update()

    def sizeHint(self) -> QSize:   # noqa: N802 - Qt's
        return QSize(1, self.fontMetrics().height() + LINE_PADDING)

    def minimumSizeHint(self) -> QSize:   # noqa: N802 - Qt's
        return self.sizeHint()

    def resizeEvent(self, event) -> None:   # noqa: N802 - Qt's
        self._explain_cut()
        super().resizeEvent(event)

    def _explain_cut(self) -> None:
        """The whole text as the tooltip when it is cut, none when it fits."""
        self.setToolTip(self._text if self.fontMetrics().horizontalAdvance(self._text) > self.width() else "")

    def paintEvent(self, event) -> None:   # noqa: N802 - Qt's
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        text = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
