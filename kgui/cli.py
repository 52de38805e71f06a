"""Command line. ``kgui run ...`` trains one experiment headless and exits (``--backend all``: on every
installed engine, compared); ``kgui lr-find ...`` runs the learning-rate range test and prints a
suggestion; ``kgui runs list|delete|export`` manages saved runs; ``kgui`` with no arguments opens the window,
``kgui open ...`` opens it with an experiment (and ``--start``s it, ``--screenshot`` saves a picture).

Exit codes: 0 ok, 1 bad input, a failed run or no suggestion, 2 bad command line, 3 the run diverged,
128 + the signal when stopped by one: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP (the run is saved as
stopped and the exports are written, as for Ctrl-C). Errors are one line, ``kgui: error: ...``, with no
traceback. Commands import the training machinery when they run, so that ``runs list`` starts quickly.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import os
import signal
import sys
import threading
import time

from kgui.core import csv_files, dataset_cache, experiment_strings, lr_finder
from kgui.core.classroom import CONTROLS, Classroom, parse_controls
from kgui.core import settings as experiment
from kgui.core.export import FORMATS, export_format
from kgui.core.files import error_text
from kgui.core.runs import RunStatus, RunStore
from kgui.core.trainer import TrainingControl, stage_text
from kgui.exit_codes import EXIT_ERROR, EXIT_OK, EXIT_STOPPED, EXIT_USAGE, exit_code

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
PRINT_EVERY = 20
USER_ERRORS = (ValueError, OSError, LookupError, ImportError)


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as the one line ``kgui: error: ...``."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"kgui: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kgui", description="Train models through a Keras-2-style backend on TensorFlow, "
                                              "Theano, JAX or PyTorch. Without arguments, opens the window.")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="train one experiment and exit")
    experiment.add_arguments(run)
    _add_data_arguments(run)
    run.add_argument("--name", help="display name of the saved run")
    run.add_argument("--export", action="append", default=[], metavar="FILE",
                     help=f"write the history or loss plot; format from the extension ({' '.join(FORMATS)}), "
                          "or .py for the experiment as a standalone K-API script; repeatable")
    run.add_argument("--runs-dir", metavar="DIR", help="where runs are saved (default: $KGUI_RUNS_DIR or the "
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
    listing.add_argument("--sweep", metavar="ID", help="only the trials of this sweep")
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
        sub.add_argument("--runs-dir", metavar="DIR")
    return parser


def _worker_count(text: str) -> int:
    """argparse type of --workers: a whole number ≥ 0."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of worker processes (0 or more), got {text!r}")
    return int(text)


def _worker_pool(args):
    """The pool of ``--workers N`` (None for 0). Workers inherit the environment, data arguments included."""
    if not args.workers:
        return None
    from kgui.core.workers import WorkerPool

    return WorkerPool(max_workers=args.workers)


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
    sweep.add_argument("--workers", type=int, metavar="N",
                       help="trials trained at once, each in its own worker process (default: the CPU cores)")
    sweep.add_argument("--in-process", action="store_true",
                       help="train the trials on threads of this process instead of worker processes")
    sweep.add_argument("--cluster", metavar="tcp://HOST:8786",
                       help="run the trials on this Dask scheduler's workers (default: $KGUI_DASK_SCHEDULER)")
    sweep.add_argument("--name", help="display name of the sweep (its runs are named after it)")
    sweep.add_argument("--save", metavar="SWEEP.json", help="write the sweep as JSON (for --config) and run it")
    sweep.add_argument("--export", action="append", default=[], metavar="FILE",
                       help="write the ranked trial table as .csv or .json; repeatable")
    sweep.add_argument("--runs-dir", metavar="DIR", help="where runs are saved")


def _setting_columns(text: str) -> list:
    from kgui.core.setting_labels import label_for

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


