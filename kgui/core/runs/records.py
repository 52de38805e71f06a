"""A run as data: its status, its steps, its summary, its weight edits, its sweep tag and the record holding them,
with run.json's form of it (``RunRecord.to_dict`` / ``from_dict``, schema :data:`RUN_SCHEMA`)."""
from __future__ import annotations

import copy
import dataclasses
import functools
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum

from ..experiment.settings import ExperimentSettings
from .json_values import integer, json_kind, json_safe, number, optional_number, short, text_field
from .names import default_name, printable

MAX_MESSAGE_CHARS = 1000   # a longer message read from a run.json is cut

RUN_SCHEMA = 1                   # run.json's layout: written as "schema"; a file without it is schema 1


class RunStatus(StrEnum):
    """Where a run stands. The first six are written to run.json; the last two only come from reading it."""

    PENDING = "pending"
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # "running" on disk, but the process writing it is gone
    UNREADABLE = "unreadable"    # run.json is damaged; the record's message says how

    @property
    def final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({RunStatus.FINISHED, RunStatus.STOPPED, RunStatus.DIVERGED, RunStatus.FAILED})
STORED_STATUSES = {status.value: status for status in RunStatus
                   if status not in (RunStatus.INTERRUPTED, RunStatus.UNREADABLE)}  # what run.json may say
INTERRUPTED_MESSAGE = "the process training this run ended before the run did (killed or crashed)"


@dataclass
class StepRecord:
    """One parameter update, and the losses of the weights it started from (training and validation alike)."""

    step: int                 # 1-based
    train_loss: float         # loss on the step's batch, before the update (as the notebook prints it)
    val_loss: float | None    # validation loss, before the update too (None without a validation split)
    accuracy: float | None    # validation accuracy, before the update (classification)
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
    def from_dict(cls, data) -> "StepRecord":
        """A step from :meth:`to_dict` output (non-finite numbers come back as NaN); ValueError if it is not one."""
        if not isinstance(data, dict):
            raise ValueError("a step must be a JSON object")
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("a step's params must be a JSON object")
        return cls(integer(data.get("step"), "step"), number(data.get("train_loss")),
                   optional_number(data.get("val_loss")), optional_number(data.get("accuracy")),
                   number(data.get("learning_rate")), number(data.get("elapsed")), number(data.get("step_ms")),
                   {key: number(value) for key, value in params.items()})


@dataclass
class RunSummary:
    """What listing shows of a run without reading its history; ``history_bytes`` of history.csv are counted."""

    steps: int = 0
    last: StepRecord | None = None
    total_step_ms: float = 0.0
    skipped_lines: int = 0     # history lines that were not valid steps (damaged), left out
    history_bytes: int = 0
    best_train_loss: float | None = None   # the lowest finite losses so far (None: none yet, or a run.json
    best_val_loss: float | None = None     # written before summaries held them)

    @property
    def mean_step_ms(self) -> float | None:
        return self.total_step_ms / self.steps if self.steps else None

    def add(self, step: StepRecord) -> None:
        self.steps += 1
        self.last = step
        if math.isfinite(step.step_ms):
            self.total_step_ms += step.step_ms
        if math.isfinite(step.train_loss) and (self.best_train_loss is None or step.train_loss < self.best_train_loss):
            self.best_train_loss = step.train_loss
        val = step.val_loss
        if val is not None and math.isfinite(val) and (self.best_val_loss is None or val < self.best_val_loss):
            self.best_val_loss = val

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["last"] = None if self.last is None else self.last.to_dict()
        return data

    @classmethod
    def from_dict(cls, data) -> "RunSummary":
        if not isinstance(data, dict):
            raise ValueError("summary must be a JSON object")
        last = data.get("last")
        return cls(integer(data.get("steps"), "summary steps"), None if last is None else StepRecord.from_dict(last),
                   number(data.get("total_step_ms")), integer(data.get("skipped_lines"), "summary skipped_lines"),
                   integer(data.get("history_bytes"), "summary history_bytes"),
                   optional_number(data.get("best_train_loss")), optional_number(data.get("best_val_loss")))


