"""Comparing the same experiment run on different engines."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from .runs import RunRecord


@dataclass(frozen=True)
class LossDifference:
    """The largest absolute training-loss difference between two runs, and where it happened."""

    value: float
    step: int
    first: str    # engine of one run
    second: str   # engine of the other

    def describe(self) -> str:
        return (f"largest loss difference between engines: {self.value:.3g} "
                f"({self.first} vs {self.second}, step {self.step})")


def largest_loss_difference(records: list[RunRecord]) -> LossDifference | None:
    """Over every pair of runs and every step both reached; None with fewer than two runs with steps."""
    best = None
    for a, b in itertools.combinations(records, 2):
        for step_a, step_b in zip(a.history, b.history):
            diff = abs(step_a.train_loss - step_b.train_loss)
            if best is None or diff > best.value:
                best = LossDifference(diff, step_a.step, a.engine, b.engine)
    return best
