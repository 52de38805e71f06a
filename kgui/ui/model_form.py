"""The experiment's model and optimizer controls: model, hidden layers, activation, L2, L1, optimizer and the
hyper-parameters of the chosen one, epochs.

Only the rows that apply are shown (hidden layers and activation for the MLP, momentum and Nesterov
for SGD, rho for RMSprop, betas for Adam, epsilon for the adaptive ones), so every combination the
form can express is a valid one; :meth:`ModelForm.changes` gives the settings fields it holds. The penalties and
the optimizer's hyper-parameters are folded under the optimizer's row (no penalty and Keras 2's defaults, which
few change; the side panel then shows the current run without scrolling at 1400 × 900) and open with the button
beside it, or by themselves when an experiment with other values is loaded.
"""
from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QDoubleValidator
from PyQt6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                             QLineEdit, QSpinBox, QToolButton, QWidget)

from kgui.core.training import models
from kgui.core.experiment import settings as experiment
from kgui.core.training.optimizers import HYPER_PARAMETERS, KERAS_LEARNING_RATES, OPTIMIZERS
from kgui.core.experiment.settings import ExperimentSettings

MODEL_TITLES = {"auto": "auto (softmax or linear by task)", "softmax": "softmax regression",
                "linear": "linear regression", "mlp": "MLP (hidden layers)"}
OPTIMIZER_TITLES = {"sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adam": "Adam"}
FOLDED_TITLES = {"l2": "L2", "l1": "L1", "momentum": "momentum", "rho": "rho", "beta_1": "beta 1", "beta_2": "beta 2",
                 "epsilon": "epsilon"}
CLASSROOM_ROWS = {   # classroom control id: the rows it hides or locks
    "model": ("model", "hidden", "activation"), "regularization": ("penalties",),
    "optimizer": ("optimizer", "momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon"), "epochs": ("epochs",)}
HYPER_ROWS = ("momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon")   # the optimizer's hyper-parameters
FOLDED_ROWS = ("penalties", *HYPER_ROWS)                                     # folded under the optimizer's row


def _number_field(tooltip: str) -> QLineEdit:
    field = QLineEdit()
    validator = QDoubleValidator(0.0, 1e6, 12)
    validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
    field.setValidator(validator)
    field.setToolTip(tooltip)
    return field


def _fraction_box(tooltip: str, decimals: int = 4) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, 1 - 10 ** -decimals)
    box.setDecimals(decimals)
    box.setSingleStep(0.01)
    box.setToolTip(tooltip)
    return box


