"""The Sweep tab's metric-vs-parameter scatter on a log axis: its tick labels never overlap (pyqtgraph draws every
sub-decade label 0.02 … 0.09, which ran into each other at the tab's usual width)."""
import pytest
from PyQt6.QtGui import QImage, QPainter

from kgui.core.sweeps.table import AxisScale, ScaleKind
from kgui.ui.sweep.scatter import MetricScatter


def drawn_rate_labels(qtbot, low: float, high: float, width: int) -> list:
    """The bottom axis's drawn labels (rect, flags, text) of a ``width`` px scatter of rates ``low`` … ``high``."""
    scatter = MetricScatter()
    qtbot.addWidget(scatter)
    scatter.resize(width, 330)
    scatter.show()
    values = [low, (low * high) ** 0.5, high]
    scatter.set_points(AxisScale("learning_rate", ScaleKind.LOG, low, high), values, "final_val_loss", [0.7, 0.69, 0.9],
                       ["a", "b", "c"])
    axis = scatter.item.getAxis("bottom")
    scatter.item.autoRange()
    qtbot.waitUntil(lambda: axis.width() > 200)
    qtbot.wait(50)
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    _, _, texts = axis.generateDrawSpecs(painter)
    painter.end()
    return texts


@pytest.mark.parametrize("low, high", [(0.01, 1.0), (0.001, 0.3), (0.02, 0.09)])
@pytest.mark.parametrize("width", [340, 500])
def test_log_axis_tick_labels_never_overlap(qtbot, low, high, width):
    texts = drawn_rate_labels(qtbot, low, high, width)
    rects = [rect for rect, _, _ in texts]
    assert rects                                                # still labelled
    assert not [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:] if a.intersects(b)], \
        [text for _, _, text in texts]


@pytest.mark.parametrize("width", [300, 340])
def test_a_decade_label_is_kept_before_the_labels_around_it(qtbot, width):
    """Rates 0.01 … 0.3 at the tab's narrow widths: 0.1 is labelled, and 0.08 or 0.2 give way to it (0.1 went)."""
    labels = [text for _, _, text in drawn_rate_labels(qtbot, 0.01, 0.3, width)]
    assert "0.1" in labels, labels


@pytest.mark.parametrize("width", [300, 340, 500])
def test_a_single_rates_tick_labels_keep_a_gap_between_them(qtbot, width):
    """A sweep's first trial (one rate, 0.001): the axis spans 0.0004 … 0.002 and its labels 0.0004 and 0.0005 were
    drawn touching, read as "0.00040.0005"."""
    texts = drawn_rate_labels(qtbot, 0.001, 0.001, width)
    rects = sorted((rect for rect, _, _ in texts), key=lambda rect: rect.left())
    assert len(rects) >= 2
    gaps = [right.left() - left.right() for left, right in zip(rects, rects[1:])]
    assert min(gaps) >= 6, ([text for _, _, text in texts], gaps)
