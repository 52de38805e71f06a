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

The package: ``records`` (a run as data, run.json's form), ``json_values`` (reading run.json's values), ``names``
(a new run's name), ``files`` (the files' names), ``history`` (history.csv), ``lock`` (writer.lock), ``index`` (the
listing index) and ``store`` (RunStore, RunWriter). The names other modules use are here too.
"""
from .files import HISTORY_FILE, INDEX_FILE, LOCK_FILE, RUN_FILE
from .history import HISTORY_COLUMNS, REQUIRED_COLUMNS
from .json_values import json_safe
from .lock import RunInUseError
from .records import (FINAL_STATUSES, INTERRUPTED_MESSAGE, RUN_SCHEMA, STORED_STATUSES, RunRecord, RunStatus,
                      RunSummary, StepRecord, SweepTag, WeightEdit)
from .store import SUMMARY_SECONDS, RunNotFoundError, RunStore, RunWriter

__all__ = ["FINAL_STATUSES", "HISTORY_COLUMNS", "HISTORY_FILE", "INDEX_FILE", "INTERRUPTED_MESSAGE", "LOCK_FILE",
           "REQUIRED_COLUMNS", "RUN_FILE", "RUN_SCHEMA", "STORED_STATUSES", "SUMMARY_SECONDS", "RunInUseError",
           "RunNotFoundError", "RunRecord", "RunStatus", "RunStore", "RunSummary", "RunWriter", "StepRecord",
           "SweepTag", "WeightEdit", "json_safe"]
