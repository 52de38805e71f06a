"""Runs that are never lost: each run is a folder with run.json (metadata) and history.csv (one row per step).

run.json is rewritten atomically (temporary file + rename); history.csv is appended and
flushed after every step, so a crash mid-run leaves the steps so far readable.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import secrets
import shutil
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .files import write_atomic
from .settings import ExperimentSettings

HISTORY_COLUMNS = ("step", "train_loss", "val_loss", "accuracy", "learning_rate", "elapsed", "step_ms", "w", "b")


@dataclass
class StepRecord:
    """One parameter update and the measurements taken right after it."""

    step: int                 # 1-based
    train_loss: float         # loss on the step's batch, before the update (as the notebook prints it)
    val_loss: float | None    # validation loss after the update (None without a validation split)
    accuracy: float | None    # validation accuracy after the update (classification)
    learning_rate: float      # rate used for this step
    elapsed: float            # seconds of training so far (pauses excluded)
    step_ms: float            # wall time of this step's parameter update
    params: dict = field(default_factory=dict)  # {"w", "b"} for 1-feature linear regression, else {}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_row(self) -> list[str]:
        values = [self.step, self.train_loss, self.val_loss, self.accuracy, self.learning_rate, self.elapsed,
                  self.step_ms, self.params.get("w"), self.params.get("b")]
        return ["" if value is None else repr(value) for value in values]

    @classmethod
    def from_row(cls, row: dict) -> "StepRecord":
        def number(key):
            return float(row[key]) if row.get(key) else None

        params = {key: number(key) for key in ("w", "b") if row.get(key)}
        return cls(int(row["step"]), number("train_loss"), number("val_loss"), number("accuracy"),
                   number("learning_rate"), number("elapsed"), number("step_ms"), params)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    """Everything about one run; ``history`` holds :class:`StepRecord` objects in step order."""

    id: str
    name: str
    settings: ExperimentSettings
    history: list[StepRecord] = field(default_factory=list)
    lr_changes: list[tuple[int, float]] = field(default_factory=list)  # (first step using it, rate)
    status: str = "pending"  # pending, running, then finished / stopped / diverged / failed
    message: str = ""
    final_params: dict = field(default_factory=dict)
    engine: str = ""
    engine_version: str = ""
    dataset_info: str = ""
    timings: dict = field(default_factory=dict)  # seconds: load_dataset, load_engine, compile, train
    created: str = field(default_factory=_now)
    finished: str = ""

    @classmethod
    def new(cls, settings: ExperimentSettings, name: str | None = None) -> "RunRecord":
        """A fresh record with a unique, sortable id and a default name from the settings."""
        stamp = datetime.now(timezone.utc)
        run_id = f"{stamp:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        default = f"{Path(settings.dataset).name} · {settings.backend} · lr {settings.learning_rate:g}"
        return cls(run_id, name or default, settings, created=stamp.isoformat(timespec="seconds"))

    def to_dict(self, with_history: bool = False) -> dict:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "history"}
        data["settings"] = self.settings.to_dict()
        data["lr_changes"] = [list(change) for change in self.lr_changes]
        if with_history:
            data["history"] = [step.to_dict() for step in self.history]
        return json_safe(data)

    @classmethod
    def from_dict(cls, data: dict, history=()) -> "RunRecord":
        known = {f.name for f in dataclasses.fields(cls)} - {"history"}
        values = {key: value for key, value in data.items() if key in known}
        values["settings"] = ExperimentSettings.from_dict(data["settings"])
        values["lr_changes"] = [(int(step), float(rate)) for step, rate in data.get("lr_changes", [])]
        return cls(history=list(history), **values)


def json_safe(value):
    """Non-finite floats become None, so run.json stays standard JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


class RunNotFoundError(LookupError):
    """No run with that id in the store."""


class RunStore:
    """Runs on disk under ``root``: the given folder, else $KGUI_RUNS_DIR, else the user data dir's ``runs``."""

    def __init__(self, root=None):
        if root is None:
            root = os.environ.get("KGUI_RUNS_DIR")
        if root is None:
            from platformdirs import user_data_dir

            root = Path(user_data_dir("kgui")) / "runs"
        self.root = Path(root)

    def __repr__(self):
        return f"RunStore({str(self.root)!r})"

    def folder(self, run_id: str) -> Path:
        """The folder of run ``run_id``; ValueError for ids that are not plain folder names."""
        if not run_id or run_id in (".", "..") or "/" in run_id or os.sep in run_id:
            raise ValueError(f"invalid run id {run_id!r}")
        return self.root / run_id

    def begin(self, record: RunRecord) -> None:
        """Create the run's folder with its run.json and an empty history.csv (header only)."""
        folder = self.folder(record.id)
        folder.mkdir(parents=True, exist_ok=False)
        with open(folder / "history.csv", "w", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerow(HISTORY_COLUMNS)
        self.save(record)

    def append(self, record: RunRecord, step: StepRecord) -> None:
        """Add one step to the run's history.csv and flush it to the operating system."""
        with open(self.folder(record.id) / "history.csv", "a", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerow(step.to_row())

    def save(self, record: RunRecord) -> None:
        """Rewrite the run's run.json atomically."""
        write_atomic(self.folder(record.id) / "run.json", json.dumps(record.to_dict(), indent=2))

    def exists(self, run_id: str) -> bool:
        return (self.folder(run_id) / "run.json").is_file()

    def load(self, run_id: str, with_history: bool = True) -> RunRecord:
        """The run ``run_id``, with its history unless told otherwise; RunNotFoundError when absent."""
        folder = self.folder(run_id)
        try:
            data = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}") from None
        history = self._read_history(folder / "history.csv") if with_history else ()
        return RunRecord.from_dict(data, history)

    @staticmethod
    def _read_history(path: Path) -> list[StepRecord]:
        """Steps in history.csv; a last line without its newline (cut short by a crash) is ignored."""
        if not path.is_file():
            return []
        text = path.read_text(encoding="utf-8")
        complete = text[:text.rfind("\n") + 1]
        steps = []
        for number, row in enumerate(csv.DictReader(io.StringIO(complete)), start=2):
            try:
                if None in row.values() or None in row:
                    raise ValueError("wrong number of fields")
                steps.append(StepRecord.from_row(row))
            except (TypeError, ValueError):
                raise ValueError(f"{path}: line {number} is not a valid step") from None
        return steps

    def list(self, with_history: bool = False) -> list[RunRecord]:
        """Every readable run, oldest first; folders without a readable run.json are skipped with a warning."""
        if not self.root.is_dir():
            return []
        records = []
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                records.append(self.load(folder.name, with_history))
            except (RunNotFoundError, ValueError, KeyError, TypeError) as exc:
                warnings.warn(f"skipping unreadable run folder {folder}: {exc}", stacklevel=2)
        return sorted(records, key=lambda record: (record.created, record.id))

    def delete(self, run_id: str) -> None:
        if not self.exists(run_id):
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}")
        shutil.rmtree(self.folder(run_id))

    def rename(self, run_id: str, name: str) -> RunRecord:
        """Give run ``run_id`` a new display name; returns the updated record (without history)."""
        if not name.strip():
            raise ValueError("a run name cannot be empty")
        record = self.load(run_id, with_history=False)
        record.name = name.strip()
        self.save(record)
        return record
