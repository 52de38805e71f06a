"""The trials of a sweep running in the window, drawn live on the loss plot while it shows that sweep's trials (Show on
Loss plot): a running trial's curves grow with each batch of its steps (every ``STEPS_BATCH_S``), coloured and grouped
by the plot's sweep controls with the ended ones (Colour by, Mean ± std over seeds); a trial that ends is shown as its
saved run in their place."""
from __future__ import annotations

from PyQt6.QtCore import QObject

from kgui.core.runs import RunRecord, StepRecord
from kgui.core.session import RunStarted, RunsLoaded, Session, StepsTaken
from kgui.core.sweeps.runner import TrialEnded, TrialEvent

from ..loss_plot import LossPlot
from ..names import plot_placement, run_title
from .dialog import SweepRun


class LiveTrials(QObject):
    """Follows the sweep the Sweep tab starts (:meth:`follow`) onto ``plot``; ``session`` lists and shows the trials
    that end."""

    def __init__(self, plot: LossPlot, session: Session, parent: QObject | None = None):
        super().__init__(parent)
        self.plot, self.session = plot, session
        self.sweep_id = ""
        self.running: dict[int, RunRecord] = {}   # trial index -> its run as it started (a retry: the new one)
        self.taken: dict[str, list[StepRecord]] = {}   # a running trial's run id -> its steps so far (the plot may
                                                       # come to show the sweep mid-trial; its folder is not read)
        self.to_show: set[str] = set()            # trials that ended while their sweep was shown, shown once read
        session.on(RunsLoaded, self._on_runs_loaded)

    def follow(self, run: SweepRun) -> None:
        self._end_all()
        self.sweep_id = run.runner.sweep_id
        run.event.connect(self._on_event)
        run.steps.connect(self._on_steps)
        run.finished.connect(lambda result: self._end_all())

    def _on_event(self, event) -> None:
        if isinstance(event, TrialEvent) and isinstance(event.event, RunStarted):
            lost = self.running.get(event.trial_index)    # a first attempt lost: its run is discarded
            if lost is not None:
                self._remove(lost.id)
            self.running[event.trial_index] = event.event.run
        elif isinstance(event, TrialEnded):
            started = self.running.pop(event.outcome.trial.index, None)
            self._end(started, event.outcome.record)

    def _on_steps(self, event: StepsTaken) -> None:
        record = next((record for record in self.running.values() if record.id == event.run_id), None)
        if record is None:
            return
        taken = self.taken.setdefault(record.id, [])
        taken.extend(event.steps)
        if event.run_id in self.plot.runs:
            self.plot.add_steps(event.run_id, event.steps)
        elif self._sweep_shown():
            self.plot.add_run(record.id, run_title(record), planned_steps=record.settings.steps,
                              **plot_placement(record))
            self.plot.add_steps(record.id, taken)

    def _sweep_shown(self) -> bool:
        """The plot shows ended trials of the sweep (the live ones join them, not a plot of other runs)."""
        live = {record.id for record in self.running.values()}
        return any(curves.visible and curves.sweep is not None and curves.sweep.sweep_id == self.sweep_id
                   for run_id, curves in self.plot.runs.items() if run_id not in live)

    def _end(self, started: RunRecord | None, ended: RunRecord | None) -> None:
        """A trial ended (``ended``: its final run): its saved run takes the place of its live curves once the
        session has read it."""
        drawn = started is not None and started.id in self.plot.runs
        if started is not None:
            self._remove(started.id)
        if ended is not None and (drawn or self._sweep_shown()):
            self.to_show.add(ended.id)

    def _end_all(self) -> None:
        """The sweep ended: trials still drawn live (none, unless a trial's end was lost) go as their runs."""
        for index in list(self.running):
            record = self.running.pop(index)
            self._end(record, record)

    def _remove(self, run_id: str) -> None:
        self.taken.pop(run_id, None)
        if run_id in self.plot.runs:
            self.plot.remove_run(run_id)

    def _on_runs_loaded(self, event: RunsLoaded) -> None:
        for record in event.runs:
            if record.id in self.to_show:
                self.to_show.discard(record.id)
                self.session.set_shown(record.id, True)