def apply_data_arguments(args) -> None:
    """--max-data-size and --data-cache, for the whole process and the workers it starts: in its environment."""
    if getattr(args, "max_data_size", None) is not None:
        os.environ[csv_files.MAX_SIZE_VARIABLE] = str(args.max_data_size)
    if getattr(args, "data_cache", False):
        os.environ[dataset_cache.DISK_CACHE_VARIABLE] = "1"


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

    def header(self, record, dataset) -> None:
        settings = record.settings
        rows = f"{len(dataset.x_train)} train / {len(dataset.x_val)} validation rows"
        self.line(f"{record.engine} {record.engine_version} · {dataset.name} ({rows}, "
                  f"{_count(dataset.n_features, 'feature')}) · "
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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def notebook_line(step) -> str:
    """``Loss: 0.0123457, w, b: [0.95, 0.25]`` for one-feature linear regression, else ``Loss: 1.23457``: the
    exported script's lines (codegen.loss_line)."""
    from kgui.core.codegen import loss_line

    return loss_line(step.train_loss, step.params)


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


class _Stopper:
    """A TrainingControl that Ctrl-C, SIGTERM and SIGHUP stop (cleanly, between two steps); ``exit_code``
    is 128 + the signal that came (EXIT_STOPPED when stopped otherwise)."""

    def __init__(self, control: TrainingControl | None = None):
        self.control = control or TrainingControl()
        self.signal: int | None = None

    def __call__(self, signum, frame) -> None:
        self.signal = self.signal or signum
        self.control.stop()

    def follow(self, control: TrainingControl) -> None:
        """Stop ``control`` instead from now on (at once when a signal has come already)."""
        self.control = control
        if self.signal is not None:
            control.stop()

    @property
    def exit_code(self) -> int:
        return 128 + self.signal if self.signal else EXIT_STOPPED


@contextlib.contextmanager
def _signals_stop(control: TrainingControl | None = None):
    """While the block runs, Ctrl-C, SIGTERM and SIGHUP stop ``control`` (a new one by default), the yielded
    :class:`_Stopper`'s."""
    stopper = _Stopper(control)
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = {number: signal.signal(number, stopper) for number in STOP_SIGNALS} if on_main_thread else {}
    try:
        yield stopper
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _reporter(console: _Console, store: RunStore, err):
    """A session listener: the header when a run starts, its steps, its layer statistics, and its summary when it
    ends."""
    from kgui.core import layer_stats
    from kgui.core.session import LayerStatsComputed, Phase, RunEnded, RunStarted, StepsTaken

    layers = layer_stats.LayerStatsHistory()

    total_steps = 0   # of the run training (its settings' steps, epochs resolved)

    def on_event(event) -> None:
        nonlocal total_steps
        match event:
            case Phase(text=text):
                console.status(text)
            case RunStarted(run=record, dataset=dataset):
                total_steps = record.settings.steps
                console.header(record, dataset)
            case StepsTaken(steps=steps):
                for step in steps:
                    console.step(step, total_steps)
            case LayerStatsComputed(stats=stats):
                layers.add(stats)
                console.line(layer_stats.summary_line(layers))
            case RunEnded(run=record):
                console.clear()
                if record.status == "failed":
                    return
                console.line(_summary(record))
                if record.status == "diverged":
                    print(f"kgui: {record.message}", file=err)
                if store.exists(record.id):
                    console.line(f"saved run {record.id} in {store.root}")
    return on_event


def _is_script(path) -> bool:
    from kgui.core import codegen

    return str(path).lower().endswith(codegen.SCRIPT_SUFFIX)


def run_command(args, out, err) -> int:
    from kgui.core.engines import installed_ids
    from kgui.core.session import JobKind, Session

    from kgui.core.codegen import SCRIPT_SUFFIX

    for path in args.export:
        if not _is_script(path):
            export_format(path, also=(SCRIPT_SUFFIX,))
    pool = _worker_pool(args)
    session = Session(RunStore(args.runs_dir), pool=pool)
    try:
        with _signals_stop() as stopper:   # before the job: its preparation starts reading the dataset at once
            if args.backend == "all":
                job = session.new_job(JobKind.PARITY, experiment.from_arguments(
                    args, backend_name=installed_ids()[0]), name=args.name)
            else:
                job = session.new_job(JobKind.TRAINING, experiment.from_arguments(args), name=args.name,
                                      layer_stats_every=args.layer_stats)
            stopper.follow(job.control)
            console = _Console(out, err)
            session.subscribe(_reporter(console, session.store, err))
            job.run()
    finally:
        if pool is not None:
            pool.shutdown()
    session.close()   # a run stopped while its preparation loads the dataset: that load stops too
    runs = job.records
    dataset = job.trainer.dataset if job.kind is JobKind.TRAINING and job.trainer is not None else None
    unavailable = job.result.unavailable if job.kind is JobKind.PARITY and job.result is not None else {}
    for message in unavailable.values():   # an engine that cannot be imported: the others were compared
        print(f"kgui: error: {message}", file=err)
    compared = [record for record in runs if record.settings.backend not in unavailable]
    failed = bool(job.error) or bool(unavailable) or bool(compared) and compared[-1].status == RunStatus.FAILED
    if job.error or compared and compared[-1].status == RunStatus.FAILED:
        print(f"kgui: error: {job.error or compared[-1].message}", file=err)
    elif job.kind is JobKind.PARITY and job.result.largest is not None:
        console.line(job.result.largest.describe())
        console.line(f"parity: {job.result.verdict}")
    trained = [record for record in runs if record.history]   # a failed run's steps so far are exported too
    if trained:
        for path in args.export:
            if _is_script(path):
                console.line(f"wrote {_export_script(trained[0], dataset, path)}")
            else:
                console.line(f"wrote {session.export(path, [record.id for record in trained])}")
    if failed:
        return EXIT_ERROR
    codes = [exit_code(record) for record in runs]
    return stopper.exit_code if EXIT_STOPPED in codes else max(codes)


def _export_script(record, dataset, path):
    """The run's experiment as a standalone K-API script (its first engine, its learning-rate changes)."""
    from kgui.core import codegen
    settings = record.settings
    if dataset is None:
        dataset = settings.load_dataset()
    return codegen.write_script(path, codegen.experiment_script(settings, dataset, record.engine or None,
                                                                record.lr_changes))


def lr_find_command(args, out, err) -> int:
    for path in args.export:
        export_format(path)
    settings = experiment.from_arguments(args)
    steps = args.steps or lr_finder.DEFAULT_STEPS
    lr_finder.learning_rates(args.start, args.end, steps)  # a bad range fails before anything is printed
    console = _Console(out, err)

    def on_point(point):
        if (point.step - 1) % PRINT_EVERY == 0:
            console.line(f"lr {point.learning_rate:<9.3g} loss {point.loss:.4f}  smoothed {point.smoothed_loss:.4f}")
        console.progress(point.step, steps, f"lr {point.learning_rate:.3g}")

    console.line(f"learning-rate range test · {settings.backend} · {settings.dataset} · lr {args.start:g} to "
                 f"{args.end:g} over {steps} steps")
    with _signals_stop() as stopper:
        try:
            result = lr_finder.find_learning_rate(
                settings, args.start, args.end, steps, control=stopper.control, on_point=on_point,
                status=lambda stage, progress: console.status(stage_text(stage, settings.backend, progress)))
        finally:
            console.clear()
    console.line(result.summary())
    for path in args.export:
        console.line(f"wrote {lr_finder.export_range_test(result, path)}")
    if result.status == "stopped":
        return stopper.exit_code
    if result.suggestion is None:
        print("kgui: error: the range test gave no suggestion; use more --steps or a wider --start/--end range",
              file=err)
        return EXIT_ERROR
    return EXIT_OK


def runs_command(args, out) -> int:
    store = RunStore(args.runs_dir)
    if args.action == "delete":
        for run_id in args.ids:
            store.delete(run_id)
            print(f"deleted run {run_id}", file=out)
        return EXIT_OK
    if args.action == "show":
        return _show_run(store, args.id, args.layers, out)
    if args.action == "export":
        from kgui.core import layer_stats, tensorboard

        def layers(record):
            return layer_stats.load_if_saved(store.folder(record.id))

        records = list(map(store.load, args.ids)) if args.ids else store.list(with_history=True)
        exported = tensorboard.export_runs(records, args.tensorboard, layers)
        for folder in exported.folders:
            print(f"wrote {folder}", file=out)
        for reason in exported.skipped.values():
            print(f"kgui: error: {reason}", file=sys.stderr)
        if not records:
            print(f"no runs in {store.root}", file=out)
        return EXIT_ERROR if exported.skipped else EXIT_OK
    records = store.list()
    if args.sweep:
        records = [record for record in records if record.sweep_id == args.sweep]
        if not records:
            print(f"no runs of sweep {args.sweep} in {store.root}", file=out)
            return EXIT_OK
    if not records:
        print(f"no runs in {store.root}", file=out)
    elif args.columns:
        print(settings_table(records, args.columns), file=out)
    else:
        print("\n".join(map(run_line, records)), file=out)
    return EXIT_OK


def _show_run(store: RunStore, run_id: str, with_layers: bool, out) -> int:
    """``runs show``: the run's line, its weight edits, and with ``with_layers`` its layer statistics."""
    from kgui.core import layer_stats

    record = store.load(run_id)
    print(run_line(record), file=out)
    if record.message:
        print(f"  {record.message}", file=out)
    for edit in record.weight_edits:
        print(f"  {edit.describe()}", file=out)
    if with_layers:
        layers = layer_stats.load_saved(store.folder(run_id))
        for row in range(len(layers)):
            print(f"  {layer_stats.summary_line(layers, row)}", file=out)
    return EXIT_OK


def run_line(record, settings: str = "") -> str:
    """One line of ``runs list``: id, status, steps, last loss, engine, ``settings`` (columns), name; an unreadable
    run's reason. ``record`` None: the header of these columns."""
    settings = f"{settings}  " if settings else ""
    if record is None:
        return f"{'id':<22}  {'status':<11}  {'steps':>12}  {'loss':<15}  {'engine':<10}  {settings}name"
    if record.status == RunStatus.UNREADABLE:
        return f"{record.id}  {record.status:<11}  {record.message}"
    summary = record.summary
    last = f"{summary.last.train_loss:.4f}" if summary.last is not None else "-"
    skipped = f"  ({_count(summary.skipped_lines, 'bad history line')} skipped)" if summary.skipped_lines else ""
    return (f"{record.id}  {record.status:<11}  {summary.steps:>6} steps  loss {last:<10}  "
            f"{record.engine or '-':<10}  {settings}{record.name}{skipped}")


def settings_table(records, columns) -> str:
    """``runs list --columns``: a header, then each run's line with the chosen settings before its name."""
    cells = [[label.title for label in columns]] + [
        [label.text(record.settings) if record.settings is not None else "-" for label in columns]
        for record in records]
    widths = [max(len(row[index]) for row in cells) for index in range(len(columns))]
    rows = ["  ".join(text.ljust(width) for text, width in zip(row, widths)) for row in cells]
    lines = [run_line(record, rows[index + 1]) for index, record in enumerate(records)]
    header = run_line(None, rows[0])
    return "\n".join([header, *lines])


def warm_up_command(args, out) -> int:
    from kgui.core.warmup import STANDARD_DATASETS, warm_up

    print(f"kgui: compiling {', '.join(STANDARD_DATASETS)} and the kernels every model shares on {args.backend} "
          "(once; later runs reuse it)…",
          file=out, flush=True)
    warm_up(args.backend, on_done=lambda result: print(f"  {result.dataset}: {result.seconds:.1f} s", file=out,
                                                       flush=True))
    return EXIT_OK


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
            return run_command(args, out, err)
        if args.command == "sweep":
            from kgui.sweep_command import sweep_command

            return sweep_command(args, out, err)
        if args.command == "lr-find":
            return lr_find_command(args, out, err)
        if args.command == "runs":
            return runs_command(args, out)
        if args.command == "open":
            return open_command(args)
        if args.command == "warm-up":
            return warm_up_command(args, out)
    except KeyboardInterrupt:  # Ctrl-C before a job's own handler took over: nothing was started or saved
        print("kgui: interrupted", file=err)
        return EXIT_STOPPED
    except USER_ERRORS as exc:
        print(f"kgui: error: {error_text(exc)}", file=err)
        return EXIT_ERROR
    build_parser().print_help(out)
    return EXIT_USAGE
