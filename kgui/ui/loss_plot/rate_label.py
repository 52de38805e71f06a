"""A learning-rate marker's label, which keeps inside the view and out from under the legend."""
from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF
from PyQt6.QtGui import QColor


class RateLabel(pg.InfLineLabel):
    """A learning-rate marker's label: near the top of its line, inside the view (a short panel would cut it off),
    and just under the legend where it would cover it."""

    GAP = 3      # pixels between the legend and a label moved under it

    def __init__(self, line: pg.InfiniteLine, text: str, color: str, legend: pg.LegendItem):
        self.legend = legend    # before InfLineLabel's constructor, which places the label
        super().__init__(line, text=text, position=0.92, anchors=[(0, 1), (0, 1)], color=color,
                         fill=QColor(255, 255, 255, 210))
        legend.geometryChanged.connect(self.updatePosition)

    def updatePosition(self) -> None:
        super().updatePosition()
        view = self.getViewBox()
        if not isinstance(view, pg.ViewBox) or not self.isVisible():     # not (or no longer) on a plot
            return
        size = self.textItem.boundingRect().size()      # pixels: a TextItem is not scaled with the view
        corner = self.line.mapToScene(self.pos())       # the label's anchor point: its bottom left
        placed_top = corner.y() - size.height() * self.anchor.y()
        label = QRectF(corner.x() - size.width() * self.anchor.x(), max(placed_top, view.sceneBoundingRect().top()),
                       size.width(), size.height())
        legend = self.legend.sceneBoundingRect()
        if self.legend.isVisible() and self.legend.items and label.intersects(legend):
            label.moveTop(legend.bottom() + self.GAP)
        if label.top() != placed_top:
            self.setPos(self.line.mapFromScene(QPointF(corner.x(), label.top() + size.height() * self.anchor.y())))
