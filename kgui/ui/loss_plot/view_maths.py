"""The plot's view maths: where an axis goes as the data grows (in a few jumps), which values can be drawn, and
where a run's steps go on the x axis (steps, epochs or seconds)."""
from __future__ import annotations

import math

import numpy as np

from kgui.core.training.lr_finder import PLOT_HEADROOM

from .series import TIME

FOLLOW_FILL = 0.5       # an axis is re-fitted when the data fills less than this share of it
FOLLOW_HEADROOM = 0.2   # ... or leaves it; then it gets this share of the data's span as room to go on
FOLLOW_PAD = 0.03
RANGE_LIMIT = 1e300     # a view never spans beyond ±this (float32 losses end near 3.4e38)
DIVERGED_FACTOR = 10.0  # a curve that rose past this many times its first loss diverged: its blow-up is not fitted


def follow_range(view: tuple[float, float] | None, low: float, high: float) -> tuple[float, float] | None:
    """The new range of one axis that must show [low, high] (view coordinates), or None to keep ``view``.

    ``view`` is kept while it contains [low, high] and the data fills at least ``FOLLOW_FILL`` of it;
    a side the data grew out of gets ``FOLLOW_HEADROOM`` of room, so that a falling loss moves the
    axis a few times per run rather than at every frame.
    """
    low, high = max(low, -RANGE_LIMIT), min(high, RANGE_LIMIT)   # a span of ±1e308 would overflow to inf
    if high - low <= 0:
        pad = max(0.5, abs(high) * 1e-3)   # a flat line at 1e308: 0.5 would vanish in its rounding
        low, high = low - pad, high + pad
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


def x_values(run, axis: str) -> np.ndarray:
    """A run's (RunCurves) x values on ``axis``: steps, epochs (steps / steps per epoch; steps when that is unknown)
    or seconds of training ("time")."""
    if axis == "time":
        return run.buffer.column(TIME)
    if axis == "epoch" and run.steps_per_epoch:
        return run.buffer.steps / run.steps_per_epoch
    return run.buffer.steps


def x_of_step(run, step: int, axis: str) -> float:
    """Where ``step`` of a run goes on ``axis`` (on the time axis: when the nearest step taken ended)."""
    if axis == "time":
        index = min(max(step - 1, 0), run.buffer.size - 1)
        return float(run.buffer.column(TIME)[index])
    if axis == "epoch" and run.steps_per_epoch:
        return step / run.steps_per_epoch
    return step


def diverged_ceiling(train: np.ndarray) -> float:
    """How high a training curve may lift the view: ``PLOT_HEADROOM`` times its first loss once it rose past
    ``DIVERGED_FACTOR`` times that (as charts that ignore outliers do: a run blown up to 6,700 would flatten every
    other curve of its panel to a line at 0; it is still drawn going off the top), else no limit."""
    finite = train[np.isfinite(train)]
    if not len(finite) or finite[0] <= 0 or finite.max() / DIVERGED_FACTOR <= finite[0]:   # no overflow near float32 max
        return math.inf
    return PLOT_HEADROOM * float(finite[0])


def values_extent(x: np.ndarray, drawn, log_y: bool) -> tuple[float, float, float, float] | None:
    """x and y extent of curves' drawn values (NaN where not drawn; the training curve first) in view coordinates
    (log10 y on a log axis), a diverged training curve counted only up to its :func:`diverged_ceiling`; None when
    nothing is drawn."""
    if not len(x):
        return None
    low = float(np.fmin.reduce([np.fmin.reduce(y) for y in drawn]))    # fmin/fmax skip NaN
    high = float(np.fmax.reduce([np.fmax.reduce(y) for y in drawn]))
    if math.isnan(low):
        return None
    high = min(high, diverged_ceiling(drawn[0]))
    if log_y:
        low, high = math.log10(low), math.log10(high)
    return float(x[0]), float(x[-1]), low, high


def drawn_extent(run, x: np.ndarray, drawn, log_y: bool) -> tuple[float, float, float, float] | None:
    """A run's :func:`values_extent`, the live run's planned steps included."""
    extent = values_extent(x, drawn, log_y)
    if extent is None or not run.planned_steps:
        return extent
    x_low, x_high, low, high = extent
    return x_low, max(x_high, x_high * run.planned_steps / run.buffer.steps[-1]), low, high
