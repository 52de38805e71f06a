"""A run's points on the plot: growable NumPy columns per step, with the smoothed losses kept up to date."""
from __future__ import annotations

import numpy as np

from kgui.core.smoothing import DebiasedEMA

STEP, TIME, TRAIN, VAL, RATE, TRAIN_SMOOTH, VAL_SMOOTH = range(7)
BULK_STEPS = 64   # extend() builds whole columns from this many steps on
COLUMNS_CHUNK = 20_000


def step_columns(records) -> np.ndarray:
    """StepRecords ``records`` as float64 rows: step, elapsed time, train loss, val loss (NaN: none), rate."""
    columns = np.empty((5, len(records)))
    for start in range(0, len(records), COLUMNS_CHUNK):   # short NumPy calls: a reading thread leaves the GIL
        columns[:, start:start + COLUMNS_CHUNK] = np.array(   # to the GUI thread at least every few ms
            [(record.step, record.elapsed, record.train_loss, record.val_loss, record.learning_rate)
             for record in records[start:start + COLUMNS_CHUNK]], dtype=np.float64).T
    return columns


class SeriesBuffer:
    """Growable float64 columns per step: step, elapsed time, train/val loss, rate, and their smoothed losses."""

    def __init__(self, capacity: int = 1024, smoothing: float = 0.0):
        self._data = np.full((7, capacity), np.nan)
        self.size = 0
        self.smoothing = smoothing
        self._emas = (DebiasedEMA(smoothing), DebiasedEMA(smoothing))

    def append(self, step: int, train_loss: float, val_loss: float | None, rate: float, elapsed: float = 0.0) -> None:
        if self.size == self._data.shape[1]:
            grown = np.full((7, 2 * self.size), np.nan)
            grown[:, :self.size] = self._data
            self._data = grown
        val = np.nan if val_loss is None else val_loss
        self._data[:, self.size] = (step, elapsed, train_loss, val, rate,
                                    self._emas[0].update(train_loss), self._emas[1].update(val))
        self.size += 1

    def extend(self, records, columns: np.ndarray | None = None) -> None:
        """Append StepRecords ``records`` (a saved run's whole history: by whole columns, ``columns`` when they were
        built already, off the GUI thread: :func:`step_columns`)."""
        if columns is None and len(records) < BULK_STEPS:
            for record in records:
                self.append(record.step, record.train_loss, record.val_loss, record.learning_rate, record.elapsed)
            return
        columns = step_columns(records) if columns is None else columns
        start, count = self.size, columns.shape[1]
        if start + count > self._data.shape[1]:
            grown = np.full((7, max(2 * self._data.shape[1], start + count)), np.nan)
            grown[:, :start] = self._data[:, :start]
            self._data = grown
        self._data[[STEP, TIME, TRAIN, VAL, RATE], start:start + count] = columns
        self.size += count
        if self.smoothing == 0:   # the smoothed values are the values themselves (the averages keep no state)
            self._data[[TRAIN_SMOOTH, VAL_SMOOTH], start:self.size] = columns[2:4]
        else:
            for source, target, ema in ((TRAIN, TRAIN_SMOOTH, self._emas[0]), (VAL, VAL_SMOOTH, self._emas[1])):
                self._data[target, start:self.size] = [ema.update(value)
                                                        for value in self._data[source, start:self.size]]

    def fill(self, steps, train, val, rates, elapsed=None) -> None:
        """Replace the contents by whole arrays (used by benchmarks)."""
        elapsed = np.zeros(len(steps)) if elapsed is None else elapsed
        self._data = np.full((7, len(steps)), np.nan)
        for row, values in ((STEP, steps), (TIME, elapsed), (TRAIN, train), (VAL, val), (RATE, rates)):
            self._data[row] = values
        self.size = len(steps)
        self.set_smoothing(self.smoothing)

    def set_smoothing(self, weight: float) -> None:
        """Recompute the smoothed columns with ``weight``."""
        self.smoothing = weight
        self._emas = (DebiasedEMA(weight), DebiasedEMA(weight))
        for source, target, ema in ((TRAIN, TRAIN_SMOOTH, self._emas[0]), (VAL, VAL_SMOOTH, self._emas[1])):
            self._data[target, :self.size] = [ema.update(value) for value in self._data[source, :self.size]]

    def clear(self) -> None:
        self._data[:] = np.nan
        self.size = 0
        self._emas = (DebiasedEMA(self.smoothing), DebiasedEMA(self.smoothing))

    def column(self, index: int) -> np.ndarray:
        return self._data[index, :self.size]

    @property
    def steps(self) -> np.ndarray:
        return self.column(STEP)

    @property
    def train(self) -> np.ndarray:
        return self.column(TRAIN)

    @property
    def val(self) -> np.ndarray:
        return self.column(VAL)

    @property
    def rates(self) -> np.ndarray:
        return self.column(RATE)
