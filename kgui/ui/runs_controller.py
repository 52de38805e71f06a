"""The runs of the main window: what the runs table and the loss plot show of each run (saved ones, the live one),
and the actions on runs (show/hide, select, rename, delete, re-run, load settings, Reset). The run state lives in
the session; this module only asks it and turns its answers into view updates."""
from __future__ import annotations

from time import perf_counter

from PyQt6.QtCore import QObject

from kgui.core.runs import RunRecord
from kgui.core.session import RunChanged, RunRemoved
from kgui.core.settings import usable_settings
from kgui.core.surface import load_saved
from kgui.core.trainer import Stage

from .names import plot_placement, run_title

TABLE_REFRESH_S = 1.0   # the live run's row in the runs table is refreshed at most this often


class RunsController(QObject):
    """Keeps ``window``'s runs table and loss plot in step with its session's runs, and does what the table asks."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self._table_refreshed = 0.0

    def wire(self) -> None:
        """Connect the runs table and the session (once the window's views exist)."""
        table = self.window.runs_table
        self.session.on(RunChanged, self._on_run_changed)
        self.session.on(RunRemoved, self._on_run_removed)
        table.visibility_changed.connect(self.session.set_shown)
        table.selected.connect(self.select)
        table.rename_requested.connect(self.rename)
        table.rerun_requested.connect(self.rerun)
        table.load_requested.connect(self.load_settings)
        table.delete_requested.connect(self.delete)

    def _on_run_changed(self, event: RunChanged) -> None:
        record = event.run
        self.window.runs_table.set_run(record, visible=event.shown)
        plot = self.window.plot
        if record.id in plot.runs:
            plot.set_run_visible(record.id, event.shown)
            plot.set_run_title(record.id, run_title(record))   # its name or its rates changed
        elif event.shown:
            self.plot_saved_run(record)

    def _on_run_removed(self, event: RunRemoved) -> None:
        if event.run_id in self.window.plot.runs:
            self.window.plot.remove_run(event.run_id)
        self.window.runs_table.remove_run(event.run_id)

    # -- the table and the plot --------------------------------------------------------------------------------------

    def load_saved(self, shown: set[str]) -> None:
        """Runs saved by earlier sessions, in the table; those in ``shown`` (when the window last closed), on the
        plot (a run gets its curves, and its history is read, when it is first shown)."""
        records = self.session.load_saved(shown)
        visible = [record for record in records if self.session.is_shown(record.id)]
        self.window.runs_table.add_runs(records, {record.id for record in visible})
        for record in visible:
            self.plot_saved_run(record)

    def plot_saved_run(self, record: RunRecord) -> None:
        curves = self.window.plot.add_run(record.id, run_title(record), **plot_placement(record))
        self.window.plot.add_steps(record.id, record.history, record.lr_changes)
        self.window.runs_table.set_run(record, color=curves.color)

    def preparing(self, record: RunRecord, stage: Stage) -> None:
        """The run being prepared says so in its row: "loading…" or "compiling…"."""
        self.window.runs_table.set_run(record, status="compiling…" if stage is Stage.COMPILING else "loading…")

    def live_run_started(self, record: RunRecord) -> None:
        """The live run gets its curves (planned steps: the x-axis) and its row, shown."""
        curves = self.window.plot.add_run(record.id, run_title(record), planned_steps=record.settings.steps,
                                          **plot_placement(record))
        self.window.runs_table.set_run(record, visible=True, color=curves.color)

    def refresh_live_row(self, record: RunRecord) -> None:
        """The live run's row, at most once per ``TABLE_REFRESH_S``."""
        if perf_counter() - self._table_refreshed >= TABLE_REFRESH_S:
            self._table_refreshed = perf_counter()
            self.window.runs_table.set_run(record)

    def run_ended(self, record: RunRecord) -> None:
        self.window.runs_table.set_run(record)
        if record.id in self.window.plot.runs:
            self.window.plot.end_run(record.id)
        self.window.plot.redraw()

    # -- actions on runs ---------------------------------------------------------------------------------------------

    def select(self, run_id: str | None) -> None:
        """Highlight the selected run on the plot, say its status, and show what it learned (Fit) and its decision
        boundary: both docks follow the selection."""
        self.window.plot.highlight(run_id if run_id in self.window.plot.runs else None)
        if run_id is not None:
            run = self.session.runs[run_id]
            self.window.statusBar().showMessage(f"{run.name}: {run.status}")
            self.show_fit(run)
            self.show_surface(run_id)

    def show_fit(self, run: RunRecord) -> None:
        """The Fit dock shows the picked run: live, or from its record (its steps read from its folder if the run
        was never shown)."""
        if run.readable and not run.history and run.id != self.session.live_run_id:
            try:
                stored = self.session.store.load(run.id)
            except (LookupError, OSError, ValueError):
                stored = None
            run = stored if stored is not None and stored.readable else run
        self.window.fit_view.show_saved(run)

    def show_surface(self, run_id: str) -> None:
        """The Decision boundary dock shows the picked run: live, or the final surface saved in its folder."""
        try:
            saved = load_saved(self.session.store.folder(run_id))
        except ValueError as exc:
            saved = str(exc)
        self.window.surface_view.show_saved(run_id, self.session.runs[run_id].name, saved)

    def rename(self, run_id: str, name: str) -> None:
        """Give a run a new display name (its trainer writes it while it trains)."""
        try:
            self.session.rename(run_id, name)
        except (ValueError, OSError) as exc:
            self.window.dialogs.warning("Cannot rename", str(exc))
            self.window.runs_table.set_run(self.session.runs[run_id])

    def delete(self, run_id: str) -> bool:
        """Delete a run from disk and from the window, after asking."""
        if self.session.live_run_training(run_id) or not self.window.dialogs.confirm(
                "Delete run", f"Delete the run “{self.session.runs[run_id].name}” from disk?"):
            return False
        try:
            record = self.session.delete(run_id)
        except (ValueError, OSError) as exc:
            self.window.dialogs.error("Cannot delete", str(exc))
            return False
        self.window.statusBar().showMessage(f"Deleted {record.name}")
        return True

    def load_settings(self, run_id: str) -> bool:
        """Put the settings of run ``run_id`` into the controls (not for an unreadable run); those this version
        cannot use (another version's run) stay at their defaults, a message names them, and False is returned."""
        record = self.session.runs[run_id]
        if not record.readable:
            return False
        settings, problems = usable_settings(record.settings)
        problems = [*map(str, problems), *self.window.apply_settings(settings, say=False)]   # + an engine not here
        if problems:
            self.window.dialogs.error("Some settings cannot be used", f"{record.name}: some settings cannot be used here and "
                                      "were left at their defaults: " + "; ".join(problems))
        return not problems

    def rerun(self, run_id: str) -> bool:
        """A new run with the settings of run ``run_id`` (they go into the controls first); none when one of them
        cannot be used here: never another experiment under its name."""
        return self.load_settings(run_id) and self.window.start()

    def reset(self) -> None:
        """Hide every run from the plot (they stay in the runs table), reset its axes and clear the readout."""
        window = self.window
        hidden = self.session.shown_run_ids()
        for run_id in hidden:
            self.session.set_shown(run_id, False)
        window.plot.auto_range()
        if not window.jobs.running:
            window.live_panel.clear()
            window.fit_view.clear()
            window.engine_state.setText("idle")
        window.statusBar().showMessage(f"Plot cleared: {len(hidden)} run(s) hidden; tick them in the Runs table "
                                       "to show them again")
