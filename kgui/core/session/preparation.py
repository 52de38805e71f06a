"""An experiment prepared ahead on a background thread: dataset loaded, engine imported, model compiled."""
from __future__ import annotations

import threading
from time import perf_counter
from typing import Callable

from ..data.datasets import LoadProgress
from ..runs import RunStore
from ..experiment.settings import ExperimentSettings
from ..training.trainer import Stage, Trainer, stage_text, same_preparation
from ..training.training_control import TrainingControl


POLL_S = 0.05   # a job waiting for a preparation checks for Stop this often


def stopped_while(stages: list[Stage], engine: str) -> str:
    """The message of a run stopped while it was being prepared, naming the stage it was in."""
    stage = stages[-1] if stages else None
    if stage is Stage.LOADING_DATASET:
        return "stopped while loading the dataset"
    if stage in (Stage.IMPORTING_ENGINE, Stage.COMPILING):
        return "stopped while " + stage_text(stage, engine).rstrip("…")
    return "stopped while preparing"


class Preparation:
    """An experiment prepared ahead on a background thread: dataset loaded, engine imported, model compiled
    (:meth:`Trainer.prepare`, which writes nothing to the store). A training job on settings that differ at most in
    learning rate and steps takes its trainer instead of preparing again.

    ``reuse``: an ended run's trainer on the same experiment, whose dataset and compiled model are restarted instead (Trainer).
    """

    def __init__(self, settings: ExperimentSettings, store: RunStore | None, reuse: Trainer | None = None):
        self.settings = settings
        self.trainer = Trainer(settings, TrainingControl(), store, status=self._status, reuse=reuse)
        self.phases: list[Stage] = []            # the stages preparing has reported so far
        self.phase_progress: list[LoadProgress | None] = []   # each report's load progress (None: not reading)
        self.started = perf_counter()
        self.taken = False                       # a job has taken the trainer (it is prepared once, used once)
        self._done = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="kgui-prepare", daemon=True)
        self._thread.start()

    def _status(self, stage: Stage) -> None:
        with self._changed:
            self.phases.append(stage)
            self.phase_progress.append(self.trainer.load_progress)
            self._changed.notify_all()

    def _run(self) -> None:
        try:
            self.trainer.prepare()
        except Exception:  # noqa: BLE001 - kept in the trainer; the job that takes it fails with it
            pass
        with self._changed:
            self._done.set()
            self._changed.notify_all()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def ready(self) -> bool:
        """Prepared without error and not taken yet."""
        return self.done and self.trainer.model is not None and not self.taken

    def fits(self, settings: ExperimentSettings) -> bool:
        return not self.taken and same_preparation(self.settings, settings)

    def wait(self, control: TrainingControl, on_phase: Callable[[Stage, LoadProgress | None], None]) -> bool:
        """Wait until prepared, telling ``on_phase`` each stage and its load progress (those already passed too);
        False as soon as ``control`` is stopped (checked every ``POLL_S``). Nothing is told when it was prepared
        already."""
        told = len(self.phases) if self.done else 0
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self.done or len(self.phases) > told, POLL_S)
                phases, done = list(zip(self.phases[told:], self.phase_progress[told:])), self.done
            for phase, progress in phases:
                on_phase(phase, progress)
            told += len(phases)
            if done:
                return True
            if control.stopped:
                return False

    def join(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Stop preparing: a dataset load stops at its next block (removing a disk-cache entry it was writing); an
        engine import or compile cannot be stopped and runs to its end, writing nothing."""
        self.trainer.control.stop()

    @property
    def loading_dataset(self) -> bool:
        return not self.done and self.trainer.dataset is None
