"""pandas' C parser in worker processes (:mod:`kgui.core.data.csv_worker`), for large plain files: each process reads
byte ranges of the file by itself."""
from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from pathlib import Path

from .. import csv_worker
from ..csv_worker import Outcome, Parsed
from ..dataset_registry import LoadCancelled, LoadProgress
from .pandas_threads import STOP_POLL_S, column_dtypes, pandas_table
from .stream import Stream
from .table import CsvTable, ForPythonReader
from .text import MAX_LINE_BYTES

PROCESS_MIN_BYTES = 128 << 20          # plain files this large are parsed by processes (each starts in ~0.5 s)
PROCESS_PIECE_BYTES = 8 << 20          # the byte range one process parses at a time (pandas: fastest at ~8 MB)
PARSE_PROCESSES = min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
CUT_SEARCH_BYTES = 64 << 10            # read at a time looking for the newline that ends a range


class ProcessesUnsuited(Exception):
    """The file does not suit the processes after all (see :class:`ProcessParse`): the threads read it."""


class Worker:
    """One ``kgui.core.data.csv_worker`` process, and a thread that puts its replies on ``replies`` as (worker,
    :class:`Parsed`), then (worker, None) once it has ended."""

    def __init__(self, job: csv_worker.Job, replies: queue.SimpleQueue):
        if not sys.executable:
            raise OSError("no Python executable to start a parsing process with")
        package_root = str(Path(__file__).resolve().parents[4])   # the folder holding this kgui
        self.process = subprocess.Popen([sys.executable, "-P", "-c", csv_worker.BOOTSTRAP, package_root],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        pass_fds=(job.fd,))
        self._reader = threading.Thread(target=self._read_replies, args=(replies,), name="kgui-csv-replies",
                                        daemon=True)
        try:
            self._reader.start()
            self.send(job)
        except BaseException:
            self.kill()
            raise

    def send(self, message) -> None:
        """OSError (BrokenPipeError) when the process has ended."""
        pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def _read_replies(self, replies: queue.SimpleQueue) -> None:
        try:
            while True:
                replies.put((self, pickle.load(self.process.stdout)))
        except Exception:  # noqa: BLE001 - the end of its output (EOF, killed, damaged): the process has ended
            replies.put((self, None))

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        if self._reader.ident is not None:
            self._reader.join()   # the process is gone: its output ends at once
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class ProcessParse:
    """pandas' C parser in ``PARSE_PROCESSES`` worker processes (:mod:`kgui.core.data.csv_worker`), each reading byte
    ranges of the file by itself. For large plain files: pandas' float conversion holds the GIL, so threads gain
    little. :meth:`read` raises :class:`ProcessesUnsuited` when the file does not suit after all (a quote
    character, so rows may hold newlines and ranges cannot be cut blind; a line too long to cut at; a process that
    cannot start or crashed): the threads then read the same stream, which still stands right after the header.
    """

    @staticmethod
    def suits(stream: Stream) -> bool:
        return (PARSE_PROCESSES > 1 and hasattr(os, "pread") and not stream.compressed
                and stream.size >= PROCESS_MIN_BYTES)

    def __init__(self, stream: Stream, rest: bytes, path: Path, names, features, label):
        self.stream, self.path = stream, path
        self.start = stream.text_bytes - len(rest)   # where the rows begin
        self.job = csv_worker.Job(stream.file.fileno(), list(names), column_dtypes(names, features, label),
                                  list(features), label)

    def ranges(self) -> list[tuple[int, int]] | None:
        """Byte ranges of about ``PROCESS_PIECE_BYTES`` from the first row to the end of the file, each ending
        just after a newline; None when no newline comes within ``MAX_LINE_BYTES`` of a cut."""
        fd, size = self.stream.file.fileno(), self.stream.size
        cuts = [self.start]
        while size - cuts[-1] > PROCESS_PIECE_BYTES:
            target = offset = cuts[-1] + PROCESS_PIECE_BYTES
            while True:
                chunk = os.pread(fd, CUT_SEARCH_BYTES, offset)
                newline = chunk.find(b"\n")
                if newline >= 0 or not chunk:
                    break
                offset += len(chunk)
                if offset - target > MAX_LINE_BYTES:
                    return None
            if newline < 0:
                break   # the file ends (it was cut short while being read): the last range goes to its size
            cuts.append(offset + newline + 1)
        cuts.append(size)
        return [(start, end) for start, end in zip(cuts, cuts[1:]) if end > start]

    def read(self, header_line: int, progress) -> CsvTable:
        """The table; ForPythonReader when a cell is missing, not a number or not finite (Python's reader then
        says where); ValueError when pandas refuses a row; ProcessesUnsuited (see the class)."""
        ranges = self.ranges()
        if not ranges:
            raise ProcessesUnsuited
        replies: queue.SimpleQueue = queue.SimpleQueue()
        workers: list[Worker] = []
        try:
            try:
                for _ in range(min(PARSE_PROCESSES, len(ranges))):
                    workers.append(Worker(self.job, replies))
            except (OSError, RuntimeError):   # no process (or no thread to read it) could start
                raise ProcessesUnsuited
            return self._collect(ranges, workers, replies, header_line, progress)
        finally:
            for worker in workers:
                worker.kill()

    def _collect(self, ranges, workers, replies, header_line, progress):
        parsed: list[Parsed | None] = [None] * len(ranges)
        working: dict[Worker, int] = {}     # worker -> index of the range it parses
        waiting = iter(range(len(ranges)))
        rows = done_bytes = 0

        def hand_out(worker: Worker) -> None:
            index = next(waiting, None)
            if index is not None:
                worker.send(ranges[index])
                working[worker] = index

        try:
            for worker in workers:
                hand_out(worker)
            while working:
                try:
                    worker, reply = replies.get(timeout=STOP_POLL_S)
                except queue.Empty:
                    worker = reply = None
                if self.stream.should_stop():
                    raise LoadCancelled(f"reading {self.path} was stopped")
                if worker is None:
                    continue
                if reply is None or reply.outcome in (Outcome.QUOTED, Outcome.CRASHED):
                    raise ProcessesUnsuited
                if reply.outcome is Outcome.NOT_FINITE:
                    raise ForPythonReader
                if reply.outcome is Outcome.REFUSED:
                    raise ValueError(reply.message)
                index = working.pop(worker)
                parsed[index] = reply
                rows += len(reply.block)
                done_bytes += ranges[index][1] - ranges[index][0]
                progress(LoadProgress(rows, (self.start + done_bytes) / self.stream.size))
                hand_out(worker)
        except OSError:   # a process ended before it could take its range
            raise ProcessesUnsuited from None
        return pandas_table(self.stream, self.path, self.job.features, self.job.label,
                             [(piece.block, piece.labels) for piece in parsed], header_line)
