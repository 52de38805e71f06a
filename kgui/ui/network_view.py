"""The network itself, as TensorFlow Playground draws it (its ``drawNode``, ``updateWeightsUI``, ``updateHoverCard``):
columns of nodes for the inputs (feature names), each hidden layer's neurons and the outputs (class names), links
as wide as |w| and coloured by sign on one shared scale, biases as small squares.

For 2-feature data every neuron is a thumbnail heatmap of its activation over the decision boundary's grid
(hovering one shows it large in the Decision boundary dock); for other data a neuron is coloured by its mean
activation over the validation rows (hovering one shows its histogram). A layer of more than ``MAX_SHOWN`` neurons
shows the ``MAX_SHOWN`` with the largest outgoing weights and "+N more". Clicking a link or a bias shows its
value, its gradient and its history; while the run is paused it can be set (the next step uses it).

Everything is drawn from :class:`kgui.core.training.layer_stats.LayerStats` samples; a sample that arrives while the view is
hidden is drawn when it is shown.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QPointF, Qt, pyqtSignal
from PyQt6.QtGui import (QBrush, QColor, QFontMetricsF, QImage, QPainter, QPainterPath, QPainterPathStroker, QPen,
                         QPixmap)
from PyQt6.QtWidgets import (QGraphicsItem, QGraphicsPathItem, QGraphicsPixmapItem, QGraphicsRectItem,
                             QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView, QHBoxLayout, QLabel, QLineEdit,
                             QPushButton, QVBoxLayout, QWidget)

from kgui.core.training.layer_stats import LayerStats
from kgui.core.training.surface import Surface

from .drawn_when_shown import DrawnWhenShown
from .plot_style import style_plot
from .surface_view import NEGATIVE, POSITIVE, WHITE, surface_colours

MAX_SHOWN = 16          # neurons drawn per layer; the others are counted in "+N more"
MAX_NODE = 36           # a node's side in pixels at most (the Playground's RECT_SIZE is 30) …
MIN_NODE = 10           # … and at least: below it the picture scrolls instead of shrinking
ROW_GAP_SHARE = 0.3     # the gap between two nodes of a column, as a share of a node's side
BIAS_SHARE = 0.25       # a bias square's side, as a share of a node's side
LABEL_GAP = 5           # between a node and its name, in pixels
MAX_LINK_WIDTH = 6.0
MIN_LINK_WIDTH = 0.6
LINK_PICK_WIDTH = 8.0   # a link is picked within this many pixels
THUMBNAIL_STRIDE = 2    # a node's heatmap uses every other point of the 64 × 64 grid (32 × 32, about a node's size)
CURVE_SIZE = 30         # a node's curve (1 feature) is drawn this large, then scaled to the node
DETAIL_PLOT_HEIGHT = 100  # a picked weight's history plot
MIN_PICTURE_HEIGHT = 160  # the picture keeps this height while a pick shows its value, history and Set-weight row


@dataclass(frozen=True)
class Pick:
    """A weight (``parameter`` "W…" with ``index`` (row, column)) or a bias ("b…", (unit,)) picked in the view."""

    parameter: int          # index into LayerStats.parameter_names
    index: tuple[int, ...]


def _share(value: float, scale: float) -> float:
    """|value| as a share of ``scale``, from 0 to 1; 0 when that is no number (a diverged run's NaN or infinite
    weights)."""
    share = abs(value) / scale if scale > 0 else 0.0
    return 0.0 if math.isnan(share) else min(share, 1.0)


def sign_colour(value: float, scale: float, alpha: int = 255) -> QColor:
    """Orange for positive, blue for negative (the decision boundary's colours), paler the smaller |value| is."""
    rgb = WHITE + ((POSITIVE if value >= 0 else NEGATIVE) - WHITE) * (0.25 + 0.75 * _share(value, scale))
    return QColor(int(rgb[0]), int(rgb[1]), int(rgb[2]), alpha)


def link_width(weight: float, scale: float) -> float:
    """A link's width: proportional to |w| on the shared ``scale`` (the largest |w| shown)."""
    return MIN_LINK_WIDTH + (MAX_LINK_WIDTH - MIN_LINK_WIDTH) * _share(weight, scale)


def shown_units(weights: list[np.ndarray], layer: int) -> np.ndarray:
    """The units of column ``layer`` (0: inputs) drawn: all, or the ``MAX_SHOWN`` with the largest outgoing
    weights (sum of |w|; the outputs: incoming), in their order."""
    matrices = weights[::2]
    width = matrices[0].shape[0] if layer == 0 else matrices[layer - 1].shape[1]
    if width <= MAX_SHOWN:
        return np.arange(width)
    strength = (np.abs(matrices[layer]).sum(axis=1) if layer < len(matrices)
                else np.abs(matrices[layer - 1]).sum(axis=0))
    return np.sort(np.argsort(-strength, kind="stable")[:MAX_SHOWN])


def heatmap_pixmap(values: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> QPixmap:
    """A grid of values (rows: ys ascending) as a pixmap, up the right way (the surface's colours)."""
    rgba = np.ascontiguousarray(surface_colours(Surface(xs, ys, values.astype(np.float32), "regression"))[::-1])
    image = QImage(rgba.data, rgba.shape[1], rgba.shape[0], rgba.strides[0], QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(image.copy())


def curve_pixmap(values: np.ndarray) -> QPixmap:
    """A curve of ``values`` (along one feature) filling a node, orange above zero and blue below, on white."""
    size = CURVE_SIZE
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor("white"))
    low, high = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
    span = high - low or 1.0
    xs = np.linspace(1, size - 2, len(values))
    ys = (size - 2) - (values - low) / span * (size - 3)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    zero = (size - 2) - (0 - low) / span * (size - 3)
    painter.setPen(QPen(QColor(200, 200, 200), 1))
    painter.drawLine(QPointF(0, zero), QPointF(size, zero))
    mean = float(values.mean())
    painter.setPen(QPen(sign_colour(1.0 if mean >= 0 else -1.0, 1.0), 1.6))
    path = QPainterPath(QPointF(xs[0], ys[0]))
    for x, y in zip(xs[1:], ys[1:]):
        path.lineTo(QPointF(x, y))
    painter.drawPath(path)
    painter.end()
    return pixmap


class _Node(QGraphicsRectItem):
    """A neuron (or an input, an output): a square of ``side`` pixels showing its face (a heatmap, a curve) or a
    colour, with its name beside it (inputs, outputs) and its bias square (hidden layers, outputs)."""

    def __init__(self, view: "NetworkView", column: int, unit: int):
        super().__init__(0, 0, MAX_NODE, MAX_NODE)
        self.view, self.column, self.unit = view, column, unit
        self.setPen(QPen(QColor(90, 90, 90), 1))
        self.setBrush(QBrush(QColor(235, 235, 235)))
        self.setAcceptHoverEvents(True)
        self.thumbnail = QGraphicsPixmapItem(self)
        self.thumbnail.setPos(1, 1)
        self.thumbnail.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.label: QGraphicsSimpleTextItem | None = None
        self.bias: _Bias | None = None

    def set_face(self, pixmap: QPixmap) -> None:
        """The node's picture, scaled to fill it (now and at each later size)."""
        self.thumbnail.setPixmap(pixmap)
        self._scale_face()

    def set_side(self, side: float) -> None:
        self.setRect(0, 0, side, side)
        self._scale_face()
        if self.bias is not None:
            self.bias.fit(side)
        if self.label is not None:
            height = self.label.boundingRect().height()
            x = -self.label.boundingRect().width() - LABEL_GAP if self.column == 0 else side + LABEL_GAP
            self.label.setPos(x, (side - height) / 2)

    def _scale_face(self) -> None:
        pixmap = self.thumbnail.pixmap()
        if not pixmap.isNull():
            self.thumbnail.setScale((self.rect().width() - 2) / pixmap.width())

    def hoverEnterEvent(self, event) -> None:
        self.setPen(QPen(QColor(0, 0, 0), 2))
        self.view.hover_node(self.column, self.unit)

    def hoverLeaveEvent(self, event) -> None:
        self.setPen(QPen(QColor(90, 90, 90), 1))
        self.view.hover_node(None, None)


class _Pickable:
    """A link or a bias square: clicking it picks its weight."""

    def mousePressEvent(self, event) -> None:
        self.view.pick(self.picks)


class _Link(_Pickable, QGraphicsPathItem):
    def __init__(self, view: "NetworkView", picks: Pick):
        super().__init__()
        self.view, self.picks = view, picks
        self._shape = QPainterPath()
        self.setZValue(-1)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def join(self, start: QPointF, end: QPointF) -> None:
        """Curve from ``start`` to ``end`` (a node's right side to the next column's node's left side)."""
        path = QPainterPath(start)
        middle = (start.x() + end.x()) / 2
        path.cubicTo(QPointF(middle, start.y()), QPointF(middle, end.y()), end)
        self.setPath(path)
        stroker = QPainterPathStroker()
        stroker.setWidth(LINK_PICK_WIDTH)
        self._shape = stroker.createStroke(path)

    def shape(self) -> QPainterPath:
        return self._shape


class _Bias(_Pickable, QGraphicsRectItem):
    def __init__(self, view: "NetworkView", picks: Pick, parent: QGraphicsItem):
        super().__init__(parent)
        self.view, self.picks = view, picks
        self.setPen(QPen(QColor(90, 90, 90), 0.5))
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def fit(self, node_side: float) -> None:
        """At the bottom left of its node, outside it."""
        side = max(4.0, BIAS_SHARE * node_side)
        self.setRect(-side - 2, node_side - side, side, side)


class NetworkView(DrawnWhenShown):
    """The network of one run's latest sample: :meth:`show_stats`, then again with each new sample."""

    neuron_hovered = pyqtSignal(object, str)     # a Surface to show large (None: stop), and its caption
    edit_requested = pyqtSignal(str, tuple, float)   # parameter name, index, value

    def __init__(self, can_edit: Callable[[], bool] = lambda: False, parent=None):
        """``can_edit()``: a picked weight may be set now (the live run is paused); never, by default."""
        super().__init__(parent)
        self.caption = QLabel("Train a model to see its network.")
        self.caption.setWordWrap(True)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        for label in (self.caption, self.legend):    # small: the picture gets the dock's height
            font = label.font()
            font.setPointSizeF(font.pointSizeF() * 0.85)
            label.setFont(font)
        self.scene = QGraphicsScene(self)
        # drawn in the view's own pixels, never scaled: the names keep the window's font size however small the
        # dock, and the nodes shrink to fit it (to MIN_NODE; then the picture scrolls)
        self.graphics = QGraphicsView(self.scene)
        self.graphics.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.graphics.setBackgroundBrush(QBrush(QColor("white")))
        self.graphics.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.graphics.installEventFilter(self)      # its resizes lay the picture out again
        self.graphics.setMinimumHeight(MIN_PICTURE_HEIGHT)   # the dock grows for a pick's details, not crushing it
        self.detail = QLabel()        # a picked weight's value and gradient, a hovered neuron's (shown then)
        self.detail.setWordWrap(True)
        self.detail.hide()
        self.detail_plot = pg.PlotWidget(background="w")
        self.detail_plot.setMenuEnabled(False)
        self.detail_plot.setFixedHeight(DETAIL_PLOT_HEIGHT)   # readable, and never more than the picture's share
        style_plot(self.detail_plot.getPlotItem())
        self.detail_curve = self.detail_plot.plot(pen=pg.mkPen("#333", width=1.5))
        self.value_box = QLineEdit()
        self.value_box.setPlaceholderText("new value")
        self.value_box.setMaximumWidth(110)
        self.set_button = QPushButton("Set weight")
        self.set_button.setToolTip("While the run is paused: set the picked weight; the next step uses it")
        self.set_button.clicked.connect(self._request_edit)
        self.value_box.returnPressed.connect(self._request_edit)
        self.detail_plot.hide()                  # until a weight is picked or a neuron hovered
        self.editing = QWidget()
        editing = QHBoxLayout(self.editing)
        editing.setContentsMargins(0, 0, 0, 0)
        editing.addWidget(self.value_box)
        editing.addWidget(self.set_button)
        editing.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.caption)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.detail)
        layout.addWidget(self.detail_plot)
        layout.addWidget(self.editing)
        self.editing.hide()
        self.stats: LayerStats | None = None
        self.history = None                  # the run's LayerStatsHistory (for a weight's history)
        self.feature_names: tuple[str, ...] = ()
        self.class_names: tuple[str, ...] = ()
        self.can_edit = can_edit
        self.picked: Pick | None = None
        self.nodes: list[dict[int, _Node]] = []     # per column: unit -> node
        self.links: dict[tuple[int, int, int], _Link] = {}   # (matrix, row, column) -> link
        self.biases: dict[tuple[int, int], _Bias] = {}       # (layer, unit) -> bias square
        self.more: list[int] = []                   # per column, neurons not drawn
        self.headers: list[QGraphicsSimpleTextItem] = []    # per column, its title
        self.more_labels: dict[int, QGraphicsSimpleTextItem] = {}   # column -> its "+N more"
        self.link_scale = 0.0
        self._structure: tuple | None = None
        self._drawn: LayerStats | None = None
        self._update_editing()

    # -- data ----------------------------------------------------------------------------------------------------

    def clear(self, text: str) -> None:
        self._clear_scene()
        self.stats = self._drawn = self.history = None
        self._structure, self.picked = None, None
        self.caption.setText(text)
        self.legend.clear()
        self.legend.setToolTip("")
        self.detail.clear()
        self.detail.hide()
        self.detail_curve.setData([], [])
        self.detail_plot.hide()
        self.editing.hide()
        self._update_editing()

    def show_stats(self, stats: LayerStats, history=None, feature_names=(), class_names=(), caption: str = "") -> None:
        """Draw ``stats`` (a run's latest sample; ``history`` its LayerStatsHistory); the inputs and outputs are
        named by ``feature_names`` and ``class_names`` (x1…, y1… when not given)."""
        self.stats, self.history = stats, history
        self.feature_names, self.class_names = tuple(feature_names), tuple(class_names)
        self.caption.setText(caption)
        self.draw_if_shown()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.graphics and event.type() == QEvent.Type.Resize:
            self._lay_out()
        return False

    # -- drawing -------------------------------------------------------------------------------------------------

    def _draw(self) -> None:
        stats = self.stats
        if stats is None or stats is self._drawn or not stats.weights:
            return
        self._drawn = stats
        weights = list(stats.weights)
        structure = (stats.layer_widths, stats.parameter_names, self.feature_names, self.class_names,
                     stats.grid_xs is not None)
        if structure != self._structure:
            self._build(weights)
            self._structure = structure
        self._update(stats)
        if self.picked is not None:
            self.pick(self.picked)

    def _clear_scene(self) -> None:
        self.scene.clear()
        self.nodes, self.links, self.biases, self.more, self.headers, self.more_labels = [], {}, {}, [], [], {}

    def _build(self, weights: list[np.ndarray]) -> None:
        """Nodes, names, links and bias squares for the model's shapes (the units drawn chosen now, kept for the
        run), then laid out in the view."""
        self._clear_scene()
        widths = self.stats.layer_widths
        font = self.font()
        for column in range(len(widths)):
            units = shown_units(weights, column)
            nodes = {}
            for unit in map(int, units):
                node = _Node(self, column, unit)
                self.scene.addItem(node)
                nodes[unit] = node
                label = self._label(column, unit, len(widths))
                if label:
                    node.label = QGraphicsSimpleTextItem(label, node)
                    node.label.setFont(font)
                if column > 0:
                    node.bias = self.biases[(column, unit)] = _Bias(self, Pick(2 * column - 1, (unit,)), node)
            self.nodes.append(nodes)
            hidden = widths[column] - len(units)
            self.more.append(hidden)
            if hidden:
                self.more_labels[column] = self.scene.addSimpleText(f"+{hidden} more", font)
            self.headers.append(self.scene.addSimpleText(self._column_title(column, len(widths)), font))
        for matrix in range(len(widths) - 1):
            for row in self.nodes[matrix]:
                for column in self.nodes[matrix + 1]:
                    link = _Link(self, Pick(2 * matrix, (row, column)))
                    self.scene.addItem(link)
                    self.links[(matrix, row, column)] = link
        self._lay_out()

    def _lay_out(self) -> None:
        """Place the drawn network in the view's pixels: the names at the font's size around it, the nodes as
        large as the height allows (MIN_NODE … MAX_NODE), the columns spread over the width; what does not fit
        scrolls."""
        if not self.nodes:
            return
        space = self.graphics.maximumViewportSize()      # without scroll bars (else showing one would re-lay out)
        line = QFontMetricsF(self.font()).height()
        tallest = max(len(nodes) for nodes in self.nodes)
        top = line + 4                                   # the column titles
        bottom = line + 4 if self.more_labels else 2     # "+N more" under a column
        left, right = (max((node.label.boundingRect().width() for node in nodes.values() if node.label), default=0)
                       + LABEL_GAP + 4 for nodes in (self.nodes[0], self.nodes[-1]))
        # names beside the nodes are a line tall: rows closer than that would overlap them
        fitting = (space.height() - top - bottom) / (tallest + (tallest - 1) * ROW_GAP_SHARE)
        least = max(MIN_NODE, line / (1 + ROW_GAP_SHARE))
        side = min(MAX_NODE, max(fitting, least))
        pitch = side * (1 + ROW_GAP_SHARE)
        height = top + tallest * pitch - side * ROW_GAP_SHARE + bottom
        scrolls = fitting < least
        width = space.width() - (self.graphics.verticalScrollBar().sizeHint().width() if scrolls else 0)
        columns = len(self.nodes)
        least_step = max(header.boundingRect().width() for header in self.headers) + 8
        step = max(least_step, 2 * side, (width - left - right - side) / max(columns - 1, 1))
        height = height if scrolls else space.height()
        middle = height / 2 + (top - bottom) / 2
        for column, nodes in enumerate(self.nodes):
            x = left + column * step
            y = middle - (len(nodes) * pitch - side * ROW_GAP_SHARE) / 2
            for row, node in enumerate(nodes.values()):
                node.set_side(side)
                node.setPos(x, y + row * pitch)
            header = self.headers[column]
            header.setPos(x + side / 2 - header.boundingRect().width() / 2,
                          middle - (tallest * pitch - side * ROW_GAP_SHARE) / 2 - line - 4)
            if column in self.more_labels:
                more = self.more_labels[column]
                more.setPos(x + side / 2 - more.boundingRect().width() / 2,
                            y + len(nodes) * pitch - side * ROW_GAP_SHARE + 2)
        for (matrix, row, column), link in self.links.items():
            source, target = self.nodes[matrix][row], self.nodes[matrix + 1][column]
            link.join(source.pos() + QPointF(side, side / 2), target.pos() + QPointF(0, side / 2))
        needed = left + (columns - 1) * step + side + right
        self.scene.setSceneRect(0, 0, max(width, math.floor(needed)), height)

    def _label(self, column: int, unit: int, columns: int) -> str:
        if column == 0:
            return self.feature_names[unit] if unit < len(self.feature_names) else f"x{unit + 1}"
        if column == columns - 1:
            return self.class_names[unit] if unit < len(self.class_names) else f"y{unit + 1}"
        return ""

    @staticmethod
    def _column_title(column: int, columns: int) -> str:
        if column == 0:
            return "inputs"
        return "outputs" if column == columns - 1 else f"layer {column}"

    def _update(self, stats: LayerStats) -> None:
        """Link pens, bias colours and node faces from the sample."""
        weights = stats.weights
        shown = [weights[2 * matrix][row, column] for matrix, row, column in self.links]
        self.link_scale = float(np.max(np.abs(shown))) if shown else 0.0
        for (matrix, row, column), link in self.links.items():
            value = float(weights[2 * matrix][row, column])
            # opaque: a translucent wide curve costs the raster engine ~5 times as much to paint
            pen = QPen(sign_colour(value, self.link_scale), link_width(value, self.link_scale))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            link.setPen(pen)
        bias_scale = max((float(np.abs(weights[2 * layer - 1]).max()) for layer in range(1, len(self.nodes))),
                         default=0.0)
        for (layer, unit), square in self.biases.items():
            square.setBrush(QBrush(sign_colour(float(weights[2 * layer - 1][unit]), bias_scale)))
        self._update_nodes(stats)
        # one line, so the picture keeps the dock's height; the rest in its tooltip
        self.legend.setText(
            f"<span style='color:rgb({POSITIVE[0]:.0f},{POSITIVE[1]:.0f},{POSITIVE[2]:.0f})'>■ w &gt; 0</span> "
            f"<span style='color:rgb({NEGATIVE[0]:.0f},{NEGATIVE[1]:.0f},{NEGATIVE[2]:.0f})'>■ w &lt; 0</span>"
            f" · thickest |w| {self.link_scale:.3g} · click a link: its history")
        self.legend.setToolTip(f"Links: width ∝ |w|, the thickest |w| = {self.link_scale:.3g}, orange w > 0, "
                               f"blue w < 0 · small squares: biases · {self._node_legend(stats)} · click a link or a "
                               "bias: its value, gradient and history")

    @staticmethod
    def _node_legend(stats: LayerStats) -> str:
        if stats.neuron_grids and stats.grid_ys is None:
            return "neurons: output along the feature (hover: larger)"
        if stats.neuron_grids:
            return "neurons: output over the plane (hover: in Decision boundary)"
        return "neurons: mean activation (hover: histogram)"

    def _update_nodes(self, stats: LayerStats) -> None:
        grids = self._grids(stats)
        columns = len(self.nodes)
        for column, nodes in enumerate(self.nodes):
            if grids is not None and stats.grid_ys is None:    # 1 feature: each node a curve along it
                for unit, node in nodes.items():
                    node.set_face(curve_pixmap(grids[column][:, unit]))
                continue
            if grids is not None:
                for unit, node in nodes.items():
                    grid = grids[column][::THUMBNAIL_STRIDE, ::THUMBNAIL_STRIDE, unit]   # about the node's size
                    node.set_face(heatmap_pixmap(grid, stats.grid_xs[::THUMBNAIL_STRIDE],
                                                 stats.grid_ys[::THUMBNAIL_STRIDE]))
                continue
            means = stats.neuron_means[column - 1] if 0 < column < columns - 1 and stats.neuron_means else None
            scale = float(np.abs(means).max()) if means is not None and len(means) else 0.0
            for unit, node in nodes.items():
                colour = QColor(235, 235, 235) if means is None else sign_colour(float(means[unit]), scale)
                node.setBrush(QBrush(colour))

    def _grids(self, stats: LayerStats) -> list[np.ndarray] | None:
        """Each column's grids over the plane, or along the one feature (inputs: the model's inputs there; outputs:
        from the last hidden layer's grid and the output weights, softmaxed for classification), or None."""
        if stats.grid_xs is None or not stats.neuron_grids:
            return None
        inputs = stats.input_grid
        logits = stats.neuron_grids[-1] @ stats.weights[-2] + stats.weights[-1]
        if len(self.class_names) > 0:
            logits = np.exp(logits - logits.max(axis=-1, keepdims=True))
            logits = 2 * logits / logits.sum(axis=-1, keepdims=True) - 1   # probability, as -1 … 1
        return [inputs, *stats.neuron_grids, logits]

    # -- hovering, picking, editing -----------------------------------------------------------------------------

    def hover_node(self, column: int | None, unit: int | None) -> None:
        """Hovering a neuron: its heatmap large in the Decision boundary dock (2 features), or its histogram."""
        stats = self.stats
        if column is None or stats is None:
            self.neuron_hovered.emit(None, "")
            return
        grids = self._grids(stats)
        name = self._describe_node(column, unit)
        if grids is not None and stats.grid_ys is None:
            self._say(f"{name}: its output along {self._label(0, 0, len(self.nodes))}")
            self.detail_curve.setData(stats.grid_xs, grids[column][:, unit], stepMode=None, fillLevel=None, brush=None)
            self.detail_plot.show()
        elif grids is not None:
            self.neuron_hovered.emit(Surface(stats.grid_xs, stats.grid_ys, grids[column][..., unit].astype(np.float32),
                                             "regression"), name)
        elif 0 < column < len(self.nodes) - 1 and stats.neuron_histograms:
            counts = stats.neuron_histograms[column - 1][unit]
            low, high = stats.histogram_range
            edges = np.linspace(low, high, len(counts) + 1)
            self._say(f"{name}: mean activation {stats.neuron_means[column - 1][unit]:.4g} over the "
                                f"validation rows (histogram)")
            self.detail_curve.setData(edges, counts, stepMode="center", fillLevel=0, brush=(120, 120, 120, 120))
            self.detail_plot.show()

    def _say(self, text: str) -> None:
        self.detail.setText(text)
        self.detail.show()

    def _describe_node(self, column: int, unit: int) -> str:
        if column == 0:
            return f"input {self._label(column, unit, len(self.nodes))}"
        if column == len(self.nodes) - 1:
            return f"output {self._label(column, unit, len(self.nodes))}"
        return f"layer {column} neuron {unit + 1}"

    def pick(self, pick: Pick) -> None:
        """Show a weight's value, gradient and history over the samples."""
        stats = self.stats
        if stats is None or not stats.weights:
            return
        self.picked = pick
        name = stats.parameter_names[pick.parameter]
        value = float(stats.weights[pick.parameter][pick.index])
        gradient = float(stats.gradients[pick.parameter][pick.index])
        where = ",".join(map(str, pick.index))
        if len(pick.index) == 2:
            layer = pick.parameter // 2
            meaning = f"{self._describe_node(layer, pick.index[0])} → {self._describe_node(layer + 1, pick.index[1])}"
        else:
            meaning = f"bias of {self._describe_node(pick.parameter // 2 + 1, pick.index[0])}"
        self._say(f"{name}[{where}] ({meaning}) = {value:.4g} · gradient {gradient:.3g} at step "
                            f"{stats.step}")
        if self.history is not None and self.history.snapshots and self.history.snapshots[0].weights:
            steps, values = self.history.weight_history(pick.parameter, pick.index)
            self.detail_curve.setData(steps, values, stepMode=None, fillLevel=None, brush=None)
            self.detail_plot.show()
        self.editing.show()
        if not self.value_box.hasFocus():
            self.value_box.setText(f"{value:.4g}")
        self._update_editing()

    def _update_editing(self) -> None:
        allowed = self.picked is not None and self.can_edit()
        self.set_button.setEnabled(allowed)
        self.value_box.setEnabled(allowed)

    def update_editing(self) -> None:
        """Whether weights can be set now changed (the run paused, resumed or ended)."""
        self._update_editing()

    def _request_edit(self) -> None:
        if self.picked is None or self.stats is None or not self.can_edit():
            return
        try:
            value = float(self.value_box.text())
        except ValueError:
            self._say(f"“{self.value_box.text()}” is not a number")
            return
        if not np.isfinite(value):
            self._say("a weight must be a finite number")
            return
        name = self.stats.parameter_names[self.picked.parameter]
        self.edit_requested.emit(name, self.picked.index, value)
        self._say(f"{name}[{','.join(map(str, self.picked.index))}] will be {value:g} from the next step")
