"""The messages between a parent (the window, the command line) and a worker process it started.

Every message is a frozen dataclass, pickled over a :mod:`multiprocessing.connection` connection that only the
parent and its own child hold (nothing a user or the network handed us is ever unpickled).

- First the worker says :class:`Hello`; the parent checks :data:`PROTOCOL_VERSION` and refuses in one line.
- Commands in: :class:`RunJob`, :class:`Prepare`, :class:`Shutdown`, and the *job commands*, each with
  ``apply(control)`` which the worker calls on the running job's :class:`TrainingControl`. A new command is one
  dataclass here plus one TrainingControl method; the worker does not change.
- Events out: the job's own event dataclasses (:mod:`kgui.core.session`'s, or any frozen dataclass a job sends to
  its sink), forwarded unchanged, steps batched every :attr:`JobOptions.batch_s` and carried as :class:`StepRows`
  (the parent's reader turns them back into the job's :class:`StepsTaken`), and a training job's end as
  :class:`JobEndedWithRun` when its result is the run its RunEnded just carried (the reader makes it the JobEnded
  again, with that record: a run's history crosses once).
"""
from __future__ import annotations

import dataclasses
import operator
import os
import sys
from dataclasses import dataclass
from importlib import metadata

from ..training.lr_finder import RateRange
from ..runs import StepRecord, SweepTag
from ..session import JobEnded, JobKind, StepsTaken
from ..experiment.settings import ExperimentSettings
from ..training.training_control import TrainingControl

PROTOCOL_VERSION = 3


def kgui_version() -> str:
    try:
        return metadata.version("kgui")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Hello:
    """The worker's first message."""

    protocol_version: int
    pid: int
    python: str
    kgui_version: str

    @classmethod
    def here(cls) -> "Hello":
        return cls(PROTOCOL_VERSION, os.getpid(), sys.version.split()[0], kgui_version())

    def mismatch(self) -> str:
        """One line when this worker cannot talk to this parent, else ""."""
        if self.protocol_version != PROTOCOL_VERSION:
            return (f"the engine process speaks worker protocol {self.protocol_version}, "
                    f"this kgui speaks {PROTOCOL_VERSION}")
        return ""


# -- commands ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobOptions:
    """How a worker runs a job (the session Job's options that make sense in another process)."""

    store_root: str | None = None      # the run store the worker writes (None: the job writes no run)
    paused: bool = False               # a training job starts paused (single-stepping)
    batch_s: float = 0.015             # steps go out together at most this often
    confusion_s: float | None = None   # a classification run's confusion matrix at most this often (None: never)
    surface_s: float | None = None     # a 2-feature run's surface at most this often (None: never)
    layer_stats_s: float | None = None         # a run's layer statistics at most this often (None: never) ...
    layer_stats_every: int | None = None       # ... or every this many steps
    sweep: SweepTag | None = None      # a training run that is a sweep's trial: its tag
    engines: tuple[str, ...] | None = None   # a parity job's engines (None: every installed one)
    rate_range: RateRange = RateRange()      # a range test's rates


@dataclass(frozen=True)
class RunJob:
    """Run one session job; its events follow, ending with a JobEnded."""

    kind: JobKind
    settings: ExperimentSettings
    name: str | None = None
    options: JobOptions = JobOptions()


@dataclass(frozen=True)
class Prepare:
    """Prepare ``settings`` ahead (dataset loaded, engine imported, model compiled) for the next RunJob."""

    settings: ExperimentSettings
    store_root: str | None = None


@dataclass(frozen=True)
class Shutdown:
    """Stop the running job (its run ends as stopped, written) and exit."""


@dataclass(frozen=True)
class Pause:
    def apply(self, control: TrainingControl) -> None:
        control.pause()


@dataclass(frozen=True)
class Resume:
    def apply(self, control: TrainingControl) -> None:
        control.resume()


@dataclass(frozen=True)
class Step:
    """While paused, one more step."""

    def apply(self, control: TrainingControl) -> None:
        control.request_step()


@dataclass(frozen=True)
class Stop:
    def apply(self, control: TrainingControl) -> None:
        control.stop()


@dataclass(frozen=True)
class SetLearningRate:
    rate: float

    def apply(self, control: TrainingControl) -> None:
        control.set_learning_rate(self.rate)


@dataclass(frozen=True)
class Rename:
    run_id: str
    name: str

    def apply(self, control: TrainingControl) -> None:
        control.request_rename(self.run_id, self.name)


@dataclass(frozen=True)
class EditWeight:
    """Set one weight before the next step (``parameter``'s entry at ``index``)."""

    parameter: str
    index: tuple[int, ...]
    value: float

    def apply(self, control: TrainingControl) -> None:
        control.edit_weight(self.parameter, self.index, self.value)


JobCommand = Pause | Resume | Step | Stop | SetLearningRate | Rename | EditWeight
Command = RunJob | Prepare | Shutdown | JobCommand


# -- events -----------------------------------------------------------------------------------------------------------

_STEP_FIELDS = tuple(field.name for field in dataclasses.fields(StepRecord))
_step_row = operator.attrgetter(*_STEP_FIELDS)


@dataclass(frozen=True)
class StepRows:
    """A :class:`StepsTaken` on its way to the parent, each step a plain tuple of its fields: pickling a batch of
    StepRecord dataclasses cost the worker 2.5 µs a step (the linear exercise's steps take 36 µs on PyTensor), the
    tuples a third of it."""

    run_id: str
    rows: list[tuple]
    rate_changes: tuple[tuple[int, float], ...] = ()

    @classmethod
    def of(cls, event: StepsTaken) -> "StepRows":
        return cls(event.run_id, list(map(_step_row, event.steps)), event.rate_changes)

    def event(self) -> StepsTaken:
        return StepsTaken(self.run_id, [StepRecord(*row) for row in self.rows], self.rate_changes)


@dataclass(frozen=True)
class JobEndedWithRun:
    """A :class:`JobEnded` whose result is the run the job's last :class:`RunEnded` carried, sent without it: a
    run's history (5,000 steps: 40 ms to pickle and unpickle on a loaded machine) crosses once, not twice."""

    job_kind: JobKind
    run_id: str
    error: str = ""

    @classmethod
    def of(cls, event: JobEnded, last_ended_id: str | None) -> "JobEndedWithRun | JobEnded":
        """``event`` as it crosses, given the id of the run the job's last RunEnded carried."""
        result = event.result
        if last_ended_id is not None and getattr(result, "id", None) == last_ended_id \
                and getattr(result, "history", None) is not None:
            return cls(event.job_kind, last_ended_id, event.error)
        return event

    def event(self, ended) -> JobEnded:
        """The JobEnded again, its result ``ended``: the record of that RunEnded (None if ``ended`` is another run)."""
        return JobEnded(self.job_kind, ended if getattr(ended, "id", None) == self.run_id else None, self.error)
