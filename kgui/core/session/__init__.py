"""The application's run state, without Qt: one :class:`Session` owns the run store, the runs, the live run,
the runs that are shown and the current experiment, and reports what happens as typed events.

A :class:`Job` (a training run, a backend comparison or a learning-rate range test) runs on whatever thread
its driver picks and sends events to a *sink*. The command line runs a job on its main thread with
:meth:`Session.handle` as the sink; the window runs it on a QThread whose sink re-emits each event as a Qt
signal, and hands it to :meth:`Session.handle` on the GUI thread. Either way the session's state changes on
one thread only, and then every listener (:meth:`Session.subscribe`) sees the event.

One writer per run file: while a run trains, only its trainer writes it. Renaming a live run goes through
the training side (:meth:`TrainingControl.request_rename`); the session writes a run only when no trainer does.

One record per run in each process, and facts flow one way. The trainer's record is the writer's: only the trainer
changes it, on the job's thread. Events carry snapshots of it (:meth:`RunRecord.snapshot`), and the learning-rate
changes the trainer decided travel with the steps that use them (``StepsTaken.rate_changes``). The session's record
(``Session.runs``) is this process's mirror: the ``RunStarted`` snapshot, changed only by the events that follow
(``RunEnded`` replaces it with the final snapshot) and by the session's own rename.

The package: ``events`` (the typed events), ``preparation`` (Preparation), ``job`` (Job) and ``state`` (Session).
The names other modules use are here too.
"""
from .events import (ConfusionComputed, Event, EventKind, JobEnded, JobKind, LayerStatsComputed, Phase,
                     PredictionsComputed, RangePoints, RunChanged, RunEnded, RunRemoved, RunsLoaded, RunStarted,
                     StepsTaken, SurfaceComputed)
from .job import Job
from .preparation import Preparation
from .state import Session

__all__ = ["ConfusionComputed", "Event", "EventKind", "Job", "JobEnded", "JobKind", "LayerStatsComputed", "Phase",
           "PredictionsComputed", "Preparation", "RangePoints", "RunChanged", "RunEnded", "RunRemoved", "RunsLoaded",
           "RunStarted", "Session", "StepsTaken", "SurfaceComputed"]
