"""A learning-rate marker's label, which keeps inside the view, out from under the legend and off the other labels."""
from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF
from PyQt6.QtGui import QColor

POSITION = 0.92     # along the line, from the bottom of the view: near the top


class RateLabel(pg.InfLineLabel):
    """A learning-rate marker's label: near the top of its line, inside the view (a short panel would cut it off),
    just under the legend where it would cover it, and under the labels left of it that it would cover (changes a
    few steps apart, or two runs' at one step, are stacked).

    ``neighbours`` is the list of every rate label of the panel, this one included: each label places itself from
    all of theirs, so the order in which the view updates them does not matter."""

    GAP = 3      # pixels between the legend, or a label, and a label moved under it

    def __init__(self, line: pg.InfiniteLine, text: str, color: str, legend: pg.LegendItem,
                 neighbours: list[RateLabel]):
        self.legend = legend    # before InfLineLabel's constructor, which places the label
        self.neighbours = neighbours
        neighbours.append(self)
        super().__init__(line, text=text, position=POSITION, anchors=[(0, 1), (0, 1)], color=color,
                         fill=QColor(255, 255, 255, 210))
        legend.geometryChanged.connect(self.updatePosition)

    def setFormat(self, text: str) -> None:
        """A new text (a merged change's rate): its width may move its neighbours."""
        super().setFormat(text)
        place_labels(self.neighbours)

    def remove(self) -> None:
        """The marker is gone: its neighbours take the room back."""
        self.neighbours.remove(self)
        place_labels(self.neighbours)

    def _natural_rect(self, view: pg.ViewBox) -> QRectF:
        """Where this label goes with no other label about (scene coordinates): near the top of its line, inside
        the view, under the legend where it would cover it."""
        size = self.textItem.boundingRect().size()      # pixels: a TextItem is not scaled with the view
        area = view.sceneBoundingRect()
        x = view.mapViewToScene(QPointF(self.line.value(), 0)).x()
        bottom = area.bottom() - POSITION * area.height()   # the anchor: the label's bottom left
        label = QRectF(x, max(bottom - size.height(), area.top()), size.width(), size.height())
        legend = self.legend.sceneBoundingRect()
        if self.legend.isVisible() and self.legend.items and label.intersects(legend):
            label.moveTop(legend.bottom() + self.GAP)
        return label

    def updatePosition(self) -> None:
        super().updatePosition()
        view = self.getViewBox()
        if not isinstance(view, pg.ViewBox) or not self.isVisible():     # not (or no longer) on a plot
            return
        shown = sorted((label for label in self.neighbours if label.isVisible() and label.getViewBox() is view),
                       key=lambda label: label.line.value())
        placed: list[QRectF] = []
        mine = None
        for label in shown:      # left to right: each goes under those placed that it would cover
            rect = label._natural_rect(view)
            while covered := [other for other in placed if rect.intersects(other)]:
                rect.moveTop(max(other.bottom() for other in covered) + self.GAP)
            if rect.bottom() > view.sceneBoundingRect().bottom():   # no room left under them: inside the view
                rect.moveBottom(view.sceneBoundingRect().bottom())
            placed.append(rect)
            if label is self:
                mine = rect
                break
        corner = self.line.mapToScene(self.pos())
        size = self.textItem.boundingRect().size()
        placed_top = corner.y() - size.height() * self.anchor.y()
        if mine is not None and mine.top() != placed_top:
            self.setPos(self.line.mapFromScene(QPointF(corner.x(), mine.top() + size.height() * self.anchor.y())))


def place_labels(labels: list[RateLabel]) -> None:
    """Place each of a panel's labels again (one was added, removed, shown, hidden or changed its text)."""
    for label in labels:
        label.updatePosition()
