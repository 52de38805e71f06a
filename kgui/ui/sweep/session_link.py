"""The Sweep tab wired to the window: its session's sweep trials, a click on one shows its run, New sweep…"""
from __future__ import annotations

from kgui.core.runs import RunRecord
from kgui.core.session import RunChanged, RunEnded, RunRemoved

from .dialog import SweepDialog, SweepRun
from .view import SweepView


def follow_session(view: SweepView, window) -> None:
    """Wire the tab to ``window``: its session's sweep trials (now, and as they end, change or go), and a click on a
    trial shows its run's curves on the loss plot."""
    session = window.session
    view.set_runs(session.runs.values())

    def on_event(event) -> None:
        if isinstance(event, (RunEnded, RunChanged)):
            view.add_run(event.run)
        elif isinstance(event, RunRemoved):
            view.remove_run(event.run_id)

    def show(run_id: str) -> None:
        if run_id in session.runs:
            session.set_shown(run_id, True)
            window.runs_controller.select(run_id)
            window.tabs.setCurrentWidget(window.plot)

    def added(run_id: str) -> None:   # a trial of a sweep started here ended: its run into the runs table
        window.runs_controller.load_saved(set())
        session.reload_saved(run_id)   # as it ended (listed while it trained, it said running)

    def new_sweep() -> None:
        try:
            experiment = window.settings()
        except ValueError as exc:
            window.statusBar().showMessage(f"No sweep: {exc}")
            return
        dialog = SweepDialog(experiment, window)
        if dialog.exec() and dialog.spec is not None:
            view.start(SweepRun(dialog.spec, session.store, dialog.workers.value()))

    def with_history(record: RunRecord) -> RunRecord:
        if record.history or not record.summary.steps:
            return record
        try:
            return session.store.load(record.id)
        except (LookupError, OSError):
            return record

    view.history_of = with_history
    session.subscribe(on_event)
    view.run_clicked.connect(show)
    view.added = added
    view.new_button.clicked.connect(new_sweep)
