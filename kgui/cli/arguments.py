"""The command line's words: ``build_parser`` (every command and its flags, each checked by argparse in one line),
and the data flags applied to the process (``apply_data_arguments``)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from kgui.core.data import csv_files, dataset_cache
from kgui.core.training import lr_finder
from kgui.core.workers.launch import MAX_WORKERS
from kgui.core.experiment import settings as experiment
from kgui.core.experiment.classroom import CONTROLS, parse_controls
from kgui.core.exports.export import FORMATS
from kgui.exit_codes import EXIT_USAGE

from .console import error_line


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as the one line ``kgui: error: ...`` (a value with a line break or an escape
    sequence shown safely, as every error line is)."""

    def error(self, message):
        self.exit(EXIT_USAGE, error_line(message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kgui", description="Train models through a Keras-2-style backend on TensorFlow, "
                                              "Theano, JAX or PyTorch. Without arguments, opens the window.")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="train one experiment and exit")
    experiment.add_arguments(run)
    _add_data_arguments(run)
    run.add_argument("--name", type=_display_name, help="display name of the saved run")
    run.add_argument("--export", action="append", default=[], metavar="FILE",
                     help=f"write the history or loss plot; format from the extension ({' '.join(FORMATS)}), "
                          "or .py for the experiment as a standalone K-API script; repeatable")
    run.add_argument("--runs-dir", type=_runs_folder, metavar="DIR", help="where runs are saved (default: $KGUI_RUNS_DIR or the "
                                                       "user data folder)")
    run.add_argument("--workers", type=_worker_count, default=0, metavar="N",
                     help="train in worker processes (a comparison, --backend all: one per engine, N at a time) "
                          "instead of in this process; the same losses either way (default: 0, in this process)")
    run.add_argument("--layer-stats", metavar="every=N", type=_layer_stats_every,
                     help="every N steps (and the first and last), print each weight matrix's gradient norm and "
                          "each hidden layer's share of dead units, and save the layer statistics with the run")
    _add_sweep_parser(commands)
    finder = commands.add_parser("lr-find", help="learning-rate range test: suggest a learning rate and exit",
                                 description="Raise the learning rate exponentially from --start to --end over "
                                             "--steps steps (default 100) and suggest a rate; --lr is ignored.")
    experiment.add_arguments(finder)
    _add_data_arguments(finder)
    finder.add_argument("--start", type=float, default=lr_finder.DEFAULT_START, metavar="F",
                        help="first learning rate (default: %(default)g)")
    finder.add_argument("--end", type=float, default=lr_finder.DEFAULT_END, metavar="F",
                        help="last learning rate (default: %(default)g)")
    finder.add_argument("--workers", type=_worker_count, default=0, metavar="N",
                        help="run the range test in a worker process instead of in this process; the same points "
                             "either way (default: 0, in this process)")
    finder.add_argument("--export", action="append", default=[], metavar="FILE",
                        help=f"write the sweep or its plot; format from the extension ({' '.join(FORMATS)}); "
                             "repeatable")
    window = commands.add_parser("open", help="open the window with an experiment",
                                 description="Open the window with the experiment given by the flags (unset ones: "
                                             "the --config file's or the defaults; no flags: the experiment the "
                                             "window had when it was last closed).")
    experiment.add_arguments(window)
    _add_data_arguments(window)
    window.add_argument("experiment", nargs="?", metavar="'kgui:…'",
                        help="an experiment string (Edit → Copy Experiment), with its classroom if it has one")
    window.add_argument("--hide", type=_controls("hide"), metavar="CONTROL,…",
                        help=f"classroom: controls to hide ({', '.join(CONTROLS)})")
    window.add_argument("--lock", type=_controls("lock"), metavar="CONTROL,…",
                        help="classroom: controls shown but not to be changed")
    window.add_argument("--classroom", metavar="FILE.json",
                        help='classroom from a JSON file: {"hide": ["optimizer"], "lock": ["dataset"]}')
    window.add_argument("--start", action="store_true", help="start training at once")
    window.add_argument("--show-runs", action="store_true",
                        help="also show the runs shown when the window was last closed (the default without "
                             "experiment flags; with them the plot starts empty, for the new run alone)")
    window.add_argument("--screenshot", metavar="PNG", help="when the run has ended (or, without --start, when the "
                                                              "window is shown), save the window as PNG and quit")
    warm = commands.add_parser("warm-up", help="compile the standard experiments ahead of time",
                               description="Compile the linear exercise's and Otto's functions on the Theano "
                                           "engine into PyTensor's cache, so that their first run starts at once "
                                           "(the install does this).")
    warm.add_argument("--backend", default="theano", metavar="ENGINE",
                      help="engine to warm up (default: %(default)s)")
    runs = commands.add_parser("runs", help="list, delete or export saved runs")
    actions = runs.add_subparsers(dest="action", required=True, parser_class=_Parser)
    listing = actions.add_parser("list", help="list saved runs, oldest first")
    showing = actions.add_parser("show", help="print one saved run")
    showing.add_argument("id", metavar="ID")
    showing.add_argument("--layers", action="store_true",
                         help="also its layer statistics: gradient norm per weight matrix, dead units per layer")
    listing.add_argument("--sweep", type=_sweep_id, metavar="ID",
                         help="only the trials of this sweep, by their axis values (the first axis first; a "
                              "configuration's seeds together)")
    listing.add_argument("--columns", type=_setting_columns, default=[], metavar="SETTING,...",
                         help="also show these settings of each run, e.g. optimizer,momentum,l2 (any field of the "
                              "experiment JSON)")
    deleting = actions.add_parser("delete", help="delete saved runs")
    deleting.add_argument("ids", nargs="+", metavar="ID")
    exporting = actions.add_parser("export", help="write saved runs as TensorBoard event files",
                                   description="Write each run as TensorBoard event files (losses, accuracy, "
                                               "learning rate per step, settings as text) in a folder of its "
                                               "own under DIR; then: tensorboard --logdir DIR")
    exporting.add_argument("--tensorboard", metavar="DIR", required=True, help="folder for the event files")
    exporting.add_argument("ids", nargs="*", metavar="RUN", help="run ids (default: every saved run)")
    for sub in (listing, showing, deleting, exporting):
        sub.add_argument("--runs-dir", type=_runs_folder, metavar="DIR")
    return parser


