"""The loss plot's sweep controls, a row under its view options: "Colour by" a hyper-parameter and "Mean ± std over
seeds". Shown while the plot shows a sweep's trials (a row of their own: the options row stays as narrow as it was);
usable only while every run it shows is a trial of one sweep (a tooltip says why not)."""
from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QWidget

from kgui.core.sweeps.plotted import PlottedRuns, PlottedSweep

from ..names import column_title

NO_COLOUR = "none"
WHY_NOT = {
    PlottedRuns.MIXED: "The plot shows runs that are not trials of a sweep: show one sweep's trials alone "
                       "(Sweep tab → Show on Loss plot) to colour them by a hyper-parameter",
    PlottedRuns.SEVERAL_SWEEPS: "The plot shows trials of several sweeps: show one sweep's trials alone "
                                "(Sweep tab → Show on Loss plot) to colour them by a hyper-parameter",
}
COLOUR_TIP = "Colour each trial by this hyper-parameter: a colour bar for numbers (log for rates), a legend for " \
             "categories"
SEEDS_TIP = "One curve per configuration: the mean over its seeds, with a band of ± one standard deviation"
ONE_SEED_TIP = "Each configuration shown has one seed: nothing to average (sweep with --seeds 2 or more)"


class SweepControls(QWidget):
    """A "Colour by" picker (none or one of the sweep's axes) and a "Mean ± std over seeds" box; ``changed`` when
    either is changed by the user. The choice is kept while the runs shown change (an axis the next sweep has not
    got colours nothing, and comes back with a sweep that has it)."""

    changed = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.colour_box = QComboBox()
        self.colour_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.seeds_box = QCheckBox("Mean ± std over seeds")
        self.colour_label = QLabel("Colour by:")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 2)
        layout.addWidget(self.colour_label)
        layout.addWidget(self.colour_box)
        layout.addSpacing(12)
        layout.addWidget(self.seeds_box)
        layout.addStretch(1)
        self.chosen: str | None = None     # the axis the user picked (kept while the shown sweep lacks it)
        self.sweep = PlottedSweep(PlottedRuns.NO_TRIALS)
        self.colour_box.currentIndexChanged.connect(self._picked)
        self.seeds_box.toggled.connect(self.changed)
        self.offer(self.sweep)

    def offer(self, sweep: PlottedSweep) -> None:
        """What the plot shows now: hidden without trials, disabled (a tooltip says why) unless it is one sweep."""
        self.sweep = sweep
        usable = sweep.kind is PlottedRuns.ONE_SWEEP
        self.setVisible(sweep.kind is not PlottedRuns.NO_TRIALS)
        self.colour_box.blockSignals(True)
        self.colour_box.clear()
        self.colour_box.addItem(NO_COLOUR, None)
        for axis in sweep.axes:
            self.colour_box.addItem(column_title(axis), axis)
        self.colour_box.setCurrentIndex(max(0, self.colour_box.findData(self.chosen)))
        self.colour_box.blockSignals(False)
        why = WHY_NOT.get(sweep.kind, "")
        for widget in (self.colour_label, self.colour_box):
            widget.setEnabled(usable)
            widget.setToolTip(why or COLOUR_TIP)
        self.seeds_box.setEnabled(usable and sweep.several_seeds)
        self.seeds_box.setToolTip(why or (SEEDS_TIP if sweep.several_seeds else ONE_SEED_TIP))

    def _picked(self) -> None:
        self.chosen = self.colour_box.currentData()
        self.changed.emit()

    @property
    def colour_by(self) -> str | None:
        """The axis to colour by, when the runs shown are one sweep's trials and it has that axis."""
        return self.colour_box.currentData() if self.colour_box.isEnabled() else None

    @property
    def group_seeds(self) -> bool:
        """Whether to draw each configuration's mean ± std over its seeds instead of its runs."""
        return self.seeds_box.isEnabled() and self.seeds_box.isChecked()

    def set_colour_by(self, axis: str | None) -> None:
        """Pick ``axis`` (None: no colour), as the user would."""
        self.chosen = axis
        index = self.colour_box.findData(axis)
        if index >= 0 and index != self.colour_box.currentIndex():
            self.colour_box.setCurrentIndex(index)      # changed, through _picked
        else:
            self.changed.emit()      # picked when offered (the runs shown are not read yet), or already picked
