"""``kgui sweep ...``: a sweep from the command line's flags (or a sweep JSON file), run with one live progress line,
then its trials ranked in a table. The exit code is ``run``'s for the worst trial (128 + the signal when stopped)."""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from kgui.cli.console import Console, plural, wrote_line
from kgui.cli.jobs import signals_stop
from kgui.cli.sweep_start import CLUSTER_VARIABLE
from kgui.core.workers.launch import MAX_WORKERS
from kgui.core import json_files
from kgui.core.files import write_output
from kgui.core.experiment import experiment_strings, settings as experiment
from kgui.core.runs import RunStore
from kgui.core.sweeps import executors as sweep_executors
from kgui.core.sweeps.runner import SavingUnstarted, SweepResult, SweepRunner, TrialEnded, TrialStarted, TrialState
from kgui.core.sweeps.spec import (Axis, Metric, SweepMethod, SweepSpec, canonical_axis_name, format_value,
                                   parse_assignment, parse_range, parse_values)
from kgui.core.sweeps.table import METRIC_COLUMNS, axis_names, export_rows, ranked_rows
from kgui.exit_codes import sweep_exit_code

STEPS_BATCH_S = 1.0   # the command shows trials, not steps: a worker sends a trial's steps this seldom


def _base_spec(source) -> tuple[SweepSpec | None, experiment.ExperimentSettings | None]:
    """What --config holds: a sweep (a JSON object with "experiment" or "axes"), or an experiment (a JSON file or a
    ``kgui:`` string); ValueError/OSError in one line naming the file."""
    if source is None:
        return None, None
    if experiment_strings.is_experiment_string(source):
        return None, experiment_strings.decode(source)[0]
    data = json_files.load_file(source, json_files.parse)
    try:
        if isinstance(data, dict) and ("experiment" in data or "axes" in data):
            return SweepSpec.from_dict(data), None
        return None, experiment.ExperimentSettings.from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


def spec_from_arguments(args) -> SweepSpec:
    """The sweep the flags describe, over the --config sweep's; ValueError naming what is wrong."""
    base_spec, base_settings = _base_spec(args.config)
    args.config = None
    base = base_spec.experiment if base_spec is not None else base_settings
    settings = experiment.from_arguments(args, base=base) if (experiment.arguments_given(args) or base is None) \
        else base
    axes = {axis.name: axis for axis in (base_spec.axes if base_spec is not None else ())}
    given: dict[str, str] = {}   # axis name -> the flag that gave it: a second one would drop the first silently

    def give(name: str, flag: str) -> None:
        if name in given:
            raise ValueError(f"axis {name} is given twice ({given[name]} and {flag}): give it once, with all its values")
        given[name] = flag

    for text in args.grid:
        name, values = parse_assignment(text, "--grid")
        give(name, f"--grid {text}")
        axes[name] = Axis(name, parse_values(name, values))
    for text in args.range:
        name, low, high = parse_range(text)
        give(name, f"--range {text}")
        axes[name] = Axis(name, low=low, high=high)
    for name in map(canonical_axis_name, args.log):
        if name not in axes:
            raise ValueError(f"--log {name}: no such axis (give it with --range)")
        axes[name] = Axis(name, axes[name].values, axes[name].low, axes[name].high, True)
    method, trials = (base_spec.method, base_spec.trials) if base_spec is not None else (SweepMethod.GRID, None)
    if args.random is not None:
        method, trials = SweepMethod.RANDOM, args.random
    elif args.tpe is not None:
        method, trials = SweepMethod.TPE, args.tpe
    previous = base_spec or SweepSpec(settings)
    spec = SweepSpec(settings, tuple(axes.values()), method, trials,
                     args.seeds if args.seeds is not None else previous.seeds,
                     Metric(args.metric) if args.metric else previous.metric,
                     args.sample_seed if args.sample_seed is not None else previous.sample_seed,
                     args.name or previous.name)
    spec.validate()
    return spec


def make_executor(args, workers: int, launched=()):
    """Dask when a scheduler is given, else worker processes, the first of them ``launched`` already (threads of
    this process with --in-process or --workers 0, as ``kgui run`` and ``lr-find`` take it)."""
    cluster = args.cluster or os.environ.get(CLUSTER_VARIABLE)
    if cluster:
        from kgui.core.sweeps.dask_executor import DaskExecutor

        executor = DaskExecutor(cluster)
        for name in ("distributed", "distributed.client"):   # set by distributed's import: its errors (reconnecting)
            logging.getLogger(name).setLevel(logging.CRITICAL)   # the sweep says in one line
        return executor
    if not (args.in_process or args.workers == 0):
        try:
            from kgui.core.sweeps.pool_executor import PoolExecutor
        except ImportError:   # no worker processes in this version
            pass
        else:
            return PoolExecutor(workers, batch_s=STEPS_BATCH_S, launched=launched)
    return sweep_executors.ThreadExecutor(workers)


