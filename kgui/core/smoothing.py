"""TensorBoard-style smoothing: a debiased exponential moving average that steps over NaN/inf.

With weight ``w`` the running average is ``a_n = w·a_(n-1) + (1 - w)·x_n`` from ``a_0 = 0``, and
the smoothed value is ``a_n / (1 - w**n)`` (n counts finite values only), so early points are
not pulled towards zero. Non-finite values are passed through unchanged and leave the average
alone, exactly like TensorBoard's scalar dashboard.
"""
from __future__ import annotations

import math

import numpy as np

MAX_WEIGHT = 0.999


def _checked_weight(weight) -> float:
    value = float(weight)
    if not 0 <= value <= MAX_WEIGHT:
        raise ValueError(f"smoothing weight must be between 0 and {MAX_WEIGHT}, got {weight!r}")
    return value


class DebiasedEMA:
    """Streaming version for live curves: ``update(value)`` returns the smoothed value so far."""

    def __init__(self, weight: float):
        self.weight = _checked_weight(weight)
        self._average = 0.0
        self._count = 0

    def update(self, value: float) -> float:
        value = float(value)
        if not math.isfinite(value):
            return value
        self._average = self.weight * self._average + (1 - self.weight) * value
        self._count += 1
        return self._average / (1 - self.weight ** self._count)


def smoothed(values, weight: float) -> np.ndarray:
    """``values`` (any sequence of numbers, None as NaN) smoothed with ``weight`` in [0, 0.999], float64."""
    ema = DebiasedEMA(weight)
    return np.array([ema.update(math.nan if value is None else value) for value in values], dtype=np.float64)
