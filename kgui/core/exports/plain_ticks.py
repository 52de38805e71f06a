"""Log axes labelled in plain text: figures are drawn with math off (``text.parse_math``: a run named "$x$" stays
"$x$"), and matplotlib's log formatter writes its labels as math ("$\\mathdefault{10^{-2}}$"), which would then
show raw. :func:`plain_log_ticks` gives every log axis of a figure the same labels as Unicode text (10⁻², 2×10⁻²)."""
from __future__ import annotations

import re

from matplotlib.ticker import LogFormatterSciNotation

_SUPERSCRIPTS = str.maketrans("0123456789-+.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺·")
_MATH = re.compile(r"\$\\mathdefault\{(.*)\}\$")
_EXPONENT = re.compile(r"\^\{([^}]*)\}")


class PlainLogFormatter(LogFormatterSciNotation):
    """matplotlib's log tick labels (same ticks, same choice of which to label) as Unicode text instead of math."""

    def __call__(self, x, pos=None) -> str:
        text = super().__call__(x, pos)
        match = _MATH.fullmatch(text)
        if not match:
            return text
        body = match.group(1).replace(r"\times", "×").replace(r"\cdot", "·")
        return _EXPONENT.sub(lambda exponent: exponent.group(1).translate(_SUPERSCRIPTS), body)


def plain_log_ticks(figure) -> None:
    """Give each log axis of ``figure`` (colour bars too) :class:`PlainLogFormatter` labels; call it before saving."""
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            base = getattr(axis.get_transform(), "base", 10)
            for formatter, setter in ((axis.get_major_formatter(), axis.set_major_formatter),
                                      (axis.get_minor_formatter(), axis.set_minor_formatter)):
                if type(formatter) is LogFormatterSciNotation:
                    setter(PlainLogFormatter(base=base, labelOnlyBase=formatter.labelOnlyBase,
                                             minor_thresholds=formatter.minor_thresholds))
