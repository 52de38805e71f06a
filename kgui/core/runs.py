"""Runs that are never lost: each run is a folder ``<root>/<id>`` with run.json, history.csv and writer.lock.

- A run is its folder: the folder name is the run's id; nothing in run.json says where a run lives.
- run.json holds the metadata and a small :class:`RunSummary` (step count, last step, ...), so listing
  never reads a history. It is rewritten atomically (temporary file + rename) when the run starts, when
  its learning rate or name changes, every :data:`SUMMARY_SECONDS` while it trains, and when it ends.
- history.csv gets one line per step, flushed after every step; a crash leaves the steps so far.
- One writer at a time: the process training a run holds an ``fcntl.flock`` on its writer.lock (which
  also holds its pid) until the run has ended. A run that says "running" but whose lock is free lost its
  writer (killed, crashed): it lists as ``interrupted``, with every step its history holds.
- Each run loads in isolation: a damaged run.json gives an ``unreadable`` run carrying the reason; a bad
  history line is skipped and counted (``RunSummary.skipped_lines``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import json
import math
import os
import secrets
import shutil
import stat
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from operator import attrgetter
from pathlib import Path

from . import datasets, engines, json_files, setting_labels
from .engines import garbage_collector_paused
from .files import write_atomic
from .settings import ExperimentSettings

try:
    import fcntl
except ImportError:  # Windows: the lock file's presence stands for a live writer (a killed one looks alive)
    fcntl = None

HISTORY_COLUMNS = ("step", "train_loss", "val_loss", "accuracy", "learning_rate", "elapsed", "step_ms", "w", "b")
REQUIRED_COLUMNS = ("step", "train_loss", "learning_rate", "elapsed", "step_ms")
RUN_FILE, HISTORY_FILE, LOCK_FILE = "run.json", "history.csv", "writer.lock"
MAX_RUN_FILE_BYTES = 1_000_000   # a larger run.json is not one kgui wrote
_NO_WAIT = getattr(os, "O_NONBLOCK", 0)  # a FIFO in place of a run file must not block listing
SUMMARY_SECONDS = 2.0            # while a run trains, run.json (with its summary) is rewritten this often
RUN_SCHEMA = 1                   # run.json's layout: written as "schema"; a file without it is schema 1
INDEX_FILE = ".index.json"       # the listing index in the store's root (a cache, see _ListingIndex)
INDEX_VERSION = 1
MAX_INDEX_BYTES = 256_000_000    # a larger index is ignored (about 500,000 runs)
INDEX_SETTLE_SECONDS = 2.0       # a run.json changed more recently than this is not cached yet
LEFTOVER_SECONDS = 60.0          # hidden folders left by a killed process are removed once this old


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

EXIT_OK, EXIT_ERROR, EXIT_DIVERGED, EXIT_STOPPED = 0, 1, 3, 130
_EXIT_CODES = {RunStatus.FINISHED: EXIT_OK, RunStatus.STOPPED: EXIT_STOPPED, RunStatus.DIVERGED: EXIT_DIVERGED}


def exit_code(record: "RunRecord") -> int:
    """The command line's exit code for a run that ended with ``record.status`` (a failed run: EXIT_ERROR)."""
    return _EXIT_CODES.get(record.status, EXIT_ERROR)


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
        return cls(_integer(data.get("step"), "step"), _number(data.get("train_loss")),
                   _optional_number(data.get("val_loss")), _optional_number(data.get("accuracy")),
                   _number(data.get("learning_rate")), _number(data.get("elapsed")), _number(data.get("step_ms")),
                   {key: _number(value) for key, value in params.items()})


