"""The data rows of the experiment form: the training/test ratio (Playground's 10–90 % slider), the input features
of the 2-D sets (check boxes) or "polynomial degree 2" for other datasets, and the 2-D sets' data seed.

Rows that do not apply to the chosen dataset are not shown; :meth:`DataForm.changes` gives the settings fields.
"""
from __future__ import annotations

import random

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from kgui.core.data.dataset_registry import DatasetError, DatasetGroup, spec_for
from kgui.core.data.features import PLANE_FEATURES
from kgui.core.experiment.settings import MAX_SEED, MAX_VAL_FRACTION, ExperimentSettings

from .number_box import IntegerBox

MIN_TRAINING_PERCENT = 10
MAX_TRAINING_PERCENT = round(100 * MAX_VAL_FRACTION)   # 90: at least 10 % are held out for the test
FEATURE_COLUMNS = 3     # check boxes a row: the Controls panel keeps its width
ROW_CONTROLS = {"val_fraction": "val_fraction", "features": "features", "data_seed": "data_seed"}   # classroom ids


class RatioSlider(QWidget):
    """Share of the rows used for training, 10–90 % (the rest is the validation, Playground's "test" data). A value
    it cannot show exactly (0 % held out, 12.5 %) is kept as it is until the slider is moved."""

    changed = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(MIN_TRAINING_PERCENT, MAX_TRAINING_PERCENT)
        self.slider.setToolTip("Share of the rows used for training; the others are held out for validation (test)")
        self.label = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self._exact: float | None = None     # a val_fraction shown as it is, not yet moved
        self.slider.valueChanged.connect(self._moved)

    @property
    def val_fraction(self) -> float:
        return self._exact if self._exact is not None else round(1 - self.slider.value() / 100, 2)

    def set_val_fraction(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(100 * (1 - value)))
        self.slider.blockSignals(False)
        self._exact = value
        self._show()

    def _moved(self) -> None:
        self._exact = None
        self._show()
        self.changed.emit()

    def _show(self) -> None:
        held_out = self.val_fraction
        self.label.setText(f"{100 * (1 - held_out):g} %")


