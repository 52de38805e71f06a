"""The run store: a folder per run under a root, written by one :class:`RunWriter` at a time, listed and read by
anyone (see the package's docstring for the rules)."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import stat
import threading
import time
from operator import attrgetter
from pathlib import Path

from .. import json_files
from ..training.engines import garbage_collector_paused
from ..files import write_atomic
from .files import HISTORY_FILE, INDEX_FILE, MAX_RUN_FILE_BYTES, NO_WAIT, RUN_FILE
from .history import HISTORY_COLUMNS, HistoryReader, continues, read_bytes, row_bytes
from .index import INDEX_SETTLE_SECONDS, ListingIndex, encoded, file_identity
from .lock import RunInUseError, WriterLock, lock_holder
from .names import printable
from .records import INTERRUPTED_MESSAGE, RunRecord, RunStatus, RunSummary, StepRecord, now

SUMMARY_SECONDS = 2.0            # while a run trains, run.json (with its summary) is rewritten this often
LEFTOVER_SECONDS = 60.0          # hidden folders left by a killed process are removed once this old


class RunNotFoundError(LookupError):
    """No run with that id in the store."""


def _with_writer_status(record: RunRecord, folder) -> RunRecord:
    """``record`` as read from disk, ``interrupted`` when it has not ended but no live process writes it."""
    if record.readable and not record.status.final and lock_holder(folder) is None:
        record.status = RunStatus.INTERRUPTED
        record.message = record.message or INTERRUPTED_MESSAGE
    return record


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
        if lock_holder(path) is None:
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

    def __init__(self, store: "RunStore", record: RunRecord, folder: Path, lock: WriterLock, history):
        self.store, self.record, self.folder = store, record, folder
        self._lock, self._history = lock, history
        self._mutex = threading.Lock()
        self._last_save = time.monotonic()
        self.closed = False

    def append(self, step: StepRecord) -> None:
        """Add one step to history.csv (flushed to the OS); run.json too when SUMMARY_SECONDS have passed."""
        line = row_bytes(step)
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
    return printable(name.strip())


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
        except OSError as exc:
            raise OSError(exc.errno, f"cannot create {folder}: {exc.strerror or exc}") from None
        try:
            lock = WriterLock.take(building, record.id)
        except OSError as exc:   # a full disk: the next attempt starts afresh, and no half-made folder stays behind
            shutil.rmtree(building, ignore_errors=True)
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
        fd = os.open(os.path.join(folder, RUN_FILE), os.O_RDONLY | NO_WAIT)
        try:
            mode = os.fstat(fd).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a folder: os.read says so
                raise ValueError("not a regular file")  # a FIFO, /dev/zero
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
        if with_history or size < summary.history_bytes or not continues(path, summary):
            summary = record.summary = RunSummary()
        reader = HistoryReader(summary, keep_steps=with_history)
        reader.read(read_bytes(path, summary.history_bytes), with_header=summary.history_bytes == 0)
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
        index = ListingIndex(self.root)
        settled = time.time_ns() - int(INDEX_SETTLE_SECONDS * 1e9)
        entries, records, changed = {}, [], False
        for path, name in folders:
            identity = file_identity(f"{path}{os.sep}{RUN_FILE}")
            record = index.record(name, identity, path)
            if record is not None:
                entries[name] = (identity, record.settings, index.entries[name][2])
            else:
                record, cacheable = self._read_stored(path, name, False)
                # a run.json changed within the last moments could change again without its identity changing
                if cacheable and identity is not None and identity[1] < settled:
                    entries[name] = (identity, record.settings, encoded(record))
                    changed = True
                changed = changed or name in index.entries
            records.append(_with_writer_status(record, path))
        if changed or entries.keys() != index.entries.keys():
            index.write(entries)
        return records

    def writer_pid(self, run_id: str) -> int | None:
        """The pid of the live process writing run ``run_id`` (0 if unknown), or None when no one is."""
        folder = self.folder(run_id)
        return os.getpid() if folder.resolve() in self._writers else lock_holder(folder)

    # -- changing --

    def delete(self, run_id: str) -> None:
        """Delete the run's folder, and only it; RunInUseError while a live process writes it."""
        folder = self.folder(run_id)
        if not folder.is_dir() or folder.is_symlink():
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}")
        if folder.resolve() in self._writers:
            raise RunInUseError(run_id, os.getpid())
        try:
            lock = WriterLock.take(folder, run_id)
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
                lock = WriterLock.take(folder, run_id)
                break
            except RunInUseError:
                if time.monotonic() > deadline:
                    raise
        try:
            record = self._read_record(folder, run_id)
            self._read_history(folder, record, with_history=False)
            if not record.status.final:
                record.status, record.message = status, message
                record.finished = now()
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
        writer = self._writers.get(self.folder(run_id).resolve())
        if writer is not None:
            return writer.rename(name)
        return self._rewrite(run_id, "rename", lambda record: setattr(record, "name", name))

    def set_message(self, run_id: str, message: str) -> RunRecord:
        """Replace the message of run ``run_id``, which no one writes any more (RunInUseError while a live process
        does); returns the updated record (without history)."""
        return self._rewrite(run_id, "change", lambda record: setattr(record, "message", message))

    def _rewrite(self, run_id: str, verb: str, change) -> RunRecord:
        """``change(record)`` to run ``run_id``'s run.json, under its writer lock."""
        folder = self.folder(run_id)
        if not folder.is_dir():
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}")
        lock = WriterLock.take(folder, run_id)
        try:
            try:
                record = self._read_record(folder, run_id)
            except (OSError, ValueError, RecursionError) as exc:
                raise ValueError(f"cannot {verb} run {run_id}: {RUN_FILE} is unreadable ({exc})") from None
            change(record)
            write_atomic(folder / RUN_FILE, json.dumps(record.to_dict(), indent=2))
        finally:
            lock.release()
        return self.load(run_id, with_history=False)
