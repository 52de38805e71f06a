"""Sweeps: many runs of one experiment over hyper-parameter axes (spec), run through an executor (threads, worker
processes, a Dask cluster) and written into the store as normal runs tagged with the sweep (runner, recorder)."""
from .executors import AttemptResult, ThreadExecutor, TrialExecutor
from .runner import SweepResult, SweepRunner, TrialEnded, TrialEvent, TrialOutcome, TrialStarted, TrialState
from .spec import MAX_TRIALS, Axis, Metric, SweepMethod, SweepSpec, Trial

__all__ = ["MAX_TRIALS", "AttemptResult", "Axis", "Metric", "SweepMethod", "SweepResult", "SweepRunner", "SweepSpec",
           "ThreadExecutor", "Trial", "TrialEnded", "TrialEvent", "TrialExecutor", "TrialOutcome", "TrialStarted",
           "TrialState"]