def _worker_count(text: str) -> int:
    """argparse type of --workers: a whole number from 0 to MAX_WORKERS."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of worker processes (0 or more), got {text!r}")
    if int(text) > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_WORKERS} worker processes (each imports an engine), got {text}")
    return int(text)


def runs_folder_problem(text: str) -> str | None:
    """Why ``text`` cannot be the runs' folder (one line), or None: it must be a folder, or a path where one can be
    made, not a file nor under one (listing it would say "no runs", and a run could not be saved there)."""
    if not text.strip():
        return "expected a folder, got an empty path"
    path = Path(text)
    try:
        existing = next(folder for folder in (path, *path.parents) if folder.exists())
    except OSError:   # a folder on the way that cannot be read: saving there says why, in one line
        return None
    if existing.is_dir():
        return None
    return f"{text} is not a folder" if existing == path else f"{text} cannot be made: {existing} is not a folder"


def _display_name(text: str) -> str:
    """argparse type of --name: the name without the blanks around it; an empty one is refused, as the window's
    rename refuses it (a run listed with a blank name cannot be told from the others)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("a name cannot be empty")
    return text.strip()


def _runs_folder(text: str) -> str:
    """argparse type of --runs-dir (:func:`runs_folder_problem`)."""
    problem = runs_folder_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def _sweep_id(text: str) -> str:
    """argparse type of ``runs list --sweep``: a sweep's id (an empty one would match every run that is no trial)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a sweep id (kgui sweep prints it), got an empty one")
    return text.strip()


def _layer_stats_every(text: str) -> int:
    """``every=N`` → N (argparse type)."""
    key, _, value = text.partition("=")
    if key.strip() != "every" or not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected every=N with N a positive whole number, got {text!r}")
    return int(value)


def _add_sweep_parser(commands) -> None:
    from kgui.core.sweeps.spec import Metric

    sweep = commands.add_parser(
        "sweep", help="train many runs of one experiment over hyper-parameter axes",
        description="Train an experiment over axes (any experiment setting, or a dataset option such as noise): "
                    "every combination (--grid), N random draws (--random N) or Optuna's TPE (--tpe N), each "
                    "configuration with --seeds K seeds. The trials run in parallel worker processes (--workers) or "
                    "on a Dask cluster (--cluster); each is a saved run tagged with the sweep (runs list --sweep "
                    "ID). --config takes a sweep JSON file (as --save writes) or an experiment one.")
    experiment.add_arguments(sweep)
    _add_data_arguments(sweep)
    sweep.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                       help="an axis and its values, e.g. lr=0.001,0.01 or optimizer=sgd,adam or hidden=8/8,8 "
                            "(repeatable; with --random/--tpe the values are drawn from)")
    sweep.add_argument("--range", action="append", default=[], metavar="NAME=LOW:HIGH",
                       help="an axis drawn from a range by --random/--tpe, e.g. lr=1e-4:1 (repeatable)")
    sweep.add_argument("--log", action="append", default=[], metavar="NAME",
                       help="draw this range axis log-uniform (rates are by default)")
    method = sweep.add_mutually_exclusive_group()
    method.add_argument("--random", type=int, metavar="N", help="N random configurations")
    method.add_argument("--tpe", type=int, metavar="N", help="N configurations asked from Optuna's TPE sampler")
    sweep.add_argument("--seeds", type=int, default=None, metavar="K", help="each configuration with K seeds")
    sweep.add_argument("--sample-seed", type=int, default=None, metavar="N", help="seed of the random draws")
    sweep.add_argument("--metric", choices=list(Metric), default=None,
                       help="what ranks the trials (default: final_val_loss)")
    sweep.add_argument("--workers", type=_worker_count, metavar="N",
                       help="trials trained at once, each in its own worker process; 0: one at a time in this process "
                            "(default: the CPU cores)")
    sweep.add_argument("--in-process", action="store_true",
                       help="train the trials on threads of this process instead of worker processes")
    sweep.add_argument("--cluster", metavar="tcp://HOST:8786",
                       help="run the trials on this Dask scheduler's workers (default: $KGUI_DASK_SCHEDULER)")
    sweep.add_argument("--name", type=_display_name, help="display name of the sweep (its runs are named after it)")
    sweep.add_argument("--save", metavar="SWEEP.json", help="write the sweep as JSON (for --config) and run it")
    sweep.add_argument("--export", action="append", default=[], metavar="FILE",
                       help="write the ranked trial table as .csv or .json; repeatable")
    sweep.add_argument("--runs-dir", type=_runs_folder, metavar="DIR", help="where runs are saved")


def _setting_columns(text: str) -> list:
    from kgui.core.experiment.setting_labels import label_for

    try:
        return [label_for(name.strip()) for name in text.split(",") if name.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_data_arguments(parser) -> None:
    """How data files are read (not part of the experiment)."""
    parser.add_argument(csv_files.MAX_SIZE_FLAG, metavar="SIZE", type=_data_size,
                        help="largest CSV text read from one file, after decompression, e.g. 500M or 8G "
                             f"(default: ${csv_files.MAX_SIZE_VARIABLE} or "
                             f"{csv_files.format_size(csv_files.DEFAULT_MAX_TEXT_BYTES)})")
    parser.add_argument("--data-cache", action="store_true",
                        help="keep parsed CSV files in the user cache folder so later sessions load them fast "
                             f"(also: {dataset_cache.DISK_CACHE_VARIABLE}=1)")


def _controls(kind: str):
    """argparse type of --hide/--lock: control ids, unknown ones refused in one line."""
    def parse(text: str) -> frozenset[str]:
        try:
            return parse_controls(text, kind)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def _data_size(text: str) -> int:
    try:
        return csv_files.parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check_runs_variable(args) -> None:
    """A command that takes --runs-dir, given none: $KGUI_RUNS_DIR must name a folder (ValueError in one line)."""
    variable = os.environ.get("KGUI_RUNS_DIR")
    if getattr(args, "runs_dir", "") is None and variable:
        problem = runs_folder_problem(variable)
        if problem:
            raise ValueError(f"KGUI_RUNS_DIR: {problem}")


def apply_data_arguments(args) -> None:
    """--max-data-size and --data-cache, for the whole process and the workers it starts: in its environment."""
    if getattr(args, "max_data_size", None) is not None:
        os.environ[csv_files.MAX_SIZE_VARIABLE] = str(args.max_data_size)
    if getattr(args, "data_cache", False):
        os.environ[dataset_cache.DISK_CACHE_VARIABLE] = "1"
