"""The hover readout: the step under the mouse of the run the readout follows, as one line of text."""
from __future__ import annotations

import math

import numpy as np

from .curves import RunCurves
from .seed_bands import SeedBand
from .series import TIME, TRAIN_SMOOTH

READOUT_HINT = "Hover over the plot to read step and loss"


def nearest_index(xs: np.ndarray, x: float) -> int:
    """The index of the value of the sorted ``xs`` nearest ``x``."""
    index = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
    if index > 0 and abs(xs[index - 1] - x) < abs(xs[index] - x):
        index -= 1
    return index


def describe_point(run: RunCurves, index: int, x_axis: str, smoothing: float) -> str:
    """"#1 run · step 12 · training loss 0.5 · … · learning rate 0.1": the ``index``-th step of ``run``, with its
    epoch, smoothed loss or time when the plot shows them."""
    buffer = run.buffer
    parts = [run.label, f"step {int(buffer.steps[index])}", f"training loss {buffer.train[index]:.6g}"]
    if x_axis == "epoch" and run.steps_per_epoch:
        parts.insert(2, f"epoch {buffer.steps[index] / run.steps_per_epoch:.2f}")
    val = buffer.val[index]
    if not math.isnan(val):
        parts.append(f"validation loss {val:.6g}")
    if smoothing > 0:
        parts.append(f"smoothed {buffer.column(TRAIN_SMOOTH)[index]:.6g}")
    parts.append(f"learning rate {buffer.rates[index]:.3g}")
    if x_axis == "time":
        parts.append(f"{buffer.column(TIME)[index]:.2f} s")
    return "   ·   ".join(parts)


def describe_band(band: SeedBand, first: RunCurves, index: int, x_axis: str) -> str:
    """"lr 0.1 · optimizer adam (2 seeds) · step 12 · training loss 0.5 ± 0.02 · validation loss 0.6": the
    ``index``-th point of a configuration's mean over seeds (``first``: its first run, for the step number)."""
    parts = [band.label, f"step {int(first.buffer.steps[index])}",
             f"training loss {band.train[index]:.6g} ± {band.std[index]:.3g}"]
    if x_axis == "epoch" and first.steps_per_epoch:
        parts.insert(2, f"epoch {band.x[index]:.2f}")
    if not math.isnan(band.val[index]):
        parts.append(f"validation loss {band.val[index]:.6g}")
    if x_axis == "time":
        parts.append(f"{band.x[index]:.2f} s (mean)")
    return "   ·   ".join(parts)
