"""The plot's view maths: where an axis goes as the data grows (in a few jumps), and which values can be drawn."""
from __future__ import annotations

import numpy as np

FOLLOW_FILL = 0.5       # an axis is re-fitted when the data fills less than this share of it
FOLLOW_HEADROOM = 0.2   # ... or leaves it; then it gets this share of the data's span as room to go on
FOLLOW_PAD = 0.03


def follow_range(view: tuple[float, float] | None, low: float, high: float) -> tuple[float, float] | None:
    """The new range of one axis that must show [low, high] (view coordinates), or None to keep ``view``.

    ``view`` is kept while it contains [low, high] and the data fills at least ``FOLLOW_FILL`` of it;
    a side the data grew out of gets ``FOLLOW_HEADROOM`` of room, so that a falling loss moves the
    axis a few times per run rather than at every frame.
    """
    if high - low <= 0:
        low, high = low - 0.5, high + 0.5
    span = high - low
    if view is not None and view[0] <= low and high <= view[1] and span >= FOLLOW_FILL * (view[1] - view[0]):
        return None
    below = view is not None and low < view[0]
    above = view is not None and high > view[1]
    return (low - (FOLLOW_HEADROOM if below else FOLLOW_PAD) * span,
            high + (FOLLOW_HEADROOM if above else FOLLOW_PAD) * span)


def finite_positive(values: np.ndarray, log_y: bool) -> np.ndarray:
    """Values safe to draw: infinities dropped, and non-positive ones too on a log axis."""
    values = np.where(np.isfinite(values), values, np.nan)
    return np.where(values > 0, values, np.nan) if log_y else values
