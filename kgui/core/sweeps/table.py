"""A sweep's trials as table rows (the command line's ranked table, CSV/JSON export, the window's trial table),
from a finished :class:`SweepResult` or from the store's runs tagged with a sweep id."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..files import write_output
from ..runs import RunRecord, RunStore, json_safe
from .spec import LOG_BY_DEFAULT, Metric

METRIC_COLUMNS = ("final_train_loss", "best_train_loss", "final_val_loss", "best_val_loss", "final_accuracy")


@dataclass(frozen=True)
class TrialRow:
    """One trial: its axis values, its losses and accuracy, its steps and status, its run."""

    run_id: str
    values: dict          # axis name -> value
    metrics: dict         # METRIC_COLUMNS -> float | None
    steps: int
    status: str
    message: str

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, **self.values, **self.metrics, "steps": self.steps, "status": self.status,
                "message": self.message}


def row_of(record: RunRecord) -> TrialRow:
    return TrialRow(record.id, dict(record.sweep_values), metrics_of(record),
                    record.summary.steps or len(record.history), str(record.status), record.message)


def metrics_of(record: RunRecord) -> dict:
    """Every :data:`METRIC_COLUMNS` value of a run (as :meth:`Metric.of` gives them): in one pass over its history,
    else from its summary (whose best losses need no history)."""
    if not record.history:
        return {name: Metric(name).of(record) for name in METRIC_COLUMNS}
    steps = record.history
    train = [step.train_loss for step in steps if math.isfinite(step.train_loss)]
    val = [step.val_loss for step in steps if step.val_loss is not None and math.isfinite(step.val_loss)]
    accuracy = [step.accuracy for step in steps if step.accuracy is not None and math.isfinite(step.accuracy)]
    return {"final_train_loss": train[-1] if train else None, "best_train_loss": min(train) if train else None,
            "final_val_loss": val[-1] if val else None, "best_val_loss": min(val) if val else None,
            "final_accuracy": accuracy[-1] if accuracy else None}


def sweep_records(store: RunStore, sweep_id: str) -> list[RunRecord]:
    """The store's runs of sweep ``sweep_id`` (summaries), oldest first."""
    return [record for record in store.list() if record.sweep_id == sweep_id]


def ranked_rows(records: list[RunRecord], metric: Metric) -> list[TrialRow]:
    """Rows best first by ``metric``; trials without a value last."""
    sign = -1 if metric.higher_is_better else 1

    def key(row: TrialRow):
        value = row.metrics[str(metric)]
        missing = value is None or not math.isfinite(value)
        return (missing, 0.0 if missing else sign * value)
    return sorted(map(row_of, records), key=key)


def axis_names(rows: list[TrialRow]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names += [name for name in row.values if name not in names]
    return names


def export_rows(rows: list[TrialRow], path) -> Path:
    """The trial table as CSV or JSON (by extension), written whole or not at all; ValueError for another extension,
    OSError naming the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    data = [row.as_dict() for row in rows]
    if suffix == ".json":
        write_output(path, json.dumps(json_safe(data), indent=2))
    elif suffix == ".csv":
        columns = ["run_id", *axis_names(rows), *METRIC_COLUMNS, "steps", "status", "message"]
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, columns)
        writer.writeheader()
        for item in data:
            writer.writerow({key: (",".join(map(str, value)) if isinstance(value, list) else value)
                             for key, value in item.items()})
        write_output(path, text.getvalue())
    else:
        raise ValueError(f"a sweep table is written as .csv or .json, not {path.name!r}")
    return path


class ScaleKind(StrEnum):
    LINEAR = "linear"
    LOG = "log"                  # rates: positive numbers spread over decades
    CATEGORICAL = "categorical"  # optimizer, engine, hidden layers, ...


@dataclass(frozen=True)
class AxisScale:
    """How one column of a sweep maps onto a 0…1 axis (parallel coordinates, scatter)."""

    name: str
    kind: ScaleKind
    low: float = 0.0
    high: float = 1.0
    categories: tuple[str, ...] = ()

    def position(self, value) -> float | None:
        """Where ``value`` sits on the axis, 0…1; None for a missing or non-finite value."""
        if self.kind is ScaleKind.CATEGORICAL:
            text = category_text(value)
            if text not in self.categories:
                return None
            return 0.5 if len(self.categories) == 1 else self.categories.index(text) / (len(self.categories) - 1)
        if value is None or isinstance(value, (str, list, bool)) or not math.isfinite(value):
            return None
        number = math.log10(value) if self.kind is ScaleKind.LOG else float(value)
        return 0.5 if self.high == self.low else (number - self.low) / (self.high - self.low)

    def including(self, value) -> "AxisScale | None":
        """This scale widened to hold ``value`` (itself when it does already); None when it cannot be (a number on a
        categorical axis, or the other way round, or a log axis meeting a number that is not positive)."""
        if value is None:
            return self
        if self.kind is ScaleKind.CATEGORICAL:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return None
            text = category_text(value)
            return self if text in self.categories else dataclasses.replace(
                self, categories=self.categories + (text,))
        if isinstance(value, (str, list, bool)) or not math.isfinite(value):
            return None if not isinstance(value, float) else self
        if self.kind is ScaleKind.LOG:
            if value <= 0:
                return None
            value = math.log10(value)
        if self.low <= value <= self.high:
            return self
        return dataclasses.replace(self, low=min(self.low, value), high=max(self.high, value))

    def value_at(self, position: float) -> str:
        """The axis value at ``position`` for labels (a category's name, or a number)."""
        if self.kind is ScaleKind.CATEGORICAL:
            if not self.categories:
                return ""
            index = round(position * (len(self.categories) - 1)) if len(self.categories) > 1 else 0
            return self.categories[max(0, min(len(self.categories) - 1, index))]
        number = self.low + position * (self.high - self.low)
        return f"{10 ** number:.3g}" if self.kind is ScaleKind.LOG else f"{number:.4g}"


def category_text(value) -> str:
    """A categorical value as its axis names it: hidden layers [8, 8] as "8,8"."""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def axis_scale(name: str, values: list) -> AxisScale:
    """The scale of a column: categorical unless every value is a number; log for rates spread over decades."""
    present = [value for value in values if value is not None]
    numbers = [value for value in present if isinstance(value, (int, float)) and not isinstance(value, bool)
               and math.isfinite(value)]
    if len(numbers) < len(present) or not numbers:
        return AxisScale(name, ScaleKind.CATEGORICAL, categories=tuple(dict.fromkeys(map(category_text, present))))
    if name in LOG_BY_DEFAULT and min(numbers) > 0:
        return AxisScale(name, ScaleKind.LOG, math.log10(min(numbers)), math.log10(max(numbers)))
    return AxisScale(name, ScaleKind.LINEAR, float(min(numbers)), float(max(numbers)))
