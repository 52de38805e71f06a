"""Saved runs as pandas DataFrames, for analysing runs (and sweeps) in a notebook.

- :func:`runs_frame`: one row per run of a store, indexed by run id: what the run is (name, status, engine…),
  its summary (steps taken, last losses, accuracy, mean step time), every experiment setting as a column of
  its own (``dataset_options`` as ``dataset.<option>``), and every other field a newer RunRecord carries
  (a sweep's tags, for instance), nested values flattened to dotted column names.
- :func:`history_frame`: a run's steps, indexed by step.
"""
from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import pandas as pd

from ..runs import HISTORY_COLUMNS, RunRecord, RunStore
from ..experiment.settings import ExperimentSettings

# RunRecord fields with a column of their own below (or none: the history is history_frame's)
_SHOWN_FIELDS = ("name", "status", "message", "engine", "engine_version", "dataset_info", "created", "finished",
                 "train_rows")
_HANDLED_FIELDS = frozenset(_SHOWN_FIELDS) | {"id", "settings", "history", "summary", "lr_changes",
                                             "final_params", "timings"}
_SUMMARY_COLUMNS = ("steps_taken", "train_loss", "val_loss", "accuracy", "mean_step_ms")
_SETTING_COLUMNS = tuple(f.name for f in dataclasses.fields(ExperimentSettings) if f.name != "dataset_options")


def store_of(store: RunStore | str | Path | None) -> RunStore:
    """``store`` as a RunStore: the window's store (``$KGUI_RUNS_DIR`` or the user data folder) when None."""
    if not isinstance(store, (RunStore, str, os.PathLike, type(None))):
        raise TypeError(f"store must be a RunStore or a folder's path, got {type(store).__name__}")
    return store if isinstance(store, RunStore) else RunStore(store)


def run_row(record: RunRecord) -> dict:
    """One run as a flat dict of column → value (see the module docstring)."""
    row: dict = {field: getattr(record, field) for field in _SHOWN_FIELDS}
    row["status"] = str(record.status)
    last = record.summary.last
    row.update(steps_taken=record.summary.steps,
               train_loss=last.train_loss if last else math.nan,
               val_loss=_number(last.val_loss) if last else math.nan,
               accuracy=_number(last.accuracy) if last else math.nan,
               mean_step_ms=_number(record.summary.mean_step_ms))
    row["final_learning_rate"] = last.learning_rate if last else math.nan   # differs when slid while it trained
    for name, value in record.final_params.items():
        row[f"final_{name}"] = value
    if record.settings is not None:
        settings = record.settings.to_dict()
        row.update({name: settings[name] for name in _SETTING_COLUMNS})
        row["hidden"] = tuple(record.settings.hidden)
        row.update({f"dataset.{name}": value for name, value in settings["dataset_options"].items()})
    for field in dataclasses.fields(record):     # fields a newer RunRecord has (sweep tags, ...), read defensively
        if field.name not in _HANDLED_FIELDS:
            row.update(_flattened(field.name, getattr(record, field.name)))
    return row


def _number(value) -> float:
    return math.nan if value is None else float(value)


def _flattened(name: str, value) -> dict:
    """``value`` under column ``name``; dataclasses and dicts become one dotted column per leaf."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        flat = {}
        for key, item in value.items():
            flat.update(_flattened(f"{name}.{key}", item))
        return flat
    if isinstance(value, list):
        value = tuple(value)     # hashable: a column pandas can group by
    return {name: value}


def runs_frame(store: RunStore | str | Path | None = None) -> pd.DataFrame:
    """Every run of ``store``, oldest first, one row each, indexed by run id (from the listing: no history read)."""
    records = store_of(store).list()
    frame = pd.DataFrame([run_row(record) for record in records], index=pd.Index([r.id for r in records], name="id"))
    leading = [c for c in (*_SHOWN_FIELDS[:3], "engine", "dataset", "learning_rate", *_SUMMARY_COLUMNS) if c in frame]
    frame = frame[leading + [column for column in frame.columns if column not in leading]]
    for column in ("created", "finished"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column].replace("", None), utc=True, format="ISO8601")
    return frame


def history_frame(record: RunRecord) -> pd.DataFrame:
    """``record``'s steps (its history must be loaded), indexed by step; ``w`` and ``b`` only when the run has them."""
    rows = [(step.step, step.train_loss, _number(step.val_loss), _number(step.accuracy), step.learning_rate,
             step.elapsed, step.step_ms, _number(step.params.get("w")), _number(step.params.get("b")))
            for step in record.history]
    frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS)).set_index("step")
    return frame.drop(columns=[c for c in ("w", "b") if not any(c in step.params for step in record.history)])