class ModelForm(QWidget):
    """Model and optimizer rows of the experiment form; ``changed`` fires on every edit."""

    changed = pyqtSignal()
    optimizer_picked = pyqtSignal(str, float)   # optimizer, Keras 2's default learning rate for it

    def __init__(self, parent=None):
        super().__init__(parent)
        defaults = ExperimentSettings()
        self.model_box = QComboBox()
        for name in experiment.MODELS:
            self.model_box.addItem(MODEL_TITLES[name], name)
        self.hidden_field = QLineEdit()
        self.hidden_field.setPlaceholderText("e.g. 64,32")
        self.hidden_field.setToolTip(f"Neurons of each hidden layer, comma-separated (0 to {models.MAX_HIDDEN_LAYERS} "
                                     "layers)")
        self.activation_box = QComboBox()
        self.activation_box.addItems(models.ACTIVATIONS)
        self.l2_field = _number_field("L2 penalty: l2·ΣW² over the weight matrices is added to the loss (0: none)")
        self.l1_field = _number_field("L1 penalty: l1·Σ|W| over the weight matrices is added to the loss (0: none)")
        self.optimizer_box = QComboBox()
        for name in OPTIMIZERS:
            self.optimizer_box.addItem(OPTIMIZER_TITLES[name], name)
        self.optimizer_box.setToolTip("Keras 2's update rules with its default hyper-parameters")
        self.hyper_button = QToolButton()    # opens and folds the penalties and the optimizer's hyper-parameters
        self.hyper_button.setCheckable(True)
        self.hyper_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.hyper_button.toggled.connect(self._show_rows)
        self.momentum_box = _fraction_box("SGD momentum (0: plain gradient descent)", 3)
        self.nesterov_box = QCheckBox("Nesterov")
        self.rho_box = _fraction_box("RMSprop: decay of the squared-gradient average")
        self.beta_1_box = _fraction_box("Adam: decay of the gradient average")
        self.beta_2_box = _fraction_box("Adam: decay of the squared-gradient average")
        self.epsilon_field = _number_field("Added to the root of the squared-gradient average")
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(0, 100_000)
        self.epochs_box.setSpecialValueText("count steps")
        self.epochs_box.setToolTip("Passes over the training rows (0: train the number of steps instead)")

        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.rows = {}
        self.hidden_rows: set[str] = set()   # by a classroom
        self.locked_rows: set[str] = set()
        for name, label, widget in (
                ("model", "Model:", self.model_box), ("hidden", "Hidden layers:", self.hidden_field),
                ("activation", "Activation:", self.activation_box),
                ("optimizer", "Optimizer:", self._optimizer_row()), ("penalties", "L2:", self._penalties()),
                ("momentum", "Momentum:", self.momentum_box),
                ("nesterov", "", self.nesterov_box), ("rho", "Rho:", self.rho_box),
                ("beta_1", "Beta 1:", self.beta_1_box), ("beta_2", "Beta 2:", self.beta_2_box),
                ("epsilon", "Epsilon:", self.epsilon_field), ("epochs", "Epochs:", self.epochs_box)):
            self.form.addRow(label, widget)
            self.rows[name] = widget
        self.load(defaults)
        for signal in (self.model_box.currentIndexChanged, self.activation_box.currentIndexChanged,
                       self.hidden_field.textChanged, self.l2_field.textChanged,
                       self.l1_field.textChanged, self.momentum_box.valueChanged,
                       self.nesterov_box.toggled, self.rho_box.valueChanged, self.beta_1_box.valueChanged,
                       self.beta_2_box.valueChanged, self.epsilon_field.textChanged, self.epochs_box.valueChanged):
            signal.connect(self._edited)
        self.optimizer_box.currentIndexChanged.connect(self._optimizer_edited)

    def _optimizer_row(self) -> QWidget:
        """The optimizer and, beside it, the button that opens the penalties and its hyper-parameters."""
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.optimizer_box, 1)
        layout.addWidget(self.hyper_button)
        return row

    def _penalties(self) -> QWidget:
        """L2 and L1 on one row (the side panel shows the current run without scrolling)."""
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.l2_field, 1)
        layout.addWidget(QLabel("L1:"))
        layout.addWidget(self.l1_field, 1)
        return row

    @property
    def model(self) -> str:
        return self.model_box.currentData()

    @property
    def optimizer(self) -> str:
        return self.optimizer_box.currentData()

    def _optimizer_edited(self) -> None:
        self._edited()
        self.optimizer_picked.emit(self.optimizer, KERAS_LEARNING_RATES[self.optimizer])

    def _edited(self) -> None:
        self._show_rows()
        self.changed.emit()

    def _show_rows(self) -> None:
        used = set(HYPER_PARAMETERS[self.optimizer])
        opened = self.hyper_button.isChecked() or "optimizer" in self.hidden_rows   # (a classroom hid the button)
        visible = {"hidden": self.model == "mlp", "activation": self.model == "mlp",
                   "nesterov": "nesterov" in used and self.momentum_box.value() > 0}
        visible.update({name: name in used for name in ("momentum", "rho", "beta_1", "beta_2", "epsilon")})
        visible.update({name: visible.get(name, True) and opened for name in FOLDED_ROWS})
        for name, widget in self.rows.items():
            self.form.setRowVisible(widget, visible.get(name, True) and name not in self.hidden_rows)
        self._label_hyper_button(used, opened)

    def _label_hyper_button(self, used: set[str], opened: bool) -> None:
        """The button says whether the folded values are the defaults ("defaults", else "changed"), and (tooltip)
        what they are."""
        shown = ["l2", "l1", *(name for name in HYPER_ROWS if name in used and name != "nesterov")]
        values = self._folded_values()
        defaults = ExperimentSettings()
        changed = any(values[name] != getattr(defaults, name) for name in values if name in shown)
        self.hyper_button.setText("changed" if changed else "defaults")
        self.hyper_button.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        listed = " · ".join(f"{FOLDED_TITLES[name]} {values[name]:g}" for name in shown if name in values)
        self.hyper_button.setToolTip(f"{'Fold' if opened else 'Show'} the penalties and the optimizer's "
                                     f"hyper-parameters ({listed})")

    def _folded_values(self) -> dict[str, float]:
        """The folded values the controls hold (one being typed and not a number yet: left out)."""
        values = {"momentum": self.momentum_box.value(), "rho": self.rho_box.value(),
                  "beta_1": self.beta_1_box.value(), "beta_2": self.beta_2_box.value()}
        for name, field in (("l2", self.l2_field), ("l1", self.l1_field), ("epsilon", self.epsilon_field)):
            try:
                values[name] = float(field.text() or "0")
            except ValueError:
                pass
        return values

    def load(self, settings: ExperimentSettings) -> None:
        """Show ``settings``' model and optimizer fields (without emitting ``changed``); a value the controls do not
        offer (an optimizer or activation of another version, a number out of range) keeps the control's own, and
        :class:`UnusableValues` names each one once the others are shown."""
        widgets = [self.model_box, self.hidden_field, self.activation_box, self.l2_field, self.l1_field,
                   self.optimizer_box,
                   self.momentum_box, self.nesterov_box, self.rho_box, self.beta_1_box, self.beta_2_box,
                   self.epsilon_field, self.epochs_box]
        problems: list[str] = []
        for widget in widgets:
            widget.blockSignals(True)
        _pick(self.model_box, self.model_box.findData(settings.model), "model", settings.model, problems)
        self.hidden_field.setText(",".join(map(str, settings.hidden)))
        _pick(self.activation_box, self.activation_box.findText(settings.activation), "activation",
              settings.activation, problems)
        self.l2_field.setText(exact_text(settings.l2))
        self.l1_field.setText(exact_text(settings.l1))
        _pick(self.optimizer_box, self.optimizer_box.findData(settings.optimizer), "optimizer", settings.optimizer,
              problems)
        for box, label, value in ((self.momentum_box, "momentum", settings.momentum),
                                  (self.rho_box, "rho", settings.rho), (self.beta_1_box, "beta_1", settings.beta_1),
                                  (self.beta_2_box, "beta_2", settings.beta_2),
                                  (self.epochs_box, "epochs", settings.epochs or 0)):
            _set_number(box, value, label, problems)
        self.nesterov_box.setChecked(settings.nesterov)
        self.epsilon_field.setText(exact_text(settings.epsilon))
        for widget in widgets:
            widget.blockSignals(False)
        defaults, used = ExperimentSettings(), HYPER_PARAMETERS[self.optimizer]
        if any(getattr(settings, name) != getattr(defaults, name) for name in ("l2", "l1", *used)):
            self.hyper_button.setChecked(True)   # values other than Keras 2's are in sight (it calls _show_rows)
        self._show_rows()
        if problems:
            raise UnusableValues(problems)

    def changes(self) -> dict:
        """The settings fields of this form; ValueError with one line for a field that cannot be read."""
        defaults = ExperimentSettings()
        mlp, used = self.model == "mlp", set(HYPER_PARAMETERS[self.optimizer])
        momentum = _shown_number(self.momentum_box, "Momentum") if "momentum" in used else defaults.momentum
        values = {
            "model": self.model,
            "hidden": experiment.parse_hidden(self.hidden_field.text()) if mlp else (),
            "activation": self.activation_box.currentText() if mlp else defaults.activation,
            "l2": _read_number(self.l2_field, "L2"),
            "l1": _read_number(self.l1_field, "L1"),
            "optimizer": self.optimizer,
            "momentum": momentum,
            "nesterov": self.nesterov_box.isChecked() and momentum > 0,
            "rho": _shown_number(self.rho_box, "Rho") if "rho" in used else defaults.rho,
            "beta_1": _shown_number(self.beta_1_box, "Beta 1") if "beta_1" in used else defaults.beta_1,
            "beta_2": _shown_number(self.beta_2_box, "Beta 2") if "beta_2" in used else defaults.beta_2,
            "epsilon": _read_number(self.epsilon_field, "epsilon") if "epsilon" in used else defaults.epsilon,
            "epochs": _shown_number(self.epochs_box, "Epochs") or None,
        }
        return values

    def set_enabled_for_run(self, enabled: bool) -> None:
        """Lock the form while a run trains (the model is built; only the learning rate stays live); a classroom's
        locked rows stay locked."""
        for name, widget in self.rows.items():
            if name == "optimizer":   # its fold button stays live: what is folded can always be seen
                widget = self.optimizer_box
            widget.setEnabled(enabled and name not in self.locked_rows)

    def set_classroom(self, hidden: set[str], locked: set[str]) -> None:
        """Hide and lock the rows of the classroom's control ids (:data:`CLASSROOM_ROWS`)."""
        self.hidden_rows = {row for control in hidden & CLASSROOM_ROWS.keys() for row in CLASSROOM_ROWS[control]}
        self.locked_rows = {row for control in locked & CLASSROOM_ROWS.keys() for row in CLASSROOM_ROWS[control]}
        self._show_rows()


