"""Learning-rate control: a slider on a log scale (1e-5 … 10) with an editable value box beside it."""
from __future__ import annotations

import math

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLineEdit, QMessageBox, QSlider, QWidget

MIN_RATE = 1e-5
MAX_RATE = 10.0
SLIDER_TICKS = 600  # 100 positions per decade


def rounded(rate: float) -> float:
    """``rate`` to two significant digits, so slider values read cleanly (0.5, not 0.501)."""
    return float(f"{rate:.2g}")


def rate_to_position(rate: float) -> int:
    """Slider position of ``rate`` (clamped to the slider's range)."""
    fraction = (math.log10(rate) - math.log10(MIN_RATE)) / (math.log10(MAX_RATE) - math.log10(MIN_RATE))
    return round(min(max(fraction, 0.0), 1.0) * SLIDER_TICKS)


def position_to_rate(position: int) -> float:
    """Rate at slider ``position``, rounded to two significant digits."""
    exponent = math.log10(MIN_RATE) + position / SLIDER_TICKS * (math.log10(MAX_RATE) - math.log10(MIN_RATE))
    return rounded(10 ** exponent)


def parse_rate(text: str) -> float:
    """The rate typed in ``text``; ValueError with a message for people when it is not one."""
    try:
        rate = float(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number. Type a learning rate such as 0.01 or 1e-3.") from None
    if not (math.isfinite(rate) and MIN_RATE <= rate <= MAX_RATE):
        raise ValueError(f"The learning rate must be between {MIN_RATE:g} and {MAX_RATE:g}, got {text.strip()}.")
    return rate


class LearningRateControl(QWidget):
    """Log-scale slider plus value box; emits ``rate_changed`` whenever the user picks a new rate."""

    rate_changed = pyqtSignal(float)

    def __init__(self, rate: float = 0.01, parent=None):
        super().__init__(parent)
        self._rate = rate
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_TICKS)
        self.slider.setPageStep(SLIDER_TICKS // 12)
        self.slider.setToolTip("Learning rate on a log scale, 1e-5 to 10. "
                               "Moving it during a run changes the rate from the next step on.")
        self.box = QLineEdit()
        self.box.setFixedWidth(72)
        self.box.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.box.setToolTip("Type a learning rate (e.g. 0.01 or 1e-3) and press Enter")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.box)
        self._show(rate)
        self.slider.valueChanged.connect(self._slider_moved)
        self.box.editingFinished.connect(self._box_edited)

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        """Show ``rate`` without emitting ``rate_changed``."""
        self._rate = rate
        self._show(rate)

    def _show(self, rate: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(rate_to_position(rate))
        self.slider.blockSignals(False)
        self.box.setText(f"{rate:.3g}")

    def _slider_moved(self, position: int) -> None:
        rate = position_to_rate(position)
        if rate != self._rate:
            self._rate = rate
            self.box.setText(f"{rate:.3g}")
            self.rate_changed.emit(rate)

    def _box_edited(self) -> None:
        text = self.box.text()
        if text == f"{self._rate:.3g}":
            return
        try:
            rate = parse_rate(text)
        except ValueError as exc:
            self._show(self._rate)
            QMessageBox.warning(self, "Invalid learning rate", str(exc))
            return
        self._rate = rate
        self._show(rate)
        self.rate_changed.emit(rate)