@dataclass(frozen=True)
class WeightEdit:
    """A weight set by hand while the run was paused; step ``step`` is the first to use it."""

    step: int
    parameter: str              # "W1", "b2", … (the model's parameter names)
    index: tuple[int, ...]      # (row, column) of a weight matrix, (unit,) of a bias
    value: float

    def describe(self) -> str:
        """"W1[3,2] set to 0.5 at step 120"."""
        return f"{self.parameter}[{','.join(map(str, self.index))}] set to {self.value:g} at step {self.step}"

    def to_list(self) -> list:
        return [self.step, self.parameter, list(self.index), self.value]

    @classmethod
    def from_list(cls, data) -> "WeightEdit":
        """ValueError unless ``data`` is ``[step, parameter, [indices], value]``."""
        if not isinstance(data, list) or len(data) != 4 or not isinstance(data[1], str) \
                or not isinstance(data[2], list):
            raise ValueError("weight_edits must be a list of [step, parameter, [indices], value]")
        return cls(integer(data[0], "a weight edit's step"), data[1],
                   tuple(integer(i, "a weight edit's index") for i in data[2]), number(data[3]))


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class SweepTag:
    """What marks a run as a trial of a sweep: the sweep's id and the trial's axis values (JSON values)."""

    sweep_id: str
    values: dict

    def apply(self, record: "RunRecord") -> None:
        record.sweep_id, record.sweep_values = self.sweep_id, dict(self.values)


