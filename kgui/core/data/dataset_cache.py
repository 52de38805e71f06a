"""Caches of loaded data: prepared Datasets in memory, and (when turned on) parsed CSV files on disk.

- :data:`MEMORY` keeps the Datasets of files (Otto, CSV) by the file's path, device, inode, size and
  modification time plus the options, split fraction and seed, so a second Start prepares its data
  without reading anything. Datasets' arrays are read-only, so sharing them is safe. It holds at
  most a quarter of the machine's memory (2 GiB at most), least recently used first out.
- :data:`DISK` keeps parsed files (float32 features as ``.npy``, labels as JSON) under the user
  cache folder, keyed the same way, when ``KGUI_DATA_CACHE=1`` (or ``--data-cache``): the first load
  of a later session then maps the features instead of parsing the text. Entries are written to a
  temporary folder and renamed into place, so a stop or a crash never leaves half of one.
- :data:`READS` lets one load at a time read a file version: a second load of it meanwhile waits for
  that read (hearing its progress) and takes its Dataset from :data:`MEMORY`.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np

from .dataset_registry import Dataset, LoadCancelled, LoadProgress

DISK_CACHE_VARIABLE = "KGUI_DATA_CACHE"
DISK_FORMAT = 1             # bump when the stored layout changes
DISK_ENTRIES = 4            # parsed files kept on disk; older ones are removed


def file_identity(path) -> tuple | None:
    """(resolved path, device, inode, size, mtime in ns) of the file at ``path``; None when it cannot be read."""
    try:
        info = os.stat(path)
        return str(Path(path).resolve()), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop in resolve()
        return None


def _memory_budget() -> int:
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 8 << 30
    return min(physical // 4, 2 << 30)


class MemoryCache:
    """Datasets by key, least recently used dropped first once they hold more than ``max_bytes``."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Dataset] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Dataset | None:
        with self._lock:
            dataset = self._entries.get(key)
            if dataset is not None:
                self._entries.move_to_end(key)
            return dataset

    def put(self, key: Hashable, dataset: Dataset) -> None:
        if dataset.nbytes > self.max_bytes:
            return
        with self._lock:
            self._entries[key] = dataset
            self._entries.move_to_end(key)
            while sum(entry.nbytes for entry in self._entries.values()) > self.max_bytes:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


MEMORY = MemoryCache(_memory_budget())


# -- one read per file at a time -------------------------------------------------------------------------------------

READ_POLL_S = 0.05   # a load waiting for another load's read of the same file checks for a stop this often


class _Read:
    """A file being read by one load; loads of the same file meanwhile wait for it and hear its progress."""

    def __init__(self, progress: Callable[[LoadProgress], None]):
        self.finished = threading.Event()
        self.listeners = [progress]

    def tell(self, progress: LoadProgress) -> None:
        for listener in list(self.listeners):
            listener(progress)


class SharedReads:
    """At most one read of a file version at a time. A second load of the same key (the window's Code dock and a
    Start, say) waits for the first, hearing its progress, and then finds the Dataset in :data:`MEMORY`, instead of
    reading and holding the same file twice."""

    def __init__(self):
        self._reads: dict[Hashable, _Read] = {}
        self._lock = threading.Lock()

    def begin(self, key: Hashable, progress: Callable[[LoadProgress], None],
              should_stop: Callable[[], bool]) -> Callable[[LoadProgress], None] | None:
        """The progress hook of this load's own read of ``key`` (call :meth:`end` once it is over), or None after
        another load's read of ``key`` has ended (its progress was told to ``progress`` meanwhile).
        LoadCancelled when ``should_stop`` says so while waiting."""
        with self._lock:
            read = self._reads.get(key)
            if read is None:
                read = self._reads[key] = _Read(progress)
                return read.tell
            read.listeners.append(progress)
        try:
            while not read.finished.wait(READ_POLL_S):
                if should_stop():
                    raise LoadCancelled("loading was stopped while another load read the same file")
        finally:
            with self._lock:
                read.listeners.remove(progress)
        return None

    def end(self, key: Hashable) -> None:
        with self._lock:
            read = self._reads.pop(key)
        read.finished.set()


READS = SharedReads()


# -- on disk -------------------------------------------------------------------------------------------------------

def disk_enabled() -> bool:
    """Whether ``KGUI_DATA_CACHE`` turns the disk cache on (the command line's ``--data-cache`` sets it, for its
    process and the workers it starts)."""
    return os.environ.get(DISK_CACHE_VARIABLE, "").strip().lower() in ("1", "on", "yes", "true")


