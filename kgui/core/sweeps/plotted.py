"""Which sweep the runs on a plot are trials of: the loss plot colours them by a hyper-parameter and groups their
seeds only when every run it shows is a trial of one sweep."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..runs import SweepTag
from .seeds import SEED_AXIS, by_configuration


class PlottedRuns(Enum):
    """What the runs shown are, as far as sweeps go."""

    NO_TRIALS = "no trials"              # no run shown is a sweep's trial (nothing to colour by)
    MIXED = "mixed"                      # trials shown with runs of no sweep
    SEVERAL_SWEEPS = "several sweeps"    # trials of more than one sweep
    ONE_SWEEP = "one sweep"              # every run shown is a trial of one sweep


@dataclass(frozen=True)
class PlottedSweep:
    """The sweep of the runs shown: its id and the axes their values name (the seed left out), and whether one of
    their configurations is shown with several seeds (there is something to average)."""

    kind: PlottedRuns
    sweep_id: str = ""
    axes: tuple[str, ...] = ()
    several_seeds: bool = False


def plotted_sweep(tags: list[SweepTag | None]) -> PlottedSweep:
    """The sweep the runs shown (``tags``: each one's tag, None for a run of no sweep) are trials of, if one."""
    trials = [tag for tag in tags if tag is not None]
    if not trials:
        return PlottedSweep(PlottedRuns.NO_TRIALS)
    if len(trials) < len(tags):
        return PlottedSweep(PlottedRuns.MIXED)
    if len({tag.sweep_id for tag in trials}) > 1:
        return PlottedSweep(PlottedRuns.SEVERAL_SWEEPS)
    axes = tuple(dict.fromkeys(name for tag in trials for name in tag.values if name != SEED_AXIS))
    several = any(len(group) > 1 for group in by_configuration(trials, lambda tag: tag.values))
    return PlottedSweep(PlottedRuns.ONE_SWEEP, trials[0].sweep_id, axes, several)
