"""The loss plot widget: the shown runs' panels, the view options and the redraw timer (the view maths, markers and
readout text are in their own modules)."""
from __future__ import annotations

import html
from collections import Counter

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QSlider, QVBoxLayout,
                             QWidget)

from kgui.core.runs import SweepTag
from kgui.core.training.schedules import RateSchedule
from kgui.core.session import Session, StepsTaken
from kgui.core.smoothing import MAX_WEIGHT

from ..exporting import ExportTarget
from ..plot_style import let_axes_narrow
from .curves import X_AXES, Panel, RunCurves
from .markers import mark_rate_change, marker_labels, remove_markers, show_markers
from .readout import READOUT_HINT, describe_band, describe_point, nearest_index
from .series import TRAIN_SMOOTH, VAL_SMOOTH
from .styles import RunStyle, line_key
from .seed_bands import LINE_KEY
from .sweep_look import SweepLook
from .timed_widget import TimedLayoutWidget
from .view_maths import drawn_extent, finite_positive, follow_range, x_of_step, x_values

REDRAW_MS = 33          # at most ~30 redraws a second
MAX_REDRAW_MS = 250     # and at least 4 (when painting is slow, e.g. on a loaded machine)
PAINT_SHARE = 0.25      # painting may take this share of the GUI thread
SMOOTHING_TICKS = 100   # slider positions: weight = position / 100, capped at core's maximum
BAR_TOP_MARGIN = 10    # px above a colour bar (the plot area's top)
BAR_RIGHT_MARGIN = 6
MIN_PANEL_HEIGHT = 190  # px: a stacked panel never gets smaller (its labels and legend would cover the curves)


