"""Backend parity: both engines give the same curves, the verdict says so, and real differences are caught."""
import json
import os
from pathlib import Path

import pytest

from kgui.core.training import parity
from kgui.core.training.parity import LOSS_TOLERANCE, ParityResult, compare_backends, step_differences
from kgui.core.runs import RunRecord, RunStore, StepRecord
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer
from kgui.core.training.training_control import TrainingControl

OTTO = Path(os.environ.get("KGUI_OTTO_DIR", Path(__file__).resolve().parents[2] / "shared/data/kaggle_ottogroup"))
ENGINES = ["tensorflow", "theano"]


def record(engine, losses, status="finished"):
    run = RunRecord.new(ExperimentSettings(backend=engine))
    run.engine, run.status = engine, status
    run.history = [StepRecord(step, loss, None, None, 0.1, 0.0, 0.0) for step, loss in enumerate(losses, start=1)]
    return run


def test_otto_25_steps_on_both_engines_stay_within_float32_tolerance(tmp_path):
    if not (OTTO / "train.csv.gz").is_file():
        pytest.skip(f"real Otto data not found in {OTTO} (set KGUI_OTTO_DIR)")
    store = RunStore(tmp_path / "runs")
    settings = ExperimentSettings(dataset="otto", dataset_options={"path": str(OTTO)}, steps=25)
    result = compare_backends(settings, ENGINES, store=store)
    assert [r.engine for r in result.records] == ENGINES and [r.status for r in result.records] == ["finished"] * 2
    assert result.initial_weights_match is True
    assert len(result.differences) == 25 and result.largest.value <= 1e-4 and result.parting is None
    assert result.verdict == f"same within float32 tolerance (max |Δloss| = {result.largest.value:.2g})"
    assert sorted(r.engine for r in store.list()) == ENGINES  # saved like any run
    parity.export_parity(result, tmp_path / "parity.csv")
    rows = (tmp_path / "parity.csv").read_text().splitlines()
    assert rows[0] == "step,train_loss_tensorflow,train_loss_theano,max_abs_diff" and len(rows) == 26


def test_callbacks_report_each_engine_and_the_json_export_has_the_verdict(tmp_path):
    settings = ExperimentSettings(dataset="iris", learning_rate=0.3, steps=6)
    statuses, steps = [], []
    result = compare_backends(settings, ENGINES, name="parity check",
                              status=lambda trainer, text: statuses.append((trainer.settings.backend, text)),
                              on_step=lambda trainer, step: steps.append((trainer.record.engine, step.step)))
    assert steps == [(engine, n) for engine in ENGINES for n in range(1, 7)]
    assert [text for engine, text in statuses if engine == "theano"][-2:] == ["training", "finished"]
    assert {r.name for r in result.records} == {"parity check"}
    assert result.verdict.startswith("same within float32 tolerance")
    path = parity.export_parity(result, tmp_path / "parity.json")
    data = json.loads(path.read_text())
    assert data["verdict"] == result.verdict and data["tolerance"] == LOSS_TOLERANCE
    assert data["initial_weights_match"] is True and [len(run["history"]) for run in data["runs"]] == [6, 6]
    assert parity.export_parity(result, tmp_path / "parity.png").stat().st_size > 0


def test_different_initial_weights_are_caught(monkeypatch):
    class SeedPerEngine(Trainer):  # a bug that would seed each engine differently
        def __init__(self, settings, *args, **kwargs):
            super().__init__(settings.replace(seed=ENGINES.index(settings.backend)), *args, **kwargs)

    monkeypatch.setattr(parity, "Trainer", SeedPerEngine)
    result = compare_backends(ExperimentSettings(dataset="linear", learning_rate=0.5, steps=3), ENGINES)
    assert result.initial_weights_match is False
    assert result.verdict == "initial weights differ between engines: the runs cannot be compared"
    assert result.parting.step == 1  # and the curves part at once


def test_verdict_names_the_step_where_engines_part():
    same = [1.0, 0.9, 0.8, 0.7]
    result = ParityResult(ExperimentSettings(), [record("tensorflow", same), record("theano", same)], True)
    result.differences = step_differences(result.records)
    assert result.verdict == "same within float32 tolerance (max |Δloss| = 0)"
    result.records[1] = record("theano", [1.0, 0.9 + 3.1e-6, 0.8 + 2e-3, 0.7 - 5e-3])
    result.differences = step_differences(result.records)
    assert result.verdict == "engines part at step 3 (|Δloss| = 0.002)"
    assert (result.largest.value, result.largest.step) == (pytest.approx(5e-3), 4)
    assert result.largest.describe() == "largest loss difference between engines: 0.005 (tensorflow vs theano, step 4)"


def test_tolerance_scales_with_large_losses_and_divergence_counts_as_parting():
    big = [record("tensorflow", [2.9e4, 2.8e4]), record("theano", [2.9e4 + 2e-3, 2.8e4])]
    assert ParityResult(ExperimentSettings(), big, True, step_differences(big)).parting is None
    diverged = [record("tensorflow", [1.0, float("nan")]), record("theano", [1.0, 0.5])]
    assert ParityResult(ExperimentSettings(), diverged, True, step_differences(diverged)).parting.step == 2


def test_cancel_stops_the_current_engine_and_skips_the_rest():
    control = TrainingControl()
    result = compare_backends(ExperimentSettings(dataset="linear", steps=50), ENGINES, control=control,
                              on_step=lambda trainer, step: step.step == 5 and control.stop())
    assert [(r.engine, r.status, len(r.history)) for r in result.records] == [("tensorflow", "stopped", 5)]
    assert result.verdict == "nothing to compare: fewer than two engines trained"


def test_a_failing_engine_ends_the_comparison_with_its_message():
    result = compare_backends(ExperimentSettings(dataset="linear", steps=3), ["tensorflow", "cntk"])
    assert [r.status for r in result.records] == ["finished", "failed"]
    assert result.verdict.startswith("cntk failed: unknown backend 'cntk'")