def _integer(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {_short(value)}")
    return value


def _number(value) -> float:
    """A float from JSON, where None stands for a non-finite value (see :func:`json_safe`)."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {_short(value)}")
    return float(value)


def _optional_number(value) -> float | None:
    return None if value is None else _number(value)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class RunSummary:
    """What listing shows of a run without reading its history; ``history_bytes`` of history.csv are counted."""

    steps: int = 0
    last: StepRecord | None = None
    total_step_ms: float = 0.0
    skipped_lines: int = 0     # history lines that were not valid steps (damaged), left out
    history_bytes: int = 0

    @property
    def mean_step_ms(self) -> float | None:
        return self.total_step_ms / self.steps if self.steps else None

    def add(self, step: StepRecord) -> None:
        self.steps += 1
        self.last = step
        if math.isfinite(step.step_ms):
            self.total_step_ms += step.step_ms

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["last"] = None if self.last is None else self.last.to_dict()
        return data

    @classmethod
    def from_dict(cls, data) -> "RunSummary":
        if not isinstance(data, dict):
            raise ValueError("summary must be a JSON object")
        last = data.get("last")
        return cls(_integer(data.get("steps"), "summary steps"), None if last is None else StepRecord.from_dict(last),
                   _number(data.get("total_step_ms")), _integer(data.get("skipped_lines"), "summary skipped_lines"),
                   _integer(data.get("history_bytes"), "summary history_bytes"))


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
        return cls(_integer(data[0], "a weight edit's step"), data[1],
                   tuple(_integer(i, "a weight edit's index") for i in data[2]), _number(data[3]))


def _now() -> str:
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
    created: str = field(default_factory=_now)
    finished: str = ""
    summary: RunSummary = field(default_factory=RunSummary)
    train_rows: int | None = None   # rows of the training split (steps per epoch); None in runs saved before it
    weight_edits: list[WeightEdit] = field(default_factory=list)   # weights set by hand, in order
    sweep_id: str = ""              # the sweep this run is a trial of ("" for a run on its own)
    sweep_values: dict = field(default_factory=dict)   # a trial's axis values: {"learning_rate": 0.01, "seed": 2}

    def note_rate_change(self, step: int, rate: float) -> None:
        """The base learning rate is ``rate`` from ``step`` on; a second change at one step replaces the first."""
        if self.lr_changes and self.lr_changes[-1][0] == step:
            self.lr_changes.pop()
        self.lr_changes.append((step, rate))

    @classmethod
    def new(cls, settings: ExperimentSettings, name: str | None = None) -> "RunRecord":
        """A fresh record with a unique, sortable id, named ``name`` or by :meth:`default_name`."""
        stamp = datetime.now(timezone.utc)
        run_id = f"{stamp:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        return cls(run_id, name or cls.default_name(settings), settings, created=stamp.isoformat(timespec="seconds"))

    @staticmethod
    def default_name(settings: ExperimentSettings, with_rate: bool = True) -> str:
        """A new run's name for people: engine, dataset, every setting that differs from its default, and the rate:
        "TensorFlow · Otto Group · lr 0.1", "TensorFlow · Otto Group · SGD momentum 0.9 nesterov · L2 0.0001 · 100
        steps · lr 0.01" (:func:`setting_labels.name_parts`)."""
        rate = [f"lr {settings.learning_rate:g}"] if with_rate else []
        return " · ".join([*setting_labels.name_parts(settings), *rate])

    @staticmethod
    def earlier_default_name(settings: ExperimentSettings) -> str:
        """The name versions before every differing setting was named gave a new run (without its rate): the
        engine, the dataset, an MLP's layers and the optimizer when not SGD."""
        model = f"MLP {','.join(map(str, settings.hidden))}".strip() if settings.model == "mlp" else ""
        optimizer = {"rmsprop": "RMSprop", "adagrad": "Adagrad", "adam": "Adam"}.get(settings.optimizer, "")
        parts = [engines.engine_title(settings.backend), setting_labels.dataset_title(settings.dataset), model, optimizer]
        return " · ".join(part for part in parts if part)

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
            raise ValueError(f"holds a JSON {_json_kind(data)}, not an object")
        run_id = run_id if run_id is not None else _text(data, "id", None)
        schema = data.get("schema", 1)
        if isinstance(schema, bool) or not isinstance(schema, int) or not 1 <= schema <= RUN_SCHEMA:
            raise ValueError(f"schema {_short(schema)} is not one this kgui reads (1 to {RUN_SCHEMA}): "
                             f"written by a newer kgui?")

        text = functools.partial(_text, data)
        status = text("status", "pending")
        if status not in STORED_STATUSES:
            raise ValueError(f"status {_short(status)} is not a run status")
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
                raise ValueError(f"{key} must be a JSON object, got {_short(data[key])}")
        summary = data.get("summary")
        train_rows = data.get("train_rows")
        if train_rows is not None and (_integer(train_rows, "train_rows") < 1):
            raise ValueError(f"train_rows must be at least 1, got {train_rows}")
        sweep_values = data.get("sweep_values", {})
        if not isinstance(sweep_values, dict) or not all(
                isinstance(value, (str, int, float, bool)) or value is None for value in sweep_values.values()):
            raise ValueError(f"sweep_values must be a JSON object of plain values, got {_short(sweep_values)}")
        return cls(
            run_id, text("name", run_id), settings, list(history),
            [(_integer(step, "an lr_changes step"), _number(rate)) for step, rate in lr_changes],
            STORED_STATUSES[status], text("message"), dict(data.get("final_params", {})), text("engine"),
            text("engine_version"), text("dataset_info"), dict(data.get("timings", {})), text("created"),
            text("finished"), RunSummary.from_dict(summary) if summary is not None else RunSummary(), train_rows,
            [WeightEdit.from_list(edit) for edit in weight_edits],
            text("sweep_id"), dict(sweep_values))

    @classmethod
    def unreadable(cls, run_id: str, reason: str) -> "RunRecord":
        """The stand-in for a run whose run.json cannot be read: named by its folder, ``reason`` as message."""
        return cls(run_id, run_id, None, status=RunStatus.UNREADABLE, message=reason, created="")


def _text(data: dict, key: str, default="") -> str:
    value = data.get(key, default)
    if value.__class__ is not str:
        raise ValueError(f"{key} must be a string, got {_short(value)}")
    return value


def _json_kind(value) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), "null")


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


