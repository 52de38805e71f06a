"""Seeds of one configuration together: a sweep's runs grouped by their axis values but the seed, and their curves'
mean and standard deviation over the seeds, step by step (the Sweep tab's "Curves by seed", the loss plot's bands)."""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..runs import RunRecord
from .spec import format_value

SEED_AXIS = "seed"
Member = TypeVar("Member")


def configuration(values: dict) -> dict:
    """A trial's axis values without its seed: what its seeds have in common."""
    return {name: value for name, value in values.items() if name != SEED_AXIS}


def configuration_label(values: dict) -> str:
    """``learning_rate 0.01 · optimizer adam`` (the seed left out); "all trials" when only the seed varies."""
    return " · ".join(f"{name} {format_value(value)}" for name, value in configuration(values).items()) or "all trials"


def by_configuration(members: Iterable[Member], values_of: Callable[[Member], dict]) -> list[list[Member]]:
    """``members`` grouped by configuration (``values_of(member)``: its axis values), in the order the
    configurations first come, each group in the members' order."""
    groups: dict[str, list[Member]] = {}
    for member in members:
        groups.setdefault(json.dumps(configuration(values_of(member)), sort_keys=True), []).append(member)
    return list(groups.values())


def mean_and_std(curves: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the standard deviation (numpy's, over the seeds) of ``curves`` at each index, over the indices
    every curve reached; a seed's infinite loss gives an infinite mean and a NaN deviation there, without a warning."""
    if not curves:
        return np.empty(0), np.empty(0)
    length = min(len(curve) for curve in curves)
    stacked = np.array([np.asarray(curve, dtype=float)[:length] for curve in curves])
    with np.errstate(invalid="ignore"):   # inf - inf in the deviation of a diverged seed: NaN, unsaid
        return stacked.mean(axis=0), stacked.std(axis=0)


@dataclass(frozen=True)
class SeedGroup:
    """The trials of one configuration (the same axis values but the seed): their loss per step, as the mean and
    standard deviation over the seeds (over the steps every one of them took)."""

    values: dict                 # axis values without the seed
    run_ids: tuple[str, ...]
    steps: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    def label(self) -> str:
        return configuration_label(self.values)


def seed_groups(records: list[RunRecord], column: str = "train_loss") -> list[SeedGroup]:
    """The runs grouped by configuration (their ``sweep_values`` but the seed), each group's ``column`` averaged over
    its seeds, in the order the configurations first come; runs without steps are left out."""
    result = []
    for members in by_configuration([record for record in records if record.history],
                                    lambda record: record.sweep_values):
        curves = [np.array([math.nan if getattr(step, column) is None else getattr(step, column)
                            for step in record.history], dtype=float) for record in members]
        mean, std = mean_and_std(curves)
        steps = np.array([step.step for step in members[0].history[:len(mean)]], dtype=float)
        result.append(SeedGroup(configuration(members[0].sweep_values), tuple(record.id for record in members),
                                steps, mean, std))
    return result
