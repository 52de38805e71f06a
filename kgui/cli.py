"""Command line. ``kgui run ...`` trains one experiment headless and exits; ``kgui runs list|delete``
manages saved runs; ``kgui`` with no arguments opens the window.

Exit codes: 0 ok, 1 bad input or a failed run, 2 bad command line, 3 the run diverged,
130 stopped with Ctrl-C. Errors are one line, ``kgui: error: ...``, with no traceback.
"""
from __future__ import annotations

import argparse
import importlib
import math
import signal
import sys
import threading
import time

from kgui import backend
from kgui.core import settings as experiment
from kgui.core.export import FORMATS, export, export_format
from kgui.core.parity import largest_loss_difference
from kgui.core.runs import RunStore
from kgui.core.trainer import Trainer, TrainingControl

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DIVERGED, EXIT_STOPPED = 0, 1, 2, 3, 130
EXIT_CODES = {"finished": EXIT_OK, "stopped": EXIT_STOPPED, "diverged": EXIT_DIVERGED, "failed": EXIT_ERROR}
PRINT_EVERY = 20
USER_ERRORS = (ValueError, OSError, LookupError, ImportError)


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as the one line ``kgui: error: ...``."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"kgui: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kgui", description="Train models through a Keras-2-style backend on TensorFlow "
                                              "or Theano. Without arguments, opens the window.")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="train one experiment and exit")
    experiment.add_arguments(run)
    run.add_argument("--name", help="display name of the saved run")
    run.add_argument("--export", action="append", default=[], metavar="FILE",
                     help=f"write the history or loss plot; format from the extension ({' '.join(FORMATS)}); "
                          "repeatable")
    run.add_argument("--runs-dir", metavar="DIR", help="where runs are saved (default: $KGUI_RUNS_DIR or the "
                                                       "user data folder)")
    runs = commands.add_parser("runs", help="list or delete saved runs")
    actions = runs.add_subparsers(dest="action", required=True, parser_class=_Parser)
    listing = actions.add_parser("list", help="list saved runs, oldest first")
    deleting = actions.add_parser("delete", help="delete saved runs")
    deleting.add_argument("ids", nargs="+", metavar="ID")
    for sub in (listing, deleting):
        sub.add_argument("--runs-dir", metavar="DIR")
    return parser


class _Console:
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

    def header(self, trainer: Trainer) -> None:
        settings, dataset, record = trainer.settings, trainer.dataset, trainer.record
        rows = f"{len(dataset.x_train)} train / {len(dataset.x_val)} validation rows"
        self.line(f"{record.engine} {record.engine_version} · {dataset.name} ({rows}, "
                  f"{_count(dataset.n_features, 'feature')}) · "
                  f"{settings.resolved_model(dataset.task)} · lr {settings.learning_rate:g} · {settings.steps} steps")

    def step(self, step, total: int) -> None:
        if (step.step - 1) % PRINT_EVERY == 0 or step.step == total:
            self.line(notebook_line(step))
        if time.monotonic() - self._last_draw < self.REDRAW_SECONDS and step.step < total:
            return
        self._last_draw = time.monotonic()
        done = round(self.BAR_WIDTH * step.step / total)
        self._draw(f"[{'#' * done}{'.' * (self.BAR_WIDTH - done)}] {step.step}/{total} loss {step.train_loss:.4f}")

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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def notebook_line(step) -> str:
    """``Loss: 0.123, w, b: [0.95, 0.25]`` for one-feature linear regression, else ``Loss: 1.2345``."""
    if step.params:
        return f"Loss: {step.train_loss:.3f}, w, b: [{step.params['w']:.2f}, {step.params['b']:.2f}]"
    return f"Loss: {step.train_loss:.4f}"


def _summary(record) -> str:
    last = record.history[-1] if record.history else None
    parts = [f"{record.status}: {_count(len(record.history), 'step')} in {record.timings.get('train', 0):.2f} s"]
    if last is not None:
        parts.append(f"train loss {last.train_loss:.4f}")
        if last.val_loss is not None:
            parts.append(f"val loss {last.val_loss:.4f}")
        if last.accuracy is not None:
            parts.append(f"val accuracy {last.accuracy:.4f}")
    return " · ".join(parts)


def _train(settings, store, dataset, console, name) -> Trainer:
    """One run with Ctrl-C mapped to a clean stop (the run is saved as "stopped")."""
    control = TrainingControl()

    def on_status(text):
        if text == "training":
            console.header(trainer)
        else:
            console.status(text)

    trainer = Trainer(settings, control, store, dataset, status=on_status)
    trainer.record.name = name or trainer.record.name
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda *_: control.stop()) if on_main_thread else None
    try:
        trainer.run(lambda step: console.step(step, settings.steps))
    finally:
        if on_main_thread:
            signal.signal(signal.SIGINT, previous)
        console.clear()
    return trainer


def run_command(args, out, err) -> int:
    if args.backend == "all":
        engines = [info.name for info in backend.available() if info.installed]
        if not engines:
            raise ValueError("no engine is installed; install tensorflow-cpu or pytensor")
    else:
        engines = [None]
    for path in args.export:
        export_format(path)
    store = RunStore(args.runs_dir)
    console = _Console(out, err)
    runs, dataset = [], None
    for engine in engines:
        settings = experiment.from_arguments(args, backend_name=engine)
        trainer = _train(settings, store, dataset, console, args.name)
        record, dataset = trainer.record, trainer.dataset
        if record.status == "failed":
            print(f"kgui: error: {record.message}", file=err)
            return EXIT_ERROR
        console.line(_summary(record))
        if record.status == "diverged":
            print(f"kgui: {record.message}", file=err)
        if store.exists(record.id):
            console.line(f"saved run {record.id} in {store.root}")
        runs.append(record)
        if record.status == "stopped":
            break
    if len(runs) > 1:
        difference = largest_loss_difference(runs)
        if difference is not None:
            console.line(difference.describe())
    for path in args.export:
        console.line(f"wrote {export(runs, path)}")
    return max(EXIT_CODES[record.status] for record in runs)


def runs_command(args, out) -> int:
    store = RunStore(args.runs_dir)
    if args.action == "delete":
        for run_id in args.ids:
            store.delete(run_id)
            print(f"deleted run {run_id}", file=out)
        return EXIT_OK
    records = store.list(with_history=True)
    if not records:
        print(f"no runs in {store.root}", file=out)
    for record in records:
        last = f"{record.history[-1].train_loss:.4f}" if record.history else "-"
        print(f"{record.id}  {record.status:<8}  {len(record.history):>6} steps  loss {last:<10}  "
              f"{record.engine or '-':<10}  {record.name}", file=out)
    return EXIT_OK


def open_window() -> int:
    """Start the Qt window (kgui.ui.main), or explain in one line why it cannot start."""
    try:
        start = importlib.import_module("kgui.ui").main
    except (ImportError, AttributeError) as exc:
        print(f"kgui: error: the window is not available ({exc}); use 'kgui run ...' to train from the "
              "command line", file=sys.stderr)
        return EXIT_ERROR
    return start()


def main(argv=None) -> int:
    """Entry point of ``kgui`` and ``python main.py``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        return open_window()
    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "run":
            return run_command(args, out, err)
        if args.command == "runs":
            return runs_command(args, out)
    except USER_ERRORS as exc:
        print(f"kgui: error: {exc}", file=err)
        return EXIT_ERROR
    build_parser().print_help(out)
    return EXIT_USAGE