class RunInUseError(OSError):
    """The run is being written by a live process (this one or another): it cannot be deleted or renamed here."""

    def __init__(self, run_id: str, pid: int | None):
        by = "this process" if pid == os.getpid() else f"process {pid}" if pid else "another process"
        super().__init__(errno.EBUSY, f"run {run_id} is still being trained by {by}; stop it first")

    def __str__(self):
        return self.strerror


# -- reading history.csv ------------------------------------------------------------------------------------------

class _HistoryReader:
    """Parses history.csv lines into steps; invalid lines (and steps not after the previous one) are counted."""

    def __init__(self, summary: RunSummary, keep_steps: bool):
        self.summary = summary
        self.steps: list[StepRecord] | None = [] if keep_steps else None
        self.columns: dict[str, int] = {name: index for index, name in enumerate(HISTORY_COLUMNS)}
        self._previous = summary.last.step if summary.last is not None else 0

    def read(self, data: bytes, with_header: bool) -> None:
        """Lines of ``data`` (history.csv from ``summary.history_bytes`` on); a last line without its newline
        (a crash or a writer mid-line) is left for later."""
        end = data.rfind(b"\n") + 1
        lines = data[:end].split(b"\n")[:-1]
        if with_header and lines and self._header(lines[0]):
            lines = lines[1:]
        for line in lines:
            step = self._parse(line)
            if step is None:
                self.summary.skipped_lines += 1
                continue
            self._previous = step.step
            self.summary.add(step)
            if self.steps is not None:
                self.steps.append(step)
        self.summary.history_bytes += end

    def _header(self, line: bytes) -> bool:
        names = line.decode("utf-8", "replace").strip().split(",")
        if not set(REQUIRED_COLUMNS) <= set(names):
            return False  # no header (the first line is data, or damaged)
        self.columns = {name: index for index, name in enumerate(names)}
        return True

    def _parse(self, line: bytes) -> StepRecord | None:
        try:
            fields = line.decode("utf-8").rstrip("\r").split(",")
            if len(fields) != len(self.columns):
                return None
            value = {name: fields[index] for name, index in self.columns.items()}
            step = int(value["step"])
            if step <= self._previous:
                return None

            def optional(name):
                text = value.get(name, "")
                return float(text) if text else None

            params = {key: float(value[key]) for key in ("w", "b") if value.get(key)}
            return StepRecord(step, float(value["train_loss"]), optional("val_loss"), optional("accuracy"),
                              float(value["learning_rate"]), float(value["elapsed"]), float(value["step_ms"]),
                              params)
        except ValueError:  # not UTF-8, not numbers (NUL, garbage, step 1.5), a required field empty
            return None


def _row_bytes(step: StepRecord) -> bytes:
    return (",".join(step.to_row()) + "\n").encode("utf-8")