@dataclass
class RunRecord:
    """Everything about one run; ``history`` holds :class:`StepRecord` objects in step order.

    ``settings`` is None only for an ``unreadable`` run. ``summary`` describes the whole history
    even when ``history`` was not loaded.
    """

    id: str
    name: str
    settings: ExperimentSettings | None
    history: list[StepRecord] = field(default_factory=list)
    lr_changes: list[tuple[int, float]] = field(default_factory=list)  # (first step using it, rate)
    status: RunStatus = RunStatus.PENDING
    message: str = ""
    final_params: dict = field(default_factory=dict)
    engine: str = ""
    engine_version: str = ""
    dataset_info: str = ""
    timings: dict = field(default_factory=dict)  # seconds: load_dataset, load_engine, compile, train
    created: str = field(default_factory=now)
    finished: str = ""
    summary: RunSummary = field(default_factory=RunSummary)
    train_rows: int | None = None   # rows of the training split (steps per epoch); None in runs saved before it
    weight_edits: list[WeightEdit] = field(default_factory=list)   # weights set by hand, in order
    sweep_id: str = ""              # the sweep this run is a trial of ("" for a run on its own)
    sweep_values: dict = field(default_factory=dict)   # a trial's axis values: {"learning_rate": 0.01, "seed": 2}

    def note_rate_change(self, step: int, rate: float) -> None:
        """The base learning rate is ``rate`` from ``step`` on; a second change at one step replaces the first, and
        one back to the rate in force before it leaves no change."""
        if self.lr_changes and self.lr_changes[-1][0] == step:
            self.lr_changes.pop()
        in_force = self.lr_changes[-1][1] if self.lr_changes else self.settings.learning_rate
        if rate != in_force:
            self.lr_changes.append((step, rate))

    def snapshot(self, with_history: bool = True) -> "RunRecord":
        """This record as an event's value: a RunRecord that shares no list or dict with this one (its steps left
        out unless ``with_history``). The writer goes on changing its own record; the receiver keeps this one."""
        return dataclasses.replace(
            self, history=list(self.history) if with_history else [], lr_changes=list(self.lr_changes),
            timings=dict(self.timings), final_params=copy.deepcopy(self.final_params),
            summary=dataclasses.replace(self.summary), weight_edits=list(self.weight_edits),
            sweep_values=dict(self.sweep_values))

    @classmethod
    def new(cls, settings: ExperimentSettings, name: str | None = None) -> "RunRecord":
        """A fresh record with a unique, sortable id, named ``name`` or by :func:`names.default_name`."""
        stamp = datetime.now(timezone.utc)
        run_id = f"{stamp:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        return cls(run_id, printable(name or default_name(settings)), settings,
                   created=stamp.isoformat(timespec="seconds"))

    @property
    def readable(self) -> bool:
        return self.status != RunStatus.UNREADABLE

    def to_dict(self, with_history: bool = False) -> dict:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("history", "summary")}
        data["status"] = str(self.status)
        data["settings"] = None if self.settings is None else self.settings.to_dict()
        data["lr_changes"] = [list(change) for change in self.lr_changes]
        data["weight_edits"] = [edit.to_list() for edit in self.weight_edits]
        data["summary"] = self.summary.to_dict()
        data["schema"] = RUN_SCHEMA
        if with_history:
            data["history"] = [step.to_dict() for step in self.history]
        return json_safe(data)

    @classmethod
    def from_dict(cls, data, history=(), run_id: str | None = None) -> "RunRecord":
        """The record in run.json's ``data`` (``run_id``: its folder's name); ValueError naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"holds a JSON {json_kind(data)}, not an object")
        run_id = run_id if run_id is not None else text_field(data, "id", None)
        schema = data.get("schema", 1)
        if isinstance(schema, bool) or not isinstance(schema, int) or not 1 <= schema <= RUN_SCHEMA:
            raise ValueError(f"schema {short(schema)} is not one this kgui reads (1 to {RUN_SCHEMA}): "
                             f"written by a newer kgui?")

        text = functools.partial(text_field, data)
        status = text("status", "pending")
        if status not in STORED_STATUSES:
            raise ValueError(f"status {short(status)} is not a run status")
        try:
            settings = ExperimentSettings.from_dict(data.get("settings"))
        except ValueError as exc:
            raise ValueError(f"settings: {exc}") from None
        lr_changes = data.get("lr_changes", [])
        if not isinstance(lr_changes, list) or not all(
                isinstance(change, list) and len(change) == 2 for change in lr_changes):
            raise ValueError("lr_changes must be a list of [step, rate] pairs")
        weight_edits = data.get("weight_edits", [])
        if not isinstance(weight_edits, list):
            raise ValueError("weight_edits must be a list of [step, parameter, [indices], value]")
        for key in ("final_params", "timings"):
            if not isinstance(data.get(key, {}), dict):
                raise ValueError(f"{key} must be a JSON object, got {short(data[key])}")
        summary = data.get("summary")
        train_rows = data.get("train_rows")
        if train_rows is not None and (integer(train_rows, "train_rows") < 1):
            raise ValueError(f"train_rows must be at least 1, got {train_rows}")
        sweep_values = data.get("sweep_values", {})
        if not isinstance(sweep_values, dict) or not all(
                _plain(value) or isinstance(value, list) and all(map(_plain, value)) for value in sweep_values.values()):
            raise ValueError(f"sweep_values must be a JSON object of plain values or lists of them (a hidden axis' "
                             f"layers), got {short(sweep_values)}")
        return cls(
            run_id, printable(text("name", run_id)), settings, list(history),
            [(integer(step, "an lr_changes step"), number(rate)) for step, rate in lr_changes],
            STORED_STATUSES[status], printable(text("message"), MAX_MESSAGE_CHARS), dict(data.get("final_params", {})), text("engine"),
            text("engine_version"), text("dataset_info"), dict(data.get("timings", {})), text("created"),
            text("finished"), RunSummary.from_dict(summary) if summary is not None else RunSummary(), train_rows,
            [WeightEdit.from_list(edit) for edit in weight_edits],
            text("sweep_id"), dict(sweep_values))

    @classmethod
    def unreadable(cls, run_id: str, reason: str) -> "RunRecord":
        """The stand-in for a run whose run.json cannot be read: named by its folder, ``reason`` as message."""
        return cls(run_id, run_id, None, status=RunStatus.UNREADABLE, message=reason, created="")


def _plain(value) -> bool:
    """A JSON string, number, boolean or null."""
    return isinstance(value, (str, int, float, bool)) or value is None
