"""Learning-rate markers: a dotted vertical line where a run's (base) rate changed, labelled with the new rate.

The plot draws the changes it is given (the trainer's, or a saved run's ``lr_changes``); it never reads them back from
the steps' rates."""
from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import Qt

from .curves import Panel, RunCurves
from .rate_label import RateLabel, place_labels

MERGE_SHARE = 100   # changes closer than this share of a run's steps (3 at least) share one marker: a drag is a gesture


def marker_text(run: RunCurves, rate: float) -> str:
    """"lr 0.1", or "base lr 0.1" for a scheduled run (the rate its schedule is scaled by)."""
    return f"{'base ' if run.schedule is not None else ''}lr {rate:.3g}"


def mark_rate_change(run: RunCurves, panel: Panel, step: int, rate: float, x: float) -> None:
    """A vertical line at ``step`` (drawn at ``x``), labelled with ``rate``; changes within a few steps of the last
    marker move its label to the newest rate."""
    merge_distance = max(3, run.buffer.size // MERGE_SHARE)
    if run.markers and step - run.markers[-1][0] <= merge_distance:
        first_step, _, line = run.markers[-1]
        run.markers[-1] = (first_step, rate, line)
        line.label.setFormat(marker_text(run, rate))
        return
    line = pg.InfiniteLine(pos=x, angle=90, movable=False,
                           pen=pg.mkPen(run.color, width=1, style=Qt.PenStyle.DotLine))
    line.label = RateLabel(line, marker_text(run, rate), run.color, panel.legend, panel.rate_labels)
    line.setZValue(5)
    line.setVisible(run.visible)
    panel.item.addItem(line, ignoreBounds=True)
    run.markers.append((step, rate, line))
    place_labels(panel.rate_labels)


def remove_markers(run: RunCurves, panel: Panel) -> None:
    """Take the run's markers off its panel (the other runs' labels take their room back)."""
    for *_, line in run.markers:
        panel.item.removeItem(line)
        line.label.remove()
    run.markers.clear()


def show_markers(run: RunCurves, panel: Panel, visible: bool) -> None:
    """Show or hide the run's markers (a hidden one's label takes no room)."""
    for *_, line in run.markers:
        line.setVisible(visible)
    place_labels(panel.rate_labels)


def marker_labels(run: RunCurves | None) -> list[tuple[int, str]]:
    """(step, label) of each of ``run``'s markers, oldest first."""
    return [] if run is None else [(step, line.label.format) for step, _, line in run.markers]
