"""Small widgets of the side panel: the backend selector and the live readout of the current run."""
from __future__ import annotations

import math

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QPalette, QStandardItemModel
from PyQt6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit

from kgui.core.training import engines


class BackendPicker(QComboBox):
    """Every engine kgui knows, with its version; engines that are not installed are disabled."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.engines = {engine.id: engine for engine in engines.all_engines()}
        model: QStandardItemModel = self.model()
        for engine in self.engines.values():
            self.addItem(engine.label, engine.id)
            if engine.installed:
                tip = f"{engine.label} is installed; it is imported when a run starts"
            else:
                tip = f"Not installed. To use it: {engine.install_hint}"
            item = model.item(self.count() - 1)
            item.setEnabled(engine.installed)
            item.setToolTip(tip)
        first_installed = next((i for i in range(self.count()) if model.item(i).isEnabled()), 0)
        self.setCurrentIndex(first_installed)
        self.setToolTip("Engine that trains the model. Switch it between runs: the same code runs on each.")

    @property
    def engine(self) -> str:
        return self.currentData()

    @property
    def title(self) -> str:
        return self.engines[self.engine].title

    def select(self, name: str) -> None:
        """Make engine ``name`` current; ValueError (the current one stays) when kgui does not know it or it is not
        installed."""
        engine = engines.canonical_id(name)
        index = self.findData(engine)
        if index < 0 or not self.model().item(index).isEnabled():
            raise ValueError(f"{engines.engine_title(engine)} is not installed here")
        self.setCurrentIndex(index)


def _number(value, digits: int = 5) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}"


READOUT_SPACING = 2     # between the readout's rows: one-line values, read at a glance (less than a form's)
LINE_EDIT_MARGIN = 2    # Qt's QLineEdit insets its text by this many pixels (QLineEditPrivate::horizontalMargin)


class Readout(QLineEdit):
    """A value the live readout changes at every frame: looks and selects like a label, but a new text does not
    lay the panel out again (a QLabel's does, up through the side panel, and each call into Python on the way
    waits for a PyTensor step's GIL: ~9 ms a frame)."""

    def __init__(self):
        super().__init__("—")
        self.setReadOnly(True)
        self.setFrame(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)    # selectable and copied with Ctrl+C, not a Tab stop
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Base, QColor(0, 0, 0, 0))
        self.setPalette(palette)
        self.setTextMargins(-LINE_EDIT_MARGIN, 0, 0, 0)   # text where a label's starts
        self.setFixedHeight(QLabel().sizeHint().height())     # rows as high as the labels'

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setCursorPosition(0)   # a value wider than the field shows its start, as a label does


class LivePanel(QGroupBox):
    """Status and engine of the current run, its step, losses, accuracy or (linear regression) w and b, rate and
    ms per step."""

    FIELDS = ("state", "engine", "step", "train_loss", "val_loss", "accuracy", "params", "learning_rate", "step_ms")
    STATUS_FIELDS = ("state", "engine")     # labels (the state wraps); the others change with every step: Readouts
    LABELS = {"state": "Status", "engine": "Engine", "step": "Step", "train_loss": "Training loss", "val_loss": "Validation loss",
              "accuracy": "Accuracy", "params": "w, b", "learning_rate": "Learning rate", "step_ms": "Step time"}
    STEP_MS_TIP = ("Median time of the last training steps: the run's speed now. The Runs table's Mean ms/step "
                   "averages every step, the slower first ones too.")

    def __init__(self, parent=None):
        super().__init__("Current run", parent)
        self.values: dict[str, QLabel | Readout] = {}
        form = QFormLayout(self)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setVerticalSpacing(READOUT_SPACING)
        for key in self.FIELDS:
            if key in self.STATUS_FIELDS:
                value = QLabel("—")
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            else:
                value = Readout()
            self.values[key] = value
            form.addRow(self.LABELS[key] + ":", value)
        self.values["state"].setWordWrap(True)
        self.values["step_ms"].setToolTip(self.STEP_MS_TIP)
        form.labelForField(self.values["step_ms"]).setToolTip(self.STEP_MS_TIP)
        self._form = form
        self.clear()

    def clear(self) -> None:
        for label in self.values.values():
            label.setText("—")
        self.values["state"].setText("idle")

    def set_state(self, text: str) -> None:
        """The run's status: "importing TensorFlow…", "training", "finished", "diverged at step 12", …"""
        self.values["state"].setText(text)

    def expect_rows(self, dataset) -> None:
        """Show the rows a run on ``dataset`` will fill (accuracy; w and b of a one-feature regression) before its
        first step, whose frame has enough to draw; ``show_step`` corrects them."""
        self._show_row("accuracy", dataset.scores_classes)
        self._show_row("params", dataset.task == "regression" and dataset.n_features == 1)

    def set_engine(self, text: str) -> None:
        """The engine that trains the current run, e.g. "TensorFlow 2.21.0"."""
        self.values["engine"].setText(text)

    def show_step(self, record, total_steps: int, step_ms: float | None = None, recent: int = 1) -> None:
        """Show the measurements of StepRecord ``record``; ``step_ms``: the median time of the ``recent`` last steps
        (default: ``record``'s own)."""
        self.values["step"].setText(f"{record.step} / {total_steps}")
        self.values["train_loss"].setText(_number(record.train_loss))
        self.values["val_loss"].setText(_number(record.val_loss))
        self.values["learning_rate"].setText(f"{record.learning_rate:.3g}")
        median = f" (median, last {recent})" if recent > 1 else ""
        self.values["step_ms"].setText(f"{record.step_ms if step_ms is None else step_ms:.2f} ms{median}")
        accuracy = "—" if record.accuracy is None else f"{100 * record.accuracy:.1f} %"
        self.values["accuracy"].setText(accuracy)
        params = record.params or {}
        self.values["params"].setText(f"w = {params['w']:.4f}, b = {params['b']:.4f}"
                                      if {"w", "b"} <= params.keys() else "—")
        self._show_row("accuracy", record.accuracy is not None)
        self._show_row("params", bool(params))

    def _show_row(self, key: str, visible: bool) -> None:
        if self._form.isRowVisible(self.values[key]) != visible:   # (setting it again lays the panel out)
            self._form.setRowVisible(self.values[key], visible)
