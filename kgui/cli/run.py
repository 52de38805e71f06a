"""``kgui run``: one experiment trained headless (``--backend all``: on every installed engine, compared), in this
process or a worker (``--workers N``), printed as the notebooks print it, saved, exported."""
from __future__ import annotations

from kgui.core.experiment import settings as experiment
from kgui.core.exports.export import export_format
from kgui.core.runs import RunStatus, RunStore
from kgui.exit_codes import EXIT_ERROR, EXIT_STOPPED, exit_code

from .console import Console, error_line, run_summary, wrote_line
from .jobs import signals_stop, worker_pool


class Reporter:
    """A session listener: the header when a run starts, its steps, its layer statistics, and its summary when it
    ends. ``engines``: a comparison's engines in order; when their runs train at once (in worker processes), each
    engine's lines are held until every engine before it has ended, so they print as one block per engine, in the
    order an in-process comparison prints them."""

    def __init__(self, console: Console, store: RunStore, err, engines=()):
        self.console, self.store, self.err = console, store, err
        self._waiting = list(engines)          # engines whose runs have not ended, in order
        self._held: dict[str, list] = {}       # engine -> what to print once the engines before it have ended
        self._ended: set[str] = set()          # ended, with what they print held
        self._engine_of: dict[str, str] = {}   # run id -> engine
        self._totals: dict[str, int] = {}      # run id -> its planned steps (epochs resolved)
        from kgui.core.training import layer_stats

        self._layers = layer_stats.LayerStatsHistory()

    def __call__(self, event) -> None:
        from kgui.core.training import layer_stats
        from kgui.core.session import LayerStatsComputed, Phase, RunEnded, RunStarted, StepsTaken

        console = self.console
        match event:
            case Phase(text=text, backend=engine):
                self._do(engine, lambda: console.status(text))
            case RunStarted(run=record, dataset=dataset):
                self._engine_of[record.id] = record.settings.backend
                self._totals[record.id] = record.settings.steps
                self._do(record.settings.backend, lambda: console.header(record, dataset))
            case StepsTaken(run_id=run_id, steps=steps):
                def show_steps():
                    for step in steps:
                        console.step(step, self._totals[run_id])
                self._do(self._engine_of.get(run_id, ""), show_steps)
            case LayerStatsComputed(run_id=run_id, stats=stats):
                self._layers.add(stats)
                line = layer_stats.summary_line(self._layers)
                self._do(self._engine_of.get(run_id, ""), lambda: console.line(line))
            case RunEnded(run=record):
                self._do(record.settings.backend, lambda: self._show_end(record), ends=True)

    def _show_end(self, record) -> None:
        self.console.clear()
        if record.status is RunStatus.FAILED:
            return
        self.console.line(run_summary(record))
        if record.status is RunStatus.DIVERGED:
            print(f"kgui: {record.message}", file=self.err)
        if self.store.exists(record.id):
            self.console.line(f"saved run {record.id} in {self.store.root}")

    def _do(self, engine: str, action, ends: bool = False) -> None:
        if engine in self._waiting[1:]:
            self._held.setdefault(engine, []).append(action)
            if ends:
                self._ended.add(engine)
            return
        action()
        if ends and engine in self._waiting:
            self._waiting.remove(engine)
            self._release()

    def _release(self) -> None:
        """What the engine now first in line holds, and on past those that had ended."""
        while self._waiting:
            front = self._waiting[0]
            for action in self._held.pop(front, []):
                action()
            if front not in self._ended:
                return
            self._waiting.pop(0)

    def finish(self) -> None:
        """The job has ended: whatever is still held (behind an engine that never started), in order."""
        for engine in self._waiting:
            for action in self._held.pop(engine, []):
                action()
        self._waiting.clear()


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
            report = Reporter(console, session.store, err, installed_ids() if job.kind is JobKind.PARITY else ())
            session.subscribe(report)
            job.run()
            report.finish()
    finally:
        if pool is not None:
            pool.shutdown()
    session.close()   # a run stopped while its preparation loads the dataset: that load stops too
    runs = job.records
    dataset = job.trainer.dataset if job.kind is JobKind.TRAINING and job.trainer is not None else None
    unavailable = job.result.unavailable if job.kind is JobKind.PARITY and job.result is not None else {}
    for message in unavailable.values():   # an engine that cannot be imported: the others were compared
        print(error_line(message), file=err)
    compared = [record for record in runs if record.settings.backend not in unavailable]
    failed = bool(job.error) or bool(unavailable) or bool(compared) and compared[-1].status == RunStatus.FAILED
    if job.error or compared and compared[-1].status == RunStatus.FAILED:
        print(error_line(job.error or compared[-1].message), file=err)
    elif job.kind is JobKind.PARITY and job.result.largest is not None:
        console.line(job.result.largest.describe())
        console.line(f"parity: {job.result.verdict}")
    trained = [record for record in runs if record.history]   # a failed run's steps so far are exported too
    if trained:
        for path in args.export:
            if is_script(path):
                console.line(wrote_line(export_script(trained[0], dataset, path)))
            else:
                console.line(wrote_line(session.export(path, [record.id for record in trained])))
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
