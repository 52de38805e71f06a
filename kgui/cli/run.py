"""``kgui run``: one experiment trained headless (``--backend all``: on every installed engine, compared), in this
process or a worker (``--workers N``), printed as the notebooks print it, saved, exported."""
from __future__ import annotations

from kgui.core.experiment import settings as experiment
from kgui.core.exports.export import export_format
from kgui.core.runs import RunStatus, RunStore
from kgui.exit_codes import EXIT_ERROR, EXIT_STOPPED, exit_code

from .console import Console, run_summary
from .jobs import signals_stop, worker_pool


def reporter(console: Console, store: RunStore, err):
    """A session listener: the header when a run starts, its steps, its layer statistics, and its summary when it
    ends."""
    from kgui.core.training import layer_stats
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
                if record.status is RunStatus.FAILED:
                    return
                console.line(run_summary(record))
                if record.status is RunStatus.DIVERGED:
                    print(f"kgui: {record.message}", file=err)
                if store.exists(record.id):
                    console.line(f"saved run {record.id} in {store.root}")
    return on_event


def is_script(path) -> bool:
    from kgui.core.experiment import codegen

    return str(path).lower().endswith(codegen.SCRIPT_SUFFIX)


def run_command(args, out, err) -> int:
    from kgui.core.training.engines import installed_ids
    from kgui.core.session import JobKind, Session

    from kgui.core.experiment.codegen import SCRIPT_SUFFIX

    for path in args.export:
        if not is_script(path):
            export_format(path, also=(SCRIPT_SUFFIX,))
    pool = worker_pool(args)
    session = Session(RunStore(args.runs_dir), pool=pool)
    try:
        with signals_stop() as stopper:   # before the job: its preparation starts reading the dataset at once
            if args.backend == "all":
                job = session.new_job(JobKind.PARITY, experiment.from_arguments(
                    args, backend_name=installed_ids()[0]), name=args.name)
            else:
                job = session.new_job(JobKind.TRAINING, experiment.from_arguments(args), name=args.name,
                                      layer_stats_every=args.layer_stats)
            stopper.follow(job.control)
            console = Console(out, err)
            session.subscribe(reporter(console, session.store, err))
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
            if is_script(path):
                console.line(f"wrote {export_script(trained[0], dataset, path)}")
            else:
                console.line(f"wrote {session.export(path, [record.id for record in trained])}")
    if failed:
        return EXIT_ERROR
    codes = [exit_code(record) for record in runs]
    return stopper.exit_code if EXIT_STOPPED in codes else max(codes)


def export_script(record, dataset, path):
    """The run's experiment as a standalone K-API script (its first engine, its learning-rate changes)."""
    from kgui.core.experiment import codegen
    settings = record.settings
    if dataset is None:
        dataset = settings.load_dataset()
    return codegen.write_script(path, codegen.experiment_script(settings, dataset, record.engine or None,
                                                                record.lr_changes))
