"""``kgui`` and ``kgui open``: the window, with the experiment and classroom its flags give."""
from __future__ import annotations

import importlib
import sys

from kgui.core.experiment import experiment_strings
from kgui.core.experiment import settings as experiment
from kgui.core.experiment.classroom import Classroom
from kgui.exit_codes import EXIT_ERROR


def open_window(settings=None, start: bool = False, screenshot=None, classroom: Classroom | None = None,
                show_remembered_runs: bool = True) -> int:
    """Start the Qt window (kgui.ui.main), or explain in one line why it cannot start."""
    try:
        window_main = importlib.import_module("kgui.ui").main
    except (ImportError, AttributeError) as exc:
        print(f"kgui: error: the window is not available ({exc}); use 'kgui run ...' to train from the "
              "command line", file=sys.stderr)
        return EXIT_ERROR
    return window_main(settings, start=start, screenshot=screenshot, classroom=classroom,
                       show_remembered_runs=show_remembered_runs)


def open_command(args) -> int:
    settings, classroom = window_experiment(args)
    return open_window(settings, start=args.start, screenshot=args.screenshot, classroom=classroom,
                       show_remembered_runs=settings is None or args.show_runs)


def window_experiment(args) -> tuple[experiment.ExperimentSettings | None, Classroom]:
    """The experiment and classroom ``open``'s flags give (None: the one the window had when last closed);
    ValueError for flags that do not go together."""
    if args.backend == "all":
        raise ValueError("the window trains one engine at a time: pick one with --backend, or use "
                         "Compare Backends (Ctrl+B) in the window")
    classroom = Classroom(args.hide or (), args.lock or ())
    if args.classroom:
        classroom = classroom.merged(Classroom.load(args.classroom))
    if args.experiment is not None:
        if args.config:
            raise ValueError("give the experiment either as a 'kgui:…' string or with --config, not both")
        _, shared_classroom = experiment_strings.decode(args.experiment)
        classroom = classroom.merged(shared_classroom)
        args.config = args.experiment   # the flags given with it change it, as they change a --config file
    settings = experiment.from_arguments(args) if experiment.arguments_given(args) else None  # None: as last time
    return settings, classroom
