"""Command line. ``kgui run ...`` trains one experiment headless and exits (``--backend all``: on every
installed engine, compared); ``kgui lr-find ...`` runs the learning-rate range test and prints a
suggestion; ``kgui runs list|delete|export`` manages saved runs; ``kgui`` with no arguments opens the window,
``kgui open ...`` opens it with an experiment (and ``--start``s it, ``--screenshot`` saves a picture).

Exit codes: 0 ok, 1 bad input, a failed run or no suggestion, 2 bad command line, 3 the run diverged,
128 + the signal when stopped by one: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP (the run is saved as
stopped and the exports are written, as for Ctrl-C). Errors are one line, ``kgui: error: ...``, with no
traceback. Commands import the training machinery when they run, so that ``runs list`` starts quickly.

One module per command (run, lr_find, runs, window, warm_up; ``kgui sweep`` is kgui.sweep_command), and what they
share: arguments (the parser), console (the printed lines), jobs (the worker pool, stopping by signals).
"""
from __future__ import annotations

import sys

from kgui.core.files import error_text
from kgui import exit_codes

from .arguments import apply_data_arguments, build_parser
from .window import open_command, open_window, window_experiment

USER_ERRORS = (ValueError, OSError, LookupError, ImportError)   # one line for people; anything else is a bug

__all__ = ["USER_ERRORS", "apply_data_arguments",
           "build_parser", "main", "window_experiment"]


def main(argv=None) -> int:
    """Entry point of ``kgui`` and ``python main.py``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        return open_window()
    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    apply_data_arguments(args)
    try:
        if args.command == "run":
            from .run import run_command

            return run_command(args, out, err)
        if args.command == "sweep":
            from kgui.sweep_command import sweep_command

            return sweep_command(args, out, err)
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
    except KeyboardInterrupt:  # Ctrl-C before a job's own handler took over: nothing was started or saved
        print("kgui: interrupted", file=err)
        return exit_codes.EXIT_STOPPED
    except USER_ERRORS as exc:
        print(f"kgui: error: {error_text(exc)}", file=err)
        return exit_codes.EXIT_ERROR
    build_parser().print_help(out)
    return exit_codes.EXIT_USAGE
