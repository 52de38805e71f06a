"""``kgui runs list|show|delete|export``: the saved runs, one line each."""
from __future__ import annotations

import sys

from kgui.core.runs import RunStatus, RunStore
from kgui.core.runs.names import terminal_line
from kgui.exit_codes import EXIT_ERROR, EXIT_OK

from .console import error_line, plural, run_summary, wrote_line


def runs_command(args, out) -> int:
    store = RunStore(args.runs_dir)
    if args.action == "delete":
        for run_id in args.ids:
            store.delete(run_id)
            print(f"deleted run {run_id}", file=out)
        return EXIT_OK
    if args.action == "show":
        return show_run(store, args.id, args.layers, out)
    if args.action == "export":
        from kgui.core.training import layer_stats
        from kgui.core.exports import tensorboard

        def layers(record):
            return layer_stats.load_if_saved(store.folder(record.id))

        records = list(map(store.load, args.ids)) if args.ids else store.list(with_history=True)
        exported = tensorboard.export_runs(records, args.tensorboard, layers)
        for folder in exported.folders:
            print(wrote_line(folder), file=out)
        for reason in exported.skipped.values():
            print(error_line(reason), file=sys.stderr)
        if not records:
            print(f"no runs in {store.root}", file=out)
        return EXIT_ERROR if exported.skipped else EXIT_OK
    records = store.list()
    if args.sweep is not None:
        records = in_trial_order([record for record in records if record.sweep_id == args.sweep])
        if not records:
            print(terminal_line(f"no runs of sweep {args.sweep} in {store.root}"), file=out)
            return EXIT_OK
    if not records:
        print(f"no runs in {store.root}", file=out)
    elif args.columns:
        print(settings_table(records, args.columns), file=out)
    else:
        print("\n".join(map(run_line, records)), file=out)
    return EXIT_OK


def in_trial_order(trials: list) -> list:
    """A sweep's trials sorted by their axis values, the first axis first (as ``--grid`` gave them), then the next,
    so that a configuration's seeds stand together: numbers ascending, then layer lists, then other values as text,
    then trials without the value; ties (the same values) oldest first."""
    axes = list(dict.fromkeys(name for record in trials for name in record.sweep_values))

    def value_key(value) -> tuple:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (0, value)
        if isinstance(value, list):
            return (1, tuple(value_key(item) for item in value))
        return (2, str(value)) if value is not None else (3,)

    return sorted(trials, key=lambda record: [value_key(record.sweep_values.get(name)) for name in axes])


def show_run(store: RunStore, run_id: str, with_layers: bool, out) -> int:
    """``runs show``: the run's line, its last losses and accuracy, the command that trains it again (its experiment
    as a ``kgui:`` string), its weight edits, and with ``with_layers`` its layer statistics."""
    from kgui.core.experiment import experiment_strings
    from kgui.core.training import layer_stats

    record = store.load(run_id)
    print(run_line(record), file=out)
    if record.status != RunStatus.UNREADABLE:
        print(f"  {run_summary(record)}", file=out)
        print(f"  again: kgui run --config '{experiment_strings.encode(record.settings)}'", file=out)
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
    last = f"{summary.last.train_loss:.5g}" if summary.last is not None else "-"
    skipped = f"  ({plural(summary.skipped_lines, 'bad history line')} skipped)" if summary.skipped_lines else ""
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