def default_disk_folder() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kgui")) / "datasets"


class DiskCache:
    """Parsed CSV files under ``folder`` (default: the user cache folder), one subfolder per file version."""

    def __init__(self, folder: Path | None = None):
        self._folder = folder

    @property
    def folder(self) -> Path:
        return self._folder or default_disk_folder()

    def _entry(self, identity: tuple, label, exclude, last_is_target) -> Path:
        key = json.dumps([DISK_FORMAT, identity, label, list(exclude), last_is_target])
        return self.folder / hashlib.sha256(key.encode()).hexdigest()[:32]

    def get(self, path, label, exclude, last_is_target):
        """The parsed file (a CsvTable whose features are memory-mapped), or None when not cached."""
        from .csv_files import CsvTable, Labels

        identity = file_identity(path)
        if identity is None:
            return None
        entry = self._entry(identity, label, exclude, last_is_target)
        if not (entry / "meta.json").is_file():
            return None
        try:
            meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
            rows, features = int(meta["rows"]), tuple(meta["features"])
            files = ("x.npy",) + (("label_codes.npy", "labels.json") if meta["label"] is not None else ())
            if not all((entry / name).is_file() for name in files):   # a FIFO would block the load for good
                raise ValueError("an entry with a file that is not a regular file")
            x = np.load(entry / "x.npy", mmap_mode="r")
            labels = None
            if meta["label"] is not None:
                labels = Labels(np.load(entry / "label_codes.npy"),
                                tuple(json.loads((entry / "labels.json").read_text(encoding="utf-8"))))
            if x.shape != (rows, len(features)) or labels is not None and labels.codes.shape != (rows,):
                raise ValueError("an entry whose arrays do not match its rows")
        except (OSError, ValueError, KeyError, TypeError, EOFError):   # EOFError: an empty .npy
            shutil.rmtree(entry, ignore_errors=True)  # damaged: parse the file again
            return None
        with contextlib.suppress(OSError):   # a cache that cannot be written is only read
            os.utime(entry)
        return CsvTable(Path(path), features, [x], labels, meta["label"], rows, tuple(meta["identity"]))

    def put(self, table, label, exclude, last_is_target, should_stop: Callable[[], bool]) -> None:
        """Store ``table`` (before its blocks are consumed); a stop or a write error leaves nothing behind."""
        identity = file_identity(table.path)
        if identity is None or tuple(identity[1:]) != tuple(table.identity):
            return  # the file changed while it was read
        entry = self._entry(identity, label, exclude, last_is_target)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = Path(tempfile.mkdtemp(dir=self.folder, prefix=".partial-"))
        except OSError:
            return  # no cache folder: loading works without it
        try:
            width = len(table.feature_names)
            with open(temporary / "x.npy", "wb") as stream:
                np.lib.format.write_array_header_1_0(
                    stream, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False,
                             "shape": (table.n_rows, width)})
                for block in table.blocks:
                    if should_stop():
                        raise LoadCancelled(f"caching {table.path} was stopped")
                    stream.write(np.ascontiguousarray(block, dtype=np.float32).tobytes())
            if table.labels is not None:
                np.save(temporary / "label_codes.npy", table.labels.codes)
                (temporary / "labels.json").write_text(json.dumps(table.labels.values), encoding="utf-8")
            (temporary / "meta.json").write_text(json.dumps({
                "path": str(table.path), "features": list(table.feature_names), "label": table.label_name,
                "rows": table.n_rows, "identity": list(table.identity)}), encoding="utf-8")
            try:
                os.rename(temporary, entry)
            except OSError:  # another process stored it first
                shutil.rmtree(temporary, ignore_errors=True)
        except OSError:
            shutil.rmtree(temporary, ignore_errors=True)
            return
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        self._prune()

    def _prune(self) -> None:
        """Keep the ``DISK_ENTRIES`` most recently used entries (and no partial one older than a day)."""
        entries = sorted((p for p in self.folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                         reverse=True)
        complete = [p for p in entries if not p.name.startswith(".")]
        abandoned = [p for p in entries if p.name.startswith(".") and time.time() - p.stat().st_mtime > 86400]
        for old in complete[DISK_ENTRIES:] + abandoned:
            shutil.rmtree(old, ignore_errors=True)


DISK = DiskCache()
