"""A CSV parsing process (:func:`main`): parses byte ranges of one file with pandas' C parser into float32 blocks,
for :mod:`kgui.core.data.csv_files`, which starts, feeds and kills these processes.

Why processes: pandas' parser converts text to floats holding the GIL, so threads parse at ~1.1x one core, while
each process has a core of its own. Only numpy and pandas are imported here (not the rest of kgui).

The process reads the loader's own open file, inherited as descriptor ``Job.fd`` (never the path again: the
file may have been replaced meanwhile). The conversation is pickled messages over its stdin and stdout. In: a
:class:`Job` first, then ``(start, end)`` byte ranges that begin and end between two rows. Out, one per range, in
order: a :class:`Parsed`. The process ends at the end of its input.
"""
from __future__ import annotations

import io
import os
import pickle
import signal
import sys
import traceback
from dataclasses import dataclass
from enum import Enum


class Outcome(Enum):
    PARSED = "parsed"      # ``block`` and ``labels`` hold the range's rows
    NOT_FINITE = "bad"     # a cell is missing, not a number or not finite: Python's reader says where
    QUOTED = "quoted"      # the range holds a quote character: rows may hold newlines, ranges cannot be cut blind
    REFUSED = "refused"    # pandas refused the text (``message`` says why): Python's reader says where
    CRASHED = "crashed"    # anything else (``message``: the traceback)


@dataclass
class Job:
    """The file (``fd``, inherited) and how to parse it: column ``names``, pandas ``dtypes``, the ``features`` and
    the ``label``."""

    fd: int
    names: list[str]
    dtypes: dict
    features: list[str]
    label: str | None


@dataclass
class Parsed:
    outcome: Outcome
    block: object = None     # (rows, features) float32 ndarray
    labels: object = None    # the label column as a pandas Categorical
    message: str = ""


def parse_piece(text: bytes, names, dtypes, features, label):
    """A float32 block of the features and the label column as a Categorical; None when a cell is not finite.

    ValueError (pandas' ParserError) or UnicodeDecodeError when pandas refuses the text.
    """
    import numpy as np
    import pandas as pd

    with np.errstate(over="ignore"):  # a number beyond float32 comes out as inf: Python's reader names it
        frame = pd.read_csv(io.BytesIO(text), header=None, names=names, index_col=False, dtype=dtypes,
                            skipinitialspace=True, skip_blank_lines=True, engine="c", encoding="utf-8",
                            encoding_errors="strict")
    block = frame[features].to_numpy(np.float32)
    if not np.isfinite(block).all():
        return None
    return block, (frame[label].array if label is not None else None)


def read_range(fd: int, start: int, end: int) -> bytes:
    pieces = []
    while start < end:
        piece = os.pread(fd, end - start, start)
        if not piece:
            break   # the file was cut short meanwhile: pandas parses what is there
        pieces.append(piece)
        start += len(piece)
    return b"".join(pieces)


def parse_range(job: Job, start: int, end: int) -> Parsed:
    text = read_range(job.fd, start, end)
    if b'"' in text:
        return Parsed(Outcome.QUOTED)
    try:
        parsed = parse_piece(text, job.names, job.dtypes, job.features, job.label)
    except (ValueError, UnicodeDecodeError) as exc:
        return Parsed(Outcome.REFUSED, message=str(exc))
    if parsed is None:
        return Parsed(Outcome.NOT_FINITE)
    return Parsed(Outcome.PARSED, *parsed)


def serve(requests, replies) -> None:
    """Answer the ranges read from ``requests`` (binary, pickled) on ``replies`` until the input ends."""
    try:
        job = pickle.load(requests)
        while True:
            try:
                start, end = pickle.load(requests)
            except EOFError:
                return
            try:
                reply = parse_range(job, start, end)
            except Exception:  # noqa: BLE001 - reported to the loading process, which falls back to threads
                reply = Parsed(Outcome.CRASHED, message=traceback.format_exc())
            pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
            replies.flush()
    except (EOFError, BrokenPipeError):
        return   # the loading process is gone or stopped the load


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C in a terminal reaches us too: the loader stops us
    serve(sys.stdin.buffer, sys.stdout.buffer)


# How csv_files starts a worker: ``python -P -c BOOTSTRAP <folder holding kgui>``. The loader's kgui is imported
# from that folder (the same code as the loader's), which then leaves sys.path; -P keeps the current folder off
# it (a pandas.py there must not shadow pandas).
BOOTSTRAP = ("import sys; root = sys.argv[1]; sys.path.insert(0, root); from kgui.core.data import csv_worker; "
             "sys.path.remove(root); csv_worker.main()")
