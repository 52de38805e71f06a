"""Backend parity: the same experiment trained on every installed engine, curves compared step by step.

Every engine gets the same settings but its ``backend``; the dataset is loaded once and shared,
and the seed fixes both the initial weights (NumPy's RandomState in float32) and the batch order,
so any difference comes from the engines' arithmetic. Identical initial weights are checked,
not assumed.

Tolerance: both engines compute in float32 (machine epsilon 1.2e-7) and sum their reductions in
different orders, so per-step losses differ by a few ulps that gradient descent carries along
(measured max |Δloss| over 200 steps: 6e-9 on the linear exercise, 6e-8 iris, 1.2e-7 wine,
7e-7 Otto; 1.4e-6 on Otto over 25 steps at lr 0.01; the notebook's full-Otto logistic regression, 200 steps
at lr 0.01, against TensorFlow: PyTensor 4.3e-6, JAX 7e-7, PyTorch 3.3e-6). :data:`LOSS_TOLERANCE` = 1e-4 is about a
thousand float32 ulps of a loss near 1: far above that noise, far below what a real difference
does (another batch, initial weight or gradient moves the loss by 1e-3 or more within a few
steps). Above 1 it scales with the loss, as float32 precision does: diabetes' raw-target MSE of
2.9e4 differs by 2e-3 between engines, 7e-8 of the loss.
"""
from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kgui import backend

from .engines import installed_ids
from ..exports import export as run_export
from ..files import write_output
from ..runs import RunRecord, RunStore, json_safe
from ..experiment.settings import ExperimentSettings
from .trainer import Trainer
from .training_control import TrainingControl

LOSS_TOLERANCE = 1e-4


def tolerance_for(loss: float) -> float:
    """The largest difference still counted as float32 rounding for a loss of this size."""
    return LOSS_TOLERANCE * max(1.0, abs(loss)) if math.isfinite(loss) else 0.0


@dataclass(frozen=True)
class LossDifference:
    """The largest absolute training-loss difference between engines at one step, and which pair."""

    value: float
    step: int
    first: str    # engine of one run
    second: str   # engine of the other
    loss: float   # the first engine's loss there

    def describe(self) -> str:
        return (f"largest loss difference between engines: {self.value:.3g} "
                f"({self.first} vs {self.second}, step {self.step})")


def _difference(a: float, b: float) -> float:
    """|a - b|; 0 when both are non-finite (both diverged), inf when only one is."""
    if math.isfinite(a) and math.isfinite(b):
        return abs(a - b)
    return 0.0 if not (math.isfinite(a) or math.isfinite(b)) else math.inf


def step_differences(records: list[RunRecord]) -> list[LossDifference]:
    """For each step every run reached, the largest difference over all pairs of runs."""
    steps = []
    for index in range(min((len(r.history) for r in records), default=0)):
        pairs = (LossDifference(_difference(a.history[index].train_loss, b.history[index].train_loss),
                                a.history[index].step, a.engine, b.engine, a.history[index].train_loss)
                 for a, b in itertools.combinations(records, 2))
        largest = max(pairs, key=lambda d: d.value, default=None)
        if largest is not None:
            steps.append(largest)
    return steps


@dataclass
class ParityResult:
    """Each engine's run and how far their training losses stay apart."""

    settings: ExperimentSettings
    records: list[RunRecord] = field(default_factory=list)
    initial_weights_match: bool | None = None   # None until two engines have built their model
    differences: list[LossDifference] = field(default_factory=list)  # one per step all runs reached
    unavailable: dict[str, str] = field(default_factory=dict)   # engine -> why it could not be imported (skipped)
    initial_weights: list[dict] = field(default_factory=list, repr=False, compare=False)   # each built model's
    # parameters before its first step (engines that failed before building have none)

    @property
    def compared(self) -> list[RunRecord]:
        """The runs of the engines that could be used."""
        return [record for record in self.records if record.settings.backend not in self.unavailable]

    @property
    def largest(self) -> LossDifference | None:
        return max(self.differences, key=lambda d: d.value, default=None)

    @property
    def parting(self) -> LossDifference | None:
        """The first step where the losses differ by more than float32 tolerance, if any."""
        return next((d for d in self.differences if d.value > tolerance_for(d.loss)), None)

    @property
    def cut_short(self) -> bool:
        """True when a run was stopped or failed, so the comparison covers only part of the experiment."""
        return any(record.status in ("stopped", "failed") for record in self.compared)

    @property
    def verdict(self) -> str:
        """One line: same within tolerance, where the engines part, or why there is nothing to compare; then each
        engine that could not be used."""
        skipped = "".join(f"; {message}" for message in self.unavailable.values())
        failed = [r for r in self.compared if r.status == "failed"]
        if failed:
            return f"{failed[0].engine or failed[0].settings.backend} failed: {failed[0].message}{skipped}"
        if self.initial_weights_match is False:
            return "initial weights differ between engines: the runs cannot be compared" + skipped
        if self.largest is None:
            return "nothing to compare: fewer than two engines trained" + skipped
        partial = " so far" if self.cut_short else ""
        if self.parting is not None:
            return (f"engines part at step {self.parting.step} (|Δloss| = {self.parting.value:.2g}){partial}"
                    + skipped)
        return f"same within float32 tolerance{partial} (max |Δloss| = {self.largest.value:.2g})" + skipped

    def to_dict(self) -> dict:
        largest, parting = self.largest, self.parting
        return json_safe({
            "settings": self.settings.to_dict(), "verdict": self.verdict, "tolerance": LOSS_TOLERANCE,
            "initial_weights_match": self.initial_weights_match,
            "max_difference": None if largest is None else largest.value,
            "max_difference_step": None if largest is None else largest.step,
            "parting_step": None if parting is None else parting.step, "unavailable": self.unavailable,
            "runs": [record.to_dict(with_history=True) for record in self.records]})

    def comparison_rows(self):
        """Rows under :meth:`comparison_columns`: step, each engine's loss, the largest difference."""
        for index, difference in enumerate(self.differences):
            yield [difference.step, *(r.history[index].train_loss for r in self.compared), difference.value]

    def comparison_columns(self) -> list[str]:
        return ["step", *(f"train_loss_{r.engine or r.settings.backend}" for r in self.compared), "max_abs_diff"]


