"""history.csv: one line per step; reading it (damaged lines skipped and counted) and writing its lines."""
from __future__ import annotations

import io
import os
import stat

from .files import NO_WAIT
from .records import RunSummary, StepRecord

HISTORY_COLUMNS = ("step", "train_loss", "val_loss", "accuracy", "learning_rate", "elapsed", "step_ms", "w", "b")
REQUIRED_COLUMNS = ("step", "train_loss", "learning_rate", "elapsed", "step_ms")


class HistoryReader:
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
        lines = io.BytesIO(data[:end])   # line by line: one split of 50 MB would hold the GIL for ~0.1 s (a
        if with_header and end and not self._header(lines.readline()):   # reading thread's beside the GUI's)
            lines.seek(0)
        for line in lines:
            step = self._parse(line[:-1])
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




def row_bytes(step: StepRecord) -> bytes:
    return (",".join(step.to_row()) + "\n").encode("utf-8")


def continues(path, summary: RunSummary) -> bool:
    """Whether history.csv still ends its first ``summary.history_bytes`` with the summary's last step
    (so only what follows is new), rather than having been changed before that point."""
    expected = row_bytes(summary.last) if summary.last is not None else b"\n"
    start = summary.history_bytes - len(expected)
    return start >= 0 and summary.history_bytes > 0 and read_bytes(path, start, len(expected)) == expected


def read_bytes(path, offset: int, size: int = -1) -> bytes:
    """Bytes of history.csv from ``offset``; none when it is not a regular file (a FIFO would block, /dev/zero
    never end)."""
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | NO_WAIT), "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return b""
            stream.seek(offset)
            return stream.read(size)
    except OSError:  # missing, a folder, unreadable: no steps
        return b""