def _continues(path, summary: RunSummary) -> bool:
    """Whether history.csv still ends its first ``summary.history_bytes`` with the summary's last step
    (so only what follows is new), rather than having been changed before that point."""
    expected = _row_bytes(summary.last) if summary.last is not None else b"\n"
    start = summary.history_bytes - len(expected)
    return start >= 0 and summary.history_bytes > 0 and _read_bytes(path, start, len(expected)) == expected


def _read_bytes(path, offset: int, size: int = -1) -> bytes:
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | _NO_WAIT), "rb") as stream:
            stream.seek(offset)
            return stream.read(size)
    except OSError:  # missing, a folder, unreadable: no steps
        return b""


# -- the writer's lock --------------------------------------------------------------------------------------------

def _lock_holder(folder) -> int | None:
    """The pid of the live process writing the run in ``folder`` (0 when it is unknown), or None when none is."""
    try:
        fd = os.open(os.path.join(folder, LOCK_FILE), os.O_RDONLY | _NO_WAIT)
    except OSError:
        return None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # held: the writer is alive
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
                return None
        text = os.read(fd, 32).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else 0
    except OSError:  # not a file kgui wrote (a folder...): no writer holds it
        return None
    finally:
        os.close(fd)


def _with_writer_status(record: RunRecord, folder) -> RunRecord:
    """``record`` as read from disk, ``interrupted`` when it has not ended but no live process writes it."""
    if record.readable and not record.status.final and _lock_holder(folder) is None:
        record.status = RunStatus.INTERRUPTED
        record.message = record.message or INTERRUPTED_MESSAGE
    return record


@dataclass
class _Lock:
    """A held writer.lock: its descriptor."""

    fd: int

    @classmethod
    def take(cls, folder: Path, run_id: str) -> "_Lock":
        """Lock the run in ``folder``; RunInUseError when a live process holds it."""
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if fcntl is not None:
                deadline = time.monotonic() + 0.5  # a reader checking the lock holds it for microseconds
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise RunInUseError(run_id, _lock_holder(folder)) from None
                        time.sleep(0.01)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except BaseException:
            os.close(fd)
            raise
        return cls(fd)

    def release(self) -> None:
        os.close(self.fd)  # closing drops the flock


# -- the listing index ----------------------------------------------------------------------------------------------

class _ListingIndex:
    """The store's listing cache, ``<root>/.index.json``: for each run folder, run.json's identity (size, mtime,
    ctime, inode) and the run as read from its files (stored status, summary up to date with history.csv).

    Only a cache: an entry is used while run.json has the same identity and history.csv the size the summary
    covers, else the run is read from its files (a new, copied, renamed or changed folder). The writer's lock is
    checked on every listing, never cached. A missing, damaged or foreign index is rebuilt; failing to write it
    (a read-only store) only costs speed. A checksum guards it, so its contents are trusted without validation.
    """

    def __init__(self, root: Path):
        self.path = root / INDEX_FILE
        self.settings: list[ExperimentSettings] = []   # distinct settings, shared by the records (they are frozen)
        self.entries: dict[str, list] = {}             # folder name -> [run.json identity, settings index, run]
        self._read()

    def _read(self) -> None:
        try:
            with open(os.open(self.path, os.O_RDONLY | _NO_WAIT), "rb") as stream:
                if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                    return
                header, _, body = stream.read(MAX_INDEX_BYTES + 1).partition(b"\n")
            if json.loads(header) != _index_header(body):
                return  # damaged, cut short, too large or from another version
            data = json.loads(body)
            self.settings = [ExperimentSettings(**settings) for settings in data["settings"]]
            self.entries = dict(data["runs"])
        except Exception:  # noqa: BLE001  anything wrong with a cache file means: no cache
            self.settings, self.entries = [], {}

    def record(self, run_id: str, identity: list | None, folder: str) -> RunRecord | None:
        """The cached record of the run in ``folder`` if it is still what its files say, else None."""
        entry = self.entries.get(run_id)
        if entry is None or identity is None or entry[0] != identity:
            return None
        try:
            record = _decoded(run_id, entry[2], None if entry[1] is None else self.settings[entry[1]])
        except Exception:  # noqa: BLE001  a damaged entry: read the run from its files
            return None
        if record.readable and _history_size(folder) != record.summary.history_bytes:
            return None  # steps were added (a live run) or the history changed
        return record

    def write(self, entries: dict[str, tuple[list, ExperimentSettings | None, list]]) -> None:
        """Replace the index with ``entries`` (folder name -> run.json identity, settings, :func:`_encoded` run);
        never raises."""
        positions: dict[int, int | None] = {id(None): None}   # settings object -> its place in the list
        by_text: dict[str, int] = {}
        settings, runs = [], {}
        for run_id, (identity, run_settings, encoded) in entries.items():
            position = positions.get(id(run_settings), -1)
            if position == -1:
                settings_dict = run_settings.to_dict()
                position = by_text.setdefault(json.dumps(settings_dict), len(settings))
                if position == len(settings):
                    settings.append(settings_dict)
                positions[id(run_settings)] = position
            runs[run_id] = [identity, position, encoded]
        try:
            body = json.dumps({"settings": settings, "runs": runs}, separators=(",", ":")).encode("utf-8")
            write_atomic(self.path, json.dumps(_index_header(body)).encode("utf-8") + b"\n" + body)
        except (OSError, TypeError, ValueError):
            pass  # a read-only store (or a record field JSON cannot hold) lists without an index