class LossPlot(QWidget):
    """Training and validation loss of every shown run, learning-rate change markers and a hover readout.

    Runs of different datasets go to separate panels stacked one above the other (see :class:`Panel`). Redraws happen
    on a timer: every ``REDRAW_MS``, or less often when the paints after the last redraw were slow, so that painting
    stays under ``PAINT_SHARE`` of the GUI thread. The timer runs only while there is something to draw: a change
    starts it, and a tick that finds nothing new stops it. ``redraws_itself=False``: the owner calls :meth:`redraw`
    (a notebook's kernel runs no Qt event loop; a test draws its frames).
    """

    redrawn = pyqtSignal()
    recoloured = pyqtSignal(dict)    # run id -> its new colour: a sweep's runs coloured by a hyper-parameter, or back

    def __init__(self, parent=None, redraws_itself: bool = True):
        super().__init__(parent)
        self.runs: dict[str, RunCurves] = {}
        self.panels: dict[str, Panel] = {}
        self.current: str | None = None        # run the readout and markers refer to (live or selected)
        self.highlighted: str | None = None
        self._smoothing = 0.0
        self._x_axis = "step"
        self._log_y = False
        self._numbers = 0                      # runs numbered 1, 2, … in the order they were added
        self.following = True                  # the view follows the data until the user zooms or pans
        self.focus: set[str] = set()           # runs the view fits alone (a comparison's); empty: every shown run
        self._refit = False                    # next redraw fits the view afresh (Auto Range, shown runs changed)

        self.widget = TimedLayoutWidget()
        self.widget.setBackground("w")
        self.widget.ci.layout.setContentsMargins(0, 0, 0, 0)
        self.shown_panels: list[Panel] = []
        self.look = SweepLook(self.runs, self.panels, self.panel_of, self._drawn_values)
        self.look.controls.changed.connect(self.redraw)
        self._panel("", "")
        self._mouse = pg.SignalProxy(self.widget.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)

        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, SMOOTHING_TICKS)
        self.smoothing_slider.setFixedWidth(140)
        self.smoothing_slider.setToolTip("Smoothing: exponential moving average, debiased like TensorBoard's "
                                         "(0 = raw). The raw curve stays faintly behind.")
        self.smoothing_label = QLabel("0.00")
        self.smoothing_slider.valueChanged.connect(
            lambda position: self.set_smoothing(min(position / SMOOTHING_TICKS, MAX_WEIGHT)))
        self.x_axis_box = QComboBox()
        self.x_axis_box.addItem("Step", "step")
        self.x_axis_box.addItem("Epoch", "epoch")
        self.x_axis_box.addItem("Wall time", "time")
        self.x_axis_box.setToolTip("Horizontal axis: step number, epochs (passes over the training rows) or seconds "
                                   "of training")
        self.x_axis_box.currentIndexChanged.connect(lambda _: self.set_x_axis(self.x_axis_box.currentData()))
        options = QHBoxLayout()
        options.setContentsMargins(6, 2, 6, 2)
        options.addWidget(QLabel("Smoothing:"))
        options.addWidget(self.smoothing_slider)
        options.addWidget(self.smoothing_label)
        options.addSpacing(16)
        options.addWidget(QLabel("X axis:"))
        options.addWidget(self.x_axis_box)
        self.axis_note = QLabel()     # which runs an epoch axis cannot show in epochs
        self.axis_note.setStyleSheet("color: #a05a00;")
        options.addWidget(self.axis_note)
        options.addStretch(1)
        self.line_key = QLabel(line_key({}))
        options.addWidget(self.line_key)
        for note in (self.axis_note, self.line_key):   # long notes are cut (whole in their tooltip), the window stays
            note.setMinimumWidth(1)                    # as narrow as the rest allows

        self.readout = QLabel(READOUT_HINT)
        self.readout.setStyleSheet("color: #555; padding: 2px 6px;")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # long text: clipped
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(options)
        layout.addWidget(self.look.controls)
        # Each panel keeps a useful height (axis labels, legend and curves apart); more panels than fit scroll.
        self.scroller = QScrollArea()
        self.scroller.setWidget(self.widget)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.scroller, 1)
        layout.addWidget(self.readout)

        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self._redraws_itself = redraws_itself
        self._wake()

    @property
    def redraws_itself(self) -> bool:
        """Whether the plot redraws on its own timer (else its owner calls :meth:`redraw`)."""
        return self._redraws_itself

    @redraws_itself.setter
    def redraws_itself(self, enabled: bool) -> None:
        self._redraws_itself = enabled
        if enabled:
            self._wake()
        else:
            self.timer.stop()

    def _wake(self) -> None:
        """Something changed: the timer draws it at its next tick (and goes on while changes come)."""
        if self._redraws_itself and not self.timer.isActive():
            self.timer.start()

    # -- panels ------------------------------------------------------------------------------------------------------

    @property
    def item(self) -> pg.PlotItem:
        """The top panel's plot item."""
        return self.shown_panels[0].item

    @property
    def legend(self) -> pg.LegendItem:
        """The top panel's legend."""
        return self.shown_panels[0].legend

    def _panel(self, key: str, title: str) -> Panel:
        """The panel of dataset ``key``: an existing one, one without runs (re-used), or a new one."""
        panel = self.panels.get(key) or next((p for p in self.panels.values() if not p.run_ids), None)
        if panel is None:
            panel = Panel(key, title)
            panel.item.vb.sigRangeChangedManually.connect(self._stop_following)
            panel.item.setLogMode(y=self._log_y)
            panel.item.setLabel("left", "loss (log scale)" if self._log_y else "loss")
            panel.item.setLabel("bottom", X_AXES[self._x_axis])
        elif panel.key != key:
            del self.panels[panel.key]
        panel.key, panel.title = key, title
        self.panels[key] = panel
        if not self.shown_panels:
            self._arrange([panel])
        return panel

    def panel_of(self, run_id: str) -> Panel:
        return next(panel for panel in self.panels.values() if run_id in panel.run_ids)

    def _arrange(self, panels: list[Panel] | None = None) -> None:
        """Stack the panels that have a visible run (at least one panel), with their titles when there are several.

        Each panel has its own x range too: datasets' runs often take different numbers of steps."""
        if panels is None:
            panels = [p for p in self.panels.values() if any(self.runs[r].visible for r in p.run_ids)]
            panels = panels or [self.shown_panels[0] if self.shown_panels[0] in self.panels.values()
                                else next(iter(self.panels.values()))]
        if panels == self.shown_panels:
            return
        self.widget.ci.clear()
        for row, panel in enumerate(panels):
            self.widget.ci.addItem(panel.item, row=row, col=0)
            panel.item.setTitle(html.escape(panel.title) if len(panels) > 1 else None, color="#333", size="10pt")
        self.shown_panels = panels
        self._place_colour_bar()
        self.widget.setMinimumHeight(MIN_PANEL_HEIGHT * len(panels) if len(panels) > 1 else 0)
        self._refit = True

    def _place_colour_bar(self) -> None:
        """The sweep look's colour bar right of the panels while it has one (out of the layout otherwise)."""
        bar, layout = self.look.bar, self.widget.ci
        if self.look.shows_bar and bar not in layout.items:
            # level with the panels' plot areas, so that the end ticks' labels are not cut by the widget's edges
            bottom = self.shown_panels[-1].item.getAxis("bottom")
            bar.layout.setContentsMargins(0, BAR_TOP_MARGIN, BAR_RIGHT_MARGIN, bottom.height() if bottom.isVisible()
                                          else BAR_TOP_MARGIN)
            layout.addItem(bar, row=0, col=1, rowspan=len(self.shown_panels))
        elif not self.look.shows_bar and bar in layout.items:
            layout.removeItem(bar)

    # -- runs --------------------------------------------------------------------------------------------------------

    def add_run(self, run_id: str, title: str, visible: bool = True, planned_steps: int | None = None,
                rate: float | None = None, dataset: str = "", dataset_title: str = "",
                steps_per_epoch: int | None = None, schedule: RateSchedule | None = None,
                sweep: SweepTag | None = None) -> RunCurves:
        """A new run, numbered, with the next free style (its steps come with :meth:`add_steps`).

        ``title`` goes into its legend label with its number and learning rates (``rate``: the first;
        default: its first step's); ``dataset`` picks its panel (titled ``dataset_title``);
        ``planned_steps``: the run is live and will take that many steps (see :meth:`end_run`);
        ``steps_per_epoch`` places it on the epoch axis (None: unknown, it stays on steps there); ``schedule``: its
        rates change every step, and the markers show the slider's (base) rate; ``sweep``: the run is that sweep's
        trial (its runs can be coloured by a hyper-parameter and their seeds grouped).
        """
        used = Counter(run.style for run in self.runs.values())     # a free style, else one of the least used
        style = min((RunStyle.nth(i) for i in range(RunStyle.COUNT)), key=lambda style: used[style])
        self._numbers += 1
        panel = self._panel(dataset, dataset_title or dataset)
        run = RunCurves(panel.item, self._numbers, title, style, self._smoothing, rate, sweep)
        run.planned_steps = planned_steps
        run.steps_per_epoch = steps_per_epoch
        run.schedule = schedule
        panel.run_ids.append(run_id)
        self.runs[run_id] = run
        self._set_current(run_id)
        self.set_run_visible(run_id, visible)
        run.set_faded(self._fading())
        self.look.invalidate()
        return run

    def remove_run(self, run_id: str) -> None:
        panel = self.panel_of(run_id)
        if self.runs[run_id].visible:
            panel.legend.removeItem(self.runs[run_id].train)
        run = self.runs.pop(run_id)
        panel.run_ids.remove(run_id)
        self.focus.discard(run_id)
        for curve in run.curves:
            panel.item.removeItem(curve)
        remove_markers(run, panel)
        self._arrange()
        if self.current == run_id:
            self._set_current(next(reversed(self.runs), None))
        if self.highlighted == run_id:
            self.highlight(None)
        self._refit = True
        self.look.invalidate()
        self._update_axis_note()
        self._update_line_key()
        self._wake()

    def end_run(self, run_id: str) -> None:
        """The live run ``run_id`` took its last step: the view fits the steps it took."""
        run = self.runs[run_id]
        run.planned_steps = None
        run.dirty = True
        self._refit = True
        self._wake()

    def set_run_visible(self, run_id: str, visible: bool) -> None:
        run = self.runs[run_id]
        run.visible = visible
        for curve in run.curves:
            curve.setVisible(visible)
        show_markers(run, self.panel_of(run_id), visible)
        legend = self.panel_of(run_id).legend
        if visible and not self._in_legend(run, legend) and not self.look.owns_legends:
            legend.addItem(run.train, html.escape(run.label))
        elif not visible:
            legend.removeItem(run.train)
        run.dirty = run.dirty or visible
        self._refit = True
        self.look.invalidate()
        self._arrange()
        self._update_axis_note()
        self._update_line_key()
        if self.highlighted is not None:    # the highlighted run shown or hidden: the others fade or come back
            self._apply_highlight()
        self._wake()

    @staticmethod
    def _in_legend(run: RunCurves, legend: pg.LegendItem) -> bool:
        return any(sample.item is run.train for sample, _ in legend.items)

    def set_run_title(self, run_id: str, title: str) -> None:
        """A new title for run ``run_id`` (renamed): its legend label follows."""
        self.runs[run_id].title = title
        self._relabel(run_id)

    def _relabel(self, run_id: str) -> None:
        run = self.runs[run_id]
        label = run.compose_label()
        if label == run.label:
            return
        run.label = label
        run.train.opts["name"] = html.escape(label)
        if self.look.owns_legends:     # its entry (if any) names a category or a configuration
            return
        legend = self.panel_of(run_id).legend
        for sample, text in legend.items:
            if sample.item is run.train:
                text.setText(html.escape(label))
        legend.updateSize()

    def export_target(self, write_data, empty_message: str = "") -> ExportTarget:
        """The shown panels as an export (PNG/SVG as on screen); ``write_data(path)`` writes CSV or JSON."""
        return ExportTarget("loss plot", "kgui-loss", self.widget.ci,
                            lambda: [(panel.item, panel.title) for panel in self.shown_panels], write_data,
                            empty_message, colour_key=lambda: self.look.key if self.look.shows_bar else None)

    def labels(self) -> list[str]:
        """Legend labels of the shown panels, top to bottom."""
        return [html.unescape(text.text) for panel in self.shown_panels for _, text in panel.legend.items]

    def highlight(self, run_id: str | None) -> None:
        """Fade every run but ``run_id`` while ``run_id`` is shown (None: no highlight); the readout follows it."""
        self.highlighted = run_id
        self._apply_highlight()
        if run_id is not None:
            self._set_current(run_id)

    def _fading(self) -> bool:
        """Whether the other runs fade: a run is highlighted and shown (a hidden one dims nothing)."""
        run = self.runs.get(self.highlighted)
        return run is not None and run.visible

    def _apply_highlight(self) -> None:
        fading = self._fading()
        for key, run in self.runs.items():
            run.set_faded(fading and key != self.highlighted)

    def _set_current(self, run_id: str | None) -> None:
        """The run the hover readout refers to."""
        if run_id != self.current:
            self.current = run_id
            for panel in self.panels.values():
                panel.crosshair.setVisible(False)
            self.readout.setText(READOUT_HINT)

    def follow(self, session: Session) -> None:
        """Take the new steps of ``session``'s live run as they come, with the learning-rate changes they use (the
        run's curves are added when it starts: :meth:`add_run`)."""
        session.on(StepsTaken, self.take_steps)

    def take_steps(self, event: StepsTaken) -> None:
        self.add_steps(event.run_id, event.steps, event.rate_changes)

    def add_steps(self, run_id: str, records, rate_changes=(), columns=None) -> None:
        """Buffer new StepRecords of run ``run_id`` (``columns``: theirs, built already by ``series.step_columns``),
        and mark its learning-rate changes ``rate_changes`` ((step, base rate) pairs, as the trainer noted them:
        ``StepsTaken.rate_changes``, a saved run's ``lr_changes``); they appear at the next timer tick."""
        run = self.runs[run_id]
        run.buffer.extend(records, columns)
        for step, rate in rate_changes:
            mark_rate_change(run, self.panel_of(run_id), step, rate, x_of_step(run, step, self._x_axis))
        if rate_changes or (run.first_rate is None and run.buffer.size):
            self._relabel(run_id)
        run.dirty = True
        self._wake()

    def clear(self) -> None:
        """Remove every run."""
        for run_id in list(self.runs):
            self.remove_run(run_id)
        self.following = True

    def focus_on(self, run_id: str) -> None:
        """Fit the view to run ``run_id`` and the others focused on (a comparison's runs, as they start), and follow
        them again: the other runs of their panel stay drawn, beyond the view where they reach further (a run of
        3,000 steps would squeeze a 50-step comparison into its first sixtieth). Auto Range and :meth:`unfocus` end
        it."""
        self.focus.add(run_id)
        self.following = True
        self._refit = True
        self._wake()

    def unfocus(self) -> None:
        """The view fits every shown run again (from the next redraw)."""
        if self.focus:
            self.focus.clear()
            self._refit = True
            self._wake()

    def redraw(self) -> None:
        """Push buffered points of changed, visible runs to their curves."""
        looked = self.look.stale         # the runs shown or the sweep controls changed: colours and bands anew
        if looked:
            self.look.apply(self._log_y)
            self._place_colour_bar()
            self._update_line_key()
            if self.look.recoloured:
                self.recoloured.emit(self.look.recoloured)
        changed = {run_id: run for run_id, run in self.runs.items() if run.dirty and run.visible}
        if not changed and not self._refit and not looked:
            self.timer.stop()        # idle: the next change starts it again
            return
        self.timer.setInterval(round(min(max(REDRAW_MS, self.widget.paint_ms / PAINT_SHARE), MAX_REDRAW_MS)))
        self.widget.paint_ms = 0.0
        for run in changed.values():
            self._draw(run)
        if not looked:
            self.look.draw(set(changed), self._log_y)
        if self.following:
            self._follow(self._refit)
        if self._refit:     # a fresh view: its axes may give back the room of labels no longer shown
            self.widget.narrowing = [panel.item for panel in self.shown_panels]
            for item in self.widget.narrowing:
                let_axes_narrow(item, True)
        self._refit = False
        self.redrawn.emit()

    def _drawn_values(self, run: RunCurves) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A run's x values and training and validation losses as drawn (smoothed or raw; not yet made safe for a
        log axis)."""
        buffer = run.buffer
        if buffer.smoothing != self._smoothing:
            buffer.set_smoothing(self._smoothing)
        if self._smoothing > 0:
            return x_values(run, self._x_axis), buffer.column(TRAIN_SMOOTH), buffer.column(VAL_SMOOTH)
        return x_values(run, self._x_axis), buffer.train, buffer.val

    def _draw(self, run: RunCurves) -> None:
        run.dirty = False
        buffer = run.buffer
        x, train, val = self._drawn_values(run)
        smoothed = self._smoothing > 0
        drawn = [finite_positive(train, self._log_y), finite_positive(val, self._log_y)]
        alone = not run.grouped        # else its configuration's mean stands for it
        run.train.setVisible(alone)
        run.train.setData(x, drawn[0], connect="finite")
        has_val = bool(np.isfinite(drawn[1]).any())
        run.val.setVisible(alone and has_val)
        if has_val:
            run.val.setData(x, drawn[1], connect="finite")
        run.raw.setVisible(alone and smoothed)
        if smoothed:
            drawn.append(finite_positive(buffer.train, self._log_y))
            run.raw.setData(x, drawn[-1], connect="finite")
        for step, _, line in run.markers:
            line.setPos(x_of_step(run, step, self._x_axis))
        run.bounds = drawn_extent(run, x, drawn, self._log_y)

    def _follow(self, refit: bool = False) -> None:
        """Move each shown panel's view to its visible runs' data if it left the view or fills too little of it."""
        for panel in self.shown_panels:
            shown = [r for r in panel.run_ids if self.runs[r].visible and self.runs[r].bounds is not None]
            focused = [r for r in shown if r in self.focus]
            extents = [self.runs[r].bounds for r in focused] if focused else (
                [self.runs[r].bounds for r in shown] + self.look.extents(panel))
            if not extents:
                if refit:   # nothing to fit (every run hidden): the empty plot's range, not the old runs'
                    panel.item.vb.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
                continue
            x_view, y_view = (None, None) if refit else panel.item.vb.viewRange()
            x_range = follow_range(x_view, min(e[0] for e in extents), max(e[1] for e in extents))
            y_range = follow_range(y_view, min(e[2] for e in extents), max(e[3] for e in extents))
            if x_range or y_range:
                panel.item.vb.setRange(xRange=x_range, yRange=y_range, padding=0)

    def _stop_following(self) -> None:
        self.following = False

    def _redraw_all(self) -> None:
        for run in self.runs.values():
            run.dirty = True
        self.redraw()

    def marker_labels(self, run_id: str | None = None) -> list[tuple[int, str]]:
        """(step, label) of each learning-rate marker of ``run_id`` (default: the current run), oldest first."""
        return marker_labels(self.runs.get(run_id or self.current))

    # -- view --------------------------------------------------------------------------------------------------------

    @property
    def smoothing(self) -> float:
        return self._smoothing

    def set_smoothing(self, weight: float) -> None:
        """Debiased EMA weight in [0, 0.999] for every curve (0: raw losses)."""
        self._smoothing = weight
        self.smoothing_label.setText(f"{weight:.2f}")
        position = round(weight * SMOOTHING_TICKS)
        if self.smoothing_slider.value() != position:
            self.smoothing_slider.setValue(position)
        self._redraw_all()

    @property
    def x_axis(self) -> str:
        return self._x_axis

    def set_x_axis(self, axis: str) -> None:
        """"step", "epoch" or "time" (seconds of training)."""
        self._x_axis = axis
        self.x_axis_box.setCurrentIndex(self.x_axis_box.findData(axis))
        for panel in self.panels.values():
            panel.item.setLabel("bottom", X_AXES[axis])
        self._update_axis_note()
        self._fit_again()

    @staticmethod
    def _set_note(label: QLabel, text: str) -> None:
        label.setText(text)
        label.setToolTip(text)

    def _update_line_key(self) -> None:
        if self.look.bands:
            self._set_note(self.line_key, LINE_KEY)
            return
        rounds: dict[int, list[int]] = {}
        for run in self.runs.values():
            if run.visible:
                rounds.setdefault(run.drawn.round, []).append(run.number)
        self._set_note(self.line_key, line_key(rounds))

    def _update_axis_note(self) -> None:
        """On the epoch axis, name the visible runs drawn by step because their steps per epoch are unknown."""
        by_step = [f"#{run.number}" for run in self.runs.values() if run.visible and not run.steps_per_epoch]
        note = ""
        if self._x_axis == "epoch" and by_step:
            shown = ", ".join(by_step[:4]) + (" …" if len(by_step) > 4 else "")
            note = f"{shown}: by step (saved without their training rows)"
        self._set_note(self.axis_note, note)

    @property
    def log_y(self) -> bool:
        return self._log_y

    def set_log_y(self, enabled: bool) -> None:
        self._log_y = enabled
        for panel in self.panels.values():
            panel.item.setLogMode(y=enabled)
            panel.item.setLabel("left", "loss (log scale)" if enabled else "loss")
        self._fit_again()

    def auto_range(self) -> None:
        """Fit the view to every visible run and follow them again."""
        self.focus.clear()
        self._fit_again()

    def _fit_again(self) -> None:
        """Fit the view to the visible runs (those focused on, if any) and follow them again."""
        self.following = True
        self._refit = True
        self._redraw_all()

    def _mouse_moved(self, event) -> None:
        position = event[0]
        if self.look.bands:
            self._read_band(position)
            return
        run = self.runs.get(self.current)
        panel = None if run is None else self.panel_of(self.current)
        for other in self.panels.values():
            if other is not panel:
                other.crosshair.setVisible(False)
        if run is None or not run.visible or run.buffer.size == 0 or \
                not panel.item.sceneBoundingRect().contains(position):
            if panel is not None:
                panel.crosshair.setVisible(False)
            return
        xs = x_values(run, self._x_axis)
        index = nearest_index(xs, panel.item.vb.mapSceneToView(position).x())
        panel.crosshair.setPos(xs[index])
        panel.crosshair.setVisible(True)
        self.readout.setText(self.describe_point(index))

    def _read_band(self, position) -> None:
        """The readout of the configuration's mean (over seeds) nearest the mouse, on the panel under it."""
        panel = next((p for p in self.shown_panels if p.item.sceneBoundingRect().contains(position)), None)
        for other in self.panels.values():
            other.crosshair.setVisible(other is panel and other.crosshair.isVisible())
        if panel is None:
            return
        point = panel.item.vb.mapSceneToView(position)
        nearest = self.look.nearest_band(panel, point.x(), point.y(), self._log_y)
        panel.crosshair.setVisible(nearest is not None)
        if nearest is not None:
            band, index = nearest
            panel.crosshair.setPos(band.x[index])
            self.readout.setText(describe_band(band, self.runs[band.run_ids[0]], index, self._x_axis))

    def describe_point(self, index: int, run_id: str | None = None) -> str:
        """Readout text for the ``index``-th step of ``run_id`` (default: the current run)."""
        return describe_point(self.runs[run_id or self.current], index, self._x_axis, self._smoothing)
