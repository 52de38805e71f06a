"""Command line. ``kgui run ...`` trains one experiment headless and exits (``--backend all``: on every
installed engine, compared); ``kgui lr-find ...`` runs the learning-rate range test and prints a
suggestion; ``kgui runs list|delete|export`` manages saved runs; ``kgui`` with no arguments opens the window,
``kgui open ...`` opens it with an experiment (and ``--start``s it, ``--screenshot`` saves a picture).

Exit codes: 0 ok, 1 bad input, a failed run or no suggestion, 2 bad command line, 3 the run diverged,
128 + the signal when stopped by one: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP (the run is saved as
stopped and the exports are written, as for Ctrl-C), 141 quietly when the reader of the output left (``| head``). Errors are one line, ``kgui: error: ...``, with no
traceback. Commands import the training machinery when they run, so that ``runs list`` starts quickly; ``kgui
sweep`` starts its worker processes before importing anything else (:mod:`.sweep_start`).

One module per command (run, lr_find, runs, window, warm_up; ``kgui sweep`` is kgui.sweep_command), and what they
share: arguments (the parser), console (the printed lines), output (standard output into a pipe, where Ctrl-C is
heard while nobody reads), jobs (the worker pool, stopping by signals). The names
below that come from them load on first use.
"""
from __future__ import annotations

import importlib
import os
import select
import signal
import sys

from .output import abandon_unread, pipe_stdout
from .sweep_start import start_early

USER_ERRORS = (ValueError, OSError, LookupError, ImportError)   # one line for people; anything else is a bug

_WHERE = {"apply_data_arguments": "arguments", "build_parser": "arguments", "open_command": "window",
          "open_window": "window", "window_experiment": "window"}

__all__ = ["USER_ERRORS", "apply_data_arguments",
           "build_parser", "main", "window_experiment"]


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv=None) -> int:
    """Entry point of ``kgui`` and ``python main.py``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:   # started with it closed (2>&-): what it would say goes nowhere, the job runs
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    original, piped = sys.stdout, pipe_stdout()
    if piped is not None:   # written in slices, so that Ctrl-C ends the command while nobody reads a full pipe
        sys.stdout = piped
    try:
        launched = start_early(argv)   # a sweep's workers, first of all
        try:
            return _command(argv, launched)
        finally:
            if launched:
                from kgui.core.workers.launch import close_all

                close_all(launched)   # those no pool took (bad input, fewer trials than workers)
    except KeyboardInterrupt:  # Ctrl-C outside a job (importing, printing), which has no handler of its own
        abandon_unread()
        print("kgui: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    finally:
        if piped is not None:
            _flush_or_discard(piped)
            sys.stdout = original


def _output_closed(out) -> bool:
    """Whether the reader of ``out`` has gone (a pipe into ``head``); if so, point it at /dev/null so that the
    interpreter's last flush says nothing either."""
    try:
        fd = out.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        if not any(events & select.POLLERR for _, events in poller.poll(0)):
            return False
    except (OSError, ValueError):
        return False
    _discard_unwritten(out)
    return True


def _command(argv: list[str], launched: list) -> int:
    from kgui import exit_codes
    from kgui.core.files import error_text

    from .arguments import apply_data_arguments, build_parser
    from .console import error_line
    from .window import open_window

    if not argv:
        return open_window()
    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    apply_data_arguments(args)
    try:
        code = _run(args, out, err, launched)
        out.flush()   # a full disk or a reader gone is said here, not in the interpreter's last flush (exit 120)
        return code
    except BrokenPipeError:
        if not _output_closed(out):
            raise
        return 128 + signal.SIGPIPE   # `kgui runs list | head -1`: the reader has all it wanted, as for ls
    except USER_ERRORS as exc:
        _flush_or_discard(out)
        print(error_line(error_text(exc)), file=err)
        return exit_codes.EXIT_ERROR


def _run(args, out, err, launched: list) -> int:
    """The command ``args`` names; its exit code."""
    from kgui import exit_codes

    from .arguments import build_parser, check_runs_variable
    from .window import open_command

    check_runs_variable(args)
    if args.command == "run":
        from .run import run_command

        return run_command(args, out, err)
    if args.command == "sweep":
        from kgui.sweep_command import sweep_command

        return sweep_command(args, out, err, launched)
    if args.command == "lr-find":
        from .lr_find import lr_find_command

        return lr_find_command(args, out, err)
    if args.command == "runs":
        from .runs import runs_command

        return runs_command(args, out)
    if args.command == "open":
        return open_command(args)
    if args.command == "warm-up":
        from .warm_up import warm_up_command

        return warm_up_command(args, out)
    build_parser().print_help(out)
    return exit_codes.EXIT_USAGE


def _flush_or_discard(out) -> None:
    """What the command printed before its error is written; what cannot be (the write that failed) is dropped."""
    try:
        out.flush()
    except (OSError, ValueError):
        _discard_unwritten(out)


def _discard_unwritten(out) -> None:
    """After a write of ``out`` failed (/dev/full), point it at /dev/null: what is still buffered cannot be written,
    and the interpreter's last flush would say so again, as a second message."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
    except (OSError, ValueError):
        pass