def _index_header(body: bytes) -> dict:
    """The index's first line: its version, the RunRecord fields it holds and its body's checksum."""
    return {"kgui_run_index": INDEX_VERSION, "fields": list(_PLAIN_FIELDS), "crc32": zlib.crc32(body)}


def _identity(path: str) -> list | None:
    """What changes whenever a file is rewritten (size, mtime, ctime, inode); None unless it is a regular file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _history_size(folder: str) -> int:
    try:
        return os.stat(f"{folder}{os.sep}{HISTORY_FILE}").st_size
    except OSError:
        return 0


def _encoded(record: RunRecord) -> list:
    """``record`` (without history and settings) as JSON values, for :func:`_decoded` (NaN stays NaN)."""
    summary, last = record.summary, record.summary.last
    return [record.status.value, record.lr_changes, [getattr(record, name) for name in _PLAIN_FIELDS],
            [summary.steps, None if last is None else [last.step, last.train_loss, last.val_loss, last.accuracy,
                                                       last.learning_rate, last.elapsed, last.step_ms, last.params],
             summary.total_step_ms, summary.skipped_lines, summary.history_bytes],
            [edit.to_list() for edit in record.weight_edits]]


def _decoded(run_id: str, data: list, settings: ExperimentSettings | None) -> RunRecord:
    status, lr_changes, plain, (steps, last, total_step_ms, skipped_lines, history_bytes), edits = data
    summary = RunSummary(steps, None if last is None else StepRecord(*last), total_step_ms, skipped_lines,
                         history_bytes)
    if len(plain) != len(_PLAIN_FIELDS):
        raise ValueError("an index entry with other fields")
    # the fields set directly, not through __init__: listing 10,000 runs spends a third of its time here otherwise
    record = object.__new__(RunRecord)
    record.__dict__.update(zip(_PLAIN_FIELDS, plain), id=run_id, settings=settings, history=[],
                           lr_changes=[(step, rate) for step, rate in lr_changes], status=_STATUSES[status],
                           summary=summary, weight_edits=[WeightEdit.from_list(edit) for edit in edits])
    return record


# RunRecord's fields kept in the index as they are (JSON values); the index names them, so one written with
# other fields (another kgui version) is rebuilt
_PLAIN_FIELDS = tuple(f.name for f in dataclasses.fields(RunRecord)
                      if f.name not in ("id", "settings", "history", "lr_changes", "status", "summary",
                                        "weight_edits"))
_STATUSES = {status.value: status for status in RunStatus}


# -- hidden leftovers -----------------------------------------------------------------------------------------------

def _is_leftover(name: str) -> bool:
    """A hidden folder a killed process left: a run being created (``.<id>.new``), or being deleted
    (``.<id>.deleting-<random>``), or a temporary index file."""
    return (name.endswith(".new") or ".deleting-" in name
            or (name.startswith(INDEX_FILE + ".") and name.endswith(".tmp")))


def _remove_tree(path) -> None:
    """shutil.rmtree, while another process may be removing the same tree (a lister cleaning up leftovers)."""
    for _ in range(10):
        try:
            shutil.rmtree(path)
            return
        except FileNotFoundError:
            if not os.path.lexists(path):
                return
    shutil.rmtree(path)


def _remove_leftover(path: str) -> None:
    """Remove ``path`` once it has not changed for :data:`LEFTOVER_SECONDS` and no writer holds its lock (a run
    being created changes and holds its folder; :meth:`RunStore.delete` tolerates a lister removing it too)."""
    try:
        info = os.lstat(path)
    except OSError:
        return
    if info.st_mtime > time.time() - LEFTOVER_SECONDS:
        return
    if stat.S_ISDIR(info.st_mode):
        if _lock_holder(path) is None:
            with contextlib.suppress(OSError):
                _remove_tree(path)
    elif stat.S_ISREG(info.st_mode):
        with contextlib.suppress(OSError):
            os.unlink(path)


# -- writing one run ----------------------------------------------------------------------------------------------

class RunWriter:
    """The one writer of a run's files, from :meth:`RunStore.begin` until :meth:`close`.

    Thread-safe: the training thread appends steps and saves, another thread of the same process
    may :meth:`rename` the run through it. OSError from a write names the file and the OS's reason.
    """

    def __init__(self, store: "RunStore", record: RunRecord, folder: Path, lock: _Lock, history):
        self.store, self.record, self.folder = store, record, folder
        self._lock, self._history = lock, history
        self._mutex = threading.Lock()
        self._last_save = time.monotonic()
        self.closed = False

    def append(self, step: StepRecord) -> None:
        """Add one step to history.csv (flushed to the OS); run.json too when SUMMARY_SECONDS have passed."""
        line = _row_bytes(step)
        with self._mutex:
            try:
                self._history.write(line)
                self._history.flush()
            except OSError as exc:
                raise OSError(exc.errno, f"cannot write {self.folder / HISTORY_FILE}: {exc.strerror}") from None
            self.record.summary.add(step)
            self.record.summary.history_bytes += len(line)
            due = time.monotonic() - self._last_save >= SUMMARY_SECONDS
        if due:
            self.save()

    def save(self) -> None:
        """Rewrite run.json (metadata and summary) atomically."""
        with self._mutex:
            write_atomic(self.folder / RUN_FILE, json.dumps(self.record.to_dict(), indent=2))
            self._last_save = time.monotonic()

    def rename(self, name: str) -> RunRecord:
        """Give the run a new display name and save it (callable from any thread of this process)."""
        self.record.name = _checked_name(name)
        self.save()
        return self.record

    def close(self) -> None:
        """Stop writing: close history.csv and release the lock (save the final run.json first)."""
        if self.closed:
            return
        self.closed = True
        self.store._writers.pop(self.folder.resolve(), None)
        try:
            self._history.close()
        except OSError:
            pass  # the write that failed was reported already; the lines before it are on disk
        finally:
            self._lock.release()


def _checked_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a run name cannot be empty")
    return name.strip()


# -- the store ----------------------------------------------------------------------------------------------------

class RunStore:
    """Runs on disk under ``root``: the given folder, else $KGUI_RUNS_DIR, else the user data dir's ``runs``."""

    _writers: dict[Path, RunWriter] = {}  # open writers of this process, by run folder (all stores share it)

    def __init__(self, root=None):
        if root is None:
            root = os.environ.get("KGUI_RUNS_DIR") or None   # set but empty: unset, as the XDG variables are
        if root is None:
            from platformdirs import user_data_dir

            root = Path(user_data_dir("kgui")) / "runs"
        self.root = Path(root)

    def __repr__(self):
        return f"RunStore({str(self.root)!r})"

    def folder(self, run_id: str) -> Path:
        """The folder of run ``run_id``; ValueError for ids that are not plain folder names."""
        if not isinstance(run_id, str) or not run_id or run_id in (".", "..") or "/" in run_id \
                or os.sep in run_id or run_id.startswith("."):
            raise ValueError(f"invalid run id {run_id!r}")
        return self.root / run_id

    # -- writing --

    def begin(self, record: RunRecord) -> RunWriter:
        """Create the run's folder (lock taken, history.csv header, run.json) and return its writer.

        The folder is built under a hidden name and renamed into place, so readers see it whole.
        """
        folder = self.folder(record.id)
        building = self.root / f".{record.id}.new"
        try:
            building.mkdir(parents=True)
            lock = _Lock.take(building, record.id)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot create {folder}: {exc.strerror or exc}") from None
        try:
            header = (",".join(HISTORY_COLUMNS) + "\n").encode("utf-8")
            try:
                with open(building / HISTORY_FILE, "wb") as stream:
                    stream.write(header)
            except OSError as exc:
                raise OSError(exc.errno, f"cannot write {folder / HISTORY_FILE}: {exc.strerror}") from None
            record.summary = RunSummary(history_bytes=len(header))
            write_atomic(building / RUN_FILE, json.dumps(record.to_dict(), indent=2))
            os.rename(building, folder)
            history = open(folder / HISTORY_FILE, "ab")
        except BaseException:
            lock.release()
            shutil.rmtree(building, ignore_errors=True)
            raise
        writer = RunWriter(self, record, folder, lock, history)
        self._writers[folder.resolve()] = writer
        return writer

    # -- reading --

    def exists(self, run_id: str) -> bool:
        """Whether the store has a run folder ``run_id`` (readable or not)."""
        return self.folder(run_id).is_dir()

    def load(self, run_id: str, with_history: bool = True) -> RunRecord:
        """The run ``run_id`` (its history too unless told otherwise); RunNotFoundError when there is no such
        folder. A damaged run.json gives an ``unreadable`` record, never an exception."""
        folder = self.folder(run_id)
        if not folder.is_dir():
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}")
        return self._load_folder(str(folder), run_id, with_history)

    @classmethod
    def _load_folder(cls, folder: str, run_id: str, with_history: bool) -> RunRecord:
        """:meth:`load` of the run in ``folder`` (plain strings: listing calls it for every run)."""
        record, _ = cls._read_stored(folder, run_id, with_history)
        return _with_writer_status(record, folder)

    @classmethod
    def _read_stored(cls, folder: str, run_id: str, with_history: bool) -> tuple[RunRecord, bool]:
        """The run as its files say (its status as stored, its summary brought up to date with history.csv), and
        whether that depends on the files' contents only (not on an error reading them, which may pass)."""
        try:
            record = cls._read_record(folder, run_id)
        except (OSError, ValueError, RecursionError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return RunRecord.unreadable(run_id, f"{RUN_FILE}: {reason}"), not isinstance(exc, OSError)
        cls._read_history(folder, record, with_history)
        return record, True

    @staticmethod
    def _read_record(folder, run_id: str) -> RunRecord:
        fd = os.open(os.path.join(folder, RUN_FILE), os.O_RDONLY | _NO_WAIT)
        try:
            data = os.read(fd, MAX_RUN_FILE_BYTES + 1)
        finally:
            os.close(fd)
        if len(data) > MAX_RUN_FILE_BYTES:
            raise ValueError(f"larger than {MAX_RUN_FILE_BYTES:,} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
        return RunRecord.from_dict(json_files.parse(text), run_id=run_id)

    @staticmethod
    def _read_history(folder, record: RunRecord, with_history: bool) -> None:
        """Bring ``record.summary`` up to date with history.csv (reading only what it does not cover yet,
        unless ``with_history``: then all of it, into ``record.history``)."""
        path = os.path.join(folder, HISTORY_FILE)
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        summary = record.summary
        if size == summary.history_bytes and not with_history:
            return
        if with_history or size < summary.history_bytes or not _continues(path, summary):
            summary = record.summary = RunSummary()
        reader = _HistoryReader(summary, keep_steps=with_history)
        reader.read(_read_bytes(path, summary.history_bytes), with_header=summary.history_bytes == 0)
        if with_history:
            record.history = reader.steps

    def list(self, with_history: bool = False) -> list[RunRecord]:
        """Every run folder's run, oldest first (unreadable ones first of all); never raises for a damaged run.

        Without histories, runs whose files have not changed come from the listing index (one file); the
        others are read and the index updated. Hidden leftovers of killed processes are removed.
        """
        if not self.root.is_dir():
            return []
        folders, leftovers = [], []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if not entry.name.startswith("."):
                    if entry.is_dir():
                        folders.append((entry.path, entry.name))
                elif _is_leftover(entry.name):
                    leftovers.append(entry.path)
        for path in leftovers:
            _remove_leftover(path)
        with garbage_collector_paused():
            if with_history:
                records = [self._load_folder(path, name, True) for path, name in folders]
            else:
                records = self._list_summaries(folders)
        return sorted(records, key=attrgetter("created", "id"))

    def _list_summaries(self, folders: list[tuple[str, str]]) -> list[RunRecord]:
        index = _ListingIndex(self.root)
        settled = time.time_ns() - int(INDEX_SETTLE_SECONDS * 1e9)
        entries, records, changed = {}, [], False
        for path, name in folders:
            identity = _identity(f"{path}{os.sep}{RUN_FILE}")
            record = index.record(name, identity, path)
            if record is not None:
                entries[name] = (identity, record.settings, index.entries[name][2])
            else:
                record, cacheable = self._read_stored(path, name, False)
                # a run.json changed within the last moments could change again without its identity changing
                if cacheable and identity is not None and identity[1] < settled:
                    entries[name] = (identity, record.settings, _encoded(record))
                    changed = True
                changed = changed or name in index.entries
            records.append(_with_writer_status(record, path))
        if changed or entries.keys() != index.entries.keys():
            index.write(entries)
        return records

    def writer_pid(self, run_id: str) -> int | None:
        """The pid of the live process writing run ``run_id`` (0 if unknown), or None when no one is."""
        folder = self.folder(run_id)
        return os.getpid() if folder.resolve() in self._writers else _lock_holder(folder)

    # -- changing --

    def delete(self, run_id: str) -> None:
        """Delete the run's folder, and only it; RunInUseError while a live process writes it."""
        folder = self.folder(run_id)
        if not folder.is_dir() or folder.is_symlink():
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}")
        if folder.resolve() in self._writers:
            raise RunInUseError(run_id, os.getpid())
        try:
            lock = _Lock.take(folder, run_id)
        except RunInUseError:
            raise
        except OSError:
            lock = None  # writer.lock is not a file (damaged): no writer can hold it
        try:
            doomed = self.root / f".{run_id}.deleting-{secrets.token_hex(3)}"
            os.rename(folder, doomed)  # gone from listings at once; a half-deleted folder never shows
        finally:
            if lock is not None:
                lock.release()
        _remove_tree(doomed)

    def end_lost_run(self, run_id: str, status: RunStatus, message: str, wait_s: float = 2.0) -> RunRecord:
        """Write the end of a run whose writer died before it (a worker process killed or crashed): ``status``
        and ``message`` into its run.json, its steps kept. Waits up to ``wait_s`` for the dead writer's lock to
        be free (RunInUseError after that). A run that has ended already is left as it is. Returns the run with
        its history."""
        folder = self.folder(run_id)
        if not folder.is_dir():
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}")
        deadline = time.monotonic() + wait_s
        while True:
            try:
                lock = _Lock.take(folder, run_id)
                break
            except RunInUseError:
                if time.monotonic() > deadline:
                    raise
        try:
            record = self._read_record(folder, run_id)
            self._read_history(folder, record, with_history=False)
            if not record.status.final:
                record.status, record.message = status, message
                record.finished = _now()
                write_atomic(folder / RUN_FILE, json.dumps(record.to_dict(), indent=2))
        except (OSError, ValueError, RecursionError) as exc:
            raise OSError(f"cannot end run {run_id}: {RUN_FILE} is unreadable ({exc})") from None
        finally:
            lock.release()
        return self.load(run_id)

    def rename(self, run_id: str, name: str) -> RunRecord:
        """Give run ``run_id`` a new display name; returns the updated record (without history).

        A run this process is training is renamed through its writer; RunInUseError when another
        live process trains it.
        """
        name = _checked_name(name)
        folder = self.folder(run_id)
        writer = self._writers.get(folder.resolve())
        if writer is not None:
            return writer.rename(name)
        if not folder.is_dir():
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}")
        lock = _Lock.take(folder, run_id)
        try:
            try:
                record = self._read_record(folder, run_id)
            except (OSError, ValueError, RecursionError) as exc:
                raise ValueError(f"cannot rename run {run_id}: {RUN_FILE} is unreadable ({exc})") from None
            record.name = name
            write_atomic(folder / RUN_FILE, json.dumps(record.to_dict(), indent=2))
        finally:
            lock.release()
        return self.load(run_id, with_history=False)
