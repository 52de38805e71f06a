"""An integer spin box for Python integers of any size (QSpinBox stops at 2**31 - 1)."""
from __future__ import annotations

from PyQt6.QtCore import QSize, pyqtSignal
from PyQt6.QtGui import QValidator
from PyQt6.QtWidgets import QAbstractSpinBox

IGNORED = str.maketrans("", "", " _,")   # digit group separators people type


class IntegerBox(QAbstractSpinBox):
    """Whole numbers from ``minimum`` to ``maximum`` (None: no limit); ``special_text`` shows the minimum.

    Typed text that is not a number in range is refused while typing (never clamped afterwards);
    :meth:`setValue` raises ValueError for a value out of range.
    """

    valueChanged = pyqtSignal(object)

    def __init__(self, minimum: int = 0, maximum: int | None = None, value: int | None = None,
                 special_text: str = "", parent=None):
        super().__init__(parent)
        self._minimum, self._maximum, self._special = minimum, maximum, special_text
        self._value = minimum
        self._note = ""     # shown instead of the number while set (the box is disabled meanwhile)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.setKeyboardTracking(False)
        self.lineEdit().textEdited.connect(self._text_edited)
        self.editingFinished.connect(self._show)
        self.setValue(minimum if value is None else value)

    def minimum(self) -> int:
        return self._minimum

    def maximum(self) -> int | None:
        return self._maximum

    def value(self) -> int:
        return self._value

    def shown_value(self, label: str) -> int:
        """The number the box shows, typed or not (Enter not needed); ValueError naming ``label`` when what it
        shows is not a whole number in range."""
        value = self._parse(self.lineEdit().text())
        if value is None or not self._in_range(value):
            limit = "" if self._maximum is None else f" to {self._maximum}"
            raise ValueError(f"{label} must be a whole number from {self._minimum}{limit}, "
                             f"got {self.lineEdit().text().strip()!r}.")
        return value

    def setValue(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"a whole number is needed, got {value!r}")
        if not self._in_range(value):
            raise ValueError(f"{value} is outside {self._minimum}…{'' if self._maximum is None else self._maximum}")
        changed = value != self._value
        self._value = value
        self._show()
        if changed:
            self.valueChanged.emit(value)

    def text_of(self, value: int) -> str:
        return self._special if value == self._minimum and self._special else str(value)

    def _in_range(self, value: int) -> bool:
        return value >= self._minimum and (self._maximum is None or value <= self._maximum)

    def _parse(self, text: str) -> int | None:
        if self._special and text.strip() == self._special:
            return self._minimum
        cleaned = text.translate(IGNORED)
        if not cleaned.isascii() or not cleaned.lstrip("+-").isdigit():
            return None
        return int(cleaned)

    def set_note(self, note: str) -> None:
        """Show ``note`` instead of the number, and take no input, while it is not empty ("": the number again)."""
        self._note = note
        self.setReadOnly(bool(note))
        self._show()

    def _show(self) -> None:
        text = self._note or self.text_of(self._value)
        if self.lineEdit().text() != text:
            self.lineEdit().setText(text)

    def _text_edited(self, text: str) -> None:
        value = self._parse(text)
        if value is not None and self._in_range(value) and value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    # -- QAbstractSpinBox --------------------------------------------------------------------------------------------

    def validate(self, text: str, position: int):
        value = self._parse(text)
        if value is not None and self._in_range(value):
            return QValidator.State.Acceptable, text, position
        cleaned = text.translate(IGNORED)
        partial = (cleaned in ("", "+", "-") or bool(self._special and self._special.startswith(text))
                   or (value is not None and value < self._minimum))   # more digits may bring it in range
        return (QValidator.State.Intermediate if partial else QValidator.State.Invalid), text, position

    def fixup(self, text: str) -> str:
        return self.text_of(self._value)

    def stepBy(self, steps: int) -> None:
        value = self._value + steps
        value = max(value, self._minimum)
        if self._maximum is not None:
            value = min(value, self._maximum)
        self.setValue(value)
        self.selectAll()

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self._value > self._minimum:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        if self._maximum is None or self._value < self._maximum:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        return flags

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        digits = self.fontMetrics().horizontalAdvance("9" * 12)
        return QSize(max(hint.width(), digits + 40), hint.height())