class _Progress:
    """The one live line: trials done, running, failed, the best so far."""

    def __init__(self, console: Console, runner: SweepRunner):
        self.console, self.runner = console, runner
        self.done = self.running = self.failed = 0
        self.best: tuple[float, str] | None = None

    def __call__(self, event) -> None:
        if isinstance(event, SavingUnstarted):
            self.console.line(f"saving the {plural(event.count, 'trial')} not started as stopped runs "
                              "(Ctrl-C again skips them)")
            return
        if isinstance(event, TrialStarted):
            self.running += 1
        elif isinstance(event, TrialEnded):
            self.running -= 1
            self.done += 1
            outcome = event.outcome
            self.failed += outcome.status == "failed"
            metric = self.runner.spec.metric
            value = metric.of(outcome.record)
            if value is not None:
                better = self.best is None or (value > self.best[0] if metric.higher_is_better
                                               else value < self.best[0])
                if better:
                    self.best = (value, outcome.trial.label())
        else:
            return
        best = f" · best {self.runner.spec.metric} {self.best[0]:.4g} ({self.best[1]})" if self.best else ""
        failed = f" · {self.failed} failed" if self.failed else ""
        self.console.progress(self.done, self.runner.total,
                              f"trials · {self.running} running{failed}{best}")


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return format_value(value)


def result_table(result: SweepResult, store: RunStore) -> tuple[list[str], list]:
    """The trials ranked by the sweep's metric, one line each, under a header; a stopped sweep's trials it never
    started are one line at the end (their rows are still returned, for --export)."""
    records = [outcome.record for outcome in result.outcomes if outcome.record is not None]
    unstarted = {outcome.record.id for outcome in result.outcomes
                 if outcome.state is TrialState.PENDING and outcome.record is not None}
    rows = ranked_rows(records, result.spec.metric)
    names = axis_names(rows)
    metric = str(result.spec.metric)
    columns = ["#", *names, metric, *(name for name in METRIC_COLUMNS if name != metric), "steps", "status", "run"]
    lines = [[str(rank), *(_cell(row.values.get(name)) for name in names), _cell(row.metrics[metric]),
              *(_cell(row.metrics[name]) for name in METRIC_COLUMNS if name != metric), str(row.steps), row.status,
              row.run_id] for rank, row in enumerate((row for row in rows if row.run_id not in unstarted), 1)]
    widths = [max(len(column), *(len(line[i]) for line in lines)) if lines else len(column)
              for i, column in enumerate(columns)]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(columns, widths)).rstrip()]
    text += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines]
    failures = [row for row in rows if row.status == "failed" and row.message]
    text += [f"trial {row.run_id} failed: {row.message}" for row in failures]
    if unstarted:
        text.append(f"{plural(len(unstarted), 'trial')} not started, saved as stopped runs without steps")
    return text, rows


def sweep_command(args, out, err, launched=()) -> int:
    """The command; ``launched``: worker processes started already (:mod:`kgui.cli.sweep_start`), which the pool
    takes."""
    for path in args.export:
        if Path(path).suffix.lower() not in (".csv", ".json"):
            raise ValueError(f"--export writes the trial table as .csv or .json, not {path!r}")
    spec = spec_from_arguments(args)
    workers = min(os.cpu_count() or 1, MAX_WORKERS) if args.workers is None else max(args.workers, 1)   # 0: one, in this process
    if args.save:
        write_output(args.save, spec.to_json())
    store = RunStore(args.runs_dir)
    console = Console(out, err)
    executor = make_executor(args, min(workers, spec.count()), launched)
    started = time.perf_counter()
    try:
        with signals_stop() as stopper:
            runner = SweepRunner(spec, store, executor)
            stopper.follow(runner)
            runner.on_event = _Progress(console, runner)
            console.line(f"sweep {runner.sweep_id}: {plural(runner.total, 'trial')} of {spec.experiment.dataset} "
                         f"on {spec.experiment.backend} ({spec.method}), "
                         f"{plural(executor.slots, 'trial')} at a time")
            result = runner.run()
    finally:
        executor.shutdown()
        console.clear()
    table, rows = result_table(result, store)
    for line in table:
        print(line, file=out)
    ended = sum(outcome.state is TrialState.ENDED for outcome in result.outcomes)
    console.line(f"sweep {result.sweep_id}: {ended} of {plural(runner.total, 'trial')} in "
                 f"{time.perf_counter() - started:.1f} s, saved in {store.root} "
                 f"(kgui runs list --sweep {result.sweep_id})")
    for path in args.export:
        console.line(wrote_line(export_rows(rows, path)))
    if result.stopped:
        return stopper.exit_code
    return sweep_exit_code(result)
