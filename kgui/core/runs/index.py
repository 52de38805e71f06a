"""The store's listing index, ``<root>/.index.json``: a cache of every run as its files say, so that listing reads
one file instead of every run's."""
from __future__ import annotations

import dataclasses
import json
import os
import stat
import zlib
from pathlib import Path

from ..files import write_atomic
from ..experiment.settings import ExperimentSettings
from .files import HISTORY_FILE, INDEX_FILE, NO_WAIT
from .records import RunRecord, RunStatus, RunSummary, StepRecord, WeightEdit

INDEX_VERSION = 3                # 2: summaries hold the best losses; 3: a sweep trial of a hidden-layers axis is
                                 # readable (version 2 cached it as unreadable)
MAX_INDEX_BYTES = 256_000_000    # a larger index is ignored (about 500,000 runs)
INDEX_SETTLE_SECONDS = 2.0       # a run.json changed more recently than this is not cached yet


class ListingIndex:
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
            with open(os.open(self.path, os.O_RDONLY | NO_WAIT), "rb") as stream:
                if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                    return
                header, _, body = stream.read(MAX_INDEX_BYTES + 1).partition(b"\n")
            if json.loads(header) != index_header(body):
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
            record = decoded(run_id, entry[2], None if entry[1] is None else self.settings[entry[1]])
        except Exception:  # noqa: BLE001  a damaged entry: read the run from its files
            return None
        if record.readable and history_size(folder) != record.summary.history_bytes:
            return None  # steps were added (a live run) or the history changed
        return record

    def write(self, entries: dict[str, tuple[list, ExperimentSettings | None, list]]) -> None:
        """Replace the index with ``entries`` (folder name -> run.json identity, settings, :func:`encoded` run);
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
            write_atomic(self.path, json.dumps(index_header(body)).encode("utf-8") + b"\n" + body)
        except (OSError, TypeError, ValueError):
            pass  # a read-only store (or a record field JSON cannot hold) lists without an index


def index_header(body: bytes) -> dict:
    """The index's first line: its version, the RunRecord fields it holds and its body's checksum."""
    return {"kgui_run_index": INDEX_VERSION, "fields": list(_PLAIN_FIELDS), "crc32": zlib.crc32(body)}


def file_identity(path: str) -> list | None:
    """What changes whenever a file is rewritten (size, mtime, ctime, inode); None unless it is a regular file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def history_size(folder: str) -> int:
    try:
        return os.stat(f"{folder}{os.sep}{HISTORY_FILE}").st_size
    except OSError:
        return 0


def encoded(record: RunRecord) -> list:
    """``record`` (without history and settings) as JSON values, for :func:`decoded` (NaN stays NaN)."""
    summary, last = record.summary, record.summary.last
    return [record.status.value, record.lr_changes, [getattr(record, name) for name in _PLAIN_FIELDS],
            [summary.steps, None if last is None else [last.step, last.train_loss, last.val_loss, last.accuracy,
                                                       last.learning_rate, last.elapsed, last.step_ms, last.params],
             summary.total_step_ms, summary.skipped_lines, summary.history_bytes, summary.best_train_loss,
             summary.best_val_loss],
            [edit.to_list() for edit in record.weight_edits]]


def decoded(run_id: str, data: list, settings: ExperimentSettings | None) -> RunRecord:
    status, lr_changes, plain, (steps, last, total_step_ms, skipped_lines, history_bytes, best_train_loss,
                                best_val_loss), edits = data
    summary = RunSummary(steps, None if last is None else StepRecord(*last), total_step_ms, skipped_lines,
                         history_bytes, best_train_loss, best_val_loss)
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
