"""The side panel's "Current run" readout has one writer: :class:`RunReadout`, which follows the session's events
and the job's state, so no other part of the window writes to the panel."""
from __future__ import annotations

import statistics

from PyQt6.QtCore import pyqtBoundSignal

from kgui.core.session import RunStarted, Session
from kgui.core.experiment.settings import ExperimentSettings

from .load_progress import JobStatus
from .names import engine_label, run_engine_label
from .panels import LivePanel

STEP_MS_WINDOW = 20     # "Step time" in the side panel: median of the last this many steps


class RunReadout:
    """Keeps ``panel`` showing the current job of ``session``: its state as ``status`` says it ("starting…",
    "training", "finished", …), the engine, and the live run's latest step each time ``redrawn`` (the loss plot's
    frame: not once per step) while that run is shown. :meth:`job_started` and :meth:`clear` are the window's Start
    and Reset (no session event says them)."""

    def __init__(self, session: Session, panel: LivePanel, status: JobStatus, redrawn: pyqtBoundSignal):
        self.session, self.panel = session, panel
        status.state_changed.connect(panel.set_state)
        session.on(RunStarted, self._run_started)
        redrawn.connect(self.show_latest_step)

    def job_started(self, settings: ExperimentSettings) -> None:
        """A job starts on ``settings``: the last run's readout gives way to its engine."""
        self.panel.clear()
        self.panel.set_engine(engine_label(settings.backend))

    def clear(self) -> None:
        """Nothing to show: every value "—", the state "idle"."""
        self.panel.clear()

    def _run_started(self, event: RunStarted) -> None:
        """The run's engine and version, and the rows its dataset fills (accuracy, w and b)."""
        self.panel.set_engine(run_engine_label(event.run))
        self.panel.expect_rows(event.dataset)

    def show_latest_step(self) -> None:
        """The live run's last step, with the median step time of the last ``STEP_MS_WINDOW``; nothing while it has
        no step or is hidden (after Reset the readout stays clear)."""
        record = self.session.shown_live_run()
        if record is None:
            return
        recent = record.history[-STEP_MS_WINDOW:]
        self.panel.show_step(record.history[-1], record.settings.steps,
                             statistics.median(step.step_ms for step in recent), len(recent))
