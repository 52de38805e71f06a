"""``%load_ext kgui``, then ``%kgui open [flags]``: the desktop window, opened from the kernel.

The flags are ``kgui open``'s (an experiment, ``--start``, a classroom). The window lives in the kernel's process:
the kernel's own event loop runs Qt's events while it waits for cells (:func:`kgui.notebook.qt.run_qt_events`), and
it saves to the same store as ``kgui.runs()`` reads. Each window opened is kept in :data:`windows`.
"""
from __future__ import annotations

import shlex
import sys

from kgui import cli

USAGE = "usage: %kgui open [kgui open's flags: --dataset, --lr, --start, ... ; --help lists them]"
windows: list = []     # the windows opened from this kernel, newest last


def register(shell) -> None:
    """Register the ``%kgui`` line magic with ``shell``."""
    shell.register_magic_function(kgui_magic, "line", "kgui")


def kgui_magic(line: str) -> None:
    """%kgui open [flags]: the kgui window, in this kernel, with ``kgui open``'s flags."""
    try:
        words = shlex.split(line)
    except ValueError as exc:     # an unclosed quote: "No closing quotation"
        print(f"kgui: error: %kgui {line.strip()}: {exc}", file=sys.stderr)
        return
    if not words or words[0] != "open":
        print(USAGE, file=sys.stderr)
        return
    try:
        args = cli.build_parser().parse_args(words)
    except SystemExit:      # argparse has printed the problem (or --help)
        return
    if args.screenshot:
        print("kgui: error: --screenshot quits the window it took: use `python main.py open ... --screenshot`",
              file=sys.stderr)
        return
    try:
        cli.apply_data_arguments(args)
        settings, classroom = cli.window_experiment(args)
    except cli.USER_ERRORS as exc:
        print(f"kgui: error: {exc}", file=sys.stderr)
        return
    from kgui.ui import show_window
    from kgui.ui.display import display_problem

    from . import qt

    problem = qt.no_display or display_problem()   # the live views may have made this kernel's Qt off screen
    if problem is not None:
        print(f"kgui: error: {problem}", file=sys.stderr)
        return
    qt.qt_application()
    qt.run_qt_events()          # the window lives while the kernel waits for cells
    window = show_window(settings, classroom, show_remembered_runs=settings is None or args.show_runs)
    if args.start:
        window.start()
    windows.append(window)