class UnusableValues(ValueError):
    """Values of loaded settings that the controls cannot show, one line each (``lines``)."""

    def __init__(self, lines: list[str]):
        super().__init__("; ".join(lines))
        self.lines = list(lines)


def _pick(box: QComboBox, index: int, label: str, value, problems: list[str]) -> None:
    """Make item ``index`` current, or (-1: not offered) keep the current one and note why."""
    if index < 0:
        known = ", ".join(str(box.itemData(i) or box.itemText(i)) for i in range(box.count()))
        problems.append(f"{label} {value!r} is not one this kgui knows ({known})")
    else:
        box.setCurrentIndex(index)


def _set_number(box: QAbstractSpinBox, value, label: str, problems: list[str]) -> None:
    """Show ``value``, or (out of the box's range: it would be clamped) keep the box's own and note why."""
    if not isinstance(value, (int, float)) or not box.minimum() <= value <= box.maximum():
        problems.append(f"{label} {value!r} is outside {box.minimum():g}…{box.maximum():g}")
    else:
        box.setValue(value)


def _shown_number(box: QAbstractSpinBox, label: str):
    """The value a spin box shows (its value follows the typing while the text is acceptable); ValueError naming
    ``label`` when what it shows is not a value it takes."""
    if not box.hasAcceptableInput():
        raise ValueError(f"{label} must be a number from {box.minimum():g} to {box.maximum():g}, "
                         f"got {box.text().strip()!r}.")
    return box.value()


def exact_text(value: float) -> str:
    """``value`` as the shortest text that reads back as the same float ("0" for zero): a loaded experiment keeps
    its exact numbers (``:g`` kept six digits)."""
    return "0" if value == 0 else repr(float(value))


def _read_number(field: QLineEdit, label: str) -> float:
    text = field.text().strip() or "0"
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{label} must be a number, got {text!r}") from None
