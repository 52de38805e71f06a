"""The live decision boundary (2-feature classification) or predicted surface (2-feature regression): a heatmap
of a :class:`kgui.core.training.surface.Surface` with the training (filled) and validation (hollow) points on top.

The surfaces are computed on the training thread; this view only colours a small grid (64 × 64) and
keeps the points, which it draws once per run: they are painted from a cached picture while the heatmap
under them changes, and a surface that arrives while the view is hidden (another dock in front) is
coloured only when it is shown.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QShowEvent
from PyQt6.QtWidgets import QCheckBox, QGraphicsItem, QLabel, QVBoxLayout, QWidget

from kgui.core.session import RunStarted, Session, SurfaceComputed
from kgui.core.training.surface import SavedSurface, Surface, has_surface, plane_bounds, plane_points

from .names import dataset_title
from .plot_style import style_plot

COLOUR_LEVELS = 32      # a regression target's points are coloured in this many shades each side of zero
NEGATIVE = np.array([8, 119, 189], dtype=np.float64)     # the Playground's blue
POSITIVE = np.array([245, 147, 34], dtype=np.float64)    # and orange
WHITE = np.array([255, 255, 255], dtype=np.float64)
CLASS_COLOURS = np.array([pg.intColor(i, hues=10).getRgb()[:3] for i in range(10)], dtype=np.float64)
SHADE = 0.55    # how strongly the heatmap is coloured at full confidence (the points stay readable)


def _blend(towards: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """White blended towards ``towards`` (…, 3) by ``amount`` (…) in 0 … 1."""
    return WHITE + (towards - WHITE) * amount[..., None]


def surface_colours(surface: Surface, discretize: bool = False) -> np.ndarray:
    """RGBA uint8 (rows, columns, 4) colours of a surface: blue ↔ orange for two classes and for regression
    (by sign and size of the value), a colour per class shaded by its probability for more. ``discretize``
    (Playground's Discretize output): only the predicted class, or the sign of the value, at full shade."""
    # a diverged model predicts NaN or inf: white there
    if surface.task == "classification" and surface.n_classes == 2:
        signed = np.clip(_finite(surface.values, 0.5) * 2 - 1, -1, 1)   # P(second class) → -1 … 1
    elif surface.task == "classification":
        colours = CLASS_COLOURS[surface.classes % len(CLASS_COLOURS)]
        confidence = _finite(surface.confidence, 1 / surface.n_classes)
        amount = SHADE * np.clip((confidence - 1 / surface.n_classes) / (1 - 1 / surface.n_classes), 0, 1)
        if discretize:
            amount = np.where(np.isfinite(surface.confidence), SHADE, 0.0)
        return _rgba(_blend(colours, amount))
    else:
        values = _finite(surface.values, 0.0)
        scale = max(float(np.abs(values).max(initial=0)), 1e-12)
        signed = np.clip(values / scale, -1, 1)
    if discretize:
        signed = np.sign(signed)
    rgb = np.where(signed[..., None] >= 0, _blend(POSITIVE, SHADE * signed), _blend(NEGATIVE, SHADE * -signed))
    return _rgba(rgb)


def _finite(values: np.ndarray, neutral: float) -> np.ndarray:
    """``values`` as float64 with NaN and infinities replaced by ``neutral`` (drawn white)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values), values, neutral)


def _rgba(rgb: np.ndarray) -> np.ndarray:
    alpha = np.full(rgb.shape[:-1] + (1,), 255.0)
    return np.concatenate([rgb, alpha], axis=-1).round().astype(np.uint8)


HINT = "Train a 2-feature dataset (circle, xor, spiral, plane …) to see what the model predicts over the plane."


class SurfaceView(QWidget):
    """Heatmap plus the data's points for the live run; ``show_dataset`` first, then ``show_surface`` as they come."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.caption = QLabel(HINT)
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)   # it names runs: plain text
        self.plot = pg.PlotWidget(background="w")
        self.plot.setAspectLocked(False)
        self.plot.setMenuEnabled(False)
        style_plot(self.plot.getPlotItem())
        self.plot.getViewBox().disableAutoRange()   # the plane's bounds, set once per run: a still view paints cheaply
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.show_test_box = QCheckBox("Show test data")
        self.show_test_box.setChecked(True)
        self.show_test_box.setToolTip("Draw the validation (test) rows, as rings")
        self.discretize_box = QCheckBox("Discretize output")
        self.discretize_box.setToolTip("Colour only the predicted class (or the sign of the predicted value), "
                                       "not how sure the model is")
        toggles = QVBoxLayout()     # one under the other: the dock stays as narrow as its tab group's others
        toggles.setSpacing(0)
        toggles.addWidget(self.show_test_box)
        toggles.addWidget(self.discretize_box)
        self.train_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(40, 40, 40, 160))
        self.val_points = pg.ScatterPlotItem(size=7, brush=None, symbol="o")
        for points in (self.train_points, self.val_points):
            points.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)   # repainted only when the view moves
            self.plot.addItem(points)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addLayout(toggles)
        layout.addWidget(self.plot, 1)
        self.show_test_box.toggled.connect(self.val_points.setVisible)
        self.discretize_box.toggled.connect(self._recolour)
        self.run_id: str | None = None          # the run shown: the live one, or a saved one picked in the table
        self.surface: Surface | None = None      # ... and its surface
        self.live_run_id: str | None = None
        self._live: tuple[object, Surface | None] | None = None   # the live run's dataset and latest surface
        self._drawn: Surface | None = None      # the surface the heatmap shows
        self._caption_before: str | None = None  # the caption while a neuron's heatmap is shown (show_overlay)

    def follow(self, session: Session) -> None:
        """Show each of ``session``'s live runs' data as it starts, and its boundary as it is computed."""
        session.on(RunStarted, lambda event: self.show_dataset(event.run.id, event.dataset))
        session.on(SurfaceComputed, lambda event: self.show_surface(event.run_id, event.surface))

    def applies_to(self, dataset) -> bool:
        return has_surface(dataset)

    def show_dataset(self, run_id: str, dataset) -> None:
        """A live run starts: forget the last surface and draw ``dataset``'s points (2-feature data only)."""
        self.live_run_id, self._live = run_id, (dataset, None)
        self._show(run_id, dataset, None, "as it trains")

    def clear(self) -> None:
        """Follow no run (the window's Reset): no boundary, the points gone, the hint instead."""
        self.live_run_id = self._live = self._caption_before = None
        self._show(None, None, None, "")
        self.caption.setText(HINT)

    def show_live(self) -> None:
        """Back to the live (or last live) run after a saved one was shown."""
        if self._live is not None:
            self._show(self.live_run_id, *self._live, "as it trains")

    def show_saved(self, run_id: str, name: str, saved: SavedSurface | str) -> None:
        """Run ``run_id`` (``name``) picked in the runs table: its saved final surface, or why there is none
        (``saved`` is then that one line). The live run is shown live."""
        if run_id == self.live_run_id and self._live is not None:
            self.show_live()
        elif isinstance(saved, str):
            self._show(run_id, None, None, "")
            self.caption.setText(f"{name}: {saved}")
        else:
            self._show(run_id, saved.points, saved.surface, f"of the saved run “{name}” after step {saved.step}")

    def _show(self, run_id: str, points, surface: Surface | None, when: str) -> None:
        self.run_id, self.surface, self._drawn = run_id, surface, None
        self.image.clear()
        if not has_surface(points):
            self.train_points.clear()
            self.val_points.clear()
            if points is not None:
                self.caption.setText(f"{dataset_title(points.name)} has {points.n_features} features: what a model predicts over "
                                     "the plane is drawn for 2-feature data only.")
            return
        points = plane_points(points)    # a dataset's raw 2-D points, whatever features its model gets
        kind = "decision boundary" if points.task == "classification" else "predicted surface"
        self.caption.setText(f"{dataset_title(points.name)}: {kind} {when}; filled dots training rows, rings validation rows")
        for item, x, y, filled in ((self.train_points, points.x_train, points.y_train, True),
                                   (self.val_points, points.x_val, points.y_val, False)):
            # one brush or pen per distinct colour, shared by its points: pyqtgraph renders a symbol per object
            # (a QBrush per point cost ~0.2 ms each: 200 ms for 1,000 points, on the GUI thread at a run's start)
            palette, which = np.unique(self._point_colours(points.task, y), axis=0, return_inverse=True)
            if filled:
                brushes = [pg.mkBrush(*colour) for colour in palette]
                item.setData(x[:, 0], x[:, 1], brush=[brushes[i] for i in which.ravel()])
            else:
                pens = [pg.mkPen(*colour, width=1.5) for colour in palette]
                item.setData(x[:, 0], x[:, 1], pen=[pens[i] for i in which.ravel()], brush=None)
        x_min, x_max, y_min, y_max = surface.bounds if surface is not None else plane_bounds(points)
        self.plot.getViewBox().setRange(xRange=(x_min, x_max), yRange=(y_min, y_max), padding=0)
        if self.isVisible():
            self._draw()

    @staticmethod
    def _point_colours(task: str, y: np.ndarray) -> np.ndarray:
        if task != "classification":
            scale = max(float(np.abs(y).max(initial=0)), 1e-12)
            signed = np.round(np.clip(y[:, 0] / scale, -1, 1) * COLOUR_LEVELS) / COLOUR_LEVELS
            rgb = np.where(signed[:, None] >= 0, _blend(POSITIVE, np.abs(signed)), _blend(NEGATIVE, np.abs(signed)))
            return rgb.round().astype(int)
        classes = y.argmax(axis=1)
        if y.shape[1] == 2:
            return np.where(classes[:, None] == 1, POSITIVE, NEGATIVE).astype(int)
        return CLASS_COLOURS[classes % len(CLASS_COLOURS)].astype(int)

    def show_surface(self, run_id: str, surface: Surface) -> None:
        """Colour the grid of the live run's latest surface (older runs' surfaces are ignored); while the view is
        hidden, or shows a saved run, only remember it."""
        if run_id != self.live_run_id or self._live is None:
            return
        self._live = (self._live[0], surface)
        if self.run_id != run_id:
            return
        self.surface = surface
        if self.isVisible():
            self._draw()

    def show_overlay(self, overlay: Surface | None, caption: str = "") -> None:
        """Draw ``overlay`` (a neuron's activation over the same plane, from the Network dock) over the points
        instead of the run's surface, until it is None again."""
        if overlay is None:
            self._drawn = None
            if self._caption_before is not None:
                self.caption.setText(self._caption_before)
                self._caption_before = None
            if self.surface is None:
                self.image.clear()
            self._draw()
            return
        if self._caption_before is None:
            self._caption_before = self.caption.text()
        self.caption.setText(f"{caption}: its activation over the plane (orange above zero, blue below)")
        self._drawn = overlay
        x_min, x_max, y_min, y_max = overlay.bounds
        self.image.setImage(surface_colours(overlay), autoLevels=False)
        self.image.setRect(QRectF(x_min, y_min, x_max - x_min, y_max - y_min))

    def _recolour(self) -> None:
        """Discretize output toggled: colour the shown surface again."""
        self._drawn = None
        self._draw()

    def set_classroom(self, hidden: set[str], locked: set[str]) -> None:
        """Hide or lock the Show test data and Discretize output toggles (classroom ids show_test_data,
        discretize)."""
        for control, box in (("show_test_data", self.show_test_box), ("discretize", self.discretize_box)):
            box.setVisible(control not in hidden)
            box.setEnabled(control not in locked)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._draw()

    def _draw(self) -> None:
        surface = self.surface
        if surface is None or surface is self._drawn or self._caption_before is not None:   # a neuron is shown
            return
        self._drawn = surface
        x_min, x_max, y_min, y_max = surface.bounds
        self.image.setImage(surface_colours(surface, self.discretize_box.isChecked()), autoLevels=False)
        self.image.setRect(QRectF(x_min, y_min, x_max - x_min, y_max - y_min))
