"""The Sweep tab wired to a session: its sweep trials, a click on one shows its run, New sweep… starts one."""
from __future__ import annotations

from collections.abc import Callable

from kgui.core.runs import RunRecord, RunStore
from kgui.core.session import RunChanged, RunEnded, RunRemoved, RunsLoaded, Session
from kgui.core.experiment.settings import ExperimentSettings

from .dialog import SweepDialog, SweepRun
from .view import SweepView


def with_history(store: RunStore, record: RunRecord) -> RunRecord:
    """``record`` with its steps, read from ``store`` when only its summary was listed (as it is when unreadable):
    a SweepView's ``history_of``."""
    if record.history or not record.summary.steps:
        return record
    try:
        return store.load(record.id)
    except (LookupError, OSError):
        return record


def follow_session(view: SweepView, session: Session, experiment: Callable[[], ExperimentSettings],
                   show_run: Callable[[str], None], status: Callable[[str], None]) -> None:
    """Wire the tab to ``session``: its sweep trials (now, and as they end, change or go); a click on a trial
    ``show_run``s its run (its curves on the loss plot); the trials of a sweep started here that end within a frame
    are read into the session together (their RunsLoaded lists them in the runs table). New sweep… asks for the axes over ``experiment()`` (the
    form's; ValueError: one ``status`` line, no sweep)."""
    view.set_runs(session.runs.values())

    def show(run_id: str) -> None:
        if run_id in session.runs:
            show_run(run_id)

    def new_sweep() -> None:
        try:
            settings = experiment()
        except ValueError as exc:
            status(f"No sweep: {exc}")
            return
        dialog = SweepDialog(settings, view, view.fixed_fields)
        if dialog.exec() and dialog.spec is not None:
            view.start(SweepRun(dialog.spec, session.store, dialog.workers.value()))

    session.on(RunEnded, lambda event: view.add_run(event.run))
    session.on(RunChanged, lambda event: view.add_run(event.run))
    session.on(RunsLoaded, lambda event: view.add_runs(event.runs))
    session.on(RunRemoved, lambda event: view.remove_run(event.run_id))
    view.run_clicked.connect(show)
    view.trials_saved.connect(session.reload_saved)   # those runs alone are read (not the whole store), summaries only
    view.new_button.clicked.connect(new_sweep)
