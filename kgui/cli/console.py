"""What a command prints while it works: notebook-style lines on stdout, one live progress line on stderr."""
from __future__ import annotations

import math
import time

PRINT_EVERY = 20


class Console:
    """Notebook-style lines on stdout; a progress bar on stderr when it is a terminal."""

    BAR_WIDTH = 30
    REDRAW_SECONDS = 0.1

    def __init__(self, out, err):
        self.out, self.err = out, err
        self.live = err.isatty()
        self._drawn = 0
        self._last_draw = -math.inf

    def status(self, text: str) -> None:
        self._draw(text)

    def header(self, record, dataset) -> None:
        settings = record.settings
        rows = f"{len(dataset.x_train)} train / {len(dataset.x_val)} validation rows"
        self.line(f"{record.engine} {record.engine_version} · {dataset.name} ({rows}, "
                  f"{plural(dataset.n_features, 'feature')}) · "
                  f"{settings.describe_model(dataset.task)} · lr {settings.learning_rate:g} · {settings.steps} steps"
                  + (f" ({settings.epochs} epochs)" if settings.epochs else ""))

    def step(self, step, total: int) -> None:
        if (step.step - 1) % PRINT_EVERY == 0 or step.step == total:
            self.line(notebook_line(step))
        self.progress(step.step, total, f"loss {step.train_loss:.4f}")

    def progress(self, done: int, total: int, text: str) -> None:
        """Redraw the bar (at most every REDRAW_SECONDS, and at the end)."""
        if time.monotonic() - self._last_draw < self.REDRAW_SECONDS and done < total:
            return
        self._last_draw = time.monotonic()
        filled = round(self.BAR_WIDTH * done / total)
        self._draw(f"[{'#' * filled}{'.' * (self.BAR_WIDTH - filled)}] {done}/{total} {text}")

    def line(self, text: str) -> None:
        self.clear()
        print(text, file=self.out, flush=True)

    def _draw(self, text: str) -> None:
        if self.live:
            self.err.write("\r" + text.ljust(self._drawn))
            self.err.flush()
            self._drawn = len(text)

    def clear(self) -> None:
        """Erase the progress bar so the next line starts clean."""
        if self.live and self._drawn:
            self.err.write("\r" + " " * self._drawn + "\r")
            self.err.flush()
            self._drawn = 0


def error_line(text: str, prefix: str = "kgui: error: ") -> str:
    """``kgui: error: text`` as one line of a terminal: a line break or an escape sequence in it (a file's name, a
    run's) shown safely."""
    from kgui.core.runs.names import terminal_line

    return prefix + terminal_line(text)


def wrote_line(path) -> str:
    """``wrote PATH``, on one line whatever the path holds."""
    from kgui.core.runs.names import terminal_line

    return "wrote " + terminal_line(path)


def plural(n: int, noun: str) -> str:
    """``1 step``, ``3 steps``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def notebook_line(step) -> str:
    """``Loss: 0.0123457, w, b: [0.95, 0.25]`` for one-feature linear regression, else ``Loss: 1.23457``: the
    exported script's lines (codegen.loss_line)."""
    from kgui.core.experiment.codegen import loss_line

    return loss_line(step.train_loss, step.params)


def run_summary(record) -> str:
    """A run's last line: its status, steps and time, its last losses (5 significant digits: the linear exercise's
    4.0914e-14 is not 0.0000) and accuracy."""
    last = record.history[-1] if record.history else None
    parts = [f"{record.status}: {plural(len(record.history), 'step')} in {record.timings.get('train', 0):.2f} s"]
    if last is not None:
        parts.append(f"train loss {last.train_loss:.5g}")
        if last.val_loss is not None:
            parts.append(f"val loss {last.val_loss:.5g}")
        if last.accuracy is not None:
            parts.append(f"val accuracy {last.accuracy:.4f}")
    return " · ".join(parts)
