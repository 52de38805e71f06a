"""The learning-rate schedule rows of the experiment form: the schedule, its own parameters, Keras 2's decay.

Only the rows the chosen schedule reads are shown (drop and every for step, the peak rate for one-cycle), so the
form expresses only valid combinations; :meth:`ScheduleForm.changes` gives the settings fields it holds.
"""
from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QWidget

from kgui.core.training.schedules import SCHEDULE_PARAMETERS, SCHEDULES
from kgui.core.experiment.settings import MAX_STEPS, ExperimentSettings

from .model_form import _fraction_box, _number_field, _read_number, exact_text
from .number_box import IntegerBox

SCHEDULE_TITLES = {"constant": "constant", "step": "step decay", "cosine": "cosine", "onecycle": "one-cycle"}


class ScheduleForm(QWidget):
    """Schedule rows of the experiment form; ``changed`` fires on every edit."""

    changed = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.schedule_box = QComboBox()
        for name in SCHEDULES:
            self.schedule_box.addItem(SCHEDULE_TITLES[name], name)
        self.schedule_box.setToolTip("How the rate changes over the run; the slider sets its base rate")
        self.drop_box = _fraction_box("Step decay: the rate is multiplied by this every N steps", 3)
        self.drop_box.setRange(0.001, 1.0)
        self.every_box = IntegerBox(1, MAX_STEPS, ExperimentSettings.every)
        self.every_box.setToolTip("Step decay: steps between two drops")
        self.max_lr_field = _number_field("One-cycle: the peak rate, reached after a quarter of the steps "
                                          "(it starts at the learning rate)")
        self.decay_field = _number_field("Keras 2's decay: each step uses lr / (1 + decay · updates so far) "
                                         "(0: none)")
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.rows = {}
        self.hidden = False      # by a classroom
        self.locked = False
        schedule_row = QWidget()     # the schedule and Keras' decay on one row
        row_layout = QHBoxLayout(schedule_row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.schedule_box, 2)
        row_layout.addWidget(QLabel("decay:"))
        row_layout.addWidget(self.decay_field, 1)
        for name, label, widget in (("schedule", "Schedule:", schedule_row), ("drop", "Drop:", self.drop_box),
                                    ("every", "Every:", self.every_box), ("max_lr", "Max rate:", self.max_lr_field)):
            self.form.addRow(label, widget)
            self.rows[name] = widget
        self.load(ExperimentSettings())
        for signal in (self.schedule_box.currentIndexChanged, self.drop_box.valueChanged, self.every_box.valueChanged,
                       self.max_lr_field.textChanged, self.decay_field.textChanged):
            signal.connect(self._edited)

    @property
    def schedule(self) -> str:
        return self.schedule_box.currentData()

    def _edited(self) -> None:
        self._show_rows()
        self.changed.emit()

    def _show_rows(self) -> None:
        for name in ("drop", "every", "max_lr"):
            self.form.setRowVisible(self.rows[name], name in SCHEDULE_PARAMETERS[self.schedule])
        self.setVisible(not self.hidden)

    def set_enabled_for_run(self, enabled: bool) -> None:
        """Lock the rows while a run trains (the slider still sets the base rate), or for good in a classroom."""
        self.setEnabled(enabled and not self.locked)

    def set_classroom(self, hidden: set[str], locked: set[str]) -> None:
        """A classroom hides or locks the "schedule" control: every row of this form."""
        self.hidden, self.locked = "schedule" in hidden, "schedule" in locked
        self._show_rows()

    def load(self, settings: ExperimentSettings) -> None:
        """Show ``settings``' schedule fields (without emitting ``changed``)."""
        widgets = [self.schedule_box, self.decay_field, self.drop_box, self.every_box, self.max_lr_field]
        for widget in widgets:
            widget.blockSignals(True)
        self.schedule_box.setCurrentIndex(max(0, self.schedule_box.findData(settings.schedule)))
        self.drop_box.setValue(settings.drop)
        self.every_box.setValue(settings.every)
        self.max_lr_field.setText("" if settings.max_lr is None else exact_text(settings.max_lr))
        self.decay_field.setText(exact_text(settings.decay))
        for widget in widgets:
            widget.blockSignals(False)
        self._show_rows()

    def changes(self) -> dict:
        """The settings fields of this form; ValueError with one line for a field that cannot be read."""
        defaults = ExperimentSettings()
        used = SCHEDULE_PARAMETERS[self.schedule]
        max_lr = None
        if "max_lr" in used:
            if not self.max_lr_field.text().strip():
                raise ValueError("the one-cycle schedule needs its max rate")
            max_lr = _read_number(self.max_lr_field, "max rate")
        return {"schedule": self.schedule,
                "drop": self.drop_box.value() if "drop" in used else defaults.drop,
                "every": self.every_box.value() if "every" in used else defaults.every,
                "max_lr": max_lr,
                "decay": _read_number(self.decay_field, "decay")}
