"""Saved runs as pandas DataFrames: kgui.runs(), kgui.history(run_id), kgui.load_run(run_id)."""
import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import kgui
from kgui.core.exports.run_tables import run_row
from kgui.core.runs import RunNotFoundError, RunRecord, RunStatus, RunStore, StepRecord
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]


def train(store, **settings):
    trainer = Trainer(ExperimentSettings(**settings), store=store)
    return trainer.run(lambda step: None)


def test_a_trained_run_is_a_row_with_its_settings_and_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("KGUI_RUNS_DIR", str(tmp_path))       # the window's store, as kgui.runs() finds it
    record = train(RunStore(), dataset="linear", dataset_options={"n": 200}, learning_rate=0.5, steps=30, seed=3)
    other = train(RunStore(), dataset="iris", learning_rate=0.1, steps=5)

    frame = kgui.runs()
    in_order = sorted([record, other], key=lambda run: (run.created, run.id))   # two runs of one second: by id
    assert list(frame.index) == [run.id for run in in_order] and frame.index.name == "id"
    row = frame.loc[record.id]
    assert row["status"] == "finished" and row["engine"] == "tensorflow" and row["dataset"] == "linear"
    assert row["learning_rate"] == 0.5 and row["steps"] == 30 and row["steps_taken"] == 30 and row["seed"] == 3
    assert row["train_loss"] == record.history[-1].train_loss
    assert (row["final_w"], row["final_b"]) == (record.final_params["w"], record.final_params["b"])
    assert row["dataset.n"] == 200 and row["hidden"] == ()
    assert frame.loc[other.id, "accuracy"] == other.history[-1].accuracy
    assert math.isnan(frame.loc[other.id, "final_w"])
    assert frame["created"].dt.tz is not None                            # times as timestamps
    assert frame.groupby("dataset")["steps_taken"].sum().to_dict() == {"iris": 5, "linear": 30}

    steps = kgui.history(record.id)
    assert list(steps.index) == list(range(1, 31)) and steps.index.name == "step"
    assert list(steps.columns) == ["train_loss", "val_loss", "accuracy", "learning_rate", "elapsed", "step_ms",
                                   "w", "b"]
    assert steps["train_loss"].tolist() == [step.train_loss for step in record.history]
    assert "w" not in kgui.history(other.id)                             # no w, b for a classifier
    assert kgui.load_run(record.id).settings == record.settings


def test_another_store_by_path_and_an_unknown_run(tmp_path):
    record = train(RunStore(tmp_path), dataset="linear", steps=3)
    assert list(kgui.runs(tmp_path).index) == [record.id]
    assert kgui.runs(tmp_path / "empty").empty
    with pytest.raises(RunNotFoundError, match="no run 'nope'"):
        kgui.history("nope", store=tmp_path)


def test_an_unreadable_run_is_a_row_saying_so(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{not json")
    frame = kgui.runs(tmp_path)
    assert frame.loc["broken", "status"] == "unreadable" and "run.json" in frame.loc["broken", "message"]
    assert frame.loc["broken", "steps_taken"] == 0


def test_fields_a_newer_record_carries_become_columns():
    """Sweep tags (or anything a later RunRecord adds) are columns too, nested values under dotted names."""
    @dataclasses.dataclass
    class Tag:
        sweep_id: str
        axes: dict

    Tagged = dataclasses.make_dataclass("Tagged", [("sweep", Tag, dataclasses.field(default=None)),
                                                   ("trial", int, dataclasses.field(default=0))], bases=(RunRecord,))
    record = Tagged("r1", "r1", ExperimentSettings(), status=RunStatus.FINISHED,
                    sweep=Tag("s7", {"learning_rate": 0.1, "optimizer": "adam"}), trial=4)
    record.summary.add(StepRecord(1, 0.5, None, None, 0.1, 0.0, 1.0))
    row = run_row(record)
    assert row["sweep.sweep_id"] == "s7" and row["sweep.axes.learning_rate"] == 0.1
    assert row["sweep.axes.optimizer"] == "adam" and row["trial"] == 4 and row["steps_taken"] == 1


def test_a_sweeps_trial_has_its_sweep_and_axis_values_as_columns(tmp_path):
    record = RunRecord("t1", "t1", ExperimentSettings(), status=RunStatus.FINISHED, sweep_id="sw-1",
                       sweep_values={"learning_rate": 0.1, "optimizer": "adam"})
    row = run_row(record)
    assert row["sweep_id"] == "sw-1" and row["sweep_values.learning_rate"] == 0.1
    assert row["sweep_values.optimizer"] == "adam"


def test_import_kgui_imports_nothing_heavy():
    code = ("import sys, kgui; heavy = [m for m in ('pandas', 'kgui.core', 'kgui.backend', 'tensorflow', 'pytensor', "
            "'IPython', 'ipykernel', 'ipywidgets', 'jupyter_rfb', 'PyQt6') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import kgui; print(kgui.backend.__name__); kgui.nothing"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "kgui.backend" and "has no attribute 'nothing'" in done.stderr