class DataForm(QWidget):
    """Training/test ratio, input features or polynomial degree, data seed; ``changed`` fires on every edit."""

    changed = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ratio = RatioSlider()
        self.feature_boxes = {name: QCheckBox(title) for name, (title, _) in PLANE_FEATURES.items()}
        self.features = QWidget()
        grid = QGridLayout(self.features)
        grid.setContentsMargins(0, 0, 0, 0)
        for index, (name, box) in enumerate(self.feature_boxes.items()):
            box.setToolTip(f"Feed the network {PLANE_FEATURES[name][0]}, computed from the point's coordinates")
            grid.addWidget(box, index // FEATURE_COLUMNS, index % FEATURE_COLUMNS)
        self.polynomial_box = QCheckBox("x², x·y")
        self.polynomial_box.setToolTip("Polynomial degree 2: add the squares and pairwise products of the columns "
                                       "(computed before standardising)")
        self.data_seed_box = IntegerBox(-1, MAX_SEED, -1, special_text="same as seed")
        self.data_seed_box.setToolTip("Seed the 2-D set's points are drawn with (Playground's Regenerate)")
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setToolTip("Draw new points: a new data seed (the weights' seed stays)")
        data_seed = QWidget()
        seed_layout = QHBoxLayout(data_seed)
        seed_layout.setContentsMargins(0, 0, 0, 0)
        seed_layout.addWidget(self.data_seed_box, 1)
        seed_layout.addWidget(self.regenerate_button)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        share = QWidget()    # the ratio and, for other datasets than the 2-D sets, polynomial degree 2 on one row
        share_layout = QHBoxLayout(share)
        share_layout.setContentsMargins(0, 0, 0, 0)
        share_layout.addWidget(self.ratio, 1)
        share_layout.addWidget(self.polynomial_box)
        self.rows = {"val_fraction": share, "features": self.features, "data_seed": data_seed}
        for name, label in (("val_fraction", "Train share:"), ("features", "Features:"), ("data_seed", "Data seed:")):
            self.form.addRow(label, self.rows[name])
        self.hidden_rows: set[str] = set()   # by a classroom (control ids)
        self.locked_rows: set[str] = set()
        self._generated = True
        self._show_rows()
        self.setMinimumWidth(self.minimumSizeHint().width())   # the 2-D sets' rows too, whichever rows are shown
        self.load(ExperimentSettings())
        self.ratio.changed.connect(self.changed)
        for box in (*self.feature_boxes.values(), self.polynomial_box):
            box.toggled.connect(self.changed)
        self.data_seed_box.valueChanged.connect(self.changed)
        self.regenerate_button.clicked.connect(self.regenerate)

    def regenerate(self) -> None:
        """A new data seed: other points of the same 2-D set."""
        self.data_seed_box.setValue(random.randint(0, MAX_SEED))

    def set_dataset(self, name: str) -> None:
        """Show the rows that apply to dataset ``name``: features and data seed for the 2-D sets, else polynomial."""
        try:
            self._generated = spec_for(name).group == DatasetGroup.TOY
        except DatasetError:
            self._generated = False
        self._show_rows()

    def _show_rows(self) -> None:
        applies = {"val_fraction": True, "features": self._generated, "data_seed": self._generated}
        for name, widget in self.rows.items():
            self.form.setRowVisible(widget, applies[name] and ROW_CONTROLS[name] not in self.hidden_rows)
        self.polynomial_box.setVisible(not self._generated and "features" not in self.hidden_rows)

    def load(self, settings: ExperimentSettings) -> None:
        """Show ``settings``' data fields (without emitting ``changed``)."""
        widgets = [self.ratio, *self.feature_boxes.values(), self.polynomial_box, self.data_seed_box]
        for widget in widgets:
            widget.blockSignals(True)
        self.ratio.set_val_fraction(settings.val_fraction)
        chosen = set(settings.features or ("x1", "x2"))
        for name, box in self.feature_boxes.items():
            box.setChecked(name in chosen)
        self.polynomial_box.setChecked(settings.polynomial_degree == 2)
        self.data_seed_box.setValue(-1 if settings.data_seed is None else settings.data_seed)
        for widget in widgets:
            widget.blockSignals(False)
        self.set_dataset(settings.dataset)

    def changes(self) -> dict:
        """The settings fields of this form; ValueError with one line for a field that cannot be read."""
        values = {"val_fraction": self.ratio.val_fraction, "features": (), "polynomial_degree": 1, "data_seed": None}
        if self._generated:
            chosen = tuple(name for name, box in self.feature_boxes.items() if box.isChecked())
            if not chosen:
                raise ValueError("choose at least one input feature")
            values["features"] = () if chosen == ("x1", "x2") else chosen
            seed = self.data_seed_box.shown_value("Data seed")
            values["data_seed"] = None if seed < 0 else seed
        else:
            values["polynomial_degree"] = 2 if self.polynomial_box.isChecked() else 1
        return values

    def set_enabled_for_run(self, enabled: bool) -> None:
        """Lock the rows while a run trains, or for good in a classroom."""
        self.ratio.setEnabled(enabled and "val_fraction" not in self.locked_rows)
        self.polynomial_box.setEnabled(enabled and "features" not in self.locked_rows)
        for name, widget in self.rows.items():
            if name != "val_fraction":
                widget.setEnabled(enabled and ROW_CONTROLS[name] not in self.locked_rows)

    def set_classroom(self, hidden: set[str], locked: set[str]) -> None:
        """Hide and lock the classroom's val_fraction, features and data_seed controls."""
        self.hidden_rows, self.locked_rows = set(hidden), set(locked)
        self._show_rows()
