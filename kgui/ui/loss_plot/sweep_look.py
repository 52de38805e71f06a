"""The loss plot's runs of one sweep as its sweep controls ask: coloured by a hyper-parameter (a colour bar for
numbers, a legend of the categories) and their seeds grouped, one mean ± std band per configuration
(:class:`SeedBand`). While either is on, the look writes the panels' legends; the runs' own entries come back after."""
from __future__ import annotations

import html
import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QColor

from kgui.core.sweeps.plotted import plotted_sweep
from kgui.core.sweeps.seeds import by_configuration, configuration_label
from kgui.core.sweeps.table import category_text

from ..colour_key import BandLayer, ColourKey, colour_bar, show_key
from ..names import value_title
from .curves import Panel, RunCurves
from .readout import nearest_index
from .seed_bands import SeedBand
from .styles import PALETTE, RunStyle
from .sweep_controls import SweepControls

DrawnValues = Callable[[RunCurves], tuple[np.ndarray, np.ndarray, np.ndarray]]   # a run's x, training and validation


class SweepLook:
    """Colours, seed bands and legends of ``runs`` (run id -> RunCurves, each on the panel ``panel_of(run id)``),
    from the choice in :attr:`controls`; ``drawn(run)`` gives a run's values as the plot draws them."""

    def __init__(self, runs: dict[str, RunCurves], panels: dict[str, Panel], panel_of: Callable[[str], Panel],
                 drawn: DrawnValues):
        self.runs, self.panels, self.panel_of, self.drawn = runs, panels, panel_of, drawn
        self.controls = SweepControls()
        self.controls.changed.connect(self.invalidate)
        self.bar = colour_bar()
        self.key: ColourKey | None = None
        self.bands: list[SeedBand] = []
        self.layers: dict[int, BandLayer] = {}  # id of a panel's plot item -> its bands, drawn as one item
        self.recoloured: dict[str, str] = {}   # run id -> its new colour ("#rrggbb"), by the last apply()
        self.stale = True                  # the runs shown or the choice changed: apply() before the next redraw
        self._owns_legends = False

    @property
    def owns_legends(self) -> bool:
        """Whether the panels' legends are the look's (categories, configurations) rather than one entry a run."""
        return self._owns_legends

    @property
    def shows_bar(self) -> bool:
        return self.key is not None and self.key.continuous

    def invalidate(self) -> None:
        self.stale = True

    def apply(self, log_y: bool) -> None:
        """Colour and group the runs shown now as the controls say (the controls first offer what they show)."""
        self.stale = False
        shown = [(run_id, run) for run_id, run in self.runs.items() if run.visible]
        self.controls.offer(plotted_sweep([run.sweep for _, run in shown]))
        colour_by = self.controls.colour_by
        self.key = ColourKey(colour_by, [run.sweep.values.get(colour_by) for _, run in shown]) if colour_by else None
        show_key(self.bar, self.key)
        self.recoloured = {run_id: run.color for run_id, run in self.runs.items() if run.set_drawn_style(
            RunStyle(self._colour(run.sweep.values, None).name()) if self.key and run.sweep else run.style)}
        self._group(shown if self.controls.group_seeds else [], log_y)
        self._fill_legends(shown)

    def _colour(self, values: dict, index: int | None) -> QColor:
        """A configuration's colour: by the key, else the ``index``-th of the plot's palette."""
        if self.key is not None:
            return self.key.colour(values.get(self.key.name))
        return pg.mkColor(PALETTE[index % len(PALETTE)])

    def _group(self, shown: list[tuple[str, RunCurves]], log_y: bool) -> None:
        for band in self.bands:
            band.remove()
        self.bands = []
        grouped: set[str] = set()
        for index, members in enumerate(by_configuration(shown, lambda item: item[1].sweep.values)):
            run_ids = [run_id for run_id, _ in members]
            values = members[0][1].sweep.values
            seeds = f"{len(run_ids)} seed{'s' if len(run_ids) > 1 else ''}"
            item = self.panel_of(run_ids[0]).item
            band = SeedBand(item, self._layer(item), f"{configuration_label(values)} ({seeds})", run_ids, values)
            band.set_colour(self._colour(values, index))
            self.bands.append(band)
            grouped.update(run_ids)
        for run_id, run in self.runs.items():
            run.set_grouped(run_id in grouped)
        self.draw(None, log_y)

    def _layer(self, item: pg.PlotItem) -> BandLayer:
        """The bands' layer of a panel's plot ``item`` (made on its first band)."""
        layer = self.layers.get(id(item))
        if layer is None:
            layer = self.layers[id(item)] = BandLayer()
            item.addItem(layer)
        return layer

    def draw(self, changed: set[str] | None, log_y: bool) -> None:
        """Each band again whose runs took new steps (``changed``; None: every band)."""
        for band in self.bands:
            if changed is None or changed.intersection(band.run_ids):
                drawn = [self.drawn(self.runs[run_id]) for run_id in band.run_ids]
                band.set_data(*([values[part] for values in drawn] for part in range(3)), log_y=log_y)

    def nearest_band(self, panel: Panel, x: float, y: float, log_y: bool) -> tuple[SeedBand, int] | None:
        """The band on ``panel`` whose mean training loss passes nearest (``x``, ``y``) (view coordinates: log10 y
        on a log axis), and the index of its point at ``x``; None when it has none."""
        best: tuple[float, SeedBand, int] | None = None
        for band in self.bands:
            if band.item is not panel.item or not len(band.x):
                continue
            index = nearest_index(band.x, x)
            value = band.train[index]
            if not math.isfinite(value) or (log_y and value <= 0):
                continue
            distance = abs((math.log10(value) if log_y else value) - y)
            if best is None or distance < best[0]:
                best = (distance, band, index)
        return None if best is None else best[1:]

    def extents(self, panel: Panel) -> list[tuple[float, float, float, float]]:
        """The extents of the bands on ``panel`` (a band can reach past its runs)."""
        return [band.bounds for band in self.bands if band.item is panel.item and band.bounds is not None]

    def _fill_legends(self, shown: list[tuple[str, RunCurves]]) -> None:
        """Categories (colour by a category), configurations (seeds grouped, no colour) or nothing (a colour bar
        says it all); one entry a run again when neither is on."""
        active = self.key is not None or bool(self.bands)
        if not active and not self._owns_legends:
            return        # the plot keeps its runs' entries up to date itself
        self._owns_legends = active
        for panel in self.panels.values():
            panel.legend.clear()
        if not active:
            for run_id, run in shown:
                self.panel_of(run_id).legend.addItem(run.train, html.escape(run.label))
            return
        if self.key is None:
            for band in self.bands:
                band.item.legend.addItem(band.mean, html.escape(band.label))
            return
        if self.key.continuous:
            return
        entries = [(band.mean, band.values, band.item) for band in self.bands] or [
            (run.train, run.sweep.values, self.panel_of(run_id).item) for run_id, run in shown]
        order = {category: index for index, category in enumerate(self.key.scale.categories)}
        entries.sort(key=lambda entry: order.get(category_text(entry[1].get(self.key.name)), len(order)))
        named: set[tuple[int, str]] = set()
        for curve, values, item in entries:
            category = category_text(values.get(self.key.name))
            if (id(item), category) not in named:
                named.add((id(item), category))
                item.legend.addItem(curve, html.escape(f"{self.key.title()} {value_title(self.key.name, category)}"))
