"""Learning-rate control: an editable value box and, below it on the whole width of the panel, a slider on a
log scale (1e-5 … 10) with a labelled tick at each decade.

The slider moves in tenths of a decade (1, 1.3, 1.6, 2, 2.5, 3.2, 4, 5, 6.3, 7.9 × 10^k): an arrow key or a
notch of the mouse wheel is one tenth, Page Up/Down a decade, and a drag lands on the tenth under the mouse
(about 5 px each at the panel's default width), so the value a drag gives is the one its position reads.
Rates between the tenths are typed in the box.
"""
from __future__ import annotations

import math

from PyQt6.QtCore import QPoint, Qt, pyqtSignal
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import (QGridLayout, QLabel, QLineEdit, QMessageBox, QSlider, QStyle, QStyleOptionSlider,
                             QWidget)

MIN_RATE = 1e-5
MAX_RATE = 10.0
STEPS_PER_DECADE = 10
SLIDER_TICKS = round(math.log10(MAX_RATE / MIN_RATE)) * STEPS_PER_DECADE


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


def decade_text(rate: float) -> str:
    """Short text of a power of ten: 1e-5, 1e-4, 0.001, 0.01, 0.1, 1, 10."""
    exponent = round(math.log10(rate))
    return f"1e{exponent}" if exponent < -3 else f"{rate:g}"


class RateSlider(QSlider):
    """The log-scale slider: one tenth of a decade per arrow key or wheel notch, a decade per page."""

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setRange(0, SLIDER_TICKS)
        self.setSingleStep(1)
        self.setPageStep(STEPS_PER_DECADE)
        self.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.setTickInterval(STEPS_PER_DECADE)
        self._wheel = 0     # angle not yet turned into steps (high-resolution wheels send less than a notch)

    def wheelEvent(self, event) -> None:
        """One notch (120/8 degrees) is one step, whatever the platform's scroll-lines setting."""
        self._wheel += event.angleDelta().y() or -event.angleDelta().x()
        notches = int(self._wheel / 120)
        if notches:
            self._wheel -= notches * 120
            self.setValue(self.value() + notches * self.singleStep())
        event.accept()

    def handle_centre(self, value: int) -> int:
        """x of the handle's centre at ``value``, in this widget's coordinates."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderGroove, self)
        handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderHandle, self)
        span = groove.width() - handle.width()
        return groove.x() + QStyle.sliderPositionFromValue(self.minimum(), self.maximum(), value, span) + \
            handle.width() // 2


class DecadeScale(QWidget):
    """The decades' rates written under the slider's ticks."""

    def __init__(self, slider: RateSlider, parent=None):
        super().__init__(parent)
        self.slider = slider
        self.setMinimumHeight(self.fontMetrics().height())

    def labels(self) -> list[tuple[int, str]]:
        """(x, text) of each decade label, in this widget's coordinates."""
        offset = self.slider.mapTo(self.parentWidget(), QPoint(0, 0)).x() - self.x()
        return [(offset + self.slider.handle_centre(position), decade_text(position_to_rate(position)))
                for position in range(0, SLIDER_TICKS + 1, STEPS_PER_DECADE)]

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        metrics = self.fontMetrics()
        for x, text in self.labels():
            width = metrics.horizontalAdvance(text)
            left = min(max(x - width // 2, 0), self.width() - width)
            painter.drawText(left, metrics.ascent(), text)


class LearningRateControl(QWidget):
    """Value box and log-scale slider; emits ``rate_changed`` whenever the user picks a new rate."""

    rate_changed = pyqtSignal(float)

    def __init__(self, rate: float = 0.01, parent=None):
        super().__init__(parent)
        self._rate = rate
        self.slider = RateSlider()
        self.slider.setToolTip("Learning rate on a log scale, 1e-5 to 10, in tenths of a decade: arrow keys or "
                               "the mouse wheel move one tenth, Page Up/Down a decade. Moving it during a run "
                               "changes the rate from the next step on.")
        self.box = QLineEdit()
        self.box.setFixedWidth(90)
        self.box.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.box.setToolTip("Type a learning rate (e.g. 0.01 or 1e-3) and press Enter")
        self.label = QLabel("&Learning rate:")
        self.label.setBuddy(self.box)
        self.scale = DecadeScale(self.slider)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setVerticalSpacing(0)
        layout.addWidget(self.label, 0, 0)
        layout.addWidget(self.box, 0, 1, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.slider, 1, 0, 1, 2)
        layout.addWidget(self.scale, 2, 0, 1, 2)
        self._show(rate)
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider.sliderReleased.connect(self._drag_ended)
        self.box.editingFinished.connect(self._box_edited)

    @property
    def rate(self) -> float:
        return self._rate

    def shown_rate(self) -> float:
        """The rate the box shows, typed or not (Enter not needed); ValueError with one line when it is not one."""
        text = self.box.text()
        return self._rate if text == f"{self._rate:.3g}" else parse_rate(text)

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
        """A key, a wheel notch or a click picks the rate at once; a drag shows the rate under the mouse and picks
        it when released (one change, not every rate passed on the way)."""
        rate = position_to_rate(position)
        if self.slider.isSliderDown():
            self.box.setText(f"{rate:.3g}")
        else:
            self._pick(rate)

    def _drag_ended(self) -> None:
        self._pick(position_to_rate(self.slider.value()))

    def _pick(self, rate: float) -> None:
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
