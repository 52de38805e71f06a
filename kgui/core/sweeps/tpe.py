"""Optuna's TPE sampler through its ask-and-tell interface: each configuration is asked when a slot is free and
told its metric (the mean over its seeds) when its trials have ended. Needs optuna (the ``tuning`` extra)."""
from __future__ import annotations

import math
import threading
from collections import deque

from .spec import SweepSpec, Trial


class TpeSource:
    """Trials for the runner's slots, asked from an Optuna study one configuration at a time (thread-safe)."""

    def __init__(self, spec: SweepSpec):
        try:
            import optuna
        except ImportError:
            raise ImportError("a TPE sweep needs optuna: pip install 'kgui[tuning]'") from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self.spec = spec
        direction = "maximize" if spec.metric.higher_is_better else "minimize"
        self.study = optuna.create_study(direction=direction,
                                         sampler=optuna.samplers.TPESampler(seed=spec.sample_seed))
        self._queued: deque[Trial] = deque()
        self._asked = 0
        self._pending: dict[int, tuple[object, list[float | None], int]] = {}   # first trial index -> study trial
        self._lock = threading.Lock()

    def _suggest(self, study_trial) -> dict:
        values = {}
        for axis in self.spec.axes:
            if not axis.is_range:
                choices = [list(v) if isinstance(v, tuple) else v for v in axis.values]
                index = study_trial.suggest_categorical(axis.name, list(range(len(choices))))
                values[axis.name] = axis.values[index]
            elif axis.integer:
                values[axis.name] = study_trial.suggest_int(axis.name, math.ceil(axis.low), math.floor(axis.high),
                                                            log=axis.log_scale)
            else:
                values[axis.name] = study_trial.suggest_float(axis.name, axis.low, axis.high, log=axis.log_scale)
        return values

    def next(self, last: Trial | None = None) -> Trial | None:
        with self._lock:
            if not self._queued:
                if self._asked >= self.spec.trials:
                    return None
                study_trial = self.study.ask()
                first = self._asked * self.spec.seeds
                trials = self.spec.trials_of(self._suggest(study_trial), first)
                self._pending[first] = (study_trial, [], len(trials))
                self._queued.extend(trials)
                self._asked += 1
            return self._queued.popleft()

    def tell(self, outcome) -> None:
        first = outcome.trial.index - outcome.trial.index % self.spec.seeds
        with self._lock:
            study_trial, metrics, count = self._pending[first]
            metrics.append(self.spec.metric.of(outcome.record))
            if len(metrics) < count:
                return
            del self._pending[first]
        values = [value for value in metrics if value is not None]
        if values:
            self.study.tell(study_trial, sum(values) / len(values))
        else:
            self.study.tell(study_trial, state=self._optuna.trial.TrialState.FAIL)
