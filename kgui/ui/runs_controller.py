"""The runs of the main window: what the runs table and the loss plot show of each run (saved ones, the live one),
and the actions on runs (show/hide, select, rename, delete, re-run, load settings, Reset). The run state lives in
the session; this module only asks it and turns its answers into view updates."""
from __future__ import annotations

from time import perf_counter
from typing import Callable

from PyQt6.QtCore import QObject, pyqtSignal

from kgui.core.runs import RunRecord
from kgui.core.session.state import LARGE_HISTORY_BYTES
from kgui.core.session import JobKind, Phase, RunChanged, RunEnded, RunRemoved, RunsLoaded, RunStarted, Session
from kgui.core.experiment.settings import ExperimentSettings, usable_settings
from kgui.core.training.surface import load_saved
from kgui.core.training.trainer import Stage

from .dialogs import Dialogs
from .fit_view import FitView
from .history_reads import HistoryReads
from .job_control import JobControl
from .load_progress import JobStatus
from .loss_plot import LossPlot
from .names import plot_placement, run_title
from .runs_table import RunsTable
from .surface_view import SurfaceView

TABLE_REFRESH_S = 1.0   # the live run's row in the runs table is refreshed at most this often
READING = "reading…"    # a saved run's Status while its large history is read


class RunsController(QObject):
    """Keeps ``runs_table`` and ``plot`` in step with ``session``'s runs, and does what the table asks: the picked
    run in ``fit_view`` and ``surface_view``, a re-run through ``jobs``, settings put into the controls by
    ``apply_settings`` (it returns one line for each it cannot use). Reset clears the plot, and the readouts
    (``fit_view``, ``surface_view``, ``status``, and through ``idle_reset`` the side panel's and the Network
    docks) while no job runs; the loss plot takes
    the live run's steps from the session itself."""

    idle_reset = pyqtSignal()   # Reset while no job runs: the side panel's readout is cleared

    def __init__(self, session: Session, jobs: JobControl, *, plot: LossPlot, runs_table: RunsTable,
                 fit_view: FitView, surface_view: SurfaceView, status: JobStatus,
                 dialogs: Dialogs, apply_settings: Callable[[ExperimentSettings], list[str]],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.jobs = session, jobs
        self.plot, self.runs_table, self.fit_view, self.surface_view = plot, runs_table, fit_view, surface_view
        self.status, self.dialogs = status, dialogs
        self._apply_settings = apply_settings
        self._table_refreshed = 0.0
        self.history_reads = HistoryReads(session, self)   # large saved histories: read off the GUI thread
        session.on(Phase, self._on_phase)
        session.on(RunStarted, lambda event: self.live_run_started(event.run))
        session.on(RunEnded, lambda event: self.run_ended(event.run))
        session.on(RunChanged, lambda event: self._run_changed(event.run, event.shown))
        session.on(RunsLoaded, self._on_runs_loaded)
        session.on(RunRemoved, self._on_run_removed)
        plot.redrawn.connect(self.refresh_live_row)
        jobs.changed.connect(self._show_busy)
        runs_table.visibility_changed.connect(session.set_shown)
        runs_table.selected.connect(self.select)
        runs_table.rename_requested.connect(self.rename)
        runs_table.rerun_requested.connect(self.rerun)
        runs_table.load_requested.connect(self.load_settings)
        runs_table.delete_requested.connect(self.delete)
        self._show_busy()

    def _on_phase(self, event: Phase) -> None:
        """The run being prepared says so in its row: "loading…" or "compiling…"."""
        if event.run is not None:
            compiling = event.stage is Stage.COMPILING
            self.runs_table.set_run(event.run, status="compiling…" if compiling else "loading…")

    def _run_changed(self, record: RunRecord, shown: bool) -> None:
        reading = self.session.reading_history(record.id)
        self.runs_table.set_run(record, visible=shown, status=READING if reading else None)
        if record.id in self.plot.runs:
            self.plot.set_run_visible(record.id, shown)
            self.plot.set_run_title(record.id, run_title(record))   # its name or its rates changed
        elif shown and not reading:   # a large history: its curves once it is read
            self.plot_saved_run(record)
            if self.fit_view.run_id == record.id:
                self.show_fit(record)

    def _on_runs_loaded(self, event: RunsLoaded) -> None:
        """Runs another process wrote (a sweep's trials ending together): the new ones listed in one insertion."""
        new = [record for record in event.runs if record.id not in self.runs_table.model]
        for record in event.runs:
            if record.id in self.runs_table.model:
                self._run_changed(record, record.id in event.shown)
        self.runs_table.insert_runs(new, event.shown)
        for record in new:
            if record.id in event.shown:
                self.plot_saved_run(record)

    def _on_run_removed(self, event: RunRemoved) -> None:
        if event.run_id in self.plot.runs:
            self.plot.remove_run(event.run_id)
        self.runs_table.remove_run(event.run_id)

    def _show_busy(self) -> None:
        """The live run's row cannot be deleted (nor any run re-run) while a job runs."""
        self.runs_table.set_busy(self.session.live_run_id, self.jobs.running, paused=self.jobs.paused)

    # -- the table and the plot --------------------------------------------------------------------------------------

    def load_saved(self, shown: set[str]) -> None:
        """Runs saved by earlier sessions, in the table; those in ``shown`` (when the window last closed), on the
        plot (a run gets its curves, and its history is read, when it is first shown)."""
        records = self.session.load_saved(shown)
        visible = [record for record in records if self.session.is_shown(record.id)]
        self.runs_table.add_runs(records, {record.id for record in visible})
        for record in visible:
            if self.session.reading_history(record.id):
                self.runs_table.set_run(record, status=READING)
            else:
                self.plot_saved_run(record)

    def plot_saved_run(self, record: RunRecord) -> None:
        curves = self.plot.add_run(record.id, run_title(record), **plot_placement(record))
        self.plot.add_steps(record.id, record.history, record.lr_changes, self.history_reads.columns(record.id))
        self.runs_table.set_run(record, color=curves.color)

    def live_run_started(self, record: RunRecord) -> None:
        """The live run gets its curves (planned steps: the x-axis) and its row, shown and scrolled into view."""
        curves = self.plot.add_run(record.id, run_title(record), planned_steps=record.settings.steps,
                                   **plot_placement(record))
        self.runs_table.set_run(record, visible=True, color=curves.color)
        self.runs_table.scroll_to(record.id)
        self._show_busy()

    def refresh_live_row(self) -> None:
        """The live run's row with the plot's frame while it is shown: its step and losses every frame (as the side
        panel's readout), the whole row (the mean step time: a pass over the steps) at most once per
        ``TABLE_REFRESH_S``."""
        record = self.session.shown_live_run()
        if record is None:
            return
        if perf_counter() - self._table_refreshed >= TABLE_REFRESH_S:
            self._table_refreshed = perf_counter()
            self.runs_table.set_run(record)
        elif record.history and record.id in self.runs_table.model:
            self.runs_table.show_latest_step(record.id, record.history[-1], len(record.history))

    def run_ended(self, record: RunRecord) -> None:
        """The ended run's row, kept in view (the docks around the table may have changed its height meanwhile)."""
        self.runs_table.set_run(record)
        self.runs_table.scroll_to(record.id)
        if record.id in self.plot.runs:
            self.plot.end_run(record.id)
        self.plot.redraw()

    # -- actions on runs ---------------------------------------------------------------------------------------------

    def select(self, run_id: str | None) -> None:
        """Highlight the selected run on the plot, say its status, and show what it learned (Fit) and its decision
        boundary: both docks follow the selection."""
        self.plot.highlight(run_id if run_id in self.plot.runs else None)
        if run_id is not None:
            run = self.session.runs[run_id]
            self.dialogs.status(f"{run.name}: {run.status}")
            self.show_fit(run)
            self.show_surface(run_id)

    def show_fit(self, run: RunRecord) -> None:
        """The Fit dock shows the picked run: live, or from its record (its steps read from its folder if the run
        was never shown)."""
        if run.readable and not run.history and run.id != self.session.live_run_id \
                and run.summary.history_bytes < LARGE_HISTORY_BYTES:   # a larger one: once read, when shown
            try:
                stored = self.session.store.load(run.id)
            except (LookupError, OSError, ValueError):
                stored = None
            run = stored if stored is not None and stored.readable else run
        self.fit_view.show_saved(run)

    def show_surface(self, run_id: str) -> None:
        """The Decision boundary dock shows the picked run: live, or the final surface saved in its folder."""
        try:
            saved = load_saved(self.session.store.folder(run_id))
        except ValueError as exc:
            saved = str(exc)
        self.surface_view.show_saved(run_id, self.session.runs[run_id].name, saved)

    def rename(self, run_id: str, name: str) -> None:
        """Give a run a new display name (its trainer writes it while it trains)."""
        try:
            self.session.rename(run_id, name)
        except (ValueError, OSError) as exc:
            self.dialogs.warning("Cannot rename", str(exc))
            self.runs_table.set_run(self.session.runs[run_id])

    def delete(self, run_id: str) -> bool:
        """Delete a run from disk and from the window, after asking."""
        if self.session.live_run_training(run_id) or not self.dialogs.confirm(
                "Delete run", f"Delete the run “{self.session.runs[run_id].name}” from disk?"):
            return False
        try:
            record = self.session.delete(run_id)
        except (ValueError, OSError) as exc:
            self.dialogs.error("Cannot delete", str(exc))
            return False
        self.dialogs.status(f"Deleted {record.name}")
        return True

    def load_settings(self, run_id: str) -> bool:
        """Put the settings of run ``run_id`` into the controls (not for an unreadable run); those this version
        cannot use (another version's run) stay at their defaults, a message names them, and False is returned."""
        record = self.session.runs[run_id]
        if not record.readable:
            return False
        settings, problems = usable_settings(record.settings)
        problems = [*map(str, problems), *self._apply_settings(settings)]   # + an engine not here
        if problems:
            self.dialogs.error("Some settings cannot be used", f"{record.name}: some settings cannot be used here "
                               "and were left at their defaults: " + "; ".join(problems))
        return not problems

    def rerun(self, run_id: str) -> bool:
        """A new run with the settings of run ``run_id`` (they go into the controls first); none when one of them
        cannot be used here: never another experiment under its name."""
        return self.load_settings(run_id) and self.jobs.start(JobKind.TRAINING)

    def reset(self) -> None:
        """Hide every run from the plot (they stay in the runs table), reset its axes and clear the readout."""
        hidden = self.session.shown_run_ids()
        for run_id in hidden:
            self.session.set_shown(run_id, False)
        self.plot.auto_range()
        if not self.jobs.running:
            self.idle_reset.emit()
            self.fit_view.clear()
            self.surface_view.clear()
            self.status.show_idle()
        self.dialogs.status(f"Plot cleared: {len(hidden)} run(s) hidden; tick them in the Runs table "
                            "to show them again")
