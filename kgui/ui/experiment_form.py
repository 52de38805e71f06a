"""The experiment form: one row per ExperimentSettings field (or group of fields) that has a control. Its
limits are ExperimentSettings' bounds (validate() accepts exactly what the widgets take).

Each row is a :class:`FormField`: its label, its widget, how it reads its fields from the widget and how it
puts them back. Adding a control for a new setting is one :meth:`ExperimentForm.add_field` call; fields
without a control keep the value of the last settings applied.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QFormLayout, QGroupBox, QWidget

from kgui.core.experiment.classroom import Classroom
from kgui.core.experiment.settings import MAX_BATCH_SIZE, MAX_SEED, MAX_STEPS, ExperimentSettings

from .data_form import DataForm
from .datasets import DatasetPicker, short_title
from .learning_rate import LearningRateControl
from .model_form import ModelForm, UnusableValues
from .number_box import IntegerBox
from .panels import BackendPicker
from .schedule_form import ScheduleForm


STEPS_TIP = "Number of parameter updates (one batch each)"
ROW_SPACING = 4     # between the form's rows (the style's 6 would make the side panel scroll at 1400 × 900)


def unusable_text(problems: list[str]) -> str:
    """The message for settings values the controls could not take (:meth:`ExperimentForm.apply`): one line each."""
    return "\n".join([*problems, "The other settings are in the controls; these keep what the controls showed."])


@dataclass
class FormField:
    """A control of the form: ``read()`` gives its settings fields as a dict, ``write(settings)`` shows them."""

    label: str                      # "" when the widget shows its own
    widget: QWidget
    read: Callable[[], dict]
    write: Callable[[ExperimentSettings], None]
    changed: object = None          # the widget's change signal, if the title or others follow it
    control: str = ""               # its classroom control id (kgui.core.experiment.classroom.CONTROLS), if a classroom may hide it


class ExperimentForm(QGroupBox):
    """Backend, dataset, learning rate, steps, batch size, seed, model and optimizer; ``changed`` when any of them
    changes."""

    changed = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__("Experiment", parent)
        defaults = ExperimentSettings()
        self._base = defaults          # fields without a control come from here
        self.classroom = Classroom()
        self._editable = True
        self._layout = QFormLayout(self)
        self.fields: list[FormField] = []

        self.backend_picker = BackendPicker()
        self.dataset_picker = DatasetPicker()
        self.lr_control = LearningRateControl(defaults.learning_rate)
        self.steps_box = IntegerBox(1, MAX_STEPS, defaults.steps)
        self.steps_box.setToolTip(STEPS_TIP)
        self.batch_box = IntegerBox(0, MAX_BATCH_SIZE, defaults.batch_size or 0, special_text="full batch")
        self.batch_box.setToolTip("Rows per step; 0 = the whole training split (full-batch gradient descent)")
        self.seed_box = IntegerBox(0, MAX_SEED, defaults.seed)
        self.seed_box.setToolTip("Seeds the data split, the initial weights and the batch order")
        self.model_form = ModelForm()
        self.schedule_form = ScheduleForm()
        self.data_form = DataForm()

        self.add_field(FormField("Backend:", self.backend_picker, lambda: {"backend": self.backend_picker.engine},
                                 lambda s: self.backend_picker.select(s.backend),
                                 self.backend_picker.currentIndexChanged, "engine"))
        self.add_field(FormField("Dataset:", self.dataset_picker, self._read_dataset,
                                 lambda s: self.dataset_picker.select(s.dataset, dict(s.dataset_options)),
                                 self.dataset_picker.changed, "dataset"))
        self.add_field(FormField("", self.lr_control, lambda: {"learning_rate": self.lr_control.shown_rate()},
                                 self._write_rate, self.lr_control.rate_changed,
                                 "learning_rate"))
        # (the learning-rate control has its own label: its slider takes the panel's whole width)
        self.add_field(FormField("Steps:", self.steps_box, self._read_steps,
                                 lambda s: self.steps_box.setValue(s.steps), self.steps_box.valueChanged, "steps"))
        self.add_field(FormField("Batch size:", self.batch_box,
                                 lambda: {"batch_size": self.batch_box.shown_value("Batch size") or None},
                                 lambda s: self.batch_box.setValue(s.batch_size or 0), self.batch_box.valueChanged,
                                 "batch_size"))
        self.add_field(FormField("Seed:", self.seed_box, lambda: {"seed": self.seed_box.shown_value("Seed")},
                                 lambda s: self.seed_box.setValue(s.seed), self.seed_box.valueChanged, "seed"))
        self.add_field(FormField("", self.data_form, self.data_form.changes, self.data_form.load,
                                 self.data_form.changed))
        # (training/test ratio, input features or polynomial degree, data seed: rows of their own)
        self.dataset_picker.changed.connect(lambda: self.data_form.set_dataset(self.dataset_picker.choice[0]))
        self.add_field(FormField("", self.model_form, self.model_form.changes, self.model_form.load,
                                 self.model_form.changed))
        # (model, hidden layers, activation, L2, optimizer and its hyper-parameters, epochs: rows of their own)
        self.add_field(FormField("", self.schedule_form, self.schedule_form.changes, self.schedule_form.load,
                                 self.schedule_form.changed))
        self.model_form.optimizer_picked.connect(self._offer_rate)
        self.model_form.epochs_box.valueChanged.connect(self._steps_follow_epochs)
        self._steps_follow_epochs()
        # (picking an optimizer offers Keras 2's default learning rate for it; the slider can change it)
        for layout in (self._layout, self.model_form.form, self.data_form.form, self.schedule_form.form):
            layout.setVerticalSpacing(ROW_SPACING)

    def _offer_rate(self, _optimizer: str, rate: float) -> None:
        if "learning_rate" not in self.classroom.lock:
            self.lr_control.set_rate(rate)

    def add_field(self, field: FormField) -> None:
        """Add a row (last) to the form."""
        self.fields.append(field)
        if field.label:
            self._layout.addRow(field.label, field.widget)
        else:
            self._layout.addRow(field.widget)
        if field.changed is not None:
            field.changed.connect(self.changed)

    def _read_steps(self) -> dict:
        """Steps as shown; while Epochs is set the run's steps come from the epochs (the box only says so)."""
        if self.model_form.epochs_box.value():
            return {"steps": self.steps_box.value()}
        return {"steps": self.steps_box.shown_value("Steps")}

    def _steps_follow_epochs(self) -> None:
        """While Epochs is set, Steps is disabled and says that the epochs decide the number of steps."""
        epochs = self.model_form.epochs_box.value()
        self.steps_box.set_note(f"{epochs} epoch{'s' if epochs != 1 else ''} × rows/batch" if epochs else "")
        self.steps_box.setEnabled(self._editable and not epochs and "steps" not in self.classroom.lock)
        self.steps_box.setToolTip("Set by Epochs: the run takes epochs × (training rows ÷ batch size) steps; "
                                  "set Epochs to 0 to choose the steps" if epochs else STEPS_TIP)

    def _read_dataset(self) -> dict:
        dataset, options = self.dataset_picker.choice
        return {"dataset": dataset, "dataset_options": options}

    def settings(self) -> ExperimentSettings:
        """The experiment the controls show (typed values count without Enter); ValueError (one line) for a control
        whose text is not a valid value."""
        changes = {}
        for field in self.fields:
            changes.update(field.read())
        return self._base.replace(**changes)

    def settle(self, settings: ExperimentSettings) -> None:
        """A job starts with ``settings`` (read from what the controls show): the rate typed without Enter becomes
        the control's rate, so that leaving the box later is no change of rate."""
        self.lr_control.set_rate(settings.learning_rate)

    def _write_rate(self, settings: ExperimentSettings) -> None:
        rate = settings.learning_rate
        if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
            raise ValueError(f"{rate!r} is not a positive number")
        self.lr_control.set_rate(rate)

    def apply(self, settings: ExperimentSettings) -> list[str]:
        """Show ``settings`` in the controls (a control a classroom locked keeps its value). A value the controls
        cannot take (an engine not installed or unknown, an optimizer or activation of another version, steps out of
        range) leaves its control as it was; the others are shown, and one line for each such value is returned."""
        locked = self.classroom.locked_fields()
        if locked:
            try:
                current = self.settings()
            except ValueError:   # a value typed but not valid: the last one applied
                current = self._base
            settings = settings.replace(**{name: getattr(current, name) for name in locked})
        self._base = settings
        problems = []
        for field in self.fields:
            try:
                field.write(settings)
            except UnusableValues as exc:
                problems.extend(exc.lines)
            except (ValueError, TypeError) as exc:
                problems.append(f"{(field.label.rstrip(':') or field.control).replace('_', ' ')}: {exc}")
        self._steps_follow_epochs()
        self.changed.emit()
        return problems

    def set_editable(self, editable: bool) -> None:
        """While a job runs only the learning rate can change; a classroom's locked controls never."""
        self._editable = editable
        for field in self.fields:
            if field.widget in (self.model_form, self.schedule_form, self.data_form):
                field.widget.set_enabled_for_run(editable)
            elif field.widget is self.lr_control:
                field.widget.setEnabled(field.control not in self.classroom.lock)
            else:
                field.widget.setEnabled(editable and field.control not in self.classroom.lock)
        self._steps_follow_epochs()

    def set_classroom(self, classroom: Classroom) -> None:
        """Hide and lock the controls ``classroom`` names (the others are shown and editable again)."""
        self.classroom = classroom
        for field in self.fields:
            if field.widget in (self.model_form, self.schedule_form, self.data_form):
                field.widget.set_classroom(set(classroom.hide), set(classroom.lock))
            else:
                self._layout.setRowVisible(field.widget, field.control not in classroom.hide)
        self.set_editable(self._editable)

    def title(self) -> str:
        """A few words for the window title: dataset · engine · learning rate."""
        dataset, _ = self.dataset_picker.choice
        return f"{short_title(dataset)} · {self.backend_picker.title} · lr {self.lr_control.rate:.3g}"
