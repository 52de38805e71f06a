"""Step-wise training with live controls (learning rate, pause, resume, single step, stop).

A job's thread calls :meth:`Trainer.run`; whoever steers the run (the worker's command loop, the command line's
signal handler) only touches its :class:`~kgui.core.training.training_control.TrainingControl`, which the trainer reads
between two steps.
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from enum import StrEnum
from time import perf_counter

import numpy as np


from . import engines, layer_stats, surface
from ..data.datasets import Dataset, LoadCancelled, LoadProgress
from ..files import one_line
from .models import architecture_for, build_model
from ..runs import FINAL_STATUSES, RunRecord, RunStatus, RunStore, RunWriter, StepRecord, WeightEdit
from ..experiment.settings import ExperimentSettings
from .training_control import TrainingControl, checked_rate

__all__ = ["Stage", "Trainer", "model_key", "reusable_model", "same_data", "same_preparation", "stage_text"]

EXPLOSION_FACTOR = 1e4  # a training loss this many times the first step's counts as diverged
PARAMETERS_CHECKED_EVERY = 10   # steps (and the last): reading every parameter back cost TensorFlow ~2.3 ms a step,
                                # as much as the step itself; a loss that is no longer finite is caught at once


class Stage(StrEnum):
    """Where a trainer stands before its final :class:`RunStatus`: what it reports to its ``status`` callback."""

    LOADING_DATASET = "loading dataset"
    RESTARTING = "restarting the model"     # an ended run's compiled model, back to its initial weights
    IMPORTING_ENGINE = "importing engine"
    COMPILING = "compiling"
    TRAINING = "training"


def stage_text(stage: Stage, engine: str, progress: LoadProgress | None = None) -> str:
    """What people read: "loading dataset… 1,234 rows, 45%", "importing TensorFlow…", "compiling…", "training"."""
    if stage is Stage.LOADING_DATASET:
        return "loading dataset…" + (f" {progress.describe()}" if progress is not None else "")
    if stage is Stage.IMPORTING_ENGINE:
        return f"importing {engines.engine_title(engine)}…"
    if stage is Stage.TRAINING:
        return stage.value
    return f"{stage.value}…"


def same_preparation(a: ExperimentSettings, b: ExperimentSettings) -> bool:
    """Whether a trainer prepared for ``a`` can train ``b``: they differ at most in learning rate and steps."""
    return a.replace(learning_rate=1.0, steps=1) == b.replace(learning_rate=1.0, steps=1)


def same_data(a: ExperimentSettings, b: ExperimentSettings) -> bool:
    """Whether ``a`` and ``b`` train on the same rows (dataset, its options, split and seed, features, data seed)."""
    return (a.dataset, dict(a.dataset_options), a.val_fraction, a.seed, a.input_features(), a.data_seed) == (
        b.dataset, dict(b.dataset_options), b.val_fraction, b.seed, b.input_features(), b.data_seed)


def model_key(settings: ExperimentSettings) -> str:
    """What the compiled model of ``settings`` depends on, as text: equal keys, one compiled model
    (:func:`reusable_model`)."""
    part = settings.replace(learning_rate=1.0, steps=1, epochs=None, seed=0, dataset_options={}, val_fraction=0.0,
                            data_seed=None)
    return json.dumps(part.to_dict(), sort_keys=True)


def reusable_model(a: ExperimentSettings, b: ExperimentSettings) -> bool:
    """Whether a model compiled for ``a`` can be restarted for ``b``: they differ at most in values that live in K
    variables or in the data (learning rate, seed: new initial weights, steps, epochs, the dataset's options and
    split; the data's shape is checked once it is loaded)."""
    return model_key(a) == model_key(b)


class _BatchOrder:
    """Rows of each step's batch: all rows (full batch), or a seeded reshuffle per epoch in full batches."""

    def __init__(self, n_rows: int, batch_size: int | None, seed: int):
        self.n_rows = n_rows
        self.batch_size = batch_size
        self._rng = np.random.RandomState(seed)
        self._order = np.empty(0, dtype=np.int64)
        self._position = 0

    def next(self) -> np.ndarray | None:
        """Row indices of the next batch, or None for the full batch."""
        if self.batch_size is None:
            return None
        if self._position + self.batch_size > len(self._order):
            self._order = self._rng.permutation(self.n_rows)
            self._position = 0
        rows = self._order[self._position:self._position + self.batch_size]
        self._position += self.batch_size
        return rows


class Trainer:
    """Runs one experiment step by step, records it, and saves it to ``store`` as it goes.

    Nothing is written to the store before the first step, so a run that fails while
    preparing (bad dataset, missing engine) leaves no trace there. From the first step on the
    trainer holds the run's :class:`RunWriter` (and so its lock) until the run has ended; a write
    that fails (disk full, read-only) ends the run as failed with the file and the OS's reason.

    ``reuse``: an ended run's trainer of the same model (:func:`reusable_model`); this one trains with its compiled
    model, restarted from the initial weights of its own seed, instead of compiling it again (each compile leaves
    memory behind in the engines), and with its dataset when the data is the same (:func:`same_data`).
    """

    def __init__(self, settings: ExperimentSettings, control: TrainingControl | None = None,
                 store: RunStore | None = None, dataset: Dataset | None = None, status=None,
                 reuse: Trainer | None = None):
        if reuse is not None and (reuse.model is None or not reusable_model(reuse.settings, settings)):
            raise ValueError("only a prepared trainer of the same model can be reused")
        self.settings = settings
        self.control = control or TrainingControl()
        self.store = store
        self.dataset = reuse.dataset if reuse is not None and same_data(reuse.settings, settings) else dataset
        self.record = RunRecord.new(settings)
        self.model = None
        self._reused_model = reuse.model if reuse is not None else None
        self.error: BaseException | None = None  # what made the run fail, for logs
        self.load_progress: LoadProgress | None = None   # how far the dataset file is read, while it loads
        self._status = status or (lambda update: None)   # status(Stage or, at the end, the final RunStatus)
        self._batches: _BatchOrder | None = None
        self.writer: RunWriter | None = None
        self._elapsed = 0.0
        self._learning_rate = settings.learning_rate
        self._prepare_error: Exception | None = None
        self.layer_history: layer_stats.LayerStatsHistory | None = None   # saved with the run when it ends

    def _timed(self, key: str, stage: Stage, action):
        self.load_progress = None
        self._status(stage)
        start = perf_counter()
        result = action()
        self.record.timings[key] = round(perf_counter() - start, 6)
        return result

    def prepare(self) -> None:
        """Load the dataset and the engine, build and compile the model (slow: call it on the worker thread)."""
        if self.model is not None:
            return
        if self._prepare_error is not None:   # prepared ahead, and that failed: the same failure
            raise self._prepare_error
        try:
            self._prepare()
        except Exception as exc:
            self._prepare_error = exc
            raise

    def _prepare(self) -> None:
        settings = self.settings
        settings.validate()
        engines.check_floatx()
        if self.dataset is None:
            self.dataset = self._timed("load_dataset", Stage.LOADING_DATASET, lambda: settings.load_dataset(
                progress=self._loading, should_stop=lambda: self.control.stopped))
        dataset = self.dataset
        self.record.dataset_info, self.record.train_rows = dataset.describe(), len(dataset.x_train)
        if settings.batch_size is not None and settings.batch_size > len(dataset.x_train):
            raise ValueError(f"batch_size {settings.batch_size} is larger than the {len(dataset.x_train)} "
                             f"training rows of {dataset.name}")
        if settings.epochs is not None:  # from here on, steps is the number of updates the epochs make
            settings = self.settings = self.record.settings = settings.replace(
                steps=settings.planned_steps(len(dataset.x_train)))
        model, self._reused_model = self._reused_model, None
        if model is not None and model.architecture != architecture_for(
                settings.resolved_model(dataset.task), dataset, settings.hidden, settings.activation):
            model = None   # other data gave another shape (features, classes): compiled anew
        if model is not None:   # an ended run's model: back to its start (weights of its seed), nothing compiled
            self.record.engine, self.record.engine_version = model.K.backend(), model.K.version
            self.model = self._timed("restart", Stage.RESTARTING, lambda: self._restarted(model))
        else:
            self.model = self._compiled_model(settings, dataset)
        self._batches = _BatchOrder(len(dataset.x_train), settings.batch_size, settings.seed)

    def _compiled_model(self, settings: ExperimentSettings, dataset: Dataset):
        """Import the engine, then build, compile and warm up the model."""
        K = self._timed("load_engine", Stage.IMPORTING_ENGINE, lambda: engines.load(settings.backend))
        self.record.engine, self.record.engine_version = K.backend(), K.version

        def compile_model():
            model = build_model(settings.resolved_model(dataset.task), K, dataset, settings.learning_rate,
                                settings.seed, hidden=settings.hidden, activation=settings.activation,
                                optimizer=settings.optimizer_config(), l2=settings.l2, l1=settings.l1)
            rows = settings.batch_size or len(dataset.x_train)   # the shape of every step's batch
            model.warm_up(dataset.x_train[:rows], dataset.y_train[:rows], dataset.x_val, dataset.y_val)
            return model

        return self._timed("compile", Stage.COMPILING, compile_model)

    def _restarted(self, model):
        model.restart(self.settings.seed, self.settings.learning_rate)
        return model

    def _loading(self, progress: LoadProgress) -> None:
        self.load_progress = progress
        self._status(Stage.LOADING_DATASET)   # again, with the progress in ``load_progress``

    def take_over(self, record: RunRecord, control: TrainingControl, status=None) -> None:
        """Train ``record``'s settings with this trainer, prepared ahead for settings that differ from them at most
        in learning rate and steps (:func:`same_preparation`); ``record`` keeps what preparing measured."""
        settings = record.settings
        if not same_preparation(self.settings, settings):
            raise ValueError("the prepared trainer is for other settings")
        if self.steps_done:
            raise RuntimeError("a trainer that has taken steps cannot be taken over")
        if settings.epochs is not None:
            settings = record.settings = settings.replace(steps=self.settings.steps)
        record.dataset_info, record.engine, record.engine_version = (self.record.dataset_info, self.record.engine,
                                                                     self.record.engine_version)
        record.train_rows = self.record.train_rows
        record.timings.update(self.record.timings)
        self.settings, self.record, self.control = settings, record, control
        self._status = status or (lambda update: None)
        if self.model is not None and settings.learning_rate != self._learning_rate:
            self.model.set_learning_rate(settings.learning_rate)   # a K variable: nothing is compiled again
        self._learning_rate = settings.learning_rate

    @property
    def steps_done(self) -> int:
        return len(self.record.history)

    @property
    def learning_rate(self) -> float:
        """The base rate of the next step (the rate it uses, without a schedule)."""
        return self._learning_rate

    def set_learning_rate(self, value: float) -> None:
        """Use ``value`` as the base rate from the next step on and record the change (call it on the training
        thread); a scheduled run's steps train with the schedule's rates scaled by it."""
        rate = checked_rate(value)
        if rate == self._learning_rate:
            return
        self.prepare()
        if not self.settings.schedule_config().scheduled:
            self.model.set_learning_rate(rate)
        self._learning_rate = rate
        self.record.note_rate_change(self.steps_done + 1, rate)
        if self.writer is not None:
            self.writer.save()

    def edit_weight(self, parameter: str, index: tuple[int, ...], value: float) -> WeightEdit | None:
        """Set ``parameter[index]`` to ``value`` (``K.set_value``) from the next step on and record it in the run;
        None (nothing changed) when the model has no such parameter or entry (call it on the training thread)."""
        self.prepare()
        variable = next((v for v in self.model.params if v.name == parameter), None)
        if variable is None or len(index) != len(variable.shape) \
                or not all(0 <= i < size for i, size in zip(index, variable.shape)):
            return None
        values = np.array(self.model.K.get_value(variable))
        values[index] = value
        self.model.K.set_value(variable, values)
        edit = WeightEdit(self.steps_done + 1, parameter, tuple(index), float(value))
        self.record.weight_edits.append(edit)
        if self.writer is not None:
            self.writer.save()
        return edit

    def step(self) -> StepRecord:
        """Validation, then one parameter update; marks the run diverged when values stop being finite.

        Both losses are of the weights the step starts from: the update's function returns the batch's loss before
        it changes them, and the validation rows are measured just before it (measuring the batch again after the
        update instead costs a forward pass more: bench/bench_step_losses.py)."""
        if self.record.status in FINAL_STATUSES:
            raise RuntimeError(f"run {self.record.id} is already {self.record.status}")
        self.prepare()
        self.record.status = RunStatus.RUNNING
        dataset, model = self.dataset, self.model
        rows = self._batches.next()
        x, y = (dataset.x_train, dataset.y_train) if rows is None else (dataset.x_train[rows], dataset.y_train[rows])
        schedule = self.settings.rate_schedule()
        rate = schedule.rate(self.steps_done + 1, self._learning_rate)
        if schedule.config.scheduled:   # fed per step: the model's lr variable, as the slider sets it
            model.set_learning_rate(rate)
        start = perf_counter()
        val_loss, accuracy = model.evaluate(dataset.x_val, dataset.y_val) if len(dataset.x_val) else (None, None)
        update_start = perf_counter()
        loss = model.train_step(x, y)
        step_ms = (perf_counter() - update_start) * 1000
        self._elapsed += perf_counter() - start
        record = StepRecord(self.steps_done + 1, loss, val_loss, accuracy, rate, self._elapsed,
                            step_ms, model.summary_params())
        self.record.history.append(record)
        self._check_divergence(record)
        if self.store is not None:
            if self.writer is None:
                self.writer = self.store.begin(self.record)
            self.writer.append(record)
        return record

    def _check_divergence(self, step: StepRecord, read_parameters: bool = False) -> None:
        """Diverged: a loss that is not finite or exploded, or parameters that are not finite (read back every
        ``PARAMETERS_CHECKED_EVERY`` steps, at the last, on single steps while paused, or ``read_parameters``)."""
        losses = {"training loss": step.train_loss, "validation loss": step.val_loss}
        bad = [f"{name} is {value}" for name, value in losses.items() if value is not None and not math.isfinite(value)]
        check_parameters = (bad or read_parameters or self.control.paused or step.step >= self.settings.steps
                            or step.step % PARAMETERS_CHECKED_EVERY == 0)
        if check_parameters and not all(np.isfinite(values).all() for values in self.model.parameters().values()):
            bad.append("the parameters are no longer finite")
        first_loss = self.record.history[0].train_loss
        if not bad and first_loss > 0 and step.train_loss > EXPLOSION_FACTOR * first_loss:
            bad.append(f"training loss {step.train_loss:.4g} exploded to over {EXPLOSION_FACTOR:g} times "
                       f"the first step's {first_loss:.4g}")
        if bad:
            self.record.status = RunStatus.DIVERGED
            self.record.message = (f"diverged at step {step.step} with learning rate {step.learning_rate:g}: "
                                   + ", ".join(bad))

    def run(self, on_step=None) -> RunRecord:
        """Train until ``settings.steps`` steps, a stop, divergence or an error; returns the final record.

        ``on_step(StepRecord)`` is called after every step on this thread. Errors do not
        propagate: they end the run with status "failed" and a one-line ``message``.
        """
        try:
            self.prepare()
            self.record.status = RunStatus.RUNNING
            self._status(Stage.TRAINING)
            while self.steps_done < self.settings.steps and self.record.status == "running":
                if not self.control.wait_for_turn():
                    if self.record.history:   # stopped between two checks of the parameters
                        self._check_divergence(self.record.history[-1], read_parameters=True)
                    if self.record.status == "running":
                        self.record.status = RunStatus.STOPPED
                    break
                rate = self.control.take_learning_rate()
                if rate is not None:
                    self.set_learning_rate(rate)
                self._take_rename()
                for parameter, index, value in self.control.take_weight_edits():
                    self.edit_weight(parameter, index, value)
                step = self.step()
                if on_step is not None:
                    on_step(step)
            if self.record.status == "running":
                self.record.status = RunStatus.FINISHED
        except LoadCancelled:
            self.record.status = RunStatus.STOPPED
            self.record.message = "stopped while loading the dataset"
        except Exception as exc:  # noqa: BLE001 - every failure becomes the run's status and message
            self.error = exc
            self.record.status = RunStatus.FAILED
            self.record.message = one_line(exc)
        self._finish()
        return self.record

    def _take_rename(self) -> None:
        """A name requested through the control (this trainer is the run's only writer while it trains)."""
        name = self.control.take_rename(self.record.id)
        if name is not None:
            self.record.name = name
            if self.writer is not None:
                self.writer.save()

    def _save_surface(self) -> None:
        """A 2-feature run's final decision boundary (or surface) beside its history, for when it is shown again
        without a model; a run that failed or diverged has none, and one that cannot be written is left out."""
        if self.model is None or not surface.has_surface(self.dataset) or self.record.status not in (
                RunStatus.FINISHED, RunStatus.STOPPED) or not self.steps_done:
            return
        try:
            surface.save(self.writer.folder, surface.surface(self.model, self.dataset), self.dataset, self.steps_done)
        except Exception:  # noqa: BLE001 - a picture never fails its run: the view says that none was saved
            pass

    def _save_layer_stats(self) -> None:
        """The run's layer statistics (when a job sampled them) beside its history; left out if it cannot be
        written (the run is not failed for it)."""
        if self.layer_history is None or not len(self.layer_history):
            return
        try:
            layer_stats.save(self.writer.folder, self.layer_history)
        except OSError:
            pass

    def _finish(self) -> None:
        record = self.record
        name = self.control.take_rename(record.id)
        if name is not None:
            record.name = name
        record.timings["train"] = round(self._elapsed, 6)
        record.finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if self.model is not None:
            record.final_params = self.model.summary_params() or {
                name: {"shape": list(values.shape), "l2_norm": float(np.linalg.norm(values))}
                for name, values in self.model.parameters().items()}
        if self.writer is not None:
            self._save_surface()
            self._save_layer_stats()
            try:
                self.writer.save()
            except OSError as exc:  # the run stays on disk as interrupted, with every step written
                if record.status != RunStatus.FAILED:
                    self.error = exc
                    record.status, record.message = RunStatus.FAILED, one_line(exc)
            finally:
                self.writer.close()
        self._status(record.status)