def compare_backends(settings: ExperimentSettings, engines=None, *, control: TrainingControl | None = None,
                     store: RunStore | None = None, dataset=None, name: str | None = None, status=None,
                     on_step=None) -> ParityResult:
    """Train ``settings`` on each engine in turn (default: every installed one) and compare the losses.

    Callbacks run on this thread: ``status(trainer, text)`` while each engine prepares/finishes
    (the trainer's status texts), ``on_step(trainer, StepRecord)`` after every step. ``control``
    is shared by all runs: ``control.stop()`` from another thread stops the current run and skips
    the engines after it. Runs go to ``store`` like any run; failures end the comparison and show
    in the verdict, except an engine that cannot be imported: it is named there and skipped.
    ``name`` names every run (default: the usual dataset · engine · lr).
    """
    engines = list(engines) if engines is not None else installed_ids()
    control = control or TrainingControl()
    result = ParityResult(settings)
    for engine in engines:
        trainer, weights = _train_on(settings.replace(backend=engine), control, store, dataset, name, status,
                                     on_step)
        result.records.append(trainer.record)
        if weights:
            result.initial_weights.append(weights)
        dataset = trainer.dataset
        if isinstance(trainer.error, backend.EngineUnavailable) and not control.stopped:
            result.unavailable[engine] = trainer.record.message
            continue
        if trainer.record.status in ("stopped", "failed"):
            break
    return combined(settings, [result])


def combined(settings: ExperimentSettings, parts: list[ParityResult]) -> ParityResult:
    """One comparison of the engines of ``parts`` (in order; each part compared some engines, in this process or in
    a worker process of its own): their runs, whether their initial weights match, and the step differences."""
    result = ParityResult(settings)
    for part in parts:
        result.records.extend(part.records)
        result.unavailable.update(part.unavailable)
        result.initial_weights.extend(part.initial_weights)
    if len(result.initial_weights) > 1:
        result.initial_weights_match = all(
            all(np.array_equal(first[key], other[key]) for key in first)
            for first, other in itertools.pairwise(result.initial_weights))
    result.differences = step_differences(result.compared)
    return result


def _train_on(settings, control, store, dataset, name, status, on_step) -> tuple[Trainer, dict]:
    """One engine's run, and its model's parameters as built (empty when it failed before that)."""
    initial_weights = {}

    def on_status(text):
        if trainer.model is not None and not initial_weights:
            initial_weights.update(trainer.model.parameters())  # built, not yet trained
        if status is not None:
            status(trainer, text)

    trainer = Trainer(settings, control, store, dataset, status=on_status)
    trainer.record.name = name or trainer.record.name
    trainer.run(None if on_step is None else lambda step: on_step(trainer, step))
    return trainer, initial_weights


def export_parity(result: ParityResult, path) -> Path:
    """Write the comparison to ``path``: CSV (step, each engine's loss, difference), JSON (verdict,
    numbers and every run's history), or PNG/SVG (the overlaid loss curves)."""
    fmt = run_export.export_format(path)
    if fmt == "csv":
        write_output(path, run_export.table_csv(result.comparison_columns(), result.comparison_rows()))
    elif fmt == "json":
        write_output(path, json.dumps(result.to_dict(), indent=2))
    else:
        run_export.export([record for record in result.records if record.history], path)
    return Path(path)
