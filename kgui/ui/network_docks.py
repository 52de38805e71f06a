"""The views of the "Network" and "Layers" docks: fed by the session's LayerStatsComputed events, showing the live
run or the run picked in the runs table (its saved statistics after a restart); a weight set while paused goes to
the job. The window docks the views and shows a hovered neuron's heatmap (``network.neuron_hovered``) in the
Decision boundary dock."""
from __future__ import annotations

from time import perf_counter

from PyQt6.QtCore import QObject, QTimer

from kgui.core.session import JobEnded, LayerStatsComputed, RunEnded, RunRemoved, RunStarted, Session

from .dialogs import Dialogs
from .job_control import JobControl

from .layers_view import LayersView
from .network_view import NetworkView


REDRAW_S = 1.0     # while a run trains, the docks are redrawn at most this often (samples come every 0.3 s): their
                   # painting holds the GIL, which a small model's training thread needs for every step
RESET_HINT = ("Start (F5) to see {what} for the experiment in the Controls, from its first step; "
              "or pick a run in the Runs table.")


class NetworkDocks(QObject):
    """The ``network`` and ``layers`` views, kept in step with ``session``; ``jobs`` runs the job a weight edit goes
    to, ``dialogs`` says what was set and exports the layers' statistics."""

    def __init__(self, session: Session, jobs: JobControl, dialogs: Dialogs, parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.jobs, self.dialogs = session, jobs, dialogs
        self.network, self.layers = NetworkView(can_edit=self._can_edit), LayersView()
        self.live_run_id: str | None = None
        self.shown_run_id: str | None = None
        self._names: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}   # run id -> feature and class names
        self._last_drawn = -REDRAW_S
        self._later = QTimer(self)          # a sample that came too soon after the last one drawn, drawn then
        self._later.setSingleShot(True)
        self._later.timeout.connect(lambda: self.shown_run_id is not None and self._show(self.shown_run_id))
        self.network.edit_requested.connect(self._edit)
        self.layers.export_button.clicked.connect(
            lambda: self.dialogs.export_dialog(self.layers.export_target(), "csv"))
        self.session.on(RunStarted, self._on_run_started)
        self.session.on(LayerStatsComputed, self._on_layer_stats)
        self.session.on(RunEnded, self._on_run_ended)
        self.session.on(JobEnded, lambda event: self.network.update_editing())
        self.session.on(RunRemoved, self._on_run_removed)

    def _on_run_started(self, event: RunStarted) -> None:
        record, dataset = event.run, event.dataset
        following = self.shown_run_id in (None, self.live_run_id)
        self.live_run_id = record.id
        self._names[record.id] = (tuple(dataset.feature_names), tuple(dataset.class_names))
        if following:
            self.shown_run_id = record.id
            self.network.clear("Waiting for the first sample of the network…")
            self.layers.clear("Waiting for the first sample of the layers…")

    def _on_layer_stats(self, event: LayerStatsComputed) -> None:
        if event.run_id != self.shown_run_id:
            return
        wait = REDRAW_S - (perf_counter() - self._last_drawn)
        if wait <= 0:
            self._show(event.run_id)
        elif not self._later.isActive():
            self._later.start(int(wait * 1000) + 1)

    def _on_run_ended(self, event: RunEnded) -> None:
        if event.run.id == self.shown_run_id:
            self._show(event.run.id)   # the caption says it is over
        else:
            self.network.update_editing()

    def _on_run_removed(self, event: RunRemoved) -> None:
        if event.run_id == self.shown_run_id:
            self.shown_run_id = None
            self.network.clear("Train a model to see its network.")
            self.layers.clear("Train a model to see each layer's statistics.")

    def clear(self) -> None:
        """The window's Reset while no job runs: no run's network, but a line saying how to see this experiment's."""
        self._later.stop()
        self.live_run_id = self.shown_run_id = None
        self.network.clear(RESET_HINT.format(what="its network"))
        self.layers.clear(RESET_HINT.format(what="each layer's statistics"))

    def select(self, run_id: str | None) -> None:
        """A run picked in the runs table (None: back to the live run)."""
        run_id = run_id or self.live_run_id
        if run_id is None or run_id == self.shown_run_id:
            return
        self.shown_run_id = run_id
        self._show(run_id)

    def _show(self, run_id: str) -> None:
        self._later.stop()
        self._last_drawn = perf_counter()
        record = self.session.runs.get(run_id)
        name = record.name if record is not None else run_id
        try:
            history = self.session.layer_history(run_id)
        except ValueError as exc:
            self.network.clear(f"{name}: {exc}")
            self.layers.clear(f"{name}: {exc}")
            return
        stats = history.latest
        live = run_id == self.live_run_id and self.session.live_run_training(run_id)
        when = "as it trains" if live else "saved with the run"
        features, classes = self._names.get(run_id, ((), ()))
        self.network.show_stats(stats, history, features, classes, f"{name}: step {stats.step}, {when}")
        self.layers.show_history(history, f"{name}: {len(history)} samples up to step {stats.step}, {when}")
        self.network.update_editing()

    def _can_edit(self) -> bool:
        return (self.jobs.paused and self.shown_run_id == self.live_run_id
                and self.session.live_run_training(self.live_run_id))

    def _edit(self, parameter: str, index: tuple, value: float) -> None:
        if not self._can_edit():
            return
        self.jobs.job.control.edit_weight(parameter, index, value)
        self.dialogs.status(f"{parameter}[{','.join(map(str, index))}] will be {value:g} from the next step "
                            "(Step or Resume)")

    def layers_of(self, record):
        """Run ``record``'s layer statistics, or None when it has none (for the TensorBoard export)."""
        try:
            return self.session.layer_history(record.id)
        except ValueError:
            return None
