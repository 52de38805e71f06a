"""What a job and a session report: typed, frozen events (:data:`Event`), picklable for the worker protocol.

Events are values: a record in an event is a snapshot of the writer's (:meth:`RunRecord.snapshot`), never the trainer's
own object, so a receiver may keep it while the trainer goes on changing its record."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from ..training import layer_stats, lr_finder, metrics, surface
from ..data.datasets import LoadProgress
from ..runs import RunRecord, StepRecord
from ..training.trainer import Stage, stage_text


class EventKind(StrEnum):
    """What an event reports."""

    STARTED = "started"        # a run began training (its engine is loaded, its model compiled)
    PHASE = "phase"            # a job is preparing: loading the dataset, importing the engine, compiling
    STEPS = "steps"            # a run took steps
    ENDED = "ended"            # a run reached its final status
    CONFUSION = "confusion"    # a classification run's validation confusion matrix
    PREDICTIONS = "predictions"   # a multi-feature regression run's predictions against the targets
    SURFACE = "surface"        # a 2-feature run's predictions over the plane (decision boundary or surface)
    LAYER_STATS = "layer stats"   # a run's per-layer statistics, weights and gradients
    POINTS = "points"          # the range test measured points
    JOB_ENDED = "job ended"    # a job is over (its result, or the error that stopped it)
    CHANGED = "changed"        # a run was renamed, shown or hidden
    LOADED = "loaded"          # runs another process wrote were read from the store (a sweep's trials that ended)
    REMOVED = "removed"        # a run was deleted


class JobKind(StrEnum):
    TRAINING = "training"
    PARITY = "parity"
    RANGE_TEST = "range test"


@dataclass(frozen=True)
class Phase:
    kind: ClassVar[EventKind] = EventKind.PHASE
    stage: Stage               # loading the dataset, importing the engine, compiling, restarting the model
    backend: str               # the engine the job is preparing
    run: RunRecord | None = None   # the run being prepared (pending, no steps), for a training job
    since: float = 0.0         # perf_counter() when the job began preparing, for an elapsed-time counter
    progress: LoadProgress | None = None   # rows and share of the file read so far, while a dataset file loads

    @property
    def text(self) -> str:
        """For people: "loading dataset… 1,234 rows, 45%", "importing TensorFlow…", "compiling…"."""
        return stage_text(self.stage, self.backend, self.progress)


@dataclass(frozen=True)
class RunStarted:
    kind: ClassVar[EventKind] = EventKind.STARTED
    run: RunRecord             # the writer's record as it starts (a snapshot without history); engine and version known
    dataset: object            # the run's Dataset (None for a sweep's trial from a worker or Dask: nobody draws it)


@dataclass(frozen=True)
class StepsTaken:
    kind: ClassVar[EventKind] = EventKind.STEPS
    run_id: str
    steps: list[StepRecord]
    rate_changes: tuple[tuple[int, float], ...] = ()   # (step, base rate): the trainer's live changes these steps use


@dataclass(frozen=True)
class RunEnded:
    kind: ClassVar[EventKind] = EventKind.ENDED
    run: RunRecord             # the final record (a snapshot of the writer's), with its whole history


@dataclass(frozen=True)
class ConfusionComputed:
    kind: ClassVar[EventKind] = EventKind.CONFUSION
    run_id: str
    step: int
    matrix: metrics.ConfusionMatrix


@dataclass(frozen=True)
class PredictionsComputed:
    kind: ClassVar[EventKind] = EventKind.PREDICTIONS
    run_id: str
    step: int
    predictions: metrics.Predictions


@dataclass(frozen=True)
class SurfaceComputed:
    kind: ClassVar[EventKind] = EventKind.SURFACE
    run_id: str
    step: int
    surface: surface.Surface


@dataclass(frozen=True)
class LayerStatsComputed:
    kind: ClassVar[EventKind] = EventKind.LAYER_STATS
    run_id: str
    stats: layer_stats.LayerStats


@dataclass(frozen=True)
class RangePoints:
    kind: ClassVar[EventKind] = EventKind.POINTS
    points: list[lr_finder.RangeTestPoint]


@dataclass(frozen=True)
class JobEnded:
    kind: ClassVar[EventKind] = EventKind.JOB_ENDED
    job_kind: JobKind
    result: object             # RunRecord, ParityResult or RangeTestResult; None when the job raised
    error: str = ""            # one line for people when it raised


@dataclass(frozen=True)
class RunChanged:
    kind: ClassVar[EventKind] = EventKind.CHANGED
    run: RunRecord
    shown: bool


@dataclass(frozen=True)
class RunsLoaded:
    """Runs another process wrote, read from the store together (a sweep's trials that ended within one frame)."""

    kind: ClassVar[EventKind] = EventKind.LOADED
    runs: tuple[RunRecord, ...]   # as stored: summaries, steps only for the runs shown (the others' when first shown)
    shown: frozenset[str]         # the ids of those shown


@dataclass(frozen=True)
class RunRemoved:
    kind: ClassVar[EventKind] = EventKind.REMOVED
    run_id: str


Event = (Phase | RunStarted | StepsTaken | RunEnded | ConfusionComputed | PredictionsComputed | SurfaceComputed
         | LayerStatsComputed
         | RangePoints | JobEnded | RunChanged | RunsLoaded | RunRemoved)
